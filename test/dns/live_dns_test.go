/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dns

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/dnscache"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/tenancy"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
)

// A record change reaches the NetworkPolicy within TTL + 2 s. The change is made at
// different points of the refresh cycle; each propagation time is logged.
func TestRecordChangeReachesPolicyWithinTTL(t *testing.T) {
	g := NewWithT(t)
	const host = "api.propagation.example.com"
	const ttl = 2 * time.Second
	srv := testdns.Start(t, testdns.WithLocalTTL(ttl), testdns.WithHost(host, "192.0.2.1"))
	ns := newNamespace(t, "propagation")
	startManager(t, srv, managerOptions{Namespaces: []string{ns}, DNS: dnscache.Options{
		MinRefresh: time.Second, MaxRefresh: 30 * time.Second, Retention: time.Hour, Jitter: 0.05,
	}})
	key := create(t, customAllowlist(ns, "api", v1alpha1.DirectionEgress, "", host))
	waitReady(t, key)
	g.Expect(cidrs(getPolicy(g, ns, "api-egress"))).To(Equal(hostCIDRs("192.0.2.1")))

	limit := ttl + 2*time.Second
	changes := []string{"192.0.2.2", "198.51.100.2", "2001:db8::2", "203.0.113.2", "192.0.2.3"}
	var took []time.Duration
	for i, addr := range changes {
		// Make each change at a different point of the refresh cycle.
		time.Sleep(time.Duration(i) * 450 * time.Millisecond)
		want := hostCIDRs(addr)[0]
		start := time.Now()
		srv.SetHost(host, addr) // returns once dnsmasq serves the new record
		served := time.Since(start)
		g.Eventually(func(g Gomega) {
			g.Expect(cidrs(getPolicy(g, ns, "api-egress"))).To(ContainElement(want))
		}, limit+3*time.Second, 10*time.Millisecond).Should(Succeed(), "%s never reached the policy", addr)
		d := time.Since(start)
		took = append(took, d)
		t.Logf("change %d: %s served by dnsmasq after %v, in the NetworkPolicy after %v (limit TTL+2s = %v)",
			i+1, addr, served.Round(time.Millisecond), d.Round(time.Millisecond), limit)
		g.Expect(d).To(BeNumerically("<=", limit), "change %d (%s) took %v to reach the policy", i+1, addr, d)
	}
	t.Logf("propagation times: %v", took)

	// Addresses accumulate: every one seen within retention stays rendered.
	g.Expect(cidrs(getPolicy(g, ns, "api-egress"))).To(Equal(hostCIDRs(append([]string{"192.0.2.1"}, changes...)...)))
	g.Eventually(func(g Gomega) {
		g.Expect(hostnameStatus(getAllowlist(g, key), host).Addresses).To(HaveLen(1 + len(changes)))
	}, timeout, poll).Should(Succeed())
}

// An address DNS stops returning leaves the policy once it has gone unseen for the
// retention window, and not before.
func TestAddressUnseenForRetentionLeavesPolicy(t *testing.T) {
	g := NewWithT(t)
	const host = "api.retention.example.com"
	const retention = 5 * time.Second
	srv := testdns.Start(t, testdns.WithLocalTTL(time.Second), testdns.WithHost(host, "192.0.2.10", "192.0.2.11"))
	ns := newNamespace(t, "retention")
	startManager(t, srv, managerOptions{Namespaces: []string{ns}, DNS: dnscache.Options{
		MinRefresh: time.Second, MaxRefresh: 2 * time.Second, Retention: retention, Jitter: 0.05,
	}})
	key := create(t, customAllowlist(ns, "api", v1alpha1.DirectionEgress, "", host))
	waitReady(t, key)
	g.Expect(cidrs(getPolicy(g, ns, "api-egress"))).To(Equal(hostCIDRs("192.0.2.10", "192.0.2.11")))

	start := time.Now()
	srv.SetHost(host, "192.0.2.11")
	// It was last seen at most one refresh (1 s) before the change, so it stays for
	// at least retention - 1 s after it.
	g.Consistently(func(g Gomega) {
		g.Expect(cidrs(getPolicy(g, ns, "api-egress"))).To(Equal(hostCIDRs("192.0.2.10", "192.0.2.11")))
	}, retention-1500*time.Millisecond, 100*time.Millisecond).Should(Succeed(), "dropped before retention ran out")
	g.Eventually(func(g Gomega) {
		g.Expect(cidrs(getPolicy(g, ns, "api-egress"))).To(Equal(hostCIDRs("192.0.2.11")))
	}, retention+3*time.Second, 20*time.Millisecond).Should(Succeed(), "not dropped within retention + TTL + 2s")
	t.Logf("192.0.2.10 left the policy %v after DNS stopped returning it (retention %v, refresh 1s)",
		time.Since(start).Round(time.Millisecond), retention)
	g.Eventually(func(g Gomega) {
		h := hostnameStatus(getAllowlist(g, key), host)
		g.Expect(h).NotTo(BeNil())
		g.Expect(h.Addresses).To(HaveLen(1))
		g.Expect(h.Addresses[0].Address).To(Equal("192.0.2.11"))
	}, timeout, poll).Should(Succeed())
}

