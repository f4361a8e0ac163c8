/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package catalog

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

const goodStream = `# A comment before the first document.
---
apiVersion: networking.vendorallowlist.io/v1alpha1
kind: Vendor
metadata:
  name: acme
  labels: {team: net}
spec:
  displayName: Acme
  source: {document: Acme IP addresses, transcribed: "2026-11-23"}
  endpoints:
    - name: inbound
      direction: Ingress
      addresses:
        - {cidr: 192.0.2.0/24, region: US}
        - {cidr: "2001:db8::/48"}
---
# only a comment: skipped
---
apiVersion: networking.vendorallowlist.io/v1alpha1
kind: Vendor
metadata: {name: globex}
spec:
  endpoints:
    - name: api
      direction: Egress
      ports: [{port: 443}]
      hostnames: [{name: api.globex.example}]
    - name: partner-vpn
      direction: Ingress
      customerInput: CIDRs
---
`

func TestLoadGood(t *testing.T) {
	g := NewWithT(t)
	vendors, err := Load(strings.NewReader(goodStream))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(vendors).To(HaveLen(2))
	g.Expect(vendors[0].Name).To(Equal("acme"))
	g.Expect(vendors[0].Labels).To(Equal(map[string]string{"team": "net"}))
	g.Expect(vendors[0].Spec.Endpoints[0].Addresses[1].CIDR).To(BeEquivalentTo("2001:db8::/48"))
	g.Expect(vendors[1].Name).To(Equal("globex"))
	g.Expect(vendors[1].Spec.Endpoints[0].Ports).To(Equal([]v1alpha1.Port{{Port: 443}}))
	g.Expect(vendors[1].Spec.Endpoints[1].CustomerInput).To(Equal(v1alpha1.CustomerInputCIDRs))
}

func TestLoadJSONStream(t *testing.T) {
	g := NewWithT(t)
	a, err := json.Marshal(acme())
	g.Expect(err).NotTo(HaveOccurred())
	b := acme()
	b.Name = "acme-two"
	bj, err := json.MarshalIndent(b, "", "\t")
	g.Expect(err).NotTo(HaveOccurred())

	vendors, err := Load(bytes.NewReader(append(append(a, '\n'), bj...)))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(vendors).To(HaveLen(2))
	g.Expect(vendors[0].Spec).To(Equal(acme().Spec))
	g.Expect(vendors[1].Name).To(Equal("acme-two"))

	// A YAML stream may open with a flow mapping.
	vendors, err = Load(bytes.NewReader(append(append(a, "\n---\n"...), bj...)))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(vendors).To(HaveLen(2))
}

func TestLoadEmpty(t *testing.T) {
	for _, in := range []string{"", "\n", "---\n", "# nothing\n---\n# still nothing\n", "null\n"} {
		g := NewWithT(t)
		vendors, err := Load(strings.NewReader(in))
		g.Expect(err).NotTo(HaveOccurred(), "%q", in)
		g.Expect(vendors).To(BeEmpty(), "%q", in)
	}
}

