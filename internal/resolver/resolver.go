/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package resolver looks up the IPv4 and IPv6 addresses of a host name together with
// their TTLs, which the standard library's resolver does not expose.
//
// It speaks DNS itself (github.com/miekg/dns) to the configured nameservers: A and AAAA
// are asked concurrently, over UDP with EDNS0, then over TCP when an answer comes back
// truncated. Servers are tried in order and each round of Attempts goes through all of
// them: a timeout, a network error, SERVFAIL, REFUSED or any other failure code moves on
// to the next server; NOERROR and NXDOMAIN are final. CNAME chains are followed, whether
// the server returns the whole chain in one answer or only the CNAME (the target is then
// asked for), to a bounded depth and with loops detected; each address's TTL is the
// smallest TTL along the chain that led to it.
//
// Names are always absolute: the search list and ndots of resolv.conf are not used, so
// "api.vendor.com" is never tried as "api.vendor.com.default.svc.cluster.local".
//
// # Errors
//
// Lookup's errors are *Error values that name the host and the server, and they tell
// three outcomes apart, for a caller that keeps its last known good addresses through
// failures but lets a name that is gone age out:
//
//   - errors.Is(err, ErrNotFound): the name does not exist (NXDOMAIN), for both families.
//   - errors.Is(err, ErrNoAddresses): the name exists but has neither A nor AAAA records
//     (NODATA for both). This is an error, not an empty Answer, so that no caller
//     mistakes "nothing" for a result; like ErrNotFound it is an authoritative answer
//     that the name has no addresses now.
//   - errors.Is(err, ErrTemporary): no authoritative answer was had: timeouts, network
//     errors, SERVFAIL, REFUSED, malformed answers, a CNAME loop or over-long chain
//     (ErrCNAMEChain too), an unreadable resolv.conf, or the context ending (which also
//     matches context.Canceled or context.DeadlineExceeded).
//
// ErrInvalidHost is returned, before any query, for a host that is not a valid name.
//
// A lookup in which one family fails temporarily fails temporarily as a whole, even if
// the other family has addresses: a partial answer would drop the missing family's
// addresses. A lookup in which one family has addresses and the other is NODATA or
// NXDOMAIN succeeds with the addresses it has.
package resolver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// Defaults for a Resolver's zero fields.
const (
	DefaultResolvConf = "/etc/resolv.conf"
	DefaultTimeout    = 2 * time.Second
	DefaultAttempts   = 2
)

// MaxCNAMEHops bounds the CNAME chain that Lookup follows from the host to its
// addresses.
const MaxCNAMEHops = 8

// udpSize is the EDNS0 buffer size advertised over UDP, the size recommended by DNS
// Flag Day 2020: larger answers come back truncated and are asked again over TCP.
const udpSize = 1232

var (
	// ErrNotFound: the name does not exist (NXDOMAIN).
	ErrNotFound = errors.New("no such host (NXDOMAIN)")
	// ErrNoAddresses: the name exists but has no A or AAAA records (NODATA).
	ErrNoAddresses = errors.New("host has no A or AAAA records (NODATA)")
	// ErrTemporary: no authoritative answer could be had; try again later.
	ErrTemporary = errors.New("temporary DNS failure")
	// ErrCNAMEChain: a CNAME loop, or a chain longer than MaxCNAMEHops. Errors that
	// match it match ErrTemporary too.
	ErrCNAMEChain = errors.New("CNAME chain loops or is too long")
	// ErrInvalidHost: the host is not a valid DNS name.
	ErrInvalidHost = errors.New("invalid host name")
)

// Error is the error Lookup returns.
type Error struct {
	// Host is the host as normalised (as given, when it is invalid).
	Host string
	// Server is the server whose answer decided (NXDOMAIN, NODATA), or the servers
	// that failed, comma-separated; empty when no server was asked.
	Server string
	// Err matches ErrNotFound, ErrNoAddresses, ErrTemporary or ErrInvalidHost.
	Err error
}

