/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

// Ingress targets: where, besides or instead of the ingress NetworkPolicy, an
// allowlist's ingress addresses are enforced. Behind a load balancer that proxies, an
// ingress controller or a Gateway, the pods see the proxy's address, not the vendor's,
// so the check has to happen where the vendor's address is still known. Gateway API
// has no standard client-address filter, so each implementation gets its own member.
//
// Shape: one member per enforcer rather than a {kind, name} pair, because each
// enforcer takes other things (Envoy Gateway attaches to Gateways and routes, Istio to
// a Gateway or to gateway pods by label, Traefik needs to know how far to trust
// X-Forwarded-For) and the schema can then say, per member, what is valid.
//
// A target names an object in the allowlist's own namespace only: no member has a
// namespace field, so an allowlist cannot reach another namespace.

// IngressTarget is one place the allowlist's ingress addresses are enforced. Exactly
// one member is set. A target that writes into or attaches to an object the operator
// does not create (a Service, an Ingress, a Gateway or route, the pods of a selector)
// is written only with the consent of that object's owner (its annotation
// networking.vendorallowlist.io/allow-allowlists naming the allowlist) or of the
// cluster admin for the namespace and kind (the Namespace's annotation
// networking.vendorallowlist.io/ingress-targets), and never over a restriction of
// the object's sources that someone else set.
// +kubebuilder:validation:XValidation:rule="(has(self.service) ? 1 : 0) + (has(self.ingressNginx) ? 1 : 0) + (has(self.envoyGateway) ? 1 : 0) + (has(self.istio) ? 1 : 0) + (has(self.traefik) ? 1 : 0) == 1",message="set exactly one of service, ingressNginx, envoyGateway, istio or traefik in each ingress target, for example {service: {name: web}}; list several targets as several entries"
type IngressTarget struct {
	// service names a Service of type LoadBalancer in the allowlist's namespace. The
	// operator sets its spec.loadBalancerSourceRanges to the allowlist's ingress
	// addresses, and owns nothing else of the Service (server-side apply with a field
	// manager of its own); kube-proxy and cloud load balancers drop every other source.
	// If another manager (Helm, Argo CD, kubectl) already holds that field, or the
	// Service has the annotation service.beta.kubernetes.io/load-balancer-source-ranges,
	// that is reported (Restricted) and the Service is left as it is.
	// +optional
	Service *ServiceTarget `json:"service,omitempty"`

	// ingressNginx names an Ingress served by ingress-nginx: the operator sets its
	// annotation nginx.ingress.kubernetes.io/whitelist-source-range, and nothing else;
	// never when another manager holds it or allowlist-source-range is set
	// (Restricted).
	// +optional
	IngressNginx *IngressNginxTarget `json:"ingressNginx,omitempty"`

	// envoyGateway renders an Envoy Gateway SecurityPolicy (gateway.envoyproxy.io/v1alpha1)
	// attached to a Gateway or a route: requests from other addresses are denied.
	// +optional
	EnvoyGateway *EnvoyGatewayTarget `json:"envoyGateway,omitempty"`

	// istio renders an Istio AuthorizationPolicy (security.istio.io/v1) for an ingress
	// gateway: requests whose original client address (remoteIpBlocks) is not the
	// vendor's are denied.
	// +optional
	Istio *IstioTarget `json:"istio,omitempty"`

	// traefik renders a Traefik Middleware (traefik.io/v1alpha1, ipAllowList), and
	// attaches it to an Ingress when ingressName is set.
	// +optional
	Traefik *TraefikTarget `json:"traefik,omitempty"`
}

// ServiceTarget names a Service.
type ServiceTarget struct {
	// name of the Service, in the allowlist's namespace.
	// +required
	Name ServiceName `json:"name"`
}

// IngressNginxTarget names an Ingress served by ingress-nginx.
type IngressNginxTarget struct {
	// ingressName is the name of the Ingress, in the allowlist's namespace.
	// +required
	IngressName ResourceName `json:"ingressName"`
}

