/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// VendorAllowlistSpec says which vendors the selected pods may talk to, and in which
// directions.
// +kubebuilder:validation:XValidation:rule="(has(self.vendors) && size(self.vendors) > 0) || (has(self.custom) && size(self.custom) > 0)",message="name at least one vendor in spec.vendors or one entry in spec.custom, for example vendors: [{name: workato}]"
// +kubebuilder:validation:XValidation:rule="!has(self.ingressNetworkPolicy) || self.ingressNetworkPolicy != 'Disabled' || (has(self.ingressTargets) && size(self.ingressTargets) > 0)",fieldPath=".ingressNetworkPolicy",message="ingressNetworkPolicy: Disabled leaves the ingress addresses to the ingress targets, and none is listed: add one to ingressTargets (for example {service: {name: web}}), or remove ingressNetworkPolicy"
type VendorAllowlistSpec struct {
	// podSelector selects the pods the rendered NetworkPolicies apply to, in the
	// allowlist's namespace. An empty selector ({}) selects every pod in the namespace.
	// +required
	PodSelector metav1.LabelSelector `json:"podSelector"`

	// vendors names catalog vendors (built in, or added with a Vendor object) and
	// what to open for each.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	Vendors []VendorSelection `json:"vendors,omitempty"`

	// custom lists vendors that are not in the catalog, inline.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	Custom []CustomEntry `json:"custom,omitempty"`

	// allowDNS, when true (the default), lets the selected pods reach the cluster DNS
	// on UDP and TCP port 53 from the egress policy. An egress NetworkPolicy isolates
	// the pods it selects, so without this they could no longer resolve the vendor
	// hostnames they are allowed to reach.
	// +optional
	// +kubebuilder:default=true
	AllowDNS *bool `json:"allowDNS,omitempty"`

	// dnsRefresh overrides the manager's bounds on how often this allowlist's
	// hostnames are resolved again. A hostname shared with other allowlists is
	// refreshed as often as the most demanding of them asks.
	// +optional
	DNSRefresh *DNSRefresh `json:"dnsRefresh,omitempty"`

	// clusterDNS says where the cluster DNS pods run. Defaults to pods labelled
	// k8s-app=kube-dns in kube-system.
	// +optional
	ClusterDNS *ClusterDNS `json:"clusterDNS,omitempty"`

	// ingressTargets are where else the allowlist's ingress addresses are enforced: a
	// LoadBalancer Service, an Ingress, an Envoy Gateway, an Istio gateway or Traefik,
	// in the allowlist's namespace (docs/ingress-targets.md). Each gets every address
	// the ingress NetworkPolicy's rules get, whatever their ports.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=8
	IngressTargets []IngressTarget `json:"ingressTargets,omitempty"`

	// ingressNetworkPolicy: Enabled (the default) renders the ingress NetworkPolicy;
	// Disabled renders none, and the ingress targets alone enforce the addresses: for
	// pods behind a proxy, which the NetworkPolicy would cut off from it.
	// +optional
	IngressNetworkPolicy IngressNetworkPolicy `json:"ingressNetworkPolicy,omitempty"`
}

// VendorSelection picks a catalog vendor and the parts of it to open.
// +kubebuilder:validation:XValidation:rule="!(has(self.allPorts) && self.allPorts && has(self.ports) && size(self.ports) > 0)",message="set either ports or allPorts: true, not both: ports opens only the listed ports (for example ports: [{port: 443}]), allPorts: true opens every port"
type VendorSelection struct {
	// name is the catalog vendor, for example workato, freshchat, outsystems or
	// threobuilder (`kubectl vendorallowlist catalog` lists them all).
	// +required
	Name ObjectName `json:"name"`

	// directions limits the vendor to these directions. Defaults to every direction
	// the vendor publishes.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=2
	Directions []Direction `json:"directions,omitempty"`

	// endpoints names the vendor's endpoint groups to open, for example
	// opa-gateways for Workato. Defaults to every group in the chosen directions.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	Endpoints []ObjectName `json:"endpoints,omitempty"`

	// regions limits the vendor's addresses to these regions, for example EU for
	// Freshchat. Defaults to every region.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=16
	Regions []Region `json:"regions,omitempty"`

	// ports are the ports of the selected pods that receive the vendor's traffic
	// (Ingress). Ingress opens only the ports listed here; to open every port, say
	// so with allPorts: true.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Ports []Port `json:"ports,omitempty"`

	// allPorts opens every port of the selected pods to the vendor's ingress
	// traffic. It must be chosen explicitly; leaving ports empty never means all.
	// +optional
	AllPorts bool `json:"allPorts,omitempty"`

	// hostnames are addresses specific to you that the vendor asks you to supply,
	// such as the OutSystems front-end server names from Service Center. They are
	// resolved through DNS.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	Hostnames []Hostname `json:"hostnames,omitempty"`

	// cidrs are networks specific to you that the vendor asks you to supply, such as
	// the private range of your OutSystems VPN.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	CIDRs []CIDR `json:"cidrs,omitempty"`

	// privateAddresses: Block (the default) leaves out addresses in private ranges that
	// DNS returns for this vendor's hostnames; Allow renders them, for a vendor reached
	// over a VPN such as an OutSystems environment's private front-ends.
	// +optional
	// +kubebuilder:default=Block
	PrivateAddresses PrivateAddresses `json:"privateAddresses,omitempty"`

	// includeDeprecated also renders addresses the vendor has deprecated, such as
	// Workato's 52.206.58.244. Off by default.
	// +optional
	IncludeDeprecated bool `json:"includeDeprecated,omitempty"`
}

