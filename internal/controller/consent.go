package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// Whoever may write a VendorAllowlist must not, through the operator, change an
// object they could not change themselves: the operator writes into an object it did
// not create (a Service's source ranges, an Ingress annotation) or attaches a policy
// to one (a Gateway, a route, the pods a selector matches) only when that object's
// owner consented, by an annotation on the object itself, or when the cluster admin
// allowed the kind in the namespace, by an annotation on the Namespace. Tenants can
// edit neither. And it never writes over a restriction someone else set.

// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=gateways;httproutes;grpcroutes;tcproutes,verbs=get

// consentRecheck is how often an allowlist whose target lacks consent is looked at
// again: consent on a Namespace or a Gateway API object comes without an event the
// operator watches (a Service's or an Ingress's does, and is seen at once).
const consentRecheck = time.Minute

// gatewayAPIGroup is the group of the objects Envoy Gateway and Istio attach to.
const gatewayAPIGroup = "gateway.networking.k8s.io"

// consentSubject is the object whose owner must consent to a target: the object it
// writes into or attaches to. Empty when there is none (a Traefik Middleware no
// Ingress names, which attaches to nothing by itself; an Istio selector, which only
// the namespace's admin can allow).
type consentSubject struct {
	kind schema.GroupKind
	name string
}

func (s consentSubject) kubectlRef() string {
	if s.kind.Group == "" || s.kind.Group == networkingv1.GroupName {
		return strings.ToLower(s.kind.Kind) + "/" + s.name
	}
	return strings.ToLower(s.kind.Kind) + "." + s.kind.Group + "/" + s.name
}

// consentSubjectOf is what the target at rt.Index writes into or attaches to.
func consentSubjectOf(allowlist *v1alpha1.VendorAllowlist, rt render.RenderedTarget) (consentSubject, bool) {
	t := allowlist.Spec.IngressTargets[rt.Index]
	switch {
	case t.Service != nil:
		return consentSubject{render.ServiceKind.GroupKind(), string(t.Service.Name)}, true
	case t.IngressNginx != nil:
		return consentSubject{render.IngressKind.GroupKind(), string(t.IngressNginx.IngressName)}, true
	case t.Traefik != nil && t.Traefik.IngressName != "":
		return consentSubject{render.IngressKind.GroupKind(), string(t.Traefik.IngressName)}, true
	case t.EnvoyGateway != nil:
		ref := t.EnvoyGateway.TargetRef
		return consentSubject{schema.GroupKind{Group: gatewayAPIGroup, Kind: string(ref.Kind)}, string(ref.Name)}, true
	case t.Istio != nil && t.Istio.GatewayName != "":
		return consentSubject{schema.GroupKind{Group: gatewayAPIGroup, Kind: "Gateway"}, string(t.Istio.GatewayName)}, true
	}
	return consentSubject{}, false
}

// needsConsent: every target but a Traefik Middleware that no Ingress names.
func needsConsent(allowlist *v1alpha1.VendorAllowlist, rt render.RenderedTarget) bool {
	t := allowlist.Spec.IngressTargets[rt.Index]
	return t.Traefik == nil || t.Traefik.IngressName != ""
}

// namesAllowlist: the value of AllowAllowlistsAnnotation names the allowlist, or is "*".
func namesAllowlist(value, allowlist string) bool {
	for _, f := range strings.Split(value, ",") {
		if f = strings.TrimSpace(f); f == allowlist || f == "*" {
			return true
		}
	}
	return false
}

// namespaceAllows: the value of NamespaceIngressTargetsAnnotation lists the kind.
func namespaceAllows(value string, kind render.TargetKind) bool {
	for _, f := range strings.Split(value, ",") {
		if render.TargetKind(strings.TrimSpace(f)) == kind {
			return true
		}
	}
	return false
}

// consentCheck reads, at most once per reconcile, the annotation of the allowlist's
// Namespace.
type consentCheck struct {
	r         *VendorAllowlistReconciler
	allowlist *v1alpha1.VendorAllowlist
	nsRead    bool
	nsValue   string
	nsProblem string
}

func (r *VendorAllowlistReconciler) newConsentCheck(allowlist *v1alpha1.VendorAllowlist) *consentCheck {
	return &consentCheck{r: r, allowlist: allowlist}
}

