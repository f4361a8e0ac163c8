package render

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// TargetKind is a kind of ingress target, as the manager's --ingress-targets flag
// names it: what an admin enables, and what the manager needs RBAC and, for a custom
// resource, an installed CRD for.
type TargetKind string

const (
	TargetService      TargetKind = "service"
	TargetIngressNginx TargetKind = "ingress-nginx"
	TargetEnvoyGateway TargetKind = "envoy-gateway"
	TargetIstio        TargetKind = "istio"
	TargetTraefik      TargetKind = "traefik"
)

// TargetKinds are every kind, in the order the flag lists them.
var TargetKinds = []TargetKind{TargetService, TargetIngressNginx, TargetEnvoyGateway, TargetIstio, TargetTraefik}

// The kinds of object the targets write.
var (
	ServiceKind             = schema.GroupVersionKind{Version: "v1", Kind: "Service"}
	IngressKind             = schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"}
	SecurityPolicyKind      = schema.GroupVersionKind{Group: "gateway.envoyproxy.io", Version: "v1alpha1", Kind: "SecurityPolicy"}
	AuthorizationPolicyKind = schema.GroupVersionKind{Group: "security.istio.io", Version: "v1", Kind: "AuthorizationPolicy"}
	MiddlewareKind          = schema.GroupVersionKind{Group: "traefik.io", Version: "v1alpha1", Kind: "Middleware"}
)

// OwnedKind is the custom resource a target kind creates and owns; false for the
// kinds that set a field of the user's own object.
func (k TargetKind) OwnedKind() (schema.GroupVersionKind, bool) {
	switch k {
	case TargetEnvoyGateway:
		return SecurityPolicyKind, true
	case TargetIstio:
		return AuthorizationPolicyKind, true
	case TargetTraefik:
		return MiddlewareKind, true
	}
	return schema.GroupVersionKind{}, false
}

// The fields the operator sets on objects it does not own.
const (
	// NginxAllowlistAnnotation is ingress-nginx's source-address allowlist. (Newer
	// releases also read allowlist-source-range; this name works with all of them.)
	NginxAllowlistAnnotation = "nginx.ingress.kubernetes.io/whitelist-source-range"
	// TraefikMiddlewaresAnnotation attaches middlewares to the routers Traefik makes
	// of an Ingress.
	TraefikMiddlewaresAnnotation = "traefik.ingress.kubernetes.io/router.middlewares"
)

// gatewayAPIGroup is the group of the Gateway API objects targets attach to.
const gatewayAPIGroup = "gateway.networking.k8s.io"

// TargetObject is one object an ingress target writes.
type TargetObject struct {
	// Object is what to apply. Owned, it is the whole object (without the owner
	// reference, which only the manager knows); otherwise it is the one field the
	// operator sets of someone else's object, named by kind and name.
	Object *unstructured.Unstructured
	// Owned: the operator creates the object, owns it and deletes it when no longer
	// rendered. Otherwise the object is the user's: it must exist, the operator never
	// creates or deletes it, and pruning it means releasing the field.
	Owned bool
}

// RenderedTarget is one entry of spec.ingressTargets, rendered.
type RenderedTarget struct {
	// Index is the entry's position in spec.ingressTargets.
	Index int
	Kind  TargetKind
	// Objects are what the entry writes. When Addresses is 0 (no ingress address is
	// known), they name the objects but carry no content: nothing is to be written,
	// and what was written before stays, since an empty allowlist in these fields
	// would open the target to every address.
	Objects []TargetObject
	// Addresses counts the address blocks each object enforces.
	Addresses int
}

// Path is the field path of the entry, for messages.
func (t RenderedTarget) Path() *field.Path {
	return field.NewPath("spec", "ingressTargets").Index(t.Index)
}

// compiledTarget is a target checked by Compile.
type compiledTarget struct {
	index  int
	kind   TargetKind
	target v1alpha1.IngressTarget
}

