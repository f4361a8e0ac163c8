/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// EgressBackend names what enforces an allowlist's egress hostnames: NetworkPolicies
// of the addresses DNS returned to the operator, or a dataplane that enforces the
// names themselves, at the answer each pod gets (docs/fqdn.md).
type EgressBackend string

const (
	// BackendAuto is the manager's flag value that picks a backend from the CRDs the
	// cluster serves (DetectBackend); rendering never sees it.
	BackendAuto                 EgressBackend = "auto"
	BackendNetworkPolicy        EgressBackend = "networkpolicy"
	BackendCilium               EgressBackend = "cilium"
	BackendClusterNetworkPolicy EgressBackend = "clusternetworkpolicy"
	BackendGKE                  EgressBackend = "gke"
	BackendOVN                  EgressBackend = "ovn"
)

// EgressBackends are the values --egress-backend takes, auto first.
var EgressBackends = []EgressBackend{BackendAuto, BackendNetworkPolicy, BackendCilium, BackendClusterNetworkPolicy, BackendGKE, BackendOVN}

// ParseEgressBackend checks a flag value.
func ParseEgressBackend(s string) (EgressBackend, error) {
	b := EgressBackend(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(EgressBackends, b) {
		return b, nil
	}
	names := make([]string, len(EgressBackends))
	for i, e := range EgressBackends {
		names[i] = string(e)
	}
	return "", fmt.Errorf("unknown egress backend %q: use one of %s", s, strings.Join(names, ", "))
}

// NameBackend is a dataplane that enforces egress by hostname: everything the
// operator knows of it that needs no I/O. Each backend is one file (egress_*.go) and
// one line of nameBackends.
type NameBackend interface {
	Name() EgressBackend
	// Kind is the object the backend writes; auto-detection looks for it among the
	// kinds the cluster serves.
	Kind() schema.GroupVersionKind
	// Namespaced is false for a cluster-scoped kind (ClusterNetworkPolicy), which
	// cannot carry an owner reference to an allowlist.
	Namespaced() bool
	// Wildcards says whether it enforces *.example.com.
	Wildcards() bool
	// Additive is whether what the backend allows adds to what the NetworkPolicies
	// allow, so that a name's resolved addresses can leave the NetworkPolicy; false
	// for a backend that can only narrow it further (OVN's EgressFirewall).
	Additive() bool
	// Refuses says why the backend cannot enforce the rule by name, as a sentence
	// naming what to do; "" when it can. allowDNS is the allowlist's.
	Refuses(r NameRule, allowDNS bool) string
	// MaxRules is how many name rules one allowlist's objects can hold; 0: no bound.
	MaxRules() int
	// Objects are what the allowlist's name rules write, in the order written.
	Objects(allowlist *v1alpha1.VendorAllowlist, rules []NameRule, dns ClusterDNS) []*unstructured.Unstructured
}

// nameBackends are the backends that enforce names, one line each.
var nameBackends = []NameBackend{
	ciliumBackend{},
	clusterNetworkPolicyBackend{},
	gkeBackend{},
	ovnBackend{},
}

// NameBackendFor is the backend that enforces names for b; false for networkpolicy,
// "" and anything that is not a name backend.
func NameBackendFor(b EgressBackend) (NameBackend, bool) {
	for _, nb := range nameBackends {
		if nb.Name() == b {
			return nb, true
		}
	}
	return nil, false
}

// IsWildcard is whether a hostname is a wildcard, *.example.com: it matches every
// name one label below, and is never resolved by the operator.
func IsWildcard(name string) bool { return strings.HasPrefix(name, "*.") }

// NameRule is one egress rule enforced by name: the hostnames of one endpoint group
// or custom entry, with its ports.
type NameRule struct {
	// Origin is the rule's origin, "workato/opa-gateways" or "custom/name".
	Origin string
	// Names are sorted; a wildcard is written *.example.com.
	Names    []string
	Ports    []v1alpha1.Port
	AllPorts bool
}

// The kinds the name backends write.
var (
	CiliumNetworkPolicyKind  = schema.GroupVersionKind{Group: "cilium.io", Version: "v2", Kind: "CiliumNetworkPolicy"}
	ClusterNetworkPolicyKind = schema.GroupVersionKind{Group: "policy.networking.k8s.io", Version: "v1beta1", Kind: "ClusterNetworkPolicy"}
	FQDNNetworkPolicyKind    = schema.GroupVersionKind{Group: "networking.gke.io", Version: "v1alpha1", Kind: "FQDNNetworkPolicy"}
	EgressFirewallKind       = schema.GroupVersionKind{Group: "k8s.ovn.org", Version: "v1", Kind: "EgressFirewall"}
)

// detectionOrder is the order auto-detection prefers the backends in: Cilium's
// toFQDNs is the most widely run and enforces wildcards; GKE's is Cilium's
// underneath; ClusterNetworkPolicy is still experimental.
var detectionOrder = []struct {
	backend EgressBackend
	kind    schema.GroupVersionKind
}{
	{BackendCilium, CiliumNetworkPolicyKind},
	{BackendGKE, FQDNNetworkPolicyKind},
	{BackendClusterNetworkPolicy, ClusterNetworkPolicyKind},
}

// DetectBackend picks, for --egress-backend=auto, the backend the cluster can
// enforce names with, from whether it serves each backend's kind (detectionOrder),
// else networkpolicy. OVN is never picked: its EgressFirewall applies to a whole
// namespace, so only an admin chooses it. The second value says why, for the log and
// the status.
func DetectBackend(served func(schema.GroupVersionKind) bool) (EgressBackend, string) {
	for _, d := range detectionOrder {
		if served(d.kind) {
			return d.backend, fmt.Sprintf("the cluster serves %s %s", d.kind.GroupVersion(), d.kind.Kind)
		}
	}
	kinds := make([]string, len(detectionOrder))
	for i, d := range detectionOrder {
		kinds[i] = d.kind.Kind + " (" + d.kind.GroupVersion().String() + ")"
	}
	return BackendNetworkPolicy, "the cluster serves none of " + strings.Join(kinds, ", ") + "; OVN-Kubernetes' EgressFirewall is used only with --egress-backend=ovn"
}
