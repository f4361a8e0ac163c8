/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/addresses"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// addressOwner is the allowlist as the address source sees it: a key and the
// refresh bounds it asks for.
func addressOwner(allowlist *v1alpha1.VendorAllowlist) addresses.Owner {
	o := addresses.Owner{Key: client.ObjectKeyFromObject(allowlist)}
	if r := allowlist.Spec.DNSRefresh; r != nil {
		if r.MinInterval != nil {
			o.MinRefresh = r.MinInterval.Duration
		}
		if r.MaxInterval != nil {
			o.MaxRefresh = r.MaxInterval.Duration
		}
	}
	return o
}

// addressRequests asks for every hostname the plan renders. After a restart, what
// the status recorded seeds the cache, so that nothing seen within retention is
// dropped; but status is not the operator's own record (whoever may write the
// allowlist's status can write anything there), so only the addresses that the
// operator itself rendered into this allowlist's policies are taken from it, with
// their recorded times.
func addressRequests(plan *render.Plan, recorded []v1alpha1.HostnameStatus, rendered map[netip.Addr]bool) []addresses.Request {
	seeds := map[string]map[netip.Addr]time.Time{}
	for _, h := range recorded {
		for _, a := range h.Addresses {
			addr, err := netip.ParseAddr(a.Address)
			if err != nil || a.LastSeen == nil || !rendered[addr] {
				continue // a published address, a network, or nothing the operator rendered
			}
			if seeds[string(h.Hostname)] == nil {
				seeds[string(h.Hostname)] = map[netip.Addr]time.Time{}
			}
			seeds[string(h.Hostname)][addr] = a.LastSeen.Time
		}
	}
	var reqs []addresses.Request
	for _, h := range plan.Hostnames() {
		reqs = append(reqs, addresses.Request{Hostname: h, Seed: seeds[h]})
	}
	return reqs
}

// renderedAddresses returns the single addresses in the operator's own fields of the
// allowlist's managed policies: what an earlier run rendered. It reads them only when
// the status has something to seed from.
func (r *VendorAllowlistReconciler) renderedAddresses(ctx context.Context, allowlist *v1alpha1.VendorAllowlist) (map[netip.Addr]bool, error) {
	if len(allowlist.Status.Hostnames) == 0 {
		return nil, nil
	}
	var list networkingv1.NetworkPolicyList
	// Read from the cache without copies, as stalePolicies does: only read here.
	if err := r.List(ctx, &list, client.InNamespace(allowlist.Namespace), client.MatchingLabels{v1alpha1.AllowlistLabel: allowlist.Name}, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing the NetworkPolicies of the allowlist: %w", err)
	}
	out := map[netip.Addr]bool{}
	for i := range list.Items {
		np := &list.Items[i]
		if !metav1.IsControlledBy(np, allowlist) {
			continue
		}
		if err := addOwnedAddresses(out, np); err != nil {
			return nil, err
		}
	}
	return out, nil
}