// targets checks spec.ingressTargets: one member each, no two writing the same
// object, label selectors the API server would take, and an ingress direction to take
// addresses from.
func (c *compiler) targets(spec *field.Path, a *v1alpha1.VendorAllowlist) []compiledTarget {
	path := spec.Child("ingressTargets")
	if len(a.Spec.IngressTargets) == 0 {
		if !a.Spec.IngressNetworkPolicyEnabled() {
			c.fail(v1alpha1.ReasonInvalidSpec, field.Required(path,
				"ingressNetworkPolicy: Disabled leaves the ingress addresses to the ingress targets, and none is listed: add one (for example {service: {name: web}}), or remove ingressNetworkPolicy"))
		}
		return nil
	}
	ingress := slices.ContainsFunc(c.rules, func(r rule) bool { return r.direction == v1alpha1.DirectionIngress })
	if !ingress && c.err == nil {
		c.fail(v1alpha1.ReasonInvalidSpec, field.Invalid(path, fmt.Sprintf("%d targets", len(a.Spec.IngressTargets)),
			"ingress targets enforce the allowlist's Ingress addresses, and it opens none: select a vendor's Ingress group (or a custom entry with direction: Ingress), or remove ingressTargets"))
	}
	var out []compiledTarget
	written := map[string]int{} // kind/name of each object -> entry
	for i, t := range a.Spec.IngressTargets {
		p := path.Index(i)
		kinds := targetKindsOf(t)
		if len(kinds) != 1 {
			c.fail(v1alpha1.ReasonInvalidSpec, field.Invalid(p, fmt.Sprintf("%d members set", len(kinds)),
				"set exactly one of service, ingressNginx, envoyGateway, istio or traefik, for example {service: {name: web}}; list several targets as several entries"))
			continue
		}
		ct := compiledTarget{index: i, kind: kinds[0], target: t}
		if t.Istio != nil {
			c.istio(p.Child("istio"), t.Istio)
		}
		for _, o := range targetIdentities(a.Name, ct) {
			key := o.kind + "/" + o.name
			if first, dup := written[key]; dup {
				e := field.Duplicate(p, fmt.Sprintf("%s %s", o.kind, o.name))
				e.Detail = fmt.Sprintf("spec.ingressTargets[%d] already writes %s %s: name each object in one target only", first, o.kind, o.name)
				c.fail(v1alpha1.ReasonInvalidSpec, e)
				continue
			}
			written[key] = i
		}
		out = append(out, ct)
	}
	return out
}

func (c *compiler) istio(path *field.Path, t *v1alpha1.IstioTarget) {
	switch {
	case (t.GatewayName == "") == (t.Selector == nil):
		c.fail(v1alpha1.ReasonInvalidSpec, field.Invalid(path, "istio", "set exactly one of gatewayName or selector"))
	case t.Selector != nil:
		sel := path.Child("selector", "matchLabels")
		if len(t.Selector.MatchLabels) == 0 {
			c.fail(v1alpha1.ReasonInvalidSpec, field.Required(sel, "list the labels of the gateway's pods, for example istio: ingressgateway: an empty selector would apply to every workload of the namespace"))
		}
		if errs := metav1validation.ValidateLabels(t.Selector.MatchLabels, sel); len(errs) > 0 {
			c.fail(v1alpha1.ReasonInvalidSpec, errs...)
		}
	}
}

func targetKindsOf(t v1alpha1.IngressTarget) []TargetKind {
	var kinds []TargetKind
	for _, m := range []struct {
		set  bool
		kind TargetKind
	}{
		{t.Service != nil, TargetService},
		{t.IngressNginx != nil, TargetIngressNginx},
		{t.EnvoyGateway != nil, TargetEnvoyGateway},
		{t.Istio != nil, TargetIstio},
		{t.Traefik != nil, TargetTraefik},
	} {
		if m.set {
			kinds = append(kinds, m.kind)
		}
	}
	return kinds
}

type identity struct{ kind, name string }

// targetIdentities are the objects a target writes, by kind and name.
func targetIdentities(allowlist string, ct compiledTarget) []identity {
	t := ct.target
	switch ct.kind {
	case TargetService:
		return []identity{{ServiceKind.Kind, string(t.Service.Name)}}
	case TargetIngressNginx:
		return []identity{{IngressKind.Kind, string(t.IngressNginx.IngressName)}}
	case TargetEnvoyGateway:
		ref := t.EnvoyGateway.TargetRef
		return []identity{{SecurityPolicyKind.Kind, TargetObjectName(allowlist, strings.ToLower(string(ref.Kind)), string(ref.Name))}}
	case TargetIstio:
		if t.Istio.GatewayName != "" {
			return []identity{{AuthorizationPolicyKind.Kind, TargetObjectName(allowlist, "gateway", string(t.Istio.GatewayName))}}
		}
		return []identity{{AuthorizationPolicyKind.Kind, TargetObjectName(allowlist, "gateway-pods")}}
	case TargetTraefik:
		if t.Traefik.IngressName == "" {
			return []identity{{MiddlewareKind.Kind, TargetObjectName(allowlist, "ingress")}}
		}
		return []identity{
			{MiddlewareKind.Kind, TargetObjectName(allowlist, "ingress", string(t.Traefik.IngressName))},
			{IngressKind.Kind, string(t.Traefik.IngressName)},
		}
	}
	return nil
}

// maxObjectName is the longest name of the objects the targets create.
const maxObjectName = 253

