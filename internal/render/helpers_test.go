/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// builtin is the built-in catalog as the renderer sees it.
func builtin() render.Catalog { return catalog.Builtin() }

// documentationRanges are the addresses the tests use for vendors and DNS answers;
// the guard refuses them unless an admin allows them, as these options do.
var documentationRanges = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32"),
}

// opts renders what is written (no tenant limits), with documentation ranges allowed.
var opts = render.Options{Guard: guard.Guard{Allow: documentationRanges}}

// loadAllowlist decodes testdata/file strictly, so a typo in a test input fails
// instead of silently rendering something else.
func loadAllowlist(t testing.TB, file string) *v1alpha1.VendorAllowlist {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	var a v1alpha1.VendorAllowlist
	if err := yaml.UnmarshalStrict(data, &a); err != nil {
		t.Fatalf("testdata/%s: %v", file, err)
	}
	return &a
}

// parseAllowlist decodes an inline YAML allowlist strictly.
func parseAllowlist(t testing.TB, doc string) *v1alpha1.VendorAllowlist {
	t.Helper()
	var a v1alpha1.VendorAllowlist
	if err := yaml.UnmarshalStrict([]byte(doc), &a); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	return &a
}

// compile compiles against the built-in catalog and fails the test on an error.
func compile(t testing.TB, a *v1alpha1.VendorAllowlist) *render.Plan {
	t.Helper()
	plan, err := render.Compile(a, builtin(), opts)
	if err != nil {
		t.Fatalf("Compile(%s): %v", a.Name, err)
	}
	return plan
}

// marshalStream writes policies as a YAML stream, one document each.
func marshalStream(t testing.TB, policies []networkingv1.NetworkPolicy) []byte {
	t.Helper()
	var buf bytes.Buffer
	for i := range policies {
		out, err := yaml.Marshal(&policies[i])
		if err != nil {
			t.Fatal(err)
		}
		buf.WriteString("---\n")
		buf.Write(out)
	}
	return buf.Bytes()
}

// marshalTargets writes what each ingress target writes as a YAML stream, one
// document per object, each after a comment naming the target; a target with no
// address yet is a comment alone.
func marshalTargets(t testing.TB, targets []render.RenderedTarget) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, rt := range targets {
		for _, o := range rt.Objects {
			if rt.Addresses == 0 {
				fmt.Fprintf(&buf, "---\n# %s (%s): no ingress address yet: %s %s is not written\n", rt.Path(), rt.Kind, o.Object.GetKind(), o.Object.GetName())
				continue
			}
			what := "the field the operator owns of the user's object"
			if o.Owned {
				what = "an object the operator owns"
			}
			out, err := yaml.Marshal(o.Object.Object)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&buf, "---\n# %s (%s): %s\n", rt.Path(), rt.Kind, what)
			buf.Write(out)
		}
	}
	return buf.Bytes()
}

// addrs parses IP addresses, failing the test on a bad one.
func addrs(t testing.TB, ss ...string) []netip.Addr {
	t.Helper()
	out := make([]netip.Addr, 0, len(ss))
	for _, s := range ss {
		a, err := netip.ParseAddr(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// resolvedOf builds a Resolved from hostname → address strings.
func resolvedOf(t testing.TB, m map[string][]string) render.Resolved {
	t.Helper()
	if m == nil {
		return nil
	}
	out := render.Resolved{}
	for name, ss := range m {
		out[name] = addrs(t, ss...)
	}
	return out
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// cidrsOf returns the ipBlock CIDRs of peers, in order.
func cidrsOf(peers []networkingv1.NetworkPolicyPeer) []string {
	var out []string
	for _, p := range peers {
		if p.IPBlock != nil {
			out = append(out, p.IPBlock.CIDR)
		}
	}
	return out
}

// fakeCatalog satisfies render.Catalog with vendors written in the test.
type fakeCatalog map[string]*v1alpha1.Vendor

func (f fakeCatalog) View(name string) (*v1alpha1.Vendor, bool) {
	v, ok := f[name]
	if !ok {
		return nil, false
	}
	return v.DeepCopy(), true
}

func (f fakeCatalog) Names() []string { return sortedKeys(f) }

func ptr[T any](v T) *T { return &v }
