/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package guard

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

var (
	pfx  = netip.MustParsePrefix
	addr = netip.MustParseAddr
)

// registryCases has an address for every row of the registry files, with the category a
// user should see, written out by hand from the registries (not read from the data).
var registryCases = []struct {
	addr string
	want Category
}{
	// IANA IPv4 Special-Purpose Address Registry
	{"0.1.2.3", CategoryReserved},          // 0.0.0.0/8 "This network"
	{"0.0.0.0", CategoryReserved},          // 0.0.0.0/32 "This host on this network"
	{"10.0.0.5", CategoryPrivate},          // 10.0.0.0/8
	{"100.64.0.1", CategoryPrivate},        // 100.64.0.0/10 Shared Address Space
	{"127.0.0.1", CategoryLoopback},        // 127.0.0.0/8
	{"169.254.169.254", CategoryLinkLocal}, // 169.254.0.0/16, the cloud metadata service
	{"172.16.0.1", CategoryPrivate},        // 172.16.0.0/12
	{"192.0.0.100", CategoryReserved},      // 192.0.0.0/24 IETF Protocol Assignments
	{"192.0.0.1", CategoryReserved},        // 192.0.0.0/29 IPv4 Service Continuity Prefix
	{"192.0.0.8", CategoryReserved},        // 192.0.0.8/32 IPv4 dummy address
	{"192.0.0.9", CategoryReserved},        // 192.0.0.9/32 PCP anycast (True, decided reserved)
	{"192.0.0.10", CategoryReserved},       // 192.0.0.10/32 TURN anycast (True, decided reserved)
	{"192.0.0.170", CategoryReserved},      // NAT64/DNS64 Discovery
	{"192.0.0.171", CategoryReserved},      // NAT64/DNS64 Discovery, second block of the row
	{"192.0.2.1", CategoryReserved},        // TEST-NET-1
	{"192.31.196.1", CategoryReserved},     // AS112-v4 (True, decided reserved)
	{"192.52.193.1", CategoryReserved},     // AMT (True, decided reserved)
	{"192.88.99.1", CategoryReserved},      // Deprecated 6to4 relay anycast
	{"192.88.99.2", CategoryReserved},      // 6a44-relay anycast address
	{"192.168.1.1", CategoryPrivate},       // 192.168.0.0/16
	{"192.175.48.1", CategoryReserved},     // Direct Delegation AS112 Service (True, decided reserved)
	{"198.18.0.1", CategoryReserved},       // Benchmarking
	{"198.51.100.7", CategoryReserved},     // TEST-NET-2
	{"203.0.113.5", CategoryReserved},      // TEST-NET-3
	{"240.0.0.1", CategoryReserved},        // 240.0.0.0/4 Reserved
	{"255.255.255.255", CategoryReserved},  // Limited Broadcast
	// Multicast (IANA IPv4 Address Space, 224/8 to 239/8)
	{"224.0.0.1", CategoryMulticast},
	{"239.255.255.255", CategoryMulticast},
	// IANA IPv6 Special-Purpose Address Registry
	{"::1", CategoryLoopback},
	{"::", CategoryReserved},
	{"::ffff:8.8.8.8", CategoryPublic},            // IPv4-mapped: as 8.8.8.8
	{"64:ff9b::808:808", CategoryPublic},          // NAT64: as 8.8.8.8
	{"64:ff9b:1:808:8:800::", CategoryReserved},   // local-use NAT64: not decoded (8.8.8.8 in the /48 layout)
	{"100::1", CategoryReserved},                  // Discard-Only
	{"100:0:0:1::1", CategoryReserved},            // Dummy IPv6 Prefix
	{"2001:100::1", CategoryReserved},             // 2001::/23 IETF Protocol Assignments
	{"2001:0:808:808::f7f7:f7f7", CategoryPublic}, // Teredo, server and client 8.8.8.8
	{"2001:1::1", CategoryReserved},               // PCP anycast (True, decided reserved)
	{"2001:1::2", CategoryReserved},               // TURN anycast (True, decided reserved)
	{"2001:1::3", CategoryReserved},               // DNS-SD SRP anycast (True, decided reserved)
	{"2001:2::1", CategoryReserved},               // Benchmarking
	{"2001:3::1", CategoryReserved},               // AMT (True, decided reserved)
	{"2001:4:112::1", CategoryReserved},           // AS112-v6 (True, decided reserved)
	{"2001:10::1", CategoryReserved},              // Deprecated ORCHID
	{"2001:20::1", CategoryReserved},              // ORCHIDv2 (True, decided reserved)
	{"2001:30::1", CategoryReserved},              // DETs (True, decided reserved)
	{"2001:db8::1", CategoryReserved},             // Documentation
	{"2002:808:808::1", CategoryPublic},           // 6to4: as 8.8.8.8
	{"2620:4f:8000::1", CategoryReserved},         // Direct Delegation AS112 (True, decided reserved)
	{"3fff::1", CategoryReserved},                 // Documentation
	{"5f00::1", CategoryReserved},                 // SRv6 SIDs
	{"fd00::1", CategoryPrivate},                  // Unique-Local
	{"fe80::1", CategoryLinkLocal},                // Link-Local Unicast
	// IANA IPv6 Address Space, outside global unicast
	{"1:2::3", CategoryReserved},     // 0000::/8 reserved by IETF
	{"180::1", CategoryReserved},     // 0100::/8
	{"200::1", CategoryReserved},     // 0200::/7, formerly NSAP
	{"400::1", CategoryReserved},     // 0400::/6
	{"800::1", CategoryReserved},     // 0800::/5
	{"1000::1", CategoryReserved},    // 1000::/4
	{"2600:1f18::1", CategoryPublic}, // 2000::/3 Global Unicast
	{"4000::1", CategoryReserved},    // 4000::/3
	{"6000::1", CategoryReserved},    // 6000::/3
	{"8000::1", CategoryReserved},    // 8000::/3
	{"a000::1", CategoryReserved},    // a000::/3
	{"c000::1", CategoryReserved},    // c000::/3
	{"e000::1", CategoryReserved},    // e000::/4
	{"f000::1", CategoryReserved},    // f000::/5
	{"f800::1", CategoryReserved},    // f800::/6
	{"fc00::1", CategoryPrivate},     // fc00::/7 (also in the special-purpose registry)
	{"fe00::1", CategoryReserved},    // fe00::/9
	{"fe80::2", CategoryLinkLocal},   // fe80::/10 (also in the special-purpose registry)
	{"fec0::1", CategoryReserved},    // fec0::/10, formerly site-local
	{"ff02::1", CategoryMulticast},   // ff00::/8
	// Other ranges
	{"::a00:1", CategoryPrivate},        // IPv4-compatible: as 10.0.0.1
	{"::ffff:0:a00:1", CategoryPrivate}, // IPv4-translated: as 10.0.0.1
	{"50.16.101.13", CategoryPublic},    // no row: public
	{"2001:db9::1", CategoryPublic},     // between rows of 2000::/3
	{"::ffff:169.254.169.254", CategoryLinkLocal},
}

