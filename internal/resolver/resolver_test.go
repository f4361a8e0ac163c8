/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package resolver_test

// Every test here talks to servers on 127.0.0.1 only: dnsmasq from test/framework/testdns, a
// few in-process servers for answers dnsmasq cannot give, closed ports and sockets that
// never answer. No Resolver here ever reads the machine's resolv.conf.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/resolver"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
)

func newResolver(servers ...string) *resolver.Resolver {
	return &resolver.Resolver{Servers: servers, Timeout: 500 * time.Millisecond, Attempts: 1}
}

func lookup(t *testing.T, r *resolver.Resolver, host string) resolver.Answer {
	t.Helper()
	ans, err := r.Lookup(context.Background(), host)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", host, err)
	}
	return ans
}

func rec(addr string, ttl time.Duration) resolver.Record {
	return resolver.Record{Addr: netip.MustParseAddr(addr), TTL: ttl}
}

func lookupErr(t *testing.T, r *resolver.Resolver, host string) *resolver.Error {
	t.Helper()
	ans, err := r.Lookup(context.Background(), host)
	if err == nil {
		t.Fatalf("Lookup(%q) = %v, want an error", host, ans.Addresses)
	}
	var rerr *resolver.Error
	if !errors.As(err, &rerr) {
		t.Fatalf("Lookup(%q) error %T %v is not a *resolver.Error", host, err, err)
	}
	if len(ans.Addresses) != 0 {
		t.Fatalf("Lookup(%q) returned addresses %v with error %v", host, ans.Addresses, err)
	}
	return rerr
}

// closedPort returns a loopback address where nothing listens (UDP or TCP).
func closedPort(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

// blackhole returns a loopback UDP address that reads queries and never answers.
func blackhole(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	return pc.LocalAddr().String()
}

// fakeServer serves handler over UDP on a loopback port, for answers dnsmasq does not
// give (SERVFAIL, CNAME loops, duplicates).
func fakeServer(t *testing.T, handler func(q dns.Question, resp *dns.Msg)) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	srv := &dns.Server{
		PacketConn:        pc,
		NotifyStartedFunc: func() { close(started) },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
			resp := new(dns.Msg)
			resp.SetReply(req)
			handler(req.Question[0], resp)
			_ = w.WriteMsg(resp)
		}),
	}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

