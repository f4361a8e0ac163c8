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

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// summarize writes policies as one line per policy and per rule, so expectations
// can be written by hand, independently of the golden files:
//
//	NAME Egress
//	  to kube-system{k8s-app=kube-dns} ports UDP/53 TCP/53
//	  to 50.16.101.13/32 54.84.241.116/32 ports TCP/443
func summarize(policies []networkingv1.NetworkPolicy) []string {
	var out []string
	for _, np := range policies {
		var types []string
		for _, t := range np.Spec.PolicyTypes {
			types = append(types, string(t))
		}
		out = append(out, np.Name+" "+strings.Join(types, ","))
		for _, r := range np.Spec.Ingress {
			out = append(out, "  from "+peersString(r.From)+" ports "+portsSummary(r.Ports))
		}
		for _, r := range np.Spec.Egress {
			out = append(out, "  to "+peersString(r.To)+" ports "+portsSummary(r.Ports))
		}
	}
	return out
}

func peersString(peers []networkingv1.NetworkPolicyPeer) string {
	if len(peers) == 0 {
		return "ANYWHERE"
	}
	var s []string
	for _, p := range peers {
		switch {
		case p.IPBlock != nil:
			s = append(s, p.IPBlock.CIDR)
		default:
			ns := "<policy namespace>"
			if p.NamespaceSelector != nil {
				ns = metav1.FormatLabelSelector(p.NamespaceSelector)
				ns = strings.TrimPrefix(ns, "kubernetes.io/metadata.name=")
			}
			pods := "<all>"
			if p.PodSelector != nil {
				pods = metav1.FormatLabelSelector(p.PodSelector)
			}
			s = append(s, ns+"{"+pods+"}")
		}
	}
	return strings.Join(s, " ")
}

func portsSummary(ports []networkingv1.NetworkPolicyPort) string {
	if len(ports) == 0 {
		return "all"
	}
	var s []string
	for _, p := range ports {
		proto := "<nil>"
		if p.Protocol != nil {
			proto = string(*p.Protocol)
		}
		port := "<nil>"
		if p.Port != nil {
			port = p.Port.String()
		}
		if p.EndPort != nil {
			port += fmt.Sprintf("-%d", *p.EndPort)
		}
		s = append(s, proto+"/"+port)
	}
	return strings.Join(s, " ")
}

const kubeDNS = "  to kube-system{k8s-app=kube-dns} ports UDP/53 TCP/53"

// opaPublished are the addresses Workato publishes for sg1, sg2 and sg, sorted.
const opaPublished = "34.192.94.13/32 34.195.128.7/32 34.204.129.29/32 34.226.84.130/32 34.228.172.35/32 34.237.50.149/32 50.16.101.13/32 54.83.143.113/32 54.84.241.116/32"

