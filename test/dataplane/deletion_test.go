/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dataplane

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/dataplanetest"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
)

// TestAllowlistDeleted: once an allowlist is deleted, traffic is as it was before it.
// Its NetworkPolicies go with it through their owner reference: the manager is
// stopped first, so only the garbage collector (kube-controller-manager's, which the
// suite runs) can remove them, as in a cluster where the operator is down or
// uninstalled.
func TestAllowlistDeleted(t *testing.T) {
	requireDataplane(t)
	ns := newNamespace(t, "deleted")
	web := dp.NewPod(t, ns, "web", map[string]string{"app": "web"}, 8080)
	opa := dp.NewPod(t, ns, "opa", map[string]string{"app": "opa"})
	vendor := dp.NewHost(t, "deleted-vendor", []netip.Addr{vendorIP})
	stranger := dp.NewHost(t, "deleted-stranger", []netip.Addr{strangerIP})
	unpublished := dp.NewHost(t, "deleted-unpublished", []netip.Addr{unpublishedIP}, 443)
	dp.NewHost(t, "deleted-gateway", []netip.Addr{gatewayDNS}, 443)
	_, manager := startManager(t, ns, dataplanetest.ManagerConfig{}, testdns.WithHost(gatewayHost, gatewayDNS.String()))

	before := []dataplanetest.Check{
		allowedAs(vendor, web.IP(), 8080, vendorIP),
		allowedAs(stranger, web.IP(), 8080, strangerIP),
		allowed(opa.Endpoint, gatewayDNS, 443),
		allowed(opa.Endpoint, unpublished.IP(), 443),
		dnsWorks(opa.Endpoint),
	}
	dataplanetest.AwaitReach(t, settle, "before the allowlists", before...)

	ingress := ingressAllowlist(ns, "docsaas-inbound", "web", 8080)
	egress := egressAllowlist(ns, "docsaas-opa", "opa", noDNS)
	create(t, ingress)
	create(t, egress)
	dataplanetest.AwaitReach(t, settle, "with the allowlists",
		allowedAs(vendor, web.IP(), 8080, vendorIP),
		denied(stranger, web.IP(), 8080),
		allowed(opa.Endpoint, gatewayDNS, 443),
		denied(opa.Endpoint, unpublished.IP(), 443),
		dnsFails(opa.Endpoint),
	)

	manager.Stop(15 * time.Second)
	ctx := context.Background()
	for _, a := range []string{ingress.Name, egress.Name} {
		if n := len(policies(t, ns, a)); n != 1 {
			t.Fatalf("allowlist %s has %d NetworkPolicies before its deletion, want 1", a, n)
		}
	}
	deleted := time.Now()
	if err := k8s.Delete(ctx, ingress); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Delete(ctx, egress); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{ingress.Name, egress.Name} {
		deadline := time.Now().Add(settle)
		for len(policies(t, ns, a)) > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("the garbage collector left allowlist %s's NetworkPolicies %v after its deletion", a, time.Since(deleted))
			}
			time.Sleep(poll)
		}
	}
	t.Logf("the garbage collector removed the policies %v after the deletion", time.Since(deleted).Round(time.Millisecond))
	dataplanetest.AwaitReach(t, settle, "after the allowlists were deleted", before...)
}
