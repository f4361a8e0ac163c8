/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// An allowlist with more egress rules than status.egress holds still gets a status
// the API server accepts, and it says how many rules are not listed.
func TestEgressStatusStaysWithinTheCRDBound(t *testing.T) {
	var rules []v1alpha1.EgressRuleStatus
	for i := range 70 {
		backend := "cilium"
		if i%2 == 1 {
			backend = "networkpolicy"
		}
		rules = append(rules, v1alpha1.EgressRuleStatus{Rule: fmt.Sprintf("custom/entry-%02d", i), Backend: backend})
	}
	if got := egressStatus(rules[:64]); len(got) != 64 || got[63].Rule != "custom/entry-63" {
		t.Fatalf("64 rules fit the bound and are listed as they are, got %d ending %q", len(got), got[len(got)-1].Rule)
	}
	got := egressStatus(rules)
	if len(got) != 64 {
		t.Fatalf("status.egress has %d items, the CRD holds 64", len(got))
	}
	last := got[63]
	if last.Rule != "(7 more)" || !strings.Contains(last.Message, "3 by cilium, 4 by networkpolicy") || !strings.Contains(last.Message, "kubectl vendorallowlist render") {
		t.Fatalf("the last item does not say what is left out and where to see it: %+v", last)
	}
	if got[62].Rule != "custom/entry-62" {
		t.Fatalf("the first 63 rules are not listed in order: %q", got[62].Rule)
	}
}

// With no other backend's objects left from before a switch (nearly always), a
// reconcile records nothing for the allowlist: the record was 300 bytes an
// allowlist, kept for the manager's lifetime.
func TestPruneEgressRecordsNothingWithoutLeftovers(t *testing.T) {
	cilium := EgressKind{GVK: render.CiliumNetworkPolicyKind, Namespaced: true}
	r := &VendorAllowlistReconciler{Egress: EgressBackend{Served: []EgressKind{cilium}}}
	r.leftovers.kinds = map[schema.GroupVersionKind]map[types.NamespacedName]bool{cilium.GVK: {}}
	allowlist := &v1alpha1.VendorAllowlist{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "apis"}}
	if err := r.pruneEgress(context.Background(), allowlist, &egressObserved{}, false); err != nil {
		t.Fatal(err)
	}
	r.swept.Range(func(k, _ any) bool {
		t.Errorf("recorded %v as swept, with nothing to sweep", k)
		return true
	})
}
