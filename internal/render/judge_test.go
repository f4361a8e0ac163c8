/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/mattfenwick/cyclonus/pkg/matcher"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// The judge is cyclonus's NetworkPolicy engine (github.com/mattfenwick/cyclonus
// pkg/matcher), written elsewhere against the NetworkPolicy semantics: it says
// whether traffic is allowed by a set of policies, so these tests check what the
// rendered policies do rather than what they look like.

// pod is a pod in namespace ns, whose namespace carries the label the API server
// gives every namespace.
func pod(ns string, labels map[string]string, ip string) *matcher.TrafficPeer {
	return &matcher.TrafficPeer{
		IP: ip,
		Internal: &matcher.InternalPeer{
			Namespace:       ns,
			NamespaceLabels: map[string]string{corev1.LabelMetadataName: ns},
			PodLabels:       labels,
		},
	}
}

func external(ip string) *matcher.TrafficPeer { return &matcher.TrafficPeer{IP: ip} }

func tcp(from, to *matcher.TrafficPeer, port int) *matcher.Traffic {
	return &matcher.Traffic{Source: from, Destination: to, ResolvedPort: port, Protocol: corev1.ProtocolTCP}
}

func udp(from, to *matcher.TrafficPeer, port int) *matcher.Traffic {
	return &matcher.Traffic{Source: from, Destination: to, ResolvedPort: port, Protocol: corev1.ProtocolUDP}
}

func sctp(from, to *matcher.TrafficPeer, port int) *matcher.Traffic {
	return &matcher.Traffic{Source: from, Destination: to, ResolvedPort: port, Protocol: corev1.ProtocolSCTP}
}

func peerString(p *matcher.TrafficPeer) string {
	if p.Internal == nil {
		return p.IP
	}
	return fmt.Sprintf("%s/%v(%s)", p.Internal.Namespace, p.Internal.PodLabels, p.IP)
}

func trafficString(tr *matcher.Traffic) string {
	return fmt.Sprintf("%s -> %s %d/%s", peerString(tr.Source), peerString(tr.Destination), tr.ResolvedPort, tr.Protocol)
}

// judge says whether the policies allow the traffic.
func judge(policies []networkingv1.NetworkPolicy, tr *matcher.Traffic) bool {
	ptrs := make([]*networkingv1.NetworkPolicy, 0, len(policies))
	for i := range policies {
		ptrs = append(ptrs, policies[i].DeepCopy())
	}
	return matcher.BuildNetworkPolicies(true, ptrs).IsTrafficAllowed(tr).IsAllowed()
}

// withoutRules is policies with every rule removed: they still isolate the pods
// they select, and open nothing.
func withoutRules(policies []networkingv1.NetworkPolicy) []networkingv1.NetworkPolicy {
	out := make([]networkingv1.NetworkPolicy, len(policies))
	for i := range policies {
		out[i] = *policies[i].DeepCopy()
		out[i].Spec.Ingress, out[i].Spec.Egress = nil, nil
	}
	return out
}

var (
	opaPod       = pod("integrations", map[string]string{"app": "workato-opa"}, "10.244.1.5")
	otherPod     = pod("integrations", map[string]string{"app": "something-else"}, "10.244.1.6")
	opaElsewhere = pod("other", map[string]string{"app": "workato-opa"}, "10.244.2.5")
	kubeDNSPod   = pod("kube-system", map[string]string{"k8s-app": "kube-dns"}, "10.244.0.10")
	coreDNSPod   = pod("dns-system", map[string]string{"app": "coredns"}, "10.244.0.11")
	recipesDB    = pod("payments", map[string]string{"app": "payments-db"}, "10.244.3.7")
	supportBot   = pod("support", map[string]string{"app": "support-bot"}, "10.244.4.2")
	agentsPod    = pod("agents", map[string]string{"app": "anything"}, "10.244.5.9")
	erpAPI       = pod("apps", map[string]string{"app": "erp-api"}, "10.244.6.3")
	gateway      = pod("partners", map[string]string{"app": "gateway"}, "10.244.7.4")
	browserPod   = pod("integrations", map[string]string{"app": "browser-tests"}, "10.244.1.9")
)

// judgeCase is traffic the policies rendered from input must allow, or not.
type judgeCase struct {
	input    string
	resolved map[string][]string
	traffic  *matcher.Traffic
	allowed  bool
	// unaffected: the pod at the policed end is not selected in that direction, so
	// the traffic is allowed even if the policies opened nothing at all.
	unaffected bool
}

