/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
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
	w := &targetWrite{r: r, allowlist: allowlist, consent: r.newConsentCheck(allowlist), wanted: map[schema.GroupKind]map[string]bool{}}
	for _, rt := range result.Targets {
		w.target(ctx, rt)
	}
	pruned, err := r.pruneTargets(ctx, allowlist, w.wanted)
	if err != nil {
		w.errs = append(w.errs, err)
	}
	allowlist.Status.IngressTargets = w.statuses
	return append(w.changed, pruned...), errors.Join(w.errs...)
}

// targetWrite is one reconcile's writing of an allowlist's targets: what each object
// came to, what changed, what the prune must keep, and the failures worth a retry.
type targetWrite struct {
	r         *VendorAllowlistReconciler
	allowlist *v1alpha1.VendorAllowlist
	consent   *consentCheck
	wanted    map[schema.GroupKind]map[string]bool
	statuses  []v1alpha1.IngressTargetStatus
	changed   []string
	errs      []error
}

// gate is whether a target's objects may be written: the kind usable, the owners'
// consent given; when not, why.
type gate struct {
	usable      bool
	reason, msg string
	missing     string // the consent not given
}

func (w *targetWrite) gate(ctx context.Context, rt render.RenderedTarget) gate {
	var g gate
	g.reason, g.msg, g.usable = w.r.Targets.usable(rt.Kind)
	if !g.usable || rt.Addresses == 0 {
		return g
	}
	missing, err := w.consent.given(ctx, rt)
	if err != nil {
		w.errs = append(w.errs, err)
		return gate{reason: v1alpha1.TargetReasonApplyFailed, msg: err.Error()}
	}
	g.missing = missing
	return g
}

// target writes one target's objects in order. An object that could not be written
// stops those after it: an Ingress must not name a Middleware that is not the
// allowlist's.
func (w *targetWrite) target(ctx context.Context, rt render.RenderedTarget) {
	g := w.gate(ctx, rt)
	var failed *v1alpha1.IngressTargetStatus
	for _, o := range rt.Objects {
		gvk := o.Object.GroupVersionKind()
		setWanted(w.wanted, gvk.GroupKind(), o.Object.GetName(), true)
		st := v1alpha1.IngressTargetStatus{Kind: gvk.Kind, Name: o.Object.GetName(), Addresses: int32(rt.Addresses)}
		did, err := w.object(ctx, g, failed, rt, o, &st)
		if err != nil {
			w.errs = append(w.errs, err)
		}
		if did != "" {
			w.changed = append(w.changed, did)
		}
		if takenBack(rt, o, &st) {
			setWanted(w.wanted, gvk.GroupKind(), o.Object.GetName(), false)
		}
		st.Message = truncate(st.Message, 2048)
		w.statuses = append(w.statuses, st)
		if failed == nil && st.State == v1alpha1.IngressTargetFailed {
			failed = &st
		}
	}
}

