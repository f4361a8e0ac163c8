/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package vendorchange

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
)

// docs is the guard of a lab whose admin counts the documentation ranges, which the
// tests use for vendors, as public (--guard-allow-cidr).
var docs = guard.Guard{Allow: []netip.Prefix{
	netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32"),
}}

func group(name string, dir v1alpha1.Direction, cidrs ...string) v1alpha1.EndpointGroup {
	g := v1alpha1.EndpointGroup{Name: v1alpha1.ObjectName(name), Direction: dir}
	for _, c := range cidrs {
		g.Addresses = append(g.Addresses, v1alpha1.PublishedAddress{CIDR: v1alpha1.CIDR(c)})
	}
	return g
}

func spec(groups ...v1alpha1.EndpointGroup) v1alpha1.VendorSpec {
	return v1alpha1.VendorSpec{Endpoints: groups}
}

// The counts are what a group opens by default; the addresses are every network it
// publishes, deprecated ones included, since an allowlist may render those too.
func TestSummarizeMergesAndSkipsDeprecated(t *testing.T) {
	g := group("webhooks", v1alpha1.DirectionIngress, "198.51.100.0/24", "198.51.100.7/32", "2001:db8::1/128", "2001:db8::2/128")
	g.Addresses = append(g.Addresses, v1alpha1.PublishedAddress{CIDR: "203.0.113.0/25", Deprecated: &v1alpha1.Deprecation{Since: "2020-01-01"}})
	g.Hostnames = []v1alpha1.PublishedHostname{{Name: "hooks.example.com", Addresses: []v1alpha1.CIDR{"203.0.113.200/32"}}}
	got := Summarize(spec(g))
	want := v1alpha1.EndpointSummary{Name: "webhooks", Direction: v1alpha1.DirectionIngress, Entries: 5, IPv4Addresses: 257, IPv6Networks: 1,
		Addresses: []string{"198.51.100.0/24", "203.0.113.0/25", "203.0.113.200/32", "2001:db8::1/128", "2001:db8::2/128"}}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("Summarize = %+v, want %+v", got, want)
	}
}

// A group of more networks than the status holds keeps none in the baseline.
func TestBaselineLeavesOutWhatTheStatusCannotHold(t *testing.T) {
	var cidrs []string
	for i := range maxBaselineAddresses + 1 {
		cidrs = append(cidrs, netip.PrefixFrom(netip.AddrFrom4([4]byte{8, byte(i >> 7), byte(i << 1), 0}), 32).String())
	}
	sum := Summarize(spec(group("big", v1alpha1.DirectionIngress, cidrs...), group("small", v1alpha1.DirectionIngress, "8.8.8.8/32")))
	base := Baseline(sum)
	if len(sum[0].Addresses) != maxBaselineAddresses+1 || base[0].Addresses != nil || len(base[1].Addresses) != 1 {
		t.Fatalf("Baseline kept %d and %d networks, want 0 and 1 (Summarize: %d)", len(base[0].Addresses), len(base[1].Addresses), len(sum[0].Addresses))
	}
	// Every network of the big group then counts as added: held, not let through unseen.
	if f := Compare(base, sum, DefaultBounds(), docs); len(f) != 1 || f[0].Change != "widened" {
		t.Fatalf("Compare with an omitted baseline = %v, want widened", f)
	}
}

