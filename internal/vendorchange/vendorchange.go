/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package vendorchange decides whether a change to a Vendor may reach the allowlists
// that use it at once, or must wait for an admin: a Vendor is admin-owned, but a
// mistake in one (every address of a group marked deprecated, a /1 pasted in) would
// otherwise cut or open the traffic of every allowlist in every namespace that names
// it, silently. A change is judged by the addresses it adds and removes, not by
// counts: a swap of equal size moves traffic as surely as a widening, and an address
// that moves into a range the guard forbids (a private network, the cloud metadata
// service's link-local range) is held however small. It is pure: summaries in, a
// verdict out.
package vendorchange

import (
	"fmt"
	"math"
	"math/big"
	"net/netip"
	"slices"
	"strings"

	"go4.org/netipx"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
)

// Bounds are how far a change may go before an admin must approve it.
type Bounds struct {
	// MaxRemovedPercent is the share of a group's entries, and of its addresses, a
	// change may remove.
	MaxRemovedPercent int
	// MaxAddedIPv4 is how many IPv4 addresses a change may add to a group: addresses
	// it did not have, whatever the change removes.
	MaxAddedIPv4 int64
	// MaxAddedIPv6Networks is how many /64 networks a change may add to a group.
	MaxAddedIPv6Networks int64
}

// DefaultBounds: half of a group's entries, a /24 of IPv4, a /48 of IPv6.
func DefaultBounds() Bounds {
	return Bounds{MaxRemovedPercent: 50, MaxAddedIPv4: 1 << 8, MaxAddedIPv6Networks: 1 << 16}
}

// BoundsFromPrefixLengths expresses the added-space bounds as prefix lengths: a change
// may add at most as much space as one prefix of that length.
func BoundsFromPrefixLengths(maxRemovedPercent, ipv4Bits, ipv6Bits int) Bounds {
	return Bounds{
		MaxRemovedPercent:    maxRemovedPercent,
		MaxAddedIPv4:         int64(1) << (32 - ipv4Bits),
		MaxAddedIPv6Networks: saturatingShift(64 - ipv6Bits),
	}
}

func saturatingShift(n int) int64 {
	switch {
	case n <= 0:
		return 1
	case n >= 63:
		return math.MaxInt64
	}
	return int64(1) << n
}

// maxBaselineAddresses bounds the networks a summary keeps per group in the Vendor's
// status, which must stay well below the API server's object size limit.
const maxBaselineAddresses = 512

// Summarize describes what each endpoint group of a Vendor opens, sorted by group
// name: the entries and space it opens by default (without deprecated addresses),
// and every network it publishes, deprecated ones included, merged.
func Summarize(spec v1alpha1.VendorSpec) []v1alpha1.EndpointSummary {
	out := make([]v1alpha1.EndpointSummary, 0, len(spec.Endpoints))
	for _, g := range spec.Endpoints {
		var prefixes []netip.Prefix
		var all netipx.IPSetBuilder
		entries := 0
		for _, a := range g.Addresses {
			p, err := netip.ParsePrefix(string(a.CIDR))
			if err == nil {
				all.AddPrefix(p.Masked())
			}
			if a.Deprecated != nil {
				continue
			}
			entries++
			if err == nil {
				prefixes = append(prefixes, p.Masked())
			}
		}
		for _, h := range g.Hostnames {
			entries++
			for _, c := range h.Addresses {
				if p, err := netip.ParsePrefix(string(c)); err == nil {
					prefixes = append(prefixes, p.Masked())
					all.AddPrefix(p.Masked())
				}
			}
		}
		v4, v6 := space(prefixes)
		set, _ := all.IPSet()
		var addrs []string
		for _, p := range set.Prefixes() {
			addrs = append(addrs, p.String())
		}
		out = append(out, v1alpha1.EndpointSummary{
			Name: g.Name, Direction: g.Direction, Entries: int32(entries), IPv4Addresses: v4, IPv6Networks: v6, Addresses: addrs,
		})
	}
	slices.SortFunc(out, func(a, b v1alpha1.EndpointSummary) int { return strings.Compare(string(a.Name), string(b.Name)) })
	return out
}

// Baseline is a summary as the Vendor's status keeps it: without the networks of a
// group that has more than the status can hold (the next change's every address of
// that group then counts as added, so it is held rather than let through unseen).
func Baseline(summary []v1alpha1.EndpointSummary) []v1alpha1.EndpointSummary {
	out := slices.Clone(summary)
	for i := range out {
		if len(out[i].Addresses) > maxBaselineAddresses {
			out[i].Addresses = nil
		}
	}
	return out
}