func (e *Error) Error() string {
	if e.Server == "" {
		return fmt.Sprintf("resolving %s: %v", e.Host, e.Err)
	}
	return fmt.Sprintf("resolving %s via %s: %v", e.Host, e.Server, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether the failure is temporary (errors.Is(e, ErrTemporary)).
func (e *Error) Temporary() bool { return errors.Is(e.Err, ErrTemporary) }

// RcodeError is a server's failure answer (SERVFAIL, REFUSED, ...). It is wrapped in a
// temporary Error once every server has been tried.
type RcodeError struct {
	Rcode int
}

func (e *RcodeError) Error() string {
	name, ok := dns.RcodeToString[e.Rcode]
	if !ok {
		name = fmt.Sprintf("rcode %d", e.Rcode)
	}
	return "server answered " + name
}

// Record is one address of a host and how long it may be cached.
type Record struct {
	Addr netip.Addr
	TTL  time.Duration
}

// Answer is the result of a Lookup.
type Answer struct {
	// Host is the host as normalised.
	Host string
	// Canonical is the name the addresses are records of, after CNAMEs: Host when
	// there were none.
	Canonical string
	// Addresses are sorted by address (IPv4 before IPv6) and hold each address once,
	// with the smallest TTL it was seen with.
	Addresses []Record
}

// Addrs returns the addresses without their TTLs.
func (a Answer) Addrs() []netip.Addr {
	out := make([]netip.Addr, len(a.Addresses))
	for i, r := range a.Addresses {
		out[i] = r.Addr
	}
	return out
}

// MinTTL is the smallest TTL of the addresses, 0 when there are none.
func (a Answer) MinTTL() time.Duration {
	if len(a.Addresses) == 0 {
		return 0
	}
	m := a.Addresses[0].TTL
	for _, r := range a.Addresses[1:] {
		m = min(m, r.TTL)
	}
	return m
}

// Resolver looks up host addresses. Its zero value uses every nameserver of
// /etc/resolv.conf. A Resolver is safe for concurrent use and must not be copied after
// first use.
type Resolver struct {
	// Servers are the nameservers as "host:port" ("[::1]:53" for IPv6), tried in this
	// order. Empty: every nameserver of ResolvConf, read on first use.
	Servers []string
	// ResolvConf is the resolv.conf read when Servers is empty; default
	// DefaultResolvConf. Only its nameserver lines (and port) are used.
	ResolvConf string
	// Timeout is how long one query to one server may take; default DefaultTimeout. A
	// query that has to be repeated over TCP gets a fresh Timeout for it.
	Timeout time.Duration
	// Attempts is how many rounds over all Servers a query gets before it fails;
	// default DefaultAttempts. The longest a Lookup can take is about
	// Attempts × len(Servers) × Timeout per query of the CNAME chain, bounded by the
	// context.
	Attempts int

	once       sync.Once
	confServer []string
	confErr    error
}

// ServersFromResolvConf returns the nameservers of a resolv.conf file as "host:port".
func ServersFromResolvConf(path string) ([]string, error) {
	cfg, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return nil, err
	}
	if len(cfg.Servers) == 0 {
		return nil, fmt.Errorf("%s: no nameserver lines", path)
	}
	out := make([]string, 0, len(cfg.Servers))
	for _, s := range cfg.Servers {
		out = append(out, net.JoinHostPort(s, cfg.Port))
	}
	return out, nil
}

func (r *Resolver) servers() ([]string, error) {
	if len(r.Servers) > 0 {
		return r.Servers, nil
	}
	r.once.Do(func() {
		path := r.ResolvConf
		if path == "" {
			path = DefaultResolvConf
		}
		r.confServer, r.confErr = ServersFromResolvConf(path)
	})
	return r.confServer, r.confErr
}

func (r *Resolver) timeout() time.Duration {
	if r.Timeout > 0 {
		return r.Timeout
	}
	return DefaultTimeout
}

func (r *Resolver) attempts() int {
	if r.Attempts > 0 {
		return r.Attempts
	}
	return DefaultAttempts
}

// Normalize returns host as Lookup uses it: lower case, surrounding spaces and one
// trailing dot removed. It fails with ErrInvalidHost unless the result is a DNS name
// of labels of letters, digits, '-' and '_' (internationalised names must be given in
// their xn-- form), no longer than 253 characters. IP addresses and wildcards are not
// host names.
func Normalize(host string) (string, error) {
	h := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
	if h == "" || len(h) > 253 {
		return "", ErrInvalidHost
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return "", fmt.Errorf("%w: %q is an IP address", ErrInvalidHost, host)
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 {
			return "", fmt.Errorf("%w: %q", ErrInvalidHost, host)
		}
		for _, c := range []byte(label) {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return "", fmt.Errorf("%w: %q", ErrInvalidHost, host)
			}
		}
	}
	return h, nil
}

