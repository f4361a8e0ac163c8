/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"k8s.io/utils/ptr"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// Envoy Gateway applies one SecurityPolicy at each level of a route's attachment
// (Gateway, listener, route, route rule), and of two at the same level the oldest
// alone (its provider sorts them by age); the other is not accepted ("another
// SecurityPolicy has already attached to it") and does nothing. A policy of the operator's
// next to someone else's on the same Gateway or route would therefore either do
// nothing (it is younger) or silently switch theirs off (it is older, for instance
// written for a route name before the route and its owner's policy existed) — and
// with theirs, the authentication their policy sets. So the operator writes none
// where another policy is attached at the same level, and takes back its own when
// one appears: the other policy's owner decides (merge the addresses into it, or
// remove it).
//
// Policies on a listener (sectionName on a Gateway) or on a route rule (sectionName
// on a route) are more specific than the operator's and win over it for that part:
// they are not switched off, and are not conflicts.
//
// The operator's policy on an HTTPRoute or GRPCRoute is merged into the policy above
// the route (render: mergeType), which keeps that policy's authentication but
// replaces its authorization rules, and on a TCPRoute replaces that policy whole:
// where a Gateway's policy has authorization rules, the operator writes no route
// policy either (authorizationAbove).

// envoyConflict reports, for a SecurityPolicy the operator would write, the
// SecurityPolicies of others attached to the same Gateway or route at the same level,
// and when there are any, sets st to Failed (Conflict) and deletes the operator's own
// policy if it exists. It reads the API server, as the manager's cache holds only the
// operator's own policies.
func (r *VendorAllowlistReconciler) envoyConflict(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, desired *unstructured.Unstructured, st *v1alpha1.IngressTargetStatus) (bool, error) {
	kind, name := envoyTarget(desired)
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(render.SecurityPolicyKind.GroupVersion().WithKind(render.SecurityPolicyKind.Kind + "List"))
	if err := r.APIReader.List(ctx, list, client.InNamespace(allowlist.Namespace)); err != nil {
		st.State, st.Reason = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonApplyFailed
		st.Message = fmt.Sprintf("Listing the SecurityPolicies of namespace %s, to find one already attached to %s %s, failed: %v", allowlist.Namespace, kind, name, err)
		return true, fmt.Errorf("listing SecurityPolicies in %s: %w", allowlist.Namespace, err)
	}
	var others []string
	var own *unstructured.Unstructured
	for i := range list.Items {
		p := &list.Items[i]
		if p.GetName() == desired.GetName() {
			if metav1.IsControlledBy(p, allowlist) {
				own = p
			}
			continue // someone else's of that name is applyOwnedTarget's conflict
		}
		if how := attachedAtSameLevel(p, kind, name); how != "" {
			others = append(others, fmt.Sprintf("SecurityPolicy %s (%s)", p.GetName(), how))
		} else if how := authorizationAbove(p, desired); how != "" {
			others = append(others, fmt.Sprintf("SecurityPolicy %s (%s)", p.GetName(), how))
		}
	}
	if len(others) == 0 {
		return false, nil
	}
	slices.Sort(others)
	st.State, st.Reason = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonConflict
	st.Message = fmt.Sprintf("%s %s has %s: Envoy Gateway applies only one SecurityPolicy per %s (the oldest), and a route's merged into the one above replaces its authorization rules, so the operator's would do nothing, or switch off or widen what that one sets. The operator writes none; put the allowlist's addresses into that policy's authorization (kubectl vendorallowlist render prints the rule), or remove it",
		kind, name, strings.Join(others, ", "), strings.ToLower(kind))
	if own == nil {
		return true, nil
	}
	err := r.Delete(ctx, own, client.Preconditions{UID: ptr.To(own.GetUID()), ResourceVersion: ptr.To(own.GetResourceVersion())})
	if err != nil && !apierrors.IsNotFound(err) {
		return true, fmt.Errorf("deleting SecurityPolicy %s/%s, which would switch off %s: %w", own.GetNamespace(), own.GetName(), strings.Join(others, ", "), err)
	}
	logf.FromContext(ctx).Info("Took back a SecurityPolicy that would switch off or widen another", "name", own.GetName(), "target", kind+"/"+name, "others", others)
	st.Message += fmt.Sprintf("; its SecurityPolicy %s, written before, is deleted", own.GetName())
	return true, nil
}

// envoyTarget is the kind and name the operator's SecurityPolicy targets.
func envoyTarget(desired *unstructured.Unstructured) (kind, name string) {
	refs, _, _ := unstructured.NestedSlice(desired.Object, "spec", "targetRefs")
	if len(refs) == 0 {
		return "", ""
	}
	ref, _ := refs[0].(map[string]any)
	kind, _ = ref["kind"].(string)
	name, _ = ref["name"].(string)
	return kind, name
}

