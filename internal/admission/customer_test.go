/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package admission

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/tenancy"
)

func cidrGroup(p *v1alpha1.CustomerCIDRPolicy) v1alpha1.EndpointGroup {
	return v1alpha1.EndpointGroup{Name: "g", Direction: v1alpha1.DirectionIngress, CustomerInput: v1alpha1.CustomerInputCIDRs, CustomerCIDRs: p}
}

func prefixLength(n int32) *int32 { return &n }

// TestWidestCustomerCIDRs: the policy's widening is the union of the groups' ranges and
// the broadest of their prefix lengths, family by family; a group without
// customerCIDRs widens nothing, and so does an empty catalog.
func TestWidestCustomerCIDRs(t *testing.T) {
	vendors := []v1alpha1.Vendor{
		{Spec: v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{
			cidrGroup(&v1alpha1.CustomerCIDRPolicy{AllowRanges: []v1alpha1.AddressRange{"private"}, MinPrefixLengthIPv4: prefixLength(16)}),
			cidrGroup(nil),
		}}},
		{Spec: v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{
			cidrGroup(&v1alpha1.CustomerCIDRPolicy{AllowRanges: []v1alpha1.AddressRange{"reserved", "private"}, MinPrefixLengthIPv4: prefixLength(20), MinPrefixLengthIPv6: prefixLength(40)}),
		}}},
	}
	got := widestCustomerCIDRs(vendors)
	want := CustomerCIDRs{AllowRanges: []guard.Category{guard.CategoryPrivate, guard.CategoryReserved}, MinPrefixLengthIPv4: 16, MinPrefixLengthIPv6: 40}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("widest customerCIDRs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{KeyCustomerAllowRanges: "private,reserved", KeyCustomerMinPrefix4: "16", KeyCustomerMinPrefix6: "40"}, got.Data()); diff != "" {
		t.Errorf("ConfigMap data (-want +got):\n%s", diff)
	}
	none := widestCustomerCIDRs([]v1alpha1.Vendor{{Spec: v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{cidrGroup(nil)}}}})
	if diff := cmp.Diff(map[string]string{KeyCustomerAllowRanges: "", KeyCustomerMinPrefix4: "", KeyCustomerMinPrefix6: ""}, none.Data()); diff != "" {
		t.Errorf("a catalog without customerCIDRs: ConfigMap data (-want +got):\n%s", diff)
	}
	if got, want := none.chartYAML(), "allowRanges: []\nminPrefixLength:\n  ipv4: null\n  ipv6: null\n"; got != want {
		t.Errorf("a catalog without customerCIDRs: chart file %q, want %q", got, want)
	}
}

// TestBuiltinCustomerCIDRsCoverEveryGroup: for every endpoint group of the built-in
// catalog, at the default limits and at narrower ones, the policy's widening of the
// tenant limits opens at least what the manager's widening for that group opens, so
// that the policy admits what the manager renders for a built-in vendor; and there is
// at least one such group (the OutSystems VPN).
func TestBuiltinCustomerCIDRsCoverEveryGroup(t *testing.T) {
	policy := BuiltinCustomerCIDRs()
	narrow := tenancy.Defaults()
	narrow.MinPrefixLengthIPv4, narrow.MinPrefixLengthIPv6 = 32, 128
	groups := 0
	for _, v := range catalog.Builtin().Vendors() {
		for _, g := range v.Spec.Endpoints {
			if g.CustomerInput != v1alpha1.CustomerInputCIDRs || g.CustomerCIDRs == nil {
				continue
			}
			groups++
			for _, base := range []tenancy.Limits{tenancy.Defaults(), narrow} {
				manager := base.Widened(g.CustomerCIDRs)
				admission := base
				admission.AllowRanges = append(slices.Clone(base.AllowRanges), policy.AllowRanges...)
				if policy.MinPrefixLengthIPv4 > 0 {
					admission.MinPrefixLengthIPv4 = min(admission.MinPrefixLengthIPv4, policy.MinPrefixLengthIPv4)
				}
				if policy.MinPrefixLengthIPv6 > 0 {
					admission.MinPrefixLengthIPv6 = min(admission.MinPrefixLengthIPv6, policy.MinPrefixLengthIPv6)
				}
				for _, c := range tenancy.Categories {
					if manager.Allows(c) && !admission.Allows(c) {
						t.Errorf("%s/%s: the manager lets a tenant supply %s networks, the policy does not", v.Name, g.Name, c)
					}
				}
				if admission.MinPrefixLengthIPv4 > manager.MinPrefixLengthIPv4 || admission.MinPrefixLengthIPv6 > manager.MinPrefixLengthIPv6 {
					t.Errorf("%s/%s: the manager takes networks as broad as /%d and /%d, the policy only /%d and /%d", v.Name, g.Name,
						manager.MinPrefixLengthIPv4, manager.MinPrefixLengthIPv6, admission.MinPrefixLengthIPv4, admission.MinPrefixLengthIPv6)
				}
			}
		}
	}
	if groups == 0 {
		t.Error("no built-in endpoint group has customerCIDRs: the OutSystems VPN group had")
	}
}