// HasAddresses reports whether the summary records the networks of its groups (a
// status written before it did lacks them).
func HasAddresses(summary []v1alpha1.EndpointSummary) bool {
	for _, s := range summary {
		if len(s.Addresses) > 0 {
			return true
		}
	}
	return len(summary) == 0
}

// space is how many IPv4 addresses and IPv6 /64 networks the prefixes cover, merged.
func space(prefixes []netip.Prefix) (ipv4 int64, ipv6Networks int64) {
	var v4, v6 netipx.IPSetBuilder
	for _, p := range prefixes {
		if p.Addr().Is4() {
			v4.AddPrefix(p)
			continue
		}
		if p.Bits() > 64 {
			p = netip.PrefixFrom(p.Addr(), 64).Masked()
		}
		v6.AddPrefix(p)
	}
	s4, _ := v4.IPSet()
	for _, p := range s4.Prefixes() {
		ipv4 += int64(1) << (32 - p.Bits())
	}
	s6, _ := v6.IPSet()
	total := new(big.Int)
	for _, p := range s6.Prefixes() {
		total.Add(total, new(big.Int).Lsh(big.NewInt(1), uint(64-p.Bits())))
	}
	if !total.IsInt64() {
		return ipv4, math.MaxInt64
	}
	return ipv4, total.Int64()
}

// Finding is one group that changed beyond the bounds.
type Finding struct {
	Group  v1alpha1.ObjectName
	Change string // emptied, removed, shrank, dropped, widened, replaced, added, forbidden
	Before v1alpha1.EndpointSummary
	After  v1alpha1.EndpointSummary
	// Networks are what moved: the networks added (widened, replaced, added), removed
	// (dropped), or added in a range the guard forbids (forbidden).
	Networks []netip.Prefix
	// Categories are the guard's categories of the forbidden networks.
	Categories []guard.Category
	// MovedIPv4 and MovedIPv6 are the space of Networks: IPv4 addresses and IPv6 /64
	// networks; HadIPv4 and HadIPv6 the group's before the change, deprecated
	// networks included.
	MovedIPv4, MovedIPv6, HadIPv4, HadIPv6 int64
}

func (f Finding) String() string {
	switch f.Change {
	case "removed":
		return fmt.Sprintf("group %s was removed (it had %d entries)", f.Group, f.Before.Entries)
	case "emptied":
		return fmt.Sprintf("group %s would render no address (%d entries before, 0 after)", f.Group, f.Before.Entries)
	case "shrank":
		return fmt.Sprintf("group %s shrank from %d entries to %d", f.Group, f.Before.Entries, f.After.Entries)
	case "dropped":
		return fmt.Sprintf("group %s removes %d of its %d IPv4 addresses and %d of its %d IPv6 /64 networks: %s", f.Group, f.MovedIPv4, f.HadIPv4, f.MovedIPv6, f.HadIPv6, listNetworks(f.Networks))
	case "forbidden":
		return fmt.Sprintf("group %s adds networks in ranges the guard forbids (%s): %s", f.Group, joinCategories(f.Categories), listNetworks(f.Networks))
	case "replaced":
		return fmt.Sprintf("group %s swaps addresses for others: it adds %s it did not have, no more than it removes: %s", f.Group, describeMoved(f), listNetworks(f.Networks))
	case "added":
		return fmt.Sprintf("group %s was added, covering %s: %s", f.Group, describeSpace(f.After), listNetworks(f.Networks))
	default:
		return fmt.Sprintf("group %s widened: it adds %s it did not have: %s", f.Group, describeMoved(f), listNetworks(f.Networks))
	}
}

func describeSpace(s v1alpha1.EndpointSummary) string {
	return fmt.Sprintf("%d entries, %d IPv4 addresses and %d IPv6 /64 networks", s.Entries, s.IPv4Addresses, s.IPv6Networks)
}

func describeMoved(f Finding) string {
	return fmt.Sprintf("%d IPv4 addresses and %d IPv6 /64 networks", f.MovedIPv4, f.MovedIPv6)
}

// listNetworks names the first networks, and how many more there are.
func listNetworks(ps []netip.Prefix) string {
	const shown = 8
	names := make([]string, 0, min(len(ps), shown))
	for _, p := range ps[:min(len(ps), shown)] {
		names = append(names, p.String())
	}
	out := strings.Join(names, ", ")
	if len(ps) > shown {
		out += fmt.Sprintf(" and %d more", len(ps)-shown)
	}
	return out
}

func joinCategories(cs []guard.Category) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