// attachedAtSameLevel says how p attaches to kind/name as a whole (without a
// sectionName), or "" if it does not: by targetRef, targetRefs, or a targetSelector
// of that kind in its own namespace. The operator cannot read the labels of Gateways
// and routes, so a selector of the kind counts as one that may select it: Envoy
// Gateway would resolve it, and the operator cannot tell that it does not.
func attachedAtSameLevel(p *unstructured.Unstructured, kind, name string) string {
	group := func(m map[string]any) bool {
		g, _ := m["group"].(string)
		return g == "" || g == "gateway.networking.k8s.io"
	}
	refs, _, _ := unstructured.NestedSlice(p.Object, "spec", "targetRefs")
	if ref, ok, _ := unstructured.NestedMap(p.Object, "spec", "targetRef"); ok {
		refs = append(refs, ref)
	}
	for _, r := range refs {
		ref, ok := r.(map[string]any)
		if !ok || !group(ref) || ref["kind"] != kind || ref["name"] != name {
			continue
		}
		if section, _ := ref["sectionName"].(string); section != "" {
			continue
		}
		return "targetRefs"
	}
	selectors, _, _ := unstructured.NestedSlice(p.Object, "spec", "targetSelectors")
	for _, s := range selectors {
		sel, ok := s.(map[string]any)
		if !ok || !group(sel) || sel["kind"] != kind {
			continue
		}
		return "a targetSelector of " + kind + "s, which may select it"
	}
	return ""
}

// authorizationAbove says how p, a policy with authorization rules on a Gateway (or
// one of its listeners), may be the policy above the route the operator's policy
// targets, or "" if it cannot be. Merged into it (an HTTPRoute's or GRPCRoute's), the
// route's authorization replaces the parent's (its rules are a list, which both merge
// types replace whole); unmerged (a TCPRoute's), the route's policy replaces the
// parent's whole. Either way the platform's rules would no longer hold on the route,
// and an address they refuse could be let in. The operator cannot read the route's
// parentRefs, so every Gateway of the namespace counts; a Gateway of another
// namespace is not seen.
func authorizationAbove(p, desired *unstructured.Unstructured) string {
	if kind, _ := envoyTarget(desired); kind == "Gateway" {
		return ""
	}
	if _, has, _ := unstructured.NestedMap(p.Object, "spec", "authorization"); !has {
		return ""
	}
	refs, _, _ := unstructured.NestedSlice(p.Object, "spec", "targetRefs")
	if ref, ok, _ := unstructured.NestedMap(p.Object, "spec", "targetRef"); ok {
		refs = append(refs, ref)
	}
	selectors, _, _ := unstructured.NestedSlice(p.Object, "spec", "targetSelectors")
	for _, r := range append(refs, selectors...) {
		if ref, ok := r.(map[string]any); ok && ref["kind"] == "Gateway" {
			name, _ := ref["name"].(string)
			if name == "" {
				name = "selected by label"
			}
			return fmt.Sprintf("authorization rules on Gateway %s, which the route's policy would replace on the route", name)
		}
	}
	return ""
}

// AddForeignPolicyCache adds to mgr, when the Envoy Gateway target is installed, a
// cache of the metadata of the SecurityPolicies without the operator's managed-by
// label, in the given namespaces or all, and returns it for the reconciler's
// ForeignPolicies (nil otherwise). The manager's cache holds only the operator's own;
// this one tells when someone else's appears, changes (its generation) or goes, so
// that an allowlist whose policy would switch it off takes its own back at once
// (envoyConflict), and one refused writes its own once the other is gone.
func AddForeignPolicyCache(mgr ctrl.Manager, targets TargetKinds, namespaces []string) (cache.Cache, error) {
	if !targets.installed(render.TargetEnvoyGateway) {
		return nil, nil
	}
	return addUnmanagedMetadataCache(mgr, namespaces, render.SecurityPolicyKind)
}

// watchForeignPolicies reconciles, when someone else's SecurityPolicy appears,
// changes or goes, the allowlists of its namespace that have an Envoy Gateway target.
func (r *VendorAllowlistReconciler) watchForeignPolicies(b *builder.Builder) *builder.Builder {
	if r.ForeignPolicies == nil {
		return b
	}
	enqueue := handler.TypedEnqueueRequestsFromMapFunc(func(ctx context.Context, o *metav1.PartialObjectMetadata) []reconcile.Request {
		var list v1alpha1.VendorAllowlistList
		if err := r.List(ctx, &list, client.InNamespace(o.GetNamespace())); err != nil {
			logf.FromContext(ctx).Error(err, "Listing VendorAllowlists after a SecurityPolicy changed failed", "SecurityPolicy", klogRef(o))
			return nil
		}
		var reqs []reconcile.Request
		for _, a := range list.Items {
			if slices.ContainsFunc(a.Spec.IngressTargets, func(t v1alpha1.IngressTarget) bool { return t.EnvoyGateway != nil }) {
				reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&a)})
			}
		}
		return reqs
	})
	return b.WatchesRawSource(source.TypedKind(r.ForeignPolicies, partialMetadata(render.SecurityPolicyKind, client.ObjectKey{}), enqueue,
		predicate.TypedGenerationChangedPredicate[*metav1.PartialObjectMetadata]{}))
}
