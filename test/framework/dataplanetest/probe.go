/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dataplanetest

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// Check is one thing a test expects of the dataplane: Run says what is wrong, or "".
type Check interface {
	Run() string
}

// Probe is one connection a test expects the dataplane to allow or deny.
type Probe struct {
	From *Endpoint
	To   netip.Addr
	Port uint16
	Want Verdict
	// SeenAs, when valid and Want is Allowed, is the address the server must see the
	// client as (the client's own, when nothing translates it).
	SeenAs netip.Addr
}

func (p Probe) String() string {
	return fmt.Sprintf("%s -> %s:%d", p.From.Name, p.To, p.Port)
}

// Run makes the connection and says what is wrong with its outcome, or "".
func (p Probe) Run() string {
	r := p.From.Connect(p.To, p.Port)
	switch {
	case r.Verdict == Broken:
		return fmt.Sprintf("%s: %v", p, r)
	case r.Verdict != p.Want:
		return fmt.Sprintf("%s: %v, want %s", p, r, p.Want)
	case r.Verdict == Allowed && p.SeenAs.IsValid() && r.SeenAs.Addr() != p.SeenAs:
		return fmt.Sprintf("%s: the server saw the client as %s, want %s", p, r.SeenAs.Addr(), p.SeenAs)
	}
	return ""
}

// DNSProbe asks kube-dns, through its ClusterIP, for a name it knows, from a pod:
// Allowed when the answer arrives, Denied when the query is refused or unanswered.
type DNSProbe struct {
	From *Endpoint
	Want Verdict
}

func (p DNSProbe) String() string {
	return fmt.Sprintf("%s -> DNS %s:53/UDP", p.From.Name, KubeDNSIP)
}

// Run asks and says what is wrong with the outcome, or "".
func (p DNSProbe) Run() string {
	addrs, err := p.From.QueryDNS(netip.AddrPortFrom(KubeDNSIP, 53), kubeDNSProbeName, DefaultConnectTimeout)
	got := Allowed
	if err != nil {
		got = classify(err)
	} else if len(addrs) != 1 || addrs[0] != KubeDNSAnswer {
		return fmt.Sprintf("%s: answered %v, want [%s]", p, addrs, KubeDNSAnswer)
	}
	switch {
	case got == Broken:
		return fmt.Sprintf("%s: %v", p, err)
	case got != p.Want:
		return fmt.Sprintf("%s: %s (%v), want %s", p, got, err, p.Want)
	}
	return ""
}

// CheckAll runs the checks concurrently and lists what is wrong, in their order.
func CheckAll(probes []Check) []string {
	out := make([]string, len(probes))
	var wg sync.WaitGroup
	for i, p := range probes {
		wg.Go(func() { out[i] = p.Run() })
	}
	wg.Wait()
	var problems []string
	for _, s := range out {
		if s != "" {
			problems = append(problems, s)
		}
	}
	return problems
}

// AwaitReach polls the probes until every one has its wanted outcome in the same
// round, and fails the test with the last round's problems after timeout. It returns
// how long that took. A policy change reaches the packets asynchronously; waiting for
// every probe at once means no probe's outcome comes from a state before the change.
func AwaitReach(t testing.TB, timeout time.Duration, what string, probes ...Check) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		problems := CheckAll(probes)
		if len(problems) == 0 {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			t.Fatalf("%s: not reached within %v:\n  %s", what, timeout, strings.Join(problems, "\n  "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// HoldReach checks the probes every interval for duration and fails the test at the
// first round with a problem: an outcome that must not change meanwhile.
func HoldReach(t testing.TB, duration, interval time.Duration, what string, probes ...Check) {
	t.Helper()
	end := time.Now().Add(duration)
	for round := 1; ; round++ {
		if problems := CheckAll(probes); len(problems) > 0 {
			t.Fatalf("%s: round %d broke it:\n  %s", what, round, strings.Join(problems, "\n  "))
		}
		if time.Now().After(end) {
			return
		}
		time.Sleep(interval)
	}
}

// FirstAllowed starts a connection attempt from one endpoint to to:port every interval,
// each with a timeout shorter than TCP's first SYN retransmission (1 s), until one is
// allowed or deadline passes. It returns when the earliest allowed attempt started:
// that attempt's first SYN got through, so the dataplane let packets through from
// then on, within interval. Attempts run concurrently, so refused ones and ones whose
// rejection went unanswered (ICMP rate limit) do not hold up the next.
func FirstAllowed(from *Endpoint, to netip.Addr, port uint16, interval time.Duration, deadline time.Time) (time.Time, error) {
	const attemptTimeout = 300 * time.Millisecond
	type outcome struct {
		start time.Time
		r     Result
	}
	results := make(chan outcome, 64)
	var wg sync.WaitGroup
	var first time.Time
	var last Result
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	launch := func() {
		start := time.Now()
		wg.Go(func() { results <- outcome{start, from.ConnectTimeout(to, port, attemptTimeout)} })
	}
	launch()
	for first.IsZero() {
		select {
		case <-ticker.C:
			if time.Now().After(deadline) {
				wg.Wait()
				return time.Time{}, fmt.Errorf("%s -> %s:%d: no connection allowed by the deadline; the last: %v", from.Name, to, port, last)
			}
			launch()
		case o := <-results:
			last = o.r
			if o.r.Verdict == Broken {
				go func() { wg.Wait(); close(results) }()
				for range results {
				}
				return time.Time{}, fmt.Errorf("%s -> %s:%d: %v", from.Name, to, port, o.r)
			}
			if o.r.Verdict == Allowed {
				first = o.start
			}
		}
	}
	// An attempt started earlier may still be under way and succeed: take the earliest.
	go func() { wg.Wait(); close(results) }()
	for o := range results {
		if o.r.Verdict == Allowed && o.start.Before(first) {
			first = o.start
		}
	}
	return first, nil
}
