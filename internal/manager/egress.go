/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package manager

import (
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/controller"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// chooseEgressBackend asks the API server which name backends' kinds it serves, and
// resolves --egress-backend: auto picks by render.DetectBackend; an explicit name
// backend whose kind is not served is an error that names the flag and the fix.
// With --watch-namespaces the cluster-scoped ClusterNetworkPolicy is not used: the
// operator is then granted nothing outside those namespaces.
func chooseEgressBackend(cfg *rest.Config, requested render.EgressBackend, watchNamespaces []string) (controller.EgressBackend, error) {
	served, err := servedEgressKinds(cfg)
	if err != nil {
		return controller.EgressBackend{}, err
	}
	b := controller.EgressBackend{Served: served}
	isServed := func(gvk schema.GroupVersionKind) bool {
		for _, k := range served {
			if k.GVK == gvk {
				return len(watchNamespaces) == 0 || k.Namespaced
			}
		}
		return false
	}
	switch requested {
	case "", render.BackendAuto:
		b.Name, b.Reason = render.DetectBackend(isServed)
		b.Reason = "auto: " + b.Reason
		if len(watchNamespaces) > 0 && servesKind(served, render.ClusterNetworkPolicyKind) {
			b.Reason += "; ClusterNetworkPolicy is cluster-scoped, and not used with --watch-namespaces"
		}
		return b, nil
	case render.BackendNetworkPolicy:
		b.Name, b.Reason = requested, "--egress-backend=networkpolicy"
		return b, nil
	}
	gvk := controller.BackendKinds[requested]
	if !isServed(gvk) {
		return b, unservedBackendError(requested, gvk, watchNamespaces)
	}
	b.Name, b.Reason = requested, fmt.Sprintf("--egress-backend=%s; the cluster serves %s %s", requested, gvk.GroupVersion(), gvk.Kind)
	return b, nil
}

func servesKind(kinds []controller.EgressKind, gvk schema.GroupVersionKind) bool {
	for _, k := range kinds {
		if k.GVK == gvk {
			return true
		}
	}
	return false
}

func unservedBackendError(b render.EgressBackend, gvk schema.GroupVersionKind, watchNamespaces []string) error {
	if gvk == render.ClusterNetworkPolicyKind && len(watchNamespaces) > 0 {
		return fmt.Errorf("--egress-backend=%s: ClusterNetworkPolicy is cluster-scoped, and a manager with --watch-namespaces is granted nothing outside its namespaces: drop --watch-namespaces (chart value watchNamespaces), or choose another backend (chart value egressBackend)", b)
	}
	return fmt.Errorf("--egress-backend=%s: the API server does not serve %s %s: install its CRD (the dataplane that enforces it), or set --egress-backend=auto to use what the cluster has, or networkpolicy (chart value egressBackend)", b, gvk.GroupVersion(), gvk.Kind)
}

// servedEgressKinds are the name backends' kinds the API server serves, with their
// scope as it says. An API server that cannot be asked is an error: the manager
// could not run anyway.
func servedEgressKinds(cfg *rest.Config) ([]controller.EgressKind, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating a discovery client: %w", err)
	}
	var out []controller.EgressKind
	for _, b := range render.EgressBackends {
		gvk, ok := controller.BackendKinds[b]
		if !ok {
			continue
		}
		list, err := dc.ServerResourcesForGroupVersion(gvk.GroupVersion().String())
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return nil, fmt.Errorf("asking the API server whether it serves %s: %w", gvk.GroupVersion(), err)
		}
		for _, r := range list.APIResources {
			if r.Kind == gvk.Kind && !strings.Contains(r.Name, "/") {
				out = append(out, controller.EgressKind{GVK: gvk, Namespaced: r.Namespaced})
			}
		}
	}
	return out, nil
}
