package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	networkingv1ac "k8s.io/client-go/applyconfigurations/networking/v1"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=networking.k8s.io,resources=ingresses,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=gateway.envoyproxy.io,resources=securitypolicies,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=security.istio.io,resources=authorizationpolicies,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=traefik.io,resources=middlewares,verbs=get;list;watch;create;update;patch;delete

// renderedHashAnnotation on an object a target created holds a digest of what the
// operator last applied, so that a change of content is seen from the cache alone.
const renderedHashAnnotation = "networking.vendorallowlist.io/rendered-hash"

// ReasonIngressTargetsApplied is the reason of the event that tells of target objects
// written, released or deleted.
const ReasonIngressTargetsApplied = "IngressTargetsApplied"

// reconcileTargets writes what the allowlist's ingress targets render, takes back what
// it no longer renders (deleting the objects it created, releasing its field of the
// user's objects), and records each in status.ingressTargets. A target that cannot be
// written leaves what is there; only failures worth a retry are returned, with the
// objects written, released or deleted, for the status step to tell.
func (r *VendorAllowlistReconciler) reconcileTargets(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, result render.Result) ([]string, error) {
	if len(result.Targets) == 0 && len(r.Targets.Installed) == 0 {
		allowlist.Status.IngressTargets = nil
		return nil, nil // the manager handles no target: nothing to write or take back
	}
	var statuses []v1alpha1.IngressTargetStatus
	var changed []string
	var errs []error
	wanted := map[schema.GroupKind]map[string]bool{}
	consent := r.newConsentCheck(allowlist)
	for _, rt := range result.Targets {
		reason, msg, usable := r.Targets.usable(rt.Kind)
		missing := ""
		if usable && rt.Addresses > 0 {
			var err error
			if missing, err = consent.given(ctx, rt); err != nil {
				errs = append(errs, err)
				usable, reason, msg = false, v1alpha1.TargetReasonApplyFailed, err.Error()
			}
		}
		// An object of the target that could not be written stops those after it:
		// an Ingress must not name a Middleware that is not the allowlist's.
		var failed *v1alpha1.IngressTargetStatus
		for _, o := range rt.Objects {
			gvk := o.Object.GroupVersionKind()
			if wanted[gvk.GroupKind()] == nil {
				wanted[gvk.GroupKind()] = map[string]bool{}
			}
			wanted[gvk.GroupKind()][o.Object.GetName()] = true
			st := v1alpha1.IngressTargetStatus{Kind: gvk.Kind, Name: o.Object.GetName(), Addresses: int32(rt.Addresses)}
			var did string
			var err error
			switch {
			case !usable:
				st.State, st.Reason, st.Message = v1alpha1.IngressTargetFailed, reason, msg
			case rt.Addresses == 0:
				st.State, st.Reason = v1alpha1.IngressTargetPending, v1alpha1.TargetReasonNoAddresses
				st.Message = fmt.Sprintf("No ingress address is known yet (the allowlist's hostnames have not answered, or every address was left out): %s %s is not written, and what it holds stays", gvk.Kind, o.Object.GetName())
			case missing != "":
				consentMissing(&st, missing)
			case failed != nil:
				st.State, st.Reason = failed.State, failed.Reason
				st.Message = fmt.Sprintf("Not written, because %s %s of the same target was not: %s", failed.Kind, failed.Name, failed.Message)
			case o.Owned:
				did, err = r.applyOwnedTarget(ctx, allowlist, rt, o, &st)
			default:
				did, err = r.applyTargetField(ctx, allowlist, consent, rt, o, &st)
			}
			if err != nil {
				errs = append(errs, err)
			}
			if did != "" {
				changed = append(changed, did)
			}
			if st.Reason == v1alpha1.TargetReasonRestricted || (gvk == render.MiddlewareKind && st.Reason == v1alpha1.TargetReasonConflict) {
				// Not wanted: what the allowlist set there before is released, so
				// that the restriction of whoever else set one holds again; a
				// Middleware of its own that another's ID now shadows is deleted
				// (only one it controls: a stranger's of that name stays).
				delete(wanted[gvk.GroupKind()], o.Object.GetName())
			}
			st.Message = truncate(st.Message, 2048)
			statuses = append(statuses, st)
			if failed == nil && st.State == v1alpha1.IngressTargetFailed {
				failed = &st
			}
		}
	}
	pruned, err := r.pruneTargets(ctx, allowlist, wanted)
	if err != nil {
		errs = append(errs, err)
	}
	changed = append(changed, pruned...)
	allowlist.Status.IngressTargets = statuses
	return changed, errors.Join(errs...)
}