// Compare returns the groups that changed beyond the bounds between the accepted
// summary and the new one. Groups whose addresses each customer supplies have no
// entries of their own and never count as emptied. g judges what an added network
// may reach: anything but public is held, whatever its size.
func Compare(before, after []v1alpha1.EndpointSummary, b Bounds, g guard.Guard) []Finding {
	next := map[v1alpha1.ObjectName]v1alpha1.EndpointSummary{}
	for _, s := range after {
		next[s.Name] = s
	}
	prev := map[v1alpha1.ObjectName]bool{}
	var out []Finding
	for _, old := range before {
		prev[old.Name] = true
		cur, ok := next[old.Name]
		switch {
		case !ok || cur.Direction != old.Direction:
			if old.Entries > 0 {
				out = append(out, Finding{Group: old.Name, Change: "removed", Before: old, After: cur})
			}
			if ok {
				out = append(out, added(cur, b, g)...)
			}
			continue
		case old.Entries > 0 && cur.Entries == 0:
			out = append(out, Finding{Group: old.Name, Change: "emptied", Before: old, After: cur})
			continue
		}
		shrank := int64(cur.Entries)*100 < int64(old.Entries)*int64(100-b.MaxRemovedPercent)
		if shrank {
			out = append(out, Finding{Group: old.Name, Change: "shrank", Before: old, After: cur})
		}
		out = append(out, moved(old, cur, b, g, shrank)...)
	}
	for _, cur := range after {
		if !prev[cur.Name] {
			out = append(out, added(cur, b, g)...)
		}
	}
	return out
}

// moved judges a group's networks, old and new: what it adds in a forbidden range,
// what it adds beyond the bounds (widened, or replaced when it removes as much), and
// what it removes beyond MaxRemovedPercent of its space (unless shrank already says
// so in entries).
func moved(old, cur v1alpha1.EndpointSummary, b Bounds, g guard.Guard, shrank bool) []Finding {
	was, is := setOf(old.Addresses), setOf(cur.Addresses)
	var out []Finding
	plus := difference(is, was)
	if f, ok := forbidden(cur.Name, plus, g); ok {
		f.Before, f.After = old, cur
		out = append(out, f)
	}
	a4, a6 := space(plus)
	w4, w6 := space(was.Prefixes())
	if a4 > b.MaxAddedIPv4 || a6 > b.MaxAddedIPv6Networks {
		change := "widened"
		if i4, i6 := space(is.Prefixes()); i4 <= w4 && i6 <= w6 {
			change = "replaced"
		}
		out = append(out, Finding{Group: cur.Name, Change: change, Before: old, After: cur, Networks: plus, MovedIPv4: a4, MovedIPv6: a6})
	}
	minus := difference(was, is)
	r4, r6 := space(minus)
	beyond := func(removed, had int64) bool { return had > 0 && removed*100 > had*int64(b.MaxRemovedPercent) }
	if !shrank && (beyond(r4, w4) || beyond(r6, w6)) {
		out = append(out, Finding{Group: cur.Name, Change: "dropped", Before: old, After: cur, Networks: minus, MovedIPv4: r4, MovedIPv6: r6, HadIPv4: w4, HadIPv6: w6})
	}
	return out
}

// added judges a group the change adds: all its networks are new.
func added(cur v1alpha1.EndpointSummary, b Bounds, g guard.Guard) []Finding {
	var out []Finding
	plus := setOf(cur.Addresses).Prefixes()
	if f, ok := forbidden(cur.Name, plus, g); ok {
		f.After = cur
		out = append(out, f)
	}
	if cur.IPv4Addresses > b.MaxAddedIPv4 || cur.IPv6Networks > b.MaxAddedIPv6Networks {
		out = append(out, Finding{Group: cur.Name, Change: "added", After: cur, Networks: plus})
	}
	return out
}

// forbidden is the finding of the networks of plus that hold an address the guard
// does not count as public.
func forbidden(group v1alpha1.ObjectName, plus []netip.Prefix, g guard.Guard) (Finding, bool) {
	f := Finding{Group: group, Change: "forbidden"}
	for _, p := range plus {
		bad := false
		for _, c := range g.PrefixCategories(p) {
			if c == guard.CategoryPublic {
				continue
			}
			bad = true
			if !slices.Contains(f.Categories, c) {
				f.Categories = append(f.Categories, c)
			}
		}
		if bad {
			f.Networks = append(f.Networks, p)
		}
	}
	slices.Sort(f.Categories)
	return f, len(f.Networks) > 0
}

func setOf(cidrs []string) *netipx.IPSet {
	var b netipx.IPSetBuilder
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err == nil {
			b.AddPrefix(p.Masked())
		}
	}
	s, _ := b.IPSet()
	return s
}

// difference is the networks of a that are not in b, merged.
func difference(a, b *netipx.IPSet) []netip.Prefix {
	var d netipx.IPSetBuilder
	d.AddSet(a)
	d.RemoveSet(b)
	s, _ := d.IPSet()
	return s.Prefixes()
}