// Lookup returns the IPv4 and IPv6 addresses of host with their TTLs. See the package
// documentation for its errors; on error the Answer holds only Host.
func (r *Resolver) Lookup(ctx context.Context, host string) (Answer, error) {
	name, err := Normalize(host)
	if err != nil {
		return Answer{Host: host}, &Error{Host: host, Err: err}
	}
	ans := Answer{Host: name}
	servers, err := r.servers()
	if err != nil {
		return ans, &Error{Host: name, Err: fmt.Errorf("%w: reading nameservers: %w", ErrTemporary, err)}
	}
	if err := ctx.Err(); err != nil {
		return ans, &Error{Host: name, Err: ctxError(err)}
	}

	var results [2]typeResult
	var wg sync.WaitGroup
	for i, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
		wg.Go(func() { results[i] = r.resolveType(ctx, servers, name, qt) })
	}
	wg.Wait()
	a, aaaa := results[0], results[1]

	for _, res := range results { // a context that ended is among these
		if res.err != nil {
			return ans, &Error{Host: name, Server: res.server, Err: res.err}
		}
	}
	addrs := append(slices.Clip(a.records), aaaa.records...)
	if len(addrs) > 0 {
		ans.Addresses = sortDedup(addrs)
		ans.Canonical = a.canonical
		if len(a.records) == 0 {
			ans.Canonical = aaaa.canonical
		}
		return ans, nil
	}
	for _, res := range results {
		if res.nxdomain {
			return ans, &Error{Host: name, Server: res.server, Err: ErrNotFound}
		}
	}
	return ans, &Error{Host: name, Server: a.server, Err: ErrNoAddresses}
}

// Resolve is Lookup without the TTLs: the sorted addresses of host, and Lookup's error.
func (r *Resolver) Resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	ans, err := r.Lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	return ans.Addrs(), nil
}

// sortDedup sorts records by address and keeps each address once, with its smallest
// TTL.
func sortDedup(recs []Record) []Record {
	slices.SortFunc(recs, func(x, y Record) int {
		if c := x.Addr.Compare(y.Addr); c != 0 {
			return c
		}
		return cmp.Compare(x.TTL, y.TTL)
	})
	return slices.CompactFunc(recs, func(x, y Record) bool { return x.Addr == y.Addr })
}

func ctxError(err error) error {
	return fmt.Errorf("%w: %w", ErrTemporary, err)
}

// typeResult is the outcome of resolving one address type.
type typeResult struct {
	records   []Record
	canonical string
	server    string // the server that answered last, or the servers that failed
	nxdomain  bool   // no records: the chain ends in NXDOMAIN (else NODATA)
	err       error  // temporary failure
}

// resolveType resolves name's records of qtype (A or AAAA), following CNAMEs.
func (r *Resolver) resolveType(ctx context.Context, servers []string, name string, qtype uint16) typeResult {
	chain := newCNAMEChain(name)
	for {
		resp, server, err := r.exchange(ctx, servers, chain.cur, qtype)
		if err != nil {
			return typeResult{server: server, err: err}
		}
		recs, followed, err := chain.walk(resp, qtype)
		switch {
		case err != nil:
			return typeResult{server: server, err: err}
		case len(recs) > 0:
			return typeResult{records: recs, canonical: chain.canonical(), server: server}
		case resp.Rcode == dns.RcodeNameError:
			return typeResult{server: server, nxdomain: true}
		case followed && !hasSOA(resp.Ns):
			// NOERROR without records for cur, to which this answer led through a
			// CNAME but says nothing of (no SOA proving there is no data): the server
			// did not chase the chain, so ask for cur.
			continue
		}
		return typeResult{server: server}
	}
}

// cnameChain is how far a lookup has come from the host towards its addresses.
type cnameChain struct {
	cur  string          // the name whose records count now, fully qualified
	seen map[string]bool // the names on the chain so far, to detect loops
	// minTTL is the smallest TTL of the CNAMEs followed: no address outlives them.
	minTTL uint32
	hops   int
}

func newCNAMEChain(name string) *cnameChain {
	cur := dns.Fqdn(name)
	return &cnameChain{cur: cur, seen: map[string]bool{cur: true}, minTTL: 1<<32 - 1}
}

