/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package install

import (
	"path/filepath"
	"testing"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/vendorchange"
)

// chartVendorValues is what the hold depends on of a values file.
type chartVendorValues struct {
	VendorChanges *struct {
		MaxRemovedPercent         *int `json:"maxRemovedPercent"`
		MaxAddedSpacePrefixLength *struct {
			IPv4 *int `json:"ipv4"`
			IPv6 *int `json:"ipv6"`
		} `json:"maxAddedSpacePrefixLength"`
	} `json:"vendorChanges"`
	Vendors []struct {
		Name        string
		Annotations map[string]string
		Spec        v1alpha1.VendorSpec
	}
}

// TestCIValuesInstallWithoutAHold: a values file the docs give as an example (every
// ci/ file; full-values.yaml is the worked GitOps example) installs Vendor objects
// that the operator accepts at once. A Vendor that replaces a built-in vendor is
// compared with it at generation 1, with the file's vendorChanges bounds, as the
// Vendor reconciler does; a change beyond them must carry its approval
// (approve-generation: "1") in the file, or every allowlist using the vendor would
// report VendorChangeHeld, and Argo CD show Degraded, from the first sync.
func TestCIValuesInstallWithoutAHold(t *testing.T) {
	var defaults chartVendorValues
	readYAML(t, filepath.Join(chartDir, "values.yaml"), &defaults)
	files, err := filepath.Glob(filepath.Join(chartDir, "ci", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no ci/ values files: %v", err)
	}
	var replaced int
	for _, f := range files {
		var v chartVendorValues
		readYAML(t, f, &v)
		removed, v4, v6 := *defaults.VendorChanges.MaxRemovedPercent, *defaults.VendorChanges.MaxAddedSpacePrefixLength.IPv4, *defaults.VendorChanges.MaxAddedSpacePrefixLength.IPv6
		if c := v.VendorChanges; c != nil {
			if c.MaxRemovedPercent != nil {
				removed = *c.MaxRemovedPercent
			}
			if a := c.MaxAddedSpacePrefixLength; a != nil && a.IPv4 != nil {
				v4 = *a.IPv4
			}
			if a := c.MaxAddedSpacePrefixLength; a != nil && a.IPv6 != nil {
				v6 = *a.IPv6
			}
		}
		bounds := vendorchange.BoundsFromPrefixLengths(removed, v4, v6)
		for _, vendor := range v.Vendors {
			builtin, ok := catalog.Builtin().Get(vendor.Name)
			if !ok {
				continue // a new vendor has nothing to compare with: accepted
			}
			replaced++
			findings := vendorchange.Compare(vendorchange.Summarize(builtin.Spec), vendorchange.Summarize(vendor.Spec), bounds, guard.Guard{}) // no cluster range: a ci/ file names none
			if len(findings) == 0 || vendor.Annotations[v1alpha1.ApproveGenerationAnnotation] == "1" {
				continue
			}
			for _, finding := range findings {
				t.Errorf("%s: Vendor %s is held at install: %s; commit the approval with it (annotations: %s: \"1\") or keep within vendorChanges",
					rel(f), vendor.Name, finding, v1alpha1.ApproveGenerationAnnotation)
			}
		}
	}
	if replaced == 0 {
		t.Error("no ci/ values file replaces a built-in vendor: nothing checked")
	}
}
