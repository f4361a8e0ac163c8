/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package feeds_test

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
)

// A feed is outside data: the caller keeps the entries the guard calls public and
// merges them again.
func Example_guard() {
	sel, err := feeds.Select([]byte("3.18.12.63\n3.130.192.231\n169.254.169.254\n"), feeds.Source{Format: feeds.FormatText})
	if err != nil {
		fmt.Println(err)
		return
	}
	var g guard.Guard
	var public []netip.Prefix
	for _, p := range sel.Entries {
		if slices.Equal(g.PrefixCategories(p), []guard.Category{guard.CategoryPublic}) {
			public = append(public, p)
		}
	}
	fmt.Println(feeds.Merge(public))
	// Output: [3.18.12.63/32 3.130.192.231/32]
}
