/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

// Direction is the direction of traffic an endpoint group or custom entry opens,
// seen from the selected pods.
// +kubebuilder:validation:Enum=Ingress;Egress
type Direction string

const (
	// DirectionIngress opens traffic from the vendor's addresses to the selected pods.
	DirectionIngress Direction = "Ingress"
	// DirectionEgress opens traffic from the selected pods to the vendor's addresses.
	DirectionEgress Direction = "Egress"
)

// Protocol is a transport protocol a NetworkPolicy port can name.
// +kubebuilder:validation:Enum=TCP;UDP;SCTP
type Protocol string

const (
	ProtocolTCP  Protocol = "TCP"
	ProtocolUDP  Protocol = "UDP"
	ProtocolSCTP Protocol = "SCTP"
)

// Port is a port, or a range of ports, on one protocol.
// +kubebuilder:validation:XValidation:rule="self.port >= 1 && self.port <= 65535",message="port must be between 1 and 65535, for example 443"
// +kubebuilder:validation:XValidation:rule="!has(self.endPort) || (self.endPort >= 1 && self.endPort <= 65535)",message="endPort must be between 1 and 65535, for example 8080"
// +kubebuilder:validation:XValidation:rule="!has(self.endPort) || self.endPort >= self.port",message="endPort must be greater than or equal to port: for the range 8000-8080 write port: 8000, endPort: 8080"
type Port struct {
	// protocol is the transport protocol: TCP, UDP or SCTP. Defaults to TCP.
	// +optional
	// +kubebuilder:default=TCP
	Protocol Protocol `json:"protocol,omitempty"`

	// port is the port number (1-65535), or the first port of a range when endPort
	// is set.
	// +required
	Port int32 `json:"port"`

	// endPort, when set, makes this entry the range port..endPort inclusive
	// (1-65535, at least port).
	// +optional
	EndPort *int32 `json:"endPort,omitempty"`
}

// CIDR is an IPv4 or IPv6 network in canonical CIDR notation, such as 52.1.37.96/32 or
// 2001:db8::/48: a prefix length is required (/32 or /128 for a single address), and
// there are no leading zeros, no host bits set, no IPv4-mapped IPv6 and no zone. IPv6
// is written as net/netip prints it: lower case, zero groups compressed with ::.
// The whole address space (0.0.0.0/0, ::/0) is refused: an allowlist that opens
// everything is not an allowlist.
// +kubebuilder:validation:MaxLength=43
// +kubebuilder:validation:XValidation:rule="size(self) > 0",message="must not be empty: write a network such as 52.1.37.96/32 or 2001:db8::/48, or remove the entry"
// +kubebuilder:validation:XValidation:rule="size(self) == 0 || self.contains('/')",message="needs a prefix length: write 52.1.37.96/32 for a single IPv4 address, 2001:db8::1/128 for a single IPv6 address, or a network such as 10.0.0.0/8"
// +kubebuilder:validation:XValidation:rule="!self.contains('%')",message="must not name an IPv6 zone such as %eth0: remove it, for example write fe80::1/128 instead of fe80::1%eth0/128"
// +kubebuilder:validation:XValidation:rule="!self.contains('/') || self.contains('%') || isCIDR(self)",message="is not a valid CIDR: write an IPv4 or IPv6 network such as 52.1.37.96/32 or 2001:db8::/48, with a prefix length of at most 32 (IPv4) or 128 (IPv6), no leading zeros (052.1.37.96/32 is wrong) and no IPv4-mapped IPv6 (write 1.2.3.4/32, not ::ffff:1.2.3.4/128)"
// +kubebuilder:validation:XValidation:rule="!isCIDR(self) || string(cidr(self)) == self",message="must be written in canonical form: lower case, no leading zeros in IPv6 groups, the longest run of zero groups written as ::, for example 2001:db8::/48 instead of 2001:0DB8:0:0::/48, and 1.2.3.4/32 instead of ::1.2.3.4/128"
// +kubebuilder:validation:XValidation:rule="!isCIDR(self) || cidr(self) == cidr(self).masked()",message="has host bits set: write the network address, for example 10.0.0.0/8 instead of 10.0.0.1/8, or 10.0.0.1/32 for the single address"
// +kubebuilder:validation:XValidation:rule="!isCIDR(self) || cidr(self).prefixLength() > 0",message="0.0.0.0/0 and ::/0 would open every address, which is not an allowlist: list the vendor's networks instead, for example 52.1.37.96/28"
type CIDR string

