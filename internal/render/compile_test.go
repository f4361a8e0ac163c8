/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// TestCompileErrors: an allowlist the catalog cannot render fails with the Ready
// reason for it, naming the field to fix and saying how.
func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		spec   string // spec: of the allowlist, podSelector {} added
		reason string
		fields []string // every field the error names, in order
		says   []string // words the message must hold
	}{
		{
			name:   "unknown vendor",
			spec:   `vendors: [{name: slack, ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonUnknownVendor,
			fields: []string{"spec.vendors[0].name"},
			says:   []string{"slack", "known: atlassian, aws, cloudflare, datadog, freshchat, github, google, outsystems, stripe, threobuilder, workato", "Vendor object"},
		},
		{
			name:   "unknown vendor, second in the list",
			spec:   `vendors: [{name: threobuilder, ports: [{port: 443}]}, {name: workatoo}]`,
			reason: v1alpha1.ReasonUnknownVendor,
			fields: []string{"spec.vendors[1].name"},
			says:   []string{"workatoo", "known: atlassian, aws, cloudflare, datadog, freshchat, github, google, outsystems, stripe, threobuilder, workato"},
		},
		{
			name:   "unknown endpoint group",
			spec:   `vendors: [{name: workato, endpoints: [opa-gateways, opa]}]`,
			reason: v1alpha1.ReasonUnknownEndpoint,
			fields: []string{"spec.vendors[0].endpoints[1]"},
			says:   []string{`"opa"`, `"inbound", "opa-gateways", "apim-custom-domains", "web"`},
		},
		{
			name:   "endpoint group excluded by directions",
			spec:   `vendors: [{name: workato, directions: [Egress], endpoints: [inbound]}]`,
			reason: v1alpha1.ReasonUnknownEndpoint,
			fields: []string{"spec.vendors[0].endpoints[0]"},
			says:   []string{"workato/inbound is Ingress", "add Ingress to directions"},
		},
		{
			name:   "direction the vendor does not publish",
			spec:   `vendors: [{name: threobuilder, directions: [Egress]}]`,
			reason: v1alpha1.ReasonUnknownEndpoint,
			fields: []string{"spec.vendors[0].directions[0]"},
			says:   []string{`"Egress"`, `supported values: "Ingress"`},
		},
		{
			name:   "unknown region",
			spec:   `vendors: [{name: freshchat, regions: [EU, MARS], ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonUnknownRegion,
			fields: []string{"spec.vendors[0].regions[1]"},
			says:   []string{`"MARS"`, `"AU", "EU", "IN", "US"`},
		},
		{
			name:   "region for a vendor without regions",
			spec:   `vendors: [{name: workato, endpoints: [opa-gateways], regions: [US]}]`,
			reason: v1alpha1.ReasonUnknownRegion,
			fields: []string{"spec.vendors[0].regions[0]"},
			says:   []string{"workato publishes no regions", "remove regions"},
		},
		{
			name:   "outsystems front-ends named without hostnames",
			spec:   `vendors: [{name: outsystems, endpoints: [front-ends], ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonMissingInput,
			fields: []string{"spec.vendors[0].hostnames"},
			says:   []string{"outsystems/front-ends is specific to each customer", "list yours in hostnames", "List every front-end"},
		},
		{
			name:   "outsystems vpn named without cidrs",
			spec:   `vendors: [{name: outsystems, endpoints: [vpn], ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonMissingInput,
			fields: []string{"spec.vendors[0].cidrs"},
			says:   []string{"outsystems/vpn is specific to each customer", "list yours in cidrs"},
		},
		{
			name:   "outsystems with neither input",
			spec:   `vendors: [{name: outsystems, ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonMissingInput,
			fields: []string{"spec.vendors[0]"},
			says:   []string{"front-ends needs spec.vendors[0].hostnames", "vpn needs spec.vendors[0].cidrs"},
		},
		{
			name:   "ingress without ports",
			spec:   `vendors: [{name: workato, endpoints: [inbound]}]`,
			reason: v1alpha1.ReasonPortsRequired,
			fields: []string{"spec.vendors[0].ports"},
			says:   []string{"workato sends Ingress traffic", "allPorts: true"},
		},
		{
			name:   "ingress without ports, by default directions",
			spec:   `vendors: [{name: freshchat, regions: [EU]}]`,
			reason: v1alpha1.ReasonPortsRequired,
			fields: []string{"spec.vendors[0].ports"},
			says:   []string{"freshchat sends Ingress traffic"},
		},
		{
			name:   "custom entry without ports",
			spec:   `custom: [{name: partner, direction: Egress, cidrs: [192.0.2.0/24]}]`,
			reason: v1alpha1.ReasonPortsRequired,
			fields: []string{"spec.custom[0].ports"},
			says:   []string{"allPorts: true"},
		},
		{
			name:   "ports on an egress-only selection",
			spec:   `vendors: [{name: workato, endpoints: [opa-gateways], ports: [{protocol: TCP, port: 443}]}]`,
			reason: v1alpha1.ReasonInvalidSpec,
			fields: []string{"spec.vendors[0].ports"},
			says:   []string{"TCP/443", "apply to Ingress only", "remove them"},
		},
		{
			// The message quotes the ports as the renderer reads them: protocol
			// defaults to TCP, and a range is a range. (Allowlists rendered from a
			// file, as the kubectl plugin does, are not defaulted by an API server.)
			name:   "ports on an egress-only selection, default protocol and a range",
			spec:   `vendors: [{name: workato, endpoints: [web], ports: [{port: 443}, {protocol: UDP, port: 8000, endPort: 8080}]}]`,
			reason: v1alpha1.ReasonInvalidSpec,
			fields: []string{"spec.vendors[0].ports"},
			says:   []string{`"TCP/443,UDP/8000-8080"`},
		},
		{
			name:   "allPorts on an egress-only selection",
			spec:   `vendors: [{name: workato, directions: [Egress], allPorts: true}]`,
			reason: v1alpha1.ReasonInvalidSpec,
			fields: []string{"spec.vendors[0].ports"},
			says:   []string{"allPorts: true", "apply to Ingress only"},
		},
		{
			name:   "hostnames on a vendor that takes none",
			spec:   `vendors: [{name: workato, hostnames: [sg1.workato.com], ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonInvalidSpec,
			fields: []string{"spec.vendors[0].hostnames"},
			says:   []string{"no selected endpoint group of workato takes customer hostnames"},
		},
		{
			name:   "hostnames for the outsystems group that takes cidrs",
			spec:   `vendors: [{name: outsystems, endpoints: [vpn], cidrs: [10.0.0.0/16], hostnames: [fe1.acme.example.com], ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonInvalidSpec,
			fields: []string{"spec.vendors[0].hostnames"},
			says:   []string{"takes customer hostnames"},
		},
		{
			name:   "cidrs on a vendor that takes none",
			spec:   `vendors: [{name: freshchat, cidrs: [192.0.2.0/24], ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonInvalidSpec,
			fields: []string{"spec.vendors[0].cidrs"},
			says:   []string{"takes customer CIDRs", "spec.custom"},
		},
		{
			name:   "the whole address space",
			spec:   `custom: [{name: all, direction: Egress, cidrs: [0.0.0.0/0], ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonInvalidSpec,
			fields: []string{"spec.custom[0].cidrs"},
			says:   []string{"0.0.0.0/0", "52.1.37.96/32"},
		},
		{
			name:   "the whole IPv6 address space as customer input",
			spec:   `vendors: [{name: outsystems, cidrs: ["::/0"], ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonInvalidSpec,
			fields: []string{"spec.vendors[0].cidrs"},
			says:   []string{"::/0"},
		},
		{
			name:   "not a CIDR",
			spec:   `custom: [{name: bad, direction: Ingress, cidrs: [192.0.2.1], ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonInvalidSpec,
			fields: []string{"spec.custom[0].cidrs"},
			says:   []string{"192.0.2.1"},
		},
		{
			name: "every error is reported, with the first one's reason",
			spec: `
vendors: [{name: slack}, {name: workato, endpoints: [inbound]}]
custom: [{name: partner, direction: Egress, cidrs: [192.0.2.0/24]}]`,
			reason: v1alpha1.ReasonUnknownVendor,
			fields: []string{"spec.vendors[0].name", "spec.vendors[1].ports", "spec.custom[0].ports"},
			says:   []string{"slack", "workato sends Ingress traffic"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := parseAllowlist(t, "metadata: {name: a, namespace: n}\nspec:\n  podSelector: {}\n"+indent(tc.spec, "  "))
			plan, err := render.Compile(a, builtin(), opts)
			if err == nil {
				t.Fatalf("Compile succeeded with %d hostnames, want %s", len(plan.Hostnames()), tc.reason)
			}
			if plan != nil {
				t.Errorf("Compile returned a plan and an error")
			}
			var rerr *render.Error
			if !errors.As(err, &rerr) {
				t.Fatalf("error %T %v, want a *render.Error", err, err)
			}
			if rerr.Reason != tc.reason {
				t.Errorf("Reason %q, want %q (%v)", rerr.Reason, tc.reason, err)
			}
			var fields []string
			for _, e := range rerr.Errors {
				fields = append(fields, e.Field)
			}
			if diff := cmp.Diff(tc.fields, fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s\nerror: %v", diff, err)
			}
			msg := err.Error()
			for _, f := range tc.fields {
				if !strings.Contains(msg, f) {
					t.Errorf("message does not name %s: %s", f, msg)
				}
			}
			for _, s := range tc.says {
				if !strings.Contains(msg, s) {
					t.Errorf("message does not say %q: %s", s, msg)
				}
			}
		})
	}
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

// TestCompileAccepts: selections that read like mistakes but are fine.
func TestCompileAccepts(t *testing.T) {
	for _, spec := range []string{
		// Ports for the ingress part of a vendor with both directions.
		`vendors: [{name: workato, ports: [{port: 443}]}]`,
		// Directions that leave out the groups needing input nobody gave.
		`vendors: [{name: outsystems, hostnames: [fe1.acme.example.com], ports: [{port: 443}]}]`,
		// A region that has no address in the group still names a region.
		`vendors: [{name: freshchat, regions: [AU], allPorts: true}]`,
		// Egress-only workato needs no ports.
		`vendors: [{name: workato, directions: [Egress]}]`,
		// Custom entries only.
		`custom: [{name: partner, direction: Ingress, hostnames: [api.partner.example.com], allPorts: true}]`,
	} {
		a := parseAllowlist(t, "metadata: {name: a, namespace: n}\nspec:\n  podSelector: {}\n"+indent(spec, "  "))
		if _, err := render.Compile(a, builtin(), opts); err != nil {
			t.Errorf("Compile(%s): %v", spec, err)
		}
	}
}

// TestCompileWithFakeCatalog drives the renderer with a catalog written here: region
// tags on hostnames, published hostname addresses, IPv6 in the catalog, and a bad
// catalog CIDR reported with the vendor's field path instead of rendered.
func TestCompileWithFakeCatalog(t *testing.T) {
	cat := fakeCatalog{
		"acme": {
			ObjectMeta: metav1.ObjectMeta{Name: "acme"},
			Spec: v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{
				{
					Name: "api", Direction: v1alpha1.DirectionEgress,
					Ports: []v1alpha1.Port{{Protocol: v1alpha1.ProtocolTCP, Port: 443}},
					Hostnames: []v1alpha1.PublishedHostname{
						{Name: "eu.api.acme.example", Region: "EU", Addresses: []v1alpha1.CIDR{"2001:db8:e0::/48", "192.0.2.10/32"}},
						{Name: "us.api.acme.example", Region: "US", Addresses: []v1alpha1.CIDR{"192.0.2.20/32"}},
						{Name: "api.acme.example"},
					},
				},
				{
					Name: "hooks", Direction: v1alpha1.DirectionIngress,
					Addresses: []v1alpha1.PublishedAddress{
						{CIDR: "198.51.100.0/28", Region: "EU"},
						{CIDR: "198.51.100.16/28", Region: "US"},
						{CIDR: "198.51.100.99/32", Deprecated: &v1alpha1.Deprecation{Since: "2020-01-01"}},
					},
				},
			}},
		},
		"broken": {
			ObjectMeta: metav1.ObjectMeta{Name: "broken"},
			Spec: v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{{
				Name: "all", Direction: v1alpha1.DirectionEgress,
				Ports:     []v1alpha1.Port{{Port: 443}},
				Addresses: []v1alpha1.PublishedAddress{{CIDR: "0.0.0.0/0"}},
			}}},
		},
	}

	a := parseAllowlist(t, `
metadata: {name: acme, namespace: n}
spec:
  podSelector: {}
  allowDNS: false
  vendors: [{name: acme, regions: [EU], ports: [{port: 8443}]}]
`)
	plan, err := render.Compile(a, cat, opts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"api.acme.example", "eu.api.acme.example"}, plan.Hostnames()); diff != "" {
		t.Errorf("Hostnames with regions [EU] (-want +got):\n%s", diff)
	}
	want := []string{
		"acme-ingress Ingress",
		"  from 198.51.100.0/28 ports TCP/8443",
		"acme-egress Egress",
		"  to 192.0.2.10/32 192.0.2.30/32 2001:db8:e0::/48 ports TCP/443",
	}
	got := summarize(plan.Render(resolvedOf(t, map[string][]string{
		"api.acme.example":    {"192.0.2.30"},
		"us.api.acme.example": {"192.0.2.40"},
	})))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}

	b := parseAllowlist(t, `
metadata: {name: b, namespace: n}
spec:
  podSelector: {}
  vendors: [{name: broken}]
`)
	_, err = render.Compile(b, cat, opts)
	var rerr *render.Error
	if !errors.As(err, &rerr) || rerr.Reason != v1alpha1.ReasonInvalidSpec || len(rerr.Errors) != 1 || rerr.Errors[0].Field != "vendor.broken.spec.endpoints[all]" {
		t.Errorf("a catalog entry opening 0.0.0.0/0: got %v, want InvalidSpec at vendor.broken.spec.endpoints[all]", err)
	}
}
