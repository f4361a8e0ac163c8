package vendorchange

import (
	"strings"
	"testing"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

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

func TestSummarizeMergesAndSkipsDeprecated(t *testing.T) {
	g := group("webhooks", v1alpha1.DirectionIngress, "198.51.100.0/24", "198.51.100.7/32", "2001:db8::1/128", "2001:db8::2/128")
	g.Addresses = append(g.Addresses, v1alpha1.PublishedAddress{CIDR: "203.0.113.0/24", Deprecated: &v1alpha1.Deprecation{Since: "2020-01-01"}})
	g.Hostnames = []v1alpha1.PublishedHostname{{Name: "hooks.example.com", Addresses: []v1alpha1.CIDR{"203.0.113.9/32"}}}
	got := Summarize(spec(g))
	want := v1alpha1.EndpointSummary{Name: "webhooks", Direction: v1alpha1.DirectionIngress, Entries: 5, IPv4Addresses: 257, IPv6Networks: 1}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("Summarize = %+v, want %+v", got, want)
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

	for _, tc := range []struct {
		name  string
		after v1alpha1.VendorSpec
		want  []string // Change of each finding, in order
	}{
		{"unchanged", base, nil},
		{"one address more", *oneMore, nil},
		{"half of a group removed is within 50%", *halfGone, nil},
		{"every address of a group deprecated", *deprecateAll, []string{"emptied"}},
		{"two halves added", *halves, []string{"widened"}},
		{"three of four removed", *shrink, []string{"shrank"}},
		{"group removed", *removed.DeepCopy(), []string{"removed"}},
		{"group added covering ::/1", *addedWide, []string{"added"}},
		{"narrow group added", *addedNarrow, nil},
		{"a /40 of IPv6 added", *v6wide, []string{"widened"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			findings := Compare(Summarize(base), Summarize(tc.after), DefaultBounds())
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