// applyOwnedTarget creates or updates an object the operator owns (a SecurityPolicy,
// an AuthorizationPolicy, a Middleware), as it does its NetworkPolicies: server-side
// apply with its field owner and a controller reference, never over an object of
// that name that is someone else's.
func (r *VendorAllowlistReconciler) applyOwnedTarget(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, rt render.RenderedTarget, o render.TargetObject, st *v1alpha1.IngressTargetStatus) (string, error) {
	desired, err := ownedDesired(allowlist, o.Object)
	if err != nil {
		st.State, st.Reason, st.Message = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonApplyFailed, err.Error()
		return "", err
	}
	gvk := desired.GroupVersionKind()
	key := client.ObjectKeyFromObject(desired)
	if rt.Kind == render.TargetEnvoyGateway {
		if blocked, err := r.envoyConflict(ctx, allowlist, desired, st); blocked {
			return "", err
		}
	}
	act, existing, err := r.ownedTargetAction(ctx, allowlist, desired)
	if err != nil {
		st.State, st.Reason, st.Message = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonApplyFailed, err.Error()
		return "", err
	}
	if act == conflict {
		st.State, st.Reason = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonConflict
		st.Message = conflictDetail(gvk.Kind, strings.ToLower(gvk.Kind)+"."+gvk.Group, existing, allowlist)
		return "", nil
	}
	if gvk == render.MiddlewareKind {
		other, err := r.traefikIDConflict(ctx, key.Namespace, key.Name)
		if err != nil {
			st.State, st.Reason, st.Message = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonApplyFailed, err.Error()
			return "", err
		}
		if other != "" {
			st.State, st.Reason = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonConflict
			st.Message = fmt.Sprintf("Traefik would know Middleware %s/%s and Middleware %s by the same ID, %s-%s@kubernetescrd, so a router naming one could get the other: the operator writes no Middleware whose ID another has. Rename the allowlist (the Middleware is named after it), or have that Middleware renamed", key.Namespace, key.Name, other, key.Namespace, key.Name)
			return "", nil
		}
	}
	did := ""
	if act != upToDate {
		// Not forced on creation, as for NetworkPolicies: an object of that name made
		// since the cache looked makes the apply fail instead of being taken over.
		if err := r.applyUnstructured(ctx, desired, v1alpha1.FieldOwner, act != create); err != nil {
			st.State, st.Reason = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonApplyFailed
			st.Message = fmt.Sprintf("Applying %s %s failed: %v", gvk.Kind, key.Name, err)
			return "", fmt.Errorf("applying %s %s/%s: %w", gvk.Kind, key.Namespace, key.Name, err)
		}
		logf.FromContext(ctx).Info("Applied ingress target", "kind", gvk.Kind, "name", key.Name, "action", act.String())
		did = fmt.Sprintf("%s %s %s", pastTense(act), gvk.Kind, key.Name)
	}
	st.State, st.Reason = v1alpha1.IngressTargetApplied, v1alpha1.TargetReasonApplied
	st.Message = ownedTargetMessage(allowlist, rt, desired)
	if act == upToDate {
		// Only an object the operator did not just change has a status about what it
		// holds now; a change is judged when the gateway updates that status.
		attachWarning(existing, st)
	}
	return did, nil
}

