/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package testdns runs a real DNS server, dnsmasq, on loopback for integration tests.
//
// The server listens on 127.0.0.1 at an unprivileged port picked when it starts, with
// no upstream servers and no /etc/hosts, so it answers only for names the test gives
// it and never sends a packet anywhere else:
//
//   - names in its hosts directory (--hostsdir), which dnsmasq watches with inotify:
//     WithHost at start, SetHost at any time (one file per name, replaced atomically;
//     SetHost waits until dnsmasq answers the new set);
//   - --host-record entries (WithHostRecord), the way to give a record its own TTL;
//   - --cname entries (WithCNAME, WithCNAMETTL);
//   - any other name is NXDOMAIN (--address=/#/), unless WithoutCatchAll is given, in
//     which case dnsmasq answers REFUSED for it.
//
// Every query is logged (--log-queries) and QueryCount counts them. Stop and Start
// simulate an outage: the server comes back on the same port with the same records.
//
// Facts measured with dnsmasq 2.90 (Debian's dnsmasq-base):
//
//   - A change in the hosts directory (a file renamed in, rewritten or removed) is
//     answered from within about 10 ms; removing a file removes its names.
//   - Records from the hosts directory, CNAMEs and --address answers carry the
//     --local-ttl TTL, which is 0 unless WithLocalTTL sets it; a --host-record's own
//     TTL overrides it per record; a CNAME may have its own TTL.
//   - --address=/#/ (given by default) makes every name dnsmasq has no record for
//     NXDOMAIN, for every type; a name it does have answers NOERROR with an empty
//     answer (NODATA) for the types it lacks. Neither answer carries an SOA record, so a
//     client learns no negative-caching TTL. Without it (WithoutCatchAll) those
//     same queries, and the query for the other address family of a known name, are
//     answered REFUSED, since there is no upstream server to forward them to.
//   - dnsmasq returns a CNAME chain and the target's addresses in one answer when it
//     knows the target from its hosts, host records or other CNAMEs. When the target is
//     known only to an --address rule (WithArgs("--address=/target/ip")), the answer
//     holds just the CNAME, so a client must query the target itself.
//   - The answers to a name with several addresses come in a different order each time.
//   - A UDP answer larger than the client's EDNS0 buffer (512 bytes without EDNS0) is
//     truncated (TC set); the same query over TCP returns every record.
//   - dnsmasq refuses to start with a CNAME loop ("CNAME loop involving ...").
//   - Run as root, dnsmasq drops to the user nobody unless told otherwise, and then
//     cannot read the test's private temporary directory: this package passes
//     --user=root when it runs as root.
//
// The dnsmasq binary is found on PATH or at /usr/sbin/dnsmasq; hack/install-test-deps.sh
// installs it. A missing binary fails the test: a suite that silently skips proves
// nothing.
//
// The methods that fail the test (Start, SetHost, the Start method) must be called from
// the test's goroutine. QueryCount, Addr and Running may be called from any goroutine.
package testdns

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/loopback"
)

// ProbeSource is the loopback address that the helper's own queries (start-up
// readiness and SetHost's checks) come from. QueryCount leaves them out, so counts
// hold only the queries of the code under test, which come from 127.0.0.1.
const ProbeSource = "127.0.0.2"

// How long the helper waits for dnsmasq to start answering, and for a SetHost change to
// be answered. Both take milliseconds in practice.
const (
	startTimeout   = 10 * time.Second
	setHostTimeout = 5 * time.Second
	stopTimeout    = 3 * time.Second
	pollInterval   = 10 * time.Millisecond
	probeTimeout   = 500 * time.Millisecond
)

// InstallHint names what installs dnsmasq; it is part of the failure message when the
// binary is missing.
const InstallHint = "run hack/install-test-deps.sh (installs Debian's dnsmasq-base)"

