/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package egressbackends checks the objects of the dataplanes that enforce egress by
// name against a real kube-apiserver and etcd (envtest) with each project's own CRDs,
// read from its published module at a pinned version (test/framework/thirdpartycrds):
// Cilium's CiliumNetworkPolicy, network-policy-api's ClusterNetworkPolicy
// (experimental channel) and GKE's FQDNNetworkPolicy. Where the project's validation
// code is a Go module, that code judges the objects too: Cilium's (*api.Rule).Sanitize,
// which the Cilium agent runs on every rule it imports, and network-policy-api's typed
// API, through which ClusterNetworkPolicies are written and read back. GKE's
// FQDNNetworkPolicy is judged by its schema only.
//
// OVN-Kubernetes' EgressFirewall is not here: no module or chart that holds its CRD can
// be had (see thirdpartycrds).
package egressbackends

import (
	"fmt"
	"os"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/thirdpartycrds"
)

var (
	env *testenv.Env
	// k8s reads and writes the API server directly, and knows network-policy-api's
	// typed API besides the operator's and the built-in types.
	k8s client.Client
)

func TestMain(m *testing.M) {
	crds, err := thirdpartycrds.Load(thirdpartycrds.Cilium, thirdpartycrds.ClusterNetworkPolicy, thirdpartycrds.GKEFQDNNetworkPolicy)
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	scheme := testenv.Scheme()
	if err := npav1beta1.AddToScheme(scheme); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: adding network-policy-api's types to the scheme:", err)
		os.Exit(1)
	}
	testenv.Main(m, func(e *testenv.Env, _ client.Client) {
		env = e
		if k8s, err = client.New(e.Config, client.Options{Scheme: scheme}); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: a client for the API server:", err)
			_ = e.Stop()
			os.Exit(1)
		}
	}, testenv.WithCRDs(crds...))
}

func newNamespace(t *testing.T, prefix string) string { return testenv.NewNamespace(t, k8s, prefix) }
