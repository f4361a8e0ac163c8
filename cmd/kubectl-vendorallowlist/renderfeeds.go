/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds/fetch"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds/follow"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
)

// feedFlags are render's flags for feed-backed groups.
type feedFlags struct {
	files    feedFileList
	caBundle string
}

func (f *feedFlags) bind(fs *flag.FlagSet) {
	fs.Var(&f.files, "feed-file", "")
	fs.StringVar(&f.caBundle, "feed-ca-bundle", "", "")
}

// check is the usage error of the feed flags, if any.
func (f *feedFlags) check(offline bool) string {
	if offline && f.caBundle != "" {
		return "--offline fetches no feed, so it takes no --feed-ca-bundle: choose one"
	}
	return ""
}

// feedFileList is the repeatable --feed-file URL=PATH.
type feedFileList map[string]string

func (l *feedFileList) String() string { return fmt.Sprint(map[string]string(*l)) }

// Set splits at the last '=': a URL may have '=' in its query, a path rarely does.
func (l *feedFileList) Set(v string) error {
	i := strings.LastIndex(v, "=")
	if i < 0 {
		return fmt.Errorf("%q is not URL=PATH, for example https://api.github.com/meta=meta.json", v)
	}
	rawURL, path := v[:i], v[i+1:]
	if u, err := url.Parse(rawURL); err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q: the URL is not https://host/...: give the feed's URL as kubectl vendorallowlist feeds prints it", rawURL)
	}
	if path == "" {
		return fmt.Errorf("%q: the PATH after '=' is empty", v)
	}
	if *l == nil {
		*l = feedFileList{}
	}
	if _, dup := (*l)[rawURL]; dup {
		return fmt.Errorf("%s is given twice", rawURL)
	}
	(*l)[rawURL] = path
	return nil
}

// newFeedFetcher builds the fetcher of a render; tests replace it to prove that a
// --feed-file or --offline render fetches nothing.
var newFeedFetcher = func(o fetch.Options) (documentFetcher, error) { return fetch.New(o) }

type documentFetcher interface {
	Fetch(ctx context.Context, rawURL string, last fetch.Snapshot) fetch.Result
}

// renderFeeds fills the feed-backed groups the allowlists select: from --feed-file, or
// fetched as the manager fetches (unless --offline), then selected and guarded as the
// manager does with a feed's first document. Nothing is kept between runs.
type renderFeeds struct {
	feeds *follow.Feeds
}

// loadFeeds reads or fetches the documents the good allowlists' feed-backed groups
// read, recording a problem for each allowlist whose feed cannot be had. It returns nil
// when no allowlist selects a feed-backed group.
func loadFeeds(opts renderOptions, in *decoded, cat *catalog.Catalog, stderr io.Writer, probs *problems) *renderFeeds {
	type use struct {
		allowlist sourced[v1alpha1.VendorAllowlist]
		group     follow.FeedGroup
	}
	users := map[string][]use{} // URL -> the allowlists' groups reading it
	var selections []v1alpha1.VendorSelection
	for _, a := range in.allowlists {
		if a.bad {
			continue
		}
		probs.order = a.order
		selections = append(selections, a.obj.Spec.Vendors...)
		for _, g := range follow.Selected(cat, a.obj.Spec.Vendors) {
			if g.Err != nil {
				probs.add(a.file, a.ref, fmt.Sprintf("vendor %s group %s: its feed cannot work: %v", g.Vendor, g.Group, g.Err))
				continue
			}
			users[g.URL] = append(users[g.URL], use{a, g})
		}
	}
	for u, path := range opts.feeds.files {
		if _, ok := users[u]; !ok {
			fmt.Fprintf(stderr, "warning: --feed-file %s=%s: no allowlist selects a group that reads %s; the file is not read\n", u, path, u)
		}
	}
	if len(users) == 0 {
		return nil
	}
	docs := map[string][]byte{}
	get := &feedDocuments{flags: opts.feeds, offline: opts.offline, guard: opts.settings.Guard()}
	for _, u := range slices.Sorted(maps.Keys(users)) {
		body, err := get.get(u)
		if err == nil {
			docs[u] = body
			continue
		}
		for _, us := range users[u] {
			probs.order = us.allowlist.order
			probs.add(us.allowlist.file, us.allowlist.ref, fmt.Sprintf("vendor %s group %s: %v", us.group.Vendor, us.group.Group, err))
		}
	}
	if !probs.empty() {
		return nil
	}
	return &renderFeeds{feeds: follow.FromDocuments(context.Background(), cat, selections, docs, opts.settings.Guard())}
}