// EnvoyGatewayTarget is where an Envoy Gateway SecurityPolicy attaches.
type EnvoyGatewayTarget struct {
	// targetRef is the Gateway or route (gateway.networking.k8s.io), in the allowlist's
	// namespace, that the SecurityPolicy attaches to. A policy on a route applies to
	// that route alone; on an HTTPRoute or GRPCRoute it is merged into the policy above
	// the route (mergeType), so the Gateway's authentication still applies there. A
	// policy on a Gateway applies to every route of it that has no SecurityPolicy of
	// its own. Where someone else's SecurityPolicy is attached to the same Gateway or
	// route, none is written (Conflict).
	// +required
	TargetRef EnvoyGatewayTargetRef `json:"targetRef"`
}

// EnvoyGatewayTargetRef names a Gateway API object Envoy Gateway attaches policies to.
type EnvoyGatewayTargetRef struct {
	// kind is Gateway, HTTPRoute, GRPCRoute or TCPRoute.
	// +required
	Kind EnvoyGatewayTargetKind `json:"kind"`

	// name of the object, in the allowlist's namespace.
	// +required
	Name ResourceName `json:"name"`
}

// EnvoyGatewayTargetKind is a kind of gateway.networking.k8s.io that a SecurityPolicy
// can attach to.
// +kubebuilder:validation:Enum=Gateway;HTTPRoute;GRPCRoute;TCPRoute
type EnvoyGatewayTargetKind string

// IstioTarget says which gateway an Istio AuthorizationPolicy applies to: a Gateway
// API Gateway that Istio runs (targetRef, Istio 1.22 or later), or the pods of an
// Istio ingress gateway deployment in the allowlist's namespace (selector). Exactly one.
// +kubebuilder:validation:XValidation:rule="has(self.gatewayName) != has(self.selector)",message="set exactly one of gatewayName (a Gateway API Gateway run by Istio, for example gatewayName: public) or selector (the labels of an Istio ingress gateway's pods, for example selector: {matchLabels: {istio: ingressgateway}})"
type IstioTarget struct {
	// gatewayName names a Gateway (gateway.networking.k8s.io) in the allowlist's
	// namespace that Istio runs; the policy attaches to it with targetRefs.
	// +optional
	GatewayName ResourceName `json:"gatewayName,omitempty"`

	// selector selects the pods of an Istio ingress gateway in the allowlist's
	// namespace (istio.io's WorkloadSelector: labels only, never empty, because a
	// policy with an empty selector applies to every workload of the namespace).
	// +optional
	Selector *IstioWorkloadSelector `json:"selector,omitempty"`
}

// IstioWorkloadSelector selects pods by label, as Istio's WorkloadSelector does.
type IstioWorkloadSelector struct {
	// matchLabels are the labels the gateway's pods carry, for example
	// istio: ingressgateway. At least one.
	// +required
	// +kubebuilder:validation:MinProperties=1
	// +kubebuilder:validation:MaxProperties=16
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) > 0 && size(k) <= 317 && !k.contains('*'))",message="label keys must be non-empty, at most 317 characters and without wildcards, for example istio"
	MatchLabels map[string]string `json:"matchLabels"`
}

// TraefikTarget renders a Traefik Middleware that allows only the allowlist's ingress
// addresses, and optionally attaches it to an Ingress.
type TraefikTarget struct {
	// ingressName names an Ingress served by Traefik, in the allowlist's namespace: the
	// operator sets its annotation traefik.ingress.kubernetes.io/router.middlewares to
	// the Middleware, and nothing else. Leave it out for an IngressRoute, and list the
	// Middleware (status.ingressTargets names it) in the route's middlewares yourself.
	// +optional
	IngressName ResourceName `json:"ingressName,omitempty"`

	// ipStrategy says which address Traefik checks. Without it, the address of the
	// connection: right when Traefik is reached directly or through a load balancer
	// that keeps the client's address (externalTrafficPolicy: Local).
	// +optional
	IPStrategy *TraefikIPStrategy `json:"ipStrategy,omitempty"`
}