// Round-robin DNS answers a different subset, in a different order, at each refresh:
// once every address has been seen the policy holds them all, and further refreshes
// write nothing.
func TestRoundRobinSubsetsCauseNoPolicyWrites(t *testing.T) {
	g := NewWithT(t)
	const host = "lb.roundrobin.example.com"
	a, b, c, d := "192.0.2.21", "192.0.2.22", "198.51.100.23", "2001:db8::24"
	subsets := [][]string{{a, b}, {c, d}, {b, a}, {d, c}}
	srv := testdns.Start(t, testdns.WithLocalTTL(time.Second), testdns.WithHost(host, subsets[0]...))
	ns := newNamespace(t, "roundrobin")
	startManager(t, srv, managerOptions{Namespaces: []string{ns}, DNS: dnscache.Options{
		MinRefresh: time.Second, MaxRefresh: 10 * time.Second, Retention: time.Hour, Jitter: 0.05,
	}})
	key := create(t, customAllowlist(ns, "lb", v1alpha1.DirectionEgress, "", host))
	waitReady(t, key)

	// One refresh per subset, each answered by that subset alone.
	step := func(s []string) {
		t.Helper()
		srv.SetHost(host, s...)
		qa, qaaaa := queries(srv, host)
		waitRefresh(t, srv, host, qa, qaaaa, 5*time.Second)
	}
	for _, s := range subsets {
		step(s)
	}
	all := hostCIDRs(a, b, c, d)
	g.Eventually(func(g Gomega) {
		g.Expect(cidrs(getPolicy(g, ns, "lb-egress"))).To(Equal(all))
	}, 5*time.Second, poll).Should(Succeed())
	version := getPolicy(g, ns, "lb-egress").ResourceVersion
	statusVersion := getAllowlist(g, key).ResourceVersion

	qa0, _ := queries(srv, host)
	start := time.Now()
	const more = 8
	for i := range more {
		step(subsets[(i+1)%len(subsets)])
		np := getPolicy(g, ns, "lb-egress")
		g.Expect(np.ResourceVersion).To(Equal(version), "refresh %d (answer %v) rewrote the policy", i+1, subsets[(i+1)%len(subsets)])
		g.Expect(cidrs(np)).To(Equal(all), "refresh %d dropped an address seen within retention", i+1)
	}
	// Let the last answer's reconcile, if any, land.
	g.Consistently(func(g Gomega) {
		g.Expect(getPolicy(g, ns, "lb-egress").ResourceVersion).To(Equal(version))
	}, 1500*time.Millisecond, 100*time.Millisecond).Should(Succeed())
	qa1, _ := queries(srv, host)
	al := getAllowlist(g, key)
	t.Logf("%d refreshes (%d A queries) in %v with rotating subsets: policy resourceVersion %s unchanged; allowlist resourceVersion %s -> %s",
		more, qa1-qa0, time.Since(start).Round(time.Millisecond), version, statusVersion, al.ResourceVersion)
	g.Expect(hostnameStatus(al, host).Addresses).To(HaveLen(4))
}