// canonical is the name the chain ends at, as Answer.Canonical says it.
func (ch *cnameChain) canonical() string {
	return strings.TrimSuffix(strings.ToLower(ch.cur), ".")
}

// walk follows the chain as far as this answer goes, and returns the records of qtype
// at its end, and whether it followed a CNAME. Only records on the chain count.
func (ch *cnameChain) walk(resp *dns.Msg, qtype uint16) ([]Record, bool, error) {
	followed := false
	for {
		recs, cname := ch.recordsAt(resp.Answer, qtype)
		if len(recs) > 0 || cname == nil {
			return recs, followed, nil
		}
		if err := ch.follow(cname); err != nil {
			return nil, followed, err
		}
		followed = true
	}
}

// recordsAt returns the addresses of qtype that answer names for the current name,
// with their TTLs capped by the chain's, and the first CNAME it gives for it.
func (ch *cnameChain) recordsAt(answer []dns.RR, qtype uint16) ([]Record, *dns.CNAME) {
	var recs []Record
	var cname *dns.CNAME
	for _, rr := range answer {
		h := rr.Header()
		if h.Class != dns.ClassINET || !strings.EqualFold(h.Name, ch.cur) {
			continue
		}
		if c, ok := rr.(*dns.CNAME); ok {
			if cname == nil {
				cname = c
			}
			continue
		}
		if ip, ok := addressOf(rr, qtype); ok {
			recs = append(recs, record(ip, min(ch.minTTL, h.Ttl)))
		}
	}
	return recs, cname
}

// follow moves the chain on to the CNAME's target; a loop or a chain longer than
// MaxCNAMEHops is a temporary failure.
func (ch *cnameChain) follow(cname *dns.CNAME) error {
	ch.hops++
	target := strings.ToLower(dns.Fqdn(cname.Target))
	if ch.hops > MaxCNAMEHops {
		return fmt.Errorf("%w: %w: more than %d CNAMEs", ErrTemporary, ErrCNAMEChain, MaxCNAMEHops)
	}
	if ch.seen[target] {
		return fmt.Errorf("%w: %w: %s points back to %s", ErrTemporary, ErrCNAMEChain,
			strings.TrimSuffix(ch.cur, "."), strings.TrimSuffix(target, "."))
	}
	ch.seen[target] = true
	ch.minTTL = min(ch.minTTL, cname.Hdr.Ttl)
	ch.cur = target
	return nil
}

// addressOf is the address of an A record when asking for A, or of an AAAA record
// when asking for AAAA; IPv4 in IPv4-mapped form is unmapped.
func addressOf(rr dns.RR, qtype uint16) (netip.Addr, bool) {
	switch rr := rr.(type) {
	case *dns.A:
		if ip, ok := netip.AddrFromSlice(rr.A); ok && qtype == dns.TypeA {
			return ip.Unmap(), true
		}
	case *dns.AAAA:
		if len(rr.AAAA) == net.IPv6len && qtype == dns.TypeAAAA {
			return netip.AddrFromSlice(rr.AAAA)
		}
	}
	return netip.Addr{}, false
}

func record(ip netip.Addr, ttl uint32) Record {
	return Record{Addr: ip, TTL: time.Duration(ttl) * time.Second}
}

func hasSOA(rrs []dns.RR) bool {
	for _, rr := range rrs {
		if _, ok := rr.(*dns.SOA); ok {
			return true
		}
	}
	return false
}

// exchange asks the servers for fqdn's records of qtype until one answers NOERROR or
// NXDOMAIN: Attempts rounds, each over every server in order. It returns the answer and
// the server that gave it, or an error matching ErrTemporary and the servers that
// failed.
func (r *Resolver) exchange(ctx context.Context, servers []string, fqdn string, qtype uint16) (*dns.Msg, string, error) {
	var failures []error
	for range r.attempts() {
		for _, server := range servers {
			if err := ctx.Err(); err != nil {
				return nil, server, ctxError(err)
			}
			resp, err := r.query(ctx, server, fqdn, qtype)
			if err == nil {
				switch resp.Rcode {
				case dns.RcodeSuccess, dns.RcodeNameError:
					return resp, server, nil
				}
				err = &RcodeError{Rcode: resp.Rcode}
			}
			if cerr := ctx.Err(); cerr != nil {
				return nil, server, ctxError(cerr)
			}
			failures = append(failures, &attemptError{server: server, qtype: qtype, err: err})
		}
	}
	return nil, strings.Join(servers, ","), &temporaryError{failures: failures}
}