func TestCategoryOfEveryRegistryRow(t *testing.T) {
	var g Guard
	covered := map[int]bool{}
	for _, c := range registryCases {
		a := addr(c.addr)
		if got := g.Category(a); got != c.want {
			t.Errorf("Category(%s) = %s, want %s", a, got, c.want)
		}
		covered[spanOf(a).row] = true
	}
	// Every row decides some case: a row added to the data needs a case here.
	for i, rw := range tables.rows {
		duplicate := slices.ContainsFunc(tables.rows[:i], func(o row) bool { return o.prefix == rw.prefix })
		if !covered[i] && !duplicate {
			t.Errorf("no case for %s %s (%s)", rw.file, rw.prefix, rw.name)
		}
	}
}

func spanOf(a netip.Addr) span {
	if a.Is4() {
		return tables.spans4[tables.index4(u32(a))]
	}
	return tables.spans6[tables.index6(u128(a))]
}

// teredo builds a Teredo address: the server's IPv4 as is, the client's inverted.
func teredo(server, client string) netip.Addr {
	s, c := addr(server).As4(), addr(client).As4()
	b := [16]byte{0x20, 0x01, 0, 0, s[0], s[1], s[2], s[3], 0x80, 0, 0x12, 0x34}
	for i := range 4 {
		b[12+i] = ^c[i]
	}
	return netip.AddrFrom16(b)
}

