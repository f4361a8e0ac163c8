/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package egressbackends

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cilium/cilium/pkg/policy/api"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ciliumFQDNPolicy opens api.vendor.example.com and the names under cdn.example.com
// on 443 to app=web. The second rule lets the pods' DNS queries through Cilium's DNS
// proxy, which is how toFQDNs learns the addresses each pod is answered: its pattern
// "*" lets every name through, as the operator's allowDNS does today, so that the
// rule opens DNS no wider than the NetworkPolicies did.
const ciliumFQDNPolicy = `
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: vendor-by-name
spec:
  endpointSelector:
    matchLabels:
      app: web
  egress:
  - toFQDNs:
    - matchName: api.vendor.example.com
    - matchPattern: "*.cdn.example.com"
    toPorts:
    - ports:
      - port: "443"
        protocol: TCP
  - toEndpoints:
    - matchLabels:
        k8s:io.kubernetes.pod.namespace: kube-system
        k8s:k8s-app: kube-dns
    toPorts:
    - ports:
      - port: "53"
        protocol: ANY
      rules:
        dns:
        - matchPattern: "*"
`

// sanitizedRule is the object's spec as the Cilium agent imports it, judged by the
// agent's own validation.
func sanitizedRule(obj *unstructured.Unstructured) (*api.Rule, error) {
	raw, err := json.Marshal(obj.Object["spec"])
	if err != nil {
		return nil, err
	}
	var rule api.Rule
	if err := json.Unmarshal(raw, &rule); err != nil {
		return nil, err
	}
	return &rule, rule.Sanitize()
}

func TestCiliumNetworkPolicyByNameIsAcceptedByTheAPIServerAndCilium(t *testing.T) {
	ns := newNamespace(t, "cilium")
	stored := createAndReadBack(t, fromYAML(t, ns, ciliumFQDNPolicy))

	rule, err := sanitizedRule(stored)
	if err != nil {
		t.Fatalf("Cilium's (*api.Rule).Sanitize refused the stored policy: %v", err)
	}
	var names []string
	for _, e := range rule.Egress {
		for _, f := range e.ToFQDNs {
			names = append(names, f.MatchName+f.MatchPattern)
		}
	}
	if got := strings.Join(names, ","); got != "api.vendor.example.com,*.cdn.example.com" {
		t.Fatalf("Cilium reads the names %q from the stored policy, want api.vendor.example.com,*.cdn.example.com", got)
	}
}

func TestCiliumNetworkPolicyWithAWildcardMatchNameIsRefused(t *testing.T) {
	ns := newNamespace(t, "cilium-bad")
	obj := fromYAML(t, ns, strings.Replace(ciliumFQDNPolicy, "matchName: api.vendor.example.com", `matchName: "*.vendor.example.com"`, 1))

	requireRefused(t, k8s.Create(context.Background(), obj), "spec.egress[0].toFQDNs[0].matchName")
	if _, err := sanitizedRule(obj); err == nil {
		t.Fatal("Cilium's Sanitize accepted a wildcard in matchName, which the API server refuses")
	}
}

// Some limits of Cilium are in its code and not in its schema: a rule with toFQDNs
// and another kind of destination is stored, and then refused by every agent. Only
// Sanitize shows it before a user would.
func TestCiliumSanitizeRefusesToFQDNsBesideAnotherDestinationThatTheSchemaAccepts(t *testing.T) {
	ns := newNamespace(t, "cilium-mixed")
	mixed := strings.Replace(ciliumFQDNPolicy, "  - toFQDNs:\n", "  - toCIDR:\n    - 203.0.113.0/28\n    toFQDNs:\n", 1)
	stored := createAndReadBack(t, fromYAML(t, ns, mixed))

	_, err := sanitizedRule(stored)
	if err == nil || !strings.Contains(err.Error(), "ToFQDNs") {
		t.Fatalf("Cilium's Sanitize = %v, want it to refuse toFQDNs combined with toCIDR", err)
	}
}
