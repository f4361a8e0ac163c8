/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package tenancy is what an admin lets a VendorAllowlist open. Whoever may write an
// allowlist in a namespace is a tenant: without the limits, writing one would be
// writing any NetworkPolicy (two /1 halves are the whole internet; 169.254.169.254 is
// the cloud's metadata service). The catalog (built-in vendors and Vendor objects) is
// the admin's, and is not limited: it stays the way to open broad or special ranges on
// purpose.
//
// The same limits are enforced twice: by the admission policy that the chart and
// config/ install, so that the user hears of them at apply time, and by the renderer,
// for allowlists that got past admission (written before it was installed, or with it
// off). The renderer leaves what is beyond the limits out and says so.
package tenancy

import (
	"fmt"
	"math/big"
	"net/netip"
	"slices"
	"strings"

	"go4.org/netipx"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
)

// Limits are the admin's limits on what an allowlist writes itself: its custom
// entries, the networks and hostnames it supplies to catalog groups, privateAddresses
// and clusterDNS.
type Limits struct {
	// MinPrefixLengthIPv4 and MinPrefixLengthIPv6: a network broader than this is
	// refused (--tenant-min-prefix-length-ipv4/-ipv6).
	MinPrefixLengthIPv4, MinPrefixLengthIPv6 int
	// MaxSpacePrefixLengthIPv4 and MaxSpacePrefixLengthIPv6: an allowlist's networks,
	// merged, may cover at most as many addresses as one prefix of this length
	// (--tenant-max-space-prefix-ipv4/-ipv6).
	MaxSpacePrefixLengthIPv4, MaxSpacePrefixLengthIPv6 int
	// AllowRanges are the guard categories besides public an allowlist may name
	// (--tenant-allow-ranges); "private" also lets privateAddresses: Allow through.
	AllowRanges []guard.Category
	// AllowClusterDNS lets an allowlist choose where the cluster DNS runs
	// (--tenant-allow-cluster-dns); otherwise the manager's --cluster-dns-* is used.
	AllowClusterDNS bool
	// MaxHostnames bounds the hostnames of one allowlist (--max-hostnames-per-allowlist).
	MaxHostnames int
	// AllowWildcards lets an allowlist name wildcard hostnames (*.example.com) of its
	// own, in custom entries and customer hostnames (--tenant-allow-wildcards): a
	// wildcard is never resolved by the operator, so the guard never sees what it
	// reaches. A Vendor's wildcards are the admin's, and need no leave.
	AllowWildcards bool
}

// Defaults are the limits of a manager started without --tenant-* flags.
func Defaults() Limits {
	return Limits{
		MinPrefixLengthIPv4: 24, MinPrefixLengthIPv6: 56,
		MaxSpacePrefixLengthIPv4: 20, MaxSpacePrefixLengthIPv6: 48,
		MaxHostnames: 64,
	}
}

// Categories an admin may allow, in the order the flag lists them.
var Categories = []guard.Category{
	guard.CategoryPrivate, guard.CategoryLoopback, guard.CategoryLinkLocal,
	guard.CategoryMulticast, guard.CategoryCluster, guard.CategoryReserved,
}

