/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package addresses is the seam between the reconciler and DNS: it says what
// addresses are in use for a hostname without the reconciler knowing how they were
// found. The manager serves it from one shared, refreshed cache (package dnscache);
// the kubectl plugin and unit tests use simpler implementations.
package addresses

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/resolver"
)

// Host is what is known of one hostname.
type Host struct {
	// Addresses are the addresses DNS returned for the hostname that the guard lets
	// an allowlist render, sorted: never loopback, link-local, the cluster's ranges and
	// the like; private ones are there, for the renderer to keep where an entry allows
	// them.
	Addresses []netip.Addr
	// LastSeen is when DNS last returned each address.
	LastSeen map[netip.Addr]time.Time
	// ResolvedAt is when DNS last answered; zero before the first answer.
	ResolvedAt time.Time
	// Err is the last resolution error; Addresses are then the last known good ones.
	Err error
	// Blocked counts the addresses of the last answer that the guard forbids.
	Blocked int
	// Dropped counts returned addresses that were not kept because the hostname has
	// more than the cap (Cap).
	Dropped int
}

// Request asks for one hostname.
type Request struct {
	Hostname string
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

// Keep splits a DNS answer into the addresses an allowlist may render (private ones
// included: each entry keeps them or not) and those the guard forbids, which none
// may. The manager's cache and the kubectl plugin decide with this one function.
func Keep(answer []netip.Addr, g guard.Guard) (kept, forbidden []netip.Addr) {
	for _, a := range answer {
		a, class := g.Answer(a)
		if class == guard.Forbidden {
			forbidden = append(forbidden, a)
			continue
		}
		kept = append(kept, a)
	}
	return kept, forbidden
}

// Authoritative reports whether a lookup's error is DNS's word that the name has no
// addresses (NXDOMAIN, NODATA): the name's addresses then age out, and before any
// answer only what the vendor publishes for it is rendered. Any other error leaves
// the last known addresses in place.
func Authoritative(err error) bool {
	return err == nil || errors.Is(err, resolver.ErrNotFound) || errors.Is(err, resolver.ErrNoAddresses)
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
