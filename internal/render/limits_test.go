/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render_test

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/tenancy"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// limited renders with the manager's default tenant limits and a cluster of
// 10.244.0.0/16 and 10.96.0.0/12.
func limited(t *testing.T, a *v1alpha1.VendorAllowlist, mutate ...func(*tenancy.Limits)) (*render.Plan, []string) {
	t.Helper()
	limits := tenancy.Defaults()
	for _, m := range mutate {
		m(&limits)
	}
	plan, err := render.Compile(a, builtin(), render.Options{
		Limits: &limits,
		Guard:  guard.Guard{Cluster: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("10.96.0.0/12")}},
	})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	var refused []string
	for _, e := range plan.Refused() {
		refused = append(refused, e.Error())
	}
	return plan, refused
}

// allCIDRs lists every ipBlock the plan renders, sorted.
func allCIDRs(plan *render.Plan, resolved render.Resolved) []string {
	var out []string
	for _, np := range plan.Render(resolved) {
		out = append(out, testenv.PolicyCIDRs(&np)...)
	}
	slices.Sort(out)
	return out
}

// What an allowlist writes beyond the limits is left out, named with the field and
// the flag; the rest renders.
func TestLimitsLeaveOutWhatTheyRefuse(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cidrs   []string
		kept    []string
		refused []string // substrings, one per refused entry, in order
	}{
		{"two halves", []string{"0.0.0.0/1", "128.0.0.0/1", "52.1.37.96/32"}, []string{"52.1.37.96/32"},
			[]string{"spec.custom[0].cidrs[0]: Forbidden: 0.0.0.0/1: a /1 is broader than the /24", "spec.custom[0].cidrs[1]: Forbidden: 128.0.0.0/1"}},
		{"IPv6 halves", []string{"::/1", "8000::/1"}, nil, []string{"::/1: a /1", "8000::/1: a /1"}},
		{"metadata service", []string{"169.254.169.254/32"}, nil, []string{"covers link-local addresses, which an allowlist may not name (--tenant-allow-ranges)"}},
		{"loopback", []string{"127.0.0.0/8"}, nil, []string{"a /8 is broader"}},
		{"pod range", []string{"10.244.3.0/24"}, nil, []string{"covers cluster addresses"}},
		{"service range", []string{"10.96.0.10/32"}, nil, []string{"covers cluster addresses"}},
		{"NAT64 of the service range", []string{"64:ff9b::a60:a/128"}, nil, []string{"covers cluster addresses"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cidrs []v1alpha1.CIDR
			for _, c := range tc.cidrs {
				cidrs = append(cidrs, v1alpha1.CIDR(c))
			}
			a := parseAllowlist(t, `
metadata: {name: partner, namespace: team-a}
spec:
  podSelector: {}
  custom:
  - name: partner
    direction: Egress
    ports: [{port: 443}]
`)
			a.Spec.Custom[0].CIDRs = cidrs
			plan, refused := limited(t, a)
			if got := allCIDRs(plan, nil); !slices.Equal(got, tc.kept) {
				t.Errorf("rendered %v, want %v", got, tc.kept)
			}
			if len(refused) != len(tc.refused) {
				t.Fatalf("refused %q, want %d entries", refused, len(tc.refused))
			}
			for i, want := range tc.refused {
				if !strings.Contains(refused[i], want) {
					t.Errorf("refusal %d: %q, want it to contain %q", i, refused[i], want)
				}
			}
		})
	}
}

