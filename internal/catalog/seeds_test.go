/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package catalog

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

// The vendors' documents the catalog is transcribed from, saved in testdata/seeds
// (testdata/seeds/index.yaml maps the URL each vendor cites to its file).
var seeds = []struct {
	file   string
	vendor string
	// The number of distinct addresses and vendor hostnames in the document,
	// counted by hand, so that a broken extractor cannot pass by finding nothing.
	addresses, hostnames int
}{
	{"workato.txt", "workato", 16, 5},
	{"freshchat.txt", "freshchat", 43, 0},
	{"outsystems.txt", "outsystems", 0, 0},
	{"threobuilder.txt", "threobuilder", 6, 0},
}

// TestSeedsMatchCatalog checks, with the comparison `kubectl vendorallowlist catalog
// check` makes, that the catalog's entry for each document holds every address and
// vendor hostname in the document, and nothing else, and that each group cites a
// heading the document has.
func TestSeedsMatchCatalog(t *testing.T) {
	sources := Sources(Builtin())
	g := NewWithT(t)
	g.Expect(sources).To(HaveLen(len(seeds)), "every transcribed built-in vendor cites one document, saved in testdata/seeds; feed-backed groups cite none")

	for _, s := range seeds {
		t.Run(s.vendor, func(t *testing.T) {
			g := NewWithT(t)
			i := slices.IndexFunc(sources, func(src Source) bool { return src.Vendor == s.vendor })
			g.Expect(i).NotTo(Equal(-1), "vendor %s cites a document", s.vendor)
			src := sources[i]
			g.Expect(src.URL).To(HavePrefix("https://"))
			doc, err := os.ReadFile(filepath.Join("testdata", "seeds", s.file))
			g.Expect(err).NotTo(HaveOccurred())
			text := DocumentText(doc)

			g.Expect(ExtractAddresses(text)).To(HaveLen(s.addresses), "addresses found in %s", s.file)
			g.Expect(ExtractHostnames(text, vendorDomains(src, hostOf(src.URL)))).To(HaveLen(s.hostnames), "hostnames found in %s", s.file)
			g.Expect(Compare(src, text)).To(Equal(Drift{Vendor: s.vendor, URL: src.URL}), "%s and the catalog differ", s.file)

			for _, grp := range src.Groups {
				g.Expect(grp.Source).NotTo(BeNil(), "group %s cites its section", grp.Name)
				g.Expect(grp.Source.Section).NotTo(BeEmpty(), "group %s cites its section", grp.Name)
			}
			v, ok := Builtin().Get(s.vendor)
			g.Expect(ok).To(BeTrue())
			g.Expect(v.Spec.Source).NotTo(BeNil())
			g.Expect(v.Spec.Source.Document).NotTo(BeEmpty())
			g.Expect(text).To(ContainSubstring(v.Spec.Source.Document), "source.document is the document's title")
			g.Expect(v.Spec.Source.Transcribed).To(Equal("2026-11-23"))
		})
	}
}

// TestSeedFreshchatRegions reads the region of each address from the document's
// table (a region code on a line of its own, then its addresses) and checks that the
// catalog tags each address with it.
func TestSeedFreshchatRegions(t *testing.T) {
	g := NewWithT(t)
	doc, err := os.ReadFile(filepath.Join("testdata", "seeds", "freshchat.txt"))
	g.Expect(err).NotTo(HaveOccurred())

	docRegions := map[string]string{}
	counts := map[string]int{}
	region := ""
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for sc.Scan() {
		line := strings.TrimSpace(strings.ReplaceAll(sc.Text(), "\u00a0", " "))
		switch line {
		case "US", "EU", "IN", "AU":
			region = line
			continue
		}
		for _, p := range ExtractAddresses(line) {
			g.Expect(region).NotTo(BeEmpty(), "%s comes before any region", p)
			docRegions[p.String()] = region
			counts[region]++
		}
	}
	g.Expect(sc.Err()).NotTo(HaveOccurred())
	g.Expect(counts).To(Equal(map[string]int{"US": 14, "EU": 10, "IN": 9, "AU": 10}))

	v, ok := Builtin().Get("freshchat")
	g.Expect(ok).To(BeTrue())
	catRegions := map[string]string{}
	for _, eg := range v.Spec.Endpoints {
		for _, a := range eg.Addresses {
			catRegions[string(a.CIDR)] = string(a.Region)
		}
	}
	g.Expect(catRegions).To(Equal(docRegions))
}
