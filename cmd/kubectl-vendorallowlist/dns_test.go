/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
)

// These tests resolve through a real DNS server, dnsmasq on loopback, that knows only
// the names each test gives it: no query leaves the machine.

const (
	frontend1 = "frontend1.outsystems-customer.example.com"
	frontend2 = "frontend2.outsystems-customer.example.com"
)

func TestRenderDNSOutSystemsFrontEnds(t *testing.T) {
	srv := testdns.Start(t)
	srv.SetHost(frontend1, "198.51.100.21")
	// An internal address in the answer is not rendered, and the user is told.
	srv.SetHost(frontend2, "198.51.100.22", "2001:db8:fe::2", "10.1.2.3")

	got, r := mustRender(t, "", "render", "--dns-server", srv.Addr(), "--guard-allow-cidr", "198.51.100.0/24", "--guard-allow-cidr", "2001:db8::/32", "-f", sample("outsystems.yaml"))
	internet := policy(t, got, "outsystems-internet-ingress")
	rule := ruleWith(t, internet, "198.51.100.21/32")
	if want := []string{"198.51.100.21/32", "198.51.100.22/32", "2001:db8:fe::2/128"}; !slices.Equal(rule.cidrs, want) {
		t.Errorf("front-end rule from %v, want %v", rule.cidrs, want)
	}
	if !slices.Equal(rule.ports, []string{"TCP/443"}) {
		t.Errorf("front-end rule ports %v, want [TCP/443]", rule.ports)
	}
	if c := allCIDRs(internet); slices.Contains(c, "10.1.2.3/32") {
		t.Errorf("the internal address 10.1.2.3 is rendered: %v", c)
	}
	wantContains(t, "stderr", r.stderr, "hostname "+frontend2+": not rendering 1 private addresses DNS returned: no entry naming it has privateAddresses: Allow")
	wantNotContains(t, "stderr", r.stderr, "warning:", "--offline")
	// The VPN allowlist needs no DNS and renders as offline.
	ruleWith(t, policy(t, got, "outsystems-vpn-ingress"), "10.20.0.0/16")

	for _, h := range []string{frontend1, frontend2} {
		if n := srv.QueryCount(h, "A"); n == 0 {
			t.Errorf("dnsmasq saw no A query for %s", h)
		}
	}
}

// A vendor hostname renders what DNS returns together with what the vendor publishes.
func TestRenderDNSWorkatoGateways(t *testing.T) {
	srv := testdns.Start(t,
		testdns.WithHost("sg1.workato.com", "50.16.101.13", "198.51.100.50"),
		testdns.WithHost("sg2.workato.com", "34.204.129.29"),
		testdns.WithHost("sg.workato.com", "34.192.94.13"),
	)
	got, _ := mustRender(t, "", "render", "--dns-server", srv.Addr(), "--guard-allow-cidr", "198.51.100.0/24", "-f", sample("workato.yaml"))
	rule := ruleWith(t, policy(t, got, "workato-opa-egress"), "198.51.100.50/32")
	if len(rule.cidrs) != 10 || !slices.Contains(rule.cidrs, "54.84.241.116/32") {
		t.Errorf("gateway rule %v, want the 9 published addresses and 198.51.100.50/32 from DNS", rule.cidrs)
	}
	if slices.Contains(rule.cidrs, "52.206.58.244/32") {
		t.Errorf("gateway rule opens the deprecated 52.206.58.244")
	}
	if n := srv.QueryCount("sg.workato.com", ""); n == 0 {
		t.Errorf("dnsmasq saw no query for sg.workato.com")
	}
}

func TestRenderDNSFailures(t *testing.T) {
	srv := testdns.Start(t, testdns.WithHost(frontend1, "198.51.100.21"))

	// frontend2 does not exist (NXDOMAIN): as the manager does, it renders nothing of
	// its own (the vendor publishes nothing for it), with a note; frontend1 renders.
	got, r := mustRender(t, "", "render", "--dns-server", srv.Addr(), "--guard-allow-cidr", "198.51.100.0/24", "-f", sample("outsystems.yaml"))
	if c := allCIDRs(policy(t, got, "outsystems-internet-ingress")); !slices.Equal(c, []string{"198.51.100.21/32"}) {
		t.Errorf("front-end rule from %v, want only frontend1's address", c)
	}
	wantContains(t, "stderr", r.stderr,
		sample("outsystems.yaml")+": VendorAllowlist default/outsystems-internet: hostname "+frontend2+": ",
		"NXDOMAIN", "rendered as the manager renders it")

	// A server that does not answer.
	addr := srv.Addr()
	srv.Stop()
	r = runPlugin(t, "", "render", "--dns-server", addr, "--dns-timeout", "300ms", "-f", sample("threobuilder.yaml"), "-f", sample("outsystems.yaml"))
	if r.code != 1 || r.stdout != "" {
		t.Errorf("exit %d with output %q, want 1 and none", r.code, r.stdout)
	}
	wantContains(t, "stderr", r.stderr, "hostname "+frontend1+": ", "temporary DNS failure", addr)
}

// The plugin keeps what the manager keeps: at most 256 addresses per hostname, the
// same ones, and says how many it left out.
func TestRenderDNSAppliesTheManagersCap(t *testing.T) {
	var many []string
	for i := range 300 {
		many = append(many, netip.AddrFrom4([4]byte{198, 51, byte(100 + i/256), byte(i % 256)}).String())
	}
	srv := testdns.Start(t, testdns.WithHost(frontend1, many...), testdns.WithHost(frontend2, "198.51.101.200"))
	got, r := mustRender(t, "", "render", "--dns-server", srv.Addr(), "--guard-allow-cidr", "198.51.100.0/23", "-f", sample("outsystems.yaml"))
	rule := ruleWith(t, policy(t, got, "outsystems-internet-ingress"), "198.51.101.43/32")
	// The rule holds both front-ends: frontend2's one address, and frontend1's.
	if !slices.Contains(rule.cidrs, "198.51.101.200/32") || len(rule.cidrs)-1 != 256 {
		t.Fatalf("rendered %d addresses for a hostname with 300, want the manager's cap of 256", len(rule.cidrs)-1)
	}
	if slices.Contains(rule.cidrs, "198.51.100.0/32") {
		t.Error("kept 198.51.100.0, which the manager drops first (lowest address among equally old)")
	}
	wantContains(t, "stderr", r.stderr, "hostname "+frontend1+": DNS returned 300 addresses; the operator keeps 256 per hostname, so 44 are not rendered")
}
