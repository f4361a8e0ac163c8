/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package catalog

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

func TestExtractAddresses(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"- 52.5.142.59\n- 34.226.132.221", []string{"34.226.132.221/32", "52.5.142.59/32"}},
		{"'integrationuser'@'52.54.43.157';", []string{"52.54.43.157/32"}},
		{"| sg1.workato.com | 50.16.101.13 54.84.241.116 | 443 |", []string{"50.16.101.13/32", "54.84.241.116/32"}},
		{"allow 3.74.148.8/32, 3.74.148.9/32.", []string{"3.74.148.8/32", "3.74.148.9/32"}},
		{"networks 2600:1f18:a::/48 and 2600:1f18:b::1.", []string{"2600:1f18:a::/48", "2600:1f18:b::1/128"}},
		{"a host-bits network 52.1.37.97/28", []string{"52.1.37.96/28"}},
		{"::ffff:52.1.37.96 written as IPv6", []string{"52.1.37.96/32"}},
		// Not addresses: versions, hostnames, times, ports, words.
		{"OPA version 2.11.0, sg1.workato.com, 12:25 PM, port 443, std::map, a :: b, v1.2.3.4", nil},
	} {
		var got []string
		for _, p := range ExtractAddresses(tc.text) {
			got = append(got, p.String())
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("ExtractAddresses(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestExtractHostnames(t *testing.T) {
	g := NewWithT(t)
	text := "resolve SG1.workato.com and sg.eu.workato.com. Not workato.com itself, not workato.company.io, " +
		"not support@workato.com; www.example.com is another vendor's; see https://apim.workato.com/x"
	g.Expect(ExtractHostnames(text, []string{"workato.com"})).To(Equal([]string{"apim.workato.com", "sg.eu.workato.com", "sg1.workato.com"}))
	g.Expect(ExtractHostnames(text, nil)).To(BeEmpty())
}

func TestDocumentTextOfAnHTMLPage(t *testing.T) {
	g := NewWithT(t)
	page := `<!DOCTYPE html><html><head><title>IP whitelists</title>
<style>.ip::after { content: "10.9.9.9" }</style><script>var ip = "10.8.8.8";</script></head>
<body><h1>Traffic&nbsp;from Workato</h1><h2>Custom <em>APIM</em>
domains</h2><ul><li>52.5.142.59</li><li>34.226.132.221</li></ul>
<a href="https://52.54.43.157/">a link's address is not the page's text</a></body></html>`
	text := DocumentText([]byte(page))
	g.Expect(ExtractAddresses(text)).To(Equal([]netip.Prefix{
		netip.MustParsePrefix("34.226.132.221/32"), netip.MustParsePrefix("52.5.142.59/32"),
	}))
	g.Expect(lines(text).HasAll("traffic from workato", "custom apim domains")).To(BeTrue(), "headings are lines of their own:\n%s", text)

	plain := "52.5.142.59 <b>"
	g.Expect(DocumentText([]byte(plain))).To(Equal(plain), "a text document is read as it is")
}

// TestCompareReportsAnAddressAddedAndOneRemoved edits the saved Workato page as a
// vendor would: one address published, one withdrawn, and a heading renamed.
func TestCompareReportsAnAddressAddedAndOneRemoved(t *testing.T) {
	g := NewWithT(t)
	doc, err := os.ReadFile(filepath.Join("testdata", "seeds", "workato.txt"))
	g.Expect(err).NotTo(HaveOccurred())
	src := sourceOf(t, "workato")

	edited := strings.Replace(string(doc), "- 18.211.121.35\n", "", 1)
	edited = strings.Replace(edited, "- 52.203.235.136\n", "- 52.203.235.136\n- 52.203.235.140\n", 1)
	edited = strings.Replace(edited, "# Traffic from Workato", "# Traffic from the Workato cloud", 1)
	g.Expect(edited).NotTo(ContainSubstring("18.211.121.35"))

	g.Expect(Compare(src, DocumentText([]byte(edited)))).To(Equal(Drift{
		Vendor:       "workato",
		URL:          src.URL,
		NotInCatalog: []string{"52.203.235.140/32"},
		Groups: []GroupDrift{
			{Group: "inbound", SectionNotOnPage: "Traffic from Workato"},
			{Group: "apim-custom-domains", NotOnPage: []string{"18.211.121.35/32"}},
		},
	}))
}

func TestCompareReportsHostnames(t *testing.T) {
	g := NewWithT(t)
	doc, err := os.ReadFile(filepath.Join("testdata", "seeds", "workato.txt"))
	g.Expect(err).NotTo(HaveOccurred())
	edited := strings.ReplaceAll(string(doc), "sg2.workato.com", "sg4.workato.com") +
		"\nSee docs.workato.com for more."

	d := Compare(sourceOf(t, "workato"), edited)
	g.Expect(d.NotInCatalog).To(Equal([]string{"sg4.workato.com"}), "the page's own host is not a vendor endpoint")
	g.Expect(d.Groups).To(Equal([]GroupDrift{{Group: "opa-gateways", NotOnPage: []string{"sg2.workato.com"}}}))
}

func TestSourcesFallBackToTheVendorsURL(t *testing.T) {
	g := NewWithT(t)
	v := v1alpha1.Vendor{}
	v.Name = "acme"
	v.Spec.Source = &v1alpha1.VendorSource{Document: "Acme IPs", URL: "https://docs.acme.example/ips", Transcribed: "2026-01-31"}
	v.Spec.Endpoints = []v1alpha1.EndpointGroup{
		{Name: "webhooks", Direction: v1alpha1.DirectionIngress, Addresses: []v1alpha1.PublishedAddress{{CIDR: "52.1.37.96/32"}}},
		{Name: "api", Direction: v1alpha1.DirectionEgress, Hostnames: []v1alpha1.PublishedHostname{{Name: "api.acme.example"}}},
	}
	v.Spec.Endpoints[1].Source = &v1alpha1.EndpointSource{URL: "https://docs.acme.example/api"}
	c, err := New([]v1alpha1.Vendor{v})
	g.Expect(err).NotTo(HaveOccurred())

	var got []string
	for _, s := range Sources(c) {
		for _, grp := range s.Groups {
			got = append(got, string(grp.Name)+" "+s.URL)
		}
	}
	g.Expect(got).To(Equal([]string{"api https://docs.acme.example/api", "webhooks https://docs.acme.example/ips"}))
}

func sourceOf(t *testing.T, vendor string) Source {
	t.Helper()
	for _, s := range Sources(Builtin()) {
		if s.Vendor == vendor {
			return s
		}
	}
	t.Fatalf("vendor %s cites no document", vendor)
	return Source{}
}
