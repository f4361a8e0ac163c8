/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Command admission writes the files of the tenancy ValidatingAdmissionPolicy that are
// generated (internal/admission.Generate says which): the guard's ranges and the
// policy, for the Helm chart and for kustomize. Run it from the repository root;
// `make generate` does. internal/admission's test fails when a file is stale.
package main

import (
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/admission"
)

func main() {
	files, err := admission.Generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hack/admission:", err)
		os.Exit(1)
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := os.WriteFile(name, files[name], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "hack/admission:", err)
			os.Exit(1)
		}
		fmt.Println("wrote", name)
	}
}