type config struct {
	localTTL    time.Duration
	hosts       []hostEntry
	hostRecords []string
	cnames      []string
	catchAll    bool
	extraArgs   []string
}

type hostEntry struct {
	name  string
	addrs []string
}

// Option configures the server made by Start.
type Option func(*config)

// WithLocalTTL sets --local-ttl: the TTL of records from the hosts directory, of CNAMEs
// without a TTL of their own, and of host records without one. Whole seconds; the
// default is dnsmasq's, 0.
func WithLocalTTL(ttl time.Duration) Option {
	return func(c *config) { c.localTTL = ttl }
}

// WithHost puts name with addrs (IPv4 and/or IPv6 literals) in the hosts directory
// before the server starts, as SetHost does later.
func WithHost(name string, addrs ...string) Option {
	return func(c *config) { c.hosts = append(c.hosts, hostEntry{name: name, addrs: addrs}) }
}

// WithHostRecord adds --host-record entries, one for each address, with the given TTL
// (whole seconds; 0 means the --local-ttl). Records given this way are fixed for the
// server's life; use SetHost for names whose addresses a test changes.
func WithHostRecord(name string, ttl time.Duration, addrs ...string) Option {
	return func(c *config) {
		for _, a := range addrs {
			rec := name + "," + a
			if ttl > 0 {
				rec += "," + strconv.Itoa(seconds(ttl))
			}
			c.hostRecords = append(c.hostRecords, rec)
		}
	}
}

// WithCNAME adds --cname=alias,target: alias is a CNAME for target, with the --local-ttl
// TTL.
func WithCNAME(alias, target string) Option {
	return func(c *config) { c.cnames = append(c.cnames, alias+","+target) }
}

// WithCNAMETTL adds --cname=alias,target,ttl: a CNAME with its own TTL (whole seconds).
func WithCNAMETTL(alias, target string, ttl time.Duration) Option {
	return func(c *config) {
		c.cnames = append(c.cnames, alias+","+target+","+strconv.Itoa(seconds(ttl)))
	}
}

// WithoutCatchAll leaves out --address=/#/, so dnsmasq answers REFUSED, not NXDOMAIN,
// for names it has no records for (and for the missing address family of names it has).
// Use it to test a server that refuses.
func WithoutCatchAll() Option {
	return func(c *config) { c.catchAll = false }
}

// WithArgs appends raw dnsmasq arguments, e.g. "--address=/target.example/127.0.0.5".
func WithArgs(args ...string) Option {
	return func(c *config) { c.extraArgs = append(c.extraArgs, args...) }
}

// Server is a dnsmasq process listening on 127.0.0.1 at Port.
type Server struct {
	t        testing.TB
	binary   string
	hostsDir string
	tmpDir   string
	logFile  string
	cfg      config

	mu     sync.Mutex
	port   int
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been reaped
	output *lockedBuffer // dnsmasq's stdout and stderr, for diagnostics
}

// Start starts dnsmasq on a free port of 127.0.0.1 and returns once it answers queries.
// The process is killed when the test ends. A missing dnsmasq binary fails the test.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := config{catchAll: true}
	for _, o := range opts {
		o(&cfg)
	}
	bin, err := findDnsmasq()
	if err != nil {
		t.Fatalf("testdns: %v: %s", err, InstallHint)
	}
	dir := t.TempDir()
	s := &Server{
		t:        t,
		binary:   bin,
		hostsDir: filepath.Join(dir, "hosts"),
		tmpDir:   filepath.Join(dir, "tmp"),
		logFile:  filepath.Join(dir, "dnsmasq.log"),
		cfg:      cfg,
	}
	for _, d := range []string{s.hostsDir, s.tmpDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatalf("testdns: %v", err)
		}
	}
	for _, h := range cfg.hosts {
		if err := s.writeHost(h.name, h.addrs); err != nil {
			t.Fatalf("testdns: WithHost(%q): %v", h.name, err)
		}
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			s.dumpDiagnostics()
		}
	})

	// Another process may take the picked port between picking and binding: then pick
	// another.
	const tries = 5
	for i := 1; ; i++ {
		port, err := loopback.FreePort()
		if err != nil {
			t.Fatalf("testdns: picking a port: %v", err)
		}
		err = s.launch(port)
		if err == nil {
			return s
		}
		if !errors.Is(err, errAddrInUse) || i == tries {
			t.Fatalf("testdns: starting dnsmasq: %v", err)
		}
	}
}

