/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"fmt"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

func ownedPolicy(uid, rv string, labels map[string]string) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{
		Name: "p", Namespace: "ns", UID: types.UID(uid), ResourceVersion: rv, Labels: labels,
		ManagedFields: []metav1.ManagedFieldsEntry{{
			Manager: v1alpha1.FieldOwner, Operation: metav1.ManagedFieldsOperationApply, APIVersion: "networking.k8s.io/v1", FieldsType: "FieldsV1",
			FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:labels":{"f:app":{}}}}`)},
		}},
	}}
}

// A policy read again at the same resource version is not extracted again; a new
// version is, and what it owns then is what comes back.
func TestOwnedFieldsMemo(t *testing.T) {
	var memo ownedFieldsMemo
	first, err := memo.policy(ownedPolicy("u1", "1", map[string]string{"app": "a"}))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := memo.policy(ownedPolicy("u1", "1", map[string]string{"app": "a"}))
	if again != first {
		t.Error("the same resource version was extracted again")
	}
	changed, _ := memo.policy(ownedPolicy("u1", "2", map[string]string{"app": "b"}))
	if changed == first || changed.Labels["app"] != "b" {
		t.Errorf("a new resource version gave %v, want the new owned labels", changed.Labels)
	}
	for i := range 2 * ownedFieldsMemoSize {
		if _, err := memo.policy(ownedPolicy(fmt.Sprint("x", i), "1", nil)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(memo.entries); n > ownedFieldsMemoSize {
		t.Errorf("the memo holds %d extractions, more than its bound %d", n, ownedFieldsMemoSize)
	}
	// The oldest go first: the last ones read are there, the first ones are not.
	last := ownedPolicy(fmt.Sprint("x", 2*ownedFieldsMemoSize-1), "1", nil)
	if _, ok := memo.entries[last.UID]; !ok {
		t.Error("the last policy read is not kept")
	}
	if _, ok := memo.entries["u1"]; ok {
		t.Error("the first policy read is still kept after the bound's worth of others")
	}
}