func TestCategoryOfEmbeddedIPv4(t *testing.T) {
	g := Guard{Cluster: []netip.Prefix{pfx("10.96.0.0/12"), pfx("fd10:96::/108")}}
	cases := []struct {
		addr netip.Addr
		want Category
	}{
		{addr("64:ff9b::a00:1"), CategoryPrivate},       // NAT64 of 10.0.0.1
		{addr("64:ff9b::7f00:1"), CategoryLoopback},     // NAT64 of 127.0.0.1
		{addr("64:ff9b::a9fe:a9fe"), CategoryLinkLocal}, // NAT64 of 169.254.169.254
		{addr("64:ff9b::a60:1"), CategoryCluster},       // NAT64 of 10.96.0.1, a service address
		{addr("64:ff9b::c612:1"), CategoryReserved},     // NAT64 of 198.18.0.1
		// Local-use NAT64 is reserved whatever IPv4 any layout reads in it.
		{addr("64:ff9b:1:808::a00:1"), CategoryReserved},  // 8.8.0.0 in the /48 layout, 10.0.0.1 in a /96
		{addr("64:ff9b:1:808:8:800::"), CategoryReserved}, // 8.8.8.8 in the /48 layout
		{addr("64:ff9b:1:a00:0:100::"), CategoryReserved}, // 10.0.0.1 in the /48 layout
		{addr("64:ff9b:1:a60:0:100::"), CategoryReserved}, // 10.96.0.1 in the /48 layout: not looked for
		{addr("64:ff9b:1::808:808"), CategoryReserved},    // 8.8.8.8 in a /96
		{addr("64:ff9b:1:ffff:ffff:ffff:ffff:ffff"), CategoryReserved},
		{addr("64:ff9b:2::808:808"), CategoryReserved},      // past the /48: IETF-reserved ::/8
		{addr("2002:a00:1::"), CategoryPrivate},             // 6to4 of 10.0.0.1
		{addr("2002:a60:1::1"), CategoryCluster},            // 6to4 of 10.96.0.1
		{addr("2002:7f00:1::"), CategoryLoopback},           // 6to4 of 127.0.0.1
		{teredo("8.8.8.8", "127.0.0.1"), CategoryLoopback},  // obfuscated client
		{teredo("8.8.8.8", "10.0.0.1"), CategoryPrivate},    // obfuscated client
		{teredo("10.0.0.1", "8.8.8.8"), CategoryPrivate},    // server
		{teredo("10.0.0.1", "127.0.0.1"), CategoryLoopback}, // the more restrictive of two
		{teredo("169.254.0.1", "10.0.0.1"), CategoryLinkLocal},
		{teredo("8.8.8.8", "10.96.0.10"), CategoryCluster},
		{teredo("8.8.8.8", "1.1.1.1"), CategoryPublic},
		{addr("::a00:1"), CategoryPrivate},           // IPv4-compatible
		{addr("::a60:a"), CategoryCluster},           // IPv4-compatible of 10.96.0.10
		{addr("::2"), CategoryReserved},              // IPv4-compatible of 0.0.0.2
		{addr("::808:808"), CategoryPublic},          // IPv4-compatible of 8.8.8.8
		{addr("::"), CategoryReserved},               // not IPv4-compatible
		{addr("::1"), CategoryLoopback},              // not IPv4-compatible
		{addr("::ffff:a00:1"), CategoryPrivate},      // IPv4-mapped
		{addr("::ffff:a60:1"), CategoryCluster},      // IPv4-mapped of 10.96.0.1
		{addr("::ffff:0:a00:1"), CategoryPrivate},    // IPv4-translated
		{addr("::ffff:0:e000:1"), CategoryMulticast}, // IPv4-translated of 224.0.0.1
		{addr("198.18.0.1"), CategoryReserved},
		{addr("240.0.0.1"), CategoryReserved},
		{addr("192.0.0.8"), CategoryReserved},
		{addr("fec0::1"), CategoryReserved},
		{addr("10.100.3.4"), CategoryCluster},
		{addr("fd10:96::a"), CategoryCluster},
		{addr("fd10:97::a"), CategoryPrivate},
		{addr("fe80::1%eth0"), CategoryLinkLocal},
		{addr("fd10:96::a%eth0"), CategoryCluster}, // the zone does not hide the range
		{netip.Addr{}, CategoryReserved},
	}
	for _, c := range cases {
		if got := g.Category(c.addr); got != c.want {
			t.Errorf("Category(%s) = %s, want %s", c.addr, got, c.want)
		}
	}
}

func TestAllowNeverOpensTheCluster(t *testing.T) {
	g := Guard{
		Cluster: []netip.Prefix{pfx("10.96.0.0/12")},
		Allow:   []netip.Prefix{pfx("203.0.113.0/24"), pfx("10.0.0.0/8"), pfx("64:ff9b::/96"), pfx("fe80::/64")},
	}
	cases := []struct {
		addr netip.Addr
		want Category
	}{
		{addr("203.0.113.5"), CategoryPublic},        // allowed documentation range
		{addr("64:ff9b::cb00:7105"), CategoryPublic}, // the same through NAT64
		{addr("203.0.114.5"), CategoryPublic},        // not special
		{addr("198.51.100.1"), CategoryReserved},     // not allowed
		{addr("10.0.0.1"), CategoryPublic},           // allowed private range
		{addr("10.96.0.1"), CategoryCluster},         // allowed, but the cluster's
		{addr("64:ff9b::a60:1"), CategoryCluster},    // allowed NAT64, cluster inside
		{addr("64:ff9b::7f00:1"), CategoryPublic},    // allowed NAT64 prefix: the admin's call
		{addr("2002:7f00:1::"), CategoryLoopback},    // 6to4 not allowed
		{addr("2002:cb00:7105::"), CategoryPublic},   // 6to4 of an allowed address
		{teredo("203.0.113.1", "127.0.0.1"), CategoryLoopback},
		{addr("fe80::1"), CategoryPublic},
		{addr("fe80:0:0:1::1"), CategoryLinkLocal},
	}
	for _, c := range cases {
		if got := g.Category(c.addr); got != c.want {
			t.Errorf("Category(%s) = %s, want %s", c.addr, got, c.want)
		}
	}
	everything := Guard{Cluster: g.Cluster, Allow: []netip.Prefix{pfx("0.0.0.0/0"), pfx("::/0")}}
	for _, a := range []string{"10.96.0.1", "64:ff9b::a60:1", "::ffff:10.96.0.1", "2002:a60:1::"} {
		if got := everything.Category(addr(a)); got != CategoryCluster {
			t.Errorf("with everything allowed, Category(%s) = %s, want cluster", a, got)
		}
	}
	if got := everything.PrefixCategories(pfx("10.0.0.0/8")); !slices.Equal(got, []Category{CategoryCluster, CategoryPublic}) {
		t.Errorf("with everything allowed, PrefixCategories(10.0.0.0/8) = %v, want [cluster public]", got)
	}
}