// Addr is the server's address, "127.0.0.1:PORT".
func (s *Server) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port()))
}

// Port is the server's UDP and TCP port; it stays the same across Stop and Start.
func (s *Server) Port() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.port
}

// Running reports whether the dnsmasq process is running.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runningLocked()
}

func (s *Server) runningLocked() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// Stop stops dnsmasq (SIGTERM to its process group, then SIGKILL), so the port answers
// nothing: queries over UDP get ICMP port unreachable, TCP connections are refused.
// Stopping a stopped server does nothing. The children dnsmasq forked for open TCP
// connections get the signal too (once dnsmasq is gone they belong to init, which
// reaps them).
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	pgid := s.cmd.Process.Pid
	select {
	case <-s.exited:
	default:
		// The group holds dnsmasq and the children it forks for TCP connections. The
		// leader is not reaped before the signal, so the group id is still ours.
		signalGroup(pgid, syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(stopTimeout):
			signalGroup(pgid, syscall.SIGKILL)
			<-s.exited
		}
	}
	s.cmd = nil
}

// Start starts a stopped server again on the same port, with the same options and the
// hosts directory as it is now, and waits until it answers. Starting a running server
// does nothing. The port may have been taken in the meantime: then the test fails.
func (s *Server) Start() {
	s.t.Helper()
	if s.Running() {
		return
	}
	s.Stop() // reap a process that died by itself
	if err := s.launch(s.Port()); err != nil {
		s.t.Fatalf("testdns: restarting dnsmasq on port %d: %v", s.Port(), err)
	}
}

var errAddrInUse = errors.New("address already in use")

// launch starts dnsmasq on port and waits until it answers a query.
func (s *Server) launch(port int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	args := s.args(port)
	cmd := exec.Command(s.binary, args...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", s.binary, err)
	}
	exited := make(chan struct{})
	s.port, s.cmd, s.exited, s.output = port, cmd, exited, out
	go func() {
		_ = cmd.Wait() // the exit status of a killed dnsmasq says nothing useful
		close(exited)
	}()

	deadline := time.Now().Add(startTimeout)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for {
		select {
		case <-exited:
			s.cmd = nil
			msg := strings.TrimSpace(out.String())
			if strings.Contains(msg, "Address already in use") {
				return fmt.Errorf("port %d: %w: %s", port, errAddrInUse, msg)
			}
			return fmt.Errorf("dnsmasq exited at start (%s %s): %s", s.binary, strings.Join(args, " "), msg)
		default:
		}
		// Any answer at all, even NXDOMAIN or REFUSED, means it is serving.
		if _, err := probe(addr, "udp", "testdns-ready.invalid.", dns.TypeA); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			signalGroup(cmd.Process.Pid, syscall.SIGKILL)
			<-exited
			s.cmd = nil
			return fmt.Errorf("dnsmasq did not answer on %s within %v: %s", addr, startTimeout, strings.TrimSpace(out.String()))
		}
		time.Sleep(pollInterval)
	}
}

