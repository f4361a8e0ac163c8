package validation_test

import (
	"strings"
	"testing"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/validation/validationtest"
)

// TestMirrorRefusesInvalidManifests runs the invalid manifests of the shared table
// (validationtest/cases.yaml, which api/v1alpha1's envtest test applies to a real API
// server) through the Go mirror.
func TestMirrorRefusesInvalidManifests(t *testing.T) {
	table, err := validationtest.Load()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(table.Invalid); n < 30 {
		t.Fatalf("the table has %d invalid manifests, want at least 30", n)
	}
	for _, tc := range table.Invalid {
		t.Run(tc.Name, func(t *testing.T) {
			obj, err := tc.Typed()
			if err != nil {
				t.Fatal(err)
			}
			errs := validationtest.Validate(obj)
			if len(errs) == 0 {
				t.Fatalf("accepted an invalid manifest:\n%s", tc.Rendered)
			}
			want := tc.Want
			if tc.Mirror != "" {
				want = tc.GoWant
			}
			got := errs.ToAggregate().Error()
			for _, w := range want {
				if !strings.Contains(got, w) {
					t.Errorf("errors lack %q:\n%s", w, got)
				}
			}
		})
	}
}

// TestMirrorAcceptsValidManifests runs the valid manifests of the shared table.
func TestMirrorAcceptsValidManifests(t *testing.T) {
	table, err := validationtest.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range table.Valid {
		t.Run(tc.Name, func(t *testing.T) {
			obj, err := tc.Typed()
			if err != nil {
				t.Fatal(err)
			}
			if errs := validationtest.Validate(obj); len(errs) > 0 {
				t.Errorf("refused a valid manifest: %v", errs.ToAggregate())
			}
		})
	}
}
