/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"regexp"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	sigsyaml "sigs.k8s.io/yaml"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
)

func TestCatalogTable(t *testing.T) {
	r := runPlugin(t, "", "catalog")
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	wantContains(t, "catalog", r.stdout, "VENDOR", "GROUP", "DIRECTION", "PORTS", "REGIONS", "ADDRESSES", "HOSTNAMES", "CUSTOMER INPUT")
	// Every vendor and group, with its direction.
	rows := []string{
		`workato +inbound +Ingress`,
		`workato +opa-gateways +Egress +TCP/443 +- +9 +3 +None`,
		`workato +apim-custom-domains +Egress +TCP/443`,
		`workato +web +Egress +TCP/443`,
		`freshchat +webhooks +Ingress +- +AU,EU,IN,US +43`,
		`outsystems +front-ends +Ingress .* Hostnames`,
		`outsystems +vpn +Ingress .* CIDRs`,
		`threobuilder +agents +Ingress +- +- +6`,
	}
	for _, row := range rows {
		if !regexp.MustCompile(`(?m)^` + row).MatchString(r.stdout) {
			t.Errorf("no row matching %q:\n%s", row, r.stdout)
		}
	}

	// Names choose vendors.
	r = runPlugin(t, "", "catalog", "threobuilder")
	if r.code != 0 || strings.Contains(r.stdout, "workato") || !strings.Contains(r.stdout, "threobuilder") {
		t.Errorf("catalog threobuilder: exit %d\n%s", r.code, r.stdout)
	}
	r = runPlugin(t, "", "catalog", "nosuch")
	if r.code != 1 {
		t.Errorf("catalog nosuch: exit %d, want 1", r.code)
	}
	wantContains(t, "stderr", r.stderr, `no vendor "nosuch" in the catalog (known: atlassian, aws, cloudflare, datadog, freshchat, github, google, outsystems, stripe, threobuilder, workato)`)
}

// -o yaml prints Vendor objects that load back as the catalog.
func TestCatalogYAML(t *testing.T) {
	r := runPlugin(t, "", "catalog", "-o", "yaml")
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	vendors, err := catalog.Load(strings.NewReader(r.stdout))
	if err != nil {
		t.Fatalf("catalog -o yaml does not load back: %v", err)
	}
	want := catalog.Builtin().Vendors()
	if len(vendors) != len(want) {
		t.Fatalf("%d vendors, want %d", len(vendors), len(want))
	}
	for i := range want {
		if vendors[i].Name != want[i].Name || len(vendors[i].Spec.Endpoints) != len(want[i].Spec.Endpoints) {
			t.Errorf("vendor %d: %s with %d groups, want %s with %d", i, vendors[i].Name, len(vendors[i].Spec.Endpoints), want[i].Name, len(want[i].Spec.Endpoints))
		}
	}
	wantNotContains(t, "stdout", r.stdout, "creationTimestamp")

	// Flags may follow vendor names.
	r = runPlugin(t, "", "catalog", "workato", "-o", "yaml")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	wantContains(t, "stdout", r.stdout, "name: workato", "52.206.58.244/32", "deprecated:")
	wantNotContains(t, "stdout", r.stdout, "name: freshchat")
}

func TestCatalogVendors(t *testing.T) {
	dir := t.TempDir()
	vendors := writeFile(t, dir, "vendors.yaml", `apiVersion: networking.vendorallowlist.io/v1alpha1
kind: Vendor
metadata: {name: threobuilder}
spec:
  endpoints:
    - {name: agents, direction: Ingress, addresses: [{cidr: 198.51.100.0/24}]}
    - {name: api, direction: Egress, ports: [{port: 443}, {port: 8000, endPort: 8100, protocol: UDP}], hostnames: [{name: api.threo.example}]}
---
apiVersion: networking.vendorallowlist.io/v1alpha1
kind: Vendor
metadata: {name: acme}
spec:
  endpoints:
    - {name: hooks, direction: Ingress, addresses: [{cidr: 192.0.2.0/24, region: EU}]}
`)
	r := runPlugin(t, "", "catalog", "--vendors", vendors)
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	for _, row := range []string{
		`acme +hooks +Ingress +- +EU +1`,
		`threobuilder +agents +Ingress +- +- +1 `,
		`threobuilder +api +Egress +TCP/443,UDP/8000-8100 +- +0 +1`,
		`workato +inbound`,
	} {
		if !regexp.MustCompile(`(?m)^` + row).MatchString(r.stdout) {
			t.Errorf("no row matching %q:\n%s", row, r.stdout)
		}
	}

	// From standard input too; a bad Vendor is reported with its file and field.
	r = runPlugin(t, `apiVersion: networking.vendorallowlist.io/v1alpha1
kind: Vendor
metadata: {name: Bad_Name}
spec:
  endpoints: [{name: x, direction: Sideways, addresses: [{cidr: 192.0.2.0/24}]}]
`, "catalog", "--vendors", "-")
	if r.code != 1 || r.stdout != "" {
		t.Errorf("exit %d with output %q, want 1 and none", r.code, r.stdout)
	}
	wantContains(t, "stderr", r.stderr, "stdin: Vendor Bad_Name: metadata.name: Invalid value: \"Bad_Name\"",
		`stdin: Vendor Bad_Name: spec.endpoints[0].direction: Unsupported value: "Sideways"`)
}

// -o values prints the chart's vendors: value, which the chart installs as the same
// Vendor objects: name and spec, strictly.
func TestCatalogValues(t *testing.T) {
	r := runPlugin(t, "", "catalog", "-o", "values")
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	var values struct {
		Vendors []struct {
			Name string              `json:"name"`
			Spec v1alpha1.VendorSpec `json:"spec"`
		} `json:"vendors"`
	}
	if err := sigsyaml.UnmarshalStrict([]byte(r.stdout), &values); err != nil {
		t.Fatalf("catalog -o values is not the chart's vendors: value: %v\n%s", err, r.stdout)
	}
	want := catalog.Builtin().Vendors()
	if len(values.Vendors) != len(want) {
		t.Fatalf("%d vendors, want %d", len(values.Vendors), len(want))
	}
	for i, v := range values.Vendors {
		if v.Name != want[i].Name || !equality.Semantic.DeepEqual(v.Spec, want[i].Spec) {
			t.Errorf("vendor %d: %s, want %s with the same spec", i, v.Name, want[i].Name)
		}
	}
}
