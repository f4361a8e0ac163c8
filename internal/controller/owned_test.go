/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"net/netip"
	"slices"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// ownedPolicyFields is what the API server records for the operator's apply of a
// policy with the label app, the single address 198.51.100.7 and the network
// 203.0.113.0/24, both from one rule.
const ownedPolicyFields = `{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:egress":{},"f:podSelector":{},"f:policyTypes":{}}}`

func managedPolicy(rv, app string, fieldsV1 string) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{
			Name: "p", Namespace: "ns", UID: "u1", ResourceVersion: rv,
			Labels:      map[string]string{"app": app, v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue},
			Annotations: map[string]string{"note": "kept"},
			ManagedFields: []metav1.ManagedFieldsEntry{{
				Manager: v1alpha1.FieldOwner, Operation: metav1.ManagedFieldsOperationApply, APIVersion: "networking.k8s.io/v1", FieldsType: "FieldsV1",
				FieldsV1: &metav1.FieldsV1{Raw: []byte(fieldsV1)},
			}},
		},
		Spec: networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{
				{IPBlock: &networkingv1.IPBlock{CIDR: "198.51.100.7/32"}},
				{IPBlock: &networkingv1.IPBlock{CIDR: "203.0.113.0/24"}},
			}}},
		},
	}
}

// The cache keeps a managed policy's metadata and what the reconciler compares:
// the same view as the full policy gives, with no spec or managed fields left.
func TestSlimPolicyKeepsWhatTheReconcilerReads(t *testing.T) {
	full := managedPolicy("1", "a", ownedPolicyFields)
	want, err := ownedFields(full)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(want.addresses, []netip.Addr{netip.MustParseAddr("198.51.100.7")}) {
		t.Errorf("single addresses %v, want only 198.51.100.7 (a network is not a rendered address)", want.addresses)
	}
	out, err := SlimPolicy(full.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	slim := out.(*networkingv1.NetworkPolicy)
	if len(slim.Spec.Egress) > 0 || len(slim.Spec.PolicyTypes) > 0 || slim.ManagedFields != nil {
		t.Errorf("the cached policy keeps its spec or managed fields: %+v", slim)
	}
	if slim.Labels["app"] != "a" || slim.Annotations["note"] != "kept" || slim.UID != "u1" || slim.ResourceVersion != "1" {
		t.Errorf("the cached policy lost metadata: %+v", slim.ObjectMeta)
	}
	got, err := ownedFields(slim)
	if err != nil {
		t.Fatal(err)
	}
	if got.digest != want.digest || !slices.Equal(got.addresses, want.addresses) {
		t.Errorf("the cached view %+v differs from the full policy's %+v", got, want)
	}
	if _, ok := full.Annotations[ownedDigestAnnotation]; ok {
		t.Error("the transform wrote the cache's annotation into the object it was given")
	}
}

// A field the operator no longer owns (someone else's edit took it) changes the
// digest, so the reconciler sees the edit and puts the field back.
func TestOwnedDigestSeesAnEdit(t *testing.T) {
	before, err := ownedFields(managedPolicy("1", "a", ownedPolicyFields))
	if err != nil {
		t.Fatal(err)
	}
	relabelled, err := ownedFields(managedPolicy("2", "b", ownedPolicyFields))
	if err != nil {
		t.Fatal(err)
	}
	lostEgress, err := ownedFields(managedPolicy("2", "a", `{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:podSelector":{},"f:policyTypes":{}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if relabelled.digest == before.digest || lostEgress.digest == before.digest {
		t.Errorf("digests %s (before), %s (label changed), %s (egress taken by another manager): an edit went unseen", before.digest, relabelled.digest, lostEgress.digest)
	}
}
