/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package catalog is the vendor catalog: the addresses and hostnames SaaS vendors
// publish for allowlisting, as v1alpha1.Vendor objects.
//
// The built-in catalog (Builtin) is transcribed by hand from the vendors' documents
// into vendors.yaml, which is embedded in the binary. Vendor objects in the cluster
// are layered on top of it with WithOverrides: one named like a built-in vendor
// replaces it, any other adds a vendor.
//
// Load reads a multi-document YAML or JSON stream of Vendors strictly. Validating
// them is not this package's work: a Vendor from the cluster has passed the API
// server, the built-in vendors.yaml is checked against the Vendor CRD by the tests
// (with internal/crdvalidation, which the manager does not link), and the kubectl
// plugin checks the Vendors it reads the same way.
package catalog

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"sync"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

//go:embed vendors.yaml
var builtinYAML []byte

// Catalog is an immutable set of vendors, keyed by name.
//
// Every method returns deep copies: callers may modify what they get without
// affecting the Catalog, and a Catalog is safe for concurrent use.
type Catalog struct {
	byName map[string]*v1alpha1.Vendor
	names  []string // sorted
}

var builtin = sync.OnceValue(func() *Catalog {
	vendors, err := Load(bytes.NewReader(builtinYAML))
	if err != nil {
		panic(fmt.Sprintf("catalog: the embedded vendors.yaml is invalid: %v", err))
	}
	c, err := New(append(vendors, feedVendors()...))
	if err != nil {
		panic(fmt.Sprintf("catalog: the embedded vendors.yaml or the feed presets are invalid: %v", err))
	}
	return c
})

// Builtin returns the built-in catalog, parsed from the embedded vendors.yaml on the
// first call. It panics only if the embedded data does not decode or names a vendor
// twice, which the package's tests rule out, as they rule out a vendor the Vendor
// CRD would refuse.
func Builtin() *Catalog {
	return builtin()
}

// New returns a Catalog of vendors, which must be valid Vendors (see the package
// documentation); two vendors with the same name are an error. The vendors are
// copied, and their apiVersion and kind are set to those of a v1alpha1 Vendor.
func New(vendors []v1alpha1.Vendor) (*Catalog, error) {
	c := &Catalog{byName: make(map[string]*v1alpha1.Vendor, len(vendors))}
	var errs []error
	for i := range vendors {
		v := &vendors[i]
		if _, dup := c.byName[v.Name]; dup {
			errs = append(errs, fmt.Errorf("Vendor %q: metadata.name: Duplicate value: %q: the catalog already has a vendor of that name", v.Name, v.Name))
			continue
		}
		c.byName[v.Name] = normalized(v)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	c.sortNames()
	return c, nil
}

// WithOverrides returns a new Catalog made of c with vendors layered on top: a vendor
// with the name of one in c replaces it, any other is added. When vendors holds two
// with one name, the later wins. c is not changed.
//
// The vendors are not validated: they are expected to come from the cluster, whose
// API server has validated them already, or to have been checked as the plugin
// checks them.
func (c *Catalog) WithOverrides(vendors []v1alpha1.Vendor) *Catalog {
	n := &Catalog{byName: make(map[string]*v1alpha1.Vendor, c.len()+len(vendors))}
	if c != nil {
		for name, v := range c.byName {
			n.byName[name] = v // immutable, so shared
		}
	}
	for i := range vendors {
		n.byName[vendors[i].Name] = normalized(&vendors[i])
	}
	n.sortNames()
	return n
}

// Get returns a copy of the vendor named name.
func (c *Catalog) Get(name string) (*v1alpha1.Vendor, bool) {
	v, ok := c.View(name)
	if !ok {
		return nil, false
	}
	return v.DeepCopy(), true
}

// View returns the vendor named name itself, which every reader of the catalog (and
// of the catalogs made from it) shares: read it, never change it. Rendering looks up
// each vendor of each allowlist at every reconcile, and a copy per lookup was a
// tenth of what a reconcile with nothing to write allocated.
func (c *Catalog) View(name string) (*v1alpha1.Vendor, bool) {
	if c == nil {
		return nil, false
	}
	v, ok := c.byName[name]
	return v, ok
}

// Names returns the names of the catalog's vendors, sorted.
func (c *Catalog) Names() []string {
	if c == nil {
		return nil
	}
	return slices.Clone(c.names)
}

// Vendors returns copies of the catalog's vendors, sorted by name.
func (c *Catalog) Vendors() []v1alpha1.Vendor {
	if c == nil {
		return nil
	}
	out := make([]v1alpha1.Vendor, 0, len(c.names))
	for _, name := range c.names {
		out = append(out, *c.byName[name].DeepCopy())
	}
	return out
}

func (c *Catalog) len() int {
	if c == nil {
		return 0
	}
	return len(c.byName)
}

func (c *Catalog) sortNames() {
	c.names = make([]string, 0, len(c.byName))
	for name := range c.byName {
		c.names = append(c.names, name)
	}
	slices.Sort(c.names)
}

// normalized returns a deep copy of v with the TypeMeta of a v1alpha1 Vendor, which
// objects read through a typed client lack.
func normalized(v *v1alpha1.Vendor) *v1alpha1.Vendor {
	out := v.DeepCopy()
	out.APIVersion = v1alpha1.GroupVersion.String()
	out.Kind = vendorKind
	return out
}