// With the DNS server down for several refresh periods, no address leaves the policy,
// the allowlist says Resolved=False (ResolutionFailed, naming the hostname) with a
// Warning event; when DNS is back, Resolved=True with a Normal event.
func TestDNSOutageKeepsAddressesAndReportsIt(t *testing.T) {
	g := NewWithT(t)
	const host = "api.outage.example.com"
	addrs := []string{"192.0.2.30", "198.51.100.30", "2001:db8::30"}
	srv := testdns.Start(t, testdns.WithLocalTTL(time.Second), testdns.WithHost(host, addrs...))
	ns := newNamespace(t, "outage")
	m := startManager(t, srv, managerOptions{Namespaces: []string{ns}, DNS: dnscache.Options{
		MinRefresh: time.Second, MaxRefresh: 4 * time.Second, Retention: time.Hour, Jitter: 0.05,
	}})
	key := create(t, customAllowlist(ns, "api", v1alpha1.DirectionEgress, "", host))
	waitReady(t, key)
	g.Eventually(func(g Gomega) {
		c := condition(getAllowlist(g, key), v1alpha1.ConditionResolved)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue))
	}, timeout, poll).Should(Succeed())
	before := getPolicy(g, ns, "api-egress")
	g.Expect(cidrs(before)).To(Equal(hostCIDRs(addrs...)))

	errorLookups := func(g Gomega) float64 {
		v, _ := metricValue(g, m.Registry, "vendorallowlist_dns_lookups_total", map[string]string{"result": "error"})
		return v
	}
	failed0 := errorLookups(g)
	stopped := time.Now()
	srv.Stop()

	// Four failed refreshes (1 s, then backing off 2 s, 4 s, 4 s): the policy never changes.
	var raisedAfter time.Duration
	g.Eventually(func(g Gomega) {
		np := getPolicy(g, ns, "api-egress")
		g.Expect(np.ResourceVersion).To(Equal(before.ResourceVersion), "the policy was written while DNS was down")
		g.Expect(cidrs(np)).To(Equal(hostCIDRs(addrs...)), "addresses removed while DNS was down")
		if raisedAfter == 0 {
			if c := condition(getAllowlist(g, key), v1alpha1.ConditionResolved); c != nil && c.Status == metav1.ConditionFalse {
				raisedAfter = time.Since(stopped)
			}
		}
		g.Expect(errorLookups(g) - failed0).To(BeNumerically(">=", 4))
	}, 25*time.Second, 100*time.Millisecond).Should(Succeed())
	outage := time.Since(stopped)
	t.Logf("DNS down for %v: %v failed lookups, policy resourceVersion %s unchanged; Resolved=False %v after the stop",
		outage.Round(time.Millisecond), errorLookups(g)-failed0, before.ResourceVersion, raisedAfter.Round(time.Millisecond))

	al := getAllowlist(g, key)
	c := condition(al, v1alpha1.ConditionResolved)
	g.Expect(c).NotTo(BeNil())
	g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(c.Reason).To(Equal(v1alpha1.ReasonResolutionFailed))
	g.Expect(c.Message).To(ContainSubstring(host))
	h := hostnameStatus(al, host)
	g.Expect(h).NotTo(BeNil())
	g.Expect(h.Error).NotTo(BeEmpty())
	g.Expect(h.Addresses).To(HaveLen(len(addrs)), "status lost addresses while DNS was down")
	g.Expect(condition(al, v1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue), "the policies are in place")
	g.Eventually(func(g Gomega) {
		e := findEvent(events(g, ns, "api"), "Warning", v1alpha1.ReasonResolutionFailed)
		g.Expect(e).NotTo(BeNil(), "no Warning ResolutionFailed event")
		g.Expect(e.Note).To(ContainSubstring(host))
	}, timeout, poll).Should(Succeed())
	t.Logf("Resolved=False: %s", c.Message)

	restarted := time.Now()
	srv.Start()
	// The next retry comes at most MaxRefresh (4 s, +5%% jitter) after the last one.
	g.Eventually(func(g Gomega) {
		c := condition(getAllowlist(g, key), v1alpha1.ConditionResolved)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue))
		g.Expect(c.Reason).To(Equal(v1alpha1.ReasonResolved))
	}, 4*time.Second+3*time.Second, 20*time.Millisecond).Should(Succeed())
	t.Logf("Resolved=True again %v after DNS came back", time.Since(restarted).Round(time.Millisecond))
	g.Eventually(func(g Gomega) {
		g.Expect(findEvent(events(g, ns, "api"), "Normal", v1alpha1.ReasonResolved)).NotTo(BeNil(), "no Normal Resolved event")
	}, timeout, poll).Should(Succeed())
	al = getAllowlist(g, key)
	g.Expect(hostnameStatus(al, host).Error).To(BeEmpty())
	np := getPolicy(g, ns, "api-egress")
	g.Expect(np.ResourceVersion).To(Equal(before.ResourceVersion), "recovery rewrote an unchanged policy")
	g.Expect(cidrs(np)).To(Equal(hostCIDRs(addrs...)))
}

