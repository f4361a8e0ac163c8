/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// managed is a managed-fields entry of manager holding the fields of fieldsJSON.
func managed(manager, fieldsJSON string) metav1.ManagedFieldsEntry {
	return metav1.ManagedFieldsEntry{Manager: manager, Operation: metav1.ManagedFieldsOperationApply, FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(fieldsJSON)}}
}

// TestRestriction: a kind that sets a field of a user object finds who else
// restricts its sources.
func TestRestriction(t *testing.T) {
	ours := v1alpha1.TargetFieldManager("hooks")
	ranges := `{"f:spec":{"f:loadBalancerSourceRanges":{}}}`
	svc := func(annotations map[string]string, spec []string, entries ...metav1.ManagedFieldsEntry) runtime.Object {
		return &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: annotations, ManagedFields: entries},
			Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerSourceRanges: spec},
		}
	}
	ing := func(annotations map[string]string, entries ...metav1.ManagedFieldsEntry) runtime.Object {
		return &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: annotations, ManagedFields: entries}}
	}
	nginx := ingressNginxKind{}
	traefik := traefikKind{}
	service := serviceKind{}
	for _, tc := range []struct {
		name string
		obj  runtime.Object
		kind Kind
		want string // a part of the message; "" for none
	}{
		{"open Service", svc(nil, nil), service, ""},
		{"cloud annotation", svc(map[string]string{cloudSourceRangesAnnotation: "10.0.0.0/8"}, nil, managed("platform", `{"f:metadata":{"f:annotations":{"f:`+cloudSourceRangesAnnotation+`":{}}}}`)), service, "set by field manager platform"},
		{"spec ranges of another", svc(nil, []string{"10.0.0.0/8"}, managed("helm", ranges)), service, "by field manager helm"},
		{"spec ranges of another allowlist", svc(nil, []string{"10.0.0.0/8"}, managed(v1alpha1.TargetFieldManager("other"), ranges)), service, "ingress-targets/other"},
		{"spec ranges of no one recorded", svc(nil, []string{"10.0.0.0/8"}), service, "managed fields do not record"},
		{"spec ranges of ours", svc(nil, []string{"10.0.0.0/8"}, managed(ours, ranges)), service, ""},
		{"spec ranges of ours and another's", svc(nil, []string{"10.0.0.0/8"}, managed(ours, ranges), managed("kubectl", ranges)), service, "field manager kubectl"},
		{"open Ingress", ing(nil), nginx, ""},
		{"allowlist-source-range", ing(map[string]string{nginxAllowlistSourceRange: "10.0.0.0/8"}), nginx, "reads instead of"},
		{"whitelist of another", ing(map[string]string{NginxAllowlistAnnotation: "10.0.0.0/8"}, managed("helm", `{"f:metadata":{"f:annotations":{"f:`+NginxAllowlistAnnotation+`":{}}}}`)), nginx, "by field manager helm"},
		{"whitelist of ours", ing(map[string]string{NginxAllowlistAnnotation: "10.0.0.0/8"}, managed(ours, `{"f:metadata":{"f:annotations":{"f:`+NginxAllowlistAnnotation+`":{}}}}`)), nginx, ""},
		{"Traefik's Ingress", ing(map[string]string{nginxAllowlistSourceRange: "10.0.0.0/8"}), traefik, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reason, got := tc.kind.Restriction(tc.obj, ours)
			if got != "" && reason != v1alpha1.TargetReasonRestricted {
				t.Errorf("reason = %q, want %q", reason, v1alpha1.TargetReasonRestricted)
			}
			if (got == "") != (tc.want == "") || !strings.Contains(got, tc.want) {
				t.Errorf("restriction = %q, want it to say %q", got, tc.want)
			}
		})
	}
}
