/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render

import (
	"net/netip"
	"slices"

	"go4.org/netipx"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
)

// PolicyName is the name of the NetworkPolicy rendered for an allowlist and direction.
func PolicyName(allowlist string, d v1alpha1.Direction) string {
	if d == v1alpha1.DirectionIngress {
		return allowlist + "-ingress"
	}
	return allowlist + "-egress"
}

// Resolved maps a hostname to the addresses DNS returned for it, as the address source
// keeps them: the guard has left out what no allowlist may render (loopback,
// link-local, the cluster's ranges, ...); private addresses are still there, and each
// rule keeps them or not as its entry says.
type Resolved map[string][]netip.Addr

// Result is an allowlist rendered.
type Result struct {
	// Policies are the NetworkPolicies, ingress first, then egress: one per direction
	// the allowlist opens.
	Policies []networkingv1.NetworkPolicy
	// Hostnames says, for each hostname the plan names (sorted), what it rendered.
	Hostnames []RenderedHostname
	// Summaries are status.policies: for each of Policies, in the same order, its
	// name, direction and number of address blocks.
	Summaries []v1alpha1.RenderedPolicy
	// Empty are the directions the allowlist opens that render no address at all:
	// their policy would only isolate the pods.
	Empty []v1alpha1.Direction
	// IngressAddresses are every address block of the ingress policy's rules, merged:
	// what the ingress targets enforce. Empty when nothing opens ingress.
	IngressAddresses []netip.Prefix
	// Targets are spec.ingressTargets rendered with IngressAddresses (targets.go).
	Targets []RenderedTarget
	// EgressObjects are the objects of the name backend (Options.EgressBackend) for
	// the egress hostnames it enforces, in the order written: none with networkpolicy.
	// The namespace, labels and owner are set as for Policies (egress.go).
	EgressObjects []*unstructured.Unstructured
	// EgressRules are status.egress: for each egress rule with hostnames, what
	// enforces them, and why it fell back to addresses.
	EgressRules []v1alpha1.EgressRuleStatus
}

// RenderedHostname is what one hostname rendered, in all the rules that name it.
type RenderedHostname struct {
	Name string
	// Addresses are those the vendor publishes for it and those DNS returned that a
	// rule kept, canonical: for a name a backend enforces, the answers are the
	// operator's, and the pods' own go to the dataplane.
	Addresses []netip.Prefix
	// Private counts the private addresses DNS returned that no rule naming it keeps.
	Private int
	// ByName: every rule that names it has a backend enforce it by name, so it
	// needs no address of its own.
	ByName bool
}

// Build renders the allowlist with what DNS returned. A hostname renders the
// addresses resolved for it plus those the vendor publishes for it. A rule that has no
// address yet is left out, because a NetworkPolicy rule with no peers would allow
// every address.
//
// With a name backend (Options.EgressBackend), the egress hostnames it enforces
// keep only their published addresses in the NetworkPolicy, and go by name into
// EgressObjects; BuildAnswers says which.
func (p *Plan) Build(resolved Resolved) Result {
	return p.BuildAnswers(Answers{Resolved: resolved})
}

// BuildAnswers is Build with all the operator's DNS knows of the answers: what it
// kept, and which hostnames it was answered addresses for that the guard forbids.
func (p *Plan) BuildAnswers(answers Answers) Result {
	b := builder{plan: p, resolved: answers.Resolved, blocked: answers.Blocked, hostnames: map[string]*hostnameAccount{}}
	b.names = b.planEgressNames()
	var res Result
	for _, d := range []v1alpha1.Direction{v1alpha1.DirectionIngress, v1alpha1.DirectionEgress} {
		np, peers, ok := b.direction(d)
		if !ok {
			continue
		}
		if peers == 0 && (d == v1alpha1.DirectionIngress || len(b.names.rules) == 0) {
			res.Empty = append(res.Empty, d)
		}
		if d == v1alpha1.DirectionIngress {
			res.IngressAddresses = b.ingress
			if !p.allowlist.Spec.IngressNetworkPolicyEnabled() {
				continue // the targets alone enforce the ingress addresses
			}
		}
		res.Policies = append(res.Policies, np)
		res.Summaries = append(res.Summaries, v1alpha1.RenderedPolicy{Name: np.Name, Direction: d, Peers: peers})
	}
	res.Targets = p.buildTargets(res.IngressAddresses)
	res.EgressRules = b.names.status
	if len(b.names.rules) > 0 {
		res.EgressObjects = b.names.backend.Objects(p.allowlist, b.names.rules, p.clusterDNS)
	}
	res.Hostnames = b.renderedHostnames()
	return res
}

// renderedHostnames says what each hostname of the plan rendered.
func (b *builder) renderedHostnames() []RenderedHostname {
	var out []RenderedHostname
	for _, name := range b.plan.Hostnames() {
		acc := b.hostnames[name]
		rh := RenderedHostname{Name: name}
		if acc != nil {
			rh.ByName = acc.byName && !acc.addressed
			rh.Addresses = canonical(acc.rendered)
			for a := range acc.private {
				if !acc.kept[a] {
					rh.Private++
				}
			}
		}
		out = append(out, rh)
	}
	return out
}

// Render returns Build's policies.
func (p *Plan) Render(resolved Resolved) []networkingv1.NetworkPolicy {
	return p.Build(resolved).Policies
}

// builder renders one plan, accounting what each hostname rendered.
type builder struct {
	plan      *Plan
	resolved  Resolved
	blocked   map[string]int
	hostnames map[string]*hostnameAccount
	names     egressNames
	// ingress are the ingress rules' address blocks, merged, for the targets.
	ingress []netip.Prefix
}

