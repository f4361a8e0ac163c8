/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package catalog

import (
	"bytes"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// TestBuiltinLoads checks that the embedded catalog is valid, so Builtin never panics.
func TestBuiltinLoads(t *testing.T) {
	g := NewWithT(t)

	vendors, err := Load(bytes.NewReader(builtinYAML))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(vendors).To(HaveLen(4))

	var c *Catalog
	g.Expect(func() { c = Builtin() }).NotTo(Panic())
	g.Expect(c.Names()).To(Equal([]string{"atlassian", "aws", "cloudflare", "datadog", "freshchat", "github", "google", "outsystems", "stripe", "threobuilder", "workato"}),
		"the transcribed vendors and one vendor per feed preset")
	g.Expect(Builtin()).To(BeIdenticalTo(c), "parsed once")
}

// TestBuiltinContract pins the vendor and endpoint group names, directions, ports and
// customer inputs that samples, docs and other packages rely on.
func TestBuiltinContract(t *testing.T) {
	type group struct {
		direction v1alpha1.Direction
		ports     string
		input     v1alpha1.CustomerInput
	}
	want := map[string]struct {
		displayName string
		document    string
		url         string
		groups      map[string]group
		order       []string
	}{
		"workato": {
			displayName: "Workato",
			document:    "IP whitelists",
			url:         "https://docs.workato.com/security/ip-whitelists.html",
			order:       []string{"inbound", "opa-gateways", "apim-custom-domains", "web"},
			groups: map[string]group{
				"inbound":             {v1alpha1.DirectionIngress, "", v1alpha1.CustomerInputNone},
				"opa-gateways":        {v1alpha1.DirectionEgress, "TCP/443", v1alpha1.CustomerInputNone},
				"apim-custom-domains": {v1alpha1.DirectionEgress, "TCP/443", v1alpha1.CustomerInputNone},
				"web":                 {v1alpha1.DirectionEgress, "TCP/443", v1alpha1.CustomerInputNone},
			},
		},
		"freshchat": {
			displayName: "Freshchat",
			document:    "IP Allowlisting for Freshchat",
			url:         "https://crmsupport.freshworks.com/en/support/solutions/articles/50000006158-allowlisting-ips-for-freshchat",
			order:       []string{"webhooks"},
			groups: map[string]group{
				"webhooks": {v1alpha1.DirectionIngress, "", v1alpha1.CustomerInputNone},
			},
		},
		"outsystems": {
			displayName: "OutSystems",
			document:    "Whitelist your OutSystems cloud environments on your firewall",
			url:         "https://success.outsystems.com/Support/Enterprise_Customers/Maintenance_and_Operations/Whitelist_your_OutSystems_Cloud_environments_on_your_firewall",
			order:       []string{"front-ends", "vpn"},
			groups: map[string]group{
				"front-ends": {v1alpha1.DirectionIngress, "", v1alpha1.CustomerInputHostnames},
				"vpn":        {v1alpha1.DirectionIngress, "", v1alpha1.CustomerInputCIDRs},
			},
		},
		"threobuilder": {
			displayName: "Synthreo ThreoBuilder",
			document:    "IP Whitelisting",
			url:         "https://docs.synthreo.ai/threobuilder/ip_whitelisting",
			order:       []string{"agents"},
			groups: map[string]group{
				"agents": {v1alpha1.DirectionIngress, "", v1alpha1.CustomerInputNone},
			},
		},
	}

	c := Builtin()
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			v, ok := c.Get(name)
			g.Expect(ok).To(BeTrue())
			g.Expect(v.APIVersion).To(Equal("networking.vendorallowlist.io/v1alpha1"))
			g.Expect(v.Kind).To(Equal("Vendor"))
			g.Expect(v.Spec.DisplayName).To(Equal(w.displayName))
			g.Expect(v.Spec.Source).NotTo(BeNil())
			g.Expect(v.Spec.Source.Document).To(Equal(w.document))
			g.Expect(v.Spec.Source.Transcribed).To(Equal("2026-11-23"))
			g.Expect(v.Spec.Source.URL).To(Equal(w.url))

			var order []string
			for _, eg := range v.Spec.Endpoints {
				order = append(order, string(eg.Name))
				wg, ok := w.groups[string(eg.Name)]
				g.Expect(ok).To(BeTrue(), "unexpected group %s", eg.Name)
				s := summarize(v, &eg)
				g.Expect(s.Direction).To(Equal(wg.direction), "%s direction", eg.Name)
				g.Expect(s.Ports).To(Equal(wg.ports), "%s ports", eg.Name)
				g.Expect(s.CustomerInput).To(Equal(wg.input), "%s customerInput", eg.Name)
				g.Expect(eg.Description).NotTo(BeEmpty(), "%s description", eg.Name)
				g.Expect(eg.Notes).NotTo(BeEmpty(), "%s notes", eg.Name)
			}
			g.Expect(order).To(Equal(w.order))
		})
	}
}

