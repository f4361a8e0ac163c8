/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden with the renderer's current output")

// goldenCase renders testdata/input with resolved addresses and compares the YAML
// stream of the policies with testdata/name.golden.
type goldenCase struct {
	name     string
	input    string
	resolved map[string][]string
}

// goldenCases are shared by the golden, determinism and judge tests.
var goldenCases = []goldenCase{
	{name: "workato-inbound", input: "workato-inbound.yaml"},
	// DNS has not answered: the addresses the catalog publishes for the hostnames.
	{name: "workato-opa-gateways", input: "workato-opa-gateways.yaml"},
	// DNS answered for sg1 with published and new addresses, repeated and out of
	// order, and for a hostname the plan does not render.
	{name: "workato-opa-gateways-resolved", input: "workato-opa-gateways.yaml", resolved: map[string][]string{
		"sg1.workato.com":   {"54.84.241.116", "3.210.10.10", "50.16.101.13", "3.210.10.10", "3.5.0.1", "::ffff:3.5.0.1"},
		"unrelated.example": {"192.0.2.1"},
	}},
	{name: "workato-opa-gateways-deprecated", input: "workato-opa-gateways-deprecated.yaml"},
	// A hostname-only group: no rule until DNS answers, never a rule without peers.
	{name: "workato-web-unresolved", input: "workato-web.yaml"},
	{name: "workato-web-partly-resolved", input: "workato-web.yaml", resolved: map[string][]string{
		"www.workato.com": {"3.33.200.1", "3.33.200.2"},
	}},
	{name: "workato-all", input: "workato-all.yaml", resolved: map[string][]string{
		"www.workato.com":  {"3.33.200.1"},
		"apim.workato.com": {},
	}},
	{name: "allow-dns-false", input: "allow-dns-false.yaml"},
	{name: "cluster-dns", input: "cluster-dns.yaml"},
	{name: "cluster-dns-namespace", input: "cluster-dns-namespace.yaml"},
	{name: "freshchat-eu", input: "freshchat-eu.yaml"},
	{name: "freshchat-all-ports", input: "freshchat-all-ports.yaml"},
	// Customer hostnames that DNS has not answered for: the ingress policy isolates
	// the pods and opens nothing.
	{name: "outsystems-front-ends-unresolved", input: "outsystems-front-ends.yaml"},
	{name: "outsystems-front-ends", input: "outsystems-front-ends.yaml", resolved: map[string][]string{
		"fe1.acme.example.com": {"198.51.100.23"},
		"fe2.acme.example.com": {"198.51.100.24", "198.51.100.23"},
	}},
	{name: "outsystems-vpn", input: "outsystems-vpn.yaml"},
	{name: "outsystems-both", input: "outsystems-both.yaml", resolved: map[string][]string{
		"fe1.acme.example.com": {"198.51.100.23"},
	}},
	{name: "threobuilder", input: "threobuilder.yaml"},
	{name: "custom", input: "custom.yaml", resolved: map[string][]string{
		"api.partner.example.com": {"203.0.113.10", "192.0.2.99", "2001:db8::10", "::ffff:192.0.2.200"},
	}},
	{name: "ipv6", input: "ipv6.yaml", resolved: map[string][]string{
		"v6.partner.example.com": {"2001:db8:abcd::5", "2001:db8:ffff::1", "2001:DB8:FFFF::1", "192.0.2.1"},
	}},
	{name: "multi-vendor", input: "multi-vendor.yaml", resolved: map[string][]string{
		"sg.workato.com":           {"34.192.94.13", "3.90.0.7"},
		"acme.zendesk.example.com": {"216.198.0.10"},
	}},
	// Ingress targets, one file per kind: the policies, then what each target writes.
	{name: "targets-service", input: "targets-service.yaml"},
	{name: "targets-ingress-nginx", input: "targets-ingress-nginx.yaml"},
	{name: "targets-envoy-gateway", input: "targets-envoy-gateway.yaml"},
	{name: "targets-istio", input: "targets-istio.yaml"},
	{name: "targets-traefik", input: "targets-traefik.yaml", resolved: map[string][]string{
		"hooks.partner.example.com": {"198.51.100.7", "203.0.113.5"},
	}},
	// Hostnames only and no answer yet: no address, so nothing is written.
	{name: "targets-outsystems-unresolved", input: "targets-outsystems.yaml"},
	{name: "targets-outsystems", input: "targets-outsystems.yaml", resolved: map[string][]string{
		"fe1.acme.example.com": {"198.51.100.23"},
		"fe2.acme.example.com": {"198.51.100.24", "2001:db8::24"},
	}},
}

// TestRenderGolden renders every case and compares it with its golden file. Run
// `go test ./internal/render/ -run TestRenderGolden -update` to rewrite them, and
// review the diff.
func TestRenderGolden(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			if seen[tc.name] {
				t.Fatalf("two golden cases named %s", tc.name)
			}
			seen[tc.name] = true
			plan := compile(t, loadAllowlist(t, tc.input))
			result := plan.Build(resolvedOf(t, tc.resolved))
			checkSummaries(t, result)
			got := append(goldenHeader(tc), marshalStream(t, result.Policies)...)
			got = append(got, marshalTargets(t, result.Targets)...)

			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs (-want +got), run with -update if the change is intended:\n%s", path, cmp.Diff(string(want), string(got)))
			}
		})
	}
}

// TestGoldenFilesHaveCases fails on a golden file no case writes any more, so stale
// goldens do not linger after a case is renamed.
func TestGoldenFilesHaveCases(t *testing.T) {
	names := map[string]bool{}
	for _, tc := range goldenCases {
		names[tc.name] = true
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".golden")
		if !names[name] {
			t.Errorf("%s belongs to no golden case: remove it", f)
		}
	}
}

// goldenHeader says, in the golden file, what was rendered, so a reviewer can read
// the file alone.
func goldenHeader(tc goldenCase) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Rendered from testdata/%s\n", tc.input)
	if len(tc.resolved) == 0 {
		b.WriteString("# with no DNS answers.\n")
	} else {
		b.WriteString("# with DNS answers:\n")
		for _, name := range sortedKeys(tc.resolved) {
			fmt.Fprintf(&b, "#   %s: [%s]\n", name, strings.Join(tc.resolved[name], ", "))
		}
	}
	b.WriteString("# Generated by TestRenderGolden: do not edit, run go test -update.\n")
	return []byte(b.String())
}

// checkSummaries: status.policies, which the render summarizes, names each policy
// with its direction and counts the address blocks it holds.
func checkSummaries(t *testing.T, result render.Result) {
	t.Helper()
	if len(result.Summaries) != len(result.Policies) {
		t.Fatalf("%d summaries of %d policies", len(result.Summaries), len(result.Policies))
	}
	for i, p := range result.Policies {
		var blocks int32
		for _, r := range p.Spec.Ingress {
			for _, peer := range r.From {
				if peer.IPBlock != nil {
					blocks++
				}
			}
		}
		for _, r := range p.Spec.Egress {
			for _, peer := range r.To {
				if peer.IPBlock != nil {
					blocks++
				}
			}
		}
		want := v1alpha1.RenderedPolicy{Name: p.Name, Direction: v1alpha1.Direction(p.Spec.PolicyTypes[0]), Peers: blocks}
		if result.Summaries[i] != want {
			t.Errorf("summary %d is %+v, want %+v", i, result.Summaries[i], want)
		}
	}
}
