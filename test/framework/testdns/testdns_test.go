/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package testdns

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// query asks s once over network ("udp" or "tcp") from 127.0.0.1, as code under test
// would.
func query(t *testing.T, s *Server, network, name string, qtype uint16) *dns.Msg {
	t.Helper()
	r, err := tryQuery(s.Addr(), network, name, qtype)
	if err != nil {
		t.Fatalf("query %s %s: %v", name, dns.TypeToString[qtype], err)
	}
	return r
}

func tryQuery(addr, network, name string, qtype uint16) (*dns.Msg, error) {
	c := &dns.Client{Net: network, Timeout: 2 * time.Second}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	r, _, err := c.Exchange(m, addr)
	return r, err
}

type rec struct {
	name string
	typ  string
	data string
	ttl  uint32
}

func records(m *dns.Msg) []rec {
	var out []rec
	for _, rr := range m.Answer {
		h := rr.Header()
		var data string
		switch rr := rr.(type) {
		case *dns.A:
			data = rr.A.String()
		case *dns.AAAA:
			data = rr.AAAA.String()
		case *dns.CNAME:
			data = rr.Target
		default:
			data = rr.String()
		}
		out = append(out, rec{h.Name, dns.TypeToString[h.Rrtype], data, h.Ttl})
	}
	slices.SortFunc(out, func(a, b rec) int { return strings.Compare(a.name+a.typ+a.data, b.name+b.typ+b.data) })
	return out
}

