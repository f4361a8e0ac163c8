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

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// CacheOptions is the manager's cache: the allowlists and the Vendors without their
// managed fields (the allowlists compact, CompactAllowlist), and only the NetworkPolicies the operator manages (a cluster's
// other policies are none of its business and would cost memory), slim (SlimPolicy),
// in the given namespaces or all. Of the other objects' managed fields it keeps the
// operator's own entries alone: they are what it compares the objects it created
// with, and others' entries (kubectl's, a client's Update) are read by nothing.
func CacheOptions(namespaces []string) cache.Options {
	opts := cache.Options{
		ByObject: map[client.Object]cache.ByObject{
			&networkingv1.NetworkPolicy{}: {
				Label:     labels.SelectorFromSet(labels.Set{v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue}),
				Transform: SlimPolicy,
			},
			&v1alpha1.VendorAllowlist{}: {Transform: CompactAllowlist},
			// Nothing reads who set which field of a Vendor either.
			&v1alpha1.Vendor{}: {Transform: cache.TransformStripManagedFields()},
		},
		DefaultTransform: KeepOwnManagedFields,
	}
	opts.DefaultNamespaces = watched(namespaces)
	return opts
}

// KeepOwnManagedFields is a cache transform that drops every managed fields entry
// but those of the operator's field managers: its own (v1alpha1.FieldOwner) and the
// allowlists' target managers. A policy someone else edited still shows the edit, as
// a field the operator's entry no longer holds. The user objects whose fields the
// targets set (Services, Ingresses) keep every entry: who else set a field decides
// whether the operator may (see TargetKinds.AddToCache).
func KeepOwnManagedFields(in any) (any, error) {
	obj, err := meta.Accessor(in)
	if err != nil {
		return in, nil // not an object (a tombstone): nothing to trim
	}
	entries := obj.GetManagedFields()
	if entries == nil {
		return in, nil
	}
	kept := slices.DeleteFunc(entries, func(e metav1.ManagedFieldsEntry) bool { return !operatorManager(e.Manager) })
	if len(kept) == 0 {
		kept = nil
	}
	obj.SetManagedFields(slices.Clip(kept))
	return in, nil
}

// operatorManager says whether a field manager is one of the operator's.
func operatorManager(name string) bool {
	return name == v1alpha1.FieldOwner || strings.HasPrefix(name, v1alpha1.TargetFieldManagerPrefix)
}

// slimUserObject is what the cache keeps of a user's object an allowlist names or
// holds a field of (userObjectTransform): what a target reads (the metadata with
// every managed fields entry, and of a Service the type, source ranges and traffic
// policy); a Service's ports, selector and status and an Ingress's rules and status
// go.
func slimUserObject(in any) (any, error) {
	switch o := in.(type) {
	case *corev1.Service:
		return &corev1.Service{TypeMeta: o.TypeMeta, ObjectMeta: o.ObjectMeta, Spec: corev1.ServiceSpec{
			Type: o.Spec.Type, LoadBalancerSourceRanges: o.Spec.LoadBalancerSourceRanges, ExternalTrafficPolicy: o.Spec.ExternalTrafficPolicy,
		}}, nil
	case *networkingv1.Ingress:
		return &networkingv1.Ingress{TypeMeta: o.TypeMeta, ObjectMeta: o.ObjectMeta}, nil
	}
	return in, nil
}

// watched is the cache's namespaces: the given ones, or nil for all.
func watched(namespaces []string) map[string]cache.Config {
	if len(namespaces) == 0 {
		return nil
	}
	configs := make(map[string]cache.Config, len(namespaces))
	for _, ns := range namespaces {
		configs[ns] = cache.Config{}
	}
	return configs
}

// unmanagedMetadataCache is a cache of the metadata of the objects of one kind that
// the operator does not manage: NetworkPolicies, whose names must be free before a
// creation (the manager's cache holds only managed policies, so without it every
// creation would need a live GET), and others' SecurityPolicies, which an Envoy
// Gateway target must not switch off. It leaves out the managed ones, which the
// manager's cache has in full, so that the operator's own writes do not come back on
// a second watch.
type unmanagedMetadataCache struct{ cache.Cache }

// GetCache puts the cache in the manager's cache group, which is started and synced
// before any controller runs.
func (c unmanagedMetadataCache) GetCache() cache.Cache { return c.Cache }

// AddPolicyNameCache adds to mgr a cache of the metadata (names, labels, owner
// references; no spec, no managed fields) of every NetworkPolicy without the
// operator's managed-by label, in the given namespaces or all, and returns its reader
// for the reconciler's PolicyNames.
func AddPolicyNameCache(mgr ctrl.Manager, namespaces []string) (client.Reader, error) {
	return addUnmanagedMetadataCache(mgr, namespaces, policyKind)
}

// addUnmanagedMetadataCache adds to mgr a cache of the metadata of every object of
// kind that does not carry the operator's managed-by label, in the given namespaces
// or all (no spec, no managed fields: what others write is read for its name and
// labels only), registered now so that the manager waits for it to sync before
// reconciling.
func addUnmanagedMetadataCache(mgr ctrl.Manager, namespaces []string, kind schema.GroupVersionKind) (cache.Cache, error) {
	unmanaged, err := labels.NewRequirement(v1alpha1.ManagedByLabel, selection.NotEquals, []string{v1alpha1.ManagedByValue})
	if err != nil {
		return nil, err
	}
	c, err := cache.New(mgr.GetConfig(), cache.Options{
		HTTPClient:           mgr.GetHTTPClient(),
		Scheme:               mgr.GetScheme(),
		Mapper:               mgr.GetRESTMapper(),
		DefaultNamespaces:    watched(namespaces),
		DefaultLabelSelector: labels.NewSelector().Add(*unmanaged),
		DefaultTransform:     cache.TransformStripManagedFields(),
	})
	if err != nil {
		return nil, fmt.Errorf("creating the %s metadata cache: %w", kind.Kind, err)
	}
	if _, err := c.GetInformer(context.Background(), partialMetadata(kind, client.ObjectKey{}), cache.BlockUntilSynced(false)); err != nil {
		return nil, fmt.Errorf("watching %s metadata: %w", kind.Kind, err)
	}
	if err := mgr.Add(unmanagedMetadataCache{c}); err != nil {
		return nil, err
	}
	return c, nil
}

var (
	policyKind    = networkingv1.SchemeGroupVersion.WithKind("NetworkPolicy")
	allowlistKind = v1alpha1.GroupVersion.WithKind("VendorAllowlist")
	vendorKind    = v1alpha1.GroupVersion.WithKind("Vendor")
)

// partialMetadata is an object of the given kind as the metadata client reads and
// writes it: metadata only.
func partialMetadata(kind schema.GroupVersionKind, key client.ObjectKey) *metav1.PartialObjectMetadata {
	m := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
	m.SetGroupVersionKind(kind)
	return m
}