// TestAllowLocalUseNAT64: an admin opens the part of 64:ff9b:1::/48 a translator sends
// to public addresses; what the admin lists as the cluster's stays cluster.
func TestAllowLocalUseNAT64(t *testing.T) {
	g := Guard{
		// 64:ff9b:1:808::a60:0/108 is where this translator puts the service range.
		Cluster: []netip.Prefix{pfx("10.96.0.0/12"), pfx("64:ff9b:1:808::a60:0/108")},
		Allow:   []netip.Prefix{pfx("64:ff9b:1:808::/96")},
	}
	cases := []struct {
		addr netip.Addr
		want Category
	}{
		{addr("64:ff9b:1:808::808:808"), CategoryPublic},   // allowed
		{addr("64:ff9b:1:808::a60:1"), CategoryCluster},    // allowed, but the cluster's
		{addr("64:ff9b:1:808::a00:1"), CategoryPublic},     // allowed and not decoded: the admin's call
		{addr("64:ff9b:1:809::808:808"), CategoryReserved}, // not allowed
		{addr("64:ff9b:1::808:808"), CategoryReserved},     // not allowed
	}
	for _, c := range cases {
		if got := g.Category(c.addr); got != c.want {
			t.Errorf("Category(%s) = %s, want %s", c.addr, got, c.want)
		}
	}
	prefixes := []struct {
		p    string
		want []Category
	}{
		{"64:ff9b:1::/48", []Category{CategoryCluster, CategoryPublic, CategoryReserved}},
		{"64:ff9b:1:808::/96", []Category{CategoryCluster, CategoryPublic}},
		{"64:ff9b:1:808::a60:0/108", []Category{CategoryCluster}},
		{"64:ff9b:1:808::808:800/120", []Category{CategoryPublic}},
	}
	for _, c := range prefixes {
		if got := g.PrefixCategories(pfx(c.p)); !slices.Equal(got, c.want) {
			t.Errorf("PrefixCategories(%s) = %v, want %v", c.p, got, c.want)
		}
	}
	everything := Guard{Cluster: g.Cluster, Allow: []netip.Prefix{pfx("::/0")}}
	if got := everything.Category(addr("64:ff9b:1:808::a60:1")); got != CategoryCluster {
		t.Errorf("with everything allowed, Category(64:ff9b:1:808::a60:1) = %s, want cluster", got)
	}
	if got := everything.Classify(addr("64:ff9b:1:808::a60:1")); got != Forbidden {
		t.Errorf("with everything allowed, Classify(64:ff9b:1:808::a60:1) = %s, want forbidden", got)
	}
}

func TestEmbeddedIPv4(t *testing.T) {
	cases := []struct {
		addr netip.Addr
		want []string
	}{
		{addr("64:ff9b::a00:1"), []string{"10.0.0.1"}},
		{addr("2002:a00:1::"), []string{"10.0.0.1"}},
		{teredo("8.8.8.8", "127.0.0.1"), []string{"8.8.8.8", "127.0.0.1"}},
		{addr("2001:0:4136:e378:8000:63bf:3fff:fdd2"), []string{"65.54.227.120", "192.0.2.45"}}, // RFC 4380's example
		{addr("::a00:1"), []string{"10.0.0.1"}},
		{addr("::2"), []string{"0.0.0.2"}},
		{addr("::ffff:a00:1"), []string{"10.0.0.1"}},
		{addr("::ffff:0:a00:1"), []string{"10.0.0.1"}},
		{addr("::"), nil},
		{addr("::1"), nil},
		{addr("10.0.0.1"), nil},
		{addr("2600::1"), nil},
		{addr("64:ff9b::1:0:0"), nil},        // outside the /96
		{addr("64:ff9b:1:a00:0:100::"), nil}, // local-use NAT64: 10.0.0.1 in the /48 layout
		{addr("64:ff9b:1:808::a00:1"), nil},  // 8.8.0.0 in the /48 layout, 10.0.0.1 in a /96
		{addr("64:ff9b:1::808:808"), nil},    // 8.8.8.8 in a /96
		{netip.Addr{}, nil},
	}
	for _, c := range cases {
		var got []string
		for _, a := range EmbeddedIPv4(c.addr) {
			got = append(got, a.String())
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("EmbeddedIPv4(%s) = %v, want %v", c.addr, got, c.want)
		}
	}
}