// namespaceValue is the Namespace's NamespaceIngressTargetsAnnotation, read from the
// API server (the operator does not watch Namespaces: that would take list and
// watch on every Namespace of the cluster).
func (c *consentCheck) namespaceValue(ctx context.Context) (string, error) {
	if c.nsRead {
		return c.nsValue, nil
	}
	ns := partialMetadata(corev1.SchemeGroupVersion.WithKind("Namespace"), client.ObjectKey{Name: c.allowlist.Namespace})
	switch err := c.r.APIReader.Get(ctx, client.ObjectKey{Name: c.allowlist.Namespace}, ns); {
	case apierrors.IsForbidden(err):
		c.nsProblem = fmt.Sprintf(" (the operator may not read Namespace %s: %s)", c.allowlist.Namespace, apiMessage(err))
	case err != nil:
		return "", fmt.Errorf("reading Namespace %s for the admin's consent to ingress targets: %w", c.allowlist.Namespace, err)
	default:
		c.nsValue = ns.GetAnnotations()[v1alpha1.NamespaceIngressTargetsAnnotation]
	}
	c.nsRead = true
	return c.nsValue, nil
}

// given says whether the target may be written: "" when it may, else the message
// of a ConsentMissing status, naming the annotation and the command that gives it.
// An Ingress that does not exist is left to be reported as NotFound where it would
// be written, and its consent is checked again there (givenBy), on the object
// written.
func (c *consentCheck) given(ctx context.Context, rt render.RenderedTarget) (string, error) {
	if !needsConsent(c.allowlist, rt) || rt.Kind == render.TargetService || rt.Kind == render.TargetIngressNginx {
		// Those write the one object they name, and are checked there (givenBy),
		// after what someone else restricts, which is released even without consent.
		return "", nil
	}
	if ok, err := c.namespaceAllows(ctx, rt.Kind); ok || err != nil {
		return "", err
	}
	subject, ok := consentSubjectOf(c.allowlist, rt)
	if !ok {
		// An Istio selector: every workload of the namespace with those labels, a
		// shared gateway's among them, whoever runs it.
		return fmt.Sprintf("An Istio policy with a selector applies to every workload of namespace %s with those labels, whoever runs it, so only the cluster admin can allow it, by listing istio in the annotation %s of the Namespace: %s%s. Or name a Gateway whose owner consents (istio.gatewayName)",
			c.allowlist.Namespace, v1alpha1.NamespaceIngressTargetsAnnotation, c.adminCommand(rt.Kind), c.nsProblem), nil
	}
	if subject.kind.Group != gatewayAPIGroup {
		obj, err := c.r.targetUserObject(ctx, subject.kind.Kind, client.ObjectKey{Namespace: c.allowlist.Namespace, Name: subject.name})
		if err != nil || obj == nil {
			return "", err
		}
		return c.judge(rt, subject, obj.GetAnnotations()[v1alpha1.AllowAllowlistsAnnotation], ""), nil
	}
	value, problem, err := c.gatewayObjectValue(ctx, subject)
	if err != nil {
		return "", err
	}
	return c.judge(rt, subject, value, problem), nil
}

// givenBy is given for the Service or Ingress about to be written, as read then.
func (c *consentCheck) givenBy(ctx context.Context, rt render.RenderedTarget, obj client.Object, kind string) (string, error) {
	if ok, err := c.namespaceAllows(ctx, rt.Kind); ok || err != nil {
		return "", err
	}
	subject := consentSubject{render.IngressKind.GroupKind(), obj.GetName()}
	if kind == render.ServiceKind.Kind {
		subject.kind = render.ServiceKind.GroupKind()
	}
	return c.judge(rt, subject, obj.GetAnnotations()[v1alpha1.AllowAllowlistsAnnotation], ""), nil
}

func (c *consentCheck) namespaceAllows(ctx context.Context, kind render.TargetKind) (bool, error) {
	v, err := c.namespaceValue(ctx)
	return err == nil && namespaceAllows(v, kind), err
}

func (c *consentCheck) adminCommand(kind render.TargetKind) string {
	cmd := fmt.Sprintf("kubectl annotate namespace %s %s=%s", c.allowlist.Namespace, v1alpha1.NamespaceIngressTargetsAnnotation, appendValue(c.nsValue, string(kind)))
	if c.nsValue != "" {
		cmd += " --overwrite"
	}
	return cmd
}

