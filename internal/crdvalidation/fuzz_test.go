/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package crdvalidation_test

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/crdvalidation"
)

// The seed corpora are in testdata/fuzz/FuzzCIDR and testdata/fuzz/FuzzHostname; the
// envtest test in api/v1alpha1 also sends every seed to a real API server and
// requires it to agree with the offline validator.

// validateCustom validates an allowlist whose one custom entry holds s in field
// (cidrs or hostnames), sent as JSON as the API server gets it, and returns the
// string JSON made of s (invalid UTF-8 becomes U+FFFD) and the errors.
func validateCustom(t *testing.T, field string, s string) (string, field.ErrorList) {
	t.Helper()
	obj := map[string]any{
		"apiVersion": "networking.vendorallowlist.io/v1alpha1",
		"kind":       "VendorAllowlist",
		"metadata":   map[string]any{"name": "fuzz", "namespace": "default"},
		"spec": map[string]any{
			"podSelector": map[string]any{},
			"custom":      []any{map[string]any{"name": "x", "direction": "Egress", "allPorts": true, field: []any{s}}},
		},
	}
	data, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	res, err := crdvalidation.Default().ValidateJSON(data, "")
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	if len(res.Unknown) > 0 {
		t.Fatalf("%q: unknown fields %v", s, res.Unknown)
	}
	sent := res.Object.Object["spec"].(map[string]any)["custom"].([]any)[0].(map[string]any)[field].([]any)[0].(string)
	return sent, res.Errors
}

// onlyAt requires every error to be about path, with a message.
func onlyAt(t *testing.T, s string, errs field.ErrorList, path string) {
	t.Helper()
	for _, e := range errs {
		if (e.Field != path && e.Field != "<nil>") || e.Detail == "" {
			t.Fatalf("%q: error %#v: want errors on %s with a message", s, e, path)
		}
	}
}

// FuzzCIDR checks the CRD's CIDR rules, run by the API server's code, against an
// independent statement of them: s is accepted exactly when net/netip parses it and
// prints it back unchanged (canonical), with no host bits, no IPv4-mapped IPv6, a
// prefix length above 0, and at most 43 characters.
func FuzzCIDR(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		sent, errs := validateCustom(t, "cidrs", s)
		p, perr := netip.ParsePrefix(sent)
		want := perr == nil && p.String() == sent && p.Masked() == p && !p.Addr().Is4In6() && p.Bits() > 0 && len(sent) <= 43
		if want != (len(errs) == 0) {
			t.Fatalf("CIDR %q: errors %v, want accepted=%v", sent, errs, want)
		}
		if len(errs) == 0 && (p.Addr().Zone() != "" || strings.ContainsAny(sent, "% ")) {
			t.Fatalf("CIDR %q accepted with a zone or a space", sent)
		}
		onlyAt(t, sent, errs, "spec.custom[0].cidrs[0]")
	})
}

// FuzzHostname checks the CRD's hostname rules against apimachinery's RFC 1123
// subdomain check plus the extra rules: labels of at most 63 characters, no IP
// addresses, and a wildcard only as a whole first label before two labels or more.
func FuzzHostname(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		sent, errs := validateCustom(t, "hostnames", s)
		a, aerr := netip.ParseAddr(sent)
		isIP := aerr == nil && a.Zone() == "" && !a.Is4In6()
		// A wildcard is "*." before a name of two labels or more, checked as a name.
		name, wildcard := strings.CutPrefix(sent, "*.")
		want := len(utilvalidation.IsDNS1123Subdomain(name)) == 0 && !isIP && len(sent) <= 253
		want = want && (!wildcard || strings.Contains(name, "."))
		for label := range strings.SplitSeq(name, ".") {
			want = want && len(label) <= 63
		}
		if want != (len(errs) == 0) {
			t.Fatalf("hostname %q: errors %v, want accepted=%v", sent, errs, want)
		}
		if len(errs) == 0 && (name != strings.ToLower(name) || strings.ContainsAny(name, "*_ ") || strings.HasSuffix(name, ".") || len(sent) > 253) {
			t.Fatalf("hostname %q accepted, which is not a lower-case RFC 1123 name or a wildcard of one", sent)
		}
		onlyAt(t, sent, errs, "spec.custom[0].hostnames[0]")
	})
}
