/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package catalog

import (
	"bytes"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// FuzzLoad checks that Load never panics, and that what it accepts round-trips: the
// vendors, written out as YAML, load again, and are written out the same.
//
// The committed corpus is in testdata/fuzz/FuzzLoad; run more with
// go test ./internal/catalog -run '^$' -fuzz FuzzLoad -fuzztime 1m
func FuzzLoad(f *testing.F) {
	f.Add(builtinYAML)
	f.Add([]byte(goodStream))
	f.Fuzz(func(t *testing.T, data []byte) {
		vendors, err := Load(bytes.NewReader(data))
		if err != nil {
			if vendors != nil {
				t.Fatalf("Load returned vendors with an error: %v", err)
			}
			return
		}
		first := encode(t, vendors)
		again, err := Load(bytes.NewReader(first))
		if err != nil {
			t.Fatalf("Load accepted the input but not its re-encoding: %v\ninput:\n%s\nre-encoded:\n%s", err, data, first)
		}
		if len(again) != len(vendors) {
			t.Fatalf("%d vendors, then %d", len(vendors), len(again))
		}
		if second := encode(t, again); !bytes.Equal(first, second) {
			t.Fatalf("the re-encoding does not round-trip:\nfirst:\n%s\nsecond:\n%s", first, second)
		}
		if _, err := New(vendors); err != nil && len(uniqueNames(vendors)) == len(vendors) {
			t.Fatalf("New refused vendors Load accepted: %v", err)
		}
		_ = Summary(Builtin().WithOverrides(vendors))
	})
}

// encode writes vendors as a YAML stream.
func encode(t *testing.T, vendors []v1alpha1.Vendor) []byte {
	t.Helper()
	var buf bytes.Buffer
	for i := range vendors {
		y, err := sigsyaml.Marshal(&vendors[i])
		if err != nil {
			t.Fatalf("encoding vendor %d: %v", i, err)
		}
		buf.WriteString("---\n")
		buf.Write(y)
	}
	return buf.Bytes()
}

func uniqueNames(vendors []v1alpha1.Vendor) map[string]bool {
	names := map[string]bool{}
	for _, v := range vendors {
		names[v.Name] = true
	}
	return names
}
