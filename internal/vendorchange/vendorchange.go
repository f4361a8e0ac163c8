// Package vendorchange decides whether a change to a Vendor may reach the allowlists
// that use it at once, or must wait for an admin: a Vendor is admin-owned, but a
// mistake in one (every address of a group marked deprecated, a /1 pasted in) would
// otherwise cut or open the traffic of every allowlist in every namespace that names
// it, silently. It is pure: summaries in, a verdict out.
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
)

// Bounds are how far a change may go before an admin must approve it.
type Bounds struct {
	// MaxRemovedPercent is the share of a group's entries a change may remove.
	MaxRemovedPercent int
	// MaxAddedIPv4 is how many IPv4 addresses a change may add to a group's space.
	MaxAddedIPv4 int64
	// MaxAddedIPv6Networks is how many /64 networks a change may add to a group's space.
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

// Summarize describes what each endpoint group of a Vendor opens by default (without
// deprecated addresses), sorted by group name.
func Summarize(spec v1alpha1.VendorSpec) []v1alpha1.EndpointSummary {
	out := make([]v1alpha1.EndpointSummary, 0, len(spec.Endpoints))
	for _, g := range spec.Endpoints {
		var prefixes []netip.Prefix
		entries := 0
		for _, a := range g.Addresses {
			if a.Deprecated != nil {
				continue
			}
			entries++
			if p, err := netip.ParsePrefix(string(a.CIDR)); err == nil {
				prefixes = append(prefixes, p.Masked())
			}
		}
		for _, h := range g.Hostnames {
			entries++
			for _, c := range h.Addresses {
				if p, err := netip.ParsePrefix(string(c)); err == nil {
					prefixes = append(prefixes, p.Masked())
				}
			}
		}
		v4, v6 := space(prefixes)
		out = append(out, v1alpha1.EndpointSummary{
			Name: g.Name, Direction: g.Direction, Entries: int32(entries), IPv4Addresses: v4, IPv6Networks: v6,
		})
	}
	slices.SortFunc(out, func(a, b v1alpha1.EndpointSummary) int { return strings.Compare(string(a.Name), string(b.Name)) })
	return out
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
	Change string // emptied, removed, shrank, widened, added
	Before v1alpha1.EndpointSummary
	After  v1alpha1.EndpointSummary
}

func (f Finding) String() string {
	switch f.Change {
	case "removed":
		return fmt.Sprintf("group %s was removed (it had %d entries)", f.Group, f.Before.Entries)
	case "emptied":
		return fmt.Sprintf("group %s would render no address (%d entries before, 0 after)", f.Group, f.Before.Entries)
	case "shrank":
		return fmt.Sprintf("group %s shrank from %d entries to %d", f.Group, f.Before.Entries, f.After.Entries)
	case "added":
		return fmt.Sprintf("group %s was added, covering %s", f.Group, describeSpace(f.After))
	default:
		return fmt.Sprintf("group %s widened from %s to %s", f.Group, describeSpace(f.Before), describeSpace(f.After))
	}
}

func describeSpace(s v1alpha1.EndpointSummary) string {
	return fmt.Sprintf("%d entries, %d IPv4 addresses and %d IPv6 /64 networks", s.Entries, s.IPv4Addresses, s.IPv6Networks)
}

// Compare returns the groups that changed beyond the bounds between the accepted
// summary and the new one. Groups whose addresses each customer supplies have no
// entries of their own and never count as emptied.
func Compare(before, after []v1alpha1.EndpointSummary, b Bounds) []Finding {
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
				out = append(out, added(cur, b)...)
			}
			continue
		case old.Entries > 0 && cur.Entries == 0:
			out = append(out, Finding{Group: old.Name, Change: "emptied", Before: old, After: cur})
			continue
		case int64(cur.Entries)*100 < int64(old.Entries)*int64(100-b.MaxRemovedPercent):
			out = append(out, Finding{Group: old.Name, Change: "shrank", Before: old, After: cur})
		}
		if cur.IPv4Addresses-old.IPv4Addresses > b.MaxAddedIPv4 || cur.IPv6Networks-old.IPv6Networks > b.MaxAddedIPv6Networks {
			out = append(out, Finding{Group: old.Name, Change: "widened", Before: old, After: cur})
		}
	}
	for _, cur := range after {
		if !prev[cur.Name] {
			out = append(out, added(cur, b)...)
		}
	}
	return out
}

func added(cur v1alpha1.EndpointSummary, b Bounds) []Finding {
	if cur.IPv4Addresses > b.MaxAddedIPv4 || cur.IPv6Networks > b.MaxAddedIPv6Networks {
		return []Finding{{Group: cur.Name, Change: "added", After: cur}}
	}
	return nil
}