func TestCompare(t *testing.T) {
	base := spec(
		group("inbound", v1alpha1.DirectionIngress, "198.51.100.1/32", "198.51.100.2/32", "198.51.100.3/32", "198.51.100.4/32"),
		group("gateways", v1alpha1.DirectionEgress, "203.0.113.1/32", "203.0.113.2/32"),
	)
	deprecateAll := base.DeepCopy()
	for i := range deprecateAll.Endpoints[1].Addresses {
		deprecateAll.Endpoints[1].Addresses[i].Deprecated = &v1alpha1.Deprecation{Since: "2026-11-30"}
	}
	halves := base.DeepCopy()
	halves.Endpoints[0].Addresses = append(halves.Endpoints[0].Addresses,
		v1alpha1.PublishedAddress{CIDR: "0.0.0.0/1"}, v1alpha1.PublishedAddress{CIDR: "128.0.0.0/1"})
	oneMore := base.DeepCopy()
	oneMore.Endpoints[0].Addresses = append(oneMore.Endpoints[0].Addresses, v1alpha1.PublishedAddress{CIDR: "198.51.100.5/32"})
	shrink := base.DeepCopy()
	shrink.Endpoints[0].Addresses = shrink.Endpoints[0].Addresses[:1]
	halfGone := base.DeepCopy()
	halfGone.Endpoints[0].Addresses = halfGone.Endpoints[0].Addresses[:2]
	removed := spec(base.Endpoints[0])
	addedWide := base.DeepCopy()
	addedWide.Endpoints = append(addedWide.Endpoints, group("new", v1alpha1.DirectionIngress, "::/1"))
	addedNarrow := base.DeepCopy()
	addedNarrow.Endpoints = append(addedNarrow.Endpoints, group("new", v1alpha1.DirectionIngress, "198.51.100.0/28"))
	v6wide := base.DeepCopy()
	v6wide.Endpoints[1].Addresses = append(v6wide.Endpoints[1].Addresses, v1alpha1.PublishedAddress{CIDR: "2001:db8::/40"})
	// Swaps: the counts stay, the addresses move.
	public := spec(group("inbound", v1alpha1.DirectionIngress, "8.8.0.0/24", "8.8.1.0/24", "8.8.2.0/24", "8.8.3.0/24"))
	swap := func(i int, cidr string) v1alpha1.VendorSpec {
		s := public.DeepCopy()
		s.Endpoints[0].Addresses[i].CIDR = v1alpha1.CIDR(cidr)
		return *s
	}
	swapTwo := public.DeepCopy()
	swapTwo.Endpoints[0].Addresses[0].CIDR, swapTwo.Endpoints[0].Addresses[1].CIDR = "9.9.0.0/24", "9.9.1.0/24"
	swapThree := swapTwo.DeepCopy()
	swapThree.Endpoints[0].Addresses[2].CIDR = "9.9.2.0/24"
	deprecatedHalf := base.DeepCopy()
	deprecatedHalf.Endpoints[0].Addresses = append(deprecatedHalf.Endpoints[0].Addresses,
		v1alpha1.PublishedAddress{CIDR: "0.0.0.0/1", Deprecated: &v1alpha1.Deprecation{Since: "2026-12-01"}})

	for _, tc := range []struct {
		name          string
		before, after v1alpha1.VendorSpec
		want          []string // Change of each finding, in order
	}{
		{"unchanged", base, base, nil},
		{"one address more", base, *oneMore, nil},
		{"half of a group removed is within 50%", base, *halfGone, nil},
		{"every address of a group deprecated", base, *deprecateAll, []string{"emptied"}},
		{"two halves added", base, *halves, []string{"forbidden", "widened"}},
		{"three of four removed", base, *shrink, []string{"shrank"}},
		{"group removed", base, *removed.DeepCopy(), []string{"removed"}},
		{"group added covering ::/1", base, *addedWide, []string{"forbidden", "added"}},
		{"narrow group added", base, *addedNarrow, nil},
		{"a /40 of IPv6 added", base, *v6wide, []string{"widened"}},
		{"a public /24 swapped for 10.0.0.0/24", public, swap(0, "10.0.0.0/24"), []string{"forbidden"}},
		{"a public /24 swapped for 169.254.169.0/24", public, swap(1, "169.254.169.0/24"), []string{"forbidden"}},
		{"a public /24 swapped for another public /24", public, swap(2, "9.9.9.0/24"), nil},
		{"two public /24s swapped for two others", public, *swapTwo, []string{"replaced"}},
		{"three of four public /24s swapped", public, *swapThree, []string{"replaced", "dropped"}},
		{"a deprecated 0.0.0.0/1 added", base, *deprecatedHalf, []string{"forbidden", "widened"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			findings := Compare(Baseline(Summarize(tc.before)), Summarize(tc.after), DefaultBounds(), docs)
			var got []string
			for _, f := range findings {
				got = append(got, f.Change)
				if !strings.Contains(f.String(), string(f.Group)) {
					t.Errorf("finding %q does not name its group", f.String())
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("Compare = %v, want %v (%v)", got, tc.want, findings)
			}
		})
	}
}

func TestBoundsFromPrefixLengths(t *testing.T) {
	b := BoundsFromPrefixLengths(50, 24, 48)
	if b != DefaultBounds() {
		t.Fatalf("BoundsFromPrefixLengths(50, 24, 48) = %+v, want the defaults %+v", b, DefaultBounds())
	}
}

// A finding says what moved, so the admin who approves it knows what they approve.
func TestFindingsNameWhatMoved(t *testing.T) {
	before := spec(group("inbound", v1alpha1.DirectionIngress, "8.8.0.0/24", "8.8.1.0/24"))
	after := spec(group("inbound", v1alpha1.DirectionIngress, "10.0.0.0/24", "169.254.169.0/24"))
	var msgs []string
	for _, f := range Compare(Baseline(Summarize(before)), Summarize(after), DefaultBounds(), docs) {
		msgs = append(msgs, f.String())
	}
	got := strings.Join(msgs, "; ")
	for _, want := range []string{
		"group inbound adds networks in ranges the guard forbids (link-local, private): 10.0.0.0/24, 169.254.169.0/24",
		"group inbound swaps addresses for others: it adds 512 IPv4 addresses and 0 IPv6 /64 networks it did not have, no more than it removes: 10.0.0.0/24, 169.254.169.0/24",
		"group inbound removes 512 of its 512 IPv4 addresses and 0 of its 0 IPv6 /64 networks: 8.8.0.0/23",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("findings %q\nlack %q", got, want)
		}
	}
}