// attachWarning turns an Applied target into a Warning when its gateway controller
// says it has not attached the object.
func attachWarning(existing *unstructured.Unstructured, st *v1alpha1.IngressTargetStatus) {
	if problems := notAttached(existing); len(problems) > 0 {
		st.State, st.Reason = v1alpha1.IngressTargetWarning, v1alpha1.TargetReasonNotAccepted
		st.Message = fmt.Sprintf("%s %s holds the allowlist's addresses, but its gateway controller has not attached it, so it filters nothing: %s. Fix what it names (a route or Gateway that does not exist, another policy on the same target)", existing.GetKind(), existing.GetName(), strings.Join(problems, "; "))
	}
}

func pastTense(a action) string {
	return map[action]string{create: "created", update: "updated", adopt: "adopted"}[a]
}

func ownedTargetMessage(allowlist *v1alpha1.VendorAllowlist, rt render.RenderedTarget, o *unstructured.Unstructured) string {
	t := allowlist.Spec.IngressTargets[rt.Index]
	n := rt.Addresses
	switch rt.Kind {
	case render.TargetEnvoyGateway:
		ref := t.EnvoyGateway.TargetRef
		return fmt.Sprintf("SecurityPolicy %s denies requests to %s %s from any address but the %d address blocks of the allowlist; Envoy Gateway says in the SecurityPolicy's status whether it attached", o.GetName(), ref.Kind, ref.Name, n)
	case render.TargetIstio:
		to := "Gateway " + string(t.Istio.GatewayName)
		if t.Istio.Selector != nil {
			to = "the pods labelled " + labels.Set(t.Istio.Selector.MatchLabels).String()
		}
		return fmt.Sprintf("AuthorizationPolicy %s denies requests to %s whose original client is not one of the %d address blocks of the allowlist", o.GetName(), to, n)
	case render.TargetTraefik:
		if t.Traefik.IngressName == "" {
			return fmt.Sprintf("Middleware %s allows only the %d address blocks of the allowlist: list it in your IngressRoute's routes[].middlewares as {name: %s}", o.GetName(), n, o.GetName())
		}
		return fmt.Sprintf("Middleware %s allows only the %d address blocks of the allowlist; Ingress %s names it", o.GetName(), n, t.Traefik.IngressName)
	}
	return ""
}

