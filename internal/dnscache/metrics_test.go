/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dnscache

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/resolver"
)

// The failures of each hostname are counted by result, successes are not, and a
// hostname no allowlist names any more is forgotten.
func TestLookupFailuresAreCountedByHostname(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := NewMetrics(reg, clocktesting.NewFakePassiveClock(time.Unix(0, 0)))
	if err != nil {
		t.Fatal(err)
	}
	m.observeLookup("gone.example.com", fmt.Errorf("looking up: %w", resolver.ErrNotFound), time.Millisecond)
	m.observeLookup("gone.example.com", fmt.Errorf("looking up: %w", resolver.ErrNotFound), time.Millisecond)
	m.observeLookup("flaky.example.com", errors.New("i/o timeout"), time.Second)
	m.observeLookup("api.example.com", nil, time.Millisecond)
	want := `
# HELP vendorallowlist_dns_lookup_failures_total Failed DNS lookups of a hostname, by result: nxdomain, nodata or error.
# TYPE vendorallowlist_dns_lookup_failures_total counter
vendorallowlist_dns_lookup_failures_total{hostname="flaky.example.com",result="error"} 1
vendorallowlist_dns_lookup_failures_total{hostname="gone.example.com",result="nxdomain"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "vendorallowlist_dns_lookup_failures_total"); err != nil {
		t.Error(err)
	}
	m.forget("gone.example.com")
	if n := testutil.CollectAndCount(m.failures); n != 1 {
		t.Errorf("after forgetting gone.example.com, %d failure series, want 1 (flaky.example.com)", n)
	}
}
