/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// AddToCache makes the cache hold, of the backend's kind, only the objects the
// operator manages (label-selected, as its NetworkPolicies). The other backends'
// kinds are not cached: their objects are read once per allowlist after a switch.
func (b EgressBackend) AddToCache(opts *cache.Options) {
	kind, named := b.kind()
	if !named {
		return
	}
	if opts.ByObject == nil {
		opts.ByObject = map[client.Object]cache.ByObject{}
	}
	opts.ByObject[egressObject(kind)] = cache.ByObject{Label: labels.SelectorFromSet(labels.Set{v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue})}
}

func egressObject(kind EgressKind) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(kind.GVK)
	return u
}

// watchEgress adds the watches of the backend's objects: owned as the NetworkPolicies
// are (by the controller reference; for the cluster-scoped kind, mapped to the
// allowlist its labels name), and handed over with the AdoptAnnotation. With a
// cluster-scoped kind it also deletes, once the caches are synced, the objects of
// allowlists deleted while the manager was not running.
func (r *VendorAllowlistReconciler) watchEgress(mgr ctrl.Manager, b *builder.Builder) (*builder.Builder, error) {
	if r.TargetObjects == nil {
		r.TargetObjects = mgr.GetCache()
	}
	if r.APIReader == nil {
		r.APIReader = mgr.GetAPIReader()
	}
	if _, ok := r.Egress.clusterScoped(); ok {
		if err := mgr.Add(manager.RunnableFunc(r.sweepClusterEgress)); err != nil {
			return nil, err
		}
	}
	kind, named := r.Egress.kind()
	switch {
	case !named:
		return b, nil
	case kind.GVK == render.EgressFirewallKind:
		// Every allowlist of the namespace owns a part of it: each puts it back.
		return b.Watches(egressObject(kind), handler.EnqueueRequestForOwner(mgr.GetScheme(), mgr.GetRESTMapper(), &v1alpha1.VendorAllowlist{})), nil
	case kind.Namespaced:
		// As for NetworkPolicies: a created object is the operator's own doing.
		b = b.Owns(egressObject(kind), builder.WithPredicates(predicate.Funcs{CreateFunc: func(event.CreateEvent) bool { return false }}))
		return b.Watches(egressObject(kind), handler.EnqueueRequestsFromMapFunc(handedOver)), nil
	}
	// The operator's own creations carry the UID label: only others' creations (a
	// handover) are news.
	return b.Watches(egressObject(kind), handler.EnqueueRequestsFromMapFunc(labelledAllowlist), builder.WithPredicates(predicate.Funcs{
		CreateFunc: func(e event.CreateEvent) bool { return e.Object.GetLabels()[v1alpha1.AllowlistUIDLabel] == "" },
	})), nil
}

// labelledAllowlist maps a cluster-scoped object to the allowlist its labels name.
func labelledAllowlist(_ context.Context, o client.Object) []reconcile.Request {
	l := o.GetLabels()
	ns, name := l[v1alpha1.AllowlistNamespaceLabel], l[v1alpha1.AllowlistLabel]
	if ns == "" || name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}}}
}

// releaseDeletedEgress takes back what a deleted allowlist had the backends write
// that the garbage collector does not remove.
func (r *VendorAllowlistReconciler) releaseDeletedEgress(ctx context.Context, key types.NamespacedName) error {
	if err := r.deleteClusterEgress(ctx, key); err != nil {
		return err
	}
	if !slices.ContainsFunc(r.Egress.Served, func(k EgressKind) bool { return k.GVK == render.EgressFirewallKind }) {
		return nil
	}
	reader := r.APIReader
	if kind, _ := r.Egress.kind(); kind.GVK == render.EgressFirewallKind {
		reader = r.TargetObjects
	}
	_, err := r.releaseFirewallPart(ctx, key, reader)
	return err
}

// deleteClusterEgress deletes the cluster-scoped objects of a deleted allowlist,
// which the garbage collector cannot: they carry no owner reference.
func (r *VendorAllowlistReconciler) deleteClusterEgress(ctx context.Context, key types.NamespacedName) error {
	kind, ok := r.Egress.clusterScoped()
	if !ok {
		return nil
	}
	list, err := listEgressObjects(ctx, r.APIReader, kind, key.Namespace, key.Name)
	if apierrors.IsForbidden(err) {
		return nil // a manager bound to some namespaces never wrote one
	} else if err != nil {
		return err
	}
	var errs []error
	for i := range list {
		o := &list[i]
		if o.GetLabels()[v1alpha1.AllowlistUIDLabel] == "" {
			continue // not the operator's: someone applied a rendering by hand
		}
		if err := deleteObject(ctx, r.Client, o); err != nil {
			errs = append(errs, fmt.Errorf("deleting %s %s of deleted allowlist %s: %w", kind.GVK.Kind, o.GetName(), key, err))
			continue
		}
		logf.FromContext(ctx).Info("Deleted the object of a deleted allowlist", "kind", kind.GVK.Kind, "name", o.GetName(), "VendorAllowlist", key.String())
	}
	return errors.Join(errs...)
}

// sweepClusterEgress deletes, at start, the cluster-scoped objects the operator wrote
// for allowlists that no longer exist (deleted while no manager ran).
func (r *VendorAllowlistReconciler) sweepClusterEgress(ctx context.Context) error {
	kind, _ := r.Egress.clusterScoped()
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(kind.GVK.GroupVersion().WithKind(kind.GVK.Kind + "List"))
	err := r.APIReader.List(ctx, list, client.MatchingLabels{v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue})
	if apierrors.IsForbidden(err) {
		return nil
	} else if err != nil {
		// Not fatal to the manager: the objects stay, as they would have anyway.
		logf.FromContext(ctx).Error(err, "Listing the cluster-scoped egress objects at start failed; those of deleted allowlists stay until an allowlist of their name is deleted", "kind", kind.GVK.Kind)
		return nil
	}
	seen := map[types.NamespacedName]bool{}
	for _, o := range list.Items {
		for _, req := range labelledAllowlist(ctx, &o) {
			seen[req.NamespacedName] = true
		}
	}
	for key := range seen {
		err := r.APIReader.Get(ctx, key, &v1alpha1.VendorAllowlist{})
		if apierrors.IsNotFound(err) {
			err = r.deleteClusterEgress(ctx, key)
		}
		if err != nil {
			logf.FromContext(ctx).Error(err, "Sweeping the cluster-scoped egress objects of an allowlist failed", "VendorAllowlist", key.String())
		}
	}
	return nil
}
