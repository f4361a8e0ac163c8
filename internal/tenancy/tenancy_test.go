/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package tenancy

import (
	"net/netip"
	"strings"
	"testing"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
)

func TestCheckCIDR(t *testing.T) {
	g := guard.Guard{Cluster: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("10.96.0.0/12")}}
	withPrivate := Defaults()
	withPrivate.AllowRanges = []guard.Category{guard.CategoryPrivate}
	for _, tc := range []struct {
		cidr   string
		limits Limits
		want   string // a substring of the refusal; "" when allowed
	}{
		{"52.1.37.96/32", Defaults(), ""},
		{"52.1.37.0/24", Defaults(), ""},
		{"52.1.36.0/23", Defaults(), "a /23 is broader than the /24"},
		{"0.0.0.0/1", Defaults(), "a /1 is broader"},
		{"128.0.0.0/1", Defaults(), "a /1 is broader"},
		{"::/1", Defaults(), "a /1 is broader"},
		{"8000::/1", Defaults(), "a /1 is broader"},
		{"169.254.169.254/32", Defaults(), "covers link-local addresses"},
		{"127.0.0.0/24", Defaults(), "covers loopback addresses"},
		{"10.244.1.0/24", Defaults(), "covers cluster addresses"},
		{"10.244.1.0/24", withPrivate, "covers cluster addresses"},
		{"10.20.0.0/24", Defaults(), "covers private addresses"},
		{"10.20.0.0/24", withPrivate, ""},
		{"64:ff9b::a00:0/120", withPrivate, ""}, // NAT64 of 10.0.0.0/24: private, allowed
		{"64:ff9b::7f00:0/120", withPrivate, "covers loopback addresses"},
		{"203.0.113.0/24", Defaults(), "covers reserved addresses"},
		{"2001:db8:4e::/56", Defaults(), "covers reserved addresses"},
	} {
		got := tc.limits.CheckCIDR(g, netip.MustParsePrefix(tc.cidr))
		switch {
		case tc.want == "" && got != "":
			t.Errorf("%s: refused (%s), want allowed", tc.cidr, got)
		case tc.want != "" && !strings.Contains(got, tc.want):
			t.Errorf("%s: %q, want a refusal containing %q", tc.cidr, got, tc.want)
		}
	}
}

func TestCheckSpaceMergesBeforeCounting(t *testing.T) {
	l := Defaults() // a /20: 4,096 IPv4 addresses
	var sixteen []netip.Prefix
	for i := range 16 {
		sixteen = append(sixteen, netip.PrefixFrom(netip.AddrFrom4([4]byte{52, 1, byte(i), 0}), 24))
	}
	if why := l.CheckSpace(sixteen); why != "" {
		t.Fatalf("16 /24s (4,096 addresses) refused: %s", why)
	}
	// The same /24 twice, and one inside another, count once.
	dup := append(sixteen, sixteen[0], netip.MustParsePrefix("52.1.0.7/32"))
	if why := l.CheckSpace(dup); why != "" {
		t.Fatalf("duplicates counted twice: %s", why)
	}
	over := append(sixteen, netip.MustParsePrefix("52.2.0.0/32"))
	if why := l.CheckSpace(over); !strings.Contains(why, "4097 addresses") || !strings.Contains(why, "--tenant-max-space-prefix-ipv4") {
		t.Fatalf("4,097 addresses: %q, want a refusal naming the count and the flag", why)
	}
}

func TestParseCategories(t *testing.T) {
	got, err := ParseCategories(" private,cluster,private ")
	if err != nil || len(got) != 2 || got[0] != guard.CategoryPrivate || got[1] != guard.CategoryCluster {
		t.Fatalf("ParseCategories = %v, %v", got, err)
	}
	if _, err := ParseCategories("public"); err == nil || !strings.Contains(err.Error(), "private, loopback, link-local, multicast, cluster, reserved") {
		t.Fatalf("an unknown range: %v, want an error listing the known ones", err)
	}
}

// A group's customerCIDRs widens the prefix length for networks wholly within the
// ranges it names, and for no other: the OutSystems VPN group's (private, /16) must not
// let a public /16 through.
func TestForWidensOnlyTheNamedRanges(t *testing.T) {
	g := guard.Guard{Cluster: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")}}
	v4, v6 := int32(16), int32(48)
	vpn := &v1alpha1.CustomerCIDRPolicy{AllowRanges: []v1alpha1.AddressRange{"private"}, MinPrefixLengthIPv4: &v4, MinPrefixLengthIPv6: &v6}
	noRanges := &v1alpha1.CustomerCIDRPolicy{MinPrefixLengthIPv4: &v4}
	for _, tc := range []struct {
		cidr  string
		w     *v1alpha1.CustomerCIDRPolicy
		wide  bool
		allow bool
	}{
		{"10.20.0.0/16", vpn, true, true},
		{"fd12:3456:789a::/48", vpn, true, true},
		{"172.16.0.0/12", vpn, true, false}, // within private, broader than the /16
		{"10.0.0.0/8", vpn, false, false},   // around the cluster's range
		{"8.0.0.0/16", vpn, false, false},
		{"2a00:1450::/48", vpn, false, false},
		{"52.1.37.0/24", vpn, false, true},
		{"10.244.0.0/16", vpn, false, false}, // the cluster's: not private
		{"127.0.0.0/16", vpn, false, false},
		{"8.0.0.0/16", noRanges, false, false},
		{"10.20.0.0/16", nil, false, false},
	} {
		p := netip.MustParsePrefix(tc.cidr)
		l, wide := Defaults().For(g, p, tc.w)
		why := l.CheckCIDR(g, p)
		if wide != tc.wide || (why == "") != tc.allow {
			t.Errorf("%s: widened %v, refusal %q; want widened %v, allowed %v", tc.cidr, wide, why, tc.wide, tc.allow)
		}
	}
}
