// Package guard keeps DNS from opening internal targets: a vendor hostname that
// resolves to 169.254.169.254, 10.x or a pod address would otherwise let the selected
// pods reach the cloud metadata service or the cluster itself (DNS rebinding).
package guard

import (
	"net/netip"
)

// Class is what kind of address DNS returned.
type Class int

const (
	// Public addresses are rendered.
	Public Class = iota
	// Private addresses (RFC 1918, 100.64.0.0/10, IPv6 ULA) are rendered only for
	// entries that allow private ranges, such as a VPN-reached OutSystems environment.
	Private
	// Forbidden addresses (loopback, link-local, multicast, unspecified, and the
	// cluster's own pod and service ranges) are never rendered from DNS.
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

var (
	sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10") // RFC 6598 carrier-grade NAT
	broadcast          = netip.MustParseAddr("255.255.255.255")
	thisNetwork        = netip.MustParsePrefix("0.0.0.0/8")
)

// Guard classifies DNS answers.
type Guard struct {
	// Cluster lists the cluster's pod and service ranges.
	Cluster []netip.Prefix
}

// Classify says whether an address DNS returned may be rendered.
func (g Guard) Classify(a netip.Addr) Class {
	a = a.Unmap()
	switch {
	case !a.IsValid(), a.IsUnspecified(), a.IsLoopback(), a.IsMulticast(),
		a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast(),
		a == broadcast, thisNetwork.Contains(a):
		return Forbidden
	}
	for _, p := range g.Cluster {
		if p.Contains(a) {
			return Forbidden
		}
	}
	if a.IsPrivate() || sharedAddressSpace.Contains(a) {
		return Private
	}
	return Public
}

// Allowed reports whether a may be rendered, given whether private ranges are allowed.
func (g Guard) Allowed(a netip.Addr, allowPrivate bool) bool {
	switch g.Classify(a) {
	case Public:
		return true
	case Private:
		return allowPrivate
	default:
		return false
	}
}

// Filter splits addresses into those that may be rendered and those blocked.
func (g Guard) Filter(addrs []netip.Addr, allowPrivate bool) (allowed, blocked []netip.Addr) {
	for _, a := range addrs {
		if g.Allowed(a, allowPrivate) {
			allowed = append(allowed, a)
		} else {
			blocked = append(blocked, a)
		}
	}
	return allowed, blocked
}
