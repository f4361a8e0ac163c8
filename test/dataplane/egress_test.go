/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dataplane

import (
	"net/netip"
	"testing"
	"time"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/dataplanetest"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
)

// TestEgress: with docsaas's gateways allowlisted for egress, the selected pod reaches
// the gateway hostname's addresses (the one DNS returns and the one the vendor
// publishes) on 443, not on 80, and not an address the vendor does not publish. DNS
// through kube-dns works with allowDNS (the default) and fails without it.
func TestEgress(t *testing.T) {
	requireDataplane(t)
	ns := newNamespace(t, "egress")
	opa := dp.NewPod(t, ns, "opa", map[string]string{"app": "opa"})
	opaNoDNS := dp.NewPod(t, ns, "opa-nodns", map[string]string{"app": "opa-nodns"})
	dp.NewHost(t, "egress-gateway", []netip.Addr{gatewayPublished, gatewayDNS}, 443, 80)
	unpublished := dp.NewHost(t, "egress-unpublished", []netip.Addr{unpublishedIP}, 443)
	startManager(t, ns, dataplanetest.ManagerConfig{}, testdns.WithHost(gatewayHost, gatewayDNS.String()))

	var before []dataplanetest.Check
	for _, from := range []*dataplanetest.Pod{opa, opaNoDNS} {
		before = append(before,
			allowedAs(from.Endpoint, gatewayDNS, 443, from.IP()),
			allowed(from.Endpoint, gatewayDNS, 80),
			allowed(from.Endpoint, gatewayPublished, 443),
			allowed(from.Endpoint, unpublished.IP(), 443),
			dnsWorks(from.Endpoint),
		)
	}
	dataplanetest.AwaitReach(t, settle, "before the allowlists", before...)

	created := create(t, egressAllowlist(ns, "docsaas-opa", "opa", nil))
	create(t, egressAllowlist(ns, "docsaas-opa-nodns", "opa-nodns", noDNS))
	dataplanetest.AwaitReach(t, settle, "with the egress allowlists",
		allowedAs(opa.Endpoint, gatewayDNS, 443, opa.IP()),
		allowed(opa.Endpoint, gatewayPublished, 443),
		denied(opa.Endpoint, gatewayDNS, 80),
		denied(opa.Endpoint, gatewayPublished, 80),
		denied(opa.Endpoint, unpublished.IP(), 443),
		dnsWorks(opa.Endpoint),

		allowed(opaNoDNS.Endpoint, gatewayDNS, 443),
		denied(opaNoDNS.Endpoint, unpublished.IP(), 443),
		dnsFails(opaNoDNS.Endpoint),
	)
	t.Logf("allowlists created to enforced on packets: %v", time.Since(created).Round(time.Millisecond))
}
