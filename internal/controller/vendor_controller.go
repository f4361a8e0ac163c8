/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/vendorchange"
)

// VendorReconciler decides, for each change to a Vendor, whether the allowlists that
// use it follow at once or keep their policies until an admin approves: a change that
// empties or shrinks an endpoint group, adds or removes addresses beyond Bounds (a
// swap of equal size included), or adds any in a range Guard forbids, is held. The outcome is
// the Vendor's status (acceptedGeneration and the Accepted condition), which the
// allowlists' reconciler reads.
type VendorReconciler struct {
	client.Client
	Recorder events.EventRecorder
	// Builtin is the built-in catalog: a new Vendor that replaces a built-in vendor is
	// compared with it.
	Builtin *catalog.Catalog
	Bounds  vendorchange.Bounds
	// Guard is the manager's guard (its cluster ranges and --guard-allow-cidr): a
	// change that adds an address it does not count as public is held.
	Guard guard.Guard
	// Feeds follows the Vendors' feed-backed groups; nil: none is followed.
	Feeds FeedFollower
	// FeedChanges names Vendors whose feeds changed, to refresh their status.
	FeedChanges <-chan event.GenericEvent
}

// +kubebuilder:rbac:groups=networking.vendorallowlist.io,resources=vendors/status,verbs=get;update;patch

// Reconcile compares the Vendor's current generation with the accepted one, and
// writes the verdict once.
func (r *VendorReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var vendor v1alpha1.Vendor
	if err := r.Get(ctx, req.NamespacedName, &vendor); apierrors.IsNotFound(err) {
		return ctrl.Result{}, r.vendorGone(ctx, req.Name) // feeds.go
	} else if err != nil {
		return ctrl.Result{}, err
	}
	original := vendor.Status.DeepCopy()
	r.judge(ctx, &vendor)
	feedErr := r.setFeeds(ctx, &vendor) // feeds.go
	if equality.Semantic.DeepEqual(original, &vendor.Status) {
		return ctrl.Result{}, feedErr
	}
	if err := r.patchStatus(ctx, &vendor); err != nil {
		return ctrl.Result{}, fmt.Errorf("writing status of Vendor %s: %w", vendor.Name, err)
	}
	return ctrl.Result{}, feedErr
}

// judge sets the Vendor's status: accepted, approved or held.
func (r *VendorReconciler) judge(ctx context.Context, vendor *v1alpha1.Vendor) {
	st := &vendor.Status
	st.ObservedGeneration = vendor.Generation
	summary := vendorchange.Summarize(vendor.Spec)
	if st.AcceptedGeneration == vendor.Generation {
		if !vendorchange.HasAddresses(st.Endpoints) {
			// Accepted before the operator recorded addresses: the spec is the
			// accepted generation's, so its addresses are the baseline.
			st.Endpoints = vendorchange.Baseline(summary)
		}
		return
	}
	accept := func(reason, msg string) {
		st.AcceptedGeneration, st.Endpoints = vendor.Generation, vendorchange.Baseline(summary)
		r.setAccepted(vendor, metav1.ConditionTrue, reason, msg)
	}
	if approved, ok := vendor.Annotations[v1alpha1.ApproveGenerationAnnotation]; ok && approved == strconv.FormatInt(vendor.Generation, 10) {
		accept(v1alpha1.ReasonChangeApproved, fmt.Sprintf("Generation %d was approved with the %s annotation", vendor.Generation, v1alpha1.ApproveGenerationAnnotation))
		logf.FromContext(ctx).Info("Vendor change approved", "generation", vendor.Generation)
		return
	}
	baseline, comparable := r.baseline(vendor)
	if !comparable {
		accept(v1alpha1.ReasonChangeAccepted, fmt.Sprintf("Generation %d is in use", vendor.Generation))
		return
	}
	findings := vendorchange.Compare(baseline, summary, r.Bounds, r.Guard)
	if len(findings) == 0 {
		accept(v1alpha1.ReasonChangeAccepted, fmt.Sprintf("Generation %d is in use: its changes are within the bounds", vendor.Generation))
		return
	}
	msg := heldMessage(vendor, findings)
	previous := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionAccepted).DeepCopy()
	r.setAccepted(vendor, metav1.ConditionFalse, v1alpha1.ReasonChangeHeld, msg)
	if previous == nil || previous.Reason != v1alpha1.ReasonChangeHeld || previous.ObservedGeneration != vendor.Generation {
		recordEvent(r.Recorder, vendor, statusEvent{v1alpha1.ReasonChangeHeld, "Compare", msg})
		logf.FromContext(ctx).Info("Vendor change held for an admin", "generation", vendor.Generation, "findings", len(findings))
	}
}

// baseline is what the change is compared with: the accepted generation's summary;
// for a new Vendor that replaces a built-in vendor, the built-in one. A Vendor that
// has never been accepted and replaces nothing (new, or created before the operator
// compared changes) has nothing to compare with.
func (r *VendorReconciler) baseline(vendor *v1alpha1.Vendor) ([]v1alpha1.EndpointSummary, bool) {
	if vendor.Status.AcceptedGeneration > 0 {
		return vendor.Status.Endpoints, true
	}
	if vendor.Generation == 1 {
		if builtin, ok := r.Builtin.Get(vendor.Name); ok {
			return vendorchange.Summarize(builtin.Spec), true
		}
	}
	return nil, false
}

func heldMessage(vendor *v1alpha1.Vendor, findings []vendorchange.Finding) string {
	parts := make([]string, 0, len(findings))
	for _, f := range findings {
		parts = append(parts, f.String())
	}
	return truncate(fmt.Sprintf("Generation %d of Vendor %s is held: %s. The allowlists that use it keep their policies until an admin approves it: kubectl annotate vendor %s %s=%d",
		vendor.Generation, vendor.Name, strings.Join(parts, "; "), vendor.Name, v1alpha1.ApproveGenerationAnnotation, vendor.Generation), 32768)
}

// setAccepted sets Accepted, and Stalled (the kstatus convention) while a change waits
// for an admin.
func (r *VendorReconciler) setAccepted(vendor *v1alpha1.Vendor, status metav1.ConditionStatus, reason, msg string) {
	conds := &vendor.Status.Conditions
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: v1alpha1.ConditionAccepted, Status: status, Reason: reason, Message: msg, ObservedGeneration: vendor.Generation,
	})
	if status == metav1.ConditionTrue {
		meta.RemoveStatusCondition(conds, v1alpha1.ConditionStalled)
		return
	}
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: v1alpha1.ConditionStalled, Status: metav1.ConditionTrue, Reason: reason, Message: msg, ObservedGeneration: vendor.Generation,
	})
}

func (r *VendorReconciler) patchStatus(ctx context.Context, vendor *v1alpha1.Vendor) error {
	body, err := statusPatch(vendor.Status)
	if err != nil {
		return err
	}
	target := partialMetadata(vendorKind, client.ObjectKey{Name: vendor.Name})
	return r.Status().Patch(ctx, target, client.RawPatch(types.MergePatchType, body), statusFieldOwner)
}

// SetupWithManager registers the controller.
func (r *VendorReconciler) SetupWithManager(mgr ctrl.Manager) error {
	b := ctrl.NewControllerManagedBy(mgr).
		// Its own status writes need no second look; an approval is an annotation.
		For(&v1alpha1.Vendor{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{})))
	return r.watchFeedChanges(b). // feeds.go
					Named("vendor").
					Complete(r)
}
