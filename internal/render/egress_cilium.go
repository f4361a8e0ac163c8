/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render

import (
	"strconv"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// ciliumBackend writes one CiliumNetworkPolicy per allowlist: a toFQDNs rule per
// name rule, and the rule that sends the pods' DNS through Cilium's DNS proxy, which
// is how toFQDNs learns the addresses each pod is answered. Cilium unions every
// policy that selects a pod, so the CiliumNetworkPolicy adds to the NetworkPolicy.
type ciliumBackend struct{}

// ciliumMaxPorts is the schema's bound on the ports of one toPorts entry.
const ciliumMaxPorts = 40

func (ciliumBackend) Name() EgressBackend           { return BackendCilium }
func (ciliumBackend) Kind() schema.GroupVersionKind { return CiliumNetworkPolicyKind }
func (ciliumBackend) Namespaced() bool              { return true }
func (ciliumBackend) Wildcards() bool               { return true }
func (ciliumBackend) Additive() bool                { return true }
func (ciliumBackend) MaxRules() int                 { return 0 }

// Refuses only with allowDNS false: the DNS-proxy rule would open the DNS the
// allowlist keeps closed, and without it Cilium never learns the names' addresses.
// Cilium expresses every protocol and port range the API has.
func (ciliumBackend) Refuses(_ NameRule, allowDNS bool) string {
	if !allowDNS {
		return "Cilium learns a name's addresses from the pods' DNS answers, which needs the pods to reach the cluster DNS, and allowDNS: false keeps it closed; set allowDNS: true to have Cilium enforce the names"
	}
	return ""
}

// CiliumPolicyName is the name of the CiliumNetworkPolicy of an allowlist.
func CiliumPolicyName(allowlist string) string { return TargetObjectName(allowlist, "egress-fqdn") }

func (ciliumBackend) Objects(a *v1alpha1.VendorAllowlist, rules []NameRule, dns ClusterDNS) []*unstructured.Unstructured {
	// The DNS rule first, as in the NetworkPolicy. Each name rule stays a rule of
	// its own: Cilium refuses toFQDNs beside any other destination in one rule.
	egress := []any{ciliumDNSRule(dns)}
	for _, r := range rules {
		egress = append(egress, ciliumNameRule(r))
	}
	spec := map[string]any{
		"endpointSelector": toUnstructured(a.Spec.PodSelector.DeepCopy()),
		"egress":           egress,
	}
	return []*unstructured.Unstructured{newEgressObject(CiliumNetworkPolicyKind, CiliumPolicyName(a.Name), a.Namespace, a, spec)}
}

func ciliumNameRule(r NameRule) map[string]any {
	fqdns := make([]any, 0, len(r.Names))
	for _, n := range r.Names {
		key := "matchName"
		if IsWildcard(n) {
			key = "matchPattern" // Cilium's "*" spans one label, as our wildcards do
		}
		fqdns = append(fqdns, map[string]any{key: n})
	}
	rule := map[string]any{"toFQDNs": fqdns}
	if !r.AllPorts {
		rule["toPorts"] = ciliumPortRules(r.Ports)
	}
	return rule
}

// ciliumPortRules are the ports in toPorts entries of at most ciliumMaxPorts each.
func ciliumPortRules(ports []v1alpha1.Port) []any {
	var out []any
	for start := 0; start < len(ports); start += ciliumMaxPorts {
		chunk := ports[start:min(start+ciliumMaxPorts, len(ports))]
		list := make([]any, 0, len(chunk))
		for _, p := range chunk {
			port := map[string]any{"port": strconv.Itoa(int(p.Port)), "protocol": string(protocolOf(p))}
			if isRange(p) {
				port["endPort"] = int64(*p.EndPort)
			}
			list = append(list, port)
		}
		out = append(out, map[string]any{"ports": list})
	}
	return out
}

// ciliumDNSRule lets the pods reach the cluster DNS on 53 over UDP and TCP, the
// same pods and ports as the NetworkPolicy's allowDNS rule, with the DNS proxy
// seeing every name ("*"): the NetworkPolicy lets every query through as well.
func ciliumDNSRule(dns ClusterDNS) map[string]any {
	selector := map[string]any{}
	labels := map[string]any{"k8s:io.kubernetes.pod.namespace": dns.Namespace}
	if dns.Pods != nil {
		for k, v := range dns.Pods.MatchLabels {
			labels["k8s:"+k] = v
		}
		if len(dns.Pods.MatchExpressions) > 0 {
			var exprs []any
			for _, e := range dns.Pods.MatchExpressions {
				e.Key = "k8s:" + e.Key
				exprs = append(exprs, toUnstructured(&e))
			}
			selector["matchExpressions"] = exprs
		}
	}
	selector["matchLabels"] = labels
	return map[string]any{
		"toEndpoints": []any{selector},
		"toPorts": []any{map[string]any{
			"ports": []any{
				map[string]any{"port": "53", "protocol": "UDP"},
				map[string]any{"port": "53", "protocol": "TCP"},
			},
			"rules": map[string]any{"dns": []any{map[string]any{"matchPattern": "*"}}},
		}},
	}
}
