/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// targetObjectIndex indexes VendorAllowlists by the Services and Ingresses their
// targets name ("Service/web", "Ingress/web"), so that such an object appearing or
// changing reconciles exactly the allowlists that name it.
const targetObjectIndex = "spec.ingressTargets.objects"

// fieldHolderIndex indexes Services and Ingresses by the allowlists that hold a field
// of them (their field managers), so that an allowlist finds the fields it must
// release without reading every Service and Ingress of its namespace.
const fieldHolderIndex = "metadata.managedFields.allowlists"

// fieldHolders are the allowlists that hold a field of o, from its field managers.
func fieldHolders(o client.Object) []string {
	var names []string
	for _, e := range o.GetManagedFields() {
		if name, ok := strings.CutPrefix(e.Manager, v1alpha1.TargetFieldManagerPrefix); ok && name != "" && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}

// targetObjectKeys are the index values of an allowlist: the user's objects its
// targets set a field of, as the renderer names them.
func targetObjectKeys(o client.Object) []string {
	var keys []string
	for _, t := range render.TargetIdentities(o.(*v1alpha1.VendorAllowlist)) {
		if !t.Owned {
			keys = append(keys, t.Kind.Kind+"/"+t.Name)
		}
	}
	return keys
}

// watchTargets adds the watches the installed kinds of target need: the objects the
// targets create, owned as the NetworkPolicies are, and the Services and Ingresses
// whose field they set, mapped to the allowlists that name them or hold a field of
// them.
func (r *VendorAllowlistReconciler) watchTargets(mgr ctrl.Manager, b *builder.Builder) (*builder.Builder, error) {
	if len(r.Targets.Installed) == 0 {
		return b, nil
	}
	if r.TargetObjects == nil {
		r.TargetObjects = mgr.GetCache()
	}
	if r.APIReader == nil {
		r.APIReader = mgr.GetAPIReader()
	}
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &v1alpha1.VendorAllowlist{}, targetObjectIndex, targetObjectKeys); err != nil {
		return nil, fmt.Errorf("indexing VendorAllowlists by target: %w", err)
	}
	for _, kind := range r.Targets.ownedKinds() {
		// As for NetworkPolicies: a created object is the operator's own doing.
		b = b.Owns(ownedObject(kind), builder.WithPredicates(predicate.Funcs{CreateFunc: func(event.CreateEvent) bool { return false }}))
		b = b.Watches(ownedObject(kind), handler.EnqueueRequestsFromMapFunc(handedOver))
	}
	for _, f := range r.Targets.fieldObjects() {
		obj, err := newObject(mgr.GetScheme(), f.Kind)
		if err != nil {
			return nil, err
		}
		if err := mgr.GetFieldIndexer().IndexField(context.Background(), obj, fieldHolderIndex, fieldHolders); err != nil {
			return nil, fmt.Errorf("indexing %s objects by the allowlists that hold a field: %w", f.Kind.Kind, err)
		}
		spec := func(client.Object) any { return nil }
		if f.SpecMatters {
			spec = specOf
		}
		b = b.Watches(obj, handler.EnqueueRequestsFromMapFunc(r.allowlistsForTargetObject(f.Kind.Kind)),
			builder.WithPredicates(targetObjectChanged(spec)))
	}
	return b, nil
}

// targetObjectChanged lets through the creation and deletion of a user's object a
// target sets a field of, and the changes that matter to a target: its spec where
// the kind reads it (a Service's type and traffic policy), annotations, and who
// manages which field. A status update, of which a LoadBalancer has many, is not
// one.
func targetObjectChanged(spec func(client.Object) any) predicate.Funcs {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		return !equality.Semantic.DeepEqual(spec(e.ObjectOld), spec(e.ObjectNew)) ||
			!equality.Semantic.DeepEqual(e.ObjectOld.GetAnnotations(), e.ObjectNew.GetAnnotations()) ||
			!equality.Semantic.DeepEqual(fieldOwnership(e.ObjectOld), fieldOwnership(e.ObjectNew))
	}}
}

// specOf is the spec of a typed object (nil without one).
func specOf(o client.Object) any {
	v := reflect.Indirect(reflect.ValueOf(o))
	if v.Kind() != reflect.Struct {
		return nil
	}
	if spec := v.FieldByName("Spec"); spec.IsValid() {
		return spec.Interface()
	}
	return nil
}

// fieldOwnership is who manages which field of an object, without the times.
func fieldOwnership(o client.Object) []metav1.ManagedFieldsEntry {
	entries := make([]metav1.ManagedFieldsEntry, 0, len(o.GetManagedFields()))
	for _, e := range o.GetManagedFields() {
		e.Time = nil
		entries = append(entries, e)
	}
	return entries
}

// allowlistsForTargetObject maps a user's object of kind (a Service, an Ingress) to
// the allowlists of its namespace that name it, and those that hold a field of it
// (a deleted allowlist among them: its reconcile releases the field).
func (r *VendorAllowlistReconciler) allowlistsForTargetObject(kind string) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		var list v1alpha1.VendorAllowlistList
		if err := r.List(ctx, &list, client.InNamespace(o.GetNamespace()), client.MatchingFields{targetObjectIndex: kind + "/" + o.GetName()}); err != nil {
			logf.FromContext(ctx).Error(err, "Listing VendorAllowlists that name an ingress target failed", kind, klogRef(o))
			return nil
		}
		seen := map[string]bool{}
		var reqs []reconcile.Request
		add := func(name string) {
			if !seen[name] {
				seen[name] = true
				reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: name}})
			}
		}
		for _, a := range list.Items {
			add(a.Name)
		}
		for _, name := range fieldHolders(o) {
			add(name)
		}
		return reqs
	}
}

func klogRef(o client.Object) string { return o.GetNamespace() + "/" + o.GetName() }
