/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package faults

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/dnscache"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
)

// The bench: allowlists over a shared set of hostnames, each allowlist naming three
// of them, and some allowlists with no hostname at all.
const (
	benchHostnames  = 20
	benchWithDNS    = 180
	benchStaticOnly = 20
	// The refresh period is 1-2s (TTL 1s clamped to [MinRefresh, MaxRefresh], and the
	// failure backoff is capped at MaxRefresh); retention is shorter than the outage,
	// so an address aged while DNS is down would be dropped during the test.
	benchMinRefresh = time.Second
	benchMaxRefresh = 2 * time.Second
	benchRetention  = 10 * time.Second
	benchOutage     = 15 * time.Second
)

func isStatic(a *v1alpha1.VendorAllowlist) bool { return strings.HasPrefix(a.Name, "static-") }

func benchHost(i int) string { return fmt.Sprintf("h%02d.bench.faults.example", i) }

// benchAddrs are the two documentation-range addresses of hostname i (public to the
// operator's guard; nothing is ever sent to them).
func benchAddrs(i int) []string {
	return []string{fmt.Sprintf("203.0.113.%d", 2*i+1), fmt.Sprintf("203.0.113.%d", 2*i+2)}
}

// TestDNSOutageAtBenchScale stops the DNS server under 200 allowlists for longer than
// the address retention and several refresh periods. No policy may change while DNS is
// down (every resourceVersion stays, no address is removed), every allowlist that names
// a hostname must say Resolved=False and stay Ready, the others must not be touched;
// when DNS is back, Resolved=True again, with every address still there.
func TestDNSOutageAtBenchScale(t *testing.T) {
	c := shared(t)
	ns := c.namespace(t, "dns-outage")
	ctx := context.Background()

	answers := map[string][]string{}
	var opts []testdns.Option
	for i := range benchHostnames {
		answers[benchHost(i)] = benchAddrs(i)
		opts = append(opts, testdns.WithHost(benchHost(i), benchAddrs(i)...))
	}
	dns := testdns.Start(t, append(opts, testdns.WithLocalTTL(time.Second))...)
	mgr := startManager(t, c, "dns-outage", childConfig{
		Namespaces: []string{ns},
		DNSServers: []string{dns.Addr()},
		DNSTimeout: 500 * time.Millisecond,
		DNS: dnscache.Options{
			MinRefresh: benchMinRefresh, MaxRefresh: benchMaxRefresh, Retention: benchRetention,
			LookupTimeout: 2 * time.Second,
		},
	})

	// Create the bench, a few at a time.
	start := time.Now()
	allowlists := map[string]*v1alpha1.VendorAllowlist{}
	for i := range benchWithDNS {
		name := fmt.Sprintf("dns-%03d", i)
		allowlists[name] = hostnameAllowlist(ns, name, benchHost(i%benchHostnames), benchHost((i+7)%benchHostnames), benchHost((i+13)%benchHostnames))
	}
	for i := range benchStaticOnly {
		name := fmt.Sprintf("static-%03d", i)
		allowlists[name] = staticAllowlist(ns, name)
	}
	createAll(t, c.client, slices.Collect(maps.Values(allowlists)))
	took := waitAll(t, c.client, ns, 3*time.Minute, "every allowlist Ready", func(a *v1alpha1.VendorAllowlist) string {
		if p := readyAndCurrent(a); p != "" {
			return p
		}
		if isStatic(a) {
			return ""
		}
		if r := condition(a, v1alpha1.ConditionResolved); r == nil || r.Status != metav1.ConditionTrue {
			return fmt.Sprintf("Resolved: %v", r)
		}
		return ""
	})
	t.Logf("%d allowlists Ready and resolved %v after the first create (%v of waiting)", len(allowlists), time.Since(start).Round(time.Millisecond), took.Round(time.Millisecond))

	// Every policy is what the renderer makes of the catalog and DNS's answers.
	checkBench := func(when string) {
		t.Helper()
		for name, a := range allowlists {
			got, err := policySpecs(ctx, c.client, ns, name)
			if err != nil {
				t.Fatal(err)
			}
			if d := specDiff(expectedPolicies(t, a, answers), got); d != "" {
				t.Fatalf("%s: %s's policies (-want +got):\n%s", when, name, d)
			}
		}
	}
	checkBench("before the outage")

	// Let the status writes of the first resolutions settle, then take the baseline.
	time.Sleep(2 * time.Second)
	before, err := policyVersions(ctx, c.client, ns)
	if err != nil {
		t.Fatal(err)
	}
	staticBefore := allowlistVersions(t, c.client, ns, "static-")
	w := watchPolicies(t, c.client, ns)
	defer w.stop()

	// The outage.
	dns.Stop()
	outageStart := time.Now()
	t.Logf("dnsmasq stopped")
	took = waitAll(t, c.client, ns, 60*time.Second, "Resolved=False on every allowlist with hostnames", func(a *v1alpha1.VendorAllowlist) string {
		r := condition(a, v1alpha1.ConditionResolved)
		if isStatic(a) {
			if r != nil {
				return fmt.Sprintf("an allowlist without hostnames has Resolved %s", r.Status)
			}
			return ""
		}
		if r == nil || r.Status != metav1.ConditionFalse || r.Reason != v1alpha1.ReasonResolutionFailed {
			return fmt.Sprintf("Resolved: %v", r)
		}
		return readyAndCurrent(a)
	})
	t.Logf("Resolved=False on all %d allowlists with hostnames %v into the outage", benchWithDNS, took.Round(time.Millisecond))
	if rest := benchOutage - time.Since(outageStart); rest > 0 {
		time.Sleep(rest)
	}
	// Still down, longer than the retention: nothing changed, and every allowlist is
	// still Ready (its policies are in place, with the last known addresses).
	waitAll(t, c.client, ns, 5*time.Second, "Ready and Resolved=False at the end of the outage", func(a *v1alpha1.VendorAllowlist) string {
		if r := condition(a, v1alpha1.ConditionResolved); !isStatic(a) && (r == nil || r.Status != metav1.ConditionFalse) {
			return fmt.Sprintf("Resolved: %v", r)
		}
		return readyAndCurrent(a)
	})
	during, err := policyVersions(ctx, c.client, ns)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(during) != fmt.Sprint(before) {
		t.Errorf("policies changed during a %v DNS outage (retention %v):\nbefore %v\nafter  %v", time.Since(outageStart).Round(time.Second), benchRetention, before, during)
	}
	r := w.report()
	if r.Events > 0 {
		t.Errorf("%d policy events during the outage (%v); none expected", r.Events, r.ByType)
	}
	checkBench("at the end of the outage")
	t.Logf("outage of %v: %d policy events", time.Since(outageStart).Round(time.Millisecond), r.Events)

	// DNS is back.
	dns.Start()
	took = waitAll(t, c.client, ns, 60*time.Second, "Resolved=True again on every allowlist with hostnames", func(a *v1alpha1.VendorAllowlist) string {
		if isStatic(a) {
			return readyAndCurrent(a)
		}
		if r := condition(a, v1alpha1.ConditionResolved); r == nil || r.Status != metav1.ConditionTrue {
			return fmt.Sprintf("Resolved: %v", r)
		}
		return readyAndCurrent(a)
	})
	t.Logf("Resolved=True on all %d allowlists %v after dnsmasq came back", benchWithDNS, took.Round(time.Millisecond))
	checkBench("after the outage")
	r = w.check(t, false, false)
	t.Logf("policy events from the outage to recovery: %d %v", r.Events, r.ByType)
	if got := allowlistVersions(t, c.client, ns, "static-"); fmt.Sprint(got) != fmt.Sprint(staticBefore) {
		t.Errorf("allowlists without hostnames were written during the outage or recovery:\nbefore %v\nafter  %v", staticBefore, got)
	}

	mgr.requireRunning()
	if err := mgr.Stop(30 * time.Second); err != nil {
		t.Errorf("manager did not stop cleanly on SIGTERM: %v", err)
	}
}

// createAll creates objects four at a time.
func createAll(t testing.TB, c client.Client, objs []*v1alpha1.VendorAllowlist) {
	t.Helper()
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, o := range objs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := c.Create(ctx, o); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("creating %s: %w", o.Name, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
}

// allowlistVersions maps the allowlists in ns whose name starts with prefix to their
// resourceVersion.
func allowlistVersions(t testing.TB, c client.Client, ns, prefix string) map[types.NamespacedName]string {
	t.Helper()
	var list v1alpha1.VendorAllowlistList
	if err := c.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	out := map[types.NamespacedName]string{}
	for _, a := range list.Items {
		if strings.HasPrefix(a.Name, prefix) {
			out[client.ObjectKeyFromObject(&a)] = a.ResourceVersion
		}
	}
	return out
}
