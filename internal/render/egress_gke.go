/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// gkeBackend writes one FQDNNetworkPolicy per allowlist (GKE Dataplane V2, GKE
// 1.26.4 and later). Its schema says traffic that either a NetworkPolicy or an
// FQDNNetworkPolicy allows is allowed, so it adds to the NetworkPolicy.
type gkeBackend struct{}

func (gkeBackend) Name() EgressBackend           { return BackendGKE }
func (gkeBackend) Kind() schema.GroupVersionKind { return FQDNNetworkPolicyKind }
func (gkeBackend) Namespaced() bool              { return true }
func (gkeBackend) Wildcards() bool               { return true }
func (gkeBackend) Additive() bool                { return true }
func (gkeBackend) MaxRules() int                 { return 0 }

// Refuses what its ports cannot say (TCP and UDP single ports only), and allowDNS
// false: Dataplane V2 learns a name's addresses from the pods' DNS answers.
func (gkeBackend) Refuses(r NameRule, allowDNS bool) string {
	if !allowDNS {
		return "GKE Dataplane V2 learns a name's addresses from the pods' DNS answers, and allowDNS: false keeps the cluster DNS closed; set allowDNS: true to have the names enforced"
	}
	for _, p := range r.Ports {
		switch {
		case protocolOf(p) == v1alpha1.ProtocolSCTP:
			return "GKE's FQDNNetworkPolicy takes TCP and UDP ports only, and the rule has SCTP"
		case isRange(p):
			return "GKE's FQDNNetworkPolicy takes single ports, and the rule has a port range: list the ports one by one to have the names enforced"
		}
	}
	return ""
}

func (gkeBackend) Objects(a *v1alpha1.VendorAllowlist, rules []NameRule, _ ClusterDNS) []*unstructured.Unstructured {
	egress := make([]any, 0, len(rules))
	for _, r := range rules {
		egress = append(egress, gkeRule(r))
	}
	spec := map[string]any{
		"podSelector": toUnstructured(a.Spec.PodSelector.DeepCopy()),
		"egress":      egress,
	}
	return []*unstructured.Unstructured{newEgressObject(FQDNNetworkPolicyKind, TargetObjectName(a.Name, "egress-fqdn"), a.Namespace, a, spec)}
}

func gkeRule(r NameRule) map[string]any {
	matches := make([]any, 0, len(r.Names))
	for _, n := range r.Names {
		key := "name"
		if IsWildcard(n) {
			key = "pattern" // its "*" spans one label, as our wildcards do
		}
		matches = append(matches, map[string]any{key: n})
	}
	rule := map[string]any{"matches": matches}
	if !r.AllPorts { // no ports: every port and protocol
		ports := make([]any, 0, len(r.Ports))
		for _, p := range r.Ports {
			ports = append(ports, map[string]any{"protocol": string(protocolOf(p)), "port": int64(p.Port)})
		}
		rule["ports"] = ports
	}
	return rule
}
