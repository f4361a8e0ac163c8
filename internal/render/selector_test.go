/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render_test

import (
	"errors"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// The CRD schema of a label selector checks only its shape; a selector the API
// server would refuse in a NetworkPolicy must be refused before anything is applied.
func TestCompileRefusesInvalidSelectors(t *testing.T) {
	cases := map[string]struct {
		mutate func(*v1alpha1.VendorAllowlistSpec)
		field  string
	}{
		"label key with a space": {func(s *v1alpha1.VendorAllowlistSpec) {
			s.PodSelector = metav1.LabelSelector{MatchLabels: map[string]string{"bad key!": "x"}}
		}, "spec.podSelector.matchLabels"},
		"In without values": {func(s *v1alpha1.VendorAllowlistSpec) {
			s.PodSelector = metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpIn}}}
		}, "spec.podSelector.matchExpressions[0].values"},
		"unknown operator": {func(s *v1alpha1.VendorAllowlistSpec) {
			s.PodSelector = metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Like", Values: []string{"x"}}}}
		}, "spec.podSelector.matchExpressions[0].operator"},
		"cluster DNS selector value too long": {func(s *v1alpha1.VendorAllowlistSpec) {
			s.ClusterDNS = &v1alpha1.ClusterDNS{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": strings.Repeat("x", 64)}}}
		}, "spec.clusterDNS.podSelector.matchLabels"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			a := &v1alpha1.VendorAllowlist{
				ObjectMeta: metav1.ObjectMeta{Name: "sel", Namespace: "default"},
				Spec: v1alpha1.VendorAllowlistSpec{Vendors: []v1alpha1.VendorSelection{
					{Name: "workato", Endpoints: []v1alpha1.ObjectName{"opa-gateways"}},
				}},
			}
			tc.mutate(&a.Spec)
			_, err := render.Compile(a, catalog.Builtin(), opts)
			var rerr *render.Error
			if !errors.As(err, &rerr) {
				t.Fatalf("Compile accepted an invalid selector: %v", err)
			}
			if rerr.Reason != v1alpha1.ReasonInvalidSpec || !strings.Contains(rerr.Error(), tc.field) {
				t.Fatalf("reason %s, message %q; want InvalidSpec naming %s", rerr.Reason, rerr.Error(), tc.field)
			}
		})
	}
}