// TestRenderRules pins, by hand, what the golden cases render: which rules, with
// which peers in which order, on which ports.
func TestRenderRules(t *testing.T) {
	want := map[string][]string{
		"workato-inbound": {
			"workato-recipes-ingress Ingress",
			"  from 34.226.132.221/32 52.5.142.59/32 52.54.43.157/32 ports TCP/8443 TCP/5432",
		},
		"workato-opa-gateways": {
			"workato-opa-egress Egress",
			kubeDNS,
			"  to " + opaPublished + " ports TCP/443",
		},
		// Published and resolved, de-duplicated (3.210.10.10 twice, 50.16.101.13 and
		// 54.84.241.116 both published and resolved, ::ffff:3.5.0.1 is 3.5.0.1) and
		// sorted; the answer for a hostname the plan does not name is ignored.
		"workato-opa-gateways-resolved": {
			"workato-opa-egress Egress",
			kubeDNS,
			"  to 3.5.0.1/32 3.210.10.10/32 " + opaPublished + " ports TCP/443",
		},
		"workato-opa-gateways-deprecated": {
			"workato-opa-egress Egress",
			kubeDNS,
			"  to 34.192.94.13/32 34.195.128.7/32 34.204.129.29/32 34.226.84.130/32 34.228.172.35/32 34.237.50.149/32 50.16.101.13/32 52.206.58.244/32 54.83.143.113/32 54.84.241.116/32 ports TCP/443",
		},
		"workato-web-unresolved": {
			"workato-web-egress Egress",
			kubeDNS,
		},
		"workato-web-partly-resolved": {
			"workato-web-egress Egress",
			kubeDNS,
			"  to 3.33.200.1/32 3.33.200.2/32 ports TCP/443",
		},
		"workato-all": {
			"workato-ingress Ingress",
			"  from 34.226.132.221/32 52.5.142.59/32 52.54.43.157/32 ports TCP/443",
			"workato-egress Egress",
			kubeDNS,
			"  to 18.211.121.35/32 34.232.254.255/32 52.203.235.136/32 ports TCP/443", // apim-custom-domains
			"  to " + opaPublished + " ports TCP/443",                                 // opa-gateways
			"  to 3.33.200.1/32 ports TCP/443",                                        // web: www resolved, apim not
		},
		"allow-dns-false": {
			"workato-opa-egress Egress",
			"  to " + opaPublished + " ports TCP/443",
		},
		"cluster-dns": {
			"workato-opa-egress Egress",
			"  to dns-system{app=coredns} ports UDP/53 TCP/53",
			"  to " + opaPublished + " ports TCP/443",
		},
		"cluster-dns-namespace": {
			"workato-opa-egress Egress",
			"  to openshift-dns{k8s-app=kube-dns} ports UDP/53 TCP/53",
			"  to " + opaPublished + " ports TCP/443",
		},
		"freshchat-eu": {
			"support-webhooks-ingress Ingress",
			"  from 3.71.140.232/32 3.74.148.8/32 3.74.148.9/32 3.74.148.10/32 3.74.148.11/32 18.184.146.22/32 18.194.170.216/32 18.197.127.133/32 52.29.254.13/32 52.57.253.205/32 ports TCP/443",
		},
		// All 43 addresses, every port.
		"freshchat-all-ports": {
			"support-webhooks-ingress Ingress",
			"  from 3.26.254.196/32 3.26.254.197/32 3.26.254.198/32 3.26.254.199/32 3.71.140.232/32 3.74.148.8/32 3.74.148.9/32 3.74.148.10/32 3.74.148.11/32 3.104.16.220/32 3.105.197.171/32 13.126.85.255/32 13.210.157.231/32 13.232.152.211/32 13.234.127.182/32 13.238.97.24/32 13.238.188.219/32 18.184.146.22/32 18.194.170.216/32 18.197.127.133/32 18.208.240.77/32 34.231.139.135/32 34.231.245.167/32 35.154.161.243/32 43.204.166.208/32 43.204.166.209/32 43.204.166.210/32 43.204.166.211/32 44.206.73.232/32 44.206.73.233/32 44.206.73.234/32 44.206.73.235/32 44.206.73.236/32 44.206.73.237/32 44.206.73.238/32 44.206.73.239/32 52.1.32.88/32 52.1.37.96/32 52.29.254.13/32 52.57.253.205/32 52.66.184.184/32 52.201.75.8/32 54.206.10.178/32 ports all",
		},
		// The pods are isolated for ingress and nothing is open yet.
		"outsystems-front-ends-unresolved": {
			"outsystems-apps-ingress Ingress",
		},
		"outsystems-front-ends": {
			"outsystems-apps-ingress Ingress",
			"  from 198.51.100.23/32 198.51.100.24/32 ports TCP/443",
		},
		"outsystems-vpn": {
			"outsystems-vpn-ingress Ingress",
			"  from 10.20.0.0/16 172.16.8.0/22 ports TCP/1433 TCP/443",
		},
		"outsystems-both": {
			"outsystems-ingress Ingress",
			"  from 198.51.100.23/32 ports TCP/443", // front-ends
			"  from 10.20.0.0/16 ports TCP/443",     // vpn
		},
		"threobuilder": {
			"threobuilder-ingress Ingress",
			"  from 87.236.195.76/32 87.236.195.199/32 87.236.195.230/32 87.236.197.17/32 87.236.197.172/32 87.236.197.202/32 ports TCP/443",
		},
		"custom": {
			"partners-ingress Ingress",
			"  from 192.0.2.0/28 ports all", // monitoring, allPorts
			"  from 198.51.100.7/32 2001:db8:100::/48 ports TCP/8000-8080 SCTP/9000", // partner-callbacks
			"partners-egress Egress",
			kubeDNS,
			"  to 10.0.0.0/8 ports all", // backup: 10.1.2.3/32 is inside 10.0.0.0/8
			"  to 203.0.113.0/24 192.0.2.99/32 192.0.2.200/32 2001:db8::10/128 ports TCP/443 UDP/4500", // partner-api
		},
		"ipv6": {
			"ipv6-ingress Ingress",
			"  from 2001:db8::1/128 ports TCP/8443",
			"ipv6-egress Egress",
			kubeDNS,
			"  to 203.0.113.0/24 192.0.2.1/32 2001:db8:abcd::/48 2001:db8:ffff::1/128 ports TCP/443",
		},
		"multi-vendor": {
			"everything-ingress Ingress",
			"  from 3.26.254.196/32 3.26.254.197/32 3.26.254.198/32 3.26.254.199/32 3.104.16.220/32 3.105.197.171/32 13.126.85.255/32 13.210.157.231/32 13.232.152.211/32 13.234.127.182/32 13.238.97.24/32 13.238.188.219/32 35.154.161.243/32 43.204.166.208/32 43.204.166.209/32 43.204.166.210/32 43.204.166.211/32 52.66.184.184/32 54.206.10.178/32 ports TCP/443", // freshchat IN+AU
			"  from 87.236.195.76/32 87.236.195.199/32 87.236.195.230/32 87.236.197.17/32 87.236.197.172/32 87.236.197.202/32 ports TCP/443", // threobuilder
			"  from 34.226.132.221/32 52.5.142.59/32 52.54.43.157/32 ports TCP/443",                                                          // workato inbound
			"everything-egress Egress",
			kubeDNS,
			"  to 216.198.0.10/32 ports TCP/443", // custom zendesk
			"  to 3.90.0.7/32 " + opaPublished + " ports TCP/443", // workato opa-gateways
		},
		"targets-service": {
			"workato-webhooks-ingress Ingress",
			"  from 34.226.132.221/32 52.5.142.59/32 52.54.43.157/32 ports TCP/8443",
		},
		// ingressNetworkPolicy: Disabled: the targets alone.
		"targets-ingress-nginx":         nil,
		"targets-envoy-gateway":         nil,
		"targets-istio":                 nil,
		"targets-outsystems-unresolved": nil,
		"targets-outsystems":            nil,
		"targets-traefik": {
			"partner-api-ingress Ingress",
			"  from 203.0.113.0/28 198.51.100.7/32 ports TCP/8080",
		},
	}
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			w, ok := want[tc.name]
			if !ok {
				t.Fatalf("no expectation for golden case %s: add one", tc.name)
			}
			plan := compile(t, loadAllowlist(t, tc.input))
			got := summarize(plan.Render(resolvedOf(t, tc.resolved)))
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRenderedPolicyShape checks what every rendered policy of every golden case must
// be: named NAME-DIRECTION in the allowlist's namespace, labelled for the operator,
// one policy type, ingress first, the allowlist's pod selector, and never a rule
// without peers, an ipBlock that is not a canonical CIDR, or the whole address space.
func TestRenderedPolicyShape(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			a := loadAllowlist(t, tc.input)
			policies := compile(t, a).Render(resolvedOf(t, tc.resolved))
			checkPolicies(t, a, policies)
		})
	}
}

