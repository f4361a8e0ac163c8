/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dataplanetest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// Endpoint kinds.
const (
	KindPod  = "pod"
	KindHost = "host"
)

// Endpoint is a pod or an outside host: a network namespace of its own joined to the
// node. The suite's own TCP servers run in it (Serve), and connections start from it
// (Connect, DialContext, HTTPClient, QueryDNS).
type Endpoint struct {
	Name string
	Kind string

	ns   *Netns
	node *Node
	link string // the node's end of the veth

	mu      sync.Mutex
	addrs   []netip.Addr
	closers []io.Closer
	removed bool
}

// Netns is the endpoint's network namespace.
func (e *Endpoint) Netns() *Netns { return e.ns }

// Addrs are the endpoint's addresses, the first one first.
func (e *Endpoint) Addrs() []netip.Addr {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.addrs)
}

// IP is the endpoint's first address.
func (e *Endpoint) IP() netip.Addr { return e.Addrs()[0] }

// Greeting is the first line a suite server writes on a connection:
// "vao-dp NAME saw REMOTE", where REMOTE is the client's address as the server sees it.
// Then it echoes every line it reads.
const greetingPrefix = "vao-dp "

// Serve starts a TCP server on every address of the endpoint at each port. The server
// greets each connection with the client's address as it sees it, then echoes lines
// until the client closes. It stops when the endpoint is removed.
func (e *Endpoint) Serve(ports ...uint16) error {
	for _, port := range ports {
		l, err := e.Listen(port)
		if err != nil {
			return err
		}
		go e.accept(l)
	}
	return nil
}

// Listen opens a TCP listener on every address of the endpoint at port, for a server
// of the caller's own (http.Serve, for one). It is closed when the endpoint is removed.
func (e *Endpoint) Listen(port uint16) (net.Listener, error) {
	var l net.Listener
	err := e.ns.Do(func() error {
		var err error
		l, err = net.Listen("tcp4", net.JoinHostPort("0.0.0.0", strconv.Itoa(int(port))))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s %s: listening on port %d: %w", e.Kind, e.Name, port, err)
	}
	e.mu.Lock()
	e.closers = append(e.closers, l)
	e.mu.Unlock()
	return l, nil
}

func (e *Endpoint) accept(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		remote := c.RemoteAddr().(*net.TCPAddr).AddrPort()
		e.mu.Lock()
		e.closers = append(e.closers, c)
		e.mu.Unlock()
		go func() {
			defer c.Close()
			if _, err := fmt.Fprintf(c, "%s%s saw %s\n", greetingPrefix, e.Name, remote); err != nil {
				return
			}
			_, _ = io.Copy(c, c)
		}()
	}
}

// Verdict is what a connection attempt came to.
type Verdict string

const (
	// Allowed: the TCP handshake completed and the server's greeting arrived.
	Allowed Verdict = "allowed"
	// Denied: refused (kube-router REJECTs with ICMP port unreachable) or no answer
	// in time (the node rate-limits those ICMP messages, so under fast polling a
	// rejected SYN can go unanswered). Both mean the dataplane did not let it through,
	// provided a server listens there; the suites show that by reaching it first.
	Denied Verdict = "denied"
	// Broken: anything else, such as a missing route; the harness is at fault.
	Broken Verdict = "broken"
)

// Result is the outcome of Connect.
type Result struct {
	Verdict Verdict
	// Server is the name of the endpoint that answered, and SeenAs the client's
	// address as that server saw it (after any NAT); set when Allowed.
	Server string
	SeenAs netip.AddrPort
	// Err is why it was not allowed.
	Err error
}

func (r Result) String() string {
	switch r.Verdict {
	case Allowed:
		return fmt.Sprintf("allowed (answered by %s, seen as %s)", r.Server, r.SeenAs)
	default:
		return fmt.Sprintf("%s (%v)", r.Verdict, r.Err)
	}
}

// DefaultConnectTimeout bounds one connection attempt: a rejected SYN is refused in
// well under a millisecond, so this is only reached when no answer comes.
const DefaultConnectTimeout = time.Second

// Connect opens a TCP connection from the endpoint to addr:port, reads the greeting of
// the suite server there, and closes it.
func (e *Endpoint) Connect(addr netip.Addr, port uint16) Result {
	return e.ConnectTimeout(addr, port, DefaultConnectTimeout)
}

// ConnectTimeout is Connect with a timeout of its own.
func (e *Endpoint) ConnectTimeout(addr netip.Addr, port uint16, timeout time.Duration) Result {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := e.DialContext(ctx, "tcp4", netip.AddrPortFrom(addr, port).String())
	if err != nil {
		return Result{Verdict: classify(err), Err: err}
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	return readGreeting(bufio.NewReader(c))
}

func readGreeting(r *bufio.Reader) Result {
	line, err := r.ReadString('\n')
	if err != nil {
		return Result{Verdict: Broken, Err: fmt.Errorf("connected, but no greeting: %w", err)}
	}
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), greetingPrefix)
	name, seen, ok2 := strings.Cut(rest, " saw ")
	ap, perr := netip.ParseAddrPort(seen)
	if !ok || !ok2 || perr != nil {
		return Result{Verdict: Broken, Err: fmt.Errorf("connected, but not to a suite server: greeting %q", line)}
	}
	return Result{Verdict: Allowed, Server: name, SeenAs: ap}
}