func (s *Server) args(port int) []string {
	args := []string{
		"--keep-in-foreground",
		"--conf-file=/dev/null",
		"--no-resolv",
		"--no-hosts",
		"--pid-file=", // empty: no pid file
		"--listen-address=127.0.0.1",
		"--bind-interfaces",
		"--port=" + strconv.Itoa(port),
		"--hostsdir=" + s.hostsDir,
		"--log-queries",
		"--log-facility=" + s.logFile,
	}
	if os.Geteuid() == 0 {
		// Otherwise dnsmasq drops to nobody and cannot read the test's temporary
		// directory.
		args = append(args, "--user=root")
	}
	if s.cfg.localTTL > 0 {
		args = append(args, "--local-ttl="+strconv.Itoa(seconds(s.cfg.localTTL)))
	}
	if s.cfg.catchAll {
		args = append(args, "--address=/#/")
	}
	for _, r := range s.cfg.hostRecords {
		args = append(args, "--host-record="+r)
	}
	for _, c := range s.cfg.cnames {
		args = append(args, "--cname="+c)
	}
	return append(args, s.cfg.extraArgs...)
}

// SetHost makes name resolve to exactly addrs (IPv4 and/or IPv6 literals); with no
// addrs, name is removed (and is then NXDOMAIN, unless WithoutCatchAll). It replaces the
// name's file in the hosts directory atomically and, when the server is running, waits
// until dnsmasq answers the new set for both A and AAAA, failing the test if it does not
// within a few seconds. A stopped server reads the file when it starts again.
//
// SetHost is for names that only the hosts directory defines: a name that is also a
// host record or a CNAME alias would never show exactly addrs.
func (s *Server) SetHost(name string, addrs ...string) {
	s.t.Helper()
	if err := s.writeHost(name, addrs); err != nil {
		s.t.Fatalf("testdns: SetHost(%q): %v", name, err)
	}
	if !s.Running() {
		return
	}
	want := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		want = append(want, netip.MustParseAddr(a).Unmap()) // validated by writeHost
	}
	slices.SortFunc(want, netip.Addr.Compare)
	want = slices.Compact(want)

	addr := s.Addr()
	fqdn := dns.Fqdn(normalizeName(name))
	deadline := time.Now().Add(setHostTimeout)
	var got []netip.Addr
	var lastErr error
	for {
		got, lastErr = probeAddrs(addr, fqdn)
		if lastErr == nil && slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("testdns: SetHost(%q): dnsmasq did not answer %v within %v; last answer %v (err %v)",
				name, want, setHostTimeout, got, lastErr)
		}
		time.Sleep(pollInterval)
	}
}