// TraefikIPStrategy is Traefik's ipStrategy: which address of X-Forwarded-For to check.
type TraefikIPStrategy struct {
	// depth takes the address depth entries from the right of X-Forwarded-For: 1 is
	// the address the proxy in front of Traefik saw. Use it only when every request
	// passes through that many proxies you trust; a client reaching Traefik directly
	// could write the header itself.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=16
	Depth int32 `json:"depth"`
}

// ServiceName is the name of a Service: a DNS-1035 label, lower case a-z, 0-9 and
// '-', starting with a letter, at most 63 characters.
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",message="must be a Service name such as web: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit, in the allowlist's namespace (a target cannot name another namespace)"
type ServiceName string

// ResourceName is the name of a namespaced object such as an Ingress, a Gateway or a
// route: a DNS-1123 subdomain, at most 253 characters.
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="must be an object name such as web or public-gateway: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, in the allowlist's namespace (a target cannot name another namespace)"
type ResourceName string

// IngressNetworkPolicy says whether the ingress NetworkPolicy is rendered.
// +kubebuilder:validation:Enum=Enabled;Disabled
type IngressNetworkPolicy string

const (
	// IngressNetworkPolicyEnabled renders the ingress NetworkPolicy, as without targets.
	IngressNetworkPolicyEnabled IngressNetworkPolicy = "Enabled"
	// IngressNetworkPolicyDisabled renders none: the ingress targets alone enforce the
	// addresses. For pods behind a proxy, which would otherwise be cut off from it.
	IngressNetworkPolicyDisabled IngressNetworkPolicy = "Disabled"
)

// IngressTargetState is what became of one ingress target.
// +kubebuilder:validation:Enum=Applied;Warning;Pending;Failed
type IngressTargetState string

const (
	// IngressTargetApplied: the object carries the allowlist's ingress addresses.
	IngressTargetApplied IngressTargetState = "Applied"
	// IngressTargetWarning: it does, but they may not be enforced as meant (a
	// LoadBalancer Service whose externalTrafficPolicy is not Local, a policy its
	// gateway says it has not attached).
	IngressTargetWarning IngressTargetState = "Warning"
	// IngressTargetPending: nothing was written yet, for a reason that passes (no
	// address is known yet); what was written before stays.
	IngressTargetPending IngressTargetState = "Pending"
	// IngressTargetFailed: it could not be written (conflict, missing object, a
	// Service that is not a LoadBalancer, kind not installed or not enabled, no
	// consent of the object's owner); what was written before stays. Restricted
	// alone takes back what was written: the owner's own restriction then holds.
	IngressTargetFailed IngressTargetState = "Failed"
)

// IngressTargetStatus is what the operator wrote for one ingress target.
type IngressTargetStatus struct {
	// kind of the object written: Service, Ingress, SecurityPolicy,
	// AuthorizationPolicy or Middleware.
	// +required
	// +kubebuilder:validation:MaxLength=63
	Kind string `json:"kind"`

	// name of the object written, in the allowlist's namespace.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// state: Applied, Warning, Pending or Failed.
	// +required
	State IngressTargetState `json:"state"`

	// reason is a CamelCase word for the state, such as Applied, Conflict,
	// ServiceNotFound or KindNotInstalled.
	// +required
	// +kubebuilder:validation:MaxLength=64
	Reason string `json:"reason"`

	// message says what happened and what to do about it.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Message string `json:"message,omitempty"`

	// addresses is the number of address blocks the object enforces.
	// +optional
	Addresses int32 `json:"addresses,omitempty"`
}

