package catalog

import (
	"bufio"
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/sets"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// The vendors' documents the catalog is transcribed from, in testdata/seeds, each
// with the domains whose hostnames the catalog must carry.
var seeds = []struct {
	file    string
	vendor  string
	domains []string
	// The number of distinct addresses and hostnames in the document, counted by
	// hand, so that a broken extractor cannot pass by finding nothing.
	addresses, hostnames int
}{
	{"workato.txt", "workato", []string{"workato.com"}, 16, 5},
	{"freshchat.txt", "freshchat", []string{"freshchat.com", "freshworks.com"}, 43, 0},
	{"outsystems.txt", "outsystems", []string{"outsystems.com", "outsystemscloud.com"}, 0, 0},
	{"threobuilder.txt", "threobuilder", []string{"synthreo.com", "synthreo.ai", "threobuilder.com"}, 6, 0},
}

// ipv4Pattern is an IPv4 address with an optional prefix length.
var ipv4Pattern = regexp.MustCompile(`\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?:/[0-9]{1,2})?\b`)

func hostnamePatternFor(domain string) *regexp.Regexp {
	return regexp.MustCompile(`(?i)\b(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?\.)+` + regexp.QuoteMeta(domain) + `\b`)
}

// TestSeedsMatchCatalog checks that the catalog's entry for each document holds
// every IPv4 address and vendor hostname in the document, and nothing else.
func TestSeedsMatchCatalog(t *testing.T) {
	c := transcribed(t)
	g := NewWithT(t)
	g.Expect(c.Names()).To(HaveLen(len(seeds)), "every transcribed built-in vendor has a seed document")

	for _, s := range seeds {
		t.Run(s.vendor, func(t *testing.T) {
			g := NewWithT(t)
			doc, err := os.ReadFile(filepath.Join("testdata", "seeds", s.file))
			g.Expect(err).NotTo(HaveOccurred())
			text := string(doc)

			docAddrs := sets.New[string]()
			for _, m := range ipv4Pattern.FindAllString(text, -1) {
				if !strings.Contains(m, "/") {
					m += "/32"
				}
				p, err := netip.ParsePrefix(m)
				g.Expect(err).NotTo(HaveOccurred(), "the document's %s", m)
				g.Expect(p.String()).To(Equal(m), "the document writes %s in canonical form", m)
				docAddrs.Insert(m)
			}
			docHosts := sets.New[string]()
			for _, d := range s.domains {
				for _, m := range hostnamePatternFor(d).FindAllString(text, -1) {
					docHosts.Insert(strings.ToLower(m))
				}
			}
			g.Expect(docAddrs.Len()).To(Equal(s.addresses), "addresses found in %s: %v", s.file, sets.List(docAddrs))
			g.Expect(docHosts.Len()).To(Equal(s.hostnames), "hostnames found in %s: %v", s.file, sets.List(docHosts))

			v, ok := c.Get(s.vendor)
			g.Expect(ok).To(BeTrue())
			catAddrs, catHosts := published(v)

			g.Expect(sets.List(docAddrs.Difference(catAddrs))).To(BeEmpty(), "addresses in %s missing from the catalog", s.file)
			g.Expect(sets.List(catAddrs.Difference(docAddrs))).To(BeEmpty(), "addresses in the catalog that %s does not have", s.file)
			g.Expect(sets.List(docHosts.Difference(catHosts))).To(BeEmpty(), "hostnames in %s missing from the catalog", s.file)
			g.Expect(sets.List(catHosts.Difference(docHosts))).To(BeEmpty(), "hostnames in the catalog that %s does not have", s.file)

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
		for _, m := range ipv4Pattern.FindAllString(line, -1) {
			g.Expect(region).NotTo(BeEmpty(), "%s comes before any region", m)
			docRegions[m] = region
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

// published returns every CIDR (deprecated ones included) and hostname of v.
func published(v *v1alpha1.Vendor) (cidrs, hostnames sets.Set[string]) {
	cidrs, hostnames = sets.New[string](), sets.New[string]()
	for _, eg := range v.Spec.Endpoints {
		for _, a := range eg.Addresses {
			cidrs.Insert(string(a.CIDR))
		}
		for _, h := range eg.Hostnames {
			hostnames.Insert(string(h.Name))
			for _, a := range h.Addresses {
				cidrs.Insert(string(a))
			}
		}
	}
	return cidrs, hostnames
}