// checkPolicies asserts the invariants of rendered policies; the fuzz target uses it
// too.
func checkPolicies(t testing.TB, a *v1alpha1.VendorAllowlist, policies []networkingv1.NetworkPolicy) {
	t.Helper()
	if len(policies) > 2 {
		t.Fatalf("%d policies, want at most one per direction", len(policies))
	}
	var directions []networkingv1.PolicyType
	for i := range policies {
		np := &policies[i]
		if len(np.Spec.PolicyTypes) != 1 {
			t.Fatalf("%s: policyTypes %v, want exactly one", np.Name, np.Spec.PolicyTypes)
		}
		d := np.Spec.PolicyTypes[0]
		directions = append(directions, d)
		if want := render.PolicyName(a.Name, v1alpha1.Direction(d)); np.Name != want {
			t.Errorf("policy %s for %s, want name %s", np.Name, d, want)
		}
		if np.Namespace != a.Namespace {
			t.Errorf("%s: namespace %q, want the allowlist's %q", np.Name, np.Namespace, a.Namespace)
		}
		if np.APIVersion != "networking.k8s.io/v1" || np.Kind != "NetworkPolicy" {
			t.Errorf("%s: %s %s, want networking.k8s.io/v1 NetworkPolicy", np.Name, np.APIVersion, np.Kind)
		}
		wantLabels := map[string]string{v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue, v1alpha1.AllowlistLabel: a.Name}
		if diff := cmp.Diff(wantLabels, np.Labels); diff != "" {
			t.Errorf("%s: labels (-want +got):\n%s", np.Name, diff)
		}
		if diff := cmp.Diff(a.Spec.PodSelector, np.Spec.PodSelector); diff != "" {
			t.Errorf("%s: podSelector (-allowlist +policy):\n%s", np.Name, diff)
		}
		switch d {
		case networkingv1.PolicyTypeIngress:
			if len(np.Spec.Egress) > 0 {
				t.Errorf("%s: an ingress policy with egress rules", np.Name)
			}
			for j, r := range np.Spec.Ingress {
				checkPeers(t, fmt.Sprintf("%s ingress[%d]", np.Name, j), r.From)
				checkPorts(t, fmt.Sprintf("%s ingress[%d]", np.Name, j), r.Ports)
			}
		case networkingv1.PolicyTypeEgress:
			if len(np.Spec.Ingress) > 0 {
				t.Errorf("%s: an egress policy with ingress rules", np.Name)
			}
			for j, r := range np.Spec.Egress {
				checkPeers(t, fmt.Sprintf("%s egress[%d]", np.Name, j), r.To)
				checkPorts(t, fmt.Sprintf("%s egress[%d]", np.Name, j), r.Ports)
			}
			dns := a.Spec.DNSAllowed()
			hasDNS := len(np.Spec.Egress) > 0 && len(np.Spec.Egress[0].To) > 0 && np.Spec.Egress[0].To[0].IPBlock == nil
			if dns != hasDNS {
				t.Errorf("%s: allowDNS is %t but the cluster DNS rule present is %t", np.Name, dns, hasDNS)
			}
		default:
			t.Errorf("%s: policy type %q", np.Name, d)
		}
	}
	if !slices.IsSortedFunc(directions, func(a, b networkingv1.PolicyType) int {
		// Ingress first.
		return strings.Compare(string(b), string(a))
	}) || len(slices.Compact(slices.Clone(directions))) != len(directions) {
		t.Errorf("policy types %v, want ingress first and each direction once", directions)
	}
}

