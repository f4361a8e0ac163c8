/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	networkingv1ac "k8s.io/client-go/applyconfigurations/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// applyOutcome is what applying the desired policies did.
type applyOutcome struct {
	created, adopted, updated, deleted []string
	conflicts                          []string // policies of the desired name that belong to someone else
}

// message says what changed, for an event: "Created NetworkPolicies a; deleted b".
func (o applyOutcome) message() string {
	var parts []string
	for _, c := range []struct {
		verb  string
		names []string
	}{{"created", o.created}, {"adopted", o.adopted}, {"updated", o.updated}, {"deleted", o.deleted}} {
		if len(c.names) > 0 {
			parts = append(parts, c.verb+" "+strings.Join(c.names, ", "))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "NetworkPolicies " + strings.Join(parts, "; ")
}

// action is what a desired policy needs.
type action int

const (
	upToDate action = iota
	create          // no policy of that name exists
	update          // the allowlist's policy differs from the desired one
	adopt           // a policy handed over to the allowlist (kubectl vendorallowlist render --handover | kubectl apply)
	conflict        // a policy of that name exists and belongs to someone else
)

// applyPolicies makes the allowlist's managed policies equal to desired: it applies
// those whose content differs, leaves the rest untouched (no API write), never
// touches a policy it does not control, and deletes the managed policies the
// allowlist no longer renders.
func (r *VendorAllowlistReconciler) applyPolicies(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, desired []networkingv1.NetworkPolicy) (applyOutcome, error) {
	var out applyOutcome
	wanted := map[string]bool{}
	for i := range desired {
		np := &desired[i]
		wanted[np.Name] = true
		ac := applyConfiguration(allowlist, np)
		act, inTheWay, err := r.needs(ctx, allowlist, ac)
		if err != nil {
			return out, err
		}
		switch act {
		case upToDate:
			continue
		case conflict:
			out.conflicts = append(out.conflicts, conflictDetail("NetworkPolicy", "networkpolicy", inTheWay, allowlist))
			continue
		}
		// A creation is not forced: should someone create a policy of that name after
		// the cache last looked, the apply fails on their fields instead of taking
		// the policy over, and the retry reports the conflict.
		if err := r.apply(ctx, ac, act != create); err != nil {
			return out, fmt.Errorf("applying NetworkPolicy %s/%s: %w", np.Namespace, np.Name, err)
		}
		logf.FromContext(ctx).Info("Applied NetworkPolicy", "NetworkPolicy", np.Name, "action", act.String())
		switch act {
		case create:
			out.created = append(out.created, np.Name)
		case adopt:
			out.adopted = append(out.adopted, np.Name)
		default:
			out.updated = append(out.updated, np.Name)
		}
	}

	stale, err := r.stalePolicies(ctx, allowlist, wanted)
	if err != nil {
		return out, err
	}
	for _, np := range stale {
		if err := r.Delete(ctx, &np, client.Preconditions{UID: &np.UID}); client.IgnoreNotFound(err) != nil {
			return out, fmt.Errorf("deleting NetworkPolicy %s/%s the allowlist no longer renders: %w", np.Namespace, np.Name, err)
		}
		logf.FromContext(ctx).Info("Deleted NetworkPolicy the allowlist no longer renders", "NetworkPolicy", np.Name)
		out.deleted = append(out.deleted, np.Name)
	}
	return out, nil
}

// apply sends the server-side apply request; force takes back the fields someone
// else edited, so that the rendered content wins.
//
// The request asks for less than client.Apply would: the body is generated from
// typed apply configurations, so the API server's second, strict parse of it (for
// unknown or duplicate fields, a warning at most) is skipped with field validation
// Ignore; and the response is the policy's metadata only, since nothing reads the
// rest (the watch brings the object to the cache). At a cold start of 1,000
// allowlists the strict parse alone was 3% of the API server's CPU.
func (r *VendorAllowlistReconciler) apply(ctx context.Context, ac *networkingv1ac.NetworkPolicyApplyConfiguration, force bool) error {
	return r.serverSideApply(ctx, policyKind, client.ObjectKey{Namespace: *ac.Namespace, Name: *ac.Name}, ac, v1alpha1.FieldOwner, force)
}

// serverSideApply sends body as a server-side apply of the object gvk/key, as field
// manager, answered with the object's metadata alone. The operator generates every
// body, so the strict parse is skipped (see apply).
func (r *VendorAllowlistReconciler) serverSideApply(ctx context.Context, gvk schema.GroupVersionKind, key client.ObjectKey, body any, manager string, force bool) error {
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encoding the apply request: %w", err)
	}
	opts := []client.PatchOption{client.FieldOwner(manager), client.FieldValidation(metav1.FieldValidationIgnore)}
	if force {
		opts = append(opts, client.ForceOwnership)
	}
	return r.Patch(ctx, partialMetadata(gvk, key), client.RawPatch(types.ApplyPatchType, data), opts...)
}

func (a action) String() string {
	return [...]string{"none", "create", "update", "adopt", "conflict"}[a]
}

// needs says what the desired policy needs, from the caches alone: the managed
// policies' full objects, and the other policies' metadata. For a conflict it also
// returns the policy in the way.
func (r *VendorAllowlistReconciler) needs(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, desired *networkingv1ac.NetworkPolicyApplyConfiguration) (action, client.Object, error) {
	key := client.ObjectKey{Namespace: *desired.Namespace, Name: *desired.Name}
	return ownership(ctx, allowlist, policyKind, key, sharedReads{r.Client}, r.PolicyNames, &networkingv1.NetworkPolicy{}, func(existing *networkingv1.NetworkPolicy) (bool, error) {
		return managedContentEqual(existing, desired)
	})
}

// sharedReads is a reader whose Gets from the cache hand out the cache's own object
// (a copy of its struct, sharing everything it points to), for callers that only
// read what they get: the drift check reads every managed policy at every
// reconcile, and a deep copy of each was the largest part of what comparing cost.
type sharedReads struct{ client.Reader }

func (s sharedReads) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	return s.Reader.Get(ctx, key, obj, append(opts, client.UnsafeDisableDeepCopy)...)
}

