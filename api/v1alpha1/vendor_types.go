/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// VendorSpec is a vendor's published allowlisting information, as a catalog entry.
type VendorSpec struct {
	// displayName is the vendor's name for people, for example "Workato".
	// +optional
	// +kubebuilder:validation:MaxLength=128
	DisplayName string `json:"displayName,omitempty"`

	// source records where this entry was transcribed from.
	// +optional
	Source *VendorSource `json:"source,omitempty"`

	// endpoints are the vendor's endpoint groups: sets of addresses with one
	// direction, opened together.
	// +required
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:XValidation:rule="size(self) > 0",message="a vendor needs at least one endpoint group, for example endpoints: [{name: api, direction: Egress, ports: [{port: 443}], hostnames: [{name: api.example.com}]}]"
	Endpoints []EndpointGroup `json:"endpoints"`
}

// VendorSource is the document a catalog entry was transcribed from.
type VendorSource struct {
	// document is the title of the vendor's document.
	// +required
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="size(self) > 0",message="must name the vendor's document, for example Workato IP allowlists"
	Document string `json:"document"`

	// url of the document, when known: the document that endpoint groups without a
	// source.url of their own cite.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	URL string `json:"url,omitempty"`

	// transcribed is the date (YYYY-MM-DD) the entry was copied from the document.
	// +required
	// +kubebuilder:validation:MaxLength=10
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9]{4}-[0-9]{2}-[0-9]{2}$')",message="must be a date written YYYY-MM-DD, for example 2025-01-31"
	Transcribed string `json:"transcribed"`
}

// CustomerInput says what an endpoint group needs from the allowlist because the
// vendor's addresses are specific to each customer.
// +kubebuilder:validation:Enum=None;Hostnames;CIDRs
type CustomerInput string

const (
	// CustomerInputNone: the vendor publishes every address of the group.
	CustomerInputNone CustomerInput = "None"
	// CustomerInputHostnames: the allowlist supplies hostnames (spec.vendors[].hostnames).
	CustomerInputHostnames CustomerInput = "Hostnames"
	// CustomerInputCIDRs: the allowlist supplies networks (spec.vendors[].cidrs).
	CustomerInputCIDRs CustomerInput = "CIDRs"
)

// CustomerCIDRPolicy is what an allowlist may supply as networks for one endpoint group.
type CustomerCIDRPolicy struct {
	// allowRanges are ranges besides public ones the networks may cover, as the
	// manager's --tenant-allow-ranges names them.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=6
	AllowRanges []AddressRange `json:"allowRanges,omitempty"`

	// minPrefixLengthIPv4: an IPv4 network that lies wholly within allowRanges may be
	// as broad as this prefix length, and such networks together may cover as much as
	// one network of it. Public networks keep the manager's tenant limits.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=32
	MinPrefixLengthIPv4 *int32 `json:"minPrefixLengthIPv4,omitempty"`

	// minPrefixLengthIPv6: an IPv6 network that lies wholly within allowRanges may be
	// as broad as this prefix length, and such networks together may cover as much as
	// one network of it. Public networks keep the manager's tenant limits.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=128
	MinPrefixLengthIPv6 *int32 `json:"minPrefixLengthIPv6,omitempty"`
}

// AddressRange is a kind of address that is not globally reachable, as the guard
// classifies it from the IANA special-purpose registries.
// +kubebuilder:validation:Enum=private;loopback;link-local;multicast;cluster;reserved
type AddressRange string