func checkPeers(t testing.TB, where string, peers []networkingv1.NetworkPolicyPeer) {
	t.Helper()
	if len(peers) == 0 {
		t.Errorf("%s: a rule without peers allows every address", where)
	}
	var prefixes []netip.Prefix
	for _, p := range peers {
		if p.IPBlock == nil {
			if p.NamespaceSelector == nil || p.PodSelector == nil {
				t.Errorf("%s: a pod peer that is not the cluster DNS: %+v", where, p)
			}
			continue
		}
		if len(p.IPBlock.Except) > 0 {
			t.Errorf("%s: ipBlock with except: %v", where, p.IPBlock.Except)
		}
		pfx, err := netip.ParsePrefix(p.IPBlock.CIDR)
		switch {
		case err != nil:
			t.Errorf("%s: ipBlock %q: %v", where, p.IPBlock.CIDR, err)
			continue
		case pfx.Bits() == 0:
			t.Errorf("%s: ipBlock %s opens the whole address space", where, pfx)
		case pfx != pfx.Masked() || pfx.String() != p.IPBlock.CIDR || pfx.Addr().Is4In6() || pfx.Addr().Zone() != "":
			t.Errorf("%s: ipBlock %q is not canonical", where, p.IPBlock.CIDR)
		}
		prefixes = append(prefixes, pfx)
	}
	for i, a := range prefixes {
		for j, b := range prefixes {
			if i != j && a.Bits() <= b.Bits() && a.Contains(b.Addr()) {
				t.Errorf("%s: %s is inside %s, and is rendered too", where, b, a)
			}
		}
	}
}

