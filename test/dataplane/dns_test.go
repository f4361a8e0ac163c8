/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dataplane

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/dataplanetest"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
)

// dnsRefresh is the record TTL and the manager's --dns-min-refresh in the DNS tests:
// the manager asks again every second.
const dnsRefresh = time.Second

// TestDNSChange: when DNS moves the gateway hostname to a new address, the pod reaches
// the new address once the manager has re-resolved it and kube-router has the new
// policy; the old address keeps working through the retention window, and is closed
// after it. The time from the change in DNS to the first connection through to the new
// address is logged (make bench measures it many times: bench_test.go).
func TestDNSChange(t *testing.T) {
	requireDataplane(t)
	const retention = 12 * time.Second
	ns := newNamespace(t, "dnschange")
	opa := dp.NewPod(t, ns, "opa", map[string]string{"app": "opa"})
	dp.NewHost(t, "dnschange-gateway", []netip.Addr{gatewayPublished, gatewayDNS, gatewayMoved}, 443)
	dns, _ := startManager(t, ns,
		dataplanetest.ManagerConfig{DNSMinRefresh: dnsRefresh, DNSRetention: retention},
		testdns.WithLocalTTL(dnsRefresh), testdns.WithHost(gatewayHost, gatewayDNS.String()))
	create(t, egressAllowlist(ns, "docsaas-opa", "opa", nil))
	dataplanetest.AwaitReach(t, settle, "before the DNS change",
		allowed(opa.Endpoint, gatewayDNS, 443),
		denied(opa.Endpoint, gatewayMoved, 443),
	)

	changed := time.Now()
	dns.SetHost(gatewayHost, gatewayMoved.String())
	first, err := dataplanetest.FirstAllowed(opa.Endpoint, gatewayMoved, 443, 20*time.Millisecond, changed.Add(settle))
	if err != nil {
		t.Fatalf("after the DNS change: %v", err)
	}
	t.Logf("DNS change to the first packet through to the new address: %v", first.Sub(changed).Round(time.Millisecond))

	// The manager last saw the old address at its last refresh before the change, a
	// refresh period (with jitter) before it or, on a busy machine, a little more; it
	// stays until retention after that.
	oldStays := retention - 4*dnsRefresh
	dataplanetest.HoldReach(t, time.Until(changed.Add(oldStays)), 500*time.Millisecond,
		"the old address within the retention window",
		allowed(opa.Endpoint, gatewayDNS, 443),
		allowed(opa.Endpoint, gatewayMoved, 443),
		allowed(opa.Endpoint, gatewayPublished, 443),
	)
	dataplanetest.AwaitReach(t, 2*dnsRefresh+settle, "the old address after the retention window",
		denied(opa.Endpoint, gatewayDNS, 443),
		allowed(opa.Endpoint, gatewayMoved, 443),
		// The address the vendor publishes stays whatever DNS says.
		allowed(opa.Endpoint, gatewayPublished, 443),
	)
	t.Logf("old address closed %v after the change (retention %v)", time.Since(changed).Round(time.Millisecond), retention)
}

// TestDNSOutage: while the DNS server is down, for longer than the retention window,
// a connection established before the outage keeps working and new connections get
// through; the manager reports the outage (Resolved=False) and keeps the addresses it
// knew. When DNS comes back, nothing has changed.
func TestDNSOutage(t *testing.T) {
	requireDataplane(t)
	const retention = 6 * time.Second
	const outage = 10 * time.Second
	ns := newNamespace(t, "dnsoutage")
	opa := dp.NewPod(t, ns, "opa", map[string]string{"app": "opa"})
	dp.NewHost(t, "dnsoutage-gateway", []netip.Addr{gatewayPublished, gatewayDNS}, 443, 80)
	dns, _ := startManager(t, ns,
		dataplanetest.ManagerConfig{DNSMinRefresh: dnsRefresh, DNSRetention: retention},
		testdns.WithLocalTTL(dnsRefresh), testdns.WithHost(gatewayHost, gatewayDNS.String()))
	const name = "docsaas-opa"
	create(t, egressAllowlist(ns, name, "opa", nil))
	enforced := []dataplanetest.Check{
		allowed(opa.Endpoint, gatewayDNS, 443),
		allowed(opa.Endpoint, gatewayPublished, 443),
		denied(opa.Endpoint, gatewayDNS, 80),
	}
	dataplanetest.AwaitReach(t, settle, "before the outage", enforced...)
	waitCondition(t, ns, name, v1alpha1.ConditionResolved, metav1.ConditionTrue, settle)

	session, err := opa.Open(gatewayDNS, 443)
	if err != nil {
		t.Fatal(err)
	}
	defer session.Close()

	dns.Stop()
	down := time.Now()
	waitCondition(t, ns, name, v1alpha1.ConditionResolved, metav1.ConditionFalse, settle)
	t.Logf("the manager reported the outage %v after it began", time.Since(down).Round(time.Millisecond))
	for i := 0; time.Since(down) < outage; i++ {
		if err := session.Echo(fmt.Sprintf("during the outage %d", i), 2*time.Second); err != nil {
			t.Fatalf("established connection, %v into the outage: %v", time.Since(down).Round(time.Millisecond), err)
		}
		if problems := dataplanetest.CheckAll(enforced); len(problems) > 0 {
			t.Fatalf("%v into the outage: %v", time.Since(down).Round(time.Millisecond), problems)
		}
		time.Sleep(500 * time.Millisecond)
	}

	dns.Start()
	waitCondition(t, ns, name, v1alpha1.ConditionResolved, metav1.ConditionTrue, settle)
	if err := session.Echo("after the outage", 2*time.Second); err != nil {
		t.Fatalf("established connection after the outage: %v", err)
	}
	dataplanetest.HoldReach(t, 2*dnsRefresh, 500*time.Millisecond, "after the outage", enforced...)
}