// attemptError is one failed query to one server.
type attemptError struct {
	server string
	qtype  uint16
	err    error
}

func (e *attemptError) Error() string {
	return fmt.Sprintf("%s %s: %s", e.server, dns.TypeToString[e.qtype], describe(e.err))
}

func (e *attemptError) Unwrap() error { return e.err }

// describe says what went wrong without the socket addresses of net.OpError, which
// differ on every attempt.
func describe(err error) string {
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		return err.Error()
	}
	if opErr.Timeout() {
		return opErr.Net + ": timeout"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return opErr.Net + ": " + errno.Error()
	}
	return err.Error()
}

// temporaryError lists the failed attempts; it matches ErrTemporary and each failure.
type temporaryError struct {
	failures []error
}

func (e *temporaryError) Error() string {
	var b strings.Builder
	b.WriteString(ErrTemporary.Error())
	b.WriteString(": ")
	// Repeated identical failures (one per attempt) are said once.
	var said []string
	for _, f := range e.failures {
		s := f.Error()
		if slices.Contains(said, s) {
			continue
		}
		if len(said) > 0 {
			b.WriteString("; ")
		}
		said = append(said, s)
		b.WriteString(s)
	}
	if n := len(e.failures); n > len(said) {
		fmt.Fprintf(&b, " (%d attempts)", n)
	}
	return b.String()
}

func (e *temporaryError) Unwrap() []error {
	return append([]error{ErrTemporary}, e.failures...)
}

var errBadResponse = errors.New("answer does not match the question")

// query asks one server once: over UDP, then over TCP if the answer is truncated.
func (r *Resolver) query(ctx context.Context, server, fqdn string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(fqdn, qtype)
	m.RecursionDesired = true
	m.SetEdns0(udpSize, false)

	resp, err := r.exchangeOver(ctx, "udp", server, m)
	if err == nil && resp.Truncated {
		resp, err = r.exchangeOver(ctx, "tcp", server, m)
	}
	if err != nil {
		return nil, err
	}
	if !resp.Response || len(resp.Question) != 1 || resp.Question[0].Qtype != qtype ||
		!strings.EqualFold(resp.Question[0].Name, fqdn) {
		return nil, errBadResponse
	}
	return resp, nil
}

// exchangeOver sends m to server over network and waits at most Timeout, or until ctx
// ends, for the answer.
func (r *Resolver) exchangeOver(parent context.Context, network, server string, m *dns.Msg) (*dns.Msg, error) {
	timeout := r.timeout()
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	c := &dns.Client{Net: network, Timeout: timeout}
	conn, err := c.DialContext(ctx, server)
	if err != nil {
		return nil, err
	}
	type result struct {
		resp *dns.Msg
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, _, err := c.ExchangeWithConnContext(ctx, m, conn)
		done <- result{resp, err}
	}()
	var res result
	select {
	case res = <-done:
		conn.Close()
	case <-ctx.Done():
		conn.Close() // unblocks the read at once
		<-done
		if parent.Err() != nil {
			return nil, parent.Err()
		}
		return nil, fmt.Errorf("%s: no answer within %v", network, timeout)
	}
	if res.err != nil {
		// A truncated UDP answer may not unpack whole; the header is what matters.
		if res.resp != nil && res.resp.Truncated && res.resp.Id == m.Id && network == "udp" {
			return res.resp, nil
		}
		return nil, res.err
	}
	return res.resp, nil
}

// ParseServer returns a DNS server written on a command line or in the chart's
// dns.servers as HOST:PORT: an IP address, with a port or without one (53). The
// manager and the kubectl plugin read --dns-server with it, so that both, and the
// chart's schema, take the same forms.
func ParseServer(s string) (string, error) {
	const want = "want an IP address with an optional port, such as 10.96.0.10, 10.96.0.10:53, fd00::a or [fd00::a]:5353"
	bare := s
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		bare = s[1 : len(s)-1]
	}
	if ip, err := netip.ParseAddr(bare); err == nil {
		if ip.Zone() != "" {
			return "", errors.New("an address with a zone: " + want)
		}
		return net.JoinHostPort(ip.String(), "53"), nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return "", errors.New(want)
	}
	if ap.Port() == 0 {
		return "", errors.New("port 0: " + want)
	}
	return ap.String(), nil
}