func TestJudgeRenderedPolicies(t *testing.T) {
	sg1 := map[string][]string{"sg1.workato.com": {"50.16.101.13", "3.210.10.10"}}
	cases := map[string]judgeCase{
		// Workato OPA gateways: 443/TCP to the gateways only.
		"opa reaches a published gateway on 443":            {input: "workato-opa-gateways.yaml", traffic: tcp(opaPod, external("50.16.101.13"), 443), allowed: true},
		"opa reaches sg2 and sg before DNS answers":         {input: "workato-opa-gateways.yaml", traffic: tcp(opaPod, external("34.226.84.130"), 443), allowed: true},
		"opa does not reach a gateway on 80":                {input: "workato-opa-gateways.yaml", traffic: tcp(opaPod, external("50.16.101.13"), 80)},
		"opa does not reach a gateway on 443/UDP":           {input: "workato-opa-gateways.yaml", traffic: udp(opaPod, external("50.16.101.13"), 443)},
		"opa does not reach 8.8.8.8":                        {input: "workato-opa-gateways.yaml", traffic: tcp(opaPod, external("8.8.8.8"), 443)},
		"opa does not reach the deprecated gateway":         {input: "workato-opa-gateways.yaml", traffic: tcp(opaPod, external("52.206.58.244"), 443)},
		"opa reaches the deprecated gateway when asked":     {input: "workato-opa-gateways-deprecated.yaml", traffic: tcp(opaPod, external("52.206.58.244"), 443), allowed: true},
		"opa reaches an address DNS returned for sg1":       {input: "workato-opa-gateways.yaml", resolved: sg1, traffic: tcp(opaPod, external("3.210.10.10"), 443), allowed: true},
		"opa does not reach it before DNS returned it":      {input: "workato-opa-gateways.yaml", traffic: tcp(opaPod, external("3.210.10.10"), 443)},
		"opa keeps published addresses when DNS answers":    {input: "workato-opa-gateways.yaml", resolved: sg1, traffic: tcp(opaPod, external("54.84.241.116"), 443), allowed: true},
		"opa does not reach the inbound addresses":          {input: "workato-opa-gateways.yaml", traffic: tcp(opaPod, external("52.5.142.59"), 443)},
		"opa does not reach another pod":                    {input: "workato-opa-gateways.yaml", traffic: tcp(opaPod, otherPod, 443)},
		"opa resolves names over UDP":                       {input: "workato-opa-gateways.yaml", traffic: udp(opaPod, kubeDNSPod, 53), allowed: true},
		"opa resolves names over TCP":                       {input: "workato-opa-gateways.yaml", traffic: tcp(opaPod, kubeDNSPod, 53), allowed: true},
		"opa reaches kube-dns on port 53 only":              {input: "workato-opa-gateways.yaml", traffic: tcp(opaPod, kubeDNSPod, 443)},
		"opa does not reach other kube-system pods on 53":   {input: "workato-opa-gateways.yaml", traffic: udp(opaPod, pod("kube-system", map[string]string{"k8s-app": "metrics"}, "10.244.0.12"), 53)},
		"opa does not reach kube-dns look-alikes":           {input: "workato-opa-gateways.yaml", traffic: udp(opaPod, pod("integrations", map[string]string{"k8s-app": "kube-dns"}, "10.244.1.53"), 53)},
		"opa does not resolve names with allowDNS false":    {input: "allow-dns-false.yaml", traffic: udp(opaPod, kubeDNSPod, 53)},
		"opa does not resolve over TCP with allowDNS false": {input: "allow-dns-false.yaml", traffic: tcp(opaPod, kubeDNSPod, 53)},
		"opa reaches gateways with allowDNS false":          {input: "allow-dns-false.yaml", traffic: tcp(opaPod, external("50.16.101.13"), 443), allowed: true},
		"opa resolves names with the cluster DNS given":     {input: "cluster-dns.yaml", traffic: udp(opaPod, coreDNSPod, 53), allowed: true},
		"opa does not reach kube-dns when DNS is elsewhere": {input: "cluster-dns.yaml", traffic: udp(opaPod, kubeDNSPod, 53)},
		"opa ingress is not restricted by egress policies":  {input: "workato-opa-gateways.yaml", traffic: tcp(external("1.2.3.4"), opaPod, 22), allowed: true, unaffected: true},
		"unselected pod egress is not restricted":           {input: "workato-opa-gateways.yaml", traffic: tcp(otherPod, external("8.8.8.8"), 443), allowed: true, unaffected: true},
		"unselected pod ingress is not restricted":          {input: "workato-opa-gateways.yaml", traffic: tcp(external("1.2.3.4"), otherPod, 22), allowed: true, unaffected: true},
		"same labels in another namespace not restricted":   {input: "workato-opa-gateways.yaml", traffic: tcp(opaElsewhere, external("8.8.8.8"), 443), allowed: true, unaffected: true},

		// Workato web publishes hostnames only: before DNS answers nothing is open,
		// in particular not every address.
		"web opens nothing before DNS answers": {input: "workato-web.yaml", traffic: tcp(browserPod, external("8.8.8.8"), 443)},
		"web still resolves names":             {input: "workato-web.yaml", traffic: udp(browserPod, kubeDNSPod, 53), allowed: true},
		"web opens what DNS returned":          {input: "workato-web.yaml", resolved: map[string][]string{"www.workato.com": {"3.33.200.1"}}, traffic: tcp(browserPod, external("3.33.200.1"), 443), allowed: true},
		"web opens only what DNS returned":     {input: "workato-web.yaml", resolved: map[string][]string{"www.workato.com": {"3.33.200.1"}}, traffic: tcp(browserPod, external("3.33.200.2"), 443)},

		// Workato inbound: the listed ports from the three addresses.
		"workato reaches the recipes db on 8443":      {input: "workato-inbound.yaml", traffic: tcp(external("52.5.142.59"), recipesDB, 8443), allowed: true},
		"workato reaches the recipes db on 5432":      {input: "workato-inbound.yaml", traffic: tcp(external("34.226.132.221"), recipesDB, 5432), allowed: true},
		"workato does not reach it on 22":             {input: "workato-inbound.yaml", traffic: tcp(external("52.5.142.59"), recipesDB, 22)},
		"workato does not reach it on 8443/UDP":       {input: "workato-inbound.yaml", traffic: udp(external("52.5.142.59"), recipesDB, 8443)},
		"others do not reach the recipes db":          {input: "workato-inbound.yaml", traffic: tcp(external("1.2.3.4"), recipesDB, 8443)},
		"a cluster pod does not reach the recipes db": {input: "workato-inbound.yaml", traffic: tcp(otherPod, recipesDB, 8443)},
		"recipes db egress is not restricted":         {input: "workato-inbound.yaml", traffic: tcp(recipesDB, external("8.8.8.8"), 443), allowed: true, unaffected: true},

		// Freshchat, EU only.
		"freshchat EU reaches the bot":          {input: "freshchat-eu.yaml", traffic: tcp(external("18.184.146.22"), supportBot, 443), allowed: true},
		"freshchat US does not with EU only":    {input: "freshchat-eu.yaml", traffic: tcp(external("52.1.37.96"), supportBot, 443)},
		"freshchat EU does not on another port": {input: "freshchat-eu.yaml", traffic: tcp(external("18.184.146.22"), supportBot, 8080)},
		"freshchat US reaches every port":       {input: "freshchat-all-ports.yaml", traffic: tcp(external("52.1.37.96"), supportBot, 8080), allowed: true},
		"freshchat allPorts covers UDP too":     {input: "freshchat-all-ports.yaml", traffic: udp(external("3.26.254.199"), supportBot, 5060), allowed: true},
		"allPorts is not every address":         {input: "freshchat-all-ports.yaml", traffic: tcp(external("1.2.3.4"), supportBot, 8080)},

		// ThreoBuilder agents, to every pod of the namespace.
		"threobuilder agent reaches a pod":     {input: "threobuilder.yaml", traffic: tcp(external("87.236.195.76"), agentsPod, 443), allowed: true},
		"its neighbour address does not":       {input: "threobuilder.yaml", traffic: tcp(external("87.236.195.77"), agentsPod, 443)},
		"threobuilder only on the listed port": {input: "threobuilder.yaml", traffic: tcp(external("87.236.197.202"), agentsPod, 80)},

		// OutSystems: the customer's front-ends, once resolved, and the VPN range.
		"outsystems front-end reaches the api": {input: "outsystems-front-ends.yaml", resolved: map[string][]string{"fe1.acme.example.com": {"198.51.100.23"}}, traffic: tcp(external("198.51.100.23"), erpAPI, 443), allowed: true},
		"another address does not":             {input: "outsystems-front-ends.yaml", resolved: map[string][]string{"fe1.acme.example.com": {"198.51.100.23"}}, traffic: tcp(external("198.51.100.24"), erpAPI, 443)},
		"unresolved front-ends open nothing":   {input: "outsystems-front-ends.yaml", traffic: tcp(external("198.51.100.23"), erpAPI, 443)},
		"the vpn range reaches the db":         {input: "outsystems-vpn.yaml", traffic: tcp(external("10.20.200.1"), pod("apps", map[string]string{"app": "erp-db"}, "10.244.6.4"), 1433), allowed: true},
		"outside the vpn range does not":       {input: "outsystems-vpn.yaml", traffic: tcp(external("10.21.0.1"), pod("apps", map[string]string{"app": "erp-db"}, "10.244.6.4"), 1433)},

		// Custom entries: ranges, SCTP, allPorts, IPv6, contained prefixes.
		"custom range start":               {input: "custom.yaml", traffic: tcp(external("198.51.100.7"), gateway, 8000), allowed: true},
		"custom range end":                 {input: "custom.yaml", traffic: tcp(external("198.51.100.7"), gateway, 8080), allowed: true},
		"custom range end + 1":             {input: "custom.yaml", traffic: tcp(external("198.51.100.7"), gateway, 8081)},
		"custom range start - 1":           {input: "custom.yaml", traffic: tcp(external("198.51.100.7"), gateway, 7999)},
		"custom SCTP port":                 {input: "custom.yaml", traffic: sctp(external("2001:db8:100::42"), gateway, 9000), allowed: true},
		"custom SCTP port, over TCP":       {input: "custom.yaml", traffic: tcp(external("2001:db8:100::42"), gateway, 9000)},
		"custom allPorts ingress":          {input: "custom.yaml", traffic: tcp(external("192.0.2.15"), gateway, 31337), allowed: true},
		"custom allPorts ingress, outside": {input: "custom.yaml", traffic: tcp(external("192.0.2.16"), gateway, 31337)},
		"custom egress UDP":                {input: "custom.yaml", traffic: udp(gateway, external("203.0.113.200"), 4500), allowed: true},
		"custom egress hostname":           {input: "custom.yaml", resolved: map[string][]string{"api.partner.example.com": {"192.0.2.99"}}, traffic: tcp(gateway, external("192.0.2.99"), 443), allowed: true},
		"custom egress IPv6 hostname":      {input: "custom.yaml", resolved: map[string][]string{"api.partner.example.com": {"2001:db8::10"}}, traffic: tcp(gateway, external("2001:db8::10"), 443), allowed: true},
		"custom egress contained prefix":   {input: "custom.yaml", traffic: tcp(gateway, external("10.1.2.3"), 22), allowed: true},
		"custom egress outside prefixes":   {input: "custom.yaml", traffic: tcp(gateway, external("11.0.0.1"), 22)},
		"IPv6 network":                     {input: "ipv6.yaml", traffic: tcp(gateway, external("2001:db8:abcd:12::99"), 443), allowed: true},
		"IPv6 outside the network":         {input: "ipv6.yaml", traffic: tcp(gateway, external("2001:db8:abce::1"), 443)},
		"IPv6 ingress single address":      {input: "ipv6.yaml", traffic: tcp(external("2001:db8::1"), gateway, 8443), allowed: true},
		"IPv6 ingress neighbour":           {input: "ipv6.yaml", traffic: tcp(external("2001:db8::2"), gateway, 8443)},
	}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			policies := compile(t, loadAllowlist(t, tc.input)).Render(resolvedOf(t, tc.resolved))
			if got := judge(policies, tc.traffic); got != tc.allowed {
				t.Fatalf("%s: allowed %t, want %t\npolicies:\n%s", trafficString(tc.traffic), got, tc.allowed, marshalStream(t, policies))
			}
			// Each verdict must depend on the policies, or the case checks nothing.
			switch {
			case !tc.allowed:
				if !judge(nil, tc.traffic) {
					t.Errorf("%s is denied even without policies: the case cannot fail", trafficString(tc.traffic))
				}
			case tc.unaffected:
				// The point is that isolation stops short of this traffic.
				if !judge(withoutRules(policies), tc.traffic) {
					t.Errorf("%s: the pod is isolated after all", trafficString(tc.traffic))
				}
			default:
				if judge(withoutRules(policies), tc.traffic) {
					t.Errorf("%s is allowed even by policies that open nothing: the case cannot fail", trafficString(tc.traffic))
				}
			}
		})
	}
}

