/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
)

// TestCatalogMemoFollowsEveryVendorChange: the kept catalog is the one a reconcile
// would have made afresh, whatever happened to the Vendors since it was made.
func TestCatalogMemoFollowsEveryVendorChange(t *testing.T) {
	vendor := func(name, rv, cidr string) v1alpha1.Vendor {
		return v1alpha1.Vendor{
			ObjectMeta: metav1.ObjectMeta{Name: name, ResourceVersion: rv},
			Spec: v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{{
				Name: "webhooks", Direction: v1alpha1.DirectionIngress,
				Addresses: []v1alpha1.PublishedAddress{{CIDR: v1alpha1.CIDR(cidr)}},
			}}},
		}
	}
	cidrOf := func(t *testing.T, cat *catalog.Catalog, name string) string {
		t.Helper()
		v, ok := cat.View(name)
		if !ok {
			return ""
		}
		return string(v.Spec.Endpoints[0].Addresses[0].CIDR)
	}
	base := catalog.Builtin()
	var memo catalogMemo

	first := memo.withOverrides(base, []v1alpha1.Vendor{vendor("acme", "1", "198.51.100.0/28")})
	if got := cidrOf(t, first, "acme"); got != "198.51.100.0/28" {
		t.Fatalf("acme: %q", got)
	}
	if _, ok := first.View("workato"); !ok {
		t.Fatal("the built-in vendors are missing")
	}
	if again := memo.withOverrides(base, []v1alpha1.Vendor{vendor("acme", "1", "198.51.100.0/28")}); again != first {
		t.Error("the same Vendors made a new catalog")
	}

	steps := []struct {
		name    string
		vendors []v1alpha1.Vendor
		acme    string
		other   string
	}{
		{"a Vendor changed", []v1alpha1.Vendor{vendor("acme", "2", "198.51.100.16/28")}, "198.51.100.16/28", ""},
		{"a Vendor added", []v1alpha1.Vendor{vendor("acme", "2", "198.51.100.16/28"), vendor("other", "3", "203.0.113.0/28")}, "198.51.100.16/28", "203.0.113.0/28"},
		{"a Vendor replaced by another of the same count", []v1alpha1.Vendor{vendor("acme", "2", "198.51.100.16/28"), vendor("third", "4", "203.0.113.16/28")}, "198.51.100.16/28", ""},
		{"every Vendor deleted", nil, "", ""},
		{"a Vendor without a resource version", []v1alpha1.Vendor{vendor("acme", "", "198.51.100.32/28")}, "198.51.100.32/28", ""},
		{"the same, again", []v1alpha1.Vendor{vendor("acme", "", "198.51.100.48/28")}, "198.51.100.48/28", ""},
	}
	for _, s := range steps {
		cat := memo.withOverrides(base, s.vendors)
		if got := cidrOf(t, cat, "acme"); got != s.acme {
			t.Errorf("%s: acme renders %q, want %q", s.name, got, s.acme)
		}
		if got := cidrOf(t, cat, "other"); got != s.other {
			t.Errorf("%s: other renders %q, want %q", s.name, got, s.other)
		}
	}

	other, err := catalog.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := memo.withOverrides(other, nil).View("workato"); ok {
		t.Error("a new base catalog was not used")
	}
}