func mustRR(t *testing.T, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

func TestLookupAddressFamilies(t *testing.T) {
	s := testdns.Start(t,
		testdns.WithLocalTTL(60*time.Second),
		testdns.WithHost("v4.example", "127.0.0.10", "127.0.0.11"),
		testdns.WithHost("v6.example", "fd00::10"),
		testdns.WithHost("both.example", "fd00::12", "127.0.0.12"),
	)
	r := newResolver(s.Addr())
	for _, tc := range []struct {
		host string
		want []resolver.Record
	}{
		{"v4.example", []resolver.Record{rec("127.0.0.10", time.Minute), rec("127.0.0.11", time.Minute)}},
		{"v6.example", []resolver.Record{rec("fd00::10", time.Minute)}},
		{"both.example", []resolver.Record{rec("127.0.0.12", time.Minute), rec("fd00::12", time.Minute)}},
	} {
		t.Run(tc.host, func(t *testing.T) {
			ans := lookup(t, r, tc.host)
			if !slices.Equal(ans.Addresses, tc.want) {
				t.Fatalf("got %v, want %v", ans.Addresses, tc.want)
			}
			if ans.Host != tc.host || ans.Canonical != tc.host {
				t.Fatalf("Host %q, Canonical %q; want %q", ans.Host, ans.Canonical, tc.host)
			}
			if ans.MinTTL() != time.Minute {
				t.Fatalf("MinTTL %v", ans.MinTTL())
			}
			if got := s.QueryCount(tc.host, "A") + s.QueryCount(tc.host, "AAAA"); got != 2 {
				t.Fatalf("%d queries, want one A and one AAAA", got)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	s := testdns.Start(t, testdns.WithHost("r.example", "fd00::1", "127.0.0.1"))
	r := newResolver(s.Addr())
	got, err := r.Resolve(context.Background(), "r.example")
	if want := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("fd00::1")}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("Resolve = %v, %v; want %v", got, err, want)
	}
	if _, err := r.Resolve(context.Background(), "missing.example"); !errors.Is(err, resolver.ErrNotFound) {
		t.Fatalf("Resolve(missing) error %v, want ErrNotFound", err)
	}
}

func TestLookupTTLFromHostRecords(t *testing.T) {
	s := testdns.Start(t,
		testdns.WithLocalTTL(30*time.Second),
		testdns.WithHostRecord("ttl.example", 77*time.Second, "127.0.0.20"),
		testdns.WithHostRecord("ttl.example", 3600*time.Second, "127.0.0.21"),
		testdns.WithHostRecord("ttl.example", 90*time.Second, "fd00::20"),
	)
	ans := lookup(t, newResolver(s.Addr()), "ttl.example")
	want := []resolver.Record{
		rec("127.0.0.20", 77*time.Second), rec("127.0.0.21", time.Hour), rec("fd00::20", 90*time.Second)}
	if !slices.Equal(ans.Addresses, want) {
		t.Fatalf("got %v, want %v", ans.Addresses, want)
	}
	if ans.MinTTL() != 77*time.Second {
		t.Fatalf("MinTTL %v", ans.MinTTL())
	}
}

func TestLookupFollowsCNAMEChainInOneAnswer(t *testing.T) {
	s := testdns.Start(t,
		testdns.WithLocalTTL(60*time.Second),
		testdns.WithCNAMETTL("alias.example", "middle.example", 5*time.Second),
		testdns.WithCNAME("middle.example", "target.example"),
		testdns.WithHostRecord("target.example", 300*time.Second, "127.0.0.30", "fd00::30"),
		testdns.WithHostRecord("long.example", 2*time.Second, "127.0.0.31"),
		testdns.WithCNAMETTL("short.example", "long.example", 50*time.Second),
	)
	r := newResolver(s.Addr())

	ans := lookup(t, r, "alias.example")
	// Each address is cached no longer than the shortest link of its chain.
	want := []resolver.Record{rec("127.0.0.30", 5*time.Second), rec("fd00::30", 5*time.Second)}
	if !slices.Equal(ans.Addresses, want) {
		t.Fatalf("got %v, want %v", ans.Addresses, want)
	}
	if ans.Host != "alias.example" || ans.Canonical != "target.example" {
		t.Fatalf("Host %q Canonical %q", ans.Host, ans.Canonical)
	}
	// dnsmasq gave the whole chain at once: nothing was asked of the names after it.
	for _, n := range []string{"middle.example", "target.example"} {
		if c := s.QueryCount(n, ""); c != 0 {
			t.Fatalf("%d queries for %s", c, n)
		}
	}

	ans = lookup(t, r, "short.example")
	if want := []resolver.Record{rec("127.0.0.31", 2*time.Second)}; !slices.Equal(ans.Addresses, want) {
		t.Fatalf("address TTL shorter than the CNAME's: got %v, want %v", ans.Addresses, want)
	}
}

func TestLookupQueriesCNAMETargetWhenServerDoesNot(t *testing.T) {
	// dnsmasq answers req.example with the CNAME alone, since it knows tgt.example only
	// through an --address rule; tgt.example must be asked for separately.
	s := testdns.Start(t,
		testdns.WithLocalTTL(40*time.Second),
		testdns.WithCNAMETTL("req.example", "tgt.example", 10*time.Second),
		testdns.WithArgs("--address=/tgt.example/127.0.0.5", "--address=/tgt.example/fd00::5"),
	)
	ans := lookup(t, newResolver(s.Addr()), "req.example")
	want := []resolver.Record{rec("127.0.0.5", 10*time.Second), rec("fd00::5", 10*time.Second)}
	if !slices.Equal(ans.Addresses, want) || ans.Canonical != "tgt.example" {
		t.Fatalf("got %v (canonical %q), want %v", ans.Addresses, ans.Canonical, want)
	}
	if a, aaaa := s.QueryCount("tgt.example", "A"), s.QueryCount("tgt.example", "AAAA"); a != 1 || aaaa != 1 {
		t.Fatalf("target asked %d times for A, %d for AAAA; want once each", a, aaaa)
	}
}

func TestLookupCNAMEToMissingTarget(t *testing.T) {
	s := testdns.Start(t, testdns.WithCNAME("dangling.example", "gone.example"))
	err := lookupErr(t, newResolver(s.Addr()), "dangling.example")
	if !errors.Is(err, resolver.ErrNotFound) || errors.Is(err, resolver.ErrTemporary) {
		t.Fatalf("dangling CNAME: %v, want ErrNotFound", err)
	}
}

func TestLookupCNAMELoopsAndLongChains(t *testing.T) {
	// dnsmasq refuses to start with a CNAME loop, so these come from a fake server.
	addr := fakeServer(t, func(q dns.Question, resp *dns.Msg) {
		switch name := strings.ToLower(q.Name); {
		case name == "a.loop.example.":
			resp.Answer = append(resp.Answer, mustRR(t, "a.loop.example. 60 IN CNAME b.loop.example."))
		case name == "b.loop.example.":
			resp.Answer = append(resp.Answer, mustRR(t, "b.loop.example. 60 IN CNAME a.loop.example."))
		case name == "x.inline.example.":
			resp.Answer = append(resp.Answer,
				mustRR(t, "x.inline.example. 60 IN CNAME y.inline.example."),
				mustRR(t, "y.inline.example. 60 IN CNAME x.inline.example."))
		case strings.HasSuffix(name, ".chain.example."):
			// c0 -> c1 -> ... each answered alone.
			var i int
			fmt.Sscanf(name, "c%d.", &i)
			resp.Answer = append(resp.Answer, mustRR(t, fmt.Sprintf("%s 60 IN CNAME c%d.chain.example.", name, i+1)))
		default:
			resp.Rcode = dns.RcodeNameError
		}
	})
	r := newResolver(addr)
	for _, host := range []string{"a.loop.example", "x.inline.example", "c0.chain.example"} {
		err := lookupErr(t, r, host)
		t.Logf("error: %v", err)
		if !errors.Is(err, resolver.ErrCNAMEChain) || !errors.Is(err, resolver.ErrTemporary) {
			t.Errorf("%s: %v, want ErrCNAMEChain and ErrTemporary", host, err)
		}
	}
}

func TestLookupNXDOMAIN(t *testing.T) {
	s := testdns.Start(t, testdns.WithHost("exists.example", "127.0.0.1"))
	r := newResolver(s.Addr())
	err := lookupErr(t, r, "missing.example")
	t.Logf("error: %v", err)
	if !errors.Is(err, resolver.ErrNotFound) {
		t.Fatalf("%v: not ErrNotFound", err)
	}
	if errors.Is(err, resolver.ErrTemporary) || errors.Is(err, resolver.ErrNoAddresses) || err.Temporary() {
		t.Fatalf("%v: NXDOMAIN must not look temporary or NODATA", err)
	}
	if err.Host != "missing.example" || err.Server != s.Addr() {
		t.Fatalf("Host %q Server %q", err.Host, err.Server)
	}
	if want := fmt.Sprintf("resolving missing.example via %s: ", s.Addr()); !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("message %q does not start with %q", err.Error(), want)
	}
}

func TestLookupNODATA(t *testing.T) {
	// txt.example exists (a TXT record) but has no addresses; parent.example exists
	// only as the parent of a name.
	s := testdns.Start(t,
		testdns.WithArgs("--txt-record=txt.example,hello"),
		testdns.WithHost("child.parent.example", "127.0.0.1"),
	)
	r := newResolver(s.Addr())
	for _, host := range []string{"txt.example", "parent.example"} {
		err := lookupErr(t, r, host)
		if !errors.Is(err, resolver.ErrNoAddresses) {
			t.Errorf("%s: %v, want ErrNoAddresses", host, err)
		}
		if errors.Is(err, resolver.ErrNotFound) || errors.Is(err, resolver.ErrTemporary) {
			t.Errorf("%s: %v must be neither NXDOMAIN nor temporary", host, err)
		}
	}
}

func TestLookupStoppedServerIsTemporary(t *testing.T) {
	s := testdns.Start(t, testdns.WithHost("up.example", "127.0.0.1"))
	r := newResolver(s.Addr())
	lookup(t, r, "up.example")

	s.Stop()
	start := time.Now()
	err := lookupErr(t, r, "up.example")
	t.Logf("error: %v", err)
	if !errors.Is(err, resolver.ErrTemporary) || !err.Temporary() {
		t.Fatalf("%v: want ErrTemporary", err)
	}
	if errors.Is(err, resolver.ErrNotFound) || errors.Is(err, resolver.ErrNoAddresses) {
		t.Fatalf("%v: an outage must not look like NXDOMAIN or NODATA", err)
	}
	if !strings.Contains(err.Error(), s.Addr()) || !strings.Contains(err.Error(), "up.example") {
		t.Fatalf("message %q names neither host nor server", err)
	}
	// A closed loopback port refuses at once (ICMP port unreachable): no timeout wait.
	if d := time.Since(start); d > 400*time.Millisecond {
		t.Fatalf("took %v", d)
	}

	s.Start()
	lookup(t, r, "up.example")
}

func TestLookupFailsOver(t *testing.T) {
	live := testdns.Start(t, testdns.WithHost("vendor.example", "127.0.0.80", "fd00::80"))
	want := []resolver.Record{rec("127.0.0.80", 0), rec("fd00::80", 0)}

	stopped := testdns.Start(t, testdns.WithHost("vendor.example", "127.0.0.99"))
	stopped.Stop()
	refusing := testdns.Start(t, testdns.WithoutCatchAll())
	servfail := fakeServer(t, func(_ dns.Question, resp *dns.Msg) { resp.Rcode = dns.RcodeServerFailure })

	for _, tc := range []struct {
		name  string
		first string
	}{
		{"closed port", closedPort(t)},
		{"stopped dnsmasq", stopped.Addr()},
		{"timeout", blackhole(t)},
		{"REFUSED", refusing.Addr()},
		{"SERVFAIL", servfail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := live.QueryCount("vendor.example", "")
			r := &resolver.Resolver{Servers: []string{tc.first, live.Addr()}, Timeout: 200 * time.Millisecond, Attempts: 1}
			ans := lookup(t, r, "vendor.example")
			if !slices.Equal(ans.Addresses, want) {
				t.Fatalf("got %v, want %v", ans.Addresses, want)
			}
			if n := live.QueryCount("vendor.example", "") - before; n != 2 {
				t.Fatalf("live server asked %d times, want 2", n)
			}
		})
	}

	t.Run("every server fails", func(t *testing.T) {
		first, second := closedPort(t), servfail
		r := &resolver.Resolver{Servers: []string{first, second}, Timeout: 200 * time.Millisecond, Attempts: 2}
		err := lookupErr(t, r, "vendor.example")
		t.Logf("error: %v", err)
		if !errors.Is(err, resolver.ErrTemporary) {
			t.Fatalf("%v: want ErrTemporary", err)
		}
		var rc *resolver.RcodeError
		if !errors.As(err, &rc) || rc.Rcode != dns.RcodeServerFailure {
			t.Fatalf("%v: want the SERVFAIL among the causes", err)
		}
		for _, s := range []string{first, second, "SERVFAIL", "vendor.example"} {
			if !strings.Contains(err.Error(), s) {
				t.Fatalf("message %q does not mention %s", err, s)
			}
		}
	})
}

func TestLookupNXDOMAINDoesNotFailOver(t *testing.T) {
	first := testdns.Start(t)
	second := testdns.Start(t, testdns.WithHost("vendor.example", "127.0.0.1"))
	err := lookupErr(t, newResolver(first.Addr(), second.Addr()), "vendor.example")
	if !errors.Is(err, resolver.ErrNotFound) || err.Server != first.Addr() {
		t.Fatalf("%v (server %q): want ErrNotFound from %s", err, err.Server, first.Addr())
	}
	if n := second.QueryCount("vendor.example", ""); n != 0 {
		t.Fatalf("second server asked %d times after an NXDOMAIN", n)
	}
}

func TestLookupRetriesInRounds(t *testing.T) {
	// With Attempts 3 and one server that fails, each query is sent three times.
	var got atomic.Int32
	addr := fakeServer(t, func(q dns.Question, resp *dns.Msg) {
		got.Add(1)
		resp.Rcode = dns.RcodeServerFailure
	})
	r := &resolver.Resolver{Servers: []string{addr}, Timeout: 200 * time.Millisecond, Attempts: 3}
	if _, err := r.Lookup(context.Background(), "x.example"); !errors.Is(err, resolver.ErrTemporary) {
		t.Fatalf("%v", err)
	}
	if n := got.Load(); n != 6 { // A and AAAA, three times each
		t.Fatalf("server asked %d times, want 6", n)
	}
}

func TestLookupAnswerIsSortedAndDeduplicated(t *testing.T) {
	addrs := []string{"fd00::3", "127.0.0.3", "fd00::1", "127.0.0.200", "127.0.0.1", "fd00::2", "127.0.0.20"}
	s := testdns.Start(t, testdns.WithLocalTTL(10*time.Second), testdns.WithHost("rr.example", addrs...))
	var want []resolver.Record
	for _, a := range []string{"127.0.0.1", "127.0.0.3", "127.0.0.20", "127.0.0.200", "fd00::1", "fd00::2", "fd00::3"} {
		want = append(want, rec(a, 10*time.Second))
	}
	r := newResolver(s.Addr())
	for range 5 { // dnsmasq rotates the order of its answers
		if ans := lookup(t, r, "rr.example"); !slices.Equal(ans.Addresses, want) {
			t.Fatalf("got %v, want %v", ans.Addresses, want)
		}
	}

	// A server that repeats an address: it is kept once, with its shortest TTL.
	dup := fakeServer(t, func(q dns.Question, resp *dns.Msg) {
		if q.Qtype == dns.TypeA {
			resp.Answer = append(resp.Answer,
				mustRR(t, "dup.example. 300 IN A 127.0.0.9"),
				mustRR(t, "dup.example. 30 IN A 127.0.0.9"),
				mustRR(t, "dup.example. 60 IN A 127.0.0.8"),
				mustRR(t, "unrelated.example. 60 IN A 127.0.0.7"), // not on the chain: ignored
			)
		}
	})
	ans := lookup(t, newResolver(dup), "dup.example")
	if want := []resolver.Record{rec("127.0.0.8", time.Minute), rec("127.0.0.9", 30*time.Second)}; !slices.Equal(ans.Addresses, want) {
		t.Fatalf("got %v, want %v", ans.Addresses, want)
	}
}

func TestLookupFallsBackToTCPWhenTruncated(t *testing.T) {
	var addrs []string
	for i := range 100 {
		addrs = append(addrs, netip.AddrFrom16([16]byte{0xfd, 14: byte(i >> 8), 15: byte(i)}).String())
	}
	s := testdns.Start(t)
	s.SetHost("big.example", append(addrs, "127.0.0.1")...)
	ans := lookup(t, newResolver(s.Addr()), "big.example")
	if len(ans.Addresses) != 101 {
		t.Fatalf("got %d addresses, want 101", len(ans.Addresses))
	}
	// The AAAA answer (100 records, ~2.8 kB) was truncated over UDP and asked again over
	// TCP; the A answer fit.
	if a, aaaa := s.QueryCount("big.example", "A"), s.QueryCount("big.example", "AAAA"); a != 1 || aaaa != 2 {
		t.Fatalf("A asked %d times, AAAA %d; want 1 and 2 (UDP, then TCP)", a, aaaa)
	}
}

func TestLookupRespectsContext(t *testing.T) {
	hole := blackhole(t)
	slow := &resolver.Resolver{Servers: []string{hole}, Timeout: 10 * time.Second, Attempts: 3}

	t.Run("cancelled while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err := slow.Lookup(ctx, "vendor.example")
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("returned after %v", d)
		}
		if !errors.Is(err, context.Canceled) || !errors.Is(err, resolver.ErrTemporary) {
			t.Fatalf("%v: want context.Canceled and ErrTemporary", err)
		}
	})

	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := slow.Lookup(ctx, "vendor.example")
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("returned after %v", d)
		}
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, resolver.ErrTemporary) {
			t.Fatalf("%v: want context.DeadlineExceeded and ErrTemporary", err)
		}
	})

	t.Run("cancelled before", func(t *testing.T) {
		s := testdns.Start(t, testdns.WithHost("vendor.example", "127.0.0.1"))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := newResolver(s.Addr()).Lookup(ctx, "vendor.example")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%v: want context.Canceled", err)
		}
		if n := s.QueryCount("vendor.example", ""); n != 0 {
			t.Fatalf("%d queries sent with a cancelled context", n)
		}
	})
}