func TestAddrIsLoopbackHighPort(t *testing.T) {
	s := Start(t)
	ap, err := netip.ParseAddrPort(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if ap.Addr() != netip.MustParseAddr("127.0.0.1") || ap.Port() <= 1024 || int(ap.Port()) != s.Port() {
		t.Fatalf("Addr() = %s, Port() = %d", s.Addr(), s.Port())
	}
}

func TestHostsFromStartWithLocalTTL(t *testing.T) {
	s := Start(t,
		WithLocalTTL(30*time.Second),
		WithHost("v4.example", "127.0.0.10", "127.0.0.11"),
		WithHost("v6.example", "fd00::10"),
		WithHost("Both.Example.", "127.0.0.12", "fd00::12"),
	)
	for _, tc := range []struct {
		name  string
		qtype uint16
		rcode int
		want  []rec
	}{
		{"v4.example", dns.TypeA, dns.RcodeSuccess, []rec{
			{"v4.example.", "A", "127.0.0.10", 30}, {"v4.example.", "A", "127.0.0.11", 30}}},
		{"v4.example", dns.TypeAAAA, dns.RcodeSuccess, nil}, // NODATA
		{"v6.example", dns.TypeAAAA, dns.RcodeSuccess, []rec{{"v6.example.", "AAAA", "fd00::10", 30}}},
		{"v6.example", dns.TypeA, dns.RcodeSuccess, nil},
		{"both.example", dns.TypeA, dns.RcodeSuccess, []rec{{"both.example.", "A", "127.0.0.12", 30}}},
		{"both.example", dns.TypeAAAA, dns.RcodeSuccess, []rec{{"both.example.", "AAAA", "fd00::12", 30}}},
		{"missing.example", dns.TypeA, dns.RcodeNameError, nil},
		{"missing.example", dns.TypeAAAA, dns.RcodeNameError, nil},
	} {
		r := query(t, s, "udp", tc.name, tc.qtype)
		if r.Rcode != tc.rcode || !slices.Equal(records(r), tc.want) {
			t.Errorf("%s %s: rcode %s, records %v; want %s, %v", tc.name, dns.TypeToString[tc.qtype],
				dns.RcodeToString[r.Rcode], records(r), dns.RcodeToString[tc.rcode], tc.want)
		}
	}
}

func TestDefaultLocalTTLIsZero(t *testing.T) {
	s := Start(t, WithHost("zero.example", "127.0.0.10"))
	got := records(query(t, s, "udp", "zero.example", dns.TypeA))
	if want := []rec{{"zero.example.", "A", "127.0.0.10", 0}}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestHostRecordTTL(t *testing.T) {
	s := Start(t,
		WithLocalTTL(30*time.Second),
		WithHostRecord("hr.example", 77*time.Second, "127.0.0.20", "fd00::20"),
		WithHostRecord("hr.example", 90*time.Second, "127.0.0.21"),
		WithHostRecord("local.example", 0, "127.0.0.22"),
	)
	if got, want := records(query(t, s, "udp", "hr.example", dns.TypeA)), []rec{
		{"hr.example.", "A", "127.0.0.20", 77}, {"hr.example.", "A", "127.0.0.21", 90}}; !slices.Equal(got, want) {
		t.Errorf("A: got %v, want %v", got, want)
	}
	if got, want := records(query(t, s, "udp", "hr.example", dns.TypeAAAA)), []rec{
		{"hr.example.", "AAAA", "fd00::20", 77}}; !slices.Equal(got, want) {
		t.Errorf("AAAA: got %v, want %v", got, want)
	}
	if got, want := records(query(t, s, "udp", "local.example", dns.TypeA)), []rec{
		{"local.example.", "A", "127.0.0.22", 30}}; !slices.Equal(got, want) {
		t.Errorf("host record without TTL: got %v, want %v", got, want)
	}
}

func TestCNAMEChainInOneAnswer(t *testing.T) {
	s := Start(t,
		WithLocalTTL(30*time.Second),
		WithHost("target.example", "127.0.0.30"),
		WithCNAMETTL("alias.example", "middle.example", 5*time.Second),
		WithCNAME("middle.example", "target.example"),
	)
	got := records(query(t, s, "udp", "alias.example", dns.TypeA))
	want := []rec{
		{"alias.example.", "CNAME", "middle.example.", 5},
		{"middle.example.", "CNAME", "target.example.", 30},
		{"target.example.", "A", "127.0.0.30", 30},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestCNAMEToAddressRuleNeedsSecondQuery(t *testing.T) {
	s := Start(t,
		WithCNAME("req.example", "tgt.example"),
		WithArgs("--address=/tgt.example/127.0.0.5"),
	)
	if got, want := records(query(t, s, "udp", "req.example", dns.TypeA)), []rec{
		{"req.example.", "CNAME", "tgt.example.", 0}}; !slices.Equal(got, want) {
		t.Errorf("alias: got %v, want %v", got, want)
	}
	if got, want := records(query(t, s, "udp", "tgt.example", dns.TypeA)), []rec{
		{"tgt.example.", "A", "127.0.0.5", 0}}; !slices.Equal(got, want) {
		t.Errorf("target: got %v, want %v", got, want)
	}
}

func TestWithoutCatchAllRefuses(t *testing.T) {
	s := Start(t, WithoutCatchAll(), WithHost("known.example", "127.0.0.40"))
	if r := query(t, s, "udp", "unknown.example", dns.TypeA); r.Rcode != dns.RcodeRefused {
		t.Errorf("unknown name: rcode %s, want REFUSED", dns.RcodeToString[r.Rcode])
	}
	if r := query(t, s, "udp", "known.example", dns.TypeAAAA); r.Rcode != dns.RcodeRefused {
		t.Errorf("known name, missing family: rcode %s, want REFUSED", dns.RcodeToString[r.Rcode])
	}
	if r := query(t, s, "udp", "known.example", dns.TypeA); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Errorf("known name: %v", r)
	}
}

func TestSetHostChangesAnswers(t *testing.T) {
	s := Start(t, WithHost("change.example", "127.0.0.50"))
	steps := [][]string{
		{"127.0.0.51", "127.0.0.52"},
		{"fd00::53"},
		{"127.0.0.54", "fd00::54"},
		{}, // removed
		{"127.0.0.55"},
	}
	for _, addrs := range steps {
		start := time.Now()
		s.SetHost("change.example", addrs...)
		t.Logf("SetHost(%v) answered after %v", addrs, time.Since(start))
		var got []string
		rcode := dns.RcodeSuccess
		for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
			r := query(t, s, "udp", "change.example", qt)
			rcode = r.Rcode
			for _, rr := range records(r) {
				got = append(got, rr.data)
			}
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(addrs))
		if !slices.Equal(got, want) {
			t.Fatalf("after SetHost(%v): got %v", addrs, got)
		}
		if len(addrs) == 0 && rcode != dns.RcodeNameError {
			t.Fatalf("removed name: rcode %s, want NXDOMAIN", dns.RcodeToString[rcode])
		}
	}
}

func TestLargeAnswerTruncatedOverUDP(t *testing.T) {
	var addrs []string
	for i := range 100 {
		addrs = append(addrs, netip.AddrFrom16([16]byte{0xfd, 15: byte(i + 1)}).String())
	}
	s := Start(t)
	s.SetHost("big.example", addrs...)

	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	m := new(dns.Msg)
	m.SetQuestion("big.example.", dns.TypeAAAA)
	m.SetEdns0(1232, false)
	r, _, err := c.Exchange(m, s.Addr())
	if err != nil && r == nil {
		t.Fatal(err)
	}
	if !r.Truncated {
		t.Fatalf("UDP answer of %d records not truncated", len(r.Answer))
	}
	if r := query(t, s, "tcp", "big.example", dns.TypeAAAA); r.Truncated || len(r.Answer) != 100 {
		t.Fatalf("TCP: truncated %v, %d records; want 100", r.Truncated, len(r.Answer))
	}
}

func TestQueryCount(t *testing.T) {
	s := Start(t, WithHost("count.example", "127.0.0.60"))
	s.SetHost("count.example", "127.0.0.61") // the helper's own queries are not counted
	if n := s.QueryCount("count.example", "A"); n != 0 {
		t.Fatalf("before any query: %d", n)
	}
	query(t, s, "udp", "count.example", dns.TypeA)
	query(t, s, "udp", "Count.Example.", dns.TypeA)
	query(t, s, "tcp", "count.example", dns.TypeA)
	query(t, s, "udp", "count.example", dns.TypeAAAA)
	query(t, s, "udp", "other.example", dns.TypeA)
	for _, tc := range []struct {
		name, qtype string
		want        int
	}{
		{"count.example", "A", 3},
		{"COUNT.example.", "a", 3},
		{"count.example", "AAAA", 1},
		{"count.example", "", 4},
		{"other.example", "A", 1},
		{"never.example", "A", 0},
		{"", "A", 4},
		{"", "", 5},
	} {
		if got := s.QueryCount(tc.name, tc.qtype); got != tc.want {
			t.Errorf("QueryCount(%q, %q) = %d, want %d", tc.name, tc.qtype, got, tc.want)
		}
	}
}

func TestStopAndStartOnSamePort(t *testing.T) {
	s := Start(t, WithHost("outage.example", "127.0.0.70"))
	addr := s.Addr()
	query(t, s, "udp", "outage.example", dns.TypeA)

	s.Stop()
	if s.Running() {
		t.Fatal("Running after Stop")
	}
	s.Stop() // idempotent
	if _, err := tryQuery(addr, "udp", "outage.example", dns.TypeA); err == nil {
		t.Fatal("stopped server answered over UDP")
	}
	if _, err := tryQuery(addr, "tcp", "outage.example", dns.TypeA); err == nil {
		t.Fatal("stopped server answered over TCP")
	}
	// Changes made during the outage are read at start.
	s.SetHost("outage.example", "127.0.0.71")

	s.Start()
	if !s.Running() || s.Addr() != addr {
		t.Fatalf("after Start: running %v, addr %s, want %s", s.Running(), s.Addr(), addr)
	}
	got := records(query(t, s, "udp", "outage.example", dns.TypeA))
	if want := []rec{{"outage.example.", "A", "127.0.0.71", 0}}; !slices.Equal(got, want) {
		t.Fatalf("after restart: got %v, want %v", got, want)
	}
	// The query log goes on across the restart.
	if n := s.QueryCount("outage.example", "A"); n != 2 {
		t.Fatalf("QueryCount across restart = %d, want 2", n)
	}
}

func TestCleanupKillsProcess(t *testing.T) {
	var pid int
	var addr string
	t.Run("server", func(t *testing.T) {
		// A TCP connection makes dnsmasq fork a child; it stays open until after the
		// server's cleanup (cleanups run last registered first).
		var conn net.Conn
		t.Cleanup(func() {
			if conn != nil {
				conn.Close()
			}
		})
		s := Start(t)
		pid, addr = s.cmd.Process.Pid, s.Addr()
		var err error
		if conn, err = net.Dial("tcp", addr); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for liveInGroup(t, pid) < 2 {
			if time.Now().After(deadline) {
				t.Fatal("dnsmasq forked no child for the TCP connection")
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("dnsmasq (pid %d) still there after the test's cleanup: kill(0) = %v", pid, err)
	}
	// The TCP child was reparented to init when dnsmasq exited; it is signalled with the
	// group but may take a moment to exit, and may stay a zombie until init reaps it.
	deadline := time.Now().Add(2 * time.Second)
	for liveInGroup(t, pid) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("dnsmasq's process group %d still has live members after the test's cleanup", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := tryQuery(addr, "udp", "x.example", dns.TypeA); err == nil {
		t.Fatal("port still answers after cleanup")
	}
}

// fatalTB records a Fatalf and ends the goroutine, as testing.T does.
type fatalTB struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.msg = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func TestMissingBinaryFailsNamingInstallScript(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	old := debianPath
	debianPath = "/nonexistent/dnsmasq"
	defer func() { debianPath = old }()

	f := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Start(f)
	}()
	<-done
	if !strings.Contains(f.msg, "hack/install-test-deps.sh") {
		t.Fatalf("failure message %q does not name hack/install-test-deps.sh", f.msg)
	}
}

// liveInGroup counts the processes in process group pgid that are not zombies, from
// /proc.
func liveInGroup(t *testing.T, pgid int) int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("reading /proc: %v", err)
	}
	n := 0
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone
		}
		// pid (comm) state ppid pgrp ...
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if g, err := strconv.Atoi(f[2]); err == nil && g == pgid {
			n++
		}
	}
	return n
}
