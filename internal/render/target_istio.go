/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// istioKind creates an Istio AuthorizationPolicy for a Gateway, or for the gateway
// pods a selector matches.
type istioKind struct{}

// TargetIstio is the kind's name.
const TargetIstio TargetKind = "istio"

// AuthorizationPolicyKind is the kind of object it creates.
var AuthorizationPolicyKind = schema.GroupVersionKind{Group: "security.istio.io", Version: "v1", Kind: "AuthorizationPolicy"}

func (istioKind) Name() TargetKind                       { return TargetIstio }
func (istioKind) Member() string                         { return "istio" }
func (istioKind) Of(t v1alpha1.IngressTarget) bool       { return t.Istio != nil }
func (istioKind) Owned() (schema.GroupVersionKind, bool) { return AuthorizationPolicyKind, true }
func (istioKind) Fields() []FieldObject                  { return nil }

func (istioKind) Check(entry *field.Path, t v1alpha1.IngressTarget) field.ErrorList {
	path := entry.Child("istio")
	switch {
	case (t.Istio.GatewayName == "") == (t.Istio.Selector == nil):
		return field.ErrorList{field.Invalid(path, "istio", "set exactly one of gatewayName or selector")}
	case t.Istio.Selector != nil:
		sel := path.Child("selector", "matchLabels")
		var errs field.ErrorList
		if len(t.Istio.Selector.MatchLabels) == 0 {
			errs = append(errs, field.Required(sel, "list the labels of the gateway's pods, for example istio: ingressgateway: an empty selector would apply to every workload of the namespace"))
		}
		return append(errs, metav1validation.ValidateLabels(t.Istio.Selector.MatchLabels, sel)...)
	}
	return nil
}

func (istioKind) Objects(a *v1alpha1.VendorAllowlist, t v1alpha1.IngressTarget, cidrs []string) []KindObject {
	// A DENY policy of every address but the vendors': unlike an ALLOW policy, which
	// any other ALLOW policy on the same gateway widens, it holds whatever else
	// applies to the gateway.
	spec := map[string]any{
		"action": "DENY",
		"rules": []any{map[string]any{
			"from": []any{map[string]any{"source": map[string]any{"notRemoteIpBlocks": anys(cidrs)}}},
		}},
	}
	name := TargetObjectName(a.Name, "gateway-pods")
	if gw := t.Istio.GatewayName; gw != "" {
		name = TargetObjectName(a.Name, "gateway", string(gw))
		spec["targetRefs"] = []any{map[string]any{"group": gatewayAPIGroup, "kind": "Gateway", "name": string(gw)}}
	} else if t.Istio.Selector != nil { // else Check refuses the entry
		matchLabels := map[string]any{}
		for k, v := range t.Istio.Selector.MatchLabels {
			matchLabels[k] = v
		}
		spec["selector"] = map[string]any{"matchLabels": matchLabels}
	}
	return []KindObject{{Kind: AuthorizationPolicyKind, Name: name, Owned: true, Content: map[string]any{"spec": spec}}}
}

// Consent: a selector applies to every workload of the namespace with those labels,
// a shared gateway's among them, whoever runs it, so only the cluster admin can
// allow it.
func (istioKind) Consent(a *v1alpha1.VendorAllowlist, t v1alpha1.IngressTarget) Consent {
	if t.Istio.GatewayName == "" {
		return Consent{Needed: true,
			AdminOnly: fmt.Sprintf("An Istio policy with a selector applies to every workload of namespace %s with those labels, whoever runs it", a.Namespace),
			Otherwise: "Or name a Gateway whose owner consents (istio.gatewayName)"}
	}
	return Consent{Needed: true, Kind: schema.GroupKind{Group: gatewayAPIGroup, Kind: "Gateway"}, Name: string(t.Istio.GatewayName)}
}

func (istioKind) Restriction(runtime.Object, string) (string, string) { return "", "" }

func (istioKind) FieldUpToDate(runtime.Object, *unstructured.Unstructured, string) bool { return false }

func (istioKind) NotAttached(*unstructured.Unstructured) []string { return nil }

func (istioKind) Applied(t v1alpha1.IngressTarget, written *unstructured.Unstructured, _ runtime.Object, addresses int) (string, string) {
	to := "Gateway " + string(t.Istio.GatewayName)
	if t.Istio.Selector != nil {
		to = "the pods labelled " + labels.Set(t.Istio.Selector.MatchLabels).String()
	}
	return fmt.Sprintf("AuthorizationPolicy %s denies requests to %s whose original client is not one of the %d address blocks of the allowlist", written.GetName(), to, addresses), ""
}
