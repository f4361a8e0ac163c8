/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// samplesDir holds the samples users apply; the egress goldens render them.
const samplesDir = "../../config/samples"

// egressBackends are the backends that enforce names, each with golden files.
var egressBackends = []render.EgressBackend{render.BackendCilium, render.BackendClusterNetworkPolicy, render.BackendGKE, render.BackendOVN}

// egressGoldenCase renders every allowlist of a file (a sample, or testdata) with
// a name backend.
type egressGoldenCase struct {
	name     string
	file     string // under samplesDir when sample, else testdata
	sample   bool
	resolved map[string][]string
}

var egressGoldenCases = []egressGoldenCase{
	// DNS answered sg1 with an address Workato does not publish: it stays out of the
	// NetworkPolicy, which keeps the published ones.
	{name: "sample-workato", file: "workato.yaml", sample: true, resolved: map[string][]string{"sg1.workato.com": {"3.210.10.10", "50.16.101.13"}}},
	{name: "sample-custom", file: "custom.yaml", sample: true},
	{name: "sample-outsystems", file: "outsystems.yaml", sample: true},
	{name: "sample-freshchat", file: "freshchat.yaml", sample: true},
	{name: "sample-threobuilder", file: "threobuilder.yaml", sample: true},
	// Hostname-only groups, one answered, one not: both by name.
	{name: "workato-all", file: "workato-all.yaml", resolved: map[string][]string{"www.workato.com": {"3.33.200.1"}}},
	// A custom hostname beside the entry's own networks, on TCP and UDP.
	{name: "custom", file: "custom.yaml", resolved: map[string][]string{"api.partner.example.com": {"203.0.113.10"}}},
	// The guard: sg1 answered a private address its entry does not allow, sg2 one the
	// guard forbids: both stay on their addresses, the private and forbidden left out.
	{name: "guard-fallback", file: "workato-opa-gateways.yaml", resolved: map[string][]string{
		"sg1.workato.com": {"10.1.2.3", "3.210.10.10"},
		"sg2.workato.com": {"127.0.0.1", "34.226.84.130"},
	}},
	// allowDNS false: Cilium and GKE cannot see the answers, and fall back.
	{name: "allow-dns-false", file: "allow-dns-false.yaml", resolved: map[string][]string{"sg1.workato.com": {"3.210.10.10"}}},
	{name: "multi-vendor", file: "multi-vendor.yaml", resolved: map[string][]string{"sg.workato.com": {"34.192.94.13", "3.90.0.7"}}},
	// A wildcard: by pattern, or refused where the backend cannot say it.
	{name: "wildcards", file: "wildcards.yaml", resolved: map[string][]string{"api.partner.example.com": {"203.0.113.10"}}},
}

// TestEgressBackendGolden renders every case with every name backend and compares
// the NetworkPolicies, status.egress and the backend's objects with
// testdata/egress/<backend>-<case>.golden. For OVN, whose one EgressFirewall per
// namespace is merged from every allowlist of the namespace, the merge of the
// file's allowlists. Run with -update to rewrite them.
func TestEgressBackendGolden(t *testing.T) {
	for _, backend := range egressBackends {
		for _, tc := range egressGoldenCases {
			t.Run(string(backend)+"/"+tc.name, func(t *testing.T) {
				got := renderEgressGolden(t, backend, tc)
				path := filepath.Join("testdata", "egress", string(backend)+"-"+tc.name+".golden")
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
}

// TestEgressGoldenFilesHaveCases fails on an egress golden file no case writes.
func TestEgressGoldenFilesHaveCases(t *testing.T) {
	names := map[string]bool{}
	for _, b := range egressBackends {
		for _, tc := range egressGoldenCases {
			names[string(b)+"-"+tc.name] = true
		}
	}
	files, err := filepath.Glob(filepath.Join("testdata", "egress", "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".golden"); !names[name] {
			t.Errorf("%s belongs to no egress golden case: remove it", f)
		}
	}
}

func renderEgressGolden(t *testing.T, backend render.EgressBackend, tc egressGoldenCase) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.Write(egressGoldenHeader(backend, tc))
	o := opts
	o.EgressBackend = backend
	var objects []*unstructured.Unstructured
	for _, a := range egressGoldenAllowlists(t, tc) {
		plan, err := render.Compile(a, builtin(), o)
		if err != nil {
			fmt.Fprintf(&buf, "# Compile refused %s:\n#   %s\n", a.Name, strings.ReplaceAll(err.Error(), "\n", "\n#   "))
			continue
		}
		result := plan.Build(resolvedOf(t, tc.resolved))
		buf.Write(marshalStream(t, result.Policies))
		fmt.Fprintf(&buf, "---\n# status.egress of %s\n", a.Name)
		buf.Write(mustMarshal(t, map[string]any{"egress": result.EgressRules}))
		objects = append(objects, result.EgressObjects...)
	}
	if backend == render.BackendOVN && len(objects) > 0 {
		objects = []*unstructured.Unstructured{render.MergeEgressFirewalls(objects)}
	}
	for _, obj := range objects {
		buf.WriteString("---\n")
		buf.Write(mustMarshal(t, obj.Object))
	}
	return buf.Bytes()
}

func egressGoldenHeader(backend render.EgressBackend, tc egressGoldenCase) []byte {
	var b strings.Builder
	from := "testdata/" + tc.file
	if tc.sample {
		from = "config/samples/" + tc.file + " (namespace integrations)"
	}
	fmt.Fprintf(&b, "# Rendered from %s with --egress-backend=%s\n", from, backend)
	if len(tc.resolved) == 0 {
		b.WriteString("# with no DNS answers.\n")
	} else {
		b.WriteString("# with DNS answers:\n")
		for _, name := range sortedKeys(tc.resolved) {
			fmt.Fprintf(&b, "#   %s: [%s]\n", name, strings.Join(tc.resolved[name], ", "))
		}
	}
	b.WriteString("# Generated by TestEgressBackendGolden: do not edit, run go test -update.\n")
	return []byte(b.String())
}

// egressGoldenAllowlists are the allowlists of the case's file, strictly decoded;
// a sample's get namespace integrations, as kubectl apply -n would give them.
func egressGoldenAllowlists(t *testing.T, tc egressGoldenCase) []*v1alpha1.VendorAllowlist {
	t.Helper()
	if !tc.sample {
		return []*v1alpha1.VendorAllowlist{loadAllowlist(t, tc.file)}
	}
	return loadSamples(t, filepath.Join(samplesDir, tc.file), "integrations")
}

// loadSamples decodes every VendorAllowlist of a multi-document file, strictly.
func loadSamples(t testing.TB, path, namespace string) []*v1alpha1.VendorAllowlist {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []*v1alpha1.VendorAllowlist
	for _, doc := range strings.Split(string(data), "\n---") {
		var probe struct{ Kind string }
		if err := yaml.Unmarshal([]byte(doc), &probe); err != nil || probe.Kind != "VendorAllowlist" {
			continue
		}
		a := parseAllowlist(t, doc)
		a.Namespace = namespace
		out = append(out, a)
	}
	if len(out) == 0 {
		t.Fatalf("%s holds no VendorAllowlist", path)
	}
	return out
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	out, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
