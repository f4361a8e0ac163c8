/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// serviceKind sets spec.loadBalancerSourceRanges of a LoadBalancer Service of the
// user's.
type serviceKind struct{}

// TargetService is the kind's name.
const TargetService TargetKind = "service"

// ServiceKind is the kind of object it writes into.
var ServiceKind = schema.GroupVersionKind{Version: "v1", Kind: "Service"}

// cloudSourceRangesAnnotation: cloud providers take it when the spec field is empty,
// and ignore it once the field is set.
const cloudSourceRangesAnnotation = "service.beta.kubernetes.io/load-balancer-source-ranges"

func (serviceKind) Name() TargetKind                       { return TargetService }
func (serviceKind) Member() string                         { return "service" }
func (serviceKind) Of(t v1alpha1.IngressTarget) bool       { return t.Service != nil }
func (serviceKind) Owned() (schema.GroupVersionKind, bool) { return schema.GroupVersionKind{}, false }
func (serviceKind) Fields() []FieldObject {
	return []FieldObject{{Kind: ServiceKind, SpecMatters: true}}
}
func (serviceKind) Check(*field.Path, v1alpha1.IngressTarget) field.ErrorList { return nil }

func (serviceKind) Objects(_ *v1alpha1.VendorAllowlist, t v1alpha1.IngressTarget, cidrs []string) []KindObject {
	return []KindObject{{Kind: ServiceKind, Name: string(t.Service.Name),
		Content: map[string]any{"spec": map[string]any{"loadBalancerSourceRanges": anys(cidrs)}}}}
}

func (serviceKind) Consent(_ *v1alpha1.VendorAllowlist, t v1alpha1.IngressTarget) Consent {
	return Consent{Needed: true, Kind: ServiceKind.GroupKind(), Name: string(t.Service.Name)}
}

func (serviceKind) Restriction(existing runtime.Object, manager string) (string, string) {
	o, ok := existing.(*corev1.Service)
	switch {
	case !ok:
		return "", ""
	case o.Spec.Type != corev1.ServiceTypeLoadBalancer:
		// The API server takes loadBalancerSourceRanges on a LoadBalancer alone.
		return v1alpha1.TargetReasonNotLoadBalancer, fmt.Sprintf("Service %s is of type %s: only a LoadBalancer Service has source ranges (enforced by kube-proxy or the cloud's load balancer), so nothing would check the addresses; make it type: LoadBalancer, or name the proxy in front of it as the target", o.Name, serviceType(o))
	}
	restricted := v1alpha1.TargetReasonRestricted
	if v := o.Annotations[cloudSourceRangesAnnotation]; strings.TrimSpace(v) != "" {
		return restricted, fmt.Sprintf("Service %s has the annotation %s=%s%s, which cloud load balancers stop reading once spec.loadBalancerSourceRanges is set", o.Name, cloudSourceRangesAnnotation, Truncate(v, 128), setBy(o, manager, "f:metadata", "f:annotations", "f:"+cloudSourceRangesAnnotation))
	}
	if len(o.Spec.LoadBalancerSourceRanges) > 0 {
		if others := otherHolders(o, manager, "f:spec", "f:loadBalancerSourceRanges"); others != "" {
			return restricted, fmt.Sprintf("spec.loadBalancerSourceRanges of Service %s is set already (%s) by %s", o.Name, Truncate(strings.Join(o.Spec.LoadBalancerSourceRanges, ","), 128), others)
		}
	}
	return "", ""
}

func serviceType(svc *corev1.Service) string {
	if svc.Spec.Type == "" {
		return string(corev1.ServiceTypeClusterIP)
	}
	return string(svc.Spec.Type)
}

func (serviceKind) FieldUpToDate(existing runtime.Object, desired *unstructured.Unstructured, manager string) bool {
	svc, ok := existing.(*corev1.Service)
	if !ok {
		return false
	}
	owned, err := corev1ac.ExtractService(svc, manager)
	want, _, _ := unstructured.NestedStringSlice(desired.Object, "spec", "loadBalancerSourceRanges")
	return err == nil && owned.Spec != nil && owned.Spec.LoadBalancerSourceRanges != nil && slices.Equal(owned.Spec.LoadBalancerSourceRanges, want)
}

func (serviceKind) NotAttached(*unstructured.Unstructured) []string { return nil }

func (serviceKind) Applied(_ v1alpha1.IngressTarget, written *unstructured.Unstructured, existing runtime.Object, addresses int) (string, string) {
	msg := fmt.Sprintf("spec.loadBalancerSourceRanges of Service %s holds the %d address blocks of the allowlist", written.GetName(), addresses)
	if svc, ok := existing.(*corev1.Service); ok && svc.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal {
		// The vendor's address is hidden behind the node's.
		return msg + ", but its externalTrafficPolicy is Cluster: traffic that reaches a node without a ready pod is forwarded with the node's address as source, so the pods (and an ingress NetworkPolicy) no longer see the vendor's address, and a load balancer that checks the ranges only at the node does not see it either; set externalTrafficPolicy: Local",
			v1alpha1.TargetReasonTrafficPolicyCluster
	}
	return msg, ""
}