// CustomEntry is an inline vendor that is not in the catalog.
// A custom entry needs at least one address (cidrs or hostnames) and exactly one of
// ports or allPorts: true.
// +kubebuilder:validation:XValidation:rule="(has(self.cidrs) && size(self.cidrs) > 0) || (has(self.hostnames) && size(self.hostnames) > 0)",message="a custom entry needs at least one address: list networks in cidrs (for example cidrs: [52.1.37.96/32]) or names in hostnames (for example hostnames: [api.example.com])"
// +kubebuilder:validation:XValidation:rule="(has(self.allPorts) && self.allPorts) || (has(self.ports) && size(self.ports) > 0)",message="a custom entry must say which ports to open: list them in ports (for example ports: [{port: 443}]) or set allPorts: true to open every port"
// +kubebuilder:validation:XValidation:rule="!(has(self.allPorts) && self.allPorts && has(self.ports) && size(self.ports) > 0)",message="set either ports or allPorts: true, not both: ports opens only the listed ports (for example ports: [{port: 443}]), allPorts: true opens every port"
type CustomEntry struct {
	// name identifies the entry in status and in the rendered rules.
	// +required
	Name ObjectName `json:"name"`

	// direction is Ingress (traffic from these addresses to the selected pods) or
	// Egress (traffic from the selected pods to these addresses).
	// +required
	Direction Direction `json:"direction"`

	// cidrs are the entry's networks.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	CIDRs []CIDR `json:"cidrs,omitempty"`

	// hostnames are resolved through DNS and their addresses rendered.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	Hostnames []Hostname `json:"hostnames,omitempty"`

	// ports are the ports opened: on the selected pods for Ingress, on the
	// destination for Egress.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Ports []Port `json:"ports,omitempty"`

	// allPorts opens every port; it must be chosen explicitly.
	// +optional
	AllPorts bool `json:"allPorts,omitempty"`

	// privateAddresses: Block (the default) leaves out addresses in private ranges that
	// DNS returns for the entry's hostnames; Allow renders them.
	// +optional
	// +kubebuilder:default=Block
	PrivateAddresses PrivateAddresses `json:"privateAddresses,omitempty"`
}

// DNSRefresh bounds the interval between lookups of a hostname. Within the bounds,
// a hostname is resolved again when its record's TTL runs out.
// +kubebuilder:validation:XValidation:rule="!has(self.minInterval) || !has(self.maxInterval) || duration(self.minInterval) <= duration(self.maxInterval)",message="minInterval must not be longer than maxInterval, for example minInterval: 30s, maxInterval: 1h"
type DNSRefresh struct {
	// minInterval is the shortest time between lookups, however short the TTL.
	// +optional
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s') && duration(self) <= duration('24h')",message="minInterval must be between 1s and 24h, for example 30s"
	MinInterval *metav1.Duration `json:"minInterval,omitempty"`

	// maxInterval is the longest time between lookups, however long the TTL.
	// +optional
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s') && duration(self) <= duration('24h')",message="maxInterval must be between 1s and 24h, for example 1h"
	MaxInterval *metav1.Duration `json:"maxInterval,omitempty"`
}

// ClusterDNS locates the cluster DNS pods that allowDNS opens.
type ClusterDNS struct {
	// namespace of the cluster DNS pods. Defaults to kube-system.
	// +optional
	// +kubebuilder:default=kube-system
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="must be a namespace name such as kube-system: letters a-z, digits and '-', starting and ending with a letter or digit"
	Namespace string `json:"namespace,omitempty"`

	// podSelector selects the cluster DNS pods in that namespace. Defaults to
	// k8s-app=kube-dns.
	// +optional
	PodSelector *metav1.LabelSelector `json:"podSelector,omitempty"`
}

