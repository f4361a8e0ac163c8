/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package controller reconciles VendorAllowlists into NetworkPolicies.
package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/addresses"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// vendorNameIndex indexes VendorAllowlists by the catalog vendors they name, so a
// changed Vendor re-renders exactly the allowlists that use it.
const vendorNameIndex = "spec.vendors.name"

// VendorAllowlistReconciler keeps each VendorAllowlist's NetworkPolicies in place.
type VendorAllowlistReconciler struct {
	client.Client
	// PolicyNames reads the metadata of the NetworkPolicies without the managed-by
	// label (AddPolicyNameCache), to find one in the way before creating a policy;
	// the client's cache holds only the labelled ones.
	PolicyNames client.Reader
	Recorder    events.EventRecorder
	// Catalog is the built-in vendor catalog; Vendor objects override and extend it.
	Catalog *catalog.Catalog
	// Feeds fills feed-backed groups with the lists in force; nil: none is filled.
	Feeds FeedAddresses
	// FeedChanges names vendors whose feed-backed groups changed.
	FeedChanges <-chan event.GenericEvent
	// Render is the admin's settings for rendering: the tenant limits, the guard and
	// where the cluster DNS runs.
	Render render.Options
	// Addresses says what the allowlists' hostnames resolve to.
	Addresses addresses.Source
	Clock     clock.PassiveClock
	// AddressChanges names the allowlists whose hostnames' addresses changed
	// (dnscache.Cache.Events); nil when the address source never changes.
	AddressChanges <-chan event.GenericEvent
	// Workers is how many allowlists are reconciled at once.
	Workers int
	// StatusTimeResolution is how far a hostname's lastResolved or an address's
	// lastSeen may move before the status records the new time
	// (dnscache.Cache.StatusResolution); zero records every move.
	StatusTimeResolution time.Duration
	// Targets are the kinds of ingress target the manager handles (targets_kinds.go).
	Targets TargetKinds
	// TargetObjects reads the objects the targets create (custom resources, read as
	// unstructured): the manager's cache, which the client would bypass for them.
	TargetObjects client.Reader
	// APIReader reads from the API server, to see whether a target object of a name
	// the cache does not hold is in the way before creating it.
	APIReader client.Reader
	// ForeignPolicies is the metadata of the SecurityPolicies that are not the
	// operator's (AddForeignPolicyCache), to reconcile when one changes; nil
	// without the Envoy Gateway target.
	ForeignPolicies cache.Cache
	// Egress is what enforces the egress hostnames (--egress-backend), chosen at
	// start (egress.go).
	Egress EgressBackend

	written   writtenStatuses
	swept     sweptAllowlists
	leftovers leftoverIndex
	stubbed   stubbedReads
	catalogs  catalogMemo
}

