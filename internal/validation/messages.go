package validation

// The messages of the CEL rules (x-kubernetes-validations) in the CRDs, word for word.
// The +kubebuilder:validation:XValidation markers in api/v1alpha1 carry the same
// strings; TestMessagesMatchCRDs fails when the two differ.
const (
	// CIDR (api/v1alpha1.CIDR).
	MsgCIDREmpty     = "must not be empty: write a network such as 52.1.37.96/32 or 2001:db8::/48, or remove the entry"
	MsgCIDRNoPrefix  = "needs a prefix length: write 52.1.37.96/32 for a single IPv4 address, 2001:db8::1/128 for a single IPv6 address, or a network such as 10.0.0.0/8"
	MsgCIDRZone      = "must not name an IPv6 zone such as %eth0: remove it, for example write fe80::1/128 instead of fe80::1%eth0/128"
	MsgCIDRInvalid   = "is not a valid CIDR: write an IPv4 or IPv6 network such as 52.1.37.96/32 or 2001:db8::/48, with a prefix length of at most 32 (IPv4) or 128 (IPv6), no leading zeros (052.1.37.96/32 is wrong) and no IPv4-mapped IPv6 (write 1.2.3.4/32, not ::ffff:1.2.3.4/128)"
	MsgCIDRCanonical = "must be written in canonical form: lower case, no leading zeros in IPv6 groups, the longest run of zero groups written as ::, for example 2001:db8::/48 instead of 2001:0DB8:0:0::/48, and 1.2.3.4/32 instead of ::1.2.3.4/128"
	MsgCIDRHostBits  = "has host bits set: write the network address, for example 10.0.0.0/8 instead of 10.0.0.1/8, or 10.0.0.1/32 for the single address"
	MsgCIDRAll       = "0.0.0.0/0 and ::/0 would open every address, which is not an allowlist: list the vendor's networks instead, for example 52.1.37.96/28"

	// Hostname (api/v1alpha1.Hostname). The lower-case rule's message is computed
	// (see hostnameLowerCaseMessage); MsgHostnameLowerCase is its fallback.
	MsgHostnameEmpty      = "must not be empty: write a hostname such as sg1.workato.com, or remove the entry"
	MsgHostnameWildcard   = "wildcards are not supported, because a NetworkPolicy needs the addresses a name resolves to: list each hostname instead, for example sg1.workato.com rather than *.workato.com"
	MsgHostnameTrailing   = "must not end with a dot: write sg1.workato.com, not sg1.workato.com."
	MsgHostnameLowerCase  = "must be lower case, for example sg1.workato.com instead of SG1.Workato.com"
	MsgHostnameLongLabel  = "has a label longer than 63 characters: each dot-separated part of a hostname may have at most 63 characters (RFC 1123), for example sg1.workato.com"
	MsgHostnameIP         = "is an IP address, not a hostname: list it under cidrs instead, as 1.2.3.4/32 or 2001:db8::1/128"
	MsgHostnameRFC1123    = "must be an RFC 1123 hostname such as sg1.workato.com: letters a-z, digits and '-' in labels separated by single dots, each label starting and ending with a letter or digit"
	msgHostnameLowerCaseF = "must be lower case: write "

	// Names and codes.
	MsgObjectName = "must be a lower-case DNS label such as workato or opa-gateways: letters a-z, digits and '-', starting and ending with a letter or digit"
	MsgRegion     = "must be a region code such as US or EU: letters, digits and '-', starting with a letter or digit"
	MsgNamespace  = "must be a namespace name such as kube-system: letters a-z, digits and '-', starting and ending with a letter or digit"
	MsgDate       = "must be a date written YYYY-MM-DD, for example 2025-01-31"

	// Port (api/v1alpha1.Port).
	MsgPortRange    = "port must be between 1 and 65535, for example 443"
	MsgEndPortRange = "endPort must be between 1 and 65535, for example 8080"
	MsgEndPortOrder = "endPort must be greater than or equal to port: for the range 8000-8080 write port: 8000, endPort: 8080"

	// VendorAllowlist.
	MsgAllowlistName       = "metadata.name must be at most 63 characters, because the rendered NetworkPolicies carry it in the label networking.vendorallowlist.io/allowlist, whose values are limited to 63: choose a shorter name, for example payments-workato"
	MsgAllowlistEmpty      = "name at least one vendor in spec.vendors or one entry in spec.custom, for example vendors: [{name: workato}]"
	MsgPortsAndAllPorts    = "set either ports or allPorts: true, not both: ports opens only the listed ports (for example ports: [{port: 443}]), allPorts: true opens every port"
	MsgCustomNoAddresses   = "a custom entry needs at least one address: list networks in cidrs (for example cidrs: [52.1.37.96/32]) or names in hostnames (for example hostnames: [api.example.com])"
	MsgCustomNoPorts       = "a custom entry must say which ports to open: list them in ports (for example ports: [{port: 443}]) or set allPorts: true to open every port"
	MsgVendorName          = "a Vendor's name is what allowlists write in spec.vendors[].name, so it must be a lower-case DNS label of at most 63 characters, such as workato or acme-payments"
	MsgVendorNoEndpoints   = "a vendor needs at least one endpoint group, for example endpoints: [{name: api, direction: Egress, ports: [{port: 443}], hostnames: [{name: api.example.com}]}]"
	MsgVendorDocument      = "must name the vendor's document, for example Workato IP allowlists"
	MsgEgressGroupNoPorts  = "an Egress endpoint group must list the ports the pods connect to, for example ports: [{port: 443}]"
	MsgIngressGroupPorts   = "an Ingress endpoint group takes no ports, because each allowlist names the pod ports that receive the vendor's traffic: remove ports"
	MsgGroupNoAddresses    = "an endpoint group needs addresses (for example addresses: [{cidr: 52.1.37.96/32}]), hostnames (for example hostnames: [{name: api.example.com}]), or customerInput: Hostnames or CIDRs when each customer supplies their own"
	MsgCustomerCIDRsInput  = "customerCIDRs applies only to a group with customerInput: CIDRs; remove it or set customerInput: CIDRs"
	MsgRefreshOrder        = "minInterval must not be longer than maxInterval, for example minInterval: 30s, maxInterval: 1h"
	MsgMinIntervalRange    = "minInterval must be between 1s and 24h, for example 30s"
	MsgMaxIntervalRange    = "maxInterval must be between 1s and 24h, for example 1h"
	MsgRulesNotChecked     = "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"
	msgNameOrGenerateName  = "name or generateName is required"
	allowlistMaxNameLength = 63
)

// ruleMessages lists every static rule message, for TestMessagesMatchCRDs.
var ruleMessages = []string{
	MsgCIDREmpty, MsgCIDRNoPrefix, MsgCIDRZone, MsgCIDRInvalid, MsgCIDRCanonical, MsgCIDRHostBits, MsgCIDRAll,
	MsgHostnameEmpty, MsgHostnameWildcard, MsgHostnameTrailing, MsgHostnameLowerCase, MsgHostnameLongLabel, MsgHostnameIP, MsgHostnameRFC1123,
	MsgObjectName, MsgRegion, MsgNamespace, MsgDate,
	MsgPortRange, MsgEndPortRange, MsgEndPortOrder,
	MsgAllowlistName, MsgAllowlistEmpty, MsgPortsAndAllPorts, MsgCustomNoAddresses, MsgCustomNoPorts,
	MsgVendorName, MsgVendorNoEndpoints, MsgVendorDocument, MsgEgressGroupNoPorts, MsgIngressGroupPorts, MsgGroupNoAddresses, MsgCustomerCIDRsInput,
	MsgRefreshOrder, MsgMinIntervalRange, MsgMaxIntervalRange,
}