func TestPrefixCategories(t *testing.T) {
	var (
		all     = []Category{CategoryLinkLocal, CategoryLoopback, CategoryMulticast, CategoryPrivate, CategoryPublic, CategoryReserved}
		cluster = Guard{Cluster: []netip.Prefix{pfx("10.96.0.0/12"), pfx("fd10:96::/108")}}
	)
	cases := []struct {
		g    Guard
		p    string
		want []Category
	}{
		{Guard{}, "0.0.0.0/1", []Category{CategoryLoopback, CategoryPrivate, CategoryPublic, CategoryReserved}},
		{Guard{}, "128.0.0.0/1", []Category{CategoryLinkLocal, CategoryMulticast, CategoryPrivate, CategoryPublic, CategoryReserved}},
		{cluster, "0.0.0.0/1", []Category{CategoryCluster, CategoryLoopback, CategoryPrivate, CategoryPublic, CategoryReserved}},
		{Guard{}, "0.0.0.0/0", all},
		{Guard{}, "::/0", all},
		{Guard{}, "::/1", all}, // loopback, reserved, and every IPv4 category via ::/96 and 64:ff9b::/96
		{cluster, "::/1", append([]Category{CategoryCluster}, all...)},
		{cluster, "64:ff9b::/96", append([]Category{CategoryCluster}, all...)},
		{Guard{}, "64:ff9b::/96", all},
		{Guard{}, "64:ff9b::a00:0/104", []Category{CategoryPrivate}},
		{cluster, "64:ff9b::a00:0/104", []Category{CategoryCluster, CategoryPrivate}},
		{cluster, "64:ff9b::a60:0/108", []Category{CategoryCluster}},
		{Guard{}, "64:ff9b::808:800/120", []Category{CategoryPublic}},
		{Guard{}, "64:ff9b:1::/48", []Category{CategoryReserved}},     // local-use NAT64: not decoded
		{Guard{}, "64:ff9b:1:a00::/56", []Category{CategoryReserved}}, // 10.0.0.0/8 in the /48 layout
		{Guard{}, "64:ff9b:1:808::/96", []Category{CategoryReserved}}, // a translator's /96
		{cluster, "64:ff9b:1::/48", []Category{CategoryReserved}},     // the cluster's IPv4 is not looked for
		{Guard{}, "64:ff9b::/47", all},                                // the well-known /96 still decoded
		{Guard{}, "2002::/16", all},
		{cluster, "2002:a60::/32", []Category{CategoryCluster}},
		{Guard{}, "2001::/32", all},
		{Guard{}, "2001:0:808:808::/64", all}, // public server, any client
		{Guard{}, "2001:0:808:808:0:0:f7f7:f7f7/128", []Category{CategoryPublic}},
		{Guard{}, "2001:0:a00:1::/64", []Category{CategoryLinkLocal, CategoryLoopback, CategoryMulticast, CategoryPrivate, CategoryReserved}},
		{Guard{}, "::/127", []Category{CategoryLoopback, CategoryReserved}},
		{Guard{}, "::/96", all},
		{Guard{}, "::ffff:0:0/96", all},
		{Guard{}, "::ffff:0:0:0/96", all},
		{Guard{}, "2000::/3", all}, // 6to4 and Teredo carry every IPv4
		{Guard{}, "2600::/16", []Category{CategoryPublic}},
		{Guard{}, "fe80::/10", []Category{CategoryLinkLocal}},
		{Guard{}, "fec0::/10", []Category{CategoryReserved}},
		{Guard{}, "fc00::/6", []Category{CategoryLinkLocal, CategoryMulticast, CategoryPrivate, CategoryReserved}}, // up to ff00::/8
		{Guard{}, "8.8.8.0/24", []Category{CategoryPublic}},
		{Guard{}, "10.0.0.0/8", []Category{CategoryPrivate}},
		{cluster, "10.0.0.0/8", []Category{CategoryCluster, CategoryPrivate}},
		{cluster, "10.96.0.0/12", []Category{CategoryCluster}},
		{Guard{}, "203.0.113.0/24", []Category{CategoryReserved}},
		{Guard{Allow: []netip.Prefix{pfx("203.0.113.0/24")}}, "203.0.113.0/24", []Category{CategoryPublic}},
		{Guard{Allow: []netip.Prefix{pfx("203.0.113.0/25")}}, "203.0.113.0/24", []Category{CategoryPublic, CategoryReserved}},
		{Guard{Allow: []netip.Prefix{pfx("203.0.113.0/24")}}, "64:ff9b::cb00:7100/120", []Category{CategoryPublic}},
		{Guard{}, "192.0.0.0/24", []Category{CategoryReserved}},
		{Guard{}, "255.255.255.255/32", []Category{CategoryReserved}},
		{Guard{}, "10.1.2.3/8", []Category{CategoryPrivate}}, // host bits are ignored
	}
	for _, c := range cases {
		if got := c.g.PrefixCategories(pfx(c.p)); !slices.Equal(got, c.want) {
			t.Errorf("%+v.PrefixCategories(%s) = %v, want %v", c.g, c.p, got, c.want)
		}
	}
	if got := (Guard{}).PrefixCategories(netip.Prefix{}); got != nil {
		t.Errorf("PrefixCategories(invalid) = %v, want nil", got)
	}
}

