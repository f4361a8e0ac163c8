/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

// A label of the cluster-scoped objects a name backend writes (a
// ClusterNetworkPolicy), besides ManagedByLabel, AllowlistLabel and
// AllowlistNamespaceLabel: they cannot carry an owner reference to a namespaced
// allowlist, so the labels stand for it, and this one marks that the operator wrote
// the object (only it knows the allowlist's UID to write).
const (
	// AllowlistUIDLabel is the UID of the VendorAllowlist that wrote a cluster-scoped
	// object: the operator's mark that it created the object, as the controller
	// reference is on a namespaced one.
	AllowlistUIDLabel = "networking.vendorallowlist.io/allowlist-uid"
)

// NamespaceEgressBackendsAnnotation, on a Namespace, is the cluster admin's consent
// that the operator write there a name backend's namespace-wide object: the value
// lists them, comma-separated; today only "egressfirewall" (OVN-Kubernetes'
// EgressFirewall, one per namespace, which applies to every pod of it, so no tenant
// may cause it). Without it, with --egress-backend=ovn, the allowlists of the
// namespace keep their hostnames on addresses, in their NetworkPolicies.
const NamespaceEgressBackendsAnnotation = "networking.vendorallowlist.io/egress-backends"

// EgressFirewallConsent is the value of NamespaceEgressBackendsAnnotation that allows
// OVN-Kubernetes' EgressFirewall.
const EgressFirewallConsent = "egressfirewall"

// Reasons of the name backends.
const (
	// ReasonEgressBackendFailed: the name backend's objects could not be written (its
	// CRD is gone, or the API server refused them). The NetworkPolicies in place stay
	// as they are, addresses included, until they are written; retried.
	ReasonEgressBackendFailed = "EgressBackendFailed"
	// ReasonEgressBackendUnavailable: the API server no longer serves the kind of
	// the name backend the manager started with (its CRD was removed). The
	// NetworkPolicies in place stay as they are until an admin reinstalls the CRD or
	// restarts the operator, which then detects the backend again.
	ReasonEgressBackendUnavailable = "EgressBackendUnavailable"
	// ReasonEgressObjectsApplied tells of the name backend's objects created, updated
	// or deleted (an event).
	ReasonEgressObjectsApplied = "EgressObjectsApplied"
)