// TestBuiltinDetails checks the facts of the documents the brief calls out.
func TestBuiltinDetails(t *testing.T) {
	c := Builtin()
	group := func(g Gomega, vendor, name string) *v1alpha1.EndpointGroup {
		v, ok := c.Get(vendor)
		g.Expect(ok).To(BeTrue(), vendor)
		for i := range v.Spec.Endpoints {
			if string(v.Spec.Endpoints[i].Name) == name {
				return &v.Spec.Endpoints[i]
			}
		}
		g.Expect(name).To(BeEmpty(), "%s has no group %s", vendor, name)
		return nil
	}

	t.Run("workato inbound has the three addresses", func(t *testing.T) {
		g := NewWithT(t)
		eg := group(g, "workato", "inbound")
		g.Expect(cidrsOf(eg.Addresses)).To(Equal([]string{"52.5.142.59/32", "34.226.132.221/32", "52.54.43.157/32"}))
		g.Expect(eg.Hostnames).To(BeEmpty())
		g.Expect(eg.Notes).To(ContainSubstring("Add all three IP addresses"))
	})

	t.Run("workato opa-gateways", func(t *testing.T) {
		g := NewWithT(t)
		eg := group(g, "workato", "opa-gateways")
		hosts := map[string][]string{}
		for _, h := range eg.Hostnames {
			hosts[string(h.Name)] = stringsOf(h.Addresses)
		}
		g.Expect(hosts).To(Equal(map[string][]string{
			"sg1.workato.com": {"50.16.101.13/32", "54.84.241.116/32", "34.237.50.149/32"},
			"sg2.workato.com": {"34.204.129.29/32", "34.228.172.35/32", "54.83.143.113/32"},
			"sg.workato.com":  {"34.192.94.13/32", "34.195.128.7/32", "34.226.84.130/32"},
		}))
		g.Expect(eg.Addresses).To(HaveLen(1))
		a := eg.Addresses[0]
		g.Expect(a.CIDR).To(BeEquivalentTo("52.206.58.244/32"))
		g.Expect(a.Deprecated).To(Equal(&v1alpha1.Deprecation{
			Since: "2018-03-28",
			Note:  "Deprecated 28 March 2018, not used in recent OPA versions.",
		}))
		g.Expect(eg.Notes).To(ContainSubstring("resolve"), "the document's DNS resolution advice")
	})

	t.Run("workato apim-custom-domains and web", func(t *testing.T) {
		g := NewWithT(t)
		apim := group(g, "workato", "apim-custom-domains")
		g.Expect(cidrsOf(apim.Addresses)).To(Equal([]string{"18.211.121.35/32", "34.232.254.255/32", "52.203.235.136/32"}))
		web := group(g, "workato", "web")
		g.Expect(web.Addresses).To(BeEmpty())
		var names []string
		for _, h := range web.Hostnames {
			names = append(names, string(h.Name))
			g.Expect(h.Addresses).To(BeEmpty(), "the document publishes no addresses for %s", h.Name)
		}
		g.Expect(names).To(Equal([]string{"www.workato.com", "apim.workato.com"}))
		g.Expect(web.Notes).To(ContainSubstring("not completely static"))
	})

	t.Run("freshchat regions", func(t *testing.T) {
		g := NewWithT(t)
		eg := group(g, "freshchat", "webhooks")
		counts := map[v1alpha1.Region]int{}
		for _, a := range eg.Addresses {
			counts[a.Region]++
			g.Expect(a.Deprecated).To(BeNil())
		}
		g.Expect(counts).To(Equal(map[v1alpha1.Region]int{"US": 14, "EU": 10, "IN": 9, "AU": 10}))
		g.Expect(eg.Notes).To(ContainSubstring("443"), "the ports advice")
	})

	t.Run("outsystems asks the customer", func(t *testing.T) {
		g := NewWithT(t)
		fe := group(g, "outsystems", "front-ends")
		g.Expect(fe.Addresses).To(BeEmpty())
		g.Expect(fe.Hostnames).To(BeEmpty())
		g.Expect(fe.Description + fe.Notes).To(ContainSubstring("Environment Health"))
		g.Expect(fe.Notes).To(ContainSubstring("load balancer"))
		g.Expect(fe.Notes).To(ContainSubstring("every front-end"))
		vpn := group(g, "outsystems", "vpn")
		g.Expect(vpn.Addresses).To(BeEmpty())
		g.Expect(vpn.Notes).To(ContainSubstring("not static"))
		g.Expect(vpn.Notes).To(ContainSubstring("entire range"))
	})

	t.Run("threobuilder agents", func(t *testing.T) {
		g := NewWithT(t)
		eg := group(g, "threobuilder", "agents")
		g.Expect(eg.Addresses).To(HaveLen(6))
		g.Expect(eg.Notes).To(ContainSubstring("Ingress to your pods"))
	})
}

