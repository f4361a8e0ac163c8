/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
)

// Resolver looks up a host's addresses; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// dialer connects only to addresses the guard calls public. It resolves the host
// itself and dials the addresses it checked, never the name, so a DNS answer that
// changes between the check and the connection (rebinding) cannot reach an internal
// address: there is no second lookup.
//
// A feed URL is the admin's, but what its host resolves to, and where it redirects,
// is outside data: a feed host whose DNS turns to 169.254.169.254, or a redirect to
// a pod address, would make the manager fetch from inside the cluster. Addresses
// the admin allowed (Guard.Allow, --guard-allow-cidr) count as public, as they do for
// rendered addresses; the cluster's ranges never do.
type dialer struct {
	guard    guard.Guard
	resolver Resolver
	net      net.Dialer

	// proxies are the proxy addresses (host:port) proxyFunc returned: the admin set
	// them (HTTPS_PROXY), so dialling them is not checked; the target behind them is,
	// in proxyFunc.
	mu      sync.Mutex
	proxies map[string]bool
}

// permitted resolves host and keeps the addresses the guard calls public. A host
// with some public and some forbidden addresses is reached on the public ones only;
// one with none is refused.
func (d *dialer) permitted(ctx context.Context, host string) ([]netip.Addr, error) {
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		addrs, err = d.resolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, fmt.Errorf("resolving %s: %w", host, err)
		}
	}
	var ok []netip.Addr
	var refused []string
	for _, a := range addrs {
		kept, class := d.guard.Answer(a)
		if class == guard.Public {
			ok = append(ok, kept)
			continue
		}
		refused = append(refused, fmt.Sprintf("%s (%s)", kept, d.guard.Category(kept)))
	}
	if len(ok) == 0 {
		return nil, &forbiddenError{msg: fmt.Sprintf(
			"%s resolves to %s only, which the guard forbids; an admin who means to fetch from there allows the range with --guard-allow-cidr",
			host, strings.Join(refused, ", "))}
	}
	return ok, nil
}

// DialContext dials the checked addresses of addr's host in turn.
func (d *dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if d.isProxy(addr) {
		return d.net.DialContext(ctx, network, addr)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	addrs, err := d.permitted(ctx, host)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, a := range addrs {
		c, err := d.net.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

func (d *dialer) isProxy(addr string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.proxies[addr]
}

// proxyFunc wraps the proxy choice. When a request goes through a proxy, the
// connection is to the proxy and the proxy resolves the target, so the guard's check
// moves here: the target host is resolved and checked before the request is sent, and
// refused if it has no public address. The proxy resolves the name again, so a
// rebinding answer between the two lookups is for the proxy's own egress rules to
// stop; without a proxy the dialer closes that gap.
func (d *dialer) proxyFunc(choose func(*http.Request) (*url.URL, error)) func(*http.Request) (*url.URL, error) {
	return func(req *http.Request) (*url.URL, error) {
		p, err := choose(req)
		if err != nil || p == nil {
			return p, err
		}
		if _, err := d.permitted(req.Context(), req.URL.Hostname()); err != nil {
			return nil, err
		}
		d.mu.Lock()
		d.proxies[canonicalProxyAddr(p)] = true
		d.mu.Unlock()
		return p, nil
	}
}

// canonicalProxyAddr is the host:port net/http dials for proxy p.
func canonicalProxyAddr(p *url.URL) string {
	port := p.Port()
	if port == "" {
		switch p.Scheme {
		case "https":
			port = "443"
		case "socks5", "socks5h":
			port = "1080"
		default:
			port = "80"
		}
	}
	return net.JoinHostPort(p.Hostname(), port)
}