// TestPrefixWitnessesAreInThePrefix checks the addresses PrefixCategories rests on.
func TestPrefixWitnessesAreInThePrefix(t *testing.T) {
	g := Guard{Cluster: []netip.Prefix{pfx("10.96.0.0/12")}, Allow: []netip.Prefix{pfx("203.0.113.0/24"), pfx("64:ff9b::/100")}}
	for _, p := range []string{"0.0.0.0/0", "::/0", "64:ff9b::/96", "2001::/32", "2001:0:a60:1::/64", "64:ff9b:1::/48", "::/96"} {
		w := g.prefixWitnesses(pfx(p))
		for k, a := range w {
			if !a.IsValid() {
				continue
			}
			if !pfx(p).Contains(a) || g.Category(a) != kindCategory[k] {
				t.Errorf("%s: witness %s of %s is not in it, or is %s", p, a, kindCategory[k], g.Category(a))
			}
		}
	}
}

func TestRegistry(t *testing.T) {
	reg := Registry()
	if !slices.IsSortedFunc(reg, func(a, b Range) int {
		if c := a.Prefix.Addr().Compare(b.Prefix.Addr()); c != 0 {
			return c
		}
		return a.Prefix.Bits() - b.Prefix.Bits()
	}) {
		t.Error("Registry() is not sorted by prefix")
	}
	want := map[string]Range{
		"198.18.0.0/15":      {Category: CategoryReserved, Name: "Benchmarking", Source: "[RFC2544]"},
		"fec0::/10":          {Category: CategoryReserved, Name: "Reserved by IETF", Source: "[RFC3879]"},
		"169.254.0.0/16":     {Category: CategoryLinkLocal, Name: "Link Local", Source: "[RFC3927]"},
		"224.0.0.0/4":        {Category: CategoryMulticast, Name: "Multicast", Source: "[RFC5771]"},
		"fc00::/7":           {Category: CategoryPrivate, Name: "Unique-Local", Source: "[RFC4193][RFC8190]"},
		"64:ff9b::a00:0/104": {Category: CategoryPrivate, Name: "IPv4-IPv6 Translat. of Private-Use", Source: "[RFC6052] [RFC1918]"},
		"2002:7f00::/24":     {Category: CategoryLoopback, Name: "6to4 of Loopback", Source: "[RFC3056] [RFC1122], Section 3.2.1.3"},
	}
	for _, r := range reg {
		if r.Category == CategoryPublic || r.Category == CategoryCluster {
			t.Errorf("Registry() lists %s as %s", r.Prefix, r.Category)
		}
		if w, ok := want[r.Prefix.String()]; ok && w.Category == r.Category {
			if r.Name != w.Name || r.Source != w.Source {
				t.Errorf("Registry() %s = %q %q, want %q %q", r.Prefix, r.Name, r.Source, w.Name, w.Source)
			}
			delete(want, r.Prefix.String())
		}
	}
	for p, w := range want {
		t.Errorf("Registry() lacks %s %s", p, w.Category)
	}
	// The local-use NAT64 prefix is one reserved Range, not pieces per IPv4 range.
	localUse := pfx("64:ff9b:1::/48")
	var inLocalUse []Range
	for _, r := range reg {
		if r.Prefix.Overlaps(localUse) {
			inLocalUse = append(inLocalUse, r)
		}
	}
	wantLocalUse := []Range{{Prefix: localUse, Category: CategoryReserved, Name: "IPv4-IPv6 Translat.", Source: "[RFC8215]"}}
	if !slices.Equal(inLocalUse, wantLocalUse) {
		t.Errorf("Registry() ranges overlapping %s = %v, want %v", localUse, inLocalUse, wantLocalUse)
	}
	reg[0].Name = "changed"
	if Registry()[0].Name == "changed" {
		t.Error("Registry() shares its slice with callers")
	}
}

// TestRegistryRangesHoldTheirCategory: a Range's addresses all have its category, but for
// the Teredo cover Registry documents, which holds it among others.
func TestRegistryRangesHoldTheirCategory(t *testing.T) {
	var g Guard
	for _, r := range Registry() {
		got := g.PrefixCategories(r.Prefix)
		cover := pfx("2001::/32").Contains(r.Prefix.Addr())
		switch {
		case cover && !slices.Contains(got, r.Category):
			t.Errorf("cover %s (%s): PrefixCategories = %v", r.Prefix, r.Category, got)
		case !cover && !slices.Equal(got, []Category{r.Category}):
			t.Errorf("%s (%s, %s): PrefixCategories = %v", r.Prefix, r.Category, r.Name, got)
		}
	}
}

func TestRegistryFilesStateTheirSource(t *testing.T) {
	entries, err := registryFiles.ReadDir("registry")
	if err != nil {
		t.Fatal(err)
	}
	records := map[string]int{}
	for _, rw := range tables.rows {
		records[rw.file]++
	}
	want := map[string]int{ // blocks per file; the IPv4 registry's 25 rows name 26 blocks
		"registry/iana-ipv4-special-registry.csv": 26,
		"registry/iana-ipv6-special-registry.csv": 25,
		"registry/ipv6-address-space.csv":         20,
		"registry/other-ranges.csv":               3,
	}
	for _, e := range entries {
		data, err := registryFiles.ReadFile("registry/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "https://www.iana.org/assignments/") || !strings.Contains(string(data), "Transcribed") {
			t.Errorf("%s does not state its source and when it was transcribed", e.Name())
		}
	}
	for f, n := range want {
		if records[f] != n {
			t.Errorf("%s has %d blocks, want %d", f, records[f], n)
		}
	}
}

