/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package install

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/resolver"
)

// TestDNSServerFormsAgree: the chart's schema for dns.servers takes a form exactly
// when the manager's --dns-server (and the plugin's, which parses it the same way)
// takes it, so a value the chart installs never stops the manager at start, and an
// address the plugin was given works in the chart.
func TestDNSServerFormsAgree(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(chartDir, "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Properties struct {
			DNS struct {
				Properties struct {
					Servers struct {
						Items struct{ Pattern string }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	pattern := schema.Properties.DNS.Properties.Servers.Items.Pattern
	if pattern == "" {
		t.Fatal("values.schema.json has no pattern for dns.servers items")
	}
	re := regexp.MustCompile(pattern)
	accepted := []string{"10.96.0.10", "10.96.0.10:53", "10.96.0.10:5353", "fd00::a", "[fd00::a]:53", "::1", "[::1]:5353", "[fd00::a]"}
	refused := []string{"kube-dns.kube-system:53", "kube-dns", "10.96.0.10:", "[10.96.0.10]:53", "10.96.0.10 :53", ""}
	for _, s := range accepted {
		_, err := resolver.ParseServer(s)
		if err != nil || !re.MatchString(s) {
			t.Errorf("%q: manager %v, chart schema match %v; want both to take it", s, err, re.MatchString(s))
		}
	}
	for _, s := range refused {
		_, err := resolver.ParseServer(s)
		if err == nil {
			t.Errorf("%q: the manager takes it, want it refused", s)
		}
		if re.MatchString(s) && err != nil {
			t.Errorf("%q: the chart's schema takes it, the manager refuses it at start", s)
		}
	}
}