// Hostname is a fully qualified DNS name: RFC 1123, lower case, no trailing dot, each
// dot-separated label at most 63 characters. An IP address is not a hostname: put it
// in cidrs as 1.2.3.4/32.
//
// A wildcard, *.example.com, is a whole first label "*" followed by a name of at
// least two labels: it stands for every name one label below (www.example.com, not
// example.com nor a.b.example.com). No address can hold it, so only an egress backend
// that enforces names renders it (docs/fqdn.md); the operator checks where it is
// used, and never resolves it.
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:XValidation:rule="size(self) > 0",message="must not be empty: write a hostname such as sg1.workato.com, or remove the entry"
// +kubebuilder:validation:XValidation:rule="!self.contains('*') || (self.startsWith('*.') && !self.substring(1).contains('*'))",message="a wildcard must be the whole first label, followed by the name it covers, for example *.workato.com: a.*.workato.com, *workato.com and * are not hostnames"
// +kubebuilder:validation:XValidation:rule="!self.startsWith('*.') || self.substring(2).contains('.')",message="a wildcard must cover a name of at least two labels, for example *.workato.com, not *.com"
// +kubebuilder:validation:XValidation:rule="!self.endsWith('.')",message="must not end with a dot: write sg1.workato.com, not sg1.workato.com."
// +kubebuilder:validation:XValidation:rule="self == self.lowerAscii()",message="must be lower case, for example sg1.workato.com instead of SG1.Workato.com",messageExpression="'must be lower case: write ' + self.lowerAscii()"
// +kubebuilder:validation:XValidation:rule="!self.matches('[^.]{64}')",message="has a label longer than 63 characters: each dot-separated part of a hostname may have at most 63 characters (RFC 1123), for example sg1.workato.com"
// +kubebuilder:validation:XValidation:rule="!isIP(self)",message="is an IP address, not a hostname: list it under cidrs instead, as 1.2.3.4/32 or 2001:db8::1/128"
// +kubebuilder:validation:XValidation:rule="size(self) == 0 || (self.contains('*') && !(self.startsWith('*.') && !self.substring(1).contains('*'))) || self.endsWith('.') || self != self.lowerAscii() || self.matches('[^.]{64}') || isIP(self) || (self.startsWith('*.') ? self.substring(2) : self).matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="must be an RFC 1123 hostname such as sg1.workato.com: letters a-z, digits and '-' in labels separated by single dots, each label starting and ending with a letter or digit"
type Hostname string

// Region is a vendor region code, such as US or EU for Freshchat: letters, digits and
// '-', starting with a letter or digit.
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z0-9][-A-Za-z0-9]*$')",message="must be a region code such as US or EU: letters, digits and '-', starting with a letter or digit"
type Region string

// ObjectName is a DNS-1123 label used for vendor, endpoint group and entry names:
// lower case a-z, 0-9 and '-', starting and ending with a letter or digit, at most
// 63 characters.
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="must be a lower-case DNS label such as workato or opa-gateways: letters a-z, digits and '-', starting and ending with a letter or digit"
type ObjectName string

// PrivateAddresses says whether addresses that DNS returns in private ranges
// (RFC 1918, 100.64.0.0/10, IPv6 ULA) are rendered. Loopback, link-local (such as
// 169.254.169.254), multicast and the cluster's own pod and service ranges are never
// rendered from DNS, whatever this says.
// +kubebuilder:validation:Enum=Block;Allow
type PrivateAddresses string

const (
	// PrivateAddressesBlock leaves private addresses out: a public vendor hostname that
	// resolves to one is more likely DNS rebinding than the vendor.
	PrivateAddressesBlock PrivateAddresses = "Block"
	// PrivateAddressesAllow renders them, for a vendor reached over a VPN.
	PrivateAddressesAllow PrivateAddresses = "Allow"
)