// EndpointGroup is a set of vendor addresses with one direction and purpose.
// +kubebuilder:validation:XValidation:rule="self.direction != 'Egress' || (has(self.ports) && size(self.ports) > 0)",message="an Egress endpoint group must list the ports the pods connect to, for example ports: [{port: 443}]"
// +kubebuilder:validation:XValidation:rule="self.direction != 'Ingress' || !has(self.ports) || size(self.ports) == 0",message="an Ingress endpoint group takes no ports, because each allowlist names the pod ports that receive the vendor's traffic: remove ports"
// +kubebuilder:validation:XValidation:rule="!has(self.customerCIDRs) || (has(self.customerInput) && self.customerInput == 'CIDRs')",message="customerCIDRs applies only to a group with customerInput: CIDRs; remove it or set customerInput: CIDRs"
// +kubebuilder:validation:XValidation:rule="(has(self.customerInput) && self.customerInput != 'None') || (has(self.addresses) && size(self.addresses) > 0) || (has(self.hostnames) && size(self.hostnames) > 0) || has(self.feed)",message="an endpoint group needs addresses (for example addresses: [{cidr: 52.1.37.96/32}]), hostnames (for example hostnames: [{name: api.example.com}]), a feed (for example feed: {preset: github, filters: [{key: service, values: [hooks]}]}), or customerInput: Hostnames or CIDRs when each customer supplies their own"
// +kubebuilder:validation:XValidation:rule="!has(self.feed) || ((!has(self.addresses) || size(self.addresses) == 0) && (!has(self.hostnames) || size(self.hostnames) == 0) && (!has(self.customerInput) || self.customerInput == 'None'))",message="a group with a feed takes its addresses from the feed: remove addresses, hostnames and customerInput, or put them in a group of their own"
type EndpointGroup struct {
	// name of the group, for example opa-gateways.
	// +required
	Name ObjectName `json:"name"`

	// direction is Ingress for traffic the vendor sends to the pods (webhooks,
	// API calls) and Egress for traffic the pods send to the vendor.
	// +required
	Direction Direction `json:"direction"`

	// description says what the group is for and when to open it.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Description string `json:"description,omitempty"`

	// ports the pods connect to, for an Egress group.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Ports []Port `json:"ports,omitempty"`

	// addresses the vendor publishes for the group.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=512
	Addresses []PublishedAddress `json:"addresses,omitempty"`

	// hostnames the vendor publishes for the group, resolved through DNS, with any
	// addresses the vendor publishes for each.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	Hostnames []PublishedHostname `json:"hostnames,omitempty"`

	// customerInput says what the allowlist must supply for this group.
	// +optional
	// +kubebuilder:default=None
	CustomerInput CustomerInput `json:"customerInput,omitempty"`

	// customerCIDRs widens, for this group only, what an allowlist may supply in its
	// cidrs beyond the manager's tenant limits: for example the private /16 of an
	// OutSystems VPN. A Vendor is the admin's, so this is how an admin opens a
	// special range on purpose, for the one group that needs it.
	// +optional
	CustomerCIDRs *CustomerCIDRPolicy `json:"customerCIDRs,omitempty"`

	// feed takes the group's addresses from a list the vendor publishes, instead of
	// addresses and hostnames written here.
	// +optional
	Feed *AddressFeed `json:"feed,omitempty"`

	// notes carries the vendor's caveats.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Notes string `json:"notes,omitempty"`

	// source records where in the vendor's documents the group was transcribed
	// from, so that the group can be checked against it
	// (`kubectl vendorallowlist catalog check`). Without a url of its own the group
	// cites the Vendor's source.url.
	// +optional
	Source *EndpointSource `json:"source,omitempty"`
}

// EndpointSource is the document, and the part of it, an endpoint group was
// transcribed from.
type EndpointSource struct {
	// url of the document, when it is not the Vendor's source.url. It is fetched to
	// check the group, so it must be https.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && url(self).getScheme() == 'https' && url(self).getHostname() != ''",message="must be an https URL, for example https://docs.workato.com/security/ip-whitelists.html"
	URL string `json:"url,omitempty"`

	// section is the heading, in the document, of the part the group was
	// transcribed from, for example "Traffic from Workato".
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Section string `json:"section,omitempty"`
}

// DocumentURL is the URL of the document the group was transcribed from: the
// group's own source.url, else the vendor's; empty when neither is known.
func (g *EndpointGroup) DocumentURL(vendor *VendorSpec) string {
	if g.Source != nil && g.Source.URL != "" {
		return g.Source.URL
	}
	if vendor.Source != nil {
		return vendor.Source.URL
	}
	return ""
}

// PublishedAddress is a network the vendor publishes.
type PublishedAddress struct {
	// cidr is the network.
	// +required
	CIDR CIDR `json:"cidr"`

	// region the address serves; empty for every region.
	// +optional
	Region Region `json:"region,omitempty"`

	// deprecated marks an address the vendor no longer uses. It is not rendered
	// unless an allowlist asks for deprecated addresses.
	// +optional
	Deprecated *Deprecation `json:"deprecated,omitempty"`

	// note is the vendor's note on the address.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Note string `json:"note,omitempty"`
}

