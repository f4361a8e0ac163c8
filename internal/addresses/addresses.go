// Package addresses is the seam between the reconciler and DNS: it says what
// addresses are in use for a hostname without the reconciler knowing how they were
// found. The manager serves it from one shared, refreshed cache (package dnscache);
// the kubectl plugin and unit tests use simpler implementations.
package addresses

import (
	"context"
	"net/netip"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// Host is what is known of one hostname.
type Host struct {
	// Addresses are the addresses to render for the hostname, sorted.
	Addresses []netip.Addr
	// LastSeen is when DNS last returned each address.
	LastSeen map[netip.Addr]time.Time
	// ResolvedAt is when DNS last answered; zero before the first answer.
	ResolvedAt time.Time
	// Err is the last resolution error; Addresses are then the last known good ones.
	Err error
	// Blocked counts returned addresses that were not rendered because they are internal.
	Blocked int
	// Dropped counts returned addresses that were not kept because the hostname has
	// more than the cap (Cap).
	Dropped int
}

// Request asks for one hostname.
type Request struct {
	Hostname string
	// AllowPrivate lets private ranges (RFC 1918, 100.64.0.0/10, IPv6 ULA) through.
	AllowPrivate bool
	// Seed is what an earlier run of the operator saw (from the allowlist's status),
	// used only when nothing is known of the hostname yet, so a restart drops nothing.
	Seed map[netip.Addr]time.Time
}

// Owner is the allowlist asking, with its refresh bounds (zero: the manager's).
type Owner struct {
	Key                    types.NamespacedName
	MinRefresh, MaxRefresh time.Duration
}

// Source returns what is known of each hostname and remembers who asked, so that a
// change reaches exactly the allowlists that use the hostname.
type Source interface {
	Lookup(ctx context.Context, owner Owner, requests []Request) map[string]Host
	// Forget drops the owner's interest in every hostname.
	Forget(owner types.NamespacedName)
}

// Cap keeps at most max addresses in seen, dropping those unseen the longest (the
// lowest address first among equals, so the result does not depend on map order), and
// returns how many it dropped. The manager's cache and the kubectl plugin apply the
// same cap.
func Cap(seen map[netip.Addr]time.Time, max int) int {
	if len(seen) <= max {
		return 0
	}
	addrs := make([]netip.Addr, 0, len(seen))
	for a := range seen {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, func(a, b netip.Addr) int {
		if c := seen[a].Compare(seen[b]); c != 0 {
			return c
		}
		return a.Compare(b)
	})
	drop := addrs[:len(addrs)-max]
	for _, a := range drop {
		delete(seen, a)
	}
	return len(drop)
}

// DefaultMaxAddresses is how many addresses are kept per hostname unless the manager
// is told otherwise (--dns-max-addresses).
const DefaultMaxAddresses = 256

// Static is a Source with fixed answers, for offline rendering and unit tests.
type Static map[string][]netip.Addr

// Lookup implements Source.
func (s Static) Lookup(_ context.Context, _ Owner, requests []Request) map[string]Host {
	out := make(map[string]Host, len(requests))
	for _, r := range requests {
		if addrs, ok := s[r.Hostname]; ok {
			sorted := slices.Clone(addrs)
			slices.SortFunc(sorted, netip.Addr.Compare)
			out[r.Hostname] = Host{Addresses: slices.Compact(sorted)}
		}
	}
	return out
}

// Forget implements Source.
func (Static) Forget(types.NamespacedName) {}
