package controller

import (
	"context"
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// CacheOptions is the manager's cache: full objects of the allowlists, the Vendors
// and only the NetworkPolicies the operator manages (a cluster's other policies are
// none of its business and would cost memory), in the given namespaces or all.
func CacheOptions(namespaces []string) cache.Options {
	opts := cache.Options{
		ByObject: map[client.Object]cache.ByObject{
			&networkingv1.NetworkPolicy{}: {Label: labels.SelectorFromSet(labels.Set{v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue})},
		},
	}
	if len(namespaces) > 0 {
		opts.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range namespaces {
			opts.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	return opts
}

// policyNameCache is a cache of the metadata of the NetworkPolicies the operator
// does not manage. The manager's cache holds only managed policies, so without it
// every creation would need a live GET to make sure no other policy of that name is
// in the way. It leaves out the managed ones, which the manager's cache has in full,
// so that the operator's own writes do not come back on a second watch.
type policyNameCache struct{ cache.Cache }

// GetCache puts the cache in the manager's cache group, which is started and synced
// before any controller runs.
func (c policyNameCache) GetCache() cache.Cache { return c.Cache }

// AddPolicyNameCache adds to mgr a cache of the metadata (names, labels, owner
// references; no spec, no managed fields) of every NetworkPolicy without the
// operator's managed-by label, in the given namespaces or all, and returns its reader
// for the reconciler's PolicyNames.
func AddPolicyNameCache(mgr ctrl.Manager, namespaces []string) (client.Reader, error) {
	unmanaged, err := labels.NewRequirement(v1alpha1.ManagedByLabel, selection.NotEquals, []string{v1alpha1.ManagedByValue})
	if err != nil {
		return nil, err
	}
	opts := CacheOptions(namespaces)
	opts.ByObject = nil
	opts.HTTPClient, opts.Scheme, opts.Mapper = mgr.GetHTTPClient(), mgr.GetScheme(), mgr.GetRESTMapper()
	opts.DefaultLabelSelector = labels.NewSelector().Add(*unmanaged)
	opts.DefaultTransform = cache.TransformStripManagedFields()
	c, err := cache.New(mgr.GetConfig(), opts)
	if err != nil {
		return nil, fmt.Errorf("creating the NetworkPolicy metadata cache: %w", err)
	}
	// Registered now, so that the manager waits for it to sync before reconciling.
	if _, err := c.GetInformer(context.Background(), policyMetadata(), cache.BlockUntilSynced(false)); err != nil {
		return nil, fmt.Errorf("watching NetworkPolicy metadata: %w", err)
	}
	if err := mgr.Add(policyNameCache{c}); err != nil {
		return nil, err
	}
	return c, nil
}

func policyMetadata() *metav1.PartialObjectMetadata {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(networkingv1.SchemeGroupVersion.WithKind("NetworkPolicy"))
	return m
}
