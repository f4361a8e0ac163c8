/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package admission

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestKeysHaveOneOrder: the keys of the policy's ConfigMap are totally ordered by the
// key sort of go-yaml v2, which kustomize and kubectl print every map with (through
// sigs.k8s.io/yaml's JSONToYAML, from a Go map in random order). That sort is no order
// at all for some sets of keys (it put guard.ipv6.6xxx before 7xxx, 7xxx before 64,
// and 64 before 6xxx), and with such keys `kustomize build config/default` printed the
// ConfigMap differently from one run to the next.
func TestKeysHaveOneOrder(t *testing.T) {
	es, err := Entries()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range index(es) {
		keys = append(keys, k)
	}
	for k := range BuiltinCustomerCIDRs().Data() {
		keys = append(keys, k)
	}
	// The limits, as config/admission writes them.
	kust, err := os.ReadFile(filepath.Join("..", "..", "config", "admission", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^\s*- ([a-z0-9.-]+)=`).FindAllSubmatch(kust, -1) {
		keys = append(keys, string(m[1]))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	if len(keys) < 50 {
		t.Fatalf("only %d keys: the test reads the wrong things", len(keys))
	}
	if bad := unordered(t, keys); bad != nil {
		t.Fatalf("go-yaml v2 orders the ConfigMap keys %q in a cycle, so kustomize prints them in a different order each time: rename them", bad)
	}
}

// unordered returns three keys a, b, c that go-yaml v2 sorts a < b < c < a, or two it
// sorts both ways, or nil when its sort is a total order of keys.
func unordered(t *testing.T, keys []string) []string {
	t.Helper()
	n := len(keys)
	less := make([][]bool, n)
	for i := range less {
		less[i] = make([]bool, n)
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			first := ""
			// Twice: the two keys reach the sort in the map's order, which varies.
			for range 2 {
				out, err := yaml.JSONToYAML([]byte(`{"` + keys[i] + `":0,"` + keys[j] + `":0}`))
				if err != nil {
					t.Fatal(err)
				}
				f := keys[j]
				if bytes.HasPrefix(out, []byte(keys[i]+":")) {
					f = keys[i]
				}
				if first != "" && f != first {
					return []string{keys[i], keys[j]}
				}
				first = f
			}
			less[i][j], less[j][i] = first == keys[i], first == keys[j]
		}
	}
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			if !less[a][b] {
				continue
			}
			for c := 0; c < n; c++ {
				if less[b][c] && less[c][a] {
					return []string{keys[a], keys[b], keys[c]}
				}
			}
		}
	}
	return nil
}
