/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package faults

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/dnscache"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
)

// Lease timings of the leader-election test: short, so a takeover takes seconds.
const (
	leaseDuration = 4 * time.Second
	renewDeadline = 3 * time.Second
	retryPeriod   = 1 * time.Second
	// client-go's elector retries every RetryPeriod stretched by up to JitterFactor
	// (1.2), and a follower counts the lease duration from when it last saw the
	// leader's renewal, which it may see up to one such period late. After a
	// SIGKILL the follower therefore takes over within LeaseDuration plus two of its
	// retry periods: 4s + 2 × 2.2s.
	takeoverBound = leaseDuration + 2*time.Duration(2.2*float64(retryPeriod))
	leaseName     = "vao-faults-leader"
)

// leaseHistory polls the Lease and records each holder it sees, with when.
type leaseHistory struct {
	mu      sync.Mutex
	holders []leaseHolder
	errs    int
	cancel  context.CancelFunc
	done    chan struct{}
}

type leaseHolder struct {
	identity    string
	transitions int32
	seen        time.Time
}

func followLease(c client.Client, key types.NamespacedName) *leaseHistory {
	ctx, cancel := context.WithCancel(context.Background())
	h := &leaseHistory{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		for ctx.Err() == nil {
			var l coordinationv1.Lease
			err := c.Get(ctx, key, &l)
			h.mu.Lock()
			switch {
			case err != nil:
				h.errs++
			default:
				id := ""
				if l.Spec.HolderIdentity != nil {
					id = *l.Spec.HolderIdentity
				}
				var tr int32
				if l.Spec.LeaseTransitions != nil {
					tr = *l.Spec.LeaseTransitions
				}
				if n := len(h.holders); n == 0 || h.holders[n-1].identity != id {
					h.holders = append(h.holders, leaseHolder{identity: id, transitions: tr, seen: time.Now()})
				}
			}
			h.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return h
}

func (h *leaseHistory) current() leaseHolder {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.holders) == 0 {
		return leaseHolder{}
	}
	return h.holders[len(h.holders)-1]
}

func (h *leaseHistory) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	for _, x := range h.holders {
		fmt.Fprintf(&b, "\n  %s holder %q (transitions %d)", x.seen.Format("15:04:05.000"), x.identity, x.transitions)
	}
	return b.String()
}

func (h *leaseHistory) stop() {
	h.cancel()
	<-h.done
}