// ownedDesired is the apply request of an owned target object: what render made,
// with the controller reference and the digest of the content.
func ownedDesired(allowlist *v1alpha1.VendorAllowlist, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	u := obj.DeepCopy()
	raw, err := json.Marshal(u.Object)
	if err != nil {
		return nil, fmt.Errorf("encoding %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	sum := sha256.Sum256(raw)
	u.SetAnnotations(map[string]string{renderedHashAnnotation: hex.EncodeToString(sum[:16])})
	u.SetOwnerReferences([]metav1.OwnerReference{*metav1.NewControllerRef(allowlist, allowlistKind)})
	return u, nil
}

// ownedTargetAction says what an owned object needs, from the cache, and for a name
// the cache does not hold (it holds only labelled objects), from the API server. It
// returns the cached object when it is the allowlist's own and up to date, and the
// object in the way (its metadata at least) on a conflict.
func (r *VendorAllowlistReconciler) ownedTargetAction(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, desired *unstructured.Unstructured) (action, *unstructured.Unstructured, error) {
	gvk := desired.GroupVersionKind()
	key := client.ObjectKeyFromObject(desired)
	existing := &unstructured.Unstructured{}
	existing.SetGroupVersionKind(gvk)
	err := r.TargetObjects.Get(ctx, key, existing)
	if apierrors.IsNotFound(err) {
		meta := partialMetadata(gvk, key)
		if err := r.APIReader.Get(ctx, key, meta); apierrors.IsNotFound(err) {
			return create, nil, nil
		} else if err != nil {
			return upToDate, nil, fmt.Errorf("reading %s %s/%s: %w", gvk.Kind, key.Namespace, key.Name, err)
		}
		switch {
		case metav1.IsControlledBy(meta, allowlist):
			return update, nil, nil // its label was removed: put it back
		case adoptableObject(meta, allowlist):
			return adopt, nil, nil
		}
		return conflict, asUnstructured(meta), nil
	}
	if err != nil {
		return upToDate, nil, fmt.Errorf("reading %s %s/%s: %w", gvk.Kind, key.Namespace, key.Name, err)
	}
	if !metav1.IsControlledBy(existing, allowlist) {
		if adoptableObject(existing, allowlist) {
			return adopt, nil, nil
		}
		return conflict, existing, nil
	}
	if ownedContentEqual(existing, desired) {
		return upToDate, existing, nil
	}
	return update, nil, nil
}

// adoptableObject reports whether an object (a NetworkPolicy, a target object) that
// the operator did not create was handed over to the allowlist: no controller owns
// it, it carries the operator's labels naming this allowlist, and whoever controls it
// consented with the AdoptAnnotation naming the allowlist (kubectl vendorallowlist
// render --handover | kubectl apply --server-side). The labels alone are no consent:
// they are in any rendering applied by hand, and whoever writes an allowlist of that
// name (a tenant) would otherwise rewrite a policy that an admin applied, and own it.
//
// The annotation stays on the adopted object. It is inert while the allowlist
// controls the object; should the controller reference go (the allowlist deleted
// with --cascade=orphan, the reference edited away), the object is handed to an
// allowlist of that name again, which is what its writer consented to, and whoever
// writes the allowlists of the namespace controlled it already.
func adoptableObject(o metav1.Object, allowlist *v1alpha1.VendorAllowlist) bool {
	return metav1.GetControllerOf(o) == nil &&
		o.GetLabels()[v1alpha1.ManagedByLabel] == v1alpha1.ManagedByValue &&
		o.GetLabels()[v1alpha1.AllowlistLabel] == allowlist.Name &&
		o.GetAnnotations()[v1alpha1.AdoptAnnotation] == allowlist.Name
}

// conflictDetail says why an object of the name the allowlist renders is left as it
// is, and how its owner hands it over if that is what they mean: resource is the
// kubectl resource name of the kind.
func conflictDetail(kind, resource string, o metav1.Object, allowlist *v1alpha1.VendorAllowlist) string {
	name := allowlist.Name
	if o == nil {
		return fmt.Sprintf("%s of the name the allowlist renders exists and is not managed by this VendorAllowlist: rename the allowlist or remove that %s", kind, kind)
	}
	if c := metav1.GetControllerOf(o); c != nil {
		return fmt.Sprintf("%s %s exists and is controlled by %s %s, not by this VendorAllowlist: rename the allowlist or remove that %s", kind, o.GetName(), c.Kind, c.Name, kind)
	}
	if o.GetLabels()[v1alpha1.AllowlistLabel] == name && o.GetLabels()[v1alpha1.ManagedByLabel] == v1alpha1.ManagedByValue {
		return fmt.Sprintf("%s %s exists with the operator's labels but was not created by the operator for this VendorAllowlist, so it is left as it is. "+
			"Rename the allowlist, or, if whoever controls the %s means to hand it over (the allowlist then rewrites and owns it): kubectl annotate %s %s -n %s %s=%s",
			kind, o.GetName(), kind, resource, o.GetName(), o.GetNamespace(), v1alpha1.AdoptAnnotation, name)
	}
	return fmt.Sprintf("%s %s exists and is not managed by this VendorAllowlist: rename the allowlist or remove that %s", kind, o.GetName(), kind)
}

// asUnstructured is the metadata of a partial object as an object of its own kind.
func asUnstructured(m *metav1.PartialObjectMetadata) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(m.GroupVersionKind())
	u.SetName(m.Name)
	u.SetNamespace(m.Namespace)
	u.SetLabels(m.Labels)
	u.SetAnnotations(m.Annotations)
	u.SetOwnerReferences(m.OwnerReferences)
	return u
}

// ownedContentEqual: the object carries the digest of what the operator would apply
// now (so nothing it set has changed in the render), and still holds every value of
// it (so nobody edited one; fields the API server defaulted or others added are
// theirs).
func ownedContentEqual(existing, desired *unstructured.Unstructured) bool {
	if existing.GetAnnotations()[renderedHashAnnotation] != desired.GetAnnotations()[renderedHashAnnotation] {
		return false
	}
	for k, v := range desired.GetLabels() {
		if existing.GetLabels()[k] != v {
			return false
		}
	}
	return contains(existing.Object["spec"], desired.Object["spec"])
}

// contains reports whether have holds every value of want: maps key by key, lists
// item by item (same length), scalars equal.
func contains(have, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range w {
			if !contains(h[k], v) {
				return false
			}
		}
		return true
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			return false
		}
		for i := range w {
			if !contains(h[i], w[i]) {
				return false
			}
		}
		return true
	}
	return equality.Semantic.DeepEqual(normalizeNumber(have), normalizeNumber(want))
}

