/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"slices"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// The cache keeps the operator's own entries, which the drift check and the release
// of target fields read, and drops everyone else's.
func TestKeepOwnManagedFields(t *testing.T) {
	entry := func(manager string) metav1.ManagedFieldsEntry {
		return metav1.ManagedFieldsEntry{Manager: manager, Operation: metav1.ManagedFieldsOperationApply, FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{}}`)}}
	}
	for _, tc := range []struct {
		name string
		in   []string
		want []string
	}{
		{"none", nil, nil},
		{"only others", []string{"kubectl-client-side-apply", "helm"}, nil},
		{"own among others", []string{"kubectl-edit", v1alpha1.FieldOwner, "argocd-controller"}, []string{v1alpha1.FieldOwner}},
		{"target managers", []string{v1alpha1.TargetFieldManager("hooks"), "helm", v1alpha1.TargetFieldManager("api")}, []string{v1alpha1.TargetFieldManager("hooks"), v1alpha1.TargetFieldManager("api")}},
		{"a name that only starts like the operator's", []string{v1alpha1.FieldOwner + "-copy"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			np := &networkingv1.NetworkPolicy{}
			for _, m := range tc.in {
				np.ManagedFields = append(np.ManagedFields, entry(m))
			}
			out, err := KeepOwnManagedFields(np)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range out.(*networkingv1.NetworkPolicy).ManagedFields {
				got = append(got, e.Manager)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("kept %q, want %q", got, tc.want)
			}
		})
	}
	if out, err := KeepOwnManagedFields("not an object"); err != nil || out != "not an object" {
		t.Errorf("a non-object came back as %v, %v", out, err)
	}
}
