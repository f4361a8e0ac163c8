/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render

import (
	"fmt"
	"maps"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	networkingv1ac "k8s.io/client-go/applyconfigurations/networking/v1"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// ingressNginxKind sets ingress-nginx's source-address annotation of an Ingress of
// the user's.
type ingressNginxKind struct{}

// TargetIngressNginx is the kind's name.
const TargetIngressNginx TargetKind = "ingress-nginx"

// NginxAllowlistAnnotation is ingress-nginx's source-address allowlist. (Newer
// releases also read allowlist-source-range; this name works with all of them.)
const NginxAllowlistAnnotation = "nginx.ingress.kubernetes.io/whitelist-source-range"

// nginxAllowlistSourceRange: newer ingress-nginx releases read it before
// whitelist-source-range, which it then makes of no effect.
const nginxAllowlistSourceRange = "nginx.ingress.kubernetes.io/allowlist-source-range"

func (ingressNginxKind) Name() TargetKind                 { return TargetIngressNginx }
func (ingressNginxKind) Member() string                   { return "ingressNginx" }
func (ingressNginxKind) Of(t v1alpha1.IngressTarget) bool { return t.IngressNginx != nil }
func (ingressNginxKind) Owned() (schema.GroupVersionKind, bool) {
	return schema.GroupVersionKind{}, false
}
func (ingressNginxKind) Fields() []FieldObject                                     { return []FieldObject{{Kind: IngressKind}} }
func (ingressNginxKind) Check(*field.Path, v1alpha1.IngressTarget) field.ErrorList { return nil }

func (ingressNginxKind) Objects(_ *v1alpha1.VendorAllowlist, t v1alpha1.IngressTarget, cidrs []string) []KindObject {
	return []KindObject{{Kind: IngressKind, Name: string(t.IngressNginx.IngressName),
		Content: annotation(NginxAllowlistAnnotation, strings.Join(cidrs, ","))}}
}

func (ingressNginxKind) Consent(_ *v1alpha1.VendorAllowlist, t v1alpha1.IngressTarget) Consent {
	return Consent{Needed: true, Kind: IngressKind.GroupKind(), Name: string(t.IngressNginx.IngressName)}
}

func (ingressNginxKind) Restriction(existing runtime.Object, manager string) (string, string) {
	o, ok := existing.(*networkingv1.Ingress)
	if !ok {
		return "", ""
	}
	restricted := v1alpha1.TargetReasonRestricted
	if v, ok := o.Annotations[nginxAllowlistSourceRange]; ok {
		return restricted, fmt.Sprintf("Ingress %s has the annotation %s=%s%s, which ingress-nginx reads instead of %s, so the allowlist's addresses would not be enforced", o.Name, nginxAllowlistSourceRange, Truncate(v, 128), setBy(o, manager, "f:metadata", "f:annotations", "f:"+nginxAllowlistSourceRange), NginxAllowlistAnnotation)
	}
	if v, ok := o.Annotations[NginxAllowlistAnnotation]; ok {
		if others := otherHolders(o, manager, "f:metadata", "f:annotations", "f:"+NginxAllowlistAnnotation); others != "" {
			return restricted, fmt.Sprintf("the annotation %s of Ingress %s is set already (%s) by %s", NginxAllowlistAnnotation, o.Name, Truncate(v, 128), others)
		}
	}
	return "", ""
}

func (ingressNginxKind) FieldUpToDate(existing runtime.Object, desired *unstructured.Unstructured, manager string) bool {
	return ingressAnnotationsUpToDate(existing, desired, manager)
}

func (ingressNginxKind) NotAttached(*unstructured.Unstructured) []string { return nil }

func (ingressNginxKind) Applied(_ v1alpha1.IngressTarget, written *unstructured.Unstructured, _ runtime.Object, addresses int) (string, string) {
	return fmt.Sprintf("The annotation %s of Ingress %s holds the %d address blocks of the allowlist", NginxAllowlistAnnotation, written.GetName(), addresses), ""
}

// ingressAnnotationsUpToDate: manager holds exactly the annotations desired sets of
// an Ingress, with desired's values; an annotation it set before and sets no more
// must be released.
func ingressAnnotationsUpToDate(existing runtime.Object, desired *unstructured.Unstructured, manager string) bool {
	ing, ok := existing.(*networkingv1.Ingress)
	if !ok {
		return false
	}
	owned, err := networkingv1ac.ExtractIngress(ing, manager)
	return err == nil && maps.Equal(owned.Annotations, desired.GetAnnotations())
}