// normalizeNumber makes the int64 of a rendered object and the int64 or float64 of
// a decoded one compare equal.
func normalizeNumber(v any) any {
	switch n := v.(type) {
	case int64:
		return float64(n)
	case int32:
		return float64(n)
	case int:
		return float64(n)
	}
	return v
}

// applyTargetField sets the one field the operator owns of a Service or an Ingress
// that is the user's: with a field manager of the allowlist's own, never forced, and
// only when the object exists (it is never created).
func (r *VendorAllowlistReconciler) applyTargetField(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, consent *consentCheck, rt render.RenderedTarget, o render.TargetObject, st *v1alpha1.IngressTargetStatus) (string, error) {
	desired := o.Object
	key := client.ObjectKeyFromObject(desired)
	kind := desired.GetKind()
	existing, err := r.targetUserObject(ctx, kind, key)
	if err != nil {
		st.State, st.Reason, st.Message = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonApplyFailed, err.Error()
		return "", err
	}
	if existing == nil {
		st.State, st.Reason = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonNotFound
		st.Message = fmt.Sprintf("%s %s does not exist in namespace %s: create it, or fix the name in spec.ingressTargets[%d]; the operator never creates it, only sets %s of it", kind, key.Name, key.Namespace, rt.Index, fieldName(desired))
		return "", nil
	}
	if svc, ok := existing.(*corev1.Service); ok && svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		// The API server takes loadBalancerSourceRanges on a LoadBalancer alone.
		st.State, st.Reason = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonNotLoadBalancer
		st.Message = fmt.Sprintf("Service %s is of type %s: only a LoadBalancer Service has source ranges (enforced by kube-proxy or the cloud's load balancer), so nothing would check the addresses; make it type: LoadBalancer, or name the proxy in front of it as the target", key.Name, serviceType(svc))
		return "", nil
	}
	manager := v1alpha1.TargetFieldManager(allowlist.Name)
	if who := restriction(existing, rt, manager); who != "" {
		st.State, st.Reason = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonRestricted
		st.Message = fmt.Sprintf("%s: the operator never writes over a restriction someone else set, since the allowlist's addresses could be wider. Remove that restriction if the allowlist is to replace it, or remove this target; what the allowlist set there before is released", who)
		return "", nil
	}
	if missing, err := consent.givenBy(ctx, rt, existing, kind); err != nil || missing != "" {
		consentMissing(st, missing)
		if err != nil {
			st.Reason, st.Message = v1alpha1.TargetReasonApplyFailed, err.Error()
		}
		return "", err
	}
	did := ""
	if !fieldUpToDate(existing, desired, manager) {
		err := r.applyUnstructured(ctx, desired, manager, false)
		switch {
		case apierrors.IsConflict(err):
			st.State, st.Reason = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonConflict
			st.Message = fmt.Sprintf("%s of %s %s is set by another field manager, and the operator does not take it over (%v): remove the field from that manager's configuration (your Helm chart, your Argo CD application, kubectl), or remove this target", fieldName(desired), kind, key.Name, apiMessage(err))
			return "", nil
		case err != nil:
			st.State, st.Reason = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonApplyFailed
			st.Message = fmt.Sprintf("Setting %s of %s %s failed: %v", fieldName(desired), kind, key.Name, err)
			return "", fmt.Errorf("applying %s of %s %s/%s: %w", fieldName(desired), kind, key.Namespace, key.Name, err)
		}
		logf.FromContext(ctx).Info("Set the field of an ingress target", "kind", kind, "name", key.Name, "field", fieldName(desired))
		did = fmt.Sprintf("set %s of %s %s", fieldName(desired), kind, key.Name)
	}
	st.State, st.Reason = v1alpha1.IngressTargetApplied, v1alpha1.TargetReasonApplied
	switch {
	case kind == render.ServiceKind.Kind:
		st.Message = fmt.Sprintf("spec.loadBalancerSourceRanges of Service %s holds the %d address blocks of the allowlist", key.Name, rt.Addresses)
		serviceWarning(existing.(*corev1.Service), st)
	case rt.Kind == render.TargetTraefik:
		st.Message = fmt.Sprintf("The annotation %s of Ingress %s names the Middleware", render.TraefikMiddlewaresAnnotation, key.Name)
	default:
		st.Message = fmt.Sprintf("The annotation %s of Ingress %s holds the %d address blocks of the allowlist", render.NginxAllowlistAnnotation, key.Name, rt.Addresses)
	}
	return did, nil
}

