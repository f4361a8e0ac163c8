/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// traefikKind creates a Traefik Middleware (ipAllowList) and, when the entry names an
// Ingress of the user's, sets the annotation by which its routers use it.
type traefikKind struct{}

// TargetTraefik is the kind's name.
const TargetTraefik TargetKind = "traefik"

// MiddlewareKind is the kind of object it creates.
var MiddlewareKind = schema.GroupVersionKind{Group: "traefik.io", Version: "v1alpha1", Kind: "Middleware"}

// TraefikMiddlewaresAnnotation attaches middlewares to the routers Traefik makes of
// an Ingress.
const TraefikMiddlewaresAnnotation = "traefik.ingress.kubernetes.io/router.middlewares"

func (traefikKind) Name() TargetKind                                          { return TargetTraefik }
func (traefikKind) Member() string                                            { return "traefik" }
func (traefikKind) Of(t v1alpha1.IngressTarget) bool                          { return t.Traefik != nil }
func (traefikKind) Owned() (schema.GroupVersionKind, bool)                    { return MiddlewareKind, true }
func (traefikKind) Fields() []FieldObject                                     { return []FieldObject{{Kind: IngressKind}} }
func (traefikKind) Check(*field.Path, v1alpha1.IngressTarget) field.ErrorList { return nil }

func (traefikKind) Objects(a *v1alpha1.VendorAllowlist, t v1alpha1.IngressTarget, cidrs []string) []KindObject {
	allow := map[string]any{"sourceRange": anys(cidrs)}
	if s := t.Traefik.IPStrategy; s != nil {
		allow["ipStrategy"] = map[string]any{"depth": int64(s.Depth)}
	}
	ing := string(t.Traefik.IngressName)
	if ing == "" {
		return []KindObject{{Kind: MiddlewareKind, Name: TargetObjectName(a.Name, "ingress"), Owned: true,
			Content: map[string]any{"spec": map[string]any{"ipAllowList": allow}}}}
	}
	mw := TargetObjectName(a.Name, "ingress", ing)
	return []KindObject{
		{Kind: MiddlewareKind, Name: mw, Owned: true, Content: map[string]any{"spec": map[string]any{"ipAllowList": allow}}},
		// The value does not depend on the addresses, but is written only once they
		// exist, with the Middleware it names: an Ingress naming a Middleware that
		// does not exist yet would stop being served.
		{Kind: IngressKind, Name: ing, Content: annotation(TraefikMiddlewaresAnnotation, a.Namespace+"-"+mw+"@kubernetescrd")},
	}
}

// Consent: a Middleware no Ingress names attaches to nothing by itself.
func (traefikKind) Consent(_ *v1alpha1.VendorAllowlist, t v1alpha1.IngressTarget) Consent {
	if t.Traefik.IngressName == "" {
		return Consent{}
	}
	return Consent{Needed: true, Kind: IngressKind.GroupKind(), Name: string(t.Traefik.IngressName)}
}

func (traefikKind) Restriction(runtime.Object, string) (string, string) { return "", "" }

func (traefikKind) FieldUpToDate(existing runtime.Object, desired *unstructured.Unstructured, manager string) bool {
	return ingressAnnotationsUpToDate(existing, desired, manager)
}

func (traefikKind) NotAttached(*unstructured.Unstructured) []string { return nil }

func (traefikKind) Applied(t v1alpha1.IngressTarget, written *unstructured.Unstructured, _ runtime.Object, addresses int) (string, string) {
	name := written.GetName()
	switch {
	case written.GetKind() == IngressKind.Kind:
		return fmt.Sprintf("The annotation %s of Ingress %s names the Middleware", TraefikMiddlewaresAnnotation, name), ""
	case t.Traefik.IngressName == "":
		return fmt.Sprintf("Middleware %s allows only the %d address blocks of the allowlist: list it in your IngressRoute's routes[].middlewares as {name: %s}", name, addresses, name), ""
	}
	return fmt.Sprintf("Middleware %s allows only the %d address blocks of the allowlist; Ingress %s names it", name, addresses, t.Traefik.IngressName), ""
}