// +kubebuilder:rbac:groups=networking.vendorallowlist.io,resources=vendorallowlists,verbs=get;list;watch
// +kubebuilder:rbac:groups=networking.vendorallowlist.io,resources=vendorallowlists/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=networking.vendorallowlist.io,resources=vendors,verbs=get;list;watch
// +kubebuilder:rbac:groups=networking.k8s.io,resources=networkpolicies,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile renders the allowlist, applies what changed, and writes status once.
func (r *VendorAllowlistReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	// The cache's own object (its struct copied, everything it points to shared):
	// only the status patch reads it, to compare; the reconcile works on one copy.
	var original v1alpha1.VendorAllowlist
	if err := r.Get(ctx, req.NamespacedName, &original, client.UnsafeDisableDeepCopy); err != nil {
		if apierrors.IsNotFound(err) {
			r.Addresses.Forget(req.NamespacedName)
			r.written.forget(req.NamespacedName)
			// The garbage collector removes the objects it owned; the fields it set
			// on Services and Ingresses are the operator's to release.
			if _, err := r.releaseTargetFields(ctx, req.NamespacedName, nil); err != nil {
				return ctrl.Result{}, err
			}
			// Nor can it remove a cluster-scoped object, which has no owner reference,
			// or the allowlist's part of a namespace's EgressFirewall.
			if err := r.releaseDeletedEgress(ctx, req.NamespacedName); err != nil {
				return ctrl.Result{}, err
			}
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !original.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil // the garbage collector removes the owned policies
	}
	// The logger already names the allowlist: controller-runtime's gives every
	// reconcile of For's kind a "VendorAllowlist" key.
	allowlist := original.DeepCopy()
	obs := &observation{}
	result, reconcileErr := r.reconcile(ctx, allowlist, obs)
	obs.err = reconcileErr
	allowlist.Status.ObservedGeneration = allowlist.Generation
	for _, e := range updateStatus(allowlist, obs) {
		recordEvent(r.Recorder, allowlist, e)
	}
	if err := r.patchStatus(ctx, &original, allowlist); err != nil {
		return ctrl.Result{}, errors.Join(reconcileErr, err)
	}
	return result, reconcileErr
}

// reconcile applies what the allowlist renders, and records in obs what it found on
// the way; it stops where a fact says the policies in place must stay as they are.
func (r *VendorAllowlistReconciler) reconcile(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, obs *observation) (ctrl.Result, error) {
	vendors, err := r.vendors(ctx)
	if err != nil {
		obs.catalogErr = err
		return ctrl.Result{}, err
	}
	// The policies in place stay as they are until the Vendor's change is accepted.
	if obs.vendorChange, obs.vendorChangeHeld = heldVendorChanges(allowlist, vendors); obs.vendorChange != "" {
		return ctrl.Result{}, nil
	}
	cat, pending := r.catalogFor(allowlist, vendors) // feeds.go
	if obs.feedsPending = pending; len(pending) > 0 {
		return ctrl.Result{}, nil // the policies in place stay until the feeds have a list
	}
	plan, noConsent, err := r.compile(ctx, allowlist, cat)
	if errors.As(err, &obs.compileErr) {
		return ctrl.Result{}, reconcile.TerminalError(err) // the policies in place stay until the spec is fixed
	} else if err != nil {
		return ctrl.Result{}, err
	}

	known, err := r.resolve(ctx, allowlist, plan)
	if err != nil {
		return ctrl.Result{}, err
	}
	obs.resolved, obs.hostnames, obs.known = true, plan.Hostnames(), known
	obs.result = plan.BuildAnswers(render.Answers{Resolved: resolvedAddresses(known), Blocked: blockedAnswers(known)})
	obs.result.EgressRules = withoutConsent(obs.result.EgressRules, noConsent)
	obs.awaiting, obs.refused = awaitingDNS(obs.result, known), plan.Refused()
	allowlist.Status.Hostnames = hostnameStatuses(obs.result.Hostnames, known, allowlist.Status.Hostnames, r.StatusTimeResolution)
	if obs.nothingToRender = nothingToRender(obs); obs.nothingToRender != "" {
		return ctrl.Result{}, nil
	}

	if stop, err := r.applyInOrder(ctx, allowlist, obs); stop {
		return ctrl.Result{}, err
	}
	obs.targets = &targetsObserved{before: allowlist.Status.IngressTargets}
	if obs.targets.changed, obs.applyErr = r.reconcileTargets(ctx, allowlist, obs.result); obs.applyErr != nil {
		return ctrl.Result{}, obs.applyErr
	}
	return recheck(allowlist.Status.IngressTargets, noConsent), nil
}

// applyInOrder writes what the allowlist renders in the order that never refuses
// what was allowed, whatever the egress backend was before: the backend's objects
// first, then the policies (which drop or regain the addresses of the hostnames
// those enforce by name), then the stale backend objects go (egress.go). While the
// backend's objects cannot be written, the policies in place stay as they are
// (obs.applied stays false).
func (r *VendorAllowlistReconciler) applyInOrder(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, obs *observation) (stop bool, err error) {
	if obs.egress = r.writeEgress(ctx, allowlist, obs.result.EgressObjects); obs.egress.blocked() {
		return true, obs.egress.err
	}
	obs.outcome, obs.applyErr = r.applyPolicies(ctx, allowlist, obs.result.Policies)
	obs.applied = true
	if obs.applyErr != nil {
		return true, obs.applyErr
	}
	allowlist.Status.Egress = egressStatus(obs.result.EgressRules)
	obs.applyErr = r.pruneEgress(ctx, allowlist, obs.egress, len(obs.awaiting) > 0)
	return obs.applyErr != nil, obs.applyErr
}

// compile compiles the allowlist with the render options for it (egress_ovn.go);
// noConsent says why its names stay on addresses, with OVN and no admin's consent.
func (r *VendorAllowlistReconciler) compile(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, cat render.Catalog) (*render.Plan, string, error) {
	opts, noConsent, err := r.renderOptions(ctx, allowlist)
	if err != nil {
		return nil, "", err
	}
	plan, err := render.Compile(allowlist, cat, opts)
	return plan, noConsent, err
}

// recheck is when to look at the allowlist again: consent given on a Namespace or
// a Gateway API object brings no event.
func recheck(targets []v1alpha1.IngressTargetStatus, noEgressConsent string) ctrl.Result {
	if noEgressConsent != "" {
		return ctrl.Result{RequeueAfter: consentRecheck}
	}
	return targetRecheck(targets)
}

// resolve asks the address source for the plan's hostnames, seeded with what the
// operator rendered before.
func (r *VendorAllowlistReconciler) resolve(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, plan *render.Plan) (map[string]addresses.Host, error) {
	rendered, err := r.renderedAddresses(ctx, allowlist)
	if err != nil {
		return nil, err
	}
	return r.Addresses.Lookup(ctx, addressOwner(allowlist), addressRequests(plan, allowlist.Status.Hostnames, rendered)), nil
}

// nothingToRender says why a direction the allowlist opens would render no address,
// or "" when each has one, or when it may still get one from DNS (a first answer
// awaited, or a lookup failing: its policy then isolates the pods meanwhile, and Ready
// says what it waits for). Entries left out by the tenant limits must go from the
// policies in place, so they are applied, not kept.
func nothingToRender(obs *observation) string {
	empty := obs.result.Empty
	if len(empty) == 0 || len(obs.refused) > 0 || len(obs.awaiting) > 0 {
		return ""
	}
	dirs := make([]string, len(empty))
	for i, d := range empty {
		dirs[i] = string(d)
	}
	return fmt.Sprintf("Nothing to render for %s: no address is published or resolved for what the allowlist selects (deprecated addresses are left out unless includeDeprecated is set; status.hostnames has the DNS answers). The policies in place, if any, stay as they are", strings.Join(dirs, " and "))
}

// vendors are the cluster's Vendor objects, which override and extend the built-in
// catalog: the cache's own objects, shared (every reconcile lists them), to be read
// and never changed.
func (r *VendorAllowlistReconciler) vendors(ctx context.Context) ([]v1alpha1.Vendor, error) {
	var vendors v1alpha1.VendorList
	if err := r.List(ctx, &vendors, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing Vendors: %w", err)
	}
	return vendors.Items, nil
}

// heldVendorChanges says which Vendors the allowlist names have a generation that is
// not accepted yet: held for an admin (held is then true), or not compared yet (which
// takes a moment, and the Vendor's status change brings the allowlist back). Empty
// when none.
func heldVendorChanges(allowlist *v1alpha1.VendorAllowlist, vendors []v1alpha1.Vendor) (msg string, held bool) {
	byName := make(map[string]*v1alpha1.Vendor, len(vendors))
	for i := range vendors {
		byName[vendors[i].Name] = &vendors[i]
	}
	var msgs []string
	for _, sel := range allowlist.Spec.Vendors {
		v, ok := byName[string(sel.Name)]
		if !ok || v.Status.AcceptedGeneration == v.Generation {
			continue
		}
		cond := meta.FindStatusCondition(v.Status.Conditions, v1alpha1.ConditionAccepted)
		if cond != nil && cond.Reason == v1alpha1.ReasonChangeHeld && cond.ObservedGeneration == v.Generation {
			msgs = append(msgs, cond.Message)
			held = true
		} else {
			msgs = append(msgs, fmt.Sprintf("Generation %d of Vendor %s is being compared with the one in use; the policies stay as they are meanwhile", v.Generation, v.Name))
		}
	}
	return strings.Join(msgs, "; "), held
}

// SetupWithManager registers the controller, its watches and its index.
func (r *VendorAllowlistReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return r.setup(mgr, r)
}

// setup registers the controller with rec as its reconciler, which tests wrap to
// observe reconciles.
func (r *VendorAllowlistReconciler) setup(mgr ctrl.Manager, rec reconcile.Reconciler) error {
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &v1alpha1.VendorAllowlist{}, vendorNameIndex,
		func(o client.Object) []string {
			var names []string
			for _, v := range o.(*v1alpha1.VendorAllowlist).Spec.Vendors {
				names = append(names, string(v.Name))
			}
			return names
		}); err != nil {
		return fmt.Errorf("indexing VendorAllowlists by vendor: %w", err)
	}
	// The kinds the controller always watches are registered with the cache now (the
	// index above registers the allowlists), not when the controller starts, so that
	// the manager waits once for all of them to sync: each wait polls every 100 ms,
	// and the second one was 0.2 s of a 7.7 s cold start of 1,000 allowlists.
	for _, obj := range []client.Object{&networkingv1.NetworkPolicy{}, &v1alpha1.Vendor{}} {
		if _, err := mgr.GetCache().GetInformer(context.Background(), obj, cache.BlockUntilSynced(false)); err != nil {
			return fmt.Errorf("watching %T: %w", obj, err)
		}
	}
	b := ctrl.NewControllerManagedBy(mgr)
	if r.AddressChanges != nil {
		b = b.WatchesRawSource(source.Channel(r.AddressChanges, enqueueAddressChange()))
	}
	b, err := r.watchTargets(mgr, b) // targets_watch.go
	if err != nil {
		return err
	}
	if b, err = r.watchEgress(mgr, b); err != nil { // egress_watch.go
		return err
	}
	b = r.watchForeignPolicies(b) // targets_envoy.go
	b = r.watchFeedChanges(b)     // feeds.go
	return b.
		For(&v1alpha1.VendorAllowlist{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		// A managed policy appearing is the operator's own doing (the initial list at
		// start-up reconciles every allowlist anyway); reconciling again on it would
		// only read the allowlist from a cache that may not have this reconcile's
		// status yet, and write that status a second time. Edits and deletes by
		// anyone still trigger a reconcile.
		Owns(&networkingv1.NetworkPolicy{}, builder.WithPredicates(predicate.Funcs{
			CreateFunc: func(event.CreateEvent) bool { return false },
		})).
		// A policy handed over after the allowlist reported the conflict brings it back.
		Watches(&networkingv1.NetworkPolicy{}, handler.EnqueueRequestsFromMapFunc(handedOver)).
		Watches(&v1alpha1.Vendor{}, handler.EnqueueRequestsFromMapFunc(r.allowlistsUsingVendor)).
		Named("vendorallowlist").
		WithOptions(controller.Options{MaxConcurrentReconciles: max(r.Workers, 1), NewQueue: namespacesInTurn}).
		Complete(rec)
}

// handedOver maps an object no controller owns to the allowlist its AdoptAnnotation
// hands it over to.
func handedOver(_ context.Context, o client.Object) []reconcile.Request {
	name := o.GetAnnotations()[v1alpha1.AdoptAnnotation]
	if name == "" || metav1.GetControllerOf(o) != nil {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: name}}}
}

func (r *VendorAllowlistReconciler) allowlistsUsingVendor(ctx context.Context, vendor client.Object) []reconcile.Request {
	var list v1alpha1.VendorAllowlistList
	if err := r.List(ctx, &list, client.MatchingFields{vendorNameIndex: vendor.GetName()}); err != nil {
		logf.FromContext(ctx).Error(err, "Listing VendorAllowlists that use a changed Vendor failed", "Vendor", vendor.GetName())
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, a := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&a)})
	}
	return reqs
}
