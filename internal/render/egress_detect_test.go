/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestDetectBackendPrefersNamesAndFallsBackToNetworkPolicies(t *testing.T) {
	for _, tc := range []struct {
		name   string
		served []schema.GroupVersionKind
		want   EgressBackend
	}{
		{"nothing", nil, BackendNetworkPolicy},
		{"cilium", []schema.GroupVersionKind{CiliumNetworkPolicyKind}, BackendCilium},
		{"gke", []schema.GroupVersionKind{FQDNNetworkPolicyKind}, BackendGKE},
		{"clusternetworkpolicy", []schema.GroupVersionKind{ClusterNetworkPolicyKind}, BackendClusterNetworkPolicy},
		{"cilium before the experimental api", []schema.GroupVersionKind{ClusterNetworkPolicyKind, CiliumNetworkPolicyKind}, BackendCilium},
		{"ovn only when chosen", []schema.GroupVersionKind{EgressFirewallKind}, BackendNetworkPolicy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, why := DetectBackend(func(k schema.GroupVersionKind) bool {
				for _, s := range tc.served {
					if s == k {
						return true
					}
				}
				return false
			})
			if got != tc.want || why == "" {
				t.Fatalf("DetectBackend = %s (%q), want %s with a reason", got, why, tc.want)
			}
		})
	}
}

func TestParseEgressBackendNamesTheValues(t *testing.T) {
	if b, err := ParseEgressBackend("Cilium"); err != nil || b != BackendCilium {
		t.Fatalf("ParseEgressBackend(Cilium) = %s, %v", b, err)
	}
	_, err := ParseEgressBackend("calico")
	if err == nil || !containsAll(err.Error(), "calico", "auto", "networkpolicy", "cilium", "clusternetworkpolicy", "gke", "ovn") {
		t.Fatalf("ParseEgressBackend(calico) error %v does not name the value and the choices", err)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
