/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

// Condition types.
const (
	// ConditionReady is True when every NetworkPolicy the allowlist renders is in
	// place and current.
	ConditionReady = "Ready"
	// ConditionResolved is False while DNS fails for any of the allowlist's
	// hostnames; their last known addresses stay in the policies meanwhile.
	ConditionResolved = "Resolved"
	// ConditionReconciling is True while the operator is still at work on the
	// current generation and will get there by itself: a first DNS answer awaited, an
	// apply retried, a Vendor change being compared. Absent otherwise. (The kstatus
	// convention, which Flux, kpt and cli-utils read.)
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when the operator cannot go on until a person changes
	// something: the allowlist, a Vendor, a policy in the way, the admin's limits.
	// Absent otherwise.
	ConditionStalled = "Stalled"
)

// Reasons for the Ready condition.
const (
	ReasonReconciled         = "Reconciled"
	ReasonUnknownVendor      = "UnknownVendor"
	ReasonUnknownEndpoint    = "UnknownEndpoint"
	ReasonUnknownRegion      = "UnknownRegion"
	ReasonMissingInput       = "MissingCustomerInput"
	ReasonPortsRequired      = "PortsRequired"
	ReasonNothingToRender    = "NothingToRender"
	ReasonInvalidSpec        = "InvalidSpec"
	ReasonPolicyConflict     = "PolicyConflict"
	ReasonApplyFailed        = "ApplyFailed"
	ReasonCatalogUnavailable = "CatalogUnavailable"
	// ReasonTenantLimitExceeded: entries of the allowlist go beyond what the admin
	// lets an allowlist open (the manager's --tenant-* flags); they are left out of the
	// policies, and the message names each one and the limit.
	ReasonTenantLimitExceeded = "TenantLimitExceeded"
	// ReasonVendorChangeHeld: a Vendor the allowlist uses changed beyond the bounds an
	// admin must confirm; the policies in place stay as they are until then.
	ReasonVendorChangeHeld = "VendorChangeHeld"
	// ReasonVendorChangePending: a Vendor the allowlist uses changed, and the change is
	// being compared with the one in use (a moment); the policies stay meanwhile.
	ReasonVendorChangePending = "VendorChangePending"
	// ReasonAwaitingDNS: some hostname has no address yet, and DNS has not answered
	// for it (or is failing): the policies in place leave its rules out, and the
	// message says whether the selected pods are isolated meanwhile.
	ReasonAwaitingDNS = "AwaitingDNS"
	// ReasonReconcileError: the reconcile failed before it could say more, and is
	// retried.
	ReasonReconcileError = "ReconcileError"
)

// Reasons for the Resolved condition.
const (
	ReasonResolved         = "Resolved"
	ReasonResolutionFailed = "ResolutionFailed"
)

// Condition types and reasons of a Vendor.
const (
	// ConditionAccepted is True when the Vendor's current generation is what the
	// allowlists that use it render, and False while a change is held for an admin.
	ConditionAccepted = "Accepted"
	// ReasonChangeAccepted: the change was within the bounds, or there was nothing to
	// compare it with.
	ReasonChangeAccepted = "ChangeAccepted"
	// ReasonChangeApproved: an admin approved the generation with ApproveGenerationAnnotation.
	ReasonChangeApproved = "ChangeApproved"
	// ReasonChangeHeld: the change empties, shrinks or widens an endpoint group beyond
	// the manager's --vendor-change-* bounds.
	ReasonChangeHeld = "ChangeHeld"
)

// ApproveGenerationAnnotation on a Vendor approves a held change: its value is the
// generation to accept (metadata.generation of the Vendor, as a decimal string). An
// annotation, not a spec field, because writing a spec field would change the very
// generation it approves.
const ApproveGenerationAnnotation = "networking.vendorallowlist.io/approve-generation"

// Reasons of events that are no condition's.
const (
	// ReasonPoliciesApplied tells of policies created, updated or deleted while the
	// allowlist already had policies in place.
	ReasonPoliciesApplied = "PoliciesApplied"
	// ReasonIngressTargetsApplied tells of ingress target objects written, released or
	// deleted.
	ReasonIngressTargetsApplied = "IngressTargetsApplied"
)

// Severity is the type of the events that tell of a reason.
type Severity string

// Severities, as events.k8s.io/v1 names them.
const (
	SeverityNormal  Severity = "Normal"
	SeverityWarning Severity = "Warning"
)

// ReasonInfo is what a reason means for whoever watches the object.
// +kubebuilder:object:generate=false
type ReasonInfo struct {
	// Severity is the type of the events that tell of it.
	Severity Severity
	// Stalled: only a person can fix it. As the reason of an allowlist's Ready=False,
	// Stalled is True with it, and Reconciling otherwise (the operator gets there by
	// itself); as an ingress target's, Ready says IngressTargetFailed rather than
	// IngressTargetPending.
	Stalled bool
}

