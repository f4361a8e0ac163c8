/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"sync"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
)

// catalogMemo keeps the catalog made of the built-in one and the cluster's Vendor
// objects until a Vendor changes. Every reconcile needs it, and the Vendors rarely
// change: made afresh each time it was a twentieth of what a reconcile with nothing
// to write allocated (a map of every vendor, a copy of each Vendor object), which at
// 10,000 allowlists is garbage the collector must keep up with in a restart's burst.
// The catalogs are immutable, so reconciles share the one kept.
type catalogMemo struct {
	mu       sync.Mutex
	base     *catalog.Catalog
	versions map[string]string // Vendor name -> resourceVersion, of the Vendors made into made
	made     *catalog.Catalog
}

// withOverrides is base.WithOverrides(vendors), made again only when base or a
// Vendor (added, changed or deleted: its resourceVersion) is not what it was.
func (m *catalogMemo) withOverrides(base *catalog.Catalog, vendors []v1alpha1.Vendor) *catalog.Catalog {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.made != nil && m.base == base && m.holds(vendors) {
		return m.made
	}
	versions := make(map[string]string, len(vendors))
	for i := range vendors {
		versions[vendors[i].Name] = vendors[i].ResourceVersion
	}
	m.base, m.versions, m.made = base, versions, base.WithOverrides(vendors)
	return m.made
}

// holds says whether the kept catalog was made of exactly these Vendors, as they are.
func (m *catalogMemo) holds(vendors []v1alpha1.Vendor) bool {
	if len(vendors) != len(m.versions) {
		return false
	}
	for i := range vendors {
		if rv, ok := m.versions[vendors[i].Name]; !ok || rv != vendors[i].ResourceVersion || rv == "" {
			return false
		}
	}
	return true
}
