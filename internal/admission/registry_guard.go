/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package admission

import "github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"

// registry is internal/guard's registry of the ranges that are not public.
func registry() []guardRange {
	var out []guardRange
	for _, r := range guard.Registry() {
		out = append(out, guardRange{Prefix: r.Prefix, Category: string(r.Category), Name: r.Name, Source: r.Source})
	}
	return out
}