// Deprecation records when and why the vendor deprecated an address.
type Deprecation struct {
	// since is the date (YYYY-MM-DD) the vendor deprecated the address.
	// +required
	// +kubebuilder:validation:MaxLength=10
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9]{4}-[0-9]{2}-[0-9]{2}$')",message="must be a date written YYYY-MM-DD, for example 2025-01-31"
	Since string `json:"since"`

	// note is the vendor's words on it.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Note string `json:"note,omitempty"`
}

// PublishedHostname is a hostname the vendor publishes.
type PublishedHostname struct {
	// name is the hostname.
	// +required
	Name Hostname `json:"name"`

	// region the hostname serves; empty for every region.
	// +optional
	Region Region `json:"region,omitempty"`

	// addresses the vendor publishes for the hostname. They are rendered together
	// with what DNS returns, and alone when DNS has not answered yet.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	Addresses []CIDR `json:"addresses,omitempty"`

	// note is the vendor's note on the hostname.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Note string `json:"note,omitempty"`
}

// VendorStatus is the operator's account of the Vendor's changes.
type VendorStatus struct {
	// observedGeneration is the generation this status describes; -1 until the
	// operator first compares the Vendor.
	// +optional
	// +kubebuilder:default=-1
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// acceptedGeneration is the generation that the allowlists using this vendor
	// render. While a later generation is held, their policies stay as they are.
	// +optional
	AcceptedGeneration int64 `json:"acceptedGeneration,omitempty"`

	// endpoints summarises the endpoint groups of the accepted generation: the
	// baseline the next change is compared with.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	Endpoints []EndpointSummary `json:"endpoints,omitempty"`

	// feeds reports each feed-backed endpoint group: the list in force, when it was
	// fetched and changed, and any list held for approval.
	// +optional
	// +listType=map
	// +listMapKey=group
	// +kubebuilder:validation:MaxItems=32
	Feeds []FeedStatus `json:"feeds,omitempty"`

	// conditions: Accepted says whether the current generation is in use.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// EndpointSummary is what an endpoint group opens, in numbers.
type EndpointSummary struct {
	// name of the group.
	// +required
	Name ObjectName `json:"name"`

	// direction of the group.
	// +required
	Direction Direction `json:"direction"`

	// entries counts the addresses (not deprecated) and hostnames the group publishes.
	// +optional
	Entries int32 `json:"entries,omitempty"`

	// ipv4Addresses is how many IPv4 addresses the group's networks cover, merged.
	// +optional
	IPv4Addresses int64 `json:"ipv4Addresses,omitempty"`

	// ipv6Networks is how many /64 networks the group's IPv6 networks cover, merged
	// (a network narrower than /64 counts as one).
	// +optional
	IPv6Networks int64 `json:"ipv6Networks,omitempty"`

	// addresses are the networks the group publishes, merged, deprecated ones
	// included (an allowlist with includeDeprecated renders them): the next change is
	// judged by the addresses it adds and removes, not by counts. Left out when they
	// are more than 512 networks; every address of the next change then counts as
	// added.
	// +optional
	// +kubebuilder:validation:MaxItems=512
	// +kubebuilder:validation:items:MaxLength=49
	Addresses []string `json:"addresses,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories=vendorallowlist
// +kubebuilder:printcolumn:name="Accepted",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].reason`
// +kubebuilder:printcolumn:name="Display Name",type=string,JSONPath=`.spec.displayName`
// +kubebuilder:printcolumn:name="Transcribed",type=string,JSONPath=`.spec.source.transcribed`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$') && size(self.metadata.name) <= 63",fieldPath=".metadata",message="a Vendor's name is what allowlists write in spec.vendors[].name, so it must be a lower-case DNS label of at most 63 characters, such as workato or acme-payments"

// Vendor is a catalog entry: the addresses and hostnames a SaaS vendor publishes for
// allowlisting. A Vendor named like a built-in vendor replaces it; any other name
// adds a vendor. Every VendorAllowlist that names it is re-rendered when it changes.
type Vendor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the catalog entry.
	// +required
	Spec VendorSpec `json:"spec"`

	// status is what the operator made of the Vendor's changes.
	// +optional
	// +kubebuilder:default={}
	Status VendorStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// VendorList contains a list of Vendor.
type VendorList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Vendor `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Vendor{}, &VendorList{})
}
