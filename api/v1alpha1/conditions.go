package v1alpha1

// Condition types.
const (
	// ConditionReady is True when every NetworkPolicy the allowlist renders is in
	// place and current.
	ConditionReady = "Ready"
	// ConditionResolved is False while DNS fails for any of the allowlist's
	// hostnames; their last known addresses stay in the policies meanwhile.
	ConditionResolved = "Resolved"
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
)

// Reasons for the Resolved condition.
const (
	ReasonResolved         = "Resolved"
	ReasonResolutionFailed = "ResolutionFailed"
)

// ReasonPoliciesApplied is the reason of the event that tells of policies created,
// updated or deleted while the allowlist already had policies in place.
const ReasonPoliciesApplied = "PoliciesApplied"

// Label and field-owner names shared by the operator and its tools.
const (
	// ManagedByLabel marks the NetworkPolicies the operator manages; the manager's
	// cache holds only policies with this label.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// ManagedByValue is the value of ManagedByLabel on managed policies.
	ManagedByValue = "vendor-allowlist-operator"
	// AllowlistLabel names the VendorAllowlist a policy belongs to.
	AllowlistLabel = "networking.vendorallowlist.io/allowlist"
	// FieldOwner is the server-side apply field manager of the operator.
	FieldOwner = "vendor-allowlist-operator"
)

// DNSAllowed reports whether the egress policy also opens the cluster DNS.
func (s *VendorAllowlistSpec) DNSAllowed() bool { return s.AllowDNS == nil || *s.AllowDNS }