type hostnameAccount struct {
	// byName and addressed: some rule enforces it by name, some by its addresses.
	byName, addressed bool
	rendered          []netip.Prefix
	private           map[netip.Addr]bool // private answers seen
	kept              map[netip.Addr]bool // private answers some rule kept
}

// addresses are what a hostname renders in a rule: the published addresses, and the
// answers, private ones only where the rule's entry allows them. This is the one place
// private addresses are kept or left out.
func (b *builder) addresses(h hostname) []netip.Prefix {
	acc := b.hostnames[h.name]
	if acc == nil {
		acc = &hostnameAccount{private: map[netip.Addr]bool{}, kept: map[netip.Addr]bool{}}
		b.hostnames[h.name] = acc
	}
	out := slices.Clone(h.published)
	for _, a := range b.resolved[h.name] {
		a, class := b.plan.opts.Guard.Answer(a)
		switch class {
		case guard.Forbidden:
			continue // the source keeps none; nor does any caller's mistake get through
		case guard.Private:
			acc.private[a] = true
			if !h.allowPrivate {
				continue
			}
			acc.kept[a] = true
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	acc.rendered = append(acc.rendered, out...)
	return out
}

// ruleAddresses are the address blocks of a rule's NetworkPolicy rule: everything
// but the resolved addresses of the hostnames a backend enforces by name (byName),
// which keep only what the vendor publishes for them.
func (b *builder) ruleAddresses(r rule, byName map[string]bool) []netip.Prefix {
	addrs := slices.Concat(r.prefixes, r.own, r.widened)
	for _, h := range r.hostnames {
		kept := b.addresses(h) // accounted for status.hostnames either way
		acc := b.hostnames[h.name]
		if byName[h.name] && b.names.backend.Additive() {
			kept = h.published
			acc.byName = true
		} else {
			acc.addressed = true
		}
		addrs = append(addrs, kept...)
	}
	return addrs
}

func (b *builder) direction(d v1alpha1.Direction) (networkingv1.NetworkPolicy, int32, bool) {
	p := b.plan
	a := p.allowlist
	np := networkingv1.NetworkPolicy{
		TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      PolicyName(a.Name, d),
			Namespace: a.Namespace,
			Labels: map[string]string{
				v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue,
				v1alpha1.AllowlistLabel: a.Name,
			},
		},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: *a.Spec.PodSelector.DeepCopy(),
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyType(d)},
		},
	}
	selected := false
	var peerCount int32
	for i, r := range p.rules {
		if r.direction != d {
			continue
		}
		selected = true
		blocks := canonical(b.ruleAddresses(r, b.names.byName[i]))
		peers := ipBlockPeers(blocks)
		if len(peers) == 0 {
			continue
		}
		if d == v1alpha1.DirectionIngress {
			b.ingress = canonical(append(b.ingress, blocks...))
		}
		peerCount += int32(len(peers))
		ports := networkPolicyPorts(r.ports, r.allPorts)
		if d == v1alpha1.DirectionIngress {
			np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: peers, Ports: ports})
		} else {
			np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: peers, Ports: ports})
		}
	}
	if !selected {
		return np, 0, false
	}
	np.Spec.Egress = append(p.dnsRules(d), np.Spec.Egress...)
	return np, peerCount, true
}

func (p *Plan) dnsRules(d v1alpha1.Direction) []networkingv1.NetworkPolicyEgressRule {
	if d != v1alpha1.DirectionEgress || !p.allowlist.Spec.DNSAllowed() {
		return nil
	}
	return []networkingv1.NetworkPolicyEgressRule{clusterDNSRule(p.clusterDNS)}
}

func clusterDNSRule(dns ClusterDNS) networkingv1.NetworkPolicyEgressRule {
	return networkingv1.NetworkPolicyEgressRule{
		To: []networkingv1.NetworkPolicyPeer{{
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: dns.Namespace}},
			PodSelector:       dns.Pods.DeepCopy(),
		}},
		Ports: networkPolicyPorts([]v1alpha1.Port{
			{Protocol: v1alpha1.ProtocolUDP, Port: 53},
			{Protocol: v1alpha1.ProtocolTCP, Port: 53},
		}, false),
	}
}

func networkPolicyPorts(ports []v1alpha1.Port, all bool) []networkingv1.NetworkPolicyPort {
	if all {
		return nil
	}
	out := make([]networkingv1.NetworkPolicyPort, 0, len(ports))
	for _, p := range ports {
		proto := corev1.Protocol(p.Protocol)
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		port := intstr.FromInt32(p.Port)
		np := networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &port}
		if p.EndPort != nil && *p.EndPort != p.Port {
			end := *p.EndPort
			np.EndPort = &end
		}
		out = append(out, np)
	}
	return out
}

func ipBlockPeers(prefixes []netip.Prefix) []networkingv1.NetworkPolicyPeer {
	peers := make([]networkingv1.NetworkPolicyPeer, 0, len(prefixes))
	for _, p := range prefixes {
		peers = append(peers, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: p.String()}})
	}
	return peers
}

// canonical sorts prefixes, drops duplicates and drops any prefix that a broader one
// in the same list already covers, so answer order and repeats never change output.
func canonical(prefixes []netip.Prefix) []netip.Prefix {
	if len(prefixes) == 0 {
		return nil
	}
	sorted := make([]netip.Prefix, len(prefixes))
	for i, p := range prefixes {
		sorted[i] = p.Masked()
	}
	// Broader prefixes sort before the narrower ones they contain.
	slices.SortFunc(sorted, netipx.ComparePrefix)
	out := sorted[:0]
	for _, p := range sorted {
		covered := false
		for _, kept := range out {
			if kept.Bits() <= p.Bits() && kept.Contains(p.Addr()) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, p)
		}
	}
	return slices.Clip(out)
}
