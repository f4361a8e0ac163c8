/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// envoyGatewayKind creates an Envoy Gateway SecurityPolicy on a Gateway or a route.
type envoyGatewayKind struct{}

// TargetEnvoyGateway is the kind's name.
const TargetEnvoyGateway TargetKind = "envoy-gateway"

// SecurityPolicyKind is the kind of object it creates.
var SecurityPolicyKind = schema.GroupVersionKind{Group: "gateway.envoyproxy.io", Version: "v1alpha1", Kind: "SecurityPolicy"}

func (envoyGatewayKind) Name() TargetKind                                          { return TargetEnvoyGateway }
func (envoyGatewayKind) Member() string                                            { return "envoyGateway" }
func (envoyGatewayKind) Of(t v1alpha1.IngressTarget) bool                          { return t.EnvoyGateway != nil }
func (envoyGatewayKind) Owned() (schema.GroupVersionKind, bool)                    { return SecurityPolicyKind, true }
func (envoyGatewayKind) Fields() []FieldObject                                     { return nil }
func (envoyGatewayKind) Check(*field.Path, v1alpha1.IngressTarget) field.ErrorList { return nil }

func (envoyGatewayKind) Objects(a *v1alpha1.VendorAllowlist, t v1alpha1.IngressTarget, cidrs []string) []KindObject {
	ref := t.EnvoyGateway.TargetRef
	return []KindObject{{Kind: SecurityPolicyKind, Name: TargetObjectName(a.Name, strings.ToLower(string(ref.Kind)), string(ref.Name)), Owned: true,
		Content: envoySecurityPolicy(a.Name, ref, anys(cidrs))}}
}

func (envoyGatewayKind) Consent(_ *v1alpha1.VendorAllowlist, t v1alpha1.IngressTarget) Consent {
	ref := t.EnvoyGateway.TargetRef
	return Consent{Needed: true, Kind: schema.GroupKind{Group: gatewayAPIGroup, Kind: string(ref.Kind)}, Name: string(ref.Name)}
}

func (envoyGatewayKind) Restriction(runtime.Object, string) (string, string) { return "", "" }

func (envoyGatewayKind) FieldUpToDate(runtime.Object, *unstructured.Unstructured, string) bool {
	return false
}

// NotAttached: Envoy Gateway writes Gateway API's policy status.
func (envoyGatewayKind) NotAttached(existing *unstructured.Unstructured) []string {
	return policyNotAttached(existing)
}

func (envoyGatewayKind) Applied(t v1alpha1.IngressTarget, written *unstructured.Unstructured, _ runtime.Object, addresses int) (string, string) {
	ref := t.EnvoyGateway.TargetRef
	return fmt.Sprintf("SecurityPolicy %s denies requests to %s %s from any address but the %d address blocks of the allowlist; Envoy Gateway says in the SecurityPolicy's status whether it attached", written.GetName(), ref.Kind, ref.Name, addresses), ""
}

// envoySecurityPolicy is the content of an Envoy Gateway SecurityPolicy: requests to
// the target from any address but cidrs are denied.
//
// Envoy Gateway applies one SecurityPolicy to a route, the most specific: without
// more, a policy on a route would take the place of the Gateway's (or listener's)
// policy there, and with it the platform's authentication (JWT, OIDC, basic auth,
// external authorization). On a route (HTTPRoute, GRPCRoute) the policy therefore
// asks to be merged into the closest policy above the route (mergeType), so the
// route keeps everything the platform's policy sets and gains the address filter;
// with no policy above, it applies alone. Envoy Gateway's translator shows both
// (test/targets TestEnvoyGatewayKeepsPlatformAuthentication).
//
// A TCPRoute gets no mergeType: Envoy Gateway allows only authorization on TCP, so a
// merge with a Gateway policy that authenticates HTTP would be refused whole, and
// the route filtered by nothing; HTTP authentication never applied to it anyway. A
// Gateway cannot have one (Envoy Gateway's schema allows mergeType on routes alone):
// where the Gateway has a policy of someone else's already, the operator writes
// none (see the controller's envoyConflict).
func envoySecurityPolicy(allowlist string, ref v1alpha1.EnvoyGatewayTargetRef, cidrs []any) map[string]any {
	spec := map[string]any{
		"targetRefs": []any{map[string]any{"group": gatewayAPIGroup, "kind": string(ref.Kind), "name": string(ref.Name)}},
		"authorization": map[string]any{
			"defaultAction": "Deny",
			"rules": []any{map[string]any{
				"name":      "vendor-allowlist-" + allowlist,
				"action":    "Allow",
				"principal": map[string]any{"clientCIDRs": cidrs},
			}},
		},
	}
	if ref.Kind == "HTTPRoute" || ref.Kind == "GRPCRoute" {
		spec["mergeType"] = EnvoyMergeType
	}
	return map[string]any{"spec": spec}
}

// EnvoyMergeType is how the operator's SecurityPolicy on a route is merged into the
// platform's policy above it: a strategic merge, in which the fields the operator
// sets (authorization) are its own and every other field is the parent's.
const EnvoyMergeType = "StrategicMerge"
