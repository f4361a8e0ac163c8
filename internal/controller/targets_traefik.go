/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// traefikConflict blocks a Middleware whose Traefik ID another Middleware has
// (traefikIDConflict), and sets st to Failed (Conflict) saying so.
func (r *VendorAllowlistReconciler) traefikConflict(ctx context.Context, _ *v1alpha1.VendorAllowlist, desired *unstructured.Unstructured, st *v1alpha1.IngressTargetStatus) (bool, error) {
	key := client.ObjectKeyFromObject(desired)
	other, err := r.traefikIDConflict(ctx, key.Namespace, key.Name)
	if err != nil {
		st.State, st.Reason, st.Message = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonApplyFailed, err.Error()
		return true, err
	}
	if other != "" {
		st.State, st.Reason = v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonConflict
		st.Message = fmt.Sprintf("Traefik would know Middleware %s/%s and Middleware %s by the same ID, %s-%s@kubernetescrd, so a router naming one could get the other: the operator writes no Middleware whose ID another has. Rename the allowlist (the Middleware is named after it), or have that Middleware renamed", key.Namespace, key.Name, other, key.Namespace, key.Name)
		return true, nil
	}
	return false, nil
}

// traefikIDConflict names another Middleware that Traefik would know by the same
// ID as the Middleware ns/name: Traefik names a Middleware <namespace>-<name>, so
// ns-a/b and ns/a-b are one to it, and an Ingress naming one may get the other.
// Every split of the ID at a '-' into a namespace and a name is looked up. A
// namespace the operator may not read (with watchNamespaces) is not looked in.
func (r *VendorAllowlistReconciler) traefikIDConflict(ctx context.Context, ns, name string) (string, error) {
	id := ns + "-" + name
	for i := range len(id) {
		if id[i] != '-' || i == len(ns) {
			continue
		}
		otherNS, otherName := id[:i], id[i+1:]
		if len(validation.IsDNS1123Label(otherNS)) > 0 || len(validation.IsDNS1123Subdomain(otherName)) > 0 {
			continue
		}
		key := client.ObjectKey{Namespace: otherNS, Name: otherName}
		o := partialMetadata(render.MiddlewareKind, key)
		switch err := r.APIReader.Get(ctx, key, o); {
		case apierrors.IsNotFound(err), apierrors.IsForbidden(err):
			continue
		case err != nil:
			return "", fmt.Errorf("looking for a Middleware Traefik would confuse with %s/%s: %w", ns, name, err)
		}
		return otherNS + "/" + otherName, nil
	}
	return "", nil
}