// Reasons is the one table of the reasons the operator gives, in conditions, in
// status.ingressTargets and in events: the controllers read severity and Stalled
// here, never decide them where they set a reason. A reason missing from the table is
// Normal and not Stalled. (Two kinds of status share the reason ApplyFailed, and mean
// the same by it.)
var Reasons = map[string]ReasonInfo{
	// Ready. A Warning is told by an event once per change of the condition; the
	// others are no news worth an event: Ready itself says them.
	ReasonReconciled:           {Severity: SeverityNormal},
	ReasonUnknownVendor:        {Severity: SeverityWarning, Stalled: true},
	ReasonUnknownEndpoint:      {Severity: SeverityWarning, Stalled: true},
	ReasonUnknownRegion:        {Severity: SeverityWarning, Stalled: true},
	ReasonMissingInput:         {Severity: SeverityWarning, Stalled: true},
	ReasonPortsRequired:        {Severity: SeverityWarning, Stalled: true},
	ReasonNothingToRender:      {Severity: SeverityWarning, Stalled: true},
	ReasonInvalidSpec:          {Severity: SeverityWarning, Stalled: true},
	ReasonPolicyConflict:       {Severity: SeverityWarning, Stalled: true},
	ReasonTenantLimitExceeded:  {Severity: SeverityWarning, Stalled: true},
	ReasonVendorChangeHeld:     {Severity: SeverityWarning, Stalled: true},
	ReasonIngressTargetFailed:  {Severity: SeverityWarning, Stalled: true},
	ReasonApplyFailed:          {Severity: SeverityWarning}, // retried; also an ingress target's
	ReasonVendorChangePending:  {Severity: SeverityNormal},
	ReasonIngressTargetPending: {Severity: SeverityNormal},
	ReasonAwaitingDNS:          {Severity: SeverityNormal},
	ReasonCatalogUnavailable:   {Severity: SeverityNormal},
	ReasonReconcileError:       {Severity: SeverityNormal},

	// Resolved: each change of its status is told.
	ReasonResolved:         {Severity: SeverityNormal},
	ReasonResolutionFailed: {Severity: SeverityWarning},

	// A Vendor's Accepted.
	ReasonChangeAccepted: {Severity: SeverityNormal},
	ReasonChangeApproved: {Severity: SeverityNormal},
	ReasonChangeHeld:     {Severity: SeverityWarning},

	// An ingress target's, in status.ingressTargets; a Failed or Warning target is
	// told once per change of reason.
	TargetReasonApplied:              {Severity: SeverityNormal},
	TargetReasonNoAddresses:          {Severity: SeverityNormal},
	TargetReasonNotFound:             {Severity: SeverityWarning},
	TargetReasonNotAccepted:          {Severity: SeverityWarning},
	TargetReasonTrafficPolicyCluster: {Severity: SeverityWarning},
	TargetReasonConflict:             {Severity: SeverityWarning, Stalled: true},
	TargetReasonKindNotInstalled:     {Severity: SeverityWarning, Stalled: true},
	TargetReasonKindNotEnabled:       {Severity: SeverityWarning, Stalled: true},
	TargetReasonNotLoadBalancer:      {Severity: SeverityWarning, Stalled: true},
	TargetReasonConsentMissing:       {Severity: SeverityWarning, Stalled: true},
	TargetReasonRestricted:           {Severity: SeverityWarning, Stalled: true},

	// A feed-backed group's, in a Vendor's status.feeds and FeedsCurrent, and Ready's
	// while an allowlist waits for a feed's first list.
	ReasonFeedCurrent:    {Severity: SeverityNormal},
	ReasonFeedPending:    {Severity: SeverityNormal},
	ReasonFeedNotEnabled: {Severity: SeverityWarning, Stalled: true},
	ReasonFeedInvalid:    {Severity: SeverityWarning, Stalled: true},
	ReasonFeedStale:      {Severity: SeverityWarning},
	ReasonFeedHeld:       {Severity: SeverityWarning},

	// Events only.
	ReasonPoliciesApplied:       {Severity: SeverityNormal},
	ReasonIngressTargetsApplied: {Severity: SeverityNormal},
	ReasonFeedChanged:           {Severity: SeverityNormal},

	// The name backends (--egress-backend).
	ReasonEgressBackendFailed:      {Severity: SeverityWarning}, // retried; the policies in place stay
	ReasonEgressObjectsApplied:     {Severity: SeverityNormal},
	ReasonEgressBackendUnavailable: {Severity: SeverityWarning, Stalled: true},
}

// EventType is the type of the events that tell of reason: "Warning" or "Normal".
func EventType(reason string) string {
	if Reasons[reason].Severity == SeverityWarning {
		return string(SeverityWarning)
	}
	return string(SeverityNormal)
}

// IsStalled reports whether only a person can fix reason.
func IsStalled(reason string) bool { return Reasons[reason].Stalled }

// Label and field-owner names shared by the operator and its tools.
const (
	// ManagedByLabel marks the NetworkPolicies the operator manages; the manager's
	// cache holds only policies with this label.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// ManagedByValue is the value of ManagedByLabel on managed policies.
	ManagedByValue = "vendor-allowlist-operator"
	// AllowlistLabel names the VendorAllowlist a policy belongs to.
	AllowlistLabel = "networking.vendorallowlist.io/allowlist"
	// AllowlistNamespaceLabel names the namespace of the VendorAllowlist a
	// cluster-scoped object belongs to (a ClusterNetworkPolicy): such an object cannot
	// carry an owner reference to it, so the labels are all that tie the two.
	AllowlistNamespaceLabel = "networking.vendorallowlist.io/allowlist-namespace"
	// FieldOwner is the server-side apply field manager of the operator.
	FieldOwner = "vendor-allowlist-operator"
)

// AdoptAnnotation on a NetworkPolicy or an ingress target object that no controller
// owns hands it over to the VendorAllowlist of its namespace that the value names
// (`kubectl vendorallowlist render --handover` writes it). Only someone who may write
// the object can set it, so the operator adopts an object it did not create only with
// the consent of whoever controls it: the operator's labels alone, which anyone
// applying the plugin's output copies, are never enough.
const AdoptAnnotation = "networking.vendorallowlist.io/adopt"

// DNSAllowed reports whether the egress policy also opens the cluster DNS.
func (s *VendorAllowlistSpec) DNSAllowed() bool { return s.AllowDNS == nil || *s.AllowDNS }
