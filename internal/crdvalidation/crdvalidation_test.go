/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package crdvalidation_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	crds "github.com/vendorallowlist/vendor-allowlist-operator/config/crd/bases"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/crdvalidation"
)

const allowlistCRD = "networking.vendorallowlist.io_vendorallowlists.yaml"

func TestDefaultKnowsTheKinds(t *testing.T) {
	var got []string
	for _, gvk := range crdvalidation.Default().Kinds() {
		got = append(got, gvk.String())
	}
	want := []string{
		"networking.vendorallowlist.io/v1alpha1, Kind=Vendor",
		"networking.vendorallowlist.io/v1alpha1, Kind=VendorAllowlist",
	}
	if !slices.Equal(got, want) {
		t.Errorf("kinds %v, want %v", got, want)
	}
}

// allowlistWithHostnames is a VendorAllowlist naming n hostnames for outsystems.
func allowlistWithHostnames(n int) []byte {
	var hosts []string
	for i := range n {
		hosts = append(hosts, fmt.Sprintf("%q", fmt.Sprintf("fe%d.example.com", i)))
	}
	return fmt.Appendf(nil, `{"apiVersion": "networking.vendorallowlist.io/v1alpha1", "kind": "VendorAllowlist",
		"metadata": {"name": "fe", "namespace": "default"},
		"spec": {"podSelector": {}, "vendors": [{"name": "outsystems", "ports": [{"port": 443}], "hostnames": [%s]}]}}`,
		strings.Join(hosts, ", "))
}

// TestFollowsACRDLimit lowers a limit in a copy of the generated CRD (maxItems of
// spec.vendors[].hostnames, from 64 to 8) and requires a validator built from that
// copy to enforce it, with no other change anywhere: the limits live in the CRD only.
func TestFollowsACRDLimit(t *testing.T) {
	data, err := crds.FS.ReadFile(allowlistCRD)
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(data, crd); err != nil {
		t.Fatal(err)
	}
	hostnames := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["vendors"].Items.Schema.Properties["hostnames"]
	if hostnames.MaxItems == nil || *hostnames.MaxItems != 64 {
		t.Fatalf("spec.vendors[].hostnames has maxItems %v in the generated CRD, want 64", hostnames.MaxItems)
	}
	eight := int64(8)
	hostnames.MaxItems = &eight
	crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["vendors"].Items.Schema.Properties["hostnames"] = hostnames
	changed, err := yaml.Marshal(crd)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, allowlistCRD), changed, 0o644); err != nil {
		t.Fatal(err)
	}
	lowered, err := crdvalidation.FromFS(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		v    *crdvalidation.Validator
		n    int
		want string // "" for accepted
	}{
		{crdvalidation.Default(), 9, ""},
		{crdvalidation.Default(), 65, "spec.vendors[0].hostnames: Too many: 65: must have at most 64 items"},
		{lowered, 8, ""},
		{lowered, 9, "spec.vendors[0].hostnames: Too many: 9: must have at most 8 items"},
	} {
		res, err := tc.v.ValidateJSON(allowlistWithHostnames(tc.n), "")
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(res.Problems(), "\n")
		switch {
		case tc.want == "" && !res.OK():
			t.Errorf("%d hostnames refused: %s", tc.n, got)
		case tc.want != "" && !strings.Contains(got, tc.want):
			t.Errorf("%d hostnames: got %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestValidateJSONRefusesWhatIsNotAnObjectOfItsKinds(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"not JSON", `{"kind": `, "unexpected end of JSON input"},
		{"not an object", `null`, "not an object"},
		{"a list", `[1]`, "cannot unmarshal array"},
		{"a field twice", `{"apiVersion": "networking.vendorallowlist.io/v1alpha1", "kind": "Vendor", "kind": "Vendor"}`, `duplicate field "kind"`},
		{"another version", `{"apiVersion": "networking.vendorallowlist.io/v1", "kind": "Vendor"}`, `apiVersion "networking.vendorallowlist.io/v1", kind "Vendor": no CRD`},
		{"another kind", `{"apiVersion": "v1", "kind": "ConfigMap"}`, "no CRD for this apiVersion and kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := crdvalidation.Default().ValidateJSON([]byte(tc.in), "default")
			if err == nil {
				t.Fatalf("accepted, with %v", res.Problems())
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want %q", err, tc.want)
			}
		})
	}
	_, err := crdvalidation.Default().ValidateJSON([]byte(`{"apiVersion": "v1", "kind": "ConfigMap"}`), "")
	if !errors.Is(err, crdvalidation.ErrUnknownKind) {
		t.Errorf("error %v, want ErrUnknownKind", err)
	}
}

