/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package catalog

import (
	"fmt"
	"maps"
	"slices"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds"
)

// feedVendors are the built-in vendors made from the feed presets: one group for each
// natural subset of a preset's list, such as GitHub's hooks or Stripe's webhooks, so
// that an allowlist can name them with no Vendor object. Their addresses are whatever
// the feed's accepted list holds, once an admin enables the feed (--feeds).
func feedVendors() []v1alpha1.Vendor {
	var out []v1alpha1.Vendor
	for _, p := range feeds.Presets() {
		if len(p.Groups) == 0 {
			continue
		}
		v := v1alpha1.Vendor{Spec: v1alpha1.VendorSpec{DisplayName: p.Title}}
		v.Name = p.Name
		v.APIVersion, v.Kind = v1alpha1.GroupVersion.String(), "Vendor"
		for _, g := range p.Groups {
			v.Spec.Endpoints = append(v.Spec.Endpoints, v1alpha1.EndpointGroup{
				Name:        v1alpha1.ObjectName(g.Name),
				Direction:   g.Direction,
				Description: truncate(fmt.Sprintf("%s From the %s feed (%s).", g.Description, p.Title, p.URL), 2048),
				Ports:       slices.Clone(g.Ports),
				Feed:        &v1alpha1.AddressFeed{Preset: p.Name, Filters: filters(g.Filters)},
			})
		}
		out = append(out, v)
	}
	return out
}

func filters(m map[string][]string) []v1alpha1.FeedFilter {
	var out []v1alpha1.FeedFilter
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, v1alpha1.FeedFilter{Key: k, Values: slices.Clone(m[k])})
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