// "A failed lookup keeps the last known good addresses and stops their ageing"
// (package dnscache): an outage longer than the retention window must not make the
// first answer after it drop the addresses that answer happens not to include, since
// they were seen moments before DNS went down. They age out afterwards as usual.
func TestOutageLongerThanRetentionDoesNotAgeAddresses(t *testing.T) {
	g := NewWithT(t)
	const host = "lb.longoutage.example.com"
	const retention = 4 * time.Second
	kept, rotated := "192.0.2.60", "198.51.100.60"
	srv := testdns.Start(t, testdns.WithLocalTTL(time.Second), testdns.WithHost(host, kept, rotated))
	ns := newNamespace(t, "longoutage")
	startManager(t, srv, managerOptions{Namespaces: []string{ns}, DNS: dnscache.Options{
		MinRefresh: time.Second, MaxRefresh: 2 * time.Second, Retention: retention, Jitter: 0.05,
	}})
	key := create(t, customAllowlist(ns, "lb", v1alpha1.DirectionEgress, "", host))
	waitReady(t, key)
	both := hostCIDRs(kept, rotated)
	g.Eventually(func(g Gomega) {
		g.Expect(cidrs(getPolicy(g, ns, "lb-egress"))).To(Equal(both))
	}, timeout, poll).Should(Succeed())
	// Both were in the last answer before the outage: DNS is stopped right after a refresh.
	qa, qaaaa := queries(srv, host)
	waitRefresh(t, srv, host, qa, qaaaa, 5*time.Second)
	lastSeen := time.Now()
	srv.Stop()
	srv.SetHost(host, kept) // what the server answers when it is back: a round-robin subset

	outage := retention + 2*time.Second
	g.Consistently(func(g Gomega) {
		g.Expect(cidrs(getPolicy(g, ns, "lb-egress"))).To(Equal(both))
	}, outage, 100*time.Millisecond).Should(Succeed(), "an address was removed while DNS was down")
	srv.Start()
	back := time.Now()
	// The reconcile that clears Resolved=False is the one that renders the first answer.
	g.Eventually(func(g Gomega) {
		c := condition(getAllowlist(g, key), v1alpha1.ConditionResolved)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue))
	}, 2*time.Second+3*time.Second, 20*time.Millisecond).Should(Succeed())
	t.Logf("DNS down for %v (retention %v), %s returned by the last answer before the outage; Resolved=True %v after DNS came back",
		back.Sub(lastSeen).Round(time.Millisecond), retention, rotated, time.Since(back).Round(time.Millisecond))
	g.Expect(cidrs(getPolicy(g, ns, "lb-egress"))).To(Equal(both),
		"the first answer after a %v outage removed %s, which DNS had returned just before the outage: "+
			"the outage counted towards its retention (%v), though a failed lookup should stop ageing",
		back.Sub(lastSeen).Round(time.Millisecond), rotated, retention)
	// After DNS is back it ages out as usual.
	g.Eventually(func(g Gomega) {
		g.Expect(cidrs(getPolicy(g, ns, "lb-egress"))).To(Equal(hostCIDRs(kept)))
	}, retention+3*time.Second, 20*time.Millisecond).Should(Succeed())
	t.Logf("%s left the policy %v after DNS came back", rotated, time.Since(back).Round(time.Millisecond))
}

