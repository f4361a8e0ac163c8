/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package feeds

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// fuzzSources are the sources FuzzSelect reads its documents with: a preset of each
// shape, the CEL form and the text form.
var fuzzSources = []Source{
	{Preset: "github", Filters: map[string][]string{"service": {"hooks", "actions"}}},
	{Preset: "aws", Filters: map[string][]string{"service": {"EC2"}}},
	{Preset: "atlassian", Filters: map[string][]string{"direction": {"egress"}}},
	{Preset: "stripe", Filters: map[string][]string{"list": {"webhooks"}}},
	{Preset: "google", Filters: map[string][]string{"list": {"cloud"}}},
	{Preset: "cloudflare"},
	{Preset: "datadog", Filters: map[string][]string{"service": {"webhooks", "synthetics"}}},
	{Format: FormatJSON, Expression: `has(self.hooks) ? self.hooks : []`},
	{Format: FormatText},
}

// FuzzSelect feeds arbitrary documents to every source: a selection either fails
// with a selection error or gives canonical, sorted, merged networks within the bound.
func FuzzSelect(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for i := range fuzzSources {
			f.Add(b, uint8(i))
		}
	}
	selectors := make([]*Selector, len(fuzzSources))
	for i, src := range fuzzSources {
		src.MaxNetworks = 16
		if selectors[i], err = Compile(src); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, doc []byte, which uint8) {
		s := selectors[int(which)%len(selectors)]
		sel, err := s.Select(doc)
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) || fe.Kind == "" || fe.Kind == KindInvalidSource {
				t.Fatalf("Select failed with %v, not a document error", err)
			}
			return
		}
		checkSelection(t, sel, 16)
	})
}

// checkSelection holds for every selection: canonical, sorted, unique entries that
// merge into the prefixes, within the bound.
func checkSelection(t *testing.T, sel Selection, maxNetworks int) {
	t.Helper()
	if len(sel.Entries) == 0 || len(sel.Prefixes) == 0 || len(sel.Prefixes) > maxNetworks {
		t.Fatalf("%d entries, %d networks", len(sel.Entries), len(sel.Prefixes))
	}
	for i, p := range sel.Entries {
		if !p.IsValid() || p != p.Masked() || p.Addr().Is4In6() || p.Addr().Zone() != "" {
			t.Fatalf("entry %v is not canonical", p)
		}
		if i > 0 && comparePrefix(sel.Entries[i-1], p) >= 0 {
			t.Fatalf("entries not sorted and unique: %v", sel.Entries)
		}
	}
	if merged := Merge(sel.Entries); !slices.Equal(merged, sel.Prefixes) {
		t.Fatalf("Prefixes %v are not Entries merged (%v)", sel.Prefixes, merged)
	}
}
