/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package follow

import (
	"context"
	"slices"
	"time"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds/fetch"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
)

// FeedGroup is a feed-backed group that allowlists select, and the document it reads.
type FeedGroup struct {
	Vendor, Group string
	// URL is the document the group's feed reads; empty when Err says why there is none.
	URL string
	// Err is why the group's feed cannot work (an unknown preset or filter, an
	// expression that does not compile); it names the field at fault.
	Err error
}

// Selected lists the feed-backed groups of cat that selections name, each once, with
// the document it reads: what a one-off render (the kubectl plugin) must fetch or be
// given before it can fill them.
func Selected(cat *catalog.Catalog, selections []v1alpha1.VendorSelection) []FeedGroup {
	var out []FeedGroup
	seen := map[groupKey]bool{}
	for _, sel := range selections {
		v, ok := cat.Get(string(sel.Name))
		if !ok {
			continue
		}
		for i := range v.Spec.Endpoints {
			eg := &v.Spec.Endpoints[i]
			key := groupKey{v.Name, string(eg.Name)}
			if eg.Feed == nil || !selected(sel, eg) || seen[key] {
				continue
			}
			seen[key] = true
			fg := FeedGroup{Vendor: v.Name, Group: string(eg.Name)}
			if s, err := feeds.Compile(Source(*eg.Feed).Source); err != nil {
				fg.Err = err
			} else if fg.URL = s.URL(); fg.URL == "" {
				fg.URL = eg.Feed.URL
			}
			out = append(out, fg)
		}
	}
	return out
}

// FromDocuments follows the feed-backed groups that selections name from documents at
// hand (URL to body) rather than on a schedule: each document is taken as the accepted
// one, and each group selected from it and guarded exactly as the manager does with a
// feed's first document. Only the selected groups are followed, so a group no
// allowlist uses cannot fail a document for the others. Nothing is fetched or kept; a
// URL without a document leaves its groups pending. Fill then fills an allowlist's
// catalog, and VendorStatus says what each group opens.
func FromDocuments(ctx context.Context, cat *catalog.Catalog, selections []v1alpha1.VendorSelection, docs map[string][]byte, g guard.Guard) *Feeds {
	store := fetch.NewMemoryStore()
	// Fetched now, as far as staleness goes: the caller vouches for the documents.
	now := time.Now()
	for url, body := range docs {
		// MemoryStore.Save cannot fail.
		_ = store.Save(ctx, url, fetch.Snapshot{Body: body, Digest: fetch.Digest(body), FetchedAt: now, ChangedAt: now})
	}
	f := New(Options{
		Scheduler: noSchedule{},
		Store:     store,
		Enabled:   Enabled{allPresets: true, urls: true},
		Guard:     g,
	})
	specs := map[string]*v1alpha1.VendorSpec{}
	for _, fg := range Selected(cat, selections) {
		v, _ := cat.Get(fg.Vendor)
		spec := specs[fg.Vendor]
		if spec == nil {
			spec = &v1alpha1.VendorSpec{DisplayName: v.Spec.DisplayName}
			specs[fg.Vendor] = spec
		}
		i := slices.IndexFunc(v.Spec.Endpoints, func(eg v1alpha1.EndpointGroup) bool { return string(eg.Name) == fg.Group })
		spec.Endpoints = append(spec.Endpoints, v.Spec.Endpoints[i])
	}
	for name, spec := range specs {
		// Loading from a MemoryStore cannot fail.
		_ = f.SetVendor(ctx, name, spec)
	}
	return f
}

// noSchedule fetches nothing: the documents are given.
type noSchedule struct{}

func (noSchedule) Subscribe(string, fetch.Subscriber)   {}
func (noSchedule) Unsubscribe(string, fetch.Subscriber) {}
