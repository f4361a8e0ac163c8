/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package guard keeps DNS answers and tenants' CIDRs from opening internal targets: a
// vendor hostname that resolves to 169.254.169.254, 10.x, a pod address, or an IPv6
// address carrying one of those (64:ff9b::a00:1 is 10.0.0.1 through NAT64) would
// otherwise let the selected pods reach the cloud metadata service or the cluster itself
// (DNS rebinding).
//
// What is not globally reachable comes from the IANA special-purpose address registries,
// kept as data in registry/*.csv with their source and version.
//
// The local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215) is reserved as a whole and not
// decoded: a cluster's translator may use any longer prefix inside it, with that length's
// layout, so 64:ff9b:1:808::a00:1 may reach 8.8.0.0 or 10.0.0.1 depending on a
// configuration the guard does not see. An admin whose local-use NAT64 reaches public
// addresses lists those ranges in Guard.Allow.
package guard

import (
	"net/netip"
)

// Category is what kind of address an address is.
type Category string

const (
	// CategoryPublic is globally reachable.
	CategoryPublic Category = "public"
	// CategoryPrivate is RFC 1918, 100.64.0.0/10 (RFC 6598) and fc00::/7 ULA.
	CategoryPrivate Category = "private"
	// CategoryLoopback is 127.0.0.0/8 and ::1.
	CategoryLoopback Category = "loopback"
	// CategoryLinkLocal is 169.254.0.0/16 and fe80::/10.
	CategoryLinkLocal Category = "link-local"
	// CategoryMulticast is 224.0.0.0/4 and ff00::/8.
	CategoryMulticast Category = "multicast"
	// CategoryCluster is the cluster's pod and service ranges (Guard.Cluster).
	CategoryCluster Category = "cluster"
	// CategoryReserved is every other range that is not globally reachable: 0.0.0.0/8,
	// 192.0.0.0/24, documentation, 198.18.0.0/15, 240.0.0.0/4, 255.255.255.255, ::/128,
	// fec0::/10, the IPv6 space reserved by the IETF, ...
	CategoryReserved Category = "reserved"
)

// kind is a Category as a small number, ordered from the least to the most restrictive:
// when an address carries two IPv4 addresses (Teredo), the more restrictive one wins.
// Among those never rendered, the order follows what the address could reach: nothing
// in particular (reserved), a group (multicast), the node's link, with the cloud metadata
// service (link-local), the node itself (loopback), the cluster's workloads (cluster).
type kind uint8

const (
	kindPublic kind = iota
	kindPrivate
	kindReserved
	kindMulticast
	kindLinkLocal
	kindLoopback
	kindCluster
	numKinds
	// kindEmbedded marks, in the address tables only, a form carrying IPv4.
	kindEmbedded = numKinds
)

var kindCategory = [numKinds]Category{
	kindPublic:    CategoryPublic,
	kindPrivate:   CategoryPrivate,
	kindReserved:  CategoryReserved,
	kindMulticast: CategoryMulticast,
	kindLinkLocal: CategoryLinkLocal,
	kindLoopback:  CategoryLoopback,
	kindCluster:   CategoryCluster,
}

func categoryKind(c Category) (kind, bool) {
	for k, kc := range kindCategory {
		if kc == c {
			return kind(k), true
		}
	}
	return 0, false
}

// Guard classifies addresses.
type Guard struct {
	// Cluster lists the cluster's pod and service ranges: CategoryCluster.
	Cluster []netip.Prefix
	// Allow lists the admin's deliberate exceptions (--guard-allow-cidr): treated as
	// public, except the cluster's ranges, which stay cluster, and, for the forms
	// EmbeddedIPv4 decodes, addresses carrying an IPv4 address of the cluster's ranges.
	// Addresses of 64:ff9b:1::/48 are not decoded: the guard cannot tell which IPv4 an
	// allowed one reaches, so the admin lists only ranges the translator sends to
	// public addresses.
	Allow []netip.Prefix
}

// Category is the category of an address. An IPv6 address carrying an IPv4 address
// (see EmbeddedIPv4) is classified as that IPv4 address is, the more restrictive of the
// two for Teredo; it is cluster if either it or its IPv4 address is in Guard.Cluster.
// The zero Addr is reserved.
func (g Guard) Category(a netip.Addr) Category {
	return kindCategory[g.kindOf(a)]
}

func (g Guard) kindOf(a netip.Addr) kind {
	if a.Is4() {
		return g.kindOf4(a)
	}
	if !a.Is6() {
		return kindReserved
	}
	a = a.WithZone("") // netip.Prefix.Contains is false for any zoned address
	u := u128(a)
	i := tables.index6(u)
	k := tables.kinds6[i]
	if k != kindEmbedded {
		switch {
		case contains(g.Cluster, a):
			return kindCluster
		case contains(g.Allow, a):
			return kindPublic
		}
		return k
	}
	v4, n := tables.forms6[i].embeddedIPv4(u)
	if contains(g.Cluster, a) {
		return kindCluster
	}
	for _, v := range v4[:n] {
		if contains(g.Cluster, addr4(v)) {
			return kindCluster
		}
	}
	if contains(g.Allow, a) {
		return kindPublic
	}
	worst := kindPublic
	for _, v := range v4[:n] {
		worst = max(worst, g.kindOf4(addr4(v)))
	}
	return worst
}

func (g Guard) kindOf4(a netip.Addr) kind {
	switch {
	case contains(g.Cluster, a):
		return kindCluster
	case contains(g.Allow, a):
		return kindPublic
	}
	return tables.kinds4[tables.index4(u32(a))]
}

func contains(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// index4 is the index of the span holding v: the last span starting at or before it.
func (t *addressTables) index4(v uint32) int {
	lo, hi := 0, len(t.starts4)
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		if t.starts4[mid] <= v {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

func (t *addressTables) index6(u uint128) int {
	lo, hi := 0, len(t.starts6)
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		if !u.less(t.starts6[mid]) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// Class is what kind of address DNS returned, as the renderer treats it.
type Class int

const (
	// Public addresses are rendered.
	Public Class = iota
	// Private addresses (CategoryPrivate) are rendered only for entries that allow
	// private ranges, such as a VPN-reached OutSystems environment.
	Private
	// Forbidden addresses (every other category but public: loopback, link-local,
	// multicast, reserved, and the cluster's own ranges) are never rendered from DNS.
	Forbidden
)

func (c Class) String() string {
	switch c {
	case Public:
		return "public"
	case Private:
		return "private"
	default:
		return "forbidden"
	}
}

// Classify says whether an address DNS returned may be rendered: its Category, with
// public as Public, private as Private, and everything else Forbidden.
func (g Guard) Classify(a netip.Addr) Class {
	switch g.kindOf(a) {
	case kindPublic:
		return Public
	case kindPrivate:
		return Private
	default:
		return Forbidden
	}
}

// Answer is the guard's rule for an address DNS returned, or one an earlier run kept
// (a seed): the address as it is kept and rendered (IPv4-mapped as IPv4, without a
// zone) and its Class. Forbidden addresses are kept by nothing, the zero Addr too;
// Private ones are rendered only for entries that allow private ranges. The manager's
// cache, its seeds, the renderer and the kubectl plugin all decide with this.
func (g Guard) Answer(a netip.Addr) (netip.Addr, Class) {
	a = a.Unmap().WithZone("")
	return a, g.Classify(a)
}
