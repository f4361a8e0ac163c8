/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render_test

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mattfenwick/cyclonus/pkg/matcher"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// nameGrant is what one rule of a backend's object lets the pods reach by name.
type nameGrant struct {
	names []string
	ports []portProto // none: every port
}

type portProto struct {
	port, end int
	proto     corev1.Protocol
}

func (g nameGrant) allows(name string, port int, proto corev1.Protocol) bool {
	if !slices.Contains(g.names, name) {
		return false
	}
	if len(g.ports) == 0 {
		return true
	}
	return slices.ContainsFunc(g.ports, func(p portProto) bool {
		return (p.proto == proto || p.proto == "ANY") && port >= p.port && port <= max(p.port, p.end)
	})
}

// nameGrants reads the grants of a backend's object as its dataplane would: each
// backend's own fields, so a field the renderer misplaces grants nothing here.
func nameGrants(t *testing.T, obj *unstructured.Unstructured) []nameGrant {
	t.Helper()
	rules, _, _ := unstructured.NestedSlice(obj.Object, "spec", "egress")
	var out []nameGrant
	for _, r := range rules {
		rule := r.(map[string]any)
		switch obj.GetKind() {
		case "CiliumNetworkPolicy":
			out = append(out, ciliumGrant(rule))
		case "ClusterNetworkPolicy":
			out = append(out, cnpGrant(rule))
		case "FQDNNetworkPolicy":
			out = append(out, gkeGrant(rule))
		default:
			t.Fatalf("no grants known of %s", obj.GetKind())
		}
	}
	return out
}

func ciliumGrant(rule map[string]any) nameGrant {
	var g nameGrant
	fqdns, _, _ := unstructured.NestedSlice(rule, "toFQDNs")
	for _, f := range fqdns {
		g.names = append(g.names, stringOr(f.(map[string]any)["matchName"])+stringOr(f.(map[string]any)["matchPattern"]))
	}
	toPorts, _, _ := unstructured.NestedSlice(rule, "toPorts")
	for _, tp := range toPorts {
		ports, _, _ := unstructured.NestedSlice(tp.(map[string]any), "ports")
		for _, p := range ports {
			pm := p.(map[string]any)
			n, _ := strconv.Atoi(pm["port"].(string))
			end, _ := pm["endPort"].(int64)
			g.ports = append(g.ports, portProto{port: n, end: int(end), proto: corev1.Protocol(pm["protocol"].(string))})
		}
	}
	return g
}

func cnpGrant(rule map[string]any) nameGrant {
	var g nameGrant
	peers, _, _ := unstructured.NestedSlice(rule, "to")
	for _, p := range peers {
		names, _, _ := unstructured.NestedStringSlice(p.(map[string]any), "domainNames")
		g.names = append(g.names, names...)
	}
	protocols, _, _ := unstructured.NestedSlice(rule, "protocols")
	for _, p := range protocols {
		for proto, v := range p.(map[string]any) {
			dp := v.(map[string]any)["destinationPort"].(map[string]any)
			pp := portProto{proto: corev1.Protocol(strings.ToUpper(proto))}
			if n, ok := dp["number"].(int64); ok {
				pp.port = int(n)
			} else {
				rg := dp["range"].(map[string]any)
				pp.port, pp.end = int(rg["start"].(int64)), int(rg["end"].(int64))
			}
			g.ports = append(g.ports, pp)
		}
	}
	return g
}

func gkeGrant(rule map[string]any) nameGrant {
	var g nameGrant
	matches, _, _ := unstructured.NestedSlice(rule, "matches")
	for _, m := range matches {
		g.names = append(g.names, stringOr(m.(map[string]any)["name"])+stringOr(m.(map[string]any)["pattern"]))
	}
	ports, _, _ := unstructured.NestedSlice(rule, "ports")
	for _, p := range ports {
		pm := p.(map[string]any)
		g.ports = append(g.ports, portProto{port: int(pm["port"].(int64)), proto: corev1.Protocol(pm["protocol"].(string))})
	}
	return g
}

func stringOr(v any) string {
	s, _ := v.(string)
	return s
}

// probe is traffic from a selected pod to one address and port.
type probe struct {
	addr  netip.Addr
	port  int
	proto corev1.Protocol
}

// egressProbes are, for every egress rule of the policies, its ports (or 443 and
// UDP 5060 for every port) to the first address of each of its blocks, and to every
// DNS answer of the case.
func egressProbes(policies []networkingv1.NetworkPolicy, answers map[string][]string) []probe {
	var out []probe
	for _, np := range policies {
		for _, r := range np.Spec.Egress {
			for _, a := range append(blockAddrs(r.To), answerAddrs(answers)...) {
				for _, p := range probePorts(r.Ports) {
					out = append(out, probe{addr: a, port: p.port, proto: p.proto})
				}
			}
		}
	}
	return out
}

