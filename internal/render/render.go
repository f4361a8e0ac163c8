package render

import (
	"net/netip"
	"slices"

	"go4.org/netipx"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// PolicyName is the name of the NetworkPolicy rendered for an allowlist and direction.
func PolicyName(allowlist string, d v1alpha1.Direction) string {
	if d == v1alpha1.DirectionIngress {
		return allowlist + "-ingress"
	}
	return allowlist + "-egress"
}

// Resolved maps a hostname to the addresses DNS returned for it.
type Resolved map[string][]netip.Addr

// Render returns the allowlist's NetworkPolicies, ingress first, then egress: one per
// direction the allowlist opens. A hostname renders the addresses resolved for it
// plus those the vendor publishes for it. A rule that has no address yet is left out,
// because a NetworkPolicy rule with no peers would allow every address.
func (p *Plan) Render(resolved Resolved) []networkingv1.NetworkPolicy {
	var out []networkingv1.NetworkPolicy
	for _, d := range []v1alpha1.Direction{v1alpha1.DirectionIngress, v1alpha1.DirectionEgress} {
		if np, ok := p.renderDirection(d, resolved); ok {
			out = append(out, np)
		}
	}
	return out
}

// Addresses returns what a hostname renders: DNS's addresses plus the published ones.
func (p *Plan) Addresses(name string, resolved Resolved) []netip.Prefix {
	allowPrivate := false
	for _, r := range p.rules {
		for _, h := range r.hostnames {
			allowPrivate = allowPrivate || (h.name == name && h.allowPrivate)
		}
	}
	return canonical(append(p.Published(name), hostPrefixes(p.renderable(resolved[name], allowPrivate))...))
}

// Empty returns the directions the allowlist opens in which it would render no
// address at all with these answers: their policy would only isolate the pods.
func (p *Plan) Empty(resolved Resolved) []v1alpha1.Direction {
	var out []v1alpha1.Direction
	for _, d := range []v1alpha1.Direction{v1alpha1.DirectionIngress, v1alpha1.DirectionEgress} {
		if np, ok := p.renderDirection(d, resolved); ok && len(np.Spec.Ingress) == 0 && len(np.Spec.Egress) == len(p.dnsRules(d)) {
			out = append(out, d)
		}
	}
	return out
}

func (p *Plan) dnsRules(d v1alpha1.Direction) []networkingv1.NetworkPolicyEgressRule {
	if d != v1alpha1.DirectionEgress || !p.allowlist.Spec.DNSAllowed() {
		return nil
	}
	return []networkingv1.NetworkPolicyEgressRule{clusterDNSRule(p.clusterDNS)}
}

func (p *Plan) renderDirection(d v1alpha1.Direction, resolved Resolved) (networkingv1.NetworkPolicy, bool) {
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
	for _, r := range p.rules {
		if r.direction != d {
			continue
		}
		selected = true
		addrs := slices.Concat(r.prefixes, r.own)
		for _, h := range r.hostnames {
			addrs = append(addrs, h.published...)
			addrs = append(addrs, hostPrefixes(p.renderable(resolved[h.name], h.allowPrivate))...)
		}
		peers := ipBlockPeers(canonical(addrs))
		if len(peers) == 0 {
			continue
		}
		ports := networkPolicyPorts(r.ports, r.allPorts)
		if d == v1alpha1.DirectionIngress {
			np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: peers, Ports: ports})
		} else {
			np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: peers, Ports: ports})
		}
	}
	if !selected {
		return np, false
	}
	np.Spec.Egress = append(p.dnsRules(d), np.Spec.Egress...)
	return np, true
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

// renderable keeps the DNS answers that may be rendered: never internal targets, and
// private ranges only where the entry allows them. The manager's DNS cache filters
// already with the same guard; this holds for every caller.
func (p *Plan) renderable(addrs []netip.Addr, allowPrivate bool) []netip.Addr {
	allowed, _ := p.opts.Guard.Filter(addrs, allowPrivate)
	return allowed
}

func hostPrefixes(addrs []netip.Addr) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(addrs))
	for _, a := range addrs {
		if !a.IsValid() {
			continue
		}
		a = a.Unmap().WithZone("")
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out
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