func TestNew(t *testing.T) {
	t.Run("duplicate names", func(t *testing.T) {
		g := NewWithT(t)
		_, err := New([]v1alpha1.Vendor{*acme(), *acme()})
		g.Expect(err).To(MatchError(ContainSubstring(`Vendor "acme": metadata.name: Duplicate value: "acme"`)))
	})
	t.Run("sets TypeMeta and copies", func(t *testing.T) {
		g := NewWithT(t)
		v := acme()
		v.TypeMeta = metav1.TypeMeta{}
		c, err := New([]v1alpha1.Vendor{*v})
		g.Expect(err).NotTo(HaveOccurred())
		v.Spec.DisplayName = "changed"
		got, ok := c.Get("acme")
		g.Expect(ok).To(BeTrue())
		g.Expect(got.Spec.DisplayName).To(Equal("Acme"))
		g.Expect(got.Kind).To(Equal("Vendor"))
		g.Expect(got.APIVersion).To(Equal("networking.vendorallowlist.io/v1alpha1"))
	})
	t.Run("empty", func(t *testing.T) {
		g := NewWithT(t)
		c, err := New(nil)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(c.Names()).To(BeEmpty())
		g.Expect(c.Vendors()).To(BeEmpty())
		_, ok := c.Get("workato")
		g.Expect(ok).To(BeFalse())
	})
}

func TestWithOverrides(t *testing.T) {
	g := NewWithT(t)
	base := Builtin()
	before := base.Vendors()

	workato := acme()
	workato.Name = "workato"
	workato.Spec.DisplayName = "Workato (site copy)"
	workato.TypeMeta = metav1.TypeMeta{} // as read through a typed client

	c := base.WithOverrides([]v1alpha1.Vendor{*workato, *acme()})

	g.Expect(c.Names()).To(Equal(append([]string{"acme"}, base.Names()...)))
	got, ok := c.Get("workato")
	g.Expect(ok).To(BeTrue())
	g.Expect(got.Spec.DisplayName).To(Equal("Workato (site copy)"))
	g.Expect(got.Spec.Endpoints).To(Equal(acme().Spec.Endpoints), "replaced whole, not merged")
	g.Expect(got.Kind).To(Equal("Vendor"))
	got, ok = c.Get("acme")
	g.Expect(ok).To(BeTrue())
	g.Expect(got.Spec.DisplayName).To(Equal("Acme"))
	fc, _ := c.Get("freshchat")
	bfc, _ := base.Get("freshchat")
	g.Expect(fc).To(Equal(bfc))

	// The original catalog is unchanged.
	g.Expect(base).To(BeIdenticalTo(Builtin()))
	g.Expect(base.Names()).To(Equal(builtinNames))
	g.Expect(base.Vendors()).To(Equal(before))
	orig, _ := base.Get("workato")
	g.Expect(orig.Spec.DisplayName).To(Equal("Workato"))

	// Later overrides win; a nil catalog is an empty one.
	second := acme()
	second.Spec.DisplayName = "Acme 2"
	c = (*Catalog)(nil).WithOverrides([]v1alpha1.Vendor{*acme(), *second})
	g.Expect(c.Names()).To(Equal([]string{"acme"}))
	got, _ = c.Get("acme")
	g.Expect(got.Spec.DisplayName).To(Equal("Acme 2"))
}