// TestProblems checks the lines a person reads: the server's text, with the path in
// front where the server leaves it out, and the hints the server does not give.
func TestProblems(t *testing.T) {
	const head = `"apiVersion": "networking.vendorallowlist.io/v1alpha1", "kind": "VendorAllowlist", "metadata": {"name": "a"}`
	for _, tc := range []struct {
		name, spec string
		want       []string // the lines, in order
		skipped    bool     // the CEL rules were not run
	}{
		{
			name: "a field misspelt",
			spec: `{"podSelector": {}, "vendors": [{"name": "threobuilder", "port": [{"port": 443}]}]}`,
			want: []string{"spec.vendors[0].port: Unknown field: did you mean ports? (the fields of spec.vendors[0] are allPorts, cidrs, directions, endpoints, hostnames, includeDeprecated, name, ports, privateAddresses, regions)"},
		},
		{
			name: "a field in the wrong case",
			spec: `{"podSelector": {}, "vendors": [{"name": "threobuilder", "allports": true}]}`,
			want: []string{"spec.vendors[0].allports: Unknown field: field names are case-sensitive: write allPorts"},
		},
		{
			name: "a field unlike any",
			spec: `{"podSelector": {}, "vendors": [{"name": "workato"}], "clusterDNS": {"server": "10.96.0.10"}}`,
			want: []string{"spec.clusterDNS.server: Unknown field: spec.clusterDNS has no such field, check the spelling and the indentation: its fields are namespace, podSelector"},
		},
		{
			name: "a string for a number",
			spec: `{"podSelector": {}, "custom": [{"name": "x", "direction": "Egress", "cidrs": ["10.0.0.0/8"], "ports": [{"port": "https"}]}]}`,
			want: []string{
				`spec.custom[0].ports[0].port: Invalid value: "string": spec.custom[0].ports[0].port in body must be of type integer: "string" (the value is "https": check the quoting and the indentation)`,
			},
			skipped: true,
		},
		{
			// The schema reports the overflow with no path; the port's rule says
			// what a port may be.
			name: "a port beyond int32",
			spec: `{"podSelector": {}, "custom": [{"name": "x", "direction": "Egress", "cidrs": ["10.0.0.0/8"], "ports": [{"port": 4294967739}]}]}`,
			want: []string{
				"spec.custom[0].ports[0].port: Invalid value: 4294967739: out of range for an int32, which holds whole numbers from -2147483648 to 2147483647",
				"spec.custom[0].ports[0]: Invalid value: port must be between 1 and 65535, for example 443",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := crdvalidation.Default().ValidateJSON([]byte("{"+head+`, "spec": `+tc.spec+"}"), "default")
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Problems(); !slices.Equal(got, tc.want) {
				t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if res.RulesSkipped() != tc.skipped {
				t.Errorf("RulesSkipped() = %v, want %v", res.RulesSkipped(), tc.skipped)
			}
		})
	}
}

// TestStoredObject checks what Validate makes of the object, as the server does
// before storing it: defaults filled in, status dropped, a cluster-scoped object
// without a namespace, a name generated from generateName.
func TestStoredObject(t *testing.T) {
	v := crdvalidation.Default()
	res, err := v.ValidateJSON([]byte(`{"apiVersion": "networking.vendorallowlist.io/v1alpha1", "kind": "VendorAllowlist",
		"metadata": {"generateName": "payments-"},
		"spec": {"podSelector": {}, "custom": [{"name": "x", "direction": "Egress", "cidrs": ["10.0.0.0/8"], "ports": [{"port": 443}]}]},
		"status": {"observedGeneration": 3}}`), "team-a")
	if err != nil || !res.OK() {
		t.Fatalf("%v %v", err, res.Problems())
	}
	u := res.Object
	if !strings.HasPrefix(u.GetName(), "payments-") || len(u.GetName()) != len("payments-")+5 || u.GetNamespace() != "team-a" {
		t.Errorf("name %q, namespace %q: want a generated name in team-a", u.GetName(), u.GetNamespace())
	}
	for path, want := range map[string]any{"spec.allowDNS": true, "spec.custom[0].ports[0].protocol": "TCP", "spec.custom[0].privateAddresses": "Block"} {
		if got, _ := crdvalidation.ValueAt(u.Object, path); got != want {
			t.Errorf("%s = %#v, want %#v", path, got, want)
		}
	}
	// The status written is dropped; what is left is the schema's default for it.
	if st, ok := u.Object["status"].(map[string]any); !ok || len(st) != 1 || st["observedGeneration"] != int64(-1) {
		t.Errorf("status %v, want only the default observedGeneration: -1", u.Object["status"])
	}

	res, err = v.ValidateJSON([]byte(`{"apiVersion": "networking.vendorallowlist.io/v1alpha1", "kind": "Vendor",
		"metadata": {"name": "acme", "namespace": "default"},
		"spec": {"endpoints": [{"name": "api", "direction": "Egress", "ports": [{"port": 443}], "customerInput": "CIDRs"}]}}`), "team-a")
	if err != nil || !res.OK() {
		t.Fatalf("%v %v", err, res.Problems())
	}
	if ns := res.Object.GetNamespace(); ns != "" {
		t.Errorf("a Vendor kept namespace %q", ns)
	}
}