// 200 allowlists sharing 5 hostnames: each refresh asks DNS once per hostname and
// record type (5 A + 5 AAAA), not once per allowlist (1,000).
func TestSharedHostnamesQueriedOncePerRefresh(t *testing.T) {
	g := NewWithT(t)
	const (
		allowlists = 200
		period     = 3 * time.Second
		periods    = 3
	)
	var hosts []string
	var opts []testdns.Option
	for i := range 5 {
		h := fmt.Sprintf("s%d.scale.example.com", i+1)
		hosts = append(hosts, h)
		opts = append(opts, testdns.WithHost(h, fmt.Sprintf("192.0.2.%d", 100+i), fmt.Sprintf("2001:db8::%d", 100+i)))
	}
	srv := testdns.Start(t, append(opts, testdns.WithLocalTTL(time.Second))...)
	ns := newNamespace(t, "scale")
	m := startManager(t, srv, managerOptions{Namespaces: []string{ns}, Workers: 8, DNS: dnscache.Options{
		MinRefresh: period, MaxRefresh: period, Retention: time.Hour, Jitter: 0,
	}})

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, allowlists)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < allowlists; i += 8 {
				al := customAllowlist(ns, fmt.Sprintf("app-%03d", i), v1alpha1.DirectionEgress, "", hosts...)
				if err := k8s.Create(context.Background(), al); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("creating allowlists: %v", err)
	}
	created := time.Since(start)
	g.Eventually(func(g Gomega) {
		var list v1alpha1.VendorAllowlistList
		g.Expect(k8s.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
		ready := 0
		for i := range list.Items {
			c := condition(&list.Items[i], v1alpha1.ConditionReady)
			if c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == list.Items[i].Generation {
				ready++
			}
		}
		g.Expect(ready).To(Equal(allowlists))
	}, 90*time.Second, 250*time.Millisecond).Should(Succeed())
	allReady := time.Since(start)
	initial := map[string][2]int{}
	for _, h := range hosts {
		a, aaaa := queries(srv, h)
		initial[h] = [2]int{a, aaaa}
	}
	t.Logf("%d allowlists created in %v, all Ready after %v; queries so far (A, AAAA) per hostname: %v",
		allowlists, created.Round(time.Millisecond), allReady.Round(time.Millisecond), initial)
	for _, h := range hosts {
		// The first lookup is shared (a reconcile that finds it already answered asks
		// no more; at most one per worker can miss the shared one by a hair), then one
		// per refresh period: far from one per allowlist.
		limit := 1 + int(allReady/period) + 8
		g.Expect(initial[h][0]).To(BeNumerically("<=", limit), "A queries for %s while creating", h)
		g.Expect(initial[h][1]).To(BeNumerically("<=", limit), "AAAA queries for %s while creating", h)
	}

	versions := policyVersions(g, ns)
	g.Expect(versions).To(HaveLen(allowlists))
	g.Expect(cidrs(getPolicy(g, ns, "app-000-egress"))).To(HaveLen(10))

	// Measure over several periods so a window that starts or ends mid-refresh is
	// off by at most one.
	success := func() float64 {
		v, _ := metricValue(g, m.Registry, "vendorallowlist_dns_lookups_total", map[string]string{"result": "success"})
		return v
	}
	before := map[string][2]int{}
	for _, h := range hosts {
		a, aaaa := queries(srv, h)
		before[h] = [2]int{a, aaaa}
	}
	lookups0 := success()
	window := periods * period
	time.Sleep(window)
	totalA, totalAAAA := 0, 0
	for _, h := range hosts {
		a, aaaa := queries(srv, h)
		da, daaaa := a-before[h][0], aaaa-before[h][1]
		totalA += da
		totalAAAA += daaaa
		t.Logf("%s: %d A and %d AAAA queries in %v (%d refresh periods)", h, da, daaaa, window, periods)
		g.Expect(da).To(BeNumerically("~", periods, 1), "A queries for %s", h)
		g.Expect(daaaa).To(BeNumerically("~", periods, 1), "AAAA queries for %s", h)
	}
	lookups := success() - lookups0
	t.Logf("all %d allowlists: %d A + %d AAAA queries in %v = %.1f A and %.1f AAAA per refresh period (one per hostname would be 5; one per allowlist and hostname 1000); %.0f lookups",
		allowlists, totalA, totalAAAA, window, float64(totalA)/periods, float64(totalAAAA)/periods, lookups)
	g.Expect(totalA).To(BeNumerically("~", 5*periods, 5))
	g.Expect(totalAAAA).To(BeNumerically("~", 5*periods, 5))
	after := policyVersions(g, ns)
	g.Expect(maps.Equal(after, versions)).To(BeTrue(), "refreshes with unchanged answers rewrote policies")
}