// classify turns a dial error into a verdict.
func classify(err error) Verdict {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return Denied
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return Denied
	default:
		return Broken
	}
}

// DialContext opens a connection whose socket belongs to the endpoint's namespace;
// use it as an http.Transport's DialContext or a dns.Client's dialer. addr must be an
// IP literal: the namespace has no resolver.
func (e *Endpoint) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := e.ns.Do(func() error {
		var err error
		c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

// Session is a TCP connection from an endpoint to a suite server that stays open, to
// show that an established connection keeps working.
type Session struct {
	conn net.Conn
	r    *bufio.Reader
	// Greeting is the server's greeting.
	Greeting Result
}

// Open opens a Session to addr:port; the caller closes it.
func (e *Endpoint) Open(addr netip.Addr, port uint16) (*Session, error) {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultConnectTimeout)
	defer cancel()
	c, err := e.DialContext(ctx, "tcp4", netip.AddrPortFrom(addr, port).String())
	if err != nil {
		return nil, fmt.Errorf("opening a session from %s to %s:%d: %w", e.Name, addr, port, err)
	}
	s := &Session{conn: c, r: bufio.NewReader(c)}
	_ = c.SetDeadline(time.Now().Add(DefaultConnectTimeout))
	s.Greeting = readGreeting(s.r)
	if s.Greeting.Verdict != Allowed {
		c.Close()
		return nil, fmt.Errorf("opening a session from %s to %s:%d: %v", e.Name, addr, port, s.Greeting)
	}
	return s, nil
}

// Echo sends a line and waits for the server to echo it.
func (s *Session) Echo(line string, timeout time.Duration) error {
	_ = s.conn.SetDeadline(time.Now().Add(timeout))
	if _, err := fmt.Fprintln(s.conn, line); err != nil {
		return fmt.Errorf("sending on an established connection: %w", err)
	}
	got, err := s.r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading the echo on an established connection: %w", err)
	}
	if strings.TrimSpace(got) != line {
		return fmt.Errorf("echo %q, want %q", got, line)
	}
	return nil
}

// Close closes the connection.
func (s *Session) Close() error { return s.conn.Close() }

// HTTPClient is an HTTP client whose connections start from the endpoint, without
// keep-alive, so that every request is a new connection the dataplane judges.
func (e *Endpoint) HTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:       e.DialContext,
			DisableKeepAlives: true,
			Proxy:             nil,
		},
	}
}

// QueryDNS asks server (UDP) for name's A records, from the endpoint.
func (e *Endpoint) QueryDNS(server netip.AddrPort, name string, timeout time.Duration) ([]netip.Addr, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := e.DialContext(ctx, "udp4", server.String())
	if err != nil {
		return nil, err
	}
	defer c.Close()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	client := &dns.Client{Net: "udp", Timeout: timeout}
	r, _, err := client.ExchangeWithConnContext(ctx, m, &dns.Conn{Conn: c})
	if err != nil {
		return nil, fmt.Errorf("asking %s for %s from %s: %w", server, name, e.Name, err)
	}
	if r.Rcode != dns.RcodeSuccess {
		return nil, fmt.Errorf("asking %s for %s from %s: %s", server, name, e.Name, dns.RcodeToString[r.Rcode])
	}
	var out []netip.Addr
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			if ip, ok := netip.AddrFromSlice(a.A); ok {
				out = append(out, ip.Unmap())
			}
		}
	}
	return out, nil
}

// ServeDNS runs a DNS server on port 53 (UDP and TCP) of the endpoint that answers A
// queries for the names in records and NXDOMAIN for any other: the suite's kube-dns.
func (e *Endpoint) ServeDNS(records map[string]netip.Addr) error {
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		found := false
		for _, question := range q.Question {
			if a, ok := records[strings.ToLower(strings.TrimSuffix(question.Name, "."))]; ok {
				found = true
				if question.Qtype == dns.TypeA {
					m.Answer = append(m.Answer, &dns.A{
						Hdr: dns.RR_Header{Name: question.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 5},
						A:   a.AsSlice(),
					})
				}
			}
		}
		if !found {
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m)
	})
	var pc net.PacketConn
	var l net.Listener
	err := e.ns.Do(func() error {
		var err error
		if pc, err = net.ListenPacket("udp4", "0.0.0.0:53"); err != nil {
			return err
		}
		if l, err = net.Listen("tcp4", "0.0.0.0:53"); err != nil {
			pc.Close()
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s %s: DNS server on port 53: %w", e.Kind, e.Name, err)
	}
	udp := &dns.Server{PacketConn: pc, Handler: handler}
	tcp := &dns.Server{Listener: l, Handler: handler}
	go func() { _ = udp.ActivateAndServe() }()
	go func() { _ = tcp.ActivateAndServe() }()
	e.mu.Lock()
	e.closers = append(e.closers, closerFunc(func() error { return errors.Join(udp.Shutdown(), tcp.Shutdown()) }))
	e.mu.Unlock()
	return nil
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// remove stops the endpoint's servers and deletes its namespace (and so both ends of
// its veth, and the node's routes through it).
func (e *Endpoint) remove() error {
	e.mu.Lock()
	if e.removed {
		e.mu.Unlock()
		return nil
	}
	e.removed = true
	closers := e.closers
	e.closers = nil
	e.mu.Unlock()
	for i := len(closers) - 1; i >= 0; i-- {
		_ = closers[i].Close()
	}
	e.node.detach(e)
	return e.ns.delete()
}
