/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package manager

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

func parse(t *testing.T, args ...string) (Options, error) {
	t.Helper()
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	options := BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parsing %v: %v", args, err)
	}
	return options()
}

func TestDefaultFlagsAreValid(t *testing.T) {
	o, err := parse(t)
	if err != nil {
		t.Fatalf("the defaults are refused: %v", err)
	}
	if o.QPS != 50 || o.Burst != 100 || o.Workers != 4 {
		t.Fatalf("defaults: qps %v burst %d workers %d", o.QPS, o.Burst, o.Workers)
	}
}

func TestInvalidFlagsAreRefusedByName(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--kube-api-qps=0"}, "--kube-api-qps=0: must be above 0"},
		{[]string{"--kube-api-qps=-1"}, "--kube-api-qps=-1: must be above 0"},
		{[]string{"--kube-api-qps=500"}, "--kube-api-burst=100: must be at least 1 and at least --kube-api-qps"},
		{[]string{"--workers=0"}, "--workers=0: must be at least 1"},
		{[]string{"--dns-timeout=0s"}, "--dns-timeout=0s: must be above 0"},
		{[]string{"--dns-min-refresh=0s"}, "--dns-min-refresh=0s: must be above 0"},
		{[]string{"--dns-min-refresh=2h"}, "--dns-max-refresh=1h0m0s: must be at least --dns-min-refresh"},
		{[]string{"--dns-retention=-1s"}, "--dns-retention=-1s: must be above 0"},
		{[]string{"--dns-max-addresses=0"}, "--dns-max-addresses=0: must be at least 1"},
		{[]string{"--leader-elect-renew-deadline=20s"}, "--leader-elect-lease-duration=15s: must exceed --leader-elect-renew-deadline"},
		{[]string{"--cluster-cidr=10.0.0.0/33"}, `--cluster-cidr=10.0.0.0/33: netip.ParsePrefix("10.0.0.0/33"): prefix length out of range: write a network such as 10.96.0.0/12`},
		{[]string{"--tenant-min-prefix-length-ipv4=0"}, "--tenant-min-prefix-length-ipv4=0: must be a prefix length between 1 and 32"},
		{[]string{"--tenant-max-space-prefix-ipv4=25"}, "--tenant-max-space-prefix-ipv4=25: must be a prefix length between 1 and --tenant-min-prefix-length-ipv4"},
		{[]string{"--tenant-allow-ranges=public"}, `--tenant-allow-ranges=public: unknown range "public"`},
		{[]string{"--cluster-dns-selector=k8s app"}, "--cluster-dns-selector=k8s app: "},
		{[]string{"--guard-allow-cidr=nonsense"}, "--guard-allow-cidr=nonsense: "},
		{[]string{"--max-hostnames-per-allowlist=0"}, "--max-hostnames-per-allowlist=0: must be at least 1"},
		{[]string{"--dns-lookups-per-namespace=0"}, "--dns-lookups-per-namespace=0: must be at least 1"},
		{[]string{"--dns-reconcile-wait=0s"}, "--dns-reconcile-wait=0s: must be above 0"},
		{[]string{"--vendor-change-max-removed-percent=101"}, "--vendor-change-max-removed-percent=101: must be between 0 and 100"},
		{[]string{"--egress-backend=calico"}, `--egress-backend=calico: unknown egress backend "calico": use one of auto, networkpolicy, cilium, clusternetworkpolicy, gke, ovn`},
	} {
		_, err := parse(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}

// --dns-server takes what the chart's dns.servers and the plugin take: an IP address
// with an optional port, 53 by default; anything else stops the manager at start,
// naming the flag, instead of failing every lookup later.
func TestDNSServerForms(t *testing.T) {
	o, err := parse(t, "--dns-server=10.96.0.10", "--dns-server=10.96.0.10:5353", "--dns-server=fd00::a", "--dns-server=[fd00::a]:53")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"10.96.0.10:53", "10.96.0.10:5353", "[fd00::a]:53", "[fd00::a]:53"}; !slices.Equal(o.DNSServers, want) {
		t.Errorf("servers %v, want %v", o.DNSServers, want)
	}
	for _, bad := range []string{"kube-dns.kube-system:53", "10.96.0.10:0", "10.96.0.10:"} {
		if _, err := parse(t, "--dns-server="+bad); err == nil || !strings.Contains(err.Error(), "--dns-server="+bad+": ") {
			t.Errorf("--dns-server=%s: error %v, want one naming the flag", bad, err)
		}
	}
}

// The CIDR flags take a comma-separated list, as the chart's ConfigMap writes them,
// as well as one network per flag.
func TestCIDRFlagsTakeCommas(t *testing.T) {
	o, err := parse(t, "--cluster-cidr=10.244.0.0/16,10.96.0.0/12", "--cluster-cidr=fd00::/108", "--guard-allow-cidr=198.51.100.0/24, 203.0.113.0/24")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(o.ClusterCIDRs); got != "[10.244.0.0/16 10.96.0.0/12 fd00::/108]" {
		t.Errorf("cluster CIDRs %s", got)
	}
	if got := fmt.Sprint(o.GuardAllow); got != "[198.51.100.0/24 203.0.113.0/24]" {
		t.Errorf("guard allow %s", got)
	}
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	BindFlags(fs)
	if err := fs.Parse([]string{"--guard-allow-cidr=10.0.0.0/8,"}); err == nil || !strings.Contains(err.Error(), "empty network") {
		t.Errorf("a trailing comma: %v, want an error about an empty network", err)
	}
}

func TestEgressBackendFlag(t *testing.T) {
	o, err := parse(t)
	if err != nil || o.EgressBackend != "auto" {
		t.Fatalf("default --egress-backend = %q (%v), want auto", o.EgressBackend, err)
	}
	if o, err := parse(t, "--egress-backend=Cilium"); err != nil || o.EgressBackend != "cilium" {
		t.Fatalf("--egress-backend=Cilium = %q (%v), want cilium", o.EgressBackend, err)
	}
}
