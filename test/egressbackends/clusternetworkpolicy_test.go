/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package egressbackends

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// vendorByName opens api.vendor.example.com and the names under cdn.example.com on
// TCP 443 to app=web in namespace ns only: a ClusterNetworkPolicy is cluster-scoped,
// so its subject pins both the namespace and the pods.
func vendorByName(ns string, names ...npav1beta1.DomainName) *npav1beta1.ClusterNetworkPolicy {
	return &npav1beta1.ClusterNetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-vendor-by-name"},
		Spec: npav1beta1.ClusterNetworkPolicySpec{
			Tier:     npav1beta1.AdminTier,
			Priority: 100,
			Subject: npav1beta1.ClusterNetworkPolicySubject{Pods: &npav1beta1.NamespacedPod{
				NamespaceSelector: metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}},
				PodSelector:       metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			}},
			Egress: []npav1beta1.ClusterNetworkPolicyEgressRule{{
				Name:      "vendor",
				Action:    npav1beta1.ClusterNetworkPolicyRuleActionAccept,
				To:        []npav1beta1.ClusterNetworkPolicyEgressPeer{{DomainNames: names}},
				Protocols: []npav1beta1.ClusterNetworkPolicyProtocol{{TCP: &npav1beta1.ClusterNetworkPolicyProtocolTCP{DestinationPort: &npav1beta1.Port{Number: 443}}}},
			}},
		},
	}
}

func TestClusterNetworkPolicyByNameIsAcceptedAndReadBackByTheTypedAPI(t *testing.T) {
	ns := newNamespace(t, "cnp")
	ctx := context.Background()
	want := vendorByName(ns, "api.vendor.example.com", "*.cdn.example.com")
	if err := k8s.Create(ctx, want.DeepCopy()); err != nil {
		t.Fatalf("the API server refused the ClusterNetworkPolicy: %v", err)
	}
	t.Cleanup(func() { _ = k8s.Delete(ctx, want) })

	var got npav1beta1.ClusterNetworkPolicy
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(want), &got); err != nil {
		t.Fatalf("reading back the ClusterNetworkPolicy: %v", err)
	}
	if d := cmp.Diff(want.Spec, got.Spec); d != "" {
		t.Fatalf("the stored ClusterNetworkPolicy differs from the one written (-wrote +stored):\n%s", d)
	}
}

func TestClusterNetworkPolicyWithAWildcardInsideANameIsRefused(t *testing.T) {
	ns := newNamespace(t, "cnp-bad")
	err := k8s.Create(context.Background(), vendorByName(ns, "api.*.example.com"))
	requireRefused(t, err, "spec.egress[0].to[0].domainNames[0]")
}