func TestLimitsOnCustomerCIDRsPrivateAndClusterDNS(t *testing.T) {
	a := parseAllowlist(t, `
metadata: {name: os, namespace: team-a}
spec:
  podSelector: {}
  clusterDNS: {namespace: team-b}
  vendors:
  - name: outsystems
    endpoints: [vpn]
    cidrs: [10.20.0.0/16]
    ports: [{port: 443}]
  custom:
  - name: api
    direction: Egress
    hostnames: [api.partner.example]
    privateAddresses: Allow
    ports: [{port: 443}]
`)
	// The catalog opens private networks as broad as a /16 for OutSystems' VPN group
	// (and for it alone); broader, or loopback (which is not within private, so held
	// to the tenant's /24), stays refused.
	a.Spec.Vendors[0].CIDRs = append(a.Spec.Vendors[0].CIDRs, "172.16.0.0/12", "127.0.0.0/16")
	plan, refused := limited(t, a)
	want := []string{
		"spec.clusterDNS: Forbidden: clusterDNS: the cluster DNS is where the admin says (pods k8s-app=kube-dns in namespace kube-system)",
		"spec.custom[0].privateAddresses: Forbidden: Allow: private addresses are not among the ranges",
		"spec.vendors[0].cidrs[1]: Forbidden: 172.16.0.0/12: a /12 is broader than the /16",
		"spec.vendors[0].cidrs[2]: Forbidden: 127.0.0.0/16: a /16 is broader than the /24 an allowlist may name (--tenant-min-prefix-length-ipv4); the broader networks outsystems/vpn takes (customerCIDRs) must lie within private ranges",
	}
	slices.Sort(refused)
	if len(refused) != len(want) {
		t.Fatalf("refused %q", refused)
	}
	for i := range want {
		if !strings.HasPrefix(refused[i], want[i]) {
			t.Errorf("refusal %q, want it to start with %q", refused[i], want[i])
		}
	}
	resolved := render.Resolved{"api.partner.example": {netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("52.1.37.96")}}
	if got := allCIDRs(plan, resolved); !slices.Equal(got, []string{"10.20.0.0/16", "52.1.37.96/32"}) {
		t.Errorf("rendered %v: want the VPN's /16 and the public answer; the private answer must stay blocked", got)
	}
	egress := plan.Render(resolved)[1]
	if ns := egress.Spec.Egress[0].To[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]; ns != "kube-system" {
		t.Errorf("the DNS rule opens namespace %q, want the admin's kube-system", ns)
	}

	// The admin widens: private ranges and the allowlist's own cluster DNS.
	a.Spec.Vendors[0].CIDRs = a.Spec.Vendors[0].CIDRs[:1]
	plan, refused = limited(t, a, func(l *tenancy.Limits) {
		l.AllowRanges = []guard.Category{guard.CategoryPrivate}
		l.MinPrefixLengthIPv4, l.MaxSpacePrefixLengthIPv4 = 16, 16
		l.AllowClusterDNS = true
	})
	if len(refused) != 0 {
		t.Fatalf("widened limits still refuse %q", refused)
	}
	if got := allCIDRs(plan, resolved); !slices.Equal(got, []string{"10.1.2.3/32", "10.20.0.0/16", "52.1.37.96/32"}) {
		t.Errorf("widened: rendered %v", got)
	}
}

// The OutSystems VPN group's customerCIDRs (private, /16) widens what it names and
// nothing else: public networks supplied to it keep the tenant's /24, and count toward
// the tenant's /20 of space; the private ones count toward one /16 of their own.
func TestCustomerCIDRsWidenOnlyTheirRanges(t *testing.T) {
	a := parseAllowlist(t, `
metadata: {name: os, namespace: team-a}
spec:
  podSelector: {}
  vendors:
  - name: outsystems
    endpoints: [vpn]
    allPorts: true
`)
	// The attack: public /16s through the VPN group.
	for i := range 64 {
		a.Spec.Vendors[0].CIDRs = append(a.Spec.Vendors[0].CIDRs, v1alpha1.CIDR(fmt.Sprintf("%d.0.0.0/16", 11+i)))
	}
	plan, refused := limited(t, a)
	if len(refused) != 64 || !strings.HasPrefix(refused[0], "spec.vendors[0].cidrs[0]: Forbidden: 11.0.0.0/16: a /16 is broader than the /24 an allowlist may name (--tenant-min-prefix-length-ipv4)") {
		t.Fatalf("refused %d: %.300q", len(refused), refused)
	}
	if got := allCIDRs(plan, nil); len(got) != 0 {
		t.Fatalf("rendered %v", got)
	}

	// The VPN's private /16 beside 16 public /24s: each within its own limit.
	a.Spec.Vendors[0].CIDRs = []v1alpha1.CIDR{"10.20.0.0/16", "fd12:3456:789a::/48"}
	for i := range 16 {
		a.Spec.Vendors[0].CIDRs = append(a.Spec.Vendors[0].CIDRs, v1alpha1.CIDR(fmt.Sprintf("52.1.%d.0/24", i)))
	}
	plan, refused = limited(t, a)
	if len(refused) != 0 || len(allCIDRs(plan, nil)) != 18 {
		t.Fatalf("refused %q, rendered %v", refused, allCIDRs(plan, nil))
	}

	// A 17th public /24 is beyond the tenant's /20: the VPN group does not widen that.
	a.Spec.Vendors[0].CIDRs = append(a.Spec.Vendors[0].CIDRs, "52.1.16.0/24")
	plan, refused = limited(t, a)
	if len(refused) != 1 || !strings.Contains(refused[0], "the allowlist's networks cover 4352 addresses, merged, more than the 4096 of one /20 (--tenant-max-space-prefix-ipv4) (spec.custom[].cidrs and spec.vendors[].cidrs)") {
		t.Fatalf("refused %q", refused)
	}
	if got := allCIDRs(plan, nil); len(got) != 0 {
		t.Fatalf("rendered %v beyond the space limit", got)
	}

	// Two private /16s are more than the one /16 the group opens.
	a.Spec.Vendors[0].CIDRs = []v1alpha1.CIDR{"10.20.0.0/16", "10.21.0.0/16"}
	_, refused = limited(t, a)
	if len(refused) != 1 || !strings.Contains(refused[0], "the networks supplied within the ranges customerCIDRs opens cover 131072 addresses, merged, more than the 65536 of one /16 (the broadest minPrefixLength of the customerCIDRs of outsystems/vpn, or --tenant-max-space-prefix-ipv4)") {
		t.Fatalf("refused %q", refused)
	}
}

