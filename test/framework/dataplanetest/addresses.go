/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dataplanetest

import (
	"fmt"
	"net/netip"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// The suite's address plan. Every address on an interface the suite creates is in one
// of these ranges, and only inside network namespaces the suite created.
var (
	// PodCIDR holds the node's address and every pod's: the tests' pod range.
	PodCIDR = testenv.PodCIDR
	// ServiceCIDR is the API server's --service-cluster-ip-range: ClusterIPs are on no
	// interface, kube-proxy translates them.
	ServiceCIDR = testenv.ServiceCIDR
	// OutsideCIDRs hold the hosts outside the cluster (vendors, other clients, gateways)
	// and LoadBalancer addresses: the documentation ranges TEST-NET-2 and TEST-NET-3.
	OutsideCIDRs = []netip.Prefix{
		netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24"),
	}
	// forbidden is TEST-NET-1, which on the machines this project runs on is the real
	// uplink (eth0 is 192.0.2.2/24): never on an interface or a route of the suite.
	forbidden = netip.MustParsePrefix("192.0.2.0/24")

	// NodeIP is the node's InternalIP, on the node namespace's loopback. Pods and hosts
	// reach every other address through it.
	NodeIP = netip.MustParseAddr("10.244.0.1")
	// KubeDNSIP is the ClusterIP of kube-system/kube-dns.
	KubeDNSIP = netip.MustParseAddr("10.96.0.10")
)

// firstPodIP is the first address handed to a pod; the ones below it are kept for the
// node.
var firstPodIP = netip.MustParseAddr("10.244.0.10")

// routedPrefixes are the routes every pod and host namespace gets, all through the
// node; nothing else is routed, and there is no default route.
func routedPrefixes() []netip.Prefix {
	return append([]netip.Prefix{PodCIDR, ServiceCIDR}, OutsideCIDRs...)
}

// checkPodIP refuses an address outside PodCIDR, or the node's own.
func checkPodIP(a netip.Addr) error {
	if !a.Is4() || !PodCIDR.Contains(a) || a.Compare(firstPodIP) < 0 {
		return fmt.Errorf("pod address %s: must be an IPv4 address in %s from %s on", a, PodCIDR, firstPodIP)
	}
	return nil
}

// CheckOutsideIP refuses an address for an outside host or a LoadBalancer that is not
// in OutsideCIDRs. 192.0.2.0/24 gets its own message: it is the machine's uplink.
func CheckOutsideIP(a netip.Addr) error {
	if forbidden.Contains(a) {
		return fmt.Errorf("address %s is in %s, the machine's real uplink: use %s or %s", a, forbidden, OutsideCIDRs[0], OutsideCIDRs[1])
	}
	for _, p := range OutsideCIDRs {
		if a.Is4() && p.Contains(a) {
			return nil
		}
	}
	return fmt.Errorf("outside address %s: must be in %s or %s (documentation ranges, never routed)", a, OutsideCIDRs[0], OutsideCIDRs[1])
}

// inSuiteRanges reports whether a is an address the suite uses (pods, services, the
// outside hosts): the addresses whose conntrack entries the machine must not keep.
func inSuiteRanges(a netip.Addr) bool {
	for _, p := range routedPrefixes() {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
