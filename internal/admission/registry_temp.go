//go:build !guardregistry

package admission

import "net/netip"

// registry is a stand-in for internal/guard's Registry(), which is being written on
// another branch: the IANA IPv4 and IPv6 special-purpose registries' ranges that are
// not globally reachable, plus multicast and the IPv6 space outside global unicast.
//
// TODO(issue 10): once internal/guard has Registry(), delete this file and the build
// constraints of registry_guard.go and guard_test.go, run `make generate` (go run
// ./hack/admission) and `make build-installer`, and commit what they write.
func registry() []guardRange {
	r := func(p, category, name, source string) guardRange {
		return guardRange{netip.MustParsePrefix(p), category, name, source}
	}
	return []guardRange{
		r("0.0.0.0/8", "reserved", "This network", "RFC 791"),
		r("10.0.0.0/8", "private", "Private-Use", "RFC 1918"),
		r("100.64.0.0/10", "private", "Shared Address Space", "RFC 6598"),
		r("127.0.0.0/8", "loopback", "Loopback", "RFC 1122"),
		r("169.254.0.0/16", "link-local", "Link Local", "RFC 3927"),
		r("172.16.0.0/12", "private", "Private-Use", "RFC 1918"),
		r("192.0.0.0/24", "reserved", "IETF Protocol Assignments", "RFC 6890"),
		r("192.0.2.0/24", "reserved", "Documentation (TEST-NET-1)", "RFC 5737"),
		r("192.88.99.0/24", "reserved", "Deprecated (6to4 Relay Anycast)", "RFC 7526"),
		r("192.168.0.0/16", "private", "Private-Use", "RFC 1918"),
		r("198.18.0.0/15", "reserved", "Benchmarking", "RFC 2544"),
		r("198.51.100.0/24", "reserved", "Documentation (TEST-NET-2)", "RFC 5737"),
		r("203.0.113.0/24", "reserved", "Documentation (TEST-NET-3)", "RFC 5737"),
		r("224.0.0.0/4", "multicast", "Multicast", "RFC 5771"),
		r("240.0.0.0/4", "reserved", "Reserved", "RFC 1112"),
		r("255.255.255.255/32", "reserved", "Limited Broadcast", "RFC 919"),

		r("::/128", "reserved", "Unspecified Address", "RFC 4291"),
		r("::1/128", "loopback", "Loopback Address", "RFC 4291"),
		r("100::/64", "reserved", "Discard-Only Address Block", "RFC 6666"),
		r("100:0:0:1::/64", "reserved", "Dummy IPv6 Prefix", "RFC 9780"),
		r("2001::/23", "reserved", "IETF Protocol Assignments", "RFC 2928"),
		r("2001:db8::/32", "reserved", "Documentation", "RFC 3849"),
		r("3fff::/20", "reserved", "Documentation", "RFC 9637"),
		r("5f00::/16", "reserved", "Segment Routing (SRv6) SIDs", "RFC 9602"),
		r("fc00::/7", "private", "Unique-Local", "RFC 4193"),
		r("fe80::/10", "link-local", "Link-Local Unicast", "RFC 4291"),
		r("fec0::/10", "reserved", "Site-Local (deprecated)", "RFC 3879"),
		r("ff00::/8", "multicast", "Multicast", "RFC 4291"),
		// Outside global unicast (2000::/3), apart from the ranges above and the IPv4
		// embeddings in ::/8.
		r("100::/8", "reserved", "Reserved by IETF", "RFC 4291"),
		r("200::/7", "reserved", "Reserved by IETF", "RFC 4048"),
		r("400::/6", "reserved", "Reserved by IETF", "RFC 4291"),
		r("800::/5", "reserved", "Reserved by IETF", "RFC 4291"),
		r("1000::/4", "reserved", "Reserved by IETF", "RFC 4291"),
		r("4000::/2", "reserved", "Reserved by IETF", "RFC 4291"),
		r("8000::/2", "reserved", "Reserved by IETF", "RFC 4291"),
		r("c000::/3", "reserved", "Reserved by IETF", "RFC 4291"),
		r("e000::/4", "reserved", "Reserved by IETF", "RFC 4291"),
		r("f000::/5", "reserved", "Reserved by IETF", "RFC 4291"),
		r("f800::/6", "reserved", "Reserved by IETF", "RFC 4291"),
		r("fe00::/9", "reserved", "Reserved by IETF", "RFC 4291"),
	}
}
