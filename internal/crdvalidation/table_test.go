/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package crdvalidation_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/crdvalidation"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/validationtest"
)

// validate runs one case of the shared table through the embedded CRDs.
func validate(t *testing.T, tc validationtest.Case) *crdvalidation.Result {
	t.Helper()
	u, err := tc.Object()
	if err != nil {
		t.Fatal(err)
	}
	res, err := crdvalidation.Default().Validate(u.Object, "validation")
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func unknownPaths(res *crdvalidation.Result) []string {
	var out []string
	for _, u := range res.Unknown {
		out = append(out, u.Path)
	}
	return out
}

// TestTableInvalid runs the invalid manifests of the shared table
// (validationtest/cases.yaml, which api/v1alpha1's envtest test also sends to a real
// API server): each must be refused with every expected fragment.
func TestTableInvalid(t *testing.T) {
	table, err := validationtest.Load()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(table.Invalid); n < 80 {
		t.Fatalf("the table has %d invalid manifests, want at least 80", n)
	}
	for _, tc := range table.Invalid {
		t.Run(tc.Name, func(t *testing.T) {
			res := validate(t, tc)
			if res.OK() {
				t.Fatalf("accepted an invalid manifest:\n%s", tc.Rendered)
			}
			got := res.Errors.ToAggregate()
			text := ""
			if got != nil {
				text = got.Error()
			}
			for _, w := range tc.Want {
				if !strings.Contains(text, w) {
					t.Errorf("errors lack %q:\n%s", w, text)
				}
			}
			if paths := unknownPaths(res); !slices.Equal(paths, tc.Unknown) {
				t.Errorf("unknown fields %q, want %q", paths, tc.Unknown)
			}
		})
	}
}

// TestTableValid runs the valid manifests: each must be accepted, and the object the
// server would store must hold the defaults the case expects.
func TestTableValid(t *testing.T) {
	table, err := validationtest.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range table.Valid {
		t.Run(tc.Name, func(t *testing.T) {
			res := validate(t, tc)
			if !res.OK() {
				t.Fatalf("refused a valid manifest: %v %v", res.Unknown, res.Errors.ToAggregate())
			}
			for path, want := range tc.Expect {
				got, ok := crdvalidation.ValueAt(res.Object.Object, path)
				if !ok {
					t.Errorf("stored object has no %s", path)
					continue
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("stored object: %s = %#v, want %#v", path, got, want)
				}
			}
		})
	}
}