// object writes one object of a target, or says in st why it is not written.
func (w *targetWrite) object(ctx context.Context, g gate, failed *v1alpha1.IngressTargetStatus, rt render.RenderedTarget, o render.TargetObject, st *v1alpha1.IngressTargetStatus) (string, error) {
	switch {
	case !g.usable:
		st.State, st.Reason, st.Message = v1alpha1.IngressTargetFailed, g.reason, g.msg
	case rt.Addresses == 0:
		st.State, st.Reason = v1alpha1.IngressTargetPending, v1alpha1.TargetReasonNoAddresses
		st.Message = fmt.Sprintf("No ingress address is known yet (the allowlist's hostnames have not answered, or every address was left out): %s %s is not written, and what it holds stays", st.Kind, st.Name)
	case g.missing != "":
		consentMissing(st, g.missing)
	case failed != nil:
		st.State, st.Reason = failed.State, failed.Reason
		st.Message = fmt.Sprintf("Not written, because %s %s of the same target was not: %s", failed.Kind, failed.Name, failed.Message)
	case o.Owned:
		return w.r.applyOwnedTarget(ctx, w.allowlist, rt, o, st)
	default:
		return w.r.applyTargetField(ctx, w.allowlist, w.consent, rt, o, st)
	}
	return "", nil
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
	check, hasCheck := ownedTargetChecks[rt.Kind]
	if hasCheck && check.beforeOwnership {
		if blocked, err := check.check(r, ctx, allowlist, desired, st); blocked {
			return "", err
		}
	}
	existing := &unstructured.Unstructured{}
	existing.SetGroupVersionKind(gvk)
	act, found, err := ownership(ctx, allowlist, gvk, key, r.TargetObjects, r.APIReader, existing, func(e *unstructured.Unstructured) (bool, error) {
		return ownedContentEqual(e, desired), nil
	})
	if err != nil {
		st.State, st.Reason, st.Message = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonApplyFailed, err.Error()
		return "", err
	}
	if act == conflict {
		st.State, st.Reason = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonConflict
		st.Message = conflictDetail(gvk.Kind, strings.ToLower(gvk.Kind)+"."+gvk.Group, found, allowlist)
		return "", nil
	}
	if hasCheck && !check.beforeOwnership {
		if blocked, err := check.check(r, ctx, allowlist, desired, st); blocked {
			return "", err
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
	applied(allowlist, rt, desired, nil, st)
	if act == upToDate {
		// Only an object the operator did not just change has a status about what it
		// holds now; a change is judged when the gateway updates that status.
		attachWarning(rt, existing, st)
	}
	return did, nil
}

// applied sets st to what the kind says of its object written; existing is the user
// object of a field, nil for an owned object.
func applied(allowlist *v1alpha1.VendorAllowlist, rt render.RenderedTarget, written *unstructured.Unstructured, existing runtime.Object, st *v1alpha1.IngressTargetStatus) {
	kind, t := targetOf(allowlist, rt)
	st.State, st.Reason = v1alpha1.IngressTargetApplied, v1alpha1.TargetReasonApplied
	var warning string
	st.Message, warning = kind.Applied(t, written, existing, rt.Addresses)
	if warning != "" {
		st.State, st.Reason = v1alpha1.IngressTargetWarning, warning
	}
}

// targetOf is the kind and the entry of a rendered target.
func targetOf(allowlist *v1alpha1.VendorAllowlist, rt render.RenderedTarget) (render.Kind, v1alpha1.IngressTarget) {
	kind, _ := render.LookupKind(rt.Kind)
	return kind, allowlist.Spec.IngressTargets[rt.Index]
}

// attachWarning turns an Applied target into a Warning when its gateway controller
// says it has not attached the object.
func attachWarning(rt render.RenderedTarget, existing *unstructured.Unstructured, st *v1alpha1.IngressTargetStatus) {
	kind, _ := render.LookupKind(rt.Kind)
	if problems := kind.NotAttached(existing); len(problems) > 0 {
		st.State, st.Reason = v1alpha1.IngressTargetWarning, v1alpha1.TargetReasonNotAccepted
		st.Message = fmt.Sprintf("%s %s holds the allowlist's addresses, but its gateway controller has not attached it, so it filters nothing: %s. Fix what it names (a route or Gateway that does not exist, another policy on the same target)", existing.GetKind(), existing.GetName(), strings.Join(problems, "; "))
	}
}

func pastTense(a action) string {
	return map[action]string{create: "created", update: "updated", adopt: "adopted"}[a]
}

// ownedDesired is the apply request of an owned target object: what render made,
// with the controller reference and the digest of the content.
func ownedDesired(allowlist *v1alpha1.VendorAllowlist, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	u, err := withRenderedHash(obj)
	if err != nil {
		return nil, err
	}
	u.SetOwnerReferences([]metav1.OwnerReference{*metav1.NewControllerRef(allowlist, allowlistKind)})
	return u, nil
}

// withRenderedHash is a copy of obj, as render made it, annotated with the digest of
// its content (renderedHashAnnotation): what an owned object's writer compares.
func withRenderedHash(obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	u := obj.DeepCopy()
	raw, err := json.Marshal(u.Object)
	if err != nil {
		return nil, fmt.Errorf("encoding %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	sum := sha256.Sum256(raw)
	annotations := maps.Clone(u.GetAnnotations())
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[renderedHashAnnotation] = hex.EncodeToString(sum[:16])
	u.SetAnnotations(annotations)
	return u, nil
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
	return equality.Semantic.DeepEqual(render.NormalizeNumber(have), render.NormalizeNumber(want))
}

// applyTargetField sets the one field the operator owns of a user's object (a
// Service, an Ingress): with a field manager of the allowlist's own, never forced,
// and only when the object exists (it is never created).
func (r *VendorAllowlistReconciler) applyTargetField(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, consent *consentCheck, rt render.RenderedTarget, o render.TargetObject, st *v1alpha1.IngressTargetStatus) (string, error) {
	kind, _ := targetOf(allowlist, rt)
	desired := o.Object
	key := client.ObjectKeyFromObject(desired)
	gvk := desired.GroupVersionKind()
	existing, err := r.targetUserObject(ctx, gvk, key)
	if err != nil {
		st.State, st.Reason, st.Message = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonApplyFailed, err.Error()
		return "", err
	}
	if existing == nil {
		st.State, st.Reason = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonNotFound
		st.Message = fmt.Sprintf("%s %s does not exist in namespace %s: create it, or fix the name in spec.ingressTargets[%d]; the operator never creates it, only sets %s of it", gvk.Kind, key.Name, key.Namespace, rt.Index, fieldName(desired))
		return "", nil
	}
	manager := v1alpha1.TargetFieldManager(allowlist.Name)
	switch reason, detail := kind.Restriction(existing, manager); reason {
	case "":
	case v1alpha1.TargetReasonRestricted:
		st.State, st.Reason = v1alpha1.IngressTargetFailed, reason
		st.Message = fmt.Sprintf("%s: the operator never writes over a restriction someone else set, since the allowlist's addresses could be wider. Remove that restriction if the allowlist is to replace it, or remove this target; what the allowlist set there before is released", detail)
		return "", nil
	default:
		st.State, st.Reason, st.Message = v1alpha1.IngressTargetFailed, reason, detail
		return "", nil
	}
	if missing, err := consent.givenBy(ctx, rt, existing, gvk.GroupKind()); err != nil || missing != "" {
		consentMissing(st, missing)
		if err != nil {
			st.Reason, st.Message = v1alpha1.TargetReasonApplyFailed, err.Error()
		}
		return "", err
	}
	did := ""
	if !kind.FieldUpToDate(existing, desired, manager) {
		err := r.applyUnstructured(ctx, desired, manager, false)
		switch {
		case apierrors.IsConflict(err):
			st.State, st.Reason = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonConflict
			st.Message = fmt.Sprintf("%s of %s %s is set by another field manager, and the operator does not take it over (%v): remove the field from that manager's configuration (your Helm chart, your Argo CD application, kubectl), or remove this target", fieldName(desired), gvk.Kind, key.Name, apiMessage(err))
			return "", nil
		case err != nil:
			st.State, st.Reason = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonApplyFailed
			st.Message = fmt.Sprintf("Setting %s of %s %s failed: %v", fieldName(desired), gvk.Kind, key.Name, err)
			return "", fmt.Errorf("applying %s of %s %s/%s: %w", fieldName(desired), gvk.Kind, key.Namespace, key.Name, err)
		}
		logf.FromContext(ctx).Info("Set the field of an ingress target", "kind", gvk.Kind, "name", key.Name, "field", fieldName(desired))
		did = fmt.Sprintf("set %s of %s %s", fieldName(desired), gvk.Kind, key.Name)
	}
	applied(allowlist, rt, desired, existing, st)
	return did, nil
}

// apiMessage is the API server's message of err.
func apiMessage(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return status.Status().Message
	}
	return err.Error()
}

// fieldName names the field a user object's target sets: an annotation, or the
// one field of its spec.
func fieldName(o *unstructured.Unstructured) string {
	for k := range o.GetAnnotations() {
		return "the annotation " + k
	}
	if spec, ok := o.Object["spec"].(map[string]any); ok && len(spec) == 1 {
		for k := range spec {
			return "spec." + k
		}
	}
	return "its fields"
}

// targetUserObject reads a user's object a target sets a field of (a Service, an
// Ingress) from the cache, or from the API server when the cache holds a stub of it;
// nil when it does not exist or is being deleted.
func (r *VendorAllowlistReconciler) targetUserObject(ctx context.Context, gvk schema.GroupVersionKind, key client.ObjectKey) (client.Object, error) {
	obj, err := newObject(r.Scheme(), gvk)
	if err != nil {
		return nil, err
	}
	err = r.Get(ctx, key, obj)
	if err == nil && isCacheStub(obj) {
		// Not named when the cache last saw it: read it whole. Its next event
		// brings it into the cache whole, since it is named by then.
		obj, err = r.readStubbed(ctx, gvk, key, obj.GetResourceVersion())
	}
	if apierrors.IsNotFound(err) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("reading %s %s/%s: %w", gvk.Kind, key.Namespace, key.Name, err)
	}
	if !obj.GetDeletionTimestamp().IsZero() {
		return nil, nil
	}
	return obj, nil
}

// newObject is an empty typed object of gvk, as the manager's cache holds it.
func newObject(scheme *runtime.Scheme, gvk schema.GroupVersionKind) (client.Object, error) {
	o, err := scheme.New(gvk)
	if err != nil {
		return nil, fmt.Errorf("no user object of kind %s: %w", gvk.Kind, err)
	}
	obj, ok := o.(client.Object)
	if !ok {
		return nil, fmt.Errorf("no user object of kind %s", gvk.Kind)
	}
	return obj, nil
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

// releaseTargetFields releases the fields the allowlist key set on the user's
// objects of its namespace (Services, Ingresses) that are not in wanted (all of them
// for a deleted allowlist): it applies an empty configuration with its field
// manager, so that the API server removes what no other manager holds. The object
// itself is never deleted. The objects are found by their managed fields, not by
// the allowlist's status, which its writer could have edited.
func (r *VendorAllowlistReconciler) releaseTargetFields(ctx context.Context, key types.NamespacedName, wanted map[schema.GroupKind]map[string]bool) ([]string, error) {
	manager := v1alpha1.TargetFieldManager(key.Name)
	var objs []client.Object
	for _, f := range r.Targets.fieldObjects() {
		list, err := r.Scheme().New(f.Kind.GroupVersion().WithKind(f.Kind.Kind + "List"))
		if err == nil {
			err = r.List(ctx, list.(client.ObjectList), client.InNamespace(key.Namespace), client.MatchingFields{fieldHolderIndex: key.Name})
		}
		if err != nil {
			return nil, fmt.Errorf("listing the %s objects the allowlist holds a field of: %w", f.Kind.Kind, err)
		}
		if err := meta.EachListItem(list, func(o runtime.Object) error {
			objs = append(objs, o.(client.Object))
			return nil
		}); err != nil {
			return nil, fmt.Errorf("listing the %s objects the allowlist holds a field of: %w", f.Kind.Kind, err)
		}
	}
	var done []string
	var errs []error
	for _, o := range objs {
		gvk, err := apiutil.GVKForObject(o, r.Scheme())
		if err != nil {
			errs = append(errs, err)
			continue
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

// failedTargets says which ingress targets could not be written, and the Ready
// reason that says who can fix it: a person (IngressTargetFailed) or, when every
// failure is one that mends itself, time (IngressTargetPending). Empty when none.
func failedTargets(statuses []v1alpha1.IngressTargetStatus) (reason, msg string) {
	var msgs []string
	reason = v1alpha1.ReasonIngressTargetPending
	for _, st := range statuses {
		if st.State == v1alpha1.IngressTargetFailed {
			msgs = append(msgs, fmt.Sprintf("%s %s: %s", st.Kind, st.Name, st.Message))
			if v1alpha1.IsStalled(st.Reason) {
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

// setWanted records whether the allowlist keeps the object kind/name.
func setWanted(wanted map[schema.GroupKind]map[string]bool, kind schema.GroupKind, name string, want bool) {
	if !want {
		delete(wanted[kind], name)
		return
	}
	if wanted[kind] == nil {
		wanted[kind] = map[string]bool{}
	}
	wanted[kind][name] = true
}

// takenBack says whether what the allowlist wrote of o before is taken back: a
// restricted field is released, so that the restriction of whoever else set one
// holds again; an object of its own that a kind's check blocks (a Middleware
// another's ID now shadows) is deleted (only one it controls: a stranger's of that
// name stays).
func takenBack(rt render.RenderedTarget, o render.TargetObject, st *v1alpha1.IngressTargetStatus) bool {
	return st.Reason == v1alpha1.TargetReasonRestricted ||
		(o.Owned && st.Reason == v1alpha1.TargetReasonConflict && ownedTargetChecks[rt.Kind].releaseBlocked)
}

// ownedTargetCheck is what a kind checks, with I/O, before the object it owns is
// written, beyond whose the object is: blocked stops the write, with st saying why.
type ownedTargetCheck struct {
	check func(r *VendorAllowlistReconciler, ctx context.Context, allowlist *v1alpha1.VendorAllowlist, desired *unstructured.Unstructured, st *v1alpha1.IngressTargetStatus) (blocked bool, err error)
	// beforeOwnership: the check comes before whose the object is is read.
	beforeOwnership bool
	// releaseBlocked: an object of the allowlist's own that the check blocks is
	// deleted.
	releaseBlocked bool
}

// ownedTargetChecks are the kinds' checks that need the API server.
var ownedTargetChecks = map[render.TargetKind]ownedTargetCheck{
	render.TargetEnvoyGateway: {check: (*VendorAllowlistReconciler).envoyConflict, beforeOwnership: true},  // targets_envoy.go
	render.TargetTraefik:      {check: (*VendorAllowlistReconciler).traefikConflict, releaseBlocked: true}, // targets_traefik.go
}
