/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/events"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds/fetch"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds/follow"
)

// FeedAddresses fills the feed-backed groups of a catalog with the lists in force
// (*follow.Feeds).
type FeedAddresses interface {
	Fill(cat *catalog.Catalog, selections []v1alpha1.VendorSelection) (*catalog.Catalog, []follow.Pending)
}

// FeedFollower is what the Vendor controller tells of each Vendor's feeds, and reads
// back for its status (*follow.Feeds).
type FeedFollower interface {
	SetVendor(ctx context.Context, name string, spec *v1alpha1.VendorSpec) error
	VendorStatus(vendor string, spec v1alpha1.VendorSpec) []v1alpha1.FeedStatus
}

// catalogFor is the catalog an allowlist is rendered with: the built-in vendors, the
// cluster's Vendors over them, and the feed-backed groups the allowlist selects filled
// with the lists in force. Pending groups have none yet: the allowlist keeps the
// policies it has until they do.
func (r *VendorAllowlistReconciler) catalogFor(allowlist *v1alpha1.VendorAllowlist, vendors []v1alpha1.Vendor) (*catalog.Catalog, []follow.Pending) {
	cat := r.catalogs.withOverrides(r.Catalog, vendors)
	if r.Feeds == nil {
		return cat, follow.NotEnabled(cat, allowlist.Spec.Vendors)
	}
	return r.Feeds.Fill(cat, allowlist.Spec.Vendors)
}

// feedPendingReason is the Ready reason of pending groups: the admin's to fix when a
// feed is not enabled or cannot work (the reason table makes those Warnings, and
// Stalled), the operator's to wait for otherwise.
func feedPendingReason(pending []follow.Pending) string {
	for _, p := range pending {
		if v1alpha1.IsStalled(p.Reason) {
			return p.Reason
		}
	}
	return v1alpha1.ReasonFeedPending
}

// RecordFeedEvent tells of a feed's new or held list on its copy in the operator's
// namespace (a built-in vendor has no object to tell it on).
func RecordFeedEvent(rec events.EventRecorder, namespace, url, reason, message string) {
	copyRef := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: fetch.ConfigMapName(url)}}
	recordEvent(rec, copyRef, statusEvent{reason: reason, action: "Fetch", note: message})
}

// watchFeedChanges re-renders the allowlists of a vendor whose feed-backed groups
// changed.
func (r *VendorAllowlistReconciler) watchFeedChanges(b *builder.Builder) *builder.Builder {
	if r.FeedChanges == nil {
		return b
	}
	return b.WatchesRawSource(source.Channel(r.FeedChanges, handler.EnqueueRequestsFromMapFunc(r.allowlistsUsingVendor)))
}

// VendorObject is the object a feed change names, for the controllers' channels.
func VendorObject(name string) client.Object {
	return &v1alpha1.Vendor{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

// setFeeds tells the follower of the Vendor's feeds, and reports them in its status.
func (r *VendorReconciler) setFeeds(ctx context.Context, vendor *v1alpha1.Vendor) error {
	if r.Feeds == nil {
		// Not "current" from a manager that followed the feeds before: the lists
		// rendered then stay in the policies, and the status says why nothing moves.
		vendor.Status.Feeds = follow.NotEnabledStatus(vendor.Name, vendor.Spec)
		setFeedsCurrent(vendor)
		return nil
	}
	err := r.Feeds.SetVendor(ctx, vendor.Name, &vendor.Spec)
	vendor.Status.Feeds = r.Feeds.VendorStatus(vendor.Name, vendor.Spec)
	setFeedsCurrent(vendor)
	return err
}

// setFeedsCurrent sums up the feeds in one condition: True when every feed-backed
// group follows its feed, else the first group that does not, and why.
func setFeedsCurrent(vendor *v1alpha1.Vendor) {
	conds := &vendor.Status.Conditions
	if len(vendor.Status.Feeds) == 0 {
		meta.RemoveStatusCondition(conds, v1alpha1.ConditionFeedsCurrent)
		return
	}
	cond := metav1.Condition{Type: v1alpha1.ConditionFeedsCurrent, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonFeedCurrent,
		Message: fmt.Sprintf("%d feed-backed groups follow their feeds", len(vendor.Status.Feeds)), ObservedGeneration: vendor.Generation}
	for _, f := range vendor.Status.Feeds {
		if f.Reason != v1alpha1.ReasonFeedCurrent {
			cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, f.Reason, fmt.Sprintf("Group %s: %s", f.Group, f.Message)
			break
		}
	}
	meta.SetStatusCondition(conds, cond)
}

// vendorGone gives a deleted Vendor's name back to the built-in vendor of that name,
// if any, and its feeds with it.
func (r *VendorReconciler) vendorGone(ctx context.Context, name string) error {
	if r.Feeds == nil {
		return nil
	}
	var spec *v1alpha1.VendorSpec
	if builtin, ok := r.Builtin.Get(name); ok {
		spec = &builtin.Spec
	}
	return r.Feeds.SetVendor(ctx, name, spec)
}

// watchFeedChanges refreshes the status of a Vendor whose feeds changed.
func (r *VendorReconciler) watchFeedChanges(b *builder.Builder) *builder.Builder {
	if r.FeedChanges == nil {
		return b
	}
	return b.WatchesRawSource(source.Channel(r.FeedChanges, &handler.EnqueueRequestForObject{}))
}

// FeedApprovalReconciler looks again at a held feed document when an admin approves
// it on the feed's copy in the operator's namespace.
type FeedApprovalReconciler struct {
	client.Client
	Rejudge func(ctx context.Context, url string)
}

// Reconcile hands the copy's URL to the follower.
func (r *FeedApprovalReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var cm corev1.ConfigMap
	if err := r.Get(ctx, req.NamespacedName, &cm); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if url := cm.Annotations[fetch.URLAnnotation]; url != "" && cm.Annotations[v1alpha1.FeedApproveAnnotation] != "" {
		r.Rejudge(ctx, url)
	}
	return ctrl.Result{}, nil
}

// SetupWithManager watches the feed copies' annotations.
func (r *FeedApprovalReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&corev1.ConfigMap{}, builder.WithPredicates(predicate.AnnotationChangedPredicate{}, predicate.NewPredicateFuncs(func(o client.Object) bool {
			_, ok := o.GetLabels()[fetch.FeedLabel]
			return ok
		}))).
		Named("feedapproval").
		Complete(r)
}

// FeedChannel is a channel of vendor names for a controller's source.
func FeedChannel() chan event.GenericEvent { return make(chan event.GenericEvent, 1024) }