// TestLeaderKilledFollowerTakesOver runs two operator processes with leader election
// over the same allowlists, SIGKILLs the leader, and checks that the follower takes
// the lease within the lease duration plus its retry periods, keeps reconciling (a new
// allowlist gets its policies, a DNS change reaches the policies), and that through
// it all no NetworkPolicy is ever deleted, emptied, left with a rule without peers, or
// loses an address.
func TestLeaderKilledFollowerTakesOver(t *testing.T) {
	c := shared(t)
	ns := c.namespace(t, "leader")
	answers := map[string][]string{
		"api.leader.faults.example":   {"203.0.113.101", "203.0.113.102"},
		"hooks.leader.faults.example": {"203.0.113.111"},
	}
	var opts []testdns.Option
	for h, a := range answers {
		opts = append(opts, testdns.WithHost(h, a...))
	}
	dns := testdns.Start(t, append(opts, testdns.WithLocalTTL(time.Second))...)

	// The policies are watched from before any operator runs.
	w := watchPolicies(t, c.client, ns)
	defer w.stop()
	var allowlists []*v1alpha1.VendorAllowlist
	for i := range 8 {
		allowlists = append(allowlists, staticAllowlist(ns, fmt.Sprintf("static-%d", i)))
		allowlists = append(allowlists, hostnameAllowlist(ns, fmt.Sprintf("dns-%d", i), "api.leader.faults.example", "hooks.leader.faults.example"))
	}
	createAll(t, c.client, allowlists)

	lease := followLease(c.client, types.NamespacedName{Namespace: ns, Name: leaseName})
	defer lease.stop()
	cfg := childConfig{
		Namespaces:              []string{ns},
		DNSServers:              []string{dns.Addr()},
		DNSTimeout:              500 * time.Millisecond,
		DNS:                     dnscache.Options{MinRefresh: time.Second, MaxRefresh: 2 * time.Second},
		LeaderElect:             true,
		LeaderElectionID:        leaseName,
		LeaderElectionNamespace: ns,
		LeaseDuration:           leaseDuration,
		RenewDeadline:           renewDeadline,
		RetryPeriod:             retryPeriod,
	}
	procs := []*managerProc{startManager(t, c, "replica-a", cfg), startManager(t, c, "replica-b", cfg)}

	// One of them leads: the one the Lease names.
	var leader, follower *managerProc
	deadline := time.Now().Add(60 * time.Second)
	var held leaseHolder
	for leader == nil {
		held = lease.current()
		for i, p := range procs {
			p.requireRunning()
			if held.identity != "" && p.Identity() == held.identity {
				leader, follower = p, procs[1-i]
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no replica leads after 60s (a: %q, b: %q); lease holders:%s", procs[0].Identity(), procs[1].Identity(), lease)
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitAll(t, c.client, ns, 60*time.Second, "every allowlist Ready under "+leader.name, readyAndCurrent)
	checkPolicies(t, c.client, allowlists, answers)
	t.Logf("the lease names %q: %s leads; %s follows", held.identity, leader.name, follower.name)
	if !leader.logContains("Applied NetworkPolicy") {
		t.Fatalf("%s leads but its log shows no policy applied", leader.name)
	}

	// The follower stands by: it does not lead, and has written nothing.
	time.Sleep(2 * retryPeriod)
	follower.requireRunning()
	if !follower.ElectedAt().IsZero() {
		t.Fatalf("both replicas lead: %s since %v, %s since %v", leader.name, leader.ElectedAt(), follower.name, follower.ElectedAt())
	}
	if follower.logContains("Applied NetworkPolicy") {
		t.Fatalf("%s applied a NetworkPolicy while following", follower.name)
	}
	if cur := lease.current(); cur.identity != held.identity {
		t.Fatalf("the lease moved while the leader ran:%s", lease)
	}

	// The kill.
	leader.Kill()
	killed := time.Now()
	t.Logf("%s SIGKILLed", leader.name)
	follower.waitElected(60 * time.Second)
	var took time.Duration
	for {
		if cur := lease.current(); cur.identity != held.identity && cur.identity != "" {
			took = cur.seen.Sub(killed)
			break
		}
		if time.Since(killed) > 60*time.Second {
			t.Fatalf("%s reports leading, but the lease still names %q after 60s:%s", follower.name, held.identity, lease)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%s took over %v after the kill (lease seen moving after %v; bound %v = lease duration %v + 2 × retry period %v × 2.2)",
		follower.name, follower.ElectedAt().Sub(killed).Round(time.Millisecond), took.Round(time.Millisecond), takeoverBound, leaseDuration, retryPeriod)
	if d := follower.ElectedAt().Sub(killed); d > takeoverBound {
		t.Errorf("%s took over %v after the kill; want within %v; lease holders:%s", follower.name, d, takeoverBound, lease)
	}
	if cur := lease.current(); cur.transitions <= held.transitions {
		t.Errorf("lease transitions %d after the takeover, %d before", cur.transitions, held.transitions)
	}

	// The new leader keeps reconciling: a new allowlist gets its policies...
	late := hostnameAllowlist(ns, "after-kill", "api.leader.faults.example")
	createAll(t, c.client, []*v1alpha1.VendorAllowlist{late})
	allowlists = append(allowlists, late)
	waitAll(t, c.client, ns, 60*time.Second, "every allowlist Ready under "+follower.name, readyAndCurrent)
	// ...and a hostname's new address reaches the policies of every allowlist using it.
	answers["api.leader.faults.example"] = append(answers["api.leader.faults.example"], "203.0.113.103")
	dns.SetHost("api.leader.faults.example", answers["api.leader.faults.example"]...)
	waitPolicies(t, c.client, allowlists, answers, 30*time.Second)

	if got := lease.current().identity; got != follower.Identity() {
		t.Errorf("the lease names %q, not the new leader %s (%q)", got, follower.name, follower.Identity())
	}

	// Stopped as a rolling update stops it, the leader gives the lease up at once
	// (LeaderElectionReleaseOnCancel), so the next replica need not wait it out.
	follower.requireRunning()
	if err := follower.Stop(30 * time.Second); err != nil {
		t.Errorf("%s did not stop cleanly on SIGTERM: %v", follower.name, err)
	}
	released := time.Now().Add(5 * time.Second)
	for lease.current().identity != "" && time.Now().Before(released) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := lease.current().identity; got != "" {
		t.Errorf("%s stopped but the lease still names %q", follower.name, got)
	}
	r := w.check(t, false, false)
	t.Logf("policy events through election, kill and takeover: %d %v; lease holders:%s", r.Events, r.ByType, lease)
}

// checkPolicies fails the test unless every allowlist's policies are the rendered ones.
func checkPolicies(t testing.TB, c client.Client, allowlists []*v1alpha1.VendorAllowlist, answers map[string][]string) {
	t.Helper()
	if msg := policyMismatch(t, c, allowlists, answers); msg != "" {
		t.Fatal(msg)
	}
}

// waitPolicies waits until every allowlist's policies are the rendered ones.
func waitPolicies(t testing.TB, c client.Client, allowlists []*v1alpha1.VendorAllowlist, answers map[string][]string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msg := policyMismatch(t, c, allowlists, answers)
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, msg)
		}
		time.Sleep(poll)
	}
}

func policyMismatch(t testing.TB, c client.Client, allowlists []*v1alpha1.VendorAllowlist, answers map[string][]string) string {
	t.Helper()
	for _, a := range allowlists {
		got, err := policySpecs(context.Background(), c, a.Namespace, a.Name)
		if err != nil {
			return err.Error()
		}
		if d := specDiff(expectedPolicies(t, a, answers), got); d != "" {
			return fmt.Sprintf("%s's policies (-want +got):\n%s", a.Name, d)
		}
	}
	return ""
}