func checkPorts(t testing.TB, where string, ports []networkingv1.NetworkPolicyPort) {
	t.Helper()
	for _, p := range ports {
		if p.Protocol == nil || p.Port == nil {
			t.Errorf("%s: port without protocol or number: %+v", where, p)
			continue
		}
		if p.EndPort != nil && *p.EndPort <= p.Port.IntVal {
			t.Errorf("%s: endPort %d not after port %d", where, *p.EndPort, p.Port.IntVal)
		}
	}
}

// TestRenderDeprecated: the deprecated 52.206.58.244 is left out unless asked for.
func TestRenderDeprecated(t *testing.T) {
	const deprecated = "52.206.58.244/32"
	for _, tc := range []struct {
		file string
		want bool
	}{
		{"workato-opa-gateways.yaml", false},
		{"workato-all.yaml", false},
		{"workato-opa-gateways-deprecated.yaml", true},
	} {
		policies := compile(t, loadAllowlist(t, tc.file)).Render(nil)
		var got bool
		for _, np := range policies {
			for _, r := range np.Spec.Egress {
				got = got || slices.Contains(cidrsOf(r.To), deprecated)
			}
		}
		if got != tc.want {
			t.Errorf("%s: %s rendered %t, want %t", tc.file, deprecated, got, tc.want)
		}
	}
}

// TestRenderFreshchatRegions: each region renders exactly its own addresses, and no
// region filter renders all of them.
func TestRenderFreshchatRegions(t *testing.T) {
	vendor, ok := builtin().View("freshchat")
	if !ok {
		t.Fatal("no freshchat in the built-in catalog")
	}
	byRegion := map[string][]string{}
	var all []string
	for _, a := range vendor.Spec.Endpoints[0].Addresses {
		byRegion[string(a.Region)] = append(byRegion[string(a.Region)], string(a.CIDR))
		all = append(all, string(a.CIDR))
	}
	if diff := cmp.Diff([]string{"AU", "EU", "IN", "US"}, sortedKeys(byRegion)); diff != "" {
		t.Fatalf("freshchat regions (-want +got):\n%s", diff)
	}
	cases := map[string][]string{"": all}
	for r, cidrs := range byRegion {
		cases[r] = cidrs
	}
	cases["EU,US"] = append(slices.Clone(byRegion["EU"]), byRegion["US"]...)
	for regions, want := range cases {
		a := loadAllowlist(t, "freshchat-eu.yaml")
		a.Spec.Vendors[0].Regions = nil
		for _, r := range strings.Split(regions, ",") {
			if r != "" {
				a.Spec.Vendors[0].Regions = append(a.Spec.Vendors[0].Regions, v1alpha1.Region(r))
			}
		}
		policies := compile(t, a).Render(nil)
		if len(policies) != 1 || len(policies[0].Spec.Ingress) != 1 {
			t.Fatalf("regions %q: %v", regions, summarize(policies))
		}
		got := cidrsOf(policies[0].Spec.Ingress[0].From)
		slices.Sort(got)
		slices.Sort(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("regions %q (-want +got):\n%s", regions, diff)
		}
	}
}

// TestHostnames: the names to resolve are every hostname the plan renders, sorted
// and de-duplicated, and only those.
func TestHostnames(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want []string
	}{
		{`
metadata: {name: a, namespace: n}
spec:
  podSelector: {}
  vendors:
    - name: workato
      ports: [{port: 443}]
  custom:
    - name: again
      direction: Egress
      hostnames: [www.workato.com, api.example.com]
      ports: [{port: 443}]
`, []string{"api.example.com", "apim.workato.com", "sg.workato.com", "sg1.workato.com", "sg2.workato.com", "www.workato.com"}},
		{`
metadata: {name: a, namespace: n}
spec:
  podSelector: {}
  vendors:
    - name: workato
      endpoints: [inbound, apim-custom-domains]
      ports: [{port: 443}]
    - name: threobuilder
      ports: [{port: 443}]
`, nil},
		{`
metadata: {name: a, namespace: n}
spec:
  podSelector: {}
  vendors:
    - name: outsystems
      hostnames: [fe2.acme.example.com, fe1.acme.example.com]
      ports: [{port: 443}]
`, []string{"fe1.acme.example.com", "fe2.acme.example.com"}},
	} {
		plan := compile(t, parseAllowlist(t, tc.doc))
		if diff := cmp.Diff(tc.want, plan.Hostnames()); diff != "" {
			t.Errorf("Hostnames (-want +got):\n%s\nfor%s", diff, tc.doc)
		}
	}
}