// judge: "" when value (the subject's AllowAllowlistsAnnotation) names the
// allowlist and nothing kept it from being read (problem), else why not and how to
// consent.
func (c *consentCheck) judge(rt render.RenderedTarget, subject consentSubject, value, problem string) string {
	name := c.allowlist.Name
	if problem == "" && namesAllowlist(value, name) {
		return ""
	}
	if problem == "" {
		problem = fmt.Sprintf("its annotation %s does not name allowlist %s", v1alpha1.AllowAllowlistsAnnotation, name)
		if value == "" {
			problem = fmt.Sprintf("it has no annotation %s", v1alpha1.AllowAllowlistsAnnotation)
		}
	}
	ownerCmd := fmt.Sprintf("kubectl annotate -n %s %s %s=%s", c.allowlist.Namespace, subject.kubectlRef(), v1alpha1.AllowAllowlistsAnnotation, appendValue(value, name))
	if value != "" {
		ownerCmd += " --overwrite"
	}
	return fmt.Sprintf("The owner of %s %s has not consented to this allowlist writing into it or attaching to it (%s): the operator changes an object it did not create only with its owner's consent. Its owner consents with %s; or the cluster admin allows %s targets in the whole namespace with %s%s",
		subject.kind.Kind, subject.name, problem, ownerCmd, rt.Kind, c.adminCommand(rt.Kind), c.nsProblem)
}

// gatewayObjectValue is the AllowAllowlistsAnnotation of a Gateway API object, whose
// metadata is read from the API server (the operator does not watch them). problem
// says why there is none to read.
func (c *consentCheck) gatewayObjectValue(ctx context.Context, s consentSubject) (value, problem string, err error) {
	ns := c.allowlist.Namespace
	key := client.ObjectKey{Namespace: ns, Name: s.name}
	mapping, err := c.r.RESTMapper().RESTMapping(s.kind)
	if meta.IsNoMatchError(err) {
		return "", fmt.Sprintf("the API server does not serve %s: Gateway API is not installed", s.kind), nil
	} else if err != nil {
		return "", "", fmt.Errorf("finding the version of %s: %w", s.kind, err)
	}
	o := partialMetadata(mapping.GroupVersionKind, key)
	switch err := c.r.APIReader.Get(ctx, key, o); {
	case apierrors.IsNotFound(err):
		return "", fmt.Sprintf("%s %s does not exist in namespace %s", s.kind.Kind, s.name, ns), nil
	case err != nil:
		return "", "", fmt.Errorf("reading %s %s/%s for its owner's consent: %w", s.kind.Kind, ns, s.name, err)
	case !o.GetDeletionTimestamp().IsZero():
		return "", fmt.Sprintf("%s %s is being deleted", s.kind.Kind, s.name), nil
	}
	return o.GetAnnotations()[v1alpha1.AllowAllowlistsAnnotation], "", nil
}

// appendValue adds item to a comma-separated list, for the command a message gives.
func appendValue(list, item string) string {
	var out []string
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f != "" && f != item {
			out = append(out, f)
		}
	}
	return strings.Join(append(out, item), ",")
}

// The annotations by which others restrict the sources of a Service or an Ingress.
const (
	// cloudSourceRangesAnnotation: cloud providers take it when the spec field is
	// empty, and ignore it once the field is set.
	cloudSourceRangesAnnotation = "service.beta.kubernetes.io/load-balancer-source-ranges"
	// nginxAllowlistSourceRange: newer ingress-nginx releases read it before
	// whitelist-source-range, which it then makes of no effect.
	nginxAllowlistSourceRange = "nginx.ingress.kubernetes.io/allowlist-source-range"
)