func TestRegistryDataErrorsAreRefused(t *testing.T) {
	header := "Address Block,Name,RFC,Allocation Date,Termination Date,Source,Destination,Forwardable,Globally Reachable,Reserved-by-Protocol,Guard\n"
	for _, c := range []struct{ data, want string }{
		{header + "10.0.0.0/8,Private-Use,[RFC1918],1996-02,N/A,True,True,True,False,False,public\n", "cannot be public"},
		{header + "10.0.0.0/8,Private-Use,[RFC1918],1996-02,N/A,True,True,True,False,False,internal\n", "not a category"},
		{header + "10.0.0.1/8,Private-Use,[RFC1918],1996-02,N/A,True,True,True,False,False,private\n", "host bits"},
		{"Block,Guard\n10.0.0.0/8,private\n", "lacks"},
	} {
		_, err := parseRegistryFile("test.csv", []byte(c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parsing %q: error %v, want one saying %q", c.data, err, c.want)
		}
	}
	rows, err := parseRegistryFile("test.csv", []byte(header+"2003::/16,Other,[RFC0],2000-01,N/A,True,True,True,True,False,ipv4-embedded\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := buildTables(rows); err == nil || !strings.Contains(err.Error(), "not a form") {
		t.Errorf("an unknown embedded form: error %v", err)
	}
}

func TestClassify(t *testing.T) {
	g := Guard{Cluster: []netip.Prefix{pfx("10.244.0.0/16"), pfx("fd10:96::/108")}}
	cases := map[string]Class{
		"50.16.101.13":           Public,
		"2600:1f18::1":           Public,
		"64:ff9b::3210:650d":     Public,
		"127.0.0.1":              Forbidden,
		"::1":                    Forbidden,
		"169.254.169.254":        Forbidden,
		"fe80::1":                Forbidden,
		"224.0.0.1":              Forbidden,
		"ff02::1":                Forbidden,
		"0.0.0.0":                Forbidden,
		"::":                     Forbidden,
		"0.1.2.3":                Forbidden,
		"255.255.255.255":        Forbidden,
		"198.18.0.1":             Forbidden,
		"203.0.113.5":            Forbidden,
		"fec0::1":                Forbidden,
		"::ffff:169.254.169.254": Forbidden,
		"64:ff9b::a9fe:a9fe":     Forbidden,
		"10.244.3.7":             Forbidden, // pod range
		"64:ff9b::af4:307":       Forbidden, // pod range through NAT64
		"fd10:96::a":             Forbidden, // service range
		"10.0.0.5":               Private,
		"172.16.0.1":             Private,
		"192.168.1.1":            Private,
		"100.64.0.1":             Private,
		"fd00::1":                Private,
		"::ffff:10.0.0.5":        Private,
		"64:ff9b::a00:5":         Private,
	}
	for a, want := range cases {
		if got := g.Classify(addr(a)); got != want {
			t.Errorf("Classify(%s) = %s, want %s", a, got, want)
		}
	}
}

// TestAnswerKeepsWhatItRenders: an answer is kept as it is rendered, so that the
// cache, its seeds and the renderer key and judge the same address.
func TestAnswerKeepsWhatItRenders(t *testing.T) {
	g := Guard{Allow: []netip.Prefix{pfx("203.0.113.0/24")}}
	cases := []struct {
		in, want string
		class    Class
	}{
		{"52.5.142.59", "52.5.142.59", Public},
		{"::ffff:52.5.142.59", "52.5.142.59", Public},
		{"::ffff:203.0.113.7", "203.0.113.7", Public},
		{"10.0.0.5", "10.0.0.5", Private},
		{"::ffff:10.0.0.5", "10.0.0.5", Private},
		{"2600:1f18::1%eth0", "2600:1f18::1", Public},
		{"127.0.0.1", "127.0.0.1", Forbidden},
		{"fe80::1%eth0", "fe80::1", Forbidden},
	}
	for _, c := range cases {
		if got, class := g.Answer(addr(c.in)); got != addr(c.want) || class != c.class {
			t.Errorf("Answer(%s) = %v, %s; want %s, %s", c.in, got, class, c.want, c.class)
		}
	}
	if _, class := g.Answer(netip.Addr{}); class != Forbidden {
		t.Errorf("Answer(zero Addr) is %s, want forbidden", class)
	}
}

// TestCategoryDoesNotAllocate: Category runs for every DNS answer.
func TestCategoryDoesNotAllocate(t *testing.T) {
	g := Guard{Cluster: []netip.Prefix{pfx("10.96.0.0/12"), pfx("fd10:96::/108")}, Allow: []netip.Prefix{pfx("203.0.113.0/24")}}
	for _, a := range []netip.Addr{addr("52.5.142.59"), addr("10.96.0.1"), addr("2600:1f18::1"), addr("64:ff9b::a00:1"), teredo("8.8.8.8", "10.0.0.1"), addr("fe80::1%eth0")} {
		if n := testing.AllocsPerRun(100, func() { g.Category(a) }); n != 0 {
			t.Errorf("Category(%s) allocates %.0f times", a, n)
		}
	}
}

func BenchmarkCategory(b *testing.B) {
	g := Guard{Cluster: []netip.Prefix{pfx("10.96.0.0/12"), pfx("10.244.0.0/16"), pfx("fd10:96::/108")}}
	for _, c := range []struct{ name, addr string }{
		{"ipv4-public", "52.5.142.59"},
		{"ipv4-private", "10.0.0.5"},
		{"ipv6-public", "2600:1f18::1"},
		{"ipv6-nat64", "64:ff9b::a00:1"},
	} {
		a := addr(c.addr)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				g.Category(a)
			}
		})
	}
}

