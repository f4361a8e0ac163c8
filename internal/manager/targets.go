/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package manager

import (
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/controller"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// discoverTargetKinds asks the API server which of the enabled kinds it serves.
// Services and Ingresses always are; a custom resource is when its group and
// version list its resource. An API server that cannot be asked is an error: the
// manager could not run anyway.
func discoverTargetKinds(cfg *rest.Config, enabled []render.TargetKind) (controller.TargetKinds, error) {
	kinds := controller.TargetKinds{Enabled: enabled}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return kinds, fmt.Errorf("creating a discovery client: %w", err)
	}
	for _, k := range enabled {
		gvk, custom := k.OwnedKind()
		if !custom {
			kinds.Installed = append(kinds.Installed, k)
			continue
		}
		list, err := dc.ServerResourcesForGroupVersion(gvk.GroupVersion().String())
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return kinds, fmt.Errorf("asking the API server whether it serves %s: %w", gvk.GroupVersion(), err)
		}
		for _, r := range list.APIResources {
			if r.Kind == gvk.Kind && !strings.Contains(r.Name, "/") {
				kinds.Installed = append(kinds.Installed, k)
			}
		}
	}
	return kinds, nil
}
