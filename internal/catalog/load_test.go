package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	sigsyaml "sigs.k8s.io/yaml"

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

// TestLoadValidationErrors covers the CRD's rules, each on a change to a valid vendor.
// Every error names the document, the vendor and the field.
func TestLoadValidationErrors(t *testing.T) {
	setCIDR := func(c v1alpha1.CIDR) func(*v1alpha1.Vendor) {
		return func(v *v1alpha1.Vendor) { v.Spec.Endpoints[0].Addresses[2].CIDR = c }
	}
	setHostname := func(h v1alpha1.Hostname) func(*v1alpha1.Vendor) {
		return func(v *v1alpha1.Vendor) { v.Spec.Endpoints[1].Hostnames[1].Name = h }
	}
	const cidrField = "spec.endpoints[0].addresses[2].cidr: "
	const hostField = "spec.endpoints[1].hostnames[1].name: "
	long := strings.Repeat("a", 64)
	cases := []struct {
		name   string
		change func(*v1alpha1.Vendor)
		want   string // the whole error
	}{
		// CIDRs.
		{"leading zeros", setCIDR("052.1.1.1/32"),
			cidrField + `Invalid value: "052.1.1.1/32": must be a CIDR such as 52.1.37.96/32 or 2001:db8::/48 (no leading zeros, no zone, no IPv4-mapped IPv6; a single address needs /32 or /128): IPv4 field has octet with leading zero`},
		{"host bits", setCIDR("10.0.0.1/8"),
			cidrField + `Invalid value: "10.0.0.1/8": host bits set; write 10.0.0.0/8`},
		{"IPv6 host bits", setCIDR("2001:db8::1/48"),
			cidrField + `Invalid value: "2001:db8::1/48": host bits set; write 2001:db8::/48`},
		{"4in6", setCIDR("::ffff:1.2.3.4/128"),
			cidrField + `Invalid value: "::ffff:1.2.3.4/128": is an IPv4-mapped IPv6 network; write 1.2.3.4/32`},
		{"4in6 network", setCIDR("::ffff:10.0.0.0/104"),
			cidrField + `Invalid value: "::ffff:10.0.0.0/104": is an IPv4-mapped IPv6 network; write 10.0.0.0/8`},
		{"zone", setCIDR("fe80::1%eth0/128"),
			cidrField + `Invalid value: "fe80::1%eth0/128": must not have an IPv6 zone`},
		{"IPv4 everything", setCIDR("0.0.0.0/0"),
			cidrField + `Invalid value: "0.0.0.0/0": 0.0.0.0/0 and ::/0 would open every address; list the vendor's networks instead`},
		{"IPv6 everything", setCIDR("::/0"),
			cidrField + `Invalid value: "::/0": 0.0.0.0/0 and ::/0 would open every address; list the vendor's networks instead`},
		{"missing prefix", setCIDR("52.5.142.59"),
			cidrField + `Invalid value: "52.5.142.59": a single address needs a prefix length; write 52.5.142.59/32`},
		{"IPv6 missing prefix", setCIDR("2001:db8::1"),
			cidrField + `Invalid value: "2001:db8::1": a single address needs a prefix length; write 2001:db8::1/128`},
		{"prefix too long", setCIDR("10.0.0.0/33"),
			cidrField + `Invalid value: "10.0.0.0/33": must be a CIDR such as 52.1.37.96/32 or 2001:db8::/48 (no leading zeros, no zone, no IPv4-mapped IPv6; a single address needs /32 or /128): prefix length out of range`},
		{"not canonical IPv6", setCIDR("2001:DB8:0::/48"),
			cidrField + `Invalid value: "2001:DB8:0::/48": not in canonical form; write 2001:db8::/48`},
		{"not an address", setCIDR("workato.com/32"),
			cidrField + `Invalid value: "workato.com/32": must be a CIDR such as 52.1.37.96/32 or 2001:db8::/48 (no leading zeros, no zone, no IPv4-mapped IPv6; a single address needs /32 or /128): unexpected character (at "workato.com")`},
		{"empty CIDR", setCIDR(""),
			cidrField + `Required value: a CIDR such as 52.1.37.96/32 or 2001:db8::/48`},
		{"hostname address", func(v *v1alpha1.Vendor) { v.Spec.Endpoints[1].Hostnames[0].Addresses[1] = "192.0.2.1/24" },
			`spec.endpoints[1].hostnames[0].addresses[1]: Invalid value: "192.0.2.1/24": host bits set; write 192.0.2.0/24`},

		// Hostnames.
		{"wildcard", setHostname("*.workato.com"),
			hostField + `Invalid value: "*.workato.com": wildcard hostnames are not supported; list each hostname, for example sg1.workato.com`},
		{"upper case", setHostname("SG1.Workato.com"),
			hostField + `Invalid value: "SG1.Workato.com": must be lower case; write sg1.workato.com`},
		{"trailing dot", setHostname("sg1.workato.com."),
			hostField + `Invalid value: "sg1.workato.com.": must not end with a dot; write sg1.workato.com`},
		{"label too long", setHostname(v1alpha1.Hostname(long + ".workato.com")),
			hostField + `Invalid value: "` + long + `.workato.com": label "` + long + `" is longer than 63 characters; must be a lower-case RFC 1123 hostname such as sg1.workato.com: letters, digits, '-' and '.', each label at most 63 characters, no trailing dot`},
		{"underscore", setHostname("sg_1.workato.com"),
			hostField + `Invalid value: "sg_1.workato.com": must be a lower-case RFC 1123 hostname such as sg1.workato.com: letters, digits, '-' and '.', each label at most 63 characters, no trailing dot`},
		{"hostname too long", setHostname(v1alpha1.Hostname(strings.Repeat("abcdefghi.", 26) + "com")),
			hostField + `Too long: may not be more than 253 characters`},
		{"duplicate hostname", setHostname("api.acme.example"),
			hostField + `Duplicate value: "api.acme.example"`},

		// Groups.
		{"duplicate group name", func(v *v1alpha1.Vendor) { v.Spec.Endpoints[1].Name = "inbound" },
			`spec.endpoints[1].name: Duplicate value: "inbound"`},
		{"Egress without ports", func(v *v1alpha1.Vendor) { v.Spec.Endpoints[1].Ports = nil },
			`spec.endpoints[1].ports: Required value: an Egress endpoint group must list the ports the pods connect to`},
		{"Ingress with ports", func(v *v1alpha1.Vendor) { v.Spec.Endpoints[0].Ports = []v1alpha1.Port{{Port: 443}} },
			`spec.endpoints[0].ports: Forbidden: an Ingress endpoint group takes no ports: each allowlist names the pod ports that receive the traffic`},
		{"empty group", func(v *v1alpha1.Vendor) { v.Spec.Endpoints[0].Addresses = nil },
			`spec.endpoints[0]: Required value: an endpoint group needs addresses, hostnames, or customerInput`},
		{"empty group with customerInput None", func(v *v1alpha1.Vendor) {
			v.Spec.Endpoints[0].Addresses = nil
			v.Spec.Endpoints[0].CustomerInput = v1alpha1.CustomerInputNone
		}, `spec.endpoints[0]: Required value: an endpoint group needs addresses, hostnames, or customerInput`},
		{"bad customerInput", func(v *v1alpha1.Vendor) { v.Spec.Endpoints[0].CustomerInput = "IPs" },
			`spec.endpoints[0].customerInput: Unsupported value: "IPs": supported values: "None", "Hostnames", "CIDRs"`},
		{"bad direction", func(v *v1alpha1.Vendor) { v.Spec.Endpoints[0].Direction = "Inbound" },
			`spec.endpoints[0].direction: Unsupported value: "Inbound": supported values: "Ingress", "Egress"`},
		{"no direction", func(v *v1alpha1.Vendor) { v.Spec.Endpoints[0].Direction = "" },
			`spec.endpoints[0].direction: Required value: Ingress or Egress`},
		{"group name not a DNS label", func(v *v1alpha1.Vendor) { v.Spec.Endpoints[0].Name = "OPA_gateways" },
			`spec.endpoints[0].name: Invalid value: "OPA_gateways": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
		{"no endpoints", func(v *v1alpha1.Vendor) { v.Spec.Endpoints = nil },
			`spec.endpoints: Required value: a vendor needs at least one endpoint group`},
		{"too many endpoints", func(v *v1alpha1.Vendor) {
			for i := 0; len(v.Spec.Endpoints) <= 32; i++ {
				v.Spec.Endpoints = append(v.Spec.Endpoints, v1alpha1.EndpointGroup{
					Name: v1alpha1.ObjectName("g" + strings.Repeat("x", i)), Direction: v1alpha1.DirectionIngress, CustomerInput: v1alpha1.CustomerInputCIDRs,
				})
			}
		}, `spec.endpoints: Too many: 33: must have at most 32 items`},

		// Ports.
		{"port zero", func(v *v1alpha1.Vendor) { v.Spec.Endpoints[1].Ports[0].Port = 0 },
			`spec.endpoints[1].ports[0].port: Invalid value: 0: must be between 1 and 65535`},
		{"endPort below port", func(v *v1alpha1.Vendor) { v.Spec.Endpoints[1].Ports[1].EndPort = ptr(int32(7999)) },
			`spec.endpoints[1].ports[1].endPort: Invalid value: 7999: endPort must be greater than or equal to port`},
		{"bad protocol", func(v *v1alpha1.Vendor) { v.Spec.Endpoints[1].Ports[0].Protocol = "ICMP" },
			`spec.endpoints[1].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"`},

		// Everything else.
		{"name not a DNS label", func(v *v1alpha1.Vendor) { v.Name = "acme.example" },
			`metadata.name: Invalid value: "acme.example": must not contain dots`},
		{"name upper case", func(v *v1alpha1.Vendor) { v.Name = "Acme" },
			`metadata.name: Invalid value: "Acme": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
		{"no name", func(v *v1alpha1.Vendor) { v.Name = "" },
			`metadata.name: Required value: a vendor needs a name`},
		{"namespace", func(v *v1alpha1.Vendor) { v.Namespace = "default" },
			`metadata.namespace: Forbidden: Vendor is cluster-scoped`},
		{"bad region", func(v *v1alpha1.Vendor) { v.Spec.Endpoints[0].Addresses[0].Region = "us east" },
			`spec.endpoints[0].addresses[0].region: Invalid value: "us east": must be a region code such as US or eu-west: letters, digits and '-'`},
		{"bad deprecation date", func(v *v1alpha1.Vendor) { v.Spec.Endpoints[0].Addresses[3].Deprecated.Since = "28 March 2018" },
			`spec.endpoints[0].addresses[3].deprecated.since: Invalid value: "28 March 2018": must be a date such as 2026-11-23 (YYYY-MM-DD)`},
		{"no document", func(v *v1alpha1.Vendor) { v.Spec.Source.Document = "" },
			`spec.source.document: Required value: the title of the vendor's document`},
		{"no transcription date", func(v *v1alpha1.Vendor) { v.Spec.Source.Transcribed = "" },
			`spec.source.transcribed: Required value: a date such as 2026-11-23`},
		{"notes too long", func(v *v1alpha1.Vendor) { v.Spec.Endpoints[0].Notes = strings.Repeat("é", 2049) },
			`spec.endpoints[0].notes: Too long: may not be more than 2048 characters`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			v := acme()
			tc.change(v)
			y, err := sigsyaml.Marshal(v)
			g.Expect(err).NotTo(HaveOccurred())

			vendors, err := Load(bytes.NewReader(y))
			g.Expect(vendors).To(BeNil())
			g.Expect(err).To(MatchError(fmt.Sprintf("document 0: Vendor %q: %s", v.Name, tc.want)))

			// Validate reports the same, without the document and vendor.
			errs := Validate(v)
			g.Expect(errs).To(HaveLen(1))
			g.Expect(errs[0].Error()).To(Equal(tc.want))
		})
	}
}

// TestLoadReportsEveryError checks that one Load reports every problem of every
// document, so a catalog file is fixed in one go.
func TestLoadReportsEveryError(t *testing.T) {
	g := NewWithT(t)
	a := acme()
	a.Spec.Endpoints[0].Addresses[0].CIDR = "10.0.0.1/8"
	a.Spec.Endpoints[1].Ports = nil
	b := acme()
	b.Name = "second"
	b.Spec.Endpoints[1].Hostnames[0].Name = "*.acme.example"
	var buf bytes.Buffer
	for _, v := range []*v1alpha1.Vendor{a, acme(), b} {
		y, err := sigsyaml.Marshal(v)
		g.Expect(err).NotTo(HaveOccurred())
		buf.WriteString("---\n")
		buf.Write(y)
	}
	_, err := Load(&buf)
	g.Expect(err).To(HaveOccurred())
	g.Expect(strings.Split(err.Error(), "\n")).To(Equal([]string{
		`document 0: Vendor "acme": spec.endpoints[0].addresses[0].cidr: Invalid value: "10.0.0.1/8": host bits set; write 10.0.0.0/8`,
		`document 0: Vendor "acme": spec.endpoints[1].ports: Required value: an Egress endpoint group must list the ports the pods connect to`,
		`document 2: Vendor "second": spec.endpoints[1].hostnames[0].name: Invalid value: "*.acme.example": wildcard hostnames are not supported; list each hostname, for example sg1.workato.com`,
	}))
}

// TestValidateGoodCIDRs checks forms that must be accepted.
func TestValidateGoodCIDRs(t *testing.T) {
	for _, c := range []string{"52.5.142.59/32", "10.0.0.0/8", "0.0.0.0/1", "128.0.0.0/1", "2001:db8::/32", "2001:db8::1/128", "::1/128", "::/1", "fe80::/10"} {
		g := NewWithT(t)
		g.Expect(validateCIDR(nil, c)).To(BeEmpty(), c)
	}
	for _, h := range []string{"workato.com", "sg1.workato.com", "a", "0.example", "x--y.example", strings.Repeat("a", 63) + ".example"} {
		g := NewWithT(t)
		g.Expect(validateHostname(nil, h)).To(BeEmpty(), h)
	}
}