// TestJudgeEgressOnlyDoesNotIsolateIngress: an egress-only allowlist renders no
// ingress policy, so it cannot cut the selected pods off from anyone.
func TestJudgeEgressOnlyDoesNotIsolateIngress(t *testing.T) {
	a := loadAllowlist(t, "workato-all.yaml")
	a.Spec.Vendors[0].Directions = []v1alpha1.Direction{v1alpha1.DirectionEgress}
	a.Spec.Vendors[0].Ports = nil
	policies := compile(t, a).Render(nil)
	for _, np := range policies {
		if len(np.Spec.Ingress) > 0 || slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			t.Fatalf("%s: egress-only allowlist renders ingress", np.Name)
		}
	}
	recipes := pod("integrations", map[string]string{"app": "recipes-api"}, "10.244.1.20")
	for _, tr := range []*matcher.Traffic{
		tcp(external("1.2.3.4"), recipes, 22),
		tcp(otherPod, recipes, 8080),
		udp(external("52.5.142.59"), recipes, 161),
	} {
		if !judge(policies, tr) {
			t.Errorf("%s is denied by an egress-only allowlist", trafficString(tr))
		}
	}
	if judge(policies, tcp(recipes, external("1.2.3.4"), 22)) {
		t.Errorf("the egress policy does not restrict egress of %s", peerString(recipes))
	}
}