// serviceWarning warns of a LoadBalancer Service whose traffic policy hides the
// vendor's address behind the node's.
func serviceWarning(svc *corev1.Service, st *v1alpha1.IngressTargetStatus) {
	if svc.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal {
		st.State, st.Reason = v1alpha1.IngressTargetWarning, v1alpha1.TargetReasonTrafficPolicyCluster
		st.Message += ", but its externalTrafficPolicy is Cluster: traffic that reaches a node without a ready pod is forwarded with the node's address as source, so the pods (and an ingress NetworkPolicy) no longer see the vendor's address, and a load balancer that checks the ranges only at the node does not see it either; set externalTrafficPolicy: Local"
	}
}

func serviceType(svc *corev1.Service) string {
	if svc.Spec.Type == "" {
		return string(corev1.ServiceTypeClusterIP)
	}
	return string(svc.Spec.Type)
}

// apiMessage is the API server's message of err.
func apiMessage(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return status.Status().Message
	}
	return err.Error()
}

// fieldName names the field a user object's target sets.
func fieldName(o *unstructured.Unstructured) string {
	if o.GetKind() == render.ServiceKind.Kind {
		return "spec.loadBalancerSourceRanges"
	}
	for k := range o.GetAnnotations() {
		return "the annotation " + k
	}
	return "its fields"
}

// targetUserObject reads a Service or an Ingress from the cache; nil when it does not
// exist or is being deleted.
func (r *VendorAllowlistReconciler) targetUserObject(ctx context.Context, kind string, key client.ObjectKey) (client.Object, error) {
	var obj client.Object
	switch kind {
	case render.ServiceKind.Kind:
		obj = &corev1.Service{}
	case render.IngressKind.Kind:
		obj = &networkingv1.Ingress{}
	default:
		return nil, fmt.Errorf("no user object of kind %s", kind)
	}
	if err := r.Get(ctx, key, obj); apierrors.IsNotFound(err) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("reading %s %s/%s: %w", kind, key.Namespace, key.Name, err)
	}
	if !obj.GetDeletionTimestamp().IsZero() {
		return nil, nil
	}
	return obj, nil
}

