/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package egressbackends

import (
	"context"
	"strings"
	"testing"
)

// gkeFQDNPolicy opens api.vendor.example.com and the names under cdn.example.com on
// TCP 443 to app=web. GKE's Dataplane V2 lets the pods' DNS answers through itself.
const gkeFQDNPolicy = `
apiVersion: networking.gke.io/v1alpha1
kind: FQDNNetworkPolicy
metadata:
  name: vendor-by-name
spec:
  podSelector:
    matchLabels:
      app: web
  egress:
  - matches:
    - name: api.vendor.example.com
    - pattern: "*.cdn.example.com"
    ports:
    - protocol: TCP
      port: 443
`

// GKE publishes no validation code of its own: its schema is all there is to check.
func TestGKEFQDNNetworkPolicyIsAcceptedByTheAPIServer(t *testing.T) {
	ns := newNamespace(t, "gke")
	createAndReadBack(t, fromYAML(t, ns, gkeFQDNPolicy))
}

func TestGKEFQDNNetworkPolicyWithAWildcardNameIsRefused(t *testing.T) {
	ns := newNamespace(t, "gke-bad")
	obj := fromYAML(t, ns, strings.Replace(gkeFQDNPolicy, "name: api.vendor.example.com", `name: "*.vendor.example.com"`, 1))
	requireRefused(t, k8s.Create(context.Background(), obj), "spec.egress[0].matches[0].name")
}