// ParseCategories reads the value of --tenant-allow-ranges: a comma-separated list.
func ParseCategories(s string) ([]guard.Category, error) {
	var out []guard.Category
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		c := guard.Category(f)
		if !slices.Contains(Categories, c) {
			return nil, fmt.Errorf("unknown range %q: want a comma-separated list of %s", f, joinCategories(Categories))
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

func joinCategories(cs []guard.Category) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

// Widened is l with what a catalog group opens for its own customer networks: its
// ranges, and broader prefixes. nil widens nothing. The broader prefixes are for
// networks within the group's ranges only (For says which limits hold for one network).
func (l Limits) Widened(p *v1alpha1.CustomerCIDRPolicy) Limits {
	if p == nil {
		return l
	}
	w := l
	w.AllowRanges = slices.Clone(l.AllowRanges)
	for _, r := range p.AllowRanges {
		if c := guard.Category(r); !slices.Contains(w.AllowRanges, c) {
			w.AllowRanges = append(w.AllowRanges, c)
		}
	}
	if p.MinPrefixLengthIPv4 != nil {
		w.MinPrefixLengthIPv4 = min(w.MinPrefixLengthIPv4, int(*p.MinPrefixLengthIPv4))
	}
	if p.MinPrefixLengthIPv6 != nil {
		w.MinPrefixLengthIPv6 = min(w.MinPrefixLengthIPv6, int(*p.MinPrefixLengthIPv6))
	}
	return w
}

// For is the limits that hold for the network p an allowlist supplies to a catalog
// group with customerCIDRs w, and whether w widened them for it. The group's ranges
// are open to every network it takes; its broader prefix lengths only to a network
// whose every address is in one of those ranges (the OutSystems VPN's private /16). A
// public network keeps the tenant's prefix length whatever the group says: otherwise
// a group meant for a private VPN range would open public /16s on every port.
func (l Limits) For(g guard.Guard, p netip.Prefix, w *v1alpha1.CustomerCIDRPolicy) (Limits, bool) {
	if w == nil {
		return l, false
	}
	wide := l.Widened(w)
	if Within(g, p, w) {
		return wide, true
	}
	wide.MinPrefixLengthIPv4, wide.MinPrefixLengthIPv6 = l.MinPrefixLengthIPv4, l.MinPrefixLengthIPv6
	return wide, false
}

// Within reports whether every address of p is in a range that customerCIDRs w names.
// Public is not a range w can name, so a network with one public address is never
// within.
func Within(g guard.Guard, p netip.Prefix, w *v1alpha1.CustomerCIDRPolicy) bool {
	if w == nil || len(w.AllowRanges) == 0 {
		return false
	}
	cats := g.PrefixCategories(p)
	for _, c := range cats {
		if !slices.Contains(w.AllowRanges, v1alpha1.AddressRange(c)) {
			return false
		}
	}
	return len(cats) > 0
}

// Allows reports whether the limits let an allowlist name addresses of category c.
func (l Limits) Allows(c guard.Category) bool {
	return c == guard.CategoryPublic || slices.Contains(l.AllowRanges, c)
}

// CheckCIDR says why an allowlist may not name p, or "" when it may.
func (l Limits) CheckCIDR(g guard.Guard, p netip.Prefix) string {
	minBits, flag := l.MinPrefixLengthIPv4, "--tenant-min-prefix-length-ipv4"
	if p.Addr().Is6() {
		minBits, flag = l.MinPrefixLengthIPv6, "--tenant-min-prefix-length-ipv6"
	}
	if p.Bits() < minBits {
		return fmt.Sprintf("a /%d is broader than the /%d an allowlist may name (%s)", p.Bits(), minBits, flag)
	}
	var refused []guard.Category
	for _, c := range g.PrefixCategories(p) {
		if !l.Allows(c) {
			refused = append(refused, c)
		}
	}
	if len(refused) > 0 {
		return fmt.Sprintf("covers %s addresses, which an allowlist may not name (--tenant-allow-ranges)", joinCategories(refused))
	}
	return ""
}

// CheckSpace says why networks, merged, cover more than an allowlist may, or "" when
// they do not.
func (l Limits) CheckSpace(prefixes []netip.Prefix) string {
	return checkSpace(prefixes, l.MaxSpacePrefixLengthIPv4, l.MaxSpacePrefixLengthIPv6,
		"the allowlist's networks", "--tenant-max-space-prefix-ipv4", "--tenant-max-space-prefix-ipv6")
}

// CustomerSpace is the limits for the networks that catalog groups' customerCIDRs
// widened (For): together they may cover as many addresses as one network of the
// broadest prefix length those groups allow, or as the tenant space limit, whichever
// is more. Every network an allowlist supplies counts: those For widened here, the
// others in CheckSpace.
type CustomerSpace struct {
	l      Limits
	groups []string
}

// CustomerSpace starts the limits for widened networks from l.
func (l Limits) CustomerSpace() *CustomerSpace { return &CustomerSpace{l: l} }

// Add widens s by the customerCIDRs w of the group named group.
func (s *CustomerSpace) Add(group string, w *v1alpha1.CustomerCIDRPolicy) {
	wide := s.l.Widened(w)
	s.l.MaxSpacePrefixLengthIPv4 = min(s.l.MaxSpacePrefixLengthIPv4, wide.MinPrefixLengthIPv4)
	s.l.MaxSpacePrefixLengthIPv6 = min(s.l.MaxSpacePrefixLengthIPv6, wide.MinPrefixLengthIPv6)
	if !slices.Contains(s.groups, group) {
		s.groups = append(s.groups, group)
	}
}

// Check says why the widened networks, merged, cover more than s allows, or "".
func (s *CustomerSpace) Check(prefixes []netip.Prefix) string {
	flag := "the broadest minPrefixLength of the customerCIDRs of " + strings.Join(s.groups, ", ") + ", or --tenant-max-space-prefix-ipv"
	return checkSpace(prefixes, s.l.MaxSpacePrefixLengthIPv4, s.l.MaxSpacePrefixLengthIPv6,
		"the networks supplied within the ranges customerCIDRs opens", flag+"4", flag+"6")
}

func checkSpace(prefixes []netip.Prefix, max4, max6 int, what, flag4, flag6 string) string {
	var v4, v6 netipx.IPSetBuilder
	for _, p := range prefixes {
		if p.Addr().Is4() {
			v4.AddPrefix(p)
		} else {
			v6.AddPrefix(p)
		}
	}
	for _, fam := range []struct {
		b    *netipx.IPSetBuilder
		bits int
		max  int
		flag string
	}{
		{&v4, 32, max4, flag4},
		{&v6, 128, max6, flag6},
	} {
		set, _ := fam.b.IPSet()
		total := new(big.Int)
		for _, p := range set.Prefixes() {
			total.Add(total, new(big.Int).Lsh(big.NewInt(1), uint(fam.bits-p.Bits())))
		}
		limit := new(big.Int).Lsh(big.NewInt(1), uint(fam.bits-fam.max))
		if total.Cmp(limit) > 0 {
			return fmt.Sprintf("%s cover %s addresses, merged, more than the %s of one /%d (%s)", what, total, limit, fam.max, fam.flag)
		}
	}
	return ""
}