// fieldUpToDate: manager owns every field desired sets, with desired's values, and no
// other: an annotation it set before and sets no more must be released.
func fieldUpToDate(existing client.Object, desired *unstructured.Unstructured, manager string) bool {
	switch e := existing.(type) {
	case *corev1.Service:
		owned, err := corev1ac.ExtractService(e, manager)
		want, _, _ := unstructured.NestedStringSlice(desired.Object, "spec", "loadBalancerSourceRanges")
		return err == nil && owned.Spec != nil && owned.Spec.LoadBalancerSourceRanges != nil && slices.Equal(owned.Spec.LoadBalancerSourceRanges, want)
	case *networkingv1.Ingress:
		owned, err := networkingv1ac.ExtractIngress(e, manager)
		return err == nil && maps.Equal(owned.Annotations, desired.GetAnnotations())
	}
	return false
}

// applyUnstructured sends a server-side apply request for obj as manager.
func (r *VendorAllowlistReconciler) applyUnstructured(ctx context.Context, obj *unstructured.Unstructured, manager string, force bool) error {
	return r.serverSideApply(ctx, obj.GroupVersionKind(), client.ObjectKeyFromObject(obj), obj.Object, manager, force)
}

// pruneTargets takes back what the allowlist no longer renders: it deletes the
// objects it created and releases its field of the user's objects. Only kinds the
// manager watches are looked at.
func (r *VendorAllowlistReconciler) pruneTargets(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, wanted map[schema.GroupKind]map[string]bool) ([]string, error) {
	var done []string
	var errs []error
	for _, kind := range r.Targets.ownedKinds() {
		list := &unstructured.UnstructuredList{}
		gvk, _ := kind.OwnedKind()
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err := r.TargetObjects.List(ctx, list, client.InNamespace(allowlist.Namespace), client.MatchingLabels{v1alpha1.AllowlistLabel: allowlist.Name}); err != nil {
			errs = append(errs, fmt.Errorf("listing the %ss of the allowlist: %w", gvk.Kind, err))
			continue
		}
		for i := range list.Items {
			o := &list.Items[i]
			if wanted[gvk.GroupKind()][o.GetName()] || !metav1.IsControlledBy(o, allowlist) {
				continue
			}
			uid := o.GetUID()
			if err := r.Delete(ctx, o, client.Preconditions{UID: &uid}); client.IgnoreNotFound(err) != nil {
				errs = append(errs, fmt.Errorf("deleting %s %s/%s the allowlist no longer renders: %w", gvk.Kind, o.GetNamespace(), o.GetName(), err))
				continue
			}
			logf.FromContext(ctx).Info("Deleted an ingress target the allowlist no longer renders", "kind", gvk.Kind, "name", o.GetName())
			done = append(done, fmt.Sprintf("deleted %s %s", gvk.Kind, o.GetName()))
		}
	}
	released, err := r.releaseTargetFields(ctx, types.NamespacedName{Namespace: allowlist.Namespace, Name: allowlist.Name}, wanted)
	return append(done, released...), errors.Join(append(errs, err)...)
}