func TestLimitsOnTotalSpaceAndHostnames(t *testing.T) {
	a := parseAllowlist(t, `
metadata: {name: wide, namespace: team-a}
spec:
  podSelector: {}
  vendors:
  - name: workato
    endpoints: [opa-gateways]
  custom:
  - name: partner
    direction: Egress
    ports: [{port: 443}]
`)
	for i := range 17 {
		a.Spec.Custom[0].CIDRs = append(a.Spec.Custom[0].CIDRs, v1alpha1.CIDR(fmt.Sprintf("52.1.%d.0/24", i)))
	}
	plan, refused := limited(t, a)
	if len(refused) != 1 || !strings.Contains(refused[0], "cover 4352 addresses, merged, more than the 4096 of one /20 (--tenant-max-space-prefix-ipv4)") {
		t.Fatalf("refused %q", refused)
	}
	for _, c := range allCIDRs(plan, nil) {
		if strings.HasPrefix(c, "52.1.") {
			t.Fatalf("a network of the allowlist was rendered beyond the total: %s", c)
		}
	}
	if got := allCIDRs(plan, nil); len(got) != 9 {
		t.Fatalf("the catalog's 9 gateway addresses must stay: %v", got)
	}

	a.Spec.Custom[0].CIDRs = nil
	for i := range 70 {
		a.Spec.Custom[0].Hostnames = append(a.Spec.Custom[0].Hostnames, v1alpha1.Hostname(fmt.Sprintf("h%d.partner.example", i)))
	}
	plan, refused = limited(t, a)
	if len(refused) != 1 || !strings.Contains(refused[0], "names 73 hostnames, more than the 64 an allowlist may (--max-hostnames-per-allowlist)") {
		t.Fatalf("refused %q", refused)
	}
	if got := plan.Hostnames(); !slices.Equal(got, []string{"sg.workato.com", "sg1.workato.com", "sg2.workato.com"}) {
		t.Fatalf("hostnames %v, want only the catalog's", got)
	}
}

// A direction whose every address is gone (all deprecated, or no answer) is empty.
func TestEmptyDirections(t *testing.T) {
	a := parseAllowlist(t, `
metadata: {name: fe, namespace: team-a}
spec:
  podSelector: {}
  vendors:
  - name: outsystems
    endpoints: [front-ends]
    hostnames: [fe1.customer.example]
    ports: [{port: 443}]
  - name: workato
    endpoints: [opa-gateways]
`)
	plan := compile(t, a)
	if got := plan.Build(nil).Empty; !slices.Equal(got, []v1alpha1.Direction{v1alpha1.DirectionIngress}) {
		t.Fatalf("Empty(no answers) = %v, want Ingress only (the gateways are published)", got)
	}
	if got := plan.Build(render.Resolved{"fe1.customer.example": {netip.MustParseAddr("52.1.37.96")}}).Empty; len(got) != 0 {
		t.Fatalf("Empty(answered) = %v", got)
	}
}
