/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package follow

import (
	"context"
	"fmt"
	"slices"
	"strings"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds/fetch"
)

// FeedSource is an API feed as the feeds package selects with it.
type FeedSource struct{ feeds.Source }

// Source converts a Vendor's feed.
func Source(a v1alpha1.AddressFeed) FeedSource {
	src := feeds.Source{Preset: a.Preset, Format: feeds.Format(a.Format), Expression: a.Expression}
	if len(a.Filters) > 0 {
		src.Filters = make(map[string][]string, len(a.Filters))
		for _, fl := range a.Filters {
			src.Filters[fl.Key] = slices.Clone(fl.Values)
		}
	}
	return FeedSource{src}
}

// Key identifies what the source selects, for telling a changed feed from the same one.
func (s FeedSource) Key() string {
	keys := make([]string, 0, len(s.Filters))
	for k := range s.Filters {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|%q", s.Preset, s.Format, s.Expression)
	for _, k := range keys {
		vs := slices.Clone(s.Filters[k])
		slices.Sort(vs)
		fmt.Fprintf(&b, "|%s=%s", k, strings.Join(vs, ","))
	}
	return b.String()
}

// URLFeeds is the word of --feeds that enables the URL feeds of Vendor objects.
const URLFeeds = "url"

// AllPresets is the word of --feeds that enables every preset.
const AllPresets = "presets"

// Enabled says which feeds the manager fetches: none unless the admin names them, so
// that a cluster without internet access neither fetches nor logs errors forever.
type Enabled struct {
	presets    map[string]bool
	allPresets bool
	urls       bool
}

// ParseEnabled reads --feeds: preset names (github, stripe, ...), "presets" for every
// preset, and "url" for the feeds Vendor objects give by URL.
func ParseEnabled(words []string) (Enabled, error) {
	e := Enabled{presets: map[string]bool{}}
	for _, w := range words {
		w = strings.TrimSpace(w)
		switch {
		case w == "":
		case w == URLFeeds:
			e.urls = true
		case w == AllPresets:
			e.allPresets = true
		default:
			if _, ok := feeds.LookupPreset(w); !ok {
				return Enabled{}, fmt.Errorf("--feeds: %q is not a preset; name presets (%s), %q for every preset, or %q for the feeds Vendor objects give by URL",
					w, strings.Join(PresetNames(), ", "), AllPresets, URLFeeds)
			}
			e.presets[w] = true
		}
	}
	return e, nil
}

// PresetNames lists the presets' names.
func PresetNames() []string {
	var out []string
	for _, p := range feeds.Presets() {
		out = append(out, p.Name)
	}
	return out
}

// Allows says whether the manager fetches src.
func (e Enabled) Allows(src FeedSource) bool {
	if src.Preset == "" {
		return e.urls
	}
	return e.allPresets || e.presets[src.Preset]
}

// Any says whether any feed is enabled.
func (e Enabled) Any() bool { return e.urls || e.allPresets || len(e.presets) > 0 }

// LoadOnly is the Store the scheduler gets: it starts from the accepted copy, and
// saves nothing, since a fetched document is in force (and kept) only once Feeds
// accepted it.
func LoadOnly(s fetch.Store) fetch.Store { return loadOnly{s} }

type loadOnly struct{ fetch.Store }

func (loadOnly) Save(context.Context, string, fetch.Snapshot) error { return nil }