// writeHost writes name's hosts file: to tmpDir, then renamed into hostsDir, so dnsmasq
// (which ignores dot files but not partial writes) only ever reads a whole file.
func (s *Server) writeHost(name string, addrs []string) error {
	n := normalizeName(name)
	if !validName.MatchString(n) {
		return fmt.Errorf("invalid host name %q", name)
	}
	path := filepath.Join(s.hostsDir, n)
	if len(addrs) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	var b strings.Builder
	for _, a := range addrs {
		ip, err := netip.ParseAddr(a)
		if err != nil || ip.Zone() != "" {
			return fmt.Errorf("invalid address %q", a)
		}
		fmt.Fprintf(&b, "%s %s\n", ip.Unmap(), n)
	}
	f, err := os.CreateTemp(s.tmpDir, n+".*")
	if err != nil {
		return err
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}

var validName = regexp.MustCompile(`^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$`)

// queryLine matches dnsmasq's --log-queries line for a received query, e.g.
// "Nov 23 04:44:47 dnsmasq[17023]: query[AAAA] a.example from 127.0.0.1".
var queryLine = regexp.MustCompile(`dnsmasq\[\d+\]: query\[([^\]]+)\] (\S+) from (\S+)$`)

// QueryCount counts the queries for name ("" for every name) of type qtype ("A",
// "AAAA", "CNAME", ...; "" for every type) that dnsmasq has logged since Start, across
// restarts, over UDP and TCP. The helper's own queries (from ProbeSource) are not counted. dnsmasq logs a
// query before it answers, so a query whose answer has arrived is counted.
func (s *Server) QueryCount(name string, qtype string) int {
	n := normalizeName(name)
	count := 0
	s.eachQuery(func(t, name string) {
		if (qtype == "" || strings.EqualFold(t, qtype)) && (n == "" || normalizeName(name) == n) {
			count++
		}
	})
	return count
}

// eachQuery calls f with the record type and name of each query logged so far,
// except the probe's, in one reading of the log.
func (s *Server) eachQuery(f func(qtype, name string)) {
	data, err := os.ReadFile(s.logFile)
	if err != nil {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		m := queryLine.FindStringSubmatch(sc.Text())
		if m == nil || m[3] == ProbeSource {
			continue
		}
		f(m[1], m[2])
	}
}

// QueryCounts counts the queries logged so far, except the probe's, by record type
// and normalized name, in one reading of the log: the counts are of one moment, which
// separate QueryCount calls against a busy server are not.
func (s *Server) QueryCounts() map[[2]string]int {
	out := map[[2]string]int{}
	s.eachQuery(func(qtype, name string) { out[[2]string{strings.ToUpper(qtype), normalizeName(name)}]++ })
	return out
}

// Log returns dnsmasq's log so far (start-up messages and every query).
func (s *Server) Log() string {
	data, _ := os.ReadFile(s.logFile)
	return string(data)
}

// HostsDir is the directory dnsmasq watches; SetHost writes one file per name there.
func (s *Server) HostsDir() string { return s.hostsDir }

func (s *Server) dumpDiagnostics() {
	s.mu.Lock()
	out := ""
	if s.output != nil {
		out = s.output.String()
	}
	s.mu.Unlock()
	log := s.Log()
	const max = 8000
	if len(log) > max {
		log = "...\n" + log[len(log)-max:]
	}
	s.t.Logf("testdns: dnsmasq on %s output:\n%s\ndnsmasq log:\n%s", s.Addr(), out, log)
}

func normalizeName(name string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
}

func seconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}

// debianPath is where Debian's dnsmasq-base puts the binary, which is not on every
// user's PATH.
var debianPath = "/usr/sbin/dnsmasq"

func findDnsmasq() (string, error) {
	if p, err := exec.LookPath("dnsmasq"); err == nil {
		return p, nil
	}
	if st, err := os.Stat(debianPath); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
		return debianPath, nil
	}
	return "", fmt.Errorf("dnsmasq not found on PATH or at %s", debianPath)
}

// probe sends one query from ProbeSource.
func probe(addr, network, fqdn string, qtype uint16) (*dns.Msg, error) {
	var local net.Addr
	if network == "tcp" {
		local = &net.TCPAddr{IP: net.ParseIP(ProbeSource)}
	} else {
		local = &net.UDPAddr{IP: net.ParseIP(ProbeSource)}
	}
	c := &dns.Client{
		Net:     network,
		Timeout: probeTimeout,
		Dialer:  &net.Dialer{Timeout: probeTimeout, LocalAddr: local},
	}
	m := new(dns.Msg)
	m.SetQuestion(fqdn, qtype)
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	r, _, err := c.ExchangeContext(ctx, m, addr)
	return r, err
}

// probeAddrs returns the sorted A and AAAA addresses owned by fqdn itself, asked over
// TCP so that large sets are not truncated.
func probeAddrs(addr, fqdn string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
		r, err := probe(addr, "tcp", fqdn, qt)
		if err != nil {
			return nil, err
		}
		for _, rr := range r.Answer {
			if !strings.EqualFold(rr.Header().Name, fqdn) {
				continue
			}
			switch rr := rr.(type) {
			case *dns.A:
				if ip, ok := netip.AddrFromSlice(rr.A); ok {
					out = append(out, ip.Unmap())
				}
			case *dns.AAAA:
				if ip, ok := netip.AddrFromSlice(rr.AAAA); ok {
					out = append(out, ip)
				}
			}
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out), nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