// TestRenderedHostnames: what a hostname renders is DNS's answer plus what the
// catalog publishes for it; a private answer counts as left out unless a rule naming
// the hostname keeps it.
func TestRenderedHostnames(t *testing.T) {
	plan := compile(t, loadAllowlist(t, "workato-opa-gateways.yaml"))
	str := func(ps []netip.Prefix) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.String())
		}
		return out
	}
	byName := func(r render.Result) map[string]render.RenderedHostname {
		out := map[string]render.RenderedHostname{}
		for _, h := range r.Hostnames {
			out[h.Name] = h
		}
		return out
	}
	hosts := byName(plan.Build(nil))
	if diff := cmp.Diff([]string{"34.237.50.149/32", "50.16.101.13/32", "54.84.241.116/32"}, str(hosts["sg1.workato.com"].Addresses)); diff != "" {
		t.Errorf("published only (-want +got):\n%s", diff)
	}
	if _, ok := hosts["www.workato.com"]; ok {
		t.Errorf("a hostname the plan does not render is reported: %v", hosts["www.workato.com"])
	}
	resolved := resolvedOf(t, map[string][]string{"sg1.workato.com": {"50.16.101.13", "3.3.3.3", "10.1.2.3"}})
	hosts = byName(plan.Build(resolved))
	if diff := cmp.Diff([]string{"3.3.3.3/32", "34.237.50.149/32", "50.16.101.13/32", "54.84.241.116/32"}, str(hosts["sg1.workato.com"].Addresses)); diff != "" {
		t.Errorf("with DNS (-want +got):\n%s", diff)
	}
	if got := hosts["sg1.workato.com"].Private; got != 1 {
		t.Errorf("Private = %d, want 1 (10.1.2.3: the selection blocks private addresses)", got)
	}
}

// TestRenderDoesNotAliasInputs: changing what Render returned leaves the allowlist
// alone, and Render leaves the resolved addresses in their order.
func TestRenderDoesNotAliasInputs(t *testing.T) {
	a := loadAllowlist(t, "workato-all.yaml")
	before := a.DeepCopy()
	resolved := resolvedOf(t, map[string][]string{"www.workato.com": {"9.9.9.9", "1.1.1.1", "9.9.9.9"}})
	policies := compile(t, a).Render(resolved)
	for i := range policies {
		policies[i].Spec.PodSelector.MatchExpressions[0].Values[0] = "changed"
		policies[i].Spec.PodSelector.MatchLabels = map[string]string{"changed": "yes"}
	}
	if diff := cmp.Diff(before, a); diff != "" {
		t.Errorf("the allowlist changed (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(addrs(t, "9.9.9.9", "1.1.1.1", "9.9.9.9"), resolved["www.workato.com"], cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
		t.Errorf("the resolved addresses changed (-before +after):\n%s", diff)
	}
}

// TestRenderedObjectMetaValid: the API server must accept the names and labels of
// the policies for every allowlist name the VendorAllowlist CRD accepts (a DNS
// subdomain of at most 63 characters, because the name is also a label value).
func TestRenderedObjectMetaValid(t *testing.T) {
	for _, name := range []string{
		"a",
		"payments.workato",      // a DNS subdomain, with a dot
		strings.Repeat("b", 63), // the longest name the CRD accepts
	} {
		a := loadAllowlist(t, "workato-all.yaml")
		a.Name = name
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			t.Fatalf("test input %q is not a valid object name: %v", name, errs)
		}
		for _, np := range compile(t, a).Render(nil) {
			if errs := validation.IsDNS1123Subdomain(np.Name); len(errs) > 0 {
				t.Errorf("allowlist name of %d characters: policy name %q: %v", len(name), np.Name, errs)
			}
			for _, err := range metav1validation.ValidateLabels(np.Labels, field.NewPath("metadata", "labels")) {
				t.Errorf("allowlist name of %d characters: the API server would refuse %s policy: %s: %s", len(name), np.Spec.PolicyTypes[0], err.Field, err.Detail)
			}
		}
	}
}
