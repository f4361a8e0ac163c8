/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render_test

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/tenancy"
)

func withBackend(b render.EgressBackend) render.Options {
	o := opts
	o.EgressBackend = b
	return o
}

// TestNetworkPolicyBackendSaysSoPerRule: without a name backend every egress rule
// with hostnames says networkpolicy enforces it, and nothing else is written.
func TestNetworkPolicyBackendSaysSoPerRule(t *testing.T) {
	for _, b := range []render.EgressBackend{"", render.BackendNetworkPolicy} {
		plan, err := render.Compile(loadAllowlist(t, "workato-all.yaml"), builtin(), withBackend(b))
		if err != nil {
			t.Fatal(err)
		}
		res := plan.Build(nil)
		var rules []string
		for _, r := range res.EgressRules {
			if r.Backend != string(render.BackendNetworkPolicy) || r.Names != 0 || r.Message != "" {
				t.Errorf("backend %q: %+v, want networkpolicy, no names, no message", b, r)
			}
			rules = append(rules, r.Rule)
		}
		if want := []string{"workato/opa-gateways", "workato/web"}; !slices.Equal(rules, want) {
			t.Errorf("backend %q: status.egress for %v, want %v (egress rules with hostnames)", b, rules, want)
		}
		if len(res.EgressObjects) != 0 {
			t.Errorf("backend %q wrote %d objects", b, len(res.EgressObjects))
		}
	}
}

func TestCompileRefusesAnUnknownBackend(t *testing.T) {
	_, err := render.Compile(loadAllowlist(t, "workato-all.yaml"), builtin(), withBackend(render.BackendAuto))
	if err == nil || !strings.Contains(err.Error(), "auto") || !strings.Contains(err.Error(), "DetectBackend") {
		t.Fatalf("Compile with auto = %v, want an error saying auto is resolved first", err)
	}
}

const wildcardEntry = `
custom:
  - name: partner
    direction: %s
    hostnames: ["*.partner.example.com", api.partner.example.com]
    ports: [%s]
`

func wildcardAllowlist(t *testing.T, direction, ports string, allowDNS bool) *v1alpha1.VendorAllowlist {
	t.Helper()
	a := parseAllowlist(t, "metadata: {name: wild, namespace: partners}\nspec:\n  podSelector: {}\n"+
		strings.ReplaceAll(strings.Replace(strings.Replace(wildcardEntry, "%s", direction, 1), "%s", ports, 1), "\n", "\n  "))
	a.Spec.AllowDNS = &allowDNS
	return a
}

// TestWildcardsOnlyWhereEnforced: a wildcard fails compiling, naming the field and
// the fix, wherever nothing can enforce it.
func TestWildcardsOnlyWhereEnforced(t *testing.T) {
	for _, tc := range []struct {
		name             string
		backend          render.EgressBackend
		direction, ports string
		allowDNS         bool
		says             string
	}{
		{"networkpolicy", render.BackendNetworkPolicy, "Egress", "{port: 443}", true, "list each hostname, or run a backend that enforces names: docs/fqdn.md"},
		{"default backend", "", "Egress", "{port: 443}", true, "docs/fqdn.md"},
		{"ingress", render.BackendCilium, "Ingress", "{port: 443}", true, "no dataplane enforces names for traffic the vendor sends"},
		{"cilium without DNS", render.BackendCilium, "Egress", "{port: 443}", false, "set allowDNS: true"},
		{"gke and SCTP", render.BackendGKE, "Egress", "{protocol: SCTP, port: 9000}", true, "TCP and UDP ports only"},
		{"ovn and a range", render.BackendOVN, "Egress", "{port: 8000, endPort: 8080}", true, "single ports"},
		{"clusternetworkpolicy matches deeper names", render.BackendClusterNetworkPolicy, "Egress", "{port: 443}", true, "does not enforce a wildcard as one label below the name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render.Compile(wildcardAllowlist(t, tc.direction, tc.ports, tc.allowDNS), builtin(), withBackend(tc.backend))
			var rerr *render.Error
			if !errors.As(err, &rerr) || rerr.Reason != v1alpha1.ReasonInvalidSpec {
				t.Fatalf("Compile = %v, want an InvalidSpec *render.Error", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, `spec.custom[0].hostnames: Invalid value: "*.partner.example.com"`) || !strings.Contains(msg, tc.says) {
				t.Fatalf("error %q does not name the field and say %q", msg, tc.says)
			}
		})
	}
}

