/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// AddressFeed takes an endpoint group's addresses from a list the vendor publishes in
// machine-readable form, such as GitHub's meta API or AWS's ip-ranges.json, instead of
// addresses copied into the Vendor. The manager fetches it only when the admin enables
// feeds (--feeds); each new list passes the guard and the same change bounds as a
// Vendor edit, and the last accepted list stays in force while the feed is down.
// +kubebuilder:validation:XValidation:rule="has(self.preset) != has(self.url)",message="a feed names either a preset (for example preset: github) or a url with a format, not both"
// +kubebuilder:validation:XValidation:rule="!has(self.url) || has(self.format)",message="a feed with a url needs a format: JSON (with an expression) or Text"
// +kubebuilder:validation:XValidation:rule="!has(self.format) || has(self.url)",message="format goes with url; a preset knows its own format"
// +kubebuilder:validation:XValidation:rule="has(self.expression) == (has(self.format) && self.format == 'JSON')",message="a JSON feed needs an expression that selects a list of strings, for example expression: self.hooks; other feeds take none"
// +kubebuilder:validation:XValidation:rule="!has(self.filters) || has(self.preset)",message="filters narrow a preset; a url feed selects with its expression"
type AddressFeed struct {
	// preset names a feed whose shape the operator knows: github, atlassian, stripe,
	// aws, google, cloudflare or datadog (kubectl vendorallowlist feeds lists them
	// with their filters).
	// +optional
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Preset string `json:"preset,omitempty"`

	// filters narrow a preset's list, for example {key: service, values: [hooks]}
	// for GitHub or {key: region, values: [eu-west-1]} for AWS. Values of one key
	// are alternatives; every key must match.
	// +optional
	// +listType=map
	// +listMapKey=key
	// +kubebuilder:validation:MaxItems=8
	Filters []FeedFilter `json:"filters,omitempty"`

	// url of a feed no preset describes. Only https is fetched.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.startsWith('https://')",message="a feed url must be https://, for example https://vendor.example/ips.json"
	URL string `json:"url,omitempty"`

	// format of the document at url: JSON, selected with expression, or Text, one
	// address or network a line.
	// +optional
	Format FeedFormat `json:"format,omitempty"`

	// expression is a CEL expression over the JSON document (self) that gives a list
	// of strings, such as self.hooks or
	// self.prefixes.filter(p, p.service == 'S3').map(p, p.ip_prefix).
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Expression string `json:"expression,omitempty"`
}

// FeedFilter is one filter of a preset feed.
type FeedFilter struct {
	// key is the filter's name, such as service or region.
	// +required
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9_]*$`
	Key string `json:"key"`

	// values to keep.
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=128
	Values []string `json:"values"`
}

// FeedFormat is the shape of a document no preset describes.
// +kubebuilder:validation:Enum=JSON;Text
type FeedFormat string

const (
	FeedFormatJSON FeedFormat = "JSON"
	FeedFormatText FeedFormat = "Text"
)

// FeedStatus is what the operator knows of one feed-backed endpoint group.
type FeedStatus struct {
	// group is the endpoint group the feed fills.
	// +required
	Group ObjectName `json:"group"`

	// url is the document fetched.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	URL string `json:"url,omitempty"`

	// lastFetched is the last successful fetch (an unchanged answer included).
	// +optional
	LastFetched *metav1.Time `json:"lastFetched,omitempty"`

	// lastChanged is when the document in force last changed.
	// +optional
	LastChanged *metav1.Time `json:"lastChanged,omitempty"`

	// version is the feed's own version signal (syncToken, creation date), if any.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Version string `json:"version,omitempty"`

	// networks is how many networks the group opens, merged.
	// +optional
	Networks int32 `json:"networks,omitempty"`

	// digest is the SHA-256 of the document in force.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Digest string `json:"digest,omitempty"`

	// heldDigest is the SHA-256 of a newer document held for an admin's approval.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	HeldDigest string `json:"heldDigest,omitempty"`

	// reason is FeedCurrent, or why the group does not follow its feed right now.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Reason string `json:"reason,omitempty"`

	// message says what happened and what to do.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Message string `json:"message,omitempty"`
}

// The feed states a Vendor's status.feeds[].reason and an allowlist's Ready condition
// carry.
const (
	// ConditionFeedsCurrent is True on a Vendor when every feed-backed group follows
	// a list fetched within a few intervals, none held.
	ConditionFeedsCurrent = "FeedsCurrent"
	// ReasonFeedCurrent: the group follows its feed.
	ReasonFeedCurrent = "FeedCurrent"
	// ReasonFeedNotEnabled: the manager does not fetch this feed (--feeds).
	ReasonFeedNotEnabled = "FeedNotEnabled"
	// ReasonFeedPending: no list has been accepted for the feed yet.
	ReasonFeedPending = "FeedPending"
	// ReasonFeedStale: the last fetches failed; the last accepted list stays in force.
	ReasonFeedStale = "FeedStale"
	// ReasonFeedHeld: a new list changes the group beyond the bounds, and waits for an
	// admin's approval (FeedApproveAnnotation); the last accepted list stays in force.
	ReasonFeedHeld = "FeedHeld"
	// ReasonFeedInvalid: the feed's selection cannot work (unknown preset or filter,
	// an expression that does not compile): the Vendor must change.
	ReasonFeedInvalid = "FeedInvalid"
	// ReasonFeedChanged is the reason of the event telling that a feed's new list
	// is in force.
	ReasonFeedChanged = "FeedChanged"
)

// FeedApproveAnnotation on a feed's copy (the ConfigMap in the operator's namespace
// named in the held message) approves a held document: its value is the document's
// digest. Only admins can write there.
const FeedApproveAnnotation = "networking.vendorallowlist.io/approve-digest"