func TestLookupSeesSetHostChanges(t *testing.T) {
	s := testdns.Start(t, testdns.WithLocalTTL(5*time.Second), testdns.WithHost("moving.example", "127.0.0.1"))
	r := newResolver(s.Addr())
	steps := []struct {
		set  []string
		want []resolver.Record
		err  error
	}{
		{[]string{"127.0.0.2", "fd00::2"}, []resolver.Record{rec("127.0.0.2", 5*time.Second), rec("fd00::2", 5*time.Second)}, nil},
		{[]string{"fd00::3"}, []resolver.Record{rec("fd00::3", 5*time.Second)}, nil},
		{nil, nil, resolver.ErrNotFound},
		{[]string{"127.0.0.4"}, []resolver.Record{rec("127.0.0.4", 5*time.Second)}, nil},
	}
	for _, st := range steps {
		s.SetHost("moving.example", st.set...)
		ans, err := r.Lookup(context.Background(), "moving.example")
		if !errors.Is(err, st.err) || !slices.Equal(ans.Addresses, st.want) {
			t.Fatalf("after SetHost(%v): %v, %v; want %v, %v", st.set, ans.Addresses, err, st.want, st.err)
		}
	}
}

func TestLookupNormalizesHost(t *testing.T) {
	s := testdns.Start(t, testdns.WithHost("api.vendor.example", "127.0.0.1"))
	r := newResolver(s.Addr())
	for _, host := range []string{"api.vendor.example", "API.Vendor.Example", "api.vendor.example.", " api.vendor.example. "} {
		ans := lookup(t, r, host)
		if ans.Host != "api.vendor.example" || len(ans.Addresses) != 1 {
			t.Fatalf("Lookup(%q) = %+v", host, ans)
		}
	}

	before := s.QueryCount("", "")
	for _, host := range []string{"", ".", "a..b", "*.vendor.example", "bad host.example", "127.0.0.1", "::1",
		"a/b.example", strings.Repeat("a", 64) + ".example", strings.Repeat("abc.", 64) + "example"} {
		_, err := r.Lookup(context.Background(), host)
		if !errors.Is(err, resolver.ErrInvalidHost) || errors.Is(err, resolver.ErrTemporary) {
			t.Errorf("Lookup(%q): %v, want ErrInvalidHost", host, err)
		}
	}
	if n := s.QueryCount("", "") - before; n != 0 {
		t.Fatalf("invalid names were sent: %d queries", n)
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"Vendor.Example.":    "vendor.example",
		"  x-1_y.example  ":  "x-1_y.example",
		"xn--bcher-kva.test": "xn--bcher-kva.test",
		"localhost":          "localhost",
	} {
		if got, err := resolver.Normalize(in); err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestServersFromResolvConf(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolv.conf")
	conf := "search svc.cluster.local cluster.local\nnameserver 127.0.0.53\nnameserver ::1\noptions ndots:5 timeout:1\n"
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := resolver.ServersFromResolvConf(path)
	if want := []string{"127.0.0.53:53", "[::1]:53"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}

	empty := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(empty, []byte("search example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := resolver.ServersFromResolvConf(empty); err == nil {
		t.Fatal("no error for a resolv.conf without nameservers")
	}
}

func TestLookupWithUnreadableResolvConfIsTemporary(t *testing.T) {
	r := &resolver.Resolver{ResolvConf: filepath.Join(t.TempDir(), "missing")}
	err := lookupErr(t, r, "vendor.example")
	if !errors.Is(err, resolver.ErrTemporary) || errors.Is(err, resolver.ErrNotFound) {
		t.Fatalf("%v: want ErrTemporary", err)
	}
}