func BenchmarkPrefixCategories(b *testing.B) {
	g := Guard{Cluster: []netip.Prefix{pfx("10.96.0.0/12"), pfx("10.244.0.0/16"), pfx("fd10:96::/108")}}
	for _, c := range []struct{ name, prefix string }{
		{"ipv4-24", "52.5.142.0/24"},
		{"ipv6-48", "2600:1f18:1::/48"},
		{"ipv4-1", "0.0.0.0/1"},
		{"nat64-96", "64:ff9b::/96"},
	} {
		p := pfx(c.prefix)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				g.PrefixCategories(p)
			}
		})
	}
}

// TestIPv4ImagesFollowTheRFCs: the IPv6 forms carry 192.0.2.33 as the RFCs' examples
// do, and each image is what EmbeddedIPv4 decodes back.
func TestIPv4ImagesFollowTheRFCs(t *testing.T) {
	v4 := pfx("192.0.2.33/32")
	want := []string{
		"::c000:221/128",        // IPv4-compatible, RFC 4291 section 2.5.5.1
		"::ffff:192.0.2.33/128", // IPv4-mapped, RFC 4291 section 2.5.5.2
		"::ffff:0:c000:221/128", // IPv4-translated, RFC 2765 section 2.1
		"64:ff9b::c000:221/128", // NAT64, RFC 6052 section 2.4, /96
		"2001::/32",             // Teredo, RFC 4380 section 4: the client may be any
		"2002:c000:221::/48",    // 6to4, RFC 3056 section 2
	}
	got := IPv4Images(v4)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("IPv4Images(%v) = %v, want %v", v4, got, want)
	}
	for _, img := range got {
		if img.Bits() == 32 {
			continue // Teredo
		}
		if back := EmbeddedIPv4(img.Addr()); !slices.Contains(back, v4.Addr()) {
			t.Errorf("%v carries %v, not %v", img, back, v4.Addr())
		}
	}
	if wide := IPv4Images(pfx("10.0.0.0/8")); fmt.Sprint(wide) != "[::a00:0/104 ::ffff:10.0.0.0/104 ::ffff:0:a00:0/104 64:ff9b::a00:0/104 2001::/32 2002:a00::/24]" {
		t.Errorf("IPv4Images(10.0.0.0/8) = %v", wide)
	}
	if IPv4Images(pfx("2001:db8::/32")) != nil {
		t.Error("an IPv6 prefix has IPv4 images")
	}
}

// The remembered answers are per guard: the same prefix under guards with other
// ranges is classified by each, whichever asked first, and again the same way.
func TestPrefixCategoriesRememberedPerGuard(t *testing.T) {
	p := pfx("203.0.113.0/24")
	plain := Guard{Cluster: []netip.Prefix{pfx("203.0.113.128/25")}}
	allowing := Guard{Cluster: plain.Cluster, Allow: []netip.Prefix{pfx("203.0.113.0/25")}}
	for range 2 {
		if got := plain.PrefixCategories(p); !slices.Contains(got, CategoryCluster) || slices.Contains(got, CategoryPublic) {
			t.Errorf("without an exception, %s is %v", p, got)
		}
		if got := allowing.PrefixCategories(p); !slices.Contains(got, CategoryCluster) || !slices.Contains(got, CategoryPublic) {
			t.Errorf("with 203.0.113.0/25 allowed, %s is %v", p, got)
		}
	}
}

// A tenant can name as many CIDRs as it likes: the remembered answers stay bounded.
func TestPrefixCategoriesMemoIsBounded(t *testing.T) {
	g := Guard{Allow: []netip.Prefix{pfx("2001:db8::/32")}}
	for i := range 2 * witnessMemoLimit {
		// Each prefix inside the allowed range takes the set arithmetic's path.
		a := netip.MustParseAddr("2001:db8::").As16()
		a[4], a[5] = byte(i>>8), byte(i)
		_ = g.PrefixCategories(netip.PrefixFrom(netip.AddrFrom16(a), 48))
	}
	if n := witnessMemo.Len(); n != witnessMemoLimit {
		t.Errorf("after %d different prefixes the guard remembers %d answers, want its limit %d", 2*witnessMemoLimit, n, witnessMemoLimit)
	}
}