// Records pointing at loopback, link-local (the cloud metadata address), private
// ranges and the pod CIDR are never rendered, and are counted in status; with
// privateAddresses: Allow the private ones are rendered, the others still not.
func TestInternalAddressesAreNeverRendered(t *testing.T) {
	g := NewWithT(t)
	const host = "api.rebind.example.com"
	forbidden := []string{"127.0.0.1", "169.254.169.254", "10.244.1.2"} // 10.244.1.2: pod CIDR
	private := []string{"10.0.0.5", "fd00::1"}
	public := []string{"192.0.2.50", "2001:db8::50"}
	all := append(append(append([]string{}, forbidden...), private...), public...)
	srv := testdns.Start(t, testdns.WithLocalTTL(time.Second), testdns.WithHost(host, all...))
	ns := newNamespace(t, "rebind")
	// The admin lets allowlists open private ranges, so privateAddresses: Allow holds.
	limits := tenancy.Defaults()
	limits.AllowRanges = []guard.Category{guard.CategoryPrivate}
	m := startManager(t, srv, managerOptions{Namespaces: []string{ns}, Limits: &limits, DNS: dnscache.Options{
		MinRefresh: time.Second, MaxRefresh: 10 * time.Second, Retention: time.Hour, Jitter: 0.05,
	}})
	blockKey := create(t, customAllowlist(ns, "block", v1alpha1.DirectionEgress, "", host))
	allowKey := create(t, customAllowlist(ns, "allow", v1alpha1.DirectionEgress, v1alpha1.PrivateAddressesAllow, host))
	waitReady(t, blockKey)
	waitReady(t, allowKey)

	// Several refreshes, so a later answer cannot sneak one in either.
	qa, qaaaa := queries(srv, host)
	waitRefresh(t, srv, host, qa+1, qaaaa+1, 5*time.Second)
	g.Consistently(func(g Gomega) {
		g.Expect(cidrs(getPolicy(g, ns, "block-egress"))).To(Equal(hostCIDRs(public...)))
		g.Expect(cidrs(getPolicy(g, ns, "allow-egress"))).To(Equal(hostCIDRs(append(private, public...)...)))
	}, 2*time.Second, 100*time.Millisecond).Should(Succeed())

	block := hostnameStatus(getAllowlist(g, blockKey), host)
	g.Expect(block).NotTo(BeNil())
	g.Expect(block.BlockedAddresses).To(BeEquivalentTo(len(forbidden)+len(private)), "Block: forbidden and private addresses counted")
	g.Expect(statusAddresses(block)).To(ConsistOf(public))
	allow := hostnameStatus(getAllowlist(g, allowKey), host)
	g.Expect(allow).NotTo(BeNil())
	g.Expect(allow.BlockedAddresses).To(BeEquivalentTo(len(forbidden)), "Allow: forbidden addresses counted")
	g.Expect(statusAddresses(allow)).To(ConsistOf(append(private, public...)))
	blocked, ok := metricValue(g, m.Registry, "vendorallowlist_dns_blocked_addresses", map[string]string{"hostname": host})
	g.Expect(ok).To(BeTrue(), "no vendorallowlist_dns_blocked_addresses for %s", host)
	g.Expect(blocked).To(BeEquivalentTo(len(forbidden)))
	t.Logf("DNS answered %v: rendered %v (Block) and %v (Allow); status blockedAddresses %d (Block) and %d (Allow); metric %v",
		all, public, append(private, public...), block.BlockedAddresses, allow.BlockedAddresses, blocked)
}

func statusAddresses(h *v1alpha1.HostnameStatus) []string {
	var out []string
	for _, a := range h.Addresses {
		out = append(out, a.Address)
	}
	return out
}