// TestCatalogIsImmutable checks that what the catalog returns can be changed freely.
func TestCatalogIsImmutable(t *testing.T) {
	g := NewWithT(t)
	c := Builtin()
	want := c.Vendors()

	v, _ := c.Get("workato")
	v.Spec.DisplayName = "x"
	v.Spec.Endpoints[0].Addresses[0].CIDR = "10.0.0.0/8"
	v.Spec.Endpoints[1].Hostnames[0].Addresses[0] = "10.0.0.0/8"
	v.Spec.Source.Document = "x"

	vs := c.Vendors()
	last := len(vs) - 1 // workato
	vs[last].Name = "x"
	vs[last].Spec.Endpoints[0].Addresses[0].Region = "x"

	names := c.Names()
	names[0] = "x"

	g.Expect(c.Vendors()).To(Equal(want))
	g.Expect(c.Names()).To(Equal(builtinNames))
}

var builtinNames = []string{"atlassian", "aws", "cloudflare", "datadog", "freshchat", "github", "google", "outsystems", "stripe", "threobuilder", "workato"}

// acme is a small valid vendor for tests.
func acme() *v1alpha1.Vendor {
	return &v1alpha1.Vendor{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.vendorallowlist.io/v1alpha1", Kind: "Vendor"},
		ObjectMeta: metav1.ObjectMeta{Name: "acme"},
		Spec: v1alpha1.VendorSpec{
			DisplayName: "Acme",
			Source:      &v1alpha1.VendorSource{Document: "Acme IP addresses", Transcribed: "2026-11-23"},
			Endpoints: []v1alpha1.EndpointGroup{
				{
					Name:      "inbound",
					Direction: v1alpha1.DirectionIngress,
					Addresses: []v1alpha1.PublishedAddress{
						{CIDR: "192.0.2.0/24", Region: "US"},
						{CIDR: "198.51.100.7/32", Region: "EU"},
						{CIDR: "2001:db8::/48"},
						{CIDR: "198.51.100.9/32", Deprecated: &v1alpha1.Deprecation{Since: "2020-01-02"}},
					},
				},
				{
					Name:      "api",
					Direction: v1alpha1.DirectionEgress,
					Ports:     []v1alpha1.Port{{Protocol: v1alpha1.ProtocolTCP, Port: 443}, {Protocol: v1alpha1.ProtocolUDP, Port: 8000, EndPort: ptr(int32(8100))}},
					Hostnames: []v1alpha1.PublishedHostname{
						{Name: "api.acme.example", Addresses: []v1alpha1.CIDR{"203.0.113.10/32", "192.0.2.0/24"}},
						{Name: "eu.api.acme.example", Region: "EU"},
					},
				},
			},
		},
	}
}

func ptr[T any](v T) *T { return &v }

func cidrsOf(as []v1alpha1.PublishedAddress) []string {
	var out []string
	for _, a := range as {
		out = append(out, string(a.CIDR))
	}
	return out
}

func stringsOf[T ~string](xs []T) []string {
	var out []string
	for _, x := range xs {
		out = append(out, string(x))
	}
	return out
}
