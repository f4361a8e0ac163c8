/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// ClusterNetworkPolicyPriority is the priority of the operator's
// ClusterNetworkPolicies: the CRD's largest, which is its lowest precedence, so
// that every ClusterNetworkPolicy of the admin's own in the Admin tier decides
// before them.
const ClusterNetworkPolicyPriority = 1000

// The bounds of the ClusterNetworkPolicy schema (network-policy-api v0.3.0,
// experimental channel): egress rules, peers of a rule, domainNames of a peer and
// protocols of a rule.
const (
	cnpMaxRules     = 25
	cnpMaxPeers     = 25
	cnpMaxNames     = 25
	cnpMaxProtocols = 25
)

// clusterNetworkPolicyBackend writes one ClusterNetworkPolicy per allowlist, in
// the Admin tier with action Accept: it takes the traffic it names before the
// NetworkPolicies are evaluated, so it adds to them. It is cluster-scoped, so its
// subject is pinned to the allowlist's namespace and pods: a tenant's allowlist
// never reaches pods outside its own selector.
type clusterNetworkPolicyBackend struct{}

func (clusterNetworkPolicyBackend) Name() EgressBackend { return BackendClusterNetworkPolicy }
func (clusterNetworkPolicyBackend) Kind() schema.GroupVersionKind {
	return ClusterNetworkPolicyKind
}
func (clusterNetworkPolicyBackend) Namespaced() bool { return false }

// Wildcards: its "*." matches one or more labels (a.b.example.com too), wider
// than a wildcard here, which means exactly one label below the name.
func (clusterNetworkPolicyBackend) Wildcards() bool { return false }
func (clusterNetworkPolicyBackend) Additive() bool  { return true }
func (clusterNetworkPolicyBackend) MaxRules() int   { return cnpMaxRules }

// Refuses a rule beyond the schema's bounds, and with allowDNS false: the
// implementations match domainNames against the answers the pods get from the
// cluster DNS, which the allowlist then keeps closed.
func (clusterNetworkPolicyBackend) Refuses(r NameRule, allowDNS bool) string {
	switch {
	case !allowDNS:
		return "ClusterNetworkPolicy's domainNames go by the answers the pods get from the cluster DNS, and allowDNS: false keeps it closed; set allowDNS: true to have the names enforced"
	case len(r.Names) > cnpMaxPeers*cnpMaxNames:
		return "a ClusterNetworkPolicy rule holds at most 625 domain names (25 peers of 25): split the hostnames over several custom entries"
	case len(r.Ports) > cnpMaxProtocols:
		return "a ClusterNetworkPolicy rule holds at most 25 ports: list fewer, or use port ranges"
	}
	return ""
}

// ClusterNetworkPolicyName is the name of the allowlist's ClusterNetworkPolicy. A
// namespace name has no dot, so the first dot after the prefix ends it, and no two
// allowlists share a name (a name too long is cut and ended with a hash of the
// whole, TargetObjectName).
func ClusterNetworkPolicyName(namespace, allowlist string) string {
	return TargetObjectName("vendorallowlist." + namespace + "." + allowlist)
}

// Objects: a cluster-scoped object cannot carry an owner reference to a namespaced
// allowlist, so the labels name its namespace as well as its name, for the
// controller to find and prune it.
func (clusterNetworkPolicyBackend) Objects(a *v1alpha1.VendorAllowlist, rules []NameRule, _ ClusterDNS) []*unstructured.Unstructured {
	egress := make([]any, 0, len(rules))
	for _, r := range rules {
		egress = append(egress, cnpRule(r))
	}
	spec := map[string]any{
		"tier":     "Admin",
		"priority": int64(ClusterNetworkPolicyPriority),
		"subject": map[string]any{"pods": map[string]any{
			"namespaceSelector": toUnstructured(&metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: a.Namespace}}),
			"podSelector":       toUnstructured(a.Spec.PodSelector.DeepCopy()),
		}},
		"egress": egress,
	}
	obj := newEgressObject(ClusterNetworkPolicyKind, ClusterNetworkPolicyName(a.Namespace, a.Name), "", a, spec)
	labels := obj.GetLabels()
	labels[v1alpha1.AllowlistNamespaceLabel] = a.Namespace
	obj.SetLabels(labels)
	return []*unstructured.Unstructured{obj}
}

func cnpRule(r NameRule) map[string]any {
	var peers []any
	for start := 0; start < len(r.Names); start += cnpMaxNames {
		names := make([]any, 0, cnpMaxNames)
		for _, n := range r.Names[start:min(start+cnpMaxNames, len(r.Names))] {
			names = append(names, n)
		}
		peers = append(peers, map[string]any{"domainNames": names})
	}
	rule := map[string]any{"name": Truncate(r.Origin, 100), "action": "Accept", "to": peers}
	if !r.AllPorts {
		protocols := make([]any, 0, len(r.Ports))
		for _, p := range r.Ports {
			protocols = append(protocols, map[string]any{strings.ToLower(string(protocolOf(p))): map[string]any{"destinationPort": cnpPort(p)}})
		}
		rule["protocols"] = protocols
	}
	return rule
}

// cnpPort is a port as the schema writes it: a range only of two ports or more
// (it refuses start == end).
func cnpPort(p v1alpha1.Port) map[string]any {
	if isRange(p) {
		return map[string]any{"range": map[string]any{"start": int64(p.Port), "end": int64(*p.EndPort)}}
	}
	return map[string]any{"number": int64(p.Port)}
}