// feedDocuments gets the documents of feed URLs for one render.
type feedDocuments struct {
	flags   feedFlags
	offline bool
	guard   guard.Guard
	fetcher documentFetcher // built at the first fetch
}

// get is the document of a feed URL: the --feed-file given for it, or, unless
// --offline, what the URL returns now. Its errors name the URL and the fix.
func (d *feedDocuments) get(u string) ([]byte, error) {
	if path, ok := d.flags.files[u]; ok {
		body, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("--feed-file %s=%s: %w", u, path, err)
		}
		return body, nil
	}
	if d.offline {
		return nil, fmt.Errorf("follows the feed %s, and --offline fetches nothing: give a saved copy with --feed-file %s=PATH, or render without --offline", u, u)
	}
	return d.fetch(u)
}

// fetch fetches u once, as the manager's fetcher does: verified HTTPS, from no
// address the guard forbids, bounded in time and size.
func (d *feedDocuments) fetch(u string) ([]byte, error) {
	if d.fetcher == nil {
		o := fetch.Options{Guard: d.guard}
		if d.flags.caBundle != "" {
			var err error
			if o.CABundle, err = fetch.LoadCABundle(d.flags.caBundle); err != nil {
				return nil, fmt.Errorf("--feed-ca-bundle: %w", err)
			}
		}
		f, err := newFeedFetcher(o)
		if err != nil {
			return nil, fmt.Errorf("--feed-ca-bundle: %w", err)
		}
		d.fetcher = f
	}
	res := d.fetcher.Fetch(context.Background(), u, fetch.Snapshot{})
	if res.Err != nil {
		return nil, fmt.Errorf("follows the feed %s, and fetching it failed: %v: fix the network (HTTPS_PROXY, --feed-ca-bundle), or give a saved copy with --feed-file %s=PATH", u, res.Err, u)
	}
	return res.Snapshot.Body, nil
}

// catalogFor is cat with the feed-backed groups the allowlist selects filled; a group
// its document cannot fill is a problem of the allowlist.
func (r *renderFeeds) catalogFor(cat *catalog.Catalog, a sourced[v1alpha1.VendorAllowlist], probs *problems) *catalog.Catalog {
	if r == nil {
		return cat
	}
	filled, pending := r.feeds.Fill(cat, a.obj.Spec.Vendors)
	for _, p := range pending {
		probs.add(a.file, a.ref, fmt.Sprintf("vendor %s group %s: %s", p.Vendor, p.Group, p.Message))
	}
	return filled
}

// note says, once per group, what each feed-backed group opens and what the guard left
// out of it.
func (r *renderFeeds) note(stderr io.Writer, cat *catalog.Catalog, plans []compiled) {
	if r == nil {
		return
	}
	seen := map[string]bool{}
	for _, c := range plans {
		for _, g := range follow.Selected(cat, c.src.obj.Spec.Vendors) {
			v, ok := cat.Get(g.Vendor)
			if !ok || seen[g.Vendor+"/"+g.Group] {
				continue
			}
			seen[g.Vendor+"/"+g.Group] = true
			for _, st := range r.feeds.VendorStatus(g.Vendor, v.Spec) {
				if string(st.Group) == g.Group {
					fmt.Fprintf(stderr, "note: vendor %s group %s: %s\n", g.Vendor, g.Group, st.Message)
				}
			}
		}
	}
}
