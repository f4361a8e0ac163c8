/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package catalog

import (
	"bytes"
	"cmp"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/publicsuffix"
	"k8s.io/apimachinery/pkg/util/sets"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// Source is one document a vendor's entry cites, with the endpoint groups
// transcribed from it.
type Source struct {
	// Vendor is the vendor's name.
	Vendor string
	// URL is the document's; empty for groups that cite no document.
	URL string
	// Groups are the vendor's groups whose DocumentURL is URL.
	Groups []v1alpha1.EndpointGroup
}

// Sources returns the documents the catalog's vendors cite, one per vendor and URL,
// sorted by vendor and URL.
func Sources(c *Catalog) []Source {
	var out []Source
	for _, v := range c.Vendors() {
		byURL := map[string]*Source{}
		var urls []string
		for _, g := range v.Spec.Endpoints {
			if g.Feed != nil {
				continue // its addresses follow the feed, checked as they come
			}
			u := g.DocumentURL(&v.Spec)
			s, ok := byURL[u]
			if !ok {
				s = &Source{Vendor: v.Name, URL: u}
				byURL[u] = s
				urls = append(urls, u)
			}
			s.Groups = append(s.Groups, g)
		}
		slices.Sort(urls)
		for _, u := range urls {
			out = append(out, *byURL[u])
		}
	}
	return out
}

// Drift is how a document differs from the catalog groups transcribed from it.
type Drift struct {
	Vendor string `json:"vendor"`
	URL    string `json:"url"`
	// NotInCatalog are the addresses and vendor hostnames on the page that none of
	// the groups has. The page does not say which group they belong to.
	NotInCatalog []string `json:"notInCatalog,omitempty"`
	// Groups are the groups that have what the page no longer does.
	Groups []GroupDrift `json:"groups,omitempty"`
}

// GroupDrift is what one group has that its document no longer does.
type GroupDrift struct {
	Group string `json:"group"`
	// NotOnPage are the group's addresses (deprecated ones too) and hostnames that
	// are not on the page.
	NotOnPage []string `json:"notOnPage,omitempty"`
	// SectionNotOnPage is the heading the group cites (source.section) when no line
	// of the page is that heading any more: the part the group came from was renamed
	// or removed.
	SectionNotOnPage string `json:"sectionNotOnPage,omitempty"`
}

// None says the document and the catalog agree.
func (d Drift) None() bool {
	return len(d.NotInCatalog) == 0 && len(d.Groups) == 0
}

// Compare compares a document's text (see DocumentText) with the groups of src.
// The vendor hostnames looked for are those under the registrable domains of the
// groups' hostnames and of the document's own host, which is itself left out: a
// page names its own site in links and headers.
func Compare(src Source, text string) Drift {
	docHost := hostOf(src.URL)
	onPage := sets.New[string]()
	for _, p := range ExtractAddresses(text) {
		onPage.Insert(p.String())
	}
	for _, h := range ExtractHostnames(text, vendorDomains(src, docHost)) {
		if h != docHost {
			onPage.Insert(h)
		}
	}

	d := Drift{Vendor: src.Vendor, URL: src.URL}
	inCatalog := sets.New[string]()
	headings := lines(text)
	for _, g := range src.Groups {
		entries := groupEntries(g)
		inCatalog = inCatalog.Union(entries)
		gd := GroupDrift{Group: string(g.Name), NotOnPage: sortedEntries(entries.Difference(onPage))}
		if g.Source != nil && g.Source.Section != "" && !headings.Has(normalizeSpace(g.Source.Section)) {
			gd.SectionNotOnPage = g.Source.Section
		}
		if len(gd.NotOnPage) > 0 || gd.SectionNotOnPage != "" {
			d.Groups = append(d.Groups, gd)
		}
	}
	d.NotInCatalog = sortedEntries(onPage.Difference(inCatalog))
	return d
}

// groupEntries returns every network (canonical, deprecated ones too) and hostname
// of g.
func groupEntries(g v1alpha1.EndpointGroup) sets.Set[string] {
	entries := sets.New[string]()
	addCIDR := func(c v1alpha1.CIDR) {
		if p, err := netip.ParsePrefix(string(c)); err == nil {
			entries.Insert(p.Masked().String())
		} else {
			entries.Insert(string(c))
		}
	}
	for _, a := range g.Addresses {
		addCIDR(a.CIDR)
	}
	for _, h := range g.Hostnames {
		entries.Insert(strings.ToLower(string(h.Name)))
		for _, a := range h.Addresses {
			addCIDR(a)
		}
	}
	return entries
}

// sortedEntries sorts networks in address order before hostnames in name order.
func sortedEntries(s sets.Set[string]) []string {
	if s.Len() == 0 {
		return nil
	}
	out := s.UnsortedList()
	slices.SortFunc(out, func(a, b string) int {
		pa, errA := netip.ParsePrefix(a)
		pb, errB := netip.ParsePrefix(b)
		switch {
		case errA == nil && errB == nil:
			return cmp.Or(pa.Addr().Compare(pb.Addr()), cmp.Compare(pa.Bits(), pb.Bits()))
		case errA == nil:
			return -1
		case errB == nil:
			return 1
		}
		return strings.Compare(a, b)
	})
	return out
}

func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// vendorDomains returns the registrable domains (example.co.uk for
// api.example.co.uk) of the groups' hostnames and of the document's host.
func vendorDomains(src Source, docHost string) []string {
	domains := sets.New[string]()
	add := func(host string) {
		if _, err := netip.ParseAddr(host); err == nil || host == "" {
			return
		}
		if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
			domains.Insert(d)
		}
	}
	add(docHost)
	for _, g := range src.Groups {
		for _, h := range g.Hostnames {
			add(strings.ToLower(string(h.Name)))
		}
	}
	return sets.List(domains)
}