// releaseTargetFields releases the fields the allowlist key set on Services and
// Ingresses of its namespace that are not in wanted (all of them for a deleted
// allowlist): it applies an empty configuration with its field manager, so that the
// API server removes what no other manager holds. The object itself is never
// deleted. The objects are found by their managed fields, not by the allowlist's
// status, which its writer could have edited.
func (r *VendorAllowlistReconciler) releaseTargetFields(ctx context.Context, key types.NamespacedName, wanted map[schema.GroupKind]map[string]bool) ([]string, error) {
	manager := v1alpha1.TargetFieldManager(key.Name)
	var objs []client.Object
	if r.Targets.watchesServices() {
		var list corev1.ServiceList
		if err := r.List(ctx, &list, client.InNamespace(key.Namespace), client.MatchingFields{fieldHolderIndex: key.Name}); err != nil {
			return nil, fmt.Errorf("listing the Services the allowlist holds a field of: %w", err)
		}
		for i := range list.Items {
			objs = append(objs, &list.Items[i])
		}
	}
	if r.Targets.watchesIngresses() {
		var list networkingv1.IngressList
		if err := r.List(ctx, &list, client.InNamespace(key.Namespace), client.MatchingFields{fieldHolderIndex: key.Name}); err != nil {
			return nil, fmt.Errorf("listing the Ingresses the allowlist holds a field of: %w", err)
		}
		for i := range list.Items {
			objs = append(objs, &list.Items[i])
		}
	}
	var done []string
	var errs []error
	for _, o := range objs {
		gvk := render.ServiceKind
		if _, ing := o.(*networkingv1.Ingress); ing {
			gvk = render.IngressKind
		}
		if wanted[gvk.GroupKind()][o.GetName()] {
			continue
		}
		empty := &unstructured.Unstructured{}
		empty.SetGroupVersionKind(gvk)
		empty.SetNamespace(o.GetNamespace())
		empty.SetName(o.GetName())
		if err := r.applyUnstructured(ctx, empty, manager, false); client.IgnoreNotFound(err) != nil {
			errs = append(errs, fmt.Errorf("releasing the fields of %s %s/%s: %w", gvk.Kind, o.GetNamespace(), o.GetName(), err))
			continue
		}
		logf.FromContext(ctx).Info("Released the field of an ingress target the allowlist no longer names", "kind", gvk.Kind, "name", o.GetName(), "allowlist", key.Name)
		done = append(done, fmt.Sprintf("released %s %s", gvk.Kind, o.GetName()))
	}
	return done, errors.Join(errs...)
}

// failedTargets says which targets failed, for the Ready condition; "" when none.
// failedTargets says which ingress targets could not be written, and the Ready
// reason that says who can fix it: a person (IngressTargetFailed) or, when every
// failure is one that mends itself, time (IngressTargetPending). Empty when none.
func failedTargets(statuses []v1alpha1.IngressTargetStatus) (reason, msg string) {
	var msgs []string
	reason = v1alpha1.ReasonIngressTargetPending
	for _, st := range statuses {
		if st.State == v1alpha1.IngressTargetFailed {
			msgs = append(msgs, fmt.Sprintf("%s %s: %s", st.Kind, st.Name, st.Message))
			if v1alpha1.TargetReasonsStalled[st.Reason] {
				reason = v1alpha1.ReasonIngressTargetFailed
			}
		}
	}
	if len(msgs) == 0 {
		return "", ""
	}
	return reason, "The NetworkPolicies are in place, but ingress targets could not be written (status.ingressTargets): " + strings.Join(msgs, "; ")
}

// targetRecheck is when to look at the allowlist again for its targets: consent
// given on a Namespace or a Gateway API object brings no event.
func targetRecheck(statuses []v1alpha1.IngressTargetStatus) ctrl.Result {
	for _, st := range statuses {
		if st.Reason == v1alpha1.TargetReasonConsentMissing {
			return ctrl.Result{RequeueAfter: consentRecheck}
		}
	}
	return ctrl.Result{}
}

// targetNotes adds to the Ready message what the targets hold and what they warn of.
func targetNotes(statuses []v1alpha1.IngressTargetStatus) string {
	var applied, notes []string
	for _, st := range statuses {
		switch st.State {
		case v1alpha1.IngressTargetApplied:
			applied = append(applied, st.Kind+" "+st.Name)
		case v1alpha1.IngressTargetWarning, v1alpha1.IngressTargetPending:
			notes = append(notes, fmt.Sprintf("%s %s: %s", st.Kind, st.Name, st.Message))
		}
	}
	out := ""
	if len(applied) > 0 {
		out += "; ingress targets in place: " + strings.Join(applied, ", ")
	}
	if len(notes) > 0 {
		out += "; " + strings.Join(notes, "; ")
	}
	return out
}

// consentMissing reports a target whose object's owner (or the admin) has not
// consented, as missing says; nothing is written, and nothing taken back.
func consentMissing(st *v1alpha1.IngressTargetStatus, missing string) {
	st.State, st.Reason, st.Message = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonConsentMissing, missing+"; what was written before stays"
}
