/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render

import (
	"encoding/json"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// EgressFirewallName is the one name OVN-Kubernetes takes for an EgressFirewall:
// one per namespace, for every pod in it.
const EgressFirewallName = "default"

// ovnBackend writes OVN-Kubernetes' EgressFirewall (k8s.ovn.org/v1). Its CRD could
// not be had here (ovn-org/ovn-kubernetes and openshift/cluster-network-operator are
// refused by the module proxy, and no Debian or npm package carries it), so its
// shape follows the OpenShift API documentation: spec.egress[] of {type: Allow|Deny,
// to: {cidrSelector | dnsName | nodeSelector}, ports: [{protocol, port}]}, rules
// applied in order, and dnsName taking a leading "*." wildcard in recent OVN-K
// (OpenShift 4.16 and later, through DNSNameResolver), which its documentation
// says matches one label below the name, as a wildcard does here: not verified on a
// dataplane here, so an admin who relies on it should check it on theirs.
//
// It has no pod selector and there is one per namespace: the controller merges the
// rules of every allowlist of the namespace (MergeEgressFirewalls), and only an admin
// chooses it (auto-detection never does). It is not additive: OVN applies the
// EgressFirewall and the NetworkPolicies both, so an Allow cannot open what a
// NetworkPolicy closes, and the names' resolved addresses stay in the NetworkPolicy.
type ovnBackend struct{}

func (ovnBackend) Name() EgressBackend           { return BackendOVN }
func (ovnBackend) Kind() schema.GroupVersionKind { return EgressFirewallKind }
func (ovnBackend) Namespaced() bool              { return true }
func (ovnBackend) Wildcards() bool               { return true }
func (ovnBackend) Additive() bool                { return false }
func (ovnBackend) MaxRules() int                 { return 0 }

// Refuses port ranges, which its ports cannot say. OVN-Kubernetes resolves the
// names itself, so allowDNS does not matter.
func (ovnBackend) Refuses(r NameRule, _ bool) string {
	for _, p := range r.Ports {
		if isRange(p) {
			return "OVN's EgressFirewall takes single ports, and the rule has a port range: list the ports one by one to have the names enforced"
		}
	}
	return ""
}

// Objects is the allowlist's part of the namespace's EgressFirewall: an Allow per
// name, with the rule's ports. The controller merges the parts of every allowlist
// of the namespace before writing it.
func (ovnBackend) Objects(a *v1alpha1.VendorAllowlist, rules []NameRule, _ ClusterDNS) []*unstructured.Unstructured {
	spec := map[string]any{"egress": OVNEgressRules(rules)}
	return []*unstructured.Unstructured{newEgressObject(EgressFirewallKind, EgressFirewallName, a.Namespace, a, spec)}
}

// OVNEgressRules are the EgressFirewall rules of name rules: type Allow, to.dnsName,
// and the ports (none: every port).
func OVNEgressRules(rules []NameRule) []any {
	var out []any
	for _, r := range rules {
		for _, n := range r.Names {
			rule := map[string]any{"type": "Allow", "to": map[string]any{"dnsName": n}}
			if !r.AllPorts {
				rule["ports"] = ovnPorts(r.Ports)
			}
			out = append(out, rule)
		}
	}
	return out
}

// ovnPorts are a rule's ports, a list of its own for each EgressFirewall rule.
func ovnPorts(ports []v1alpha1.Port) []any {
	out := make([]any, 0, len(ports))
	for _, p := range ports {
		out = append(out, map[string]any{"protocol": string(protocolOf(p)), "port": int64(p.Port)})
	}
	return out
}

// MergeEgressFirewalls merges the EgressFirewall parts of the allowlists of one
// namespace (each from ovnBackend.Objects) into the namespace's one object: their
// rules in the order of the allowlists' names, each rule once. The same parts in any
// order give the same object.
func MergeEgressFirewalls(parts []*unstructured.Unstructured) *unstructured.Unstructured {
	sorted := slices.Clone(parts)
	slices.SortStableFunc(sorted, func(a, b *unstructured.Unstructured) int {
		return strings.Compare(a.GetLabels()[v1alpha1.AllowlistLabel], b.GetLabels()[v1alpha1.AllowlistLabel])
	})
	var egress []any
	seen := map[string]bool{}
	for _, part := range sorted {
		rules, _, _ := unstructured.NestedSlice(part.Object, "spec", "egress")
		for _, r := range rules {
			key, _ := json.Marshal(r) // maps marshal with sorted keys
			if !seen[string(key)] {
				seen[string(key)] = true
				egress = append(egress, r)
			}
		}
	}
	out := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"egress": egress}}}
	out.SetGroupVersionKind(EgressFirewallKind)
	out.SetName(EgressFirewallName)
	if len(parts) > 0 {
		out.SetNamespace(parts[0].GetNamespace())
	}
	out.SetLabels(map[string]string{v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue})
	return out
}