// TestWildcardByName: with a backend that enforces it, a wildcard is written as the
// backend's pattern, never sent to DNS, and counted as a hostname by the limits.
func TestWildcardByName(t *testing.T) {
	plan, err := render.Compile(wildcardAllowlist(t, "Egress", "{port: 443}", true), builtin(), withBackend(render.BackendCilium))
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Hostnames(); !slices.Equal(got, []string{"api.partner.example.com"}) {
		t.Fatalf("Hostnames = %v, want only the name DNS can answer", got)
	}
	res := plan.Build(nil)
	fqdns, _, _ := unstructured.NestedSlice(res.EgressObjects[0].Object, "spec", "egress")
	got := fqdns[1].(map[string]any)["toFQDNs"]
	want := []any{map[string]any{"matchPattern": "*.partner.example.com"}, map[string]any{"matchName": "api.partner.example.com"}}
	if !slices.EqualFunc(got.([]any), want, func(a, b any) bool {
		return a.(map[string]any)["matchName"] == b.(map[string]any)["matchName"] && a.(map[string]any)["matchPattern"] == b.(map[string]any)["matchPattern"]
	}) {
		t.Fatalf("toFQDNs = %v, want %v", got, want)
	}
	if res.EgressRules[0].Names != 2 || res.EgressRules[0].Backend != "cilium" {
		t.Fatalf("status.egress = %+v, want cilium with 2 names", res.EgressRules[0])
	}
}

// TestTenantWildcardsNeedTheAdmin: with tenant limits, an allowlist's own wildcard
// is left out and named in Refused unless the admin allows wildcards; the catalog's
// are the admin's already. Wildcards count toward the hostname limit.
func TestTenantWildcardsNeedTheAdmin(t *testing.T) {
	limits := tenancy.Defaults()
	o := withBackend(render.BackendCilium)
	o.Limits = &limits
	a := wildcardAllowlist(t, "Egress", "{port: 443}", true)
	plan, err := render.Compile(a, builtin(), o)
	if err != nil {
		t.Fatal(err)
	}
	if msg := plan.Refused().ToAggregate().Error(); !strings.Contains(msg, "*.partner.example.com") || !strings.Contains(msg, "--tenant-allow-wildcards") {
		t.Fatalf("Refused = %q, want the wildcard named with the flag", msg)
	}
	if n := plan.Build(nil).EgressRules[0].Names; n != 1 {
		t.Fatalf("%d names by name, want the one that is not a wildcard", n)
	}

	limits.AllowWildcards = true
	limits.MaxHostnames = 1
	plan, err = render.Compile(a, builtin(), o)
	if err != nil {
		t.Fatal(err)
	}
	if msg := plan.Refused().ToAggregate().Error(); !strings.Contains(msg, "names 2 hostnames") {
		t.Fatalf("Refused = %q, want the wildcard counted toward --max-hostnames-per-allowlist", msg)
	}
}

// TestGuardedAnswersFallBack: a hostname whose answers the guard refuses, or which
// are private where the entry does not allow them, stays on its addresses, with a
// message naming it; the same private answer with privateAddresses: Allow does not.
func TestGuardedAnswersFallBack(t *testing.T) {
	a := loadAllowlist(t, "workato-opa-gateways.yaml")
	plan, err := render.Compile(a, builtin(), withBackend(render.BackendCilium))
	if err != nil {
		t.Fatal(err)
	}
	res := plan.BuildAnswers(render.Answers{
		Resolved: render.Resolved{"sg1.workato.com": addrs(t, "10.1.2.3", "3.210.10.10")},
		Blocked:  map[string]int{"sg2.workato.com": 2},
	})
	st := res.EgressRules[0]
	if st.Backend != "cilium" || st.Names != 1 || !strings.Contains(st.Message, "sg1.workato.com (DNS answered private address(es) its entry does not allow: 10.1.2.3)") ||
		!strings.Contains(st.Message, "sg2.workato.com (DNS answered 2 address(es) the guard forbids)") {
		t.Fatalf("status.egress = %+v, want sg.workato.com by name and sg1, sg2 named as falling back", st)
	}
	if !slices.Contains(cidrsOf(res.Policies[0].Spec.Egress[1].To), "3.210.10.10/32") {
		t.Fatalf("sg1 fell back, but its public answer is not in the NetworkPolicy")
	}
	if slices.Contains(cidrsOf(res.Policies[0].Spec.Egress[1].To), "10.1.2.3/32") {
		t.Fatalf("the private answer the entry does not allow is in the NetworkPolicy")
	}

	a.Spec.Vendors[0].PrivateAddresses = v1alpha1.PrivateAddressesAllow
	plan, err = render.Compile(a, builtin(), withBackend(render.BackendCilium))
	if err != nil {
		t.Fatal(err)
	}
	res = plan.BuildAnswers(render.Answers{Resolved: render.Resolved{"sg1.workato.com": []netip.Addr{netip.MustParseAddr("10.1.2.3")}}})
	if st := res.EgressRules[0]; st.Names != 3 || st.Message != "" {
		t.Fatalf("status.egress = %+v, want all three by name when the entry allows private addresses", st)
	}
}