// TargetObjectName is the name of an object the operator creates for a target: the
// allowlist's name and the parts, joined with '-'; when that is longer than a name
// may be, cut short and ended with a hash of the whole, so it stays unique.
func TargetObjectName(allowlist string, parts ...string) string {
	name := strings.Join(append([]string{allowlist}, parts...), "-")
	if len(name) <= maxObjectName {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	suffix := "-" + hex.EncodeToString(sum[:])[:10]
	return strings.TrimRight(name[:maxObjectName-len(suffix)], "-.") + suffix
}

// buildTargets renders every target with the ingress addresses.
func (p *Plan) buildTargets(ingress []netip.Prefix) []RenderedTarget {
	out := make([]RenderedTarget, 0, len(p.targets))
	for _, ct := range p.targets {
		rt := RenderedTarget{Index: ct.index, Kind: ct.kind, Addresses: len(ingress)}
		for _, id := range targetIdentities(p.allowlist.Name, ct) {
			rt.Objects = append(rt.Objects, p.targetObject(ct, id, ingress))
		}
		out = append(out, rt)
	}
	return out
}

// targetObject is one object of a target, with the addresses as its content when
// there are any.
func (p *Plan) targetObject(ct compiledTarget, id identity, ingress []netip.Prefix) TargetObject {
	a := p.allowlist
	cidrs := make([]any, len(ingress))
	for i, pfx := range ingress {
		cidrs[i] = pfx.String()
	}
	var gvk schema.GroupVersionKind
	var content map[string]any
	owned := false
	switch {
	case id.kind == ServiceKind.Kind:
		gvk = ServiceKind
		content = map[string]any{"spec": map[string]any{"loadBalancerSourceRanges": cidrs}}
	case id.kind == IngressKind.Kind && ct.kind == TargetIngressNginx:
		gvk = IngressKind
		content = annotation(NginxAllowlistAnnotation, strings.Join(stringsOf(cidrs), ","))
	case id.kind == IngressKind.Kind: // Traefik's attachment
		gvk = IngressKind
		mw := targetIdentities(a.Name, ct)[0].name
		// The value does not depend on the addresses, but is written only once they
		// exist, with the Middleware it names: an Ingress naming a Middleware that
		// does not exist yet would stop being served.
		content = annotation(TraefikMiddlewaresAnnotation, a.Namespace+"-"+mw+"@kubernetescrd")
	case ct.kind == TargetEnvoyGateway:
		gvk, owned = SecurityPolicyKind, true
		content = envoySecurityPolicy(a.Name, ct.target.EnvoyGateway.TargetRef, cidrs)
	case ct.kind == TargetIstio:
		gvk, owned = AuthorizationPolicyKind, true
		// A DENY policy of every address but the vendors': unlike an ALLOW policy,
		// which any other ALLOW policy on the same gateway widens, it holds whatever
		// else applies to the gateway.
		spec := map[string]any{
			"action": "DENY",
			"rules": []any{map[string]any{
				"from": []any{map[string]any{"source": map[string]any{"notRemoteIpBlocks": cidrs}}},
			}},
		}
		if name := ct.target.Istio.GatewayName; name != "" {
			spec["targetRefs"] = []any{map[string]any{"group": gatewayAPIGroup, "kind": "Gateway", "name": string(name)}}
		} else {
			labels := map[string]any{}
			for k, v := range ct.target.Istio.Selector.MatchLabels {
				labels[k] = v
			}
			spec["selector"] = map[string]any{"matchLabels": labels}
		}
		content = map[string]any{"spec": spec}
	case ct.kind == TargetTraefik:
		gvk, owned = MiddlewareKind, true
		allow := map[string]any{"sourceRange": cidrs}
		if s := ct.target.Traefik.IPStrategy; s != nil {
			allow["ipStrategy"] = map[string]any{"depth": int64(s.Depth)}
		}
		content = map[string]any{"spec": map[string]any{"ipAllowList": allow}}
	}

	u := &unstructured.Unstructured{Object: map[string]any{}}
	if len(ingress) > 0 {
		u.Object = content
	}
	u.SetGroupVersionKind(gvk)
	u.SetNamespace(a.Namespace)
	u.SetName(id.name)
	if owned {
		// Set after the content, which may hold annotations but never labels.
		u.SetLabels(map[string]string{v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue, v1alpha1.AllowlistLabel: a.Name})
	}
	return TargetObject{Object: u, Owned: owned}
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

func annotation(key, value string) map[string]any {
	return map[string]any{"metadata": map[string]any{"annotations": map[string]any{key: value}}}
}

func stringsOf(items []any) []string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = s.(string)
	}
	return out
}