// Reasons of an ingress target's status.
const (
	TargetReasonApplied              = "Applied"
	TargetReasonNoAddresses          = "NoAddresses"
	TargetReasonConflict             = "Conflict"
	TargetReasonNotFound             = "NotFound"
	TargetReasonKindNotInstalled     = "KindNotInstalled"
	TargetReasonKindNotEnabled       = "KindNotEnabled"
	TargetReasonApplyFailed          = "ApplyFailed"
	TargetReasonNotLoadBalancer      = "NotLoadBalancer"
	TargetReasonTrafficPolicyCluster = "ExternalTrafficPolicyCluster"
	// TargetReasonNotAccepted: the gateway controller says in the object's status
	// (Gateway API policy status, condition Accepted=False) that it did not attach
	// it, so it filters nothing until the cause is fixed.
	TargetReasonNotAccepted = "NotAccepted"
	// TargetReasonConsentMissing: the object the target writes into or attaches to
	// (a Service, an Ingress, a Gateway or a route) does not name the allowlist in
	// its annotation AllowAllowlistsAnnotation, and its namespace does not allow the
	// kind (NamespaceIngressTargetsAnnotation). Nothing is written: whoever can write
	// a VendorAllowlist must not thereby change an object they cannot edit.
	TargetReasonConsentMissing = "ConsentMissing"
	// TargetReasonRestricted: someone else already restricts the object's sources
	// (a Service's loadBalancerSourceRanges or its cloud annotation, an Ingress's
	// ingress-nginx allowlist-source-range or whitelist-source-range): the operator
	// never writes over that, since its addresses could be wider, and releases what
	// it set there before.
	TargetReasonRestricted = "Restricted"
)

// AllowAllowlistsAnnotation, on a Service, an Ingress, a Gateway or a route, is its
// owner's consent that VendorAllowlists of its namespace write into it or attach a
// policy to it: a comma-separated list of allowlist names, or "*" for any allowlist
// of the namespace. Only someone who may edit the object can set it, which a user
// who may only write VendorAllowlists cannot.
const AllowAllowlistsAnnotation = "networking.vendorallowlist.io/allow-allowlists"

// NamespaceIngressTargetsAnnotation, on a Namespace, is the cluster admin's consent
// that the allowlists of that namespace use the listed kinds of ingress target
// (comma-separated, as --ingress-targets names them: service, ingress-nginx,
// envoy-gateway, istio, traefik) without the consent of each object's owner. It is
// the only consent for an Istio target with a selector, which no single object
// stands for. Tenants cannot edit Namespaces.
const NamespaceIngressTargetsAnnotation = "networking.vendorallowlist.io/ingress-targets"

// ReasonIngressTargetFailed is the Ready reason of an allowlist whose NetworkPolicies
// are in place but one of whose ingress targets could not be written, for a reason
// only a person can fix (a kind not installed or not enabled, a field another manager
// owns, a Service that is not a LoadBalancer): Stalled. status.ingressTargets says
// which and why.
const ReasonIngressTargetFailed = "IngressTargetFailed"

// ReasonIngressTargetPending is the Ready reason of an allowlist one of whose ingress
// targets is not written yet, but will be without anyone's help: the Service or
// Ingress it names does not exist yet (the operator writes it when it appears, as
// when a GitOps sync applies both), or an apply is retried. Reconciling.
const ReasonIngressTargetPending = "IngressTargetPending"

// TargetFieldManagerPrefix starts the server-side apply field manager with which the
// operator writes the one field it owns of a Service or an Ingress that it does not
// own: the allowlist's name follows. One manager per allowlist, so that two
// allowlists naming the same Service conflict at the API server instead of
// overwriting each other, and so that the fields of a deleted allowlist can be found
// and released from the objects alone.
const TargetFieldManagerPrefix = "vendor-allowlist-operator/ingress-targets/"

// TargetFieldManager is the field manager of an allowlist's fields on Services and
// Ingresses.
func TargetFieldManager(allowlist string) string { return TargetFieldManagerPrefix + allowlist }

// IngressNetworkPolicyEnabled reports whether the ingress NetworkPolicy is rendered.
func (s *VendorAllowlistSpec) IngressNetworkPolicyEnabled() bool {
	return s.IngressNetworkPolicy != IngressNetworkPolicyDisabled
}