// restriction says who else already restricts the sources of a Service or an Ingress
// of an ingress-nginx target: "" when no one does. The operator never writes over
// that: its addresses could be wider than what was restricted (and on a Service,
// setting the field makes the cloud ignore the annotation).
func restriction(existing client.Object, rt render.RenderedTarget, manager string) string {
	annotations := existing.GetAnnotations()
	switch o := existing.(type) {
	case *corev1.Service:
		if v := annotations[cloudSourceRangesAnnotation]; strings.TrimSpace(v) != "" {
			return fmt.Sprintf("Service %s has the annotation %s=%s%s, which cloud load balancers stop reading once spec.loadBalancerSourceRanges is set", o.Name, cloudSourceRangesAnnotation, truncate(v, 128), setBy(existing, manager, "f:metadata", "f:annotations", "f:"+cloudSourceRangesAnnotation))
		}
		if len(o.Spec.LoadBalancerSourceRanges) > 0 {
			if others := otherHolders(existing, manager, "f:spec", "f:loadBalancerSourceRanges"); others != "" {
				return fmt.Sprintf("spec.loadBalancerSourceRanges of Service %s is set already (%s) by %s", o.Name, truncate(strings.Join(o.Spec.LoadBalancerSourceRanges, ","), 128), others)
			}
		}
	case *networkingv1.Ingress:
		if rt.Kind != render.TargetIngressNginx {
			return ""
		}
		if v, ok := annotations[nginxAllowlistSourceRange]; ok {
			return fmt.Sprintf("Ingress %s has the annotation %s=%s%s, which ingress-nginx reads instead of %s, so the allowlist's addresses would not be enforced", o.Name, nginxAllowlistSourceRange, truncate(v, 128), setBy(existing, manager, "f:metadata", "f:annotations", "f:"+nginxAllowlistSourceRange), render.NginxAllowlistAnnotation)
		}
		if v, ok := annotations[render.NginxAllowlistAnnotation]; ok {
			if others := otherHolders(existing, manager, "f:metadata", "f:annotations", "f:"+render.NginxAllowlistAnnotation); others != "" {
				return fmt.Sprintf("the annotation %s of Ingress %s is set already (%s) by %s", render.NginxAllowlistAnnotation, o.Name, truncate(v, 128), others)
			}
		}
	}
	return ""
}

// otherHolders names the field managers other than manager that hold the field at
// path, or "someone who is not recorded" when no manager holds it, not even
// manager: "" when manager alone does.
func otherHolders(o client.Object, manager string, path ...string) string {
	holders := fieldManagers(o, path...)
	others := slices.DeleteFunc(slices.Clone(holders), func(m string) bool { return m == manager })
	switch {
	case len(others) > 0:
		return "field manager " + strings.Join(others, ", ")
	case len(holders) == 0:
		return "a writer the object's managed fields do not record"
	}
	return ""
}

func setBy(o client.Object, manager string, path ...string) string {
	if others := otherHolders(o, manager, path...); others != "" {
		return " (set by " + others + ")"
	}
	return ""
}

// fieldManagers are the managers whose managed fields hold the field at path (each
// element "f:<name>", as in FieldsV1).
func fieldManagers(o client.Object, path ...string) []string {
	var out []string
	for _, e := range o.GetManagedFields() {
		if e.FieldsV1 == nil || e.Subresource != "" {
			continue
		}
		var fields map[string]any
		if json.Unmarshal(e.FieldsV1.Raw, &fields) != nil {
			continue
		}
		var node any = fields
		for _, p := range path {
			m, _ := node.(map[string]any)
			node = m[p]
		}
		if node != nil && !slices.Contains(out, e.Manager) {
			out = append(out, e.Manager)
		}
	}
	return out
}

// traefikIDConflict names another Middleware that Traefik would know by the same
// ID as the Middleware ns/name: Traefik names a Middleware <namespace>-<name>, so
// ns-a/b and ns/a-b are one to it, and an Ingress naming one may get the other.
// Every split of the ID at a '-' into a namespace and a name is looked up. A
// namespace the operator may not read (with watchNamespaces) is not looked in.
func (r *VendorAllowlistReconciler) traefikIDConflict(ctx context.Context, ns, name string) (string, error) {
	id := ns + "-" + name
	for i := range len(id) {
		if id[i] != '-' || i == len(ns) {
			continue
		}
		otherNS, otherName := id[:i], id[i+1:]
		if len(validation.IsDNS1123Label(otherNS)) > 0 || len(validation.IsDNS1123Subdomain(otherName)) > 0 {
			continue
		}
		key := client.ObjectKey{Namespace: otherNS, Name: otherName}
		o := partialMetadata(render.MiddlewareKind, key)
		switch err := r.APIReader.Get(ctx, key, o); {
		case apierrors.IsNotFound(err), apierrors.IsForbidden(err):
			continue
		case err != nil:
			return "", fmt.Errorf("looking for a Middleware Traefik would confuse with %s/%s: %w", ns, name, err)
		}
		return otherNS + "/" + otherName, nil
	}
	return "", nil
}