func probePorts(ports []networkingv1.NetworkPolicyPort) []portProto {
	if len(ports) == 0 {
		return []portProto{{port: 443, proto: corev1.ProtocolTCP}, {port: 5060, proto: corev1.ProtocolUDP}}
	}
	var out []portProto
	for _, p := range ports {
		if p.Port != nil {
			out = append(out, portProto{port: p.Port.IntValue(), proto: *p.Protocol})
		}
	}
	return out
}

func blockAddrs(peers []networkingv1.NetworkPolicyPeer) []netip.Addr {
	var out []netip.Addr
	for _, peer := range peers {
		if peer.IPBlock != nil {
			out = append(out, netip.MustParsePrefix(peer.IPBlock.CIDR).Addr())
		}
	}
	return out
}

func answerAddrs(answers map[string][]string) []netip.Addr {
	var out []netip.Addr
	for _, as := range answers {
		for _, a := range as {
			out = append(out, netip.MustParseAddr(a).Unmap())
		}
	}
	return out
}

// TestJudgeNamesCoverWhatAddressesAllowed: for every egress case and backend that
// adds to the NetworkPolicies, the cyclonus judge finds that the NetworkPolicies
// rendered with the backend allow nothing today's do not, and that what they no
// longer allow is exactly the DNS answers of hostnames the backend's object lets the
// pods reach by name on that port. A name-enforced hostname's answer stays in the
// NetworkPolicy only where something else puts it there (a published address, a
// network of the rule).
func TestJudgeNamesCoverWhatAddressesAllowed(t *testing.T) {
	for _, backend := range []render.EgressBackend{render.BackendCilium, render.BackendClusterNetworkPolicy, render.BackendGKE} {
		for _, tc := range egressGoldenCases {
			for _, a := range egressGoldenAllowlists(t, tc) {
				if _, err := render.Compile(a, builtin(), opts); err != nil || a.Spec.PodSelector.MatchExpressions != nil {
					continue // no policies of today's to compare with (a wildcard), or no pod to judge
				}
				t.Run(string(backend)+"/"+tc.name+"/"+a.Name, func(t *testing.T) {
					judgeNamesCover(t, a, backend, tc.resolved)
				})
			}
		}
	}
}

func judgeNamesCover(t *testing.T, a *v1alpha1.VendorAllowlist, backend render.EgressBackend, answers map[string][]string) {
	today := compile(t, a).Render(resolvedOf(t, answers))
	static := compile(t, a).Render(nil) // what no DNS answer opens
	result := buildWith(t, a, backend, resolvedOf(t, answers))
	var grants []nameGrant
	for _, obj := range result.EgressObjects {
		grants = append(grants, nameGrants(t, obj)...)
	}
	src := pod(a.Namespace, a.Spec.PodSelector.MatchLabels, "10.244.9.9")
	lost := 0
	for _, pr := range egressProbes(today, answers) {
		tr := &matcher.Traffic{Source: src, Destination: external(pr.addr.String()), ResolvedPort: pr.port, Protocol: pr.proto}
		was, now := judge(today, tr), judge(result.Policies, tr)
		named, other := answerOf(answers, grants, pr)
		if why := wrongVerdict(was, now, named, other, judge(static, tr)); why != "" {
			t.Errorf("%s with %s: %s", trafficString(tr), backend, why)
		}
		if was && !now {
			lost++
		}
	}
	if lost > 0 && len(result.EgressObjects) == 0 {
		t.Errorf("%d probes lost with no object of %s", lost, backend)
	}
}

func buildWith(t *testing.T, a *v1alpha1.VendorAllowlist, backend render.EgressBackend, resolved render.Resolved) render.Result {
	t.Helper()
	o := opts
	o.EgressBackend = backend
	plan, err := render.Compile(a, builtin(), o)
	if err != nil {
		t.Fatal(err)
	}
	return plan.Build(resolved)
}

// answerOf says whether the probe's address is the DNS answer of a name the grants
// let the pods reach on its port (named), and of a name they do not (other).
func answerOf(answers map[string][]string, grants []nameGrant, pr probe) (named, other bool) {
	for name, as := range answers {
		if !slices.ContainsFunc(as, func(s string) bool { return netip.MustParseAddr(s).Unmap() == pr.addr }) {
			continue
		}
		if slices.ContainsFunc(grants, func(g nameGrant) bool { return g.allows(name, pr.port, pr.proto) }) {
			named = true
		} else {
			other = true
		}
	}
	return named, other
}

// wrongVerdict says what is wrong with the verdicts on one probe: was (today's
// policies), now (the NetworkPolicies with the backend), named and other (whose
// answer the address is, answerOf), static (what no DNS answer opens); "" if nothing.
func wrongVerdict(was, now, named, other, static bool) string {
	switch {
	case now && !was:
		return "allowed, and refused by today's policies"
	case was && !now && !named:
		return "refused, allowed today, and no name of the backend's objects covers it"
	case now && named && !other && !static:
		return "a DNS answer of a name the backend enforces is still in the NetworkPolicy"
	}
	return ""
}