// VendorAllowlistStatus is what the operator observed and did.
type VendorAllowlistStatus struct {
	// observedGeneration is the generation of the spec this status describes; -1
	// until the operator first writes status, so that a tool reading the allowlist
	// right after it is created (kstatus, Argo CD, kubectl wait) waits for it instead
	// of taking it for done.
	// +optional
	// +kubebuilder:default=-1
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready says whether every rendered policy is in place and current;
	// Reconciling and Stalled, present only when True, say whether the operator is
	// still at work or needs a person (the kstatus convention).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// policies are the NetworkPolicies rendered for this allowlist.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=2
	Policies []RenderedPolicy `json:"policies,omitempty"`

	// hostnames are the hostnames this allowlist renders, with the addresses in use.
	// +optional
	// +listType=map
	// +listMapKey=hostname
	// +kubebuilder:validation:MaxItems=512
	Hostnames []HostnameStatus `json:"hostnames,omitempty"`

	// ingressTargets are the objects written for spec.ingressTargets, with what became
	// of each.
	// +optional
	// +listType=map
	// +listMapKey=kind
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	IngressTargets []IngressTargetStatus `json:"ingressTargets,omitempty"`

	// egress says, for each egress rule with hostnames, what enforces them: the
	// NetworkPolicy of their resolved addresses, or a dataplane that enforces the
	// names (--egress-backend), and why a rule fell back to addresses.
	// +optional
	// +listType=map
	// +listMapKey=rule
	// +kubebuilder:validation:MaxItems=64
	Egress []EgressRuleStatus `json:"egress,omitempty"`
}

// EgressRuleStatus is what enforces the hostnames of one egress rule.
type EgressRuleStatus struct {
	// rule is the rule's origin: vendor/group, or custom/name.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Rule string `json:"rule"`

	// backend enforces the rule's hostnames: networkpolicy (their resolved
	// addresses), cilium, clusternetworkpolicy, gke or ovn (the names).
	// +required
	// +kubebuilder:validation:MaxLength=32
	Backend string `json:"backend"`

	// names counts the hostnames the backend enforces by name.
	// +optional
	Names int32 `json:"names,omitempty"`

	// message says why the rule's hostnames fell back to addresses, when they did.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`
}

// RenderedPolicy names one NetworkPolicy the operator manages for an allowlist.
type RenderedPolicy struct {
	// name of the NetworkPolicy, in the allowlist's namespace.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// direction of the policy.
	// +required
	Direction Direction `json:"direction"`

	// peers is the number of address blocks the policy opens.
	// +optional
	Peers int32 `json:"peers,omitempty"`
}

// HostnameStatus is what a hostname resolved to.
type HostnameStatus struct {
	// hostname is the name resolved.
	// +required
	Hostname Hostname `json:"hostname"`

	// addresses are the addresses rendered for it, sorted.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	Addresses []ResolvedAddress `json:"addresses,omitempty"`

	// lastResolved is when DNS last answered for this hostname.
	// +optional
	LastResolved *metav1.Time `json:"lastResolved,omitempty"`

	// error is the last resolution error, empty while DNS answers.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Error string `json:"error,omitempty"`

	// blockedAddresses counts addresses DNS returned that were not rendered because
	// they are internal (loopback, link-local, private, the cluster's own ranges).
	// +optional
	BlockedAddresses int32 `json:"blockedAddresses,omitempty"`

	// droppedAddresses counts addresses DNS returned that were not kept because the
	// hostname has more than the manager keeps per hostname (--dns-max-addresses);
	// the longest unseen go first.
	// +optional
	DroppedAddresses int32 `json:"droppedAddresses,omitempty"`
}

// ResolvedAddress is an address in use for a hostname.
type ResolvedAddress struct {
	// address is the IP address.
	// +required
	// +kubebuilder:validation:MaxLength=45
	Address string `json:"address"`

	// lastSeen is when DNS last returned this address; empty for an address the
	// vendor publishes that DNS has not returned yet.
	// +optional
	LastSeen *metav1.Time `json:"lastSeen,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=val;vals,categories=vendorallowlist
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Policies",type=string,JSONPath=`.status.policies[*].name`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",fieldPath=".metadata",message="metadata.name must be at most 63 characters, because the rendered NetworkPolicies carry it in the label networking.vendorallowlist.io/allowlist, whose values are limited to 63: choose a shorter name, for example payments-workato"

// VendorAllowlist opens the pods it selects to the SaaS vendors it names, and keeps
// the NetworkPolicies that do so in step with the vendors' published addresses.
type VendorAllowlist struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec says which vendors to open, to which pods, in which directions.
	// +required
	Spec VendorAllowlistSpec `json:"spec"`

	// status is what the operator observed and did.
	// +optional
	// +kubebuilder:default={}
	Status VendorAllowlistStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// VendorAllowlistList contains a list of VendorAllowlist.
type VendorAllowlistList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []VendorAllowlist `json:"items"`
}

func init() {
	SchemeBuilder.Register(&VendorAllowlist{}, &VendorAllowlistList{})
}