// A manager that restarts with DNS unchanged writes no policy, and keeps an address
// that DNS stopped returning before the restart (within retention): the new manager's
// empty cache is seeded from the allowlists' status.
func TestManagerRestartWritesNoPolicy(t *testing.T) {
	g := NewWithT(t)
	const (
		api = "api.restart.example.com"
		fe1 = "fe1.restart.example.com"
		fe2 = "fe2.restart.example.com"
	)
	const rotated = "203.0.113.40" // returned by the first manager, then no more
	srv := testdns.Start(t, testdns.WithLocalTTL(time.Second),
		testdns.WithHost(api, "192.0.2.40", "2001:db8::40", rotated),
		testdns.WithHost(fe1, "198.51.100.41"),
		testdns.WithHost(fe2, "198.51.100.42", "2001:db8::42"))
	ns := newNamespace(t, "restart")
	opts := managerOptions{Namespaces: []string{ns}, DNS: dnscache.Options{
		MinRefresh: time.Second, MaxRefresh: 10 * time.Second, Retention: time.Hour, Jitter: 0.05,
	}}
	first := startManager(t, srv, opts)
	keys := []types.NamespacedName{
		create(t, customAllowlist(ns, "api", v1alpha1.DirectionEgress, "", api)),
		create(t, outsystemsAllowlist(ns, "frontends", fe1, fe2)),
	}
	for _, k := range keys {
		waitReady(t, k)
	}
	apiCIDRs := hostCIDRs("192.0.2.40", "2001:db8::40", rotated)
	g.Eventually(func(g Gomega) {
		g.Expect(cidrs(getPolicy(g, ns, "api-egress"))).To(Equal(apiCIDRs))
		g.Expect(cidrs(getPolicy(g, ns, "frontends-ingress"))).To(Equal(hostCIDRs("198.51.100.41", "198.51.100.42", "2001:db8::42")))
	}, timeout, poll).Should(Succeed())

	// The rotated address is no longer returned; the first manager keeps it.
	srv.SetHost(api, "192.0.2.40", "2001:db8::40")
	qa, qaaaa := queries(srv, api)
	waitRefresh(t, srv, api, qa+1, qaaaa+1, 5*time.Second)
	g.Expect(cidrs(getPolicy(g, ns, "api-egress"))).To(Equal(apiCIDRs))
	// The status, which seeds the next manager, records when each address was seen.
	g.Eventually(func(g Gomega) {
		h := hostnameStatus(getAllowlist(g, keys[0]), api)
		g.Expect(h).NotTo(BeNil())
		g.Expect(statusAddresses(h)).To(ConsistOf("192.0.2.40", "2001:db8::40", rotated))
		for _, a := range h.Addresses {
			g.Expect(a.LastSeen).NotTo(BeNil(), "%s has no lastSeen", a.Address)
		}
	}, timeout, poll).Should(Succeed())
	first.Stop()

	versions := policyVersions(g, ns)
	g.Expect(versions).To(HaveKey("api-egress"))
	g.Expect(versions).To(HaveKey("frontends-ingress"))
	statusVersions := map[types.NamespacedName]string{}
	for _, k := range keys {
		statusVersions[k] = getAllowlist(g, k).ResourceVersion
	}

	applies := policyApplies(g)
	restarted := time.Now()
	qa, qaaaa = queries(srv, api)
	qfe, _ := queries(srv, fe2)
	startManager(t, srv, opts)
	// The new manager queries a hostname only after a reconcile asked for it; let
	// every hostname be refreshed twice more, then compare.
	waitRefresh(t, srv, api, qa+1, qaaaa+1, 10*time.Second)
	g.Eventually(func() int { n, _ := queries(srv, fe2); return n }, 10*time.Second, poll).Should(BeNumerically(">=", qfe+2))
	g.Consistently(func(g Gomega) {
		g.Expect(policyVersions(g, ns)).To(Equal(versions), "the restarted manager wrote a policy")
	}, 3*time.Second, 100*time.Millisecond).Should(Succeed())
	g.Expect(cidrs(getPolicy(g, ns, "api-egress"))).To(Equal(apiCIDRs), "the address seen before the restart was dropped")
	// Nor sent an apply that changes nothing: the policies it found, read through
	// its cache (a streaming list), must compare equal to what it renders.
	g.Expect(policyApplies(g)).To(Equal(applies), "the restarted manager applied a policy it found up to date")
	qa1, _ := queries(srv, api)
	rewritten := 0
	for _, k := range keys {
		if getAllowlist(g, k).ResourceVersion != statusVersions[k] {
			rewritten++
		}
	}
	t.Logf("restarted manager: %d A queries for %s in %v, 0 of %d policies written, %d of %d allowlist statuses rewritten; %s still rendered",
		qa1-qa, api, time.Since(restarted).Round(time.Millisecond), len(versions), rewritten, len(keys), rotated)
}