// TestLoadDecodingErrors covers what the strict decoder refuses, before validation.
func TestLoadDecodingErrors(t *testing.T) {
	const header = "apiVersion: networking.vendorallowlist.io/v1alpha1\nkind: Vendor\nmetadata: {name: acme}\n"
	const endpoints = "  endpoints: [{name: inbound, direction: Ingress, addresses: [{cidr: 192.0.2.0/24}]}]\n"
	cases := []struct {
		name string
		in   string
		want []string
	}{
		{
			name: "unknown field",
			in:   header + "spec:\n  colour: blue\n" + endpoints,
			want: []string{"document 0:", `Vendor "acme"`, `unknown field "spec.colour"`},
		},
		{
			name: "unknown field deep",
			in:   header + "spec:\n  endpoints: [{name: inbound, direction: Ingress, addresses: [{cidr: 192.0.2.0/24, regoin: US}]}]\n",
			want: []string{"document 0:", `unknown field "spec.endpoints[0].addresses[0].regoin"`},
		},
		{
			name: "field in the wrong case",
			in:   header + "spec:\n  DisplayName: Acme\n" + endpoints,
			want: []string{"document 0:", `unknown field "spec.DisplayName"`},
		},
		{
			name: "duplicate key",
			in:   header + "spec:\n  displayName: Acme\n  displayName: Acme\n" + endpoints,
			want: []string{"document 0:", `"displayName" already set`},
		},
		{
			name: "wrong kind in the second document",
			in:   header + "spec:\n" + endpoints + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: acme}\n",
			want: []string{"document 1:", `apiVersion "v1", kind "ConfigMap"`, `want apiVersion "networking.vendorallowlist.io/v1alpha1", kind "Vendor"`},
		},
		{
			name: "wrong apiVersion",
			in:   "apiVersion: networking.vendorallowlist.io/v1\nkind: Vendor\nmetadata: {name: acme}\nspec:\n" + endpoints,
			want: []string{"document 0:", `apiVersion "networking.vendorallowlist.io/v1", kind "Vendor"`},
		},
		{
			name: "VendorList",
			in:   "apiVersion: networking.vendorallowlist.io/v1alpha1\nkind: VendorList\nitems: []\n",
			want: []string{"document 0:", `kind "VendorList"`},
		},
		{
			name: "no kind",
			in:   "metadata: {name: acme}\n",
			want: []string{"document 0:", `apiVersion "", kind ""`},
		},
		{
			name: "not an object",
			in:   "- a\n- b\n",
			want: []string{"document 0:", "not a Vendor object"},
		},
		{
			name: "wrong type",
			in:   header + "spec:\n  endpoints: [{name: api, direction: Egress, ports: [{port: https}], hostnames: [{name: a.example}]}]\n",
			want: []string{"document 0:", `Vendor "acme"`, "cannot unmarshal string"},
		},
		{
			name: "bad YAML",
			in:   header + "spec: [\n",
			want: []string{"document 0:"},
		},
		{
			name: "bad separator",
			in:   header + "spec:\n" + endpoints + "--- nope\n",
			want: []string{"document 0:", "invalid Yaml document separator: nope"},
		},
		{
			name: "bad JSON",
			in:   `{"apiVersion": "networking.vendorallowlist.io/v1alpha1", "kind": "Vendor"} {"kind": `,
			want: []string{"document 1: unexpected EOF"},
		},
		{
			name: "JSON then YAML",
			in:   `{"apiVersion": "networking.vendorallowlist.io/v1alpha1", "kind": "Vendor"}` + "\nspec: {}\n",
			want: []string{"document 1: invalid character 's'"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			vendors, err := Load(strings.NewReader(tc.in))
			g.Expect(err).To(HaveOccurred())
			g.Expect(vendors).To(BeNil())
			for _, w := range tc.want {
				g.Expect(err.Error()).To(ContainSubstring(w))
			}
		})
	}
}

// TestLoadReportsEveryError checks that one Load reports every problem of every
// document, so a catalog file is fixed in one go.
func TestLoadReportsEveryError(t *testing.T) {
	g := NewWithT(t)
	const header = "apiVersion: networking.vendorallowlist.io/v1alpha1\nkind: Vendor\n"
	const endpoints = "  endpoints: [{name: inbound, direction: Ingress, addresses: [{cidr: 192.0.2.0/24}]}]\n"
	stream := header + "metadata: {name: acme}\nspec:\n  colour: blue\n" + endpoints +
		"---\n" + header + "metadata: {name: good}\nspec:\n" + endpoints +
		"---\n" + header + "metadata: {name: second}\nspec:\n  endpoints: [{name: inbound, direction: Ingress, adresses: []}]\n"
	vendors, err := Load(strings.NewReader(stream))
	g.Expect(vendors).To(BeNil())
	g.Expect(err).To(HaveOccurred())
	g.Expect(strings.Split(err.Error(), "\n")).To(Equal([]string{
		`document 0: Vendor "acme": unknown field "spec.colour"`,
		`document 2: Vendor "second": unknown field "spec.endpoints[0].adresses"`,
	}))
}