// TestClusterNetworkPolicyHoldsAtMost25Rules: the rules past the schema's bound
// fall back to their addresses, saying so, and the object stays valid.
func TestClusterNetworkPolicyHoldsAtMost25Rules(t *testing.T) {
	var b strings.Builder
	b.WriteString("metadata: {name: many, namespace: partners}\nspec:\n  podSelector: {}\n  custom:\n")
	for i := range 27 {
		b.WriteString("    - {name: e" + string(rune('a'+i/26)) + string(rune('a'+i%26)) + ", direction: Egress, hostnames: [h" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".example.com], ports: [{port: 443}]}\n")
	}
	plan, err := render.Compile(parseAllowlist(t, b.String()), builtin(), withBackend(render.BackendClusterNetworkPolicy))
	if err != nil {
		t.Fatal(err)
	}
	res := plan.Build(nil)
	egress, _, _ := unstructured.NestedSlice(res.EgressObjects[0].Object, "spec", "egress")
	if len(egress) != 25 {
		t.Fatalf("%d egress rules, want 25", len(egress))
	}
	last := res.EgressRules[26]
	if last.Backend != "networkpolicy" || !strings.Contains(last.Message, "at most 25 rules") {
		t.Fatalf("the 27th rule: %+v, want networkpolicy with the bound named", last)
	}
}

// TestClusterNetworkPolicyNamesCannotCollide: the cluster-scoped names of two
// allowlists differ whatever their namespaces and names, and a long one still fits.
func TestClusterNetworkPolicyNamesCannotCollide(t *testing.T) {
	if a, b := render.ClusterNetworkPolicyName("a-b", "c"), render.ClusterNetworkPolicyName("a", "b-c"); a == b {
		t.Fatalf("a-b/c and a/b-c share the name %s", a)
	}
	long := render.ClusterNetworkPolicyName(strings.Repeat("n", 63), strings.Repeat("a", 253))
	if len(long) > 253 || long == render.ClusterNetworkPolicyName(strings.Repeat("n", 63), strings.Repeat("a", 252)) {
		t.Fatalf("long names: %q (%d)", long, len(long))
	}
}

// TestMergeEgressFirewallsIsOrderFree: the namespace's EgressFirewall is the same
// whichever order its allowlists come in, sorted by allowlist, each rule once.
func TestMergeEgressFirewallsIsOrderFree(t *testing.T) {
	var parts []*unstructured.Unstructured
	for _, file := range []string{"workato-opa-gateways.yaml", "workato-all.yaml", "multi-vendor.yaml"} {
		a := loadAllowlist(t, file)
		a.Namespace = "integrations"
		plan, err := render.Compile(a, builtin(), withBackend(render.BackendOVN))
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, plan.Build(nil).EgressObjects...)
	}
	one := mustMarshal(t, render.MergeEgressFirewalls(parts).Object)
	slices.Reverse(parts)
	if two := mustMarshal(t, render.MergeEgressFirewalls(parts).Object); string(one) != string(two) {
		t.Fatalf("merge depends on order:\n%s\n---\n%s", one, two)
	}
	if strings.Count(string(one), "dnsName: sg1.workato.com") != 1 {
		t.Fatalf("sg1.workato.com, in two allowlists, is not there once:\n%s", one)
	}
}