// DocumentText returns the text of a vendor's document as a reader sees it: for an
// HTML page, the text of its elements (not of scripts, styles or attributes), each
// block (heading, paragraph, list item, table cell) on a line of its own, entities
// decoded; any other body as it is.
func DocumentText(body []byte) string {
	if !strings.HasPrefix(http.DetectContentType(body), "text/html") {
		return string(body)
	}
	var b strings.Builder
	z := html.NewTokenizer(bytes.NewReader(body))
	skipping := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			// io.EOF, or a page cut short: what was read is the text.
			return b.String()
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			tag := atom.Lookup(name)
			switch {
			case hidden[tag] && tt == html.StartTagToken:
				skipping++
			case hidden[tag] && tt == html.EndTagToken && skipping > 0:
				skipping--
			}
			if !inline[tag] {
				b.WriteByte('\n')
			}
		case html.TextToken:
			if skipping == 0 {
				// A line break in HTML source is a space to the reader; lines
				// come from the elements.
				b.WriteString(htmlSpace.Replace(string(z.Text())))
			}
		}
	}
}

var htmlSpace = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ")

// hidden are the elements whose content is no text for a reader.
var hidden = map[atom.Atom]bool{atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true}

// inline are the elements that go within a line of text; every other element
// begins and ends a line, so that a heading or a table cell is a line of its own.
var inline = map[atom.Atom]bool{
	atom.A: true, atom.Abbr: true, atom.B: true, atom.Code: true, atom.Em: true, atom.I: true,
	atom.Kbd: true, atom.Mark: true, atom.S: true, atom.Samp: true, atom.Small: true, atom.Span: true,
	atom.Strong: true, atom.Sub: true, atom.Sup: true, atom.U: true, atom.Var: true, atom.Wbr: true,
}

// ExtractAddresses returns the IPv4 and IPv6 addresses and networks written in
// text, as networks (an address as a /32 or /128), sorted and without repeats. A
// word counts only when all of it is an address or network (sg1.workato.com and
// v1.2.3.4 are not), with a sentence's closing punctuation allowed.
func ExtractAddresses(text string) []netip.Prefix {
	words := strings.FieldsFunc(text, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '.' || r == ':' || r == '/')
	})
	found := sets.New[netip.Prefix]()
	for _, w := range words {
		if p, ok := parseNetwork(w); ok {
			found.Insert(p)
		} else if p, ok := parseNetwork(strings.TrimRight(w, ".:")); ok {
			found.Insert(p)
		}
	}
	out := found.UnsortedList()
	slices.SortFunc(out, func(a, b netip.Prefix) int {
		return cmp.Or(a.Addr().Compare(b.Addr()), cmp.Compare(a.Bits(), b.Bits()))
	})
	return out
}

func parseNetwork(w string) (netip.Prefix, bool) {
	if !strings.ContainsAny(w, ".:") {
		return netip.Prefix{}, false
	}
	var p netip.Prefix
	if strings.Contains(w, "/") {
		var err error
		if p, err = netip.ParsePrefix(w); err != nil {
			return netip.Prefix{}, false
		}
	} else {
		a, err := netip.ParseAddr(w)
		if err != nil {
			return netip.Prefix{}, false
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if p.Addr().IsUnspecified() && p.Bits() == p.Addr().BitLen() {
		// "::" is punctuation more often than an address.
		return netip.Prefix{}, false
	}
	if p.Addr().Is4In6() {
		p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
	}
	return p.Masked(), true
}

// ExtractHostnames returns the hostnames under domains (api.example.com under
// example.com, not example.com itself) written in text, lower case, sorted and
// without repeats.
func ExtractHostnames(text string, domains []string) []string {
	if len(domains) == 0 {
		return nil
	}
	quoted := make([]string, len(domains))
	for i, d := range domains {
		quoted[i] = regexp.QuoteMeta(d)
	}
	pattern := regexp.MustCompile(`(?i)\b(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?\.)+(?:` + strings.Join(quoted, "|") + `)\b`)
	found := sets.New[string]()
	for _, m := range pattern.FindAllString(text, -1) {
		found.Insert(strings.ToLower(m))
	}
	return sets.List(found)
}

// lines returns the page's lines, each without Markdown heading marks, through
// normalizeSpace: a heading is a line of its own, in text and in an HTML page's text.
func lines(text string) sets.Set[string] {
	out := sets.New[string]()
	for _, l := range strings.Split(text, "\n") {
		out.Insert(normalizeSpace(strings.TrimLeft(strings.TrimSpace(l), "#")))
	}
	return out
}

// normalizeSpace lower-cases s and writes every run of white space (no-break
// spaces too) as one space, so that a heading is found however the page wraps it.
func normalizeSpace(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}