// ownership is the one decision of what an object the operator creates (a
// NetworkPolicy, an object of an ingress target) needs: created, updated, adopted,
// nothing, or left alone as someone else's. managed reads the allowlist's own
// objects whole (a cache of the labelled ones), names the metadata of any object of
// the name (for a name managed does not hold), and holdsDesired says whether the
// allowlist's object holds what would be applied. It returns the object read: the
// one in the way on a conflict, the allowlist's own when it is up to date.
func ownership[T client.Object](ctx context.Context, allowlist *v1alpha1.VendorAllowlist, gvk schema.GroupVersionKind, key client.ObjectKey,
	managed, names client.Reader, existing T, holdsDesired func(T) (bool, error)) (action, client.Object, error) {
	err := managed.Get(ctx, key, existing)
	if apierrors.IsNotFound(err) {
		// Not managed, or not there: another object of that name may be in the way.
		meta := partialMetadata(gvk, key)
		if err := names.Get(ctx, key, meta); apierrors.IsNotFound(err) {
			return create, nil, nil
		} else if err != nil {
			return upToDate, nil, fmt.Errorf("reading %s %s/%s: %w", gvk.Kind, key.Namespace, key.Name, err)
		}
		switch {
		case metav1.IsControlledBy(meta, allowlist):
			return update, nil, nil // the allowlist's, with its label removed: put it back
		case adoptableObject(meta, allowlist):
			return adopt, nil, nil
		}
		return conflict, meta, nil
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
	equal, err := holdsDesired(existing)
	switch {
	case err != nil:
		return upToDate, nil, err
	case equal:
		return upToDate, existing, nil
	}
	return update, nil, nil
}

// managedContentEqual compares what the operator's field manager owns in existing
// with what it would apply now. A field someone else changed is no longer owned by
// the operator, so an edit shows up here as a difference and is put back.
func managedContentEqual(existing *networkingv1.NetworkPolicy, want *networkingv1ac.NetworkPolicyApplyConfiguration) (bool, error) {
	owned, err := ownedDigest(existing)
	if err != nil {
		return false, err
	}
	wanted, err := desiredDigest(want)
	if err != nil {
		return false, fmt.Errorf("encoding NetworkPolicy %s: %w", *want.Name, err)
	}
	return owned == wanted, nil
}

// applyConfiguration is the server-side apply request for a rendered policy: the
// rendered content plus the controller reference to the allowlist.
func applyConfiguration(allowlist *v1alpha1.VendorAllowlist, np *networkingv1.NetworkPolicy) *networkingv1ac.NetworkPolicyApplyConfiguration {
	spec := specApplyConfiguration(&np.Spec)
	gvk := v1alpha1.GroupVersion.WithKind("VendorAllowlist")
	return networkingv1ac.NetworkPolicy(np.Name, np.Namespace).
		WithLabels(np.Labels).
		WithOwnerReferences(metav1ac.OwnerReference().
			WithAPIVersion(gvk.GroupVersion().String()).
			WithKind(gvk.Kind).
			WithName(allowlist.Name).
			WithUID(allowlist.UID).
			WithController(true).
			WithBlockOwnerDeletion(true)).
		WithSpec(spec)
}

// stalePolicies are managed policies of this allowlist that it no longer renders.
func (r *VendorAllowlistReconciler) stalePolicies(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, wanted map[string]bool) ([]networkingv1.NetworkPolicy, error) {
	var list networkingv1.NetworkPolicyList
	// Read from the cache without copies (every reconcile lists, and only the rare
	// stale one is acted on): the items are read, and deleted by a copy of their
	// struct, never written.
	if err := r.List(ctx, &list, client.InNamespace(allowlist.Namespace), client.MatchingLabels{v1alpha1.AllowlistLabel: allowlist.Name}, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing the NetworkPolicies of the allowlist: %w", err)
	}
	var stale []networkingv1.NetworkPolicy
	for _, np := range list.Items {
		if !wanted[np.Name] && metav1.IsControlledBy(&np, allowlist) {
			stale = append(stale, np)
		}
	}
	slices.SortFunc(stale, func(a, b networkingv1.NetworkPolicy) int { return strings.Compare(a.Name, b.Name) })
	return stale, nil
}
