/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

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

// A Service is cached with what its target reads, and the field ownership read from
// the slim copy is the full Service's; its ports, selector and status are not kept.
func TestSlimUserObjectKeepsWhatTargetsRead(t *testing.T) {
	const manager = v1alpha1.TargetFieldManagerPrefix + "web"
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", Annotations: map[string]string{v1alpha1.AllowAllowlistsAnnotation: "web"},
			ManagedFields: []metav1.ManagedFieldsEntry{
				{Manager: "helm", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1", FieldsType: "FieldsV1",
					FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:ports":{},"f:selector":{},"f:type":{}}}`)}},
				{Manager: manager, Operation: metav1.ManagedFieldsOperationApply, APIVersion: "v1", FieldsType: "FieldsV1",
					FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:loadBalancerSourceRanges":{}}}`)}},
			}},
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeLoadBalancer, ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
			LoadBalancerSourceRanges: []string{"198.51.100.0/24"},
			Ports:                    []corev1.ServicePort{{Port: 443}}, Selector: map[string]string{"app": "web"},
		},
		Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "198.51.100.9"}}}},
	}
	out, err := slimUserObject(svc.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	slim := out.(*corev1.Service)
	if len(slim.Spec.Ports) > 0 || slim.Spec.Selector != nil || len(slim.Status.LoadBalancer.Ingress) > 0 {
		t.Errorf("the cached Service keeps what no target reads: %+v", slim)
	}
	if slim.Spec.Type != svc.Spec.Type || slim.Spec.ExternalTrafficPolicy != svc.Spec.ExternalTrafficPolicy ||
		!slices.Equal(slim.Spec.LoadBalancerSourceRanges, svc.Spec.LoadBalancerSourceRanges) ||
		len(slim.ManagedFields) != 2 || slim.Annotations[v1alpha1.AllowAllowlistsAnnotation] != "web" {
		t.Errorf("the cached Service lost what a target reads: %+v", slim)
	}
	full, err := corev1ac.ExtractService(svc, manager)
	if err != nil {
		t.Fatal(err)
	}
	fromSlim, err := corev1ac.ExtractService(slim, manager)
	if err != nil {
		t.Fatal(err)
	}
	if !equality.Semantic.DeepEqual(full, fromSlim) {
		t.Errorf("the target's fields read from the cached Service %+v differ from the Service's %+v", fromSlim, full)
	}

	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: map[string]string{"a": "b"}},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: "web.example.com"}}}}
	out, _ = slimUserObject(ing)
	if slimIng := out.(*networkingv1.Ingress); len(slimIng.Spec.Rules) > 0 || slimIng.Annotations["a"] != "b" {
		t.Errorf("the cached Ingress is %+v, want its metadata alone", slimIng)
	}
}
