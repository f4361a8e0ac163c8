/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	networkingv1ac "k8s.io/client-go/applyconfigurations/networking/v1"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// The manager's cache holds its NetworkPolicies slim: their metadata, and in the
// policy types of the cached copy alone (never written to the API server) what the
// reconciler reads of the rest: the digest of the fields the operator's field
// manager owns, and the single addresses among them. At 10,000 allowlists the full
// policies were 60% of the manager's live heap (their specs, selectors and managed
// fields), read only to compare the operator's own fields with what it would apply.
//
// The policy types, not annotations: the API server accepts only Ingress and Egress
// there, so a policy read from it is never taken for a slim copy, whatever anyone
// who may edit it wrote; and a policy has no annotations of its own to share a map
// with, so two cache annotations cost each cached policy a map (a third of its copy).
//
// slimMarker is the first policy type of a slim copy; the digest follows, then the
// addresses, comma-separated, if there are any.
const slimMarker networkingv1.PolicyType = "cache.vendorallowlist.io/owned"

// ownedView is what the operator's field manager owns of a policy: a digest of its
// labels, owner references and spec, and the single addresses in its ipBlocks.
type ownedView struct {
	digest    string
	addresses []netip.Addr
}

// SlimPolicy is the cache transform of the managed NetworkPolicies: the policy's
// metadata (no managed fields) and its ownedView in its policy types. A policy
// whose managed fields cannot be read is kept whole, and the reconciler reports why.
//
// The transform sees an object it made again: a streaming list (WatchList) applies it
// in the reflector's own store and once more when the informer takes the list over,
// so a slim copy passes through unchanged.
func SlimPolicy(in any) (any, error) {
	np, ok := in.(*networkingv1.NetworkPolicy)
	if !ok {
		return KeepOwnManagedFields(in)
	}
	if isSlim(np) {
		return np, nil
	}
	view, err := extractOwnedView(np)
	if err != nil {
		return KeepOwnManagedFields(in)
	}
	types := []networkingv1.PolicyType{slimMarker, networkingv1.PolicyType(view.digest)}
	if len(view.addresses) > 0 {
		s := make([]string, len(view.addresses))
		for i, a := range view.addresses {
			s[i] = a.String()
		}
		types = []networkingv1.PolicyType{slimMarker, networkingv1.PolicyType(view.digest), networkingv1.PolicyType(strings.Join(s, ","))}
	}
	slim := &networkingv1.NetworkPolicy{
		TypeMeta: np.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{
			Name: np.Name, Namespace: np.Namespace, UID: np.UID, ResourceVersion: np.ResourceVersion,
			Generation: np.Generation, CreationTimestamp: np.CreationTimestamp, DeletionTimestamp: np.DeletionTimestamp,
			Labels: np.Labels, Annotations: cacheInterner.stringMap(np.Annotations), OwnerReferences: np.OwnerReferences, Finalizers: np.Finalizers,
		},
		Spec: networkingv1.NetworkPolicySpec{PolicyTypes: types},
	}
	cacheInterner.metadata(&slim.ObjectMeta)
	return slim, nil
}

// addOwnedAddresses adds to set the single addresses the operator's fields of np
// hold (ownedView.addresses): from the slim copy's policy types when the policy was
// read from the manager's cache, else from its managed fields. No slice of them is
// made on the way: every reconcile of an allowlist with hostnames reads them of each
// of its policies.
func addOwnedAddresses(set map[netip.Addr]bool, np *networkingv1.NetworkPolicy) error {
	if !isSlim(np) {
		view, err := extractOwnedView(np)
		for _, a := range view.addresses {
			set[a] = true
		}
		return err
	}
	if types := np.Spec.PolicyTypes; len(types) > 2 {
		for a := range strings.SplitSeq(string(types[2]), ",") {
			addr, err := netip.ParseAddr(a)
			if err != nil {
				return fmt.Errorf("reading the cached addresses of NetworkPolicy %s/%s: %w", np.Namespace, np.Name, err)
			}
			set[addr] = true
		}
	}
	return nil
}

// ownedDigest is the digest of the operator's fields of np (ownedView.digest), what
// the drift check compares: from the slim copy's policy types, else from the managed
// fields.
func ownedDigest(np *networkingv1.NetworkPolicy) (string, error) {
	if isSlim(np) {
		return string(np.Spec.PolicyTypes[1]), nil
	}
	view, err := extractOwnedView(np)
	return view.digest, err
}

// isSlim says whether np is a copy SlimPolicy made: no managed fields, and the
// marker, then the digest, in its policy types.
func isSlim(np *networkingv1.NetworkPolicy) bool {
	t := np.Spec.PolicyTypes
	return len(np.ManagedFields) == 0 && len(t) >= 2 && t[0] == slimMarker
}

// extractOwnedView reads the ownedView from the policy's managed fields.
func extractOwnedView(np *networkingv1.NetworkPolicy) (ownedView, error) {
	if view, ok, err := soleOwnerView(np); ok || err != nil {
		return view, err
	}
	owned, err := networkingv1ac.ExtractNetworkPolicy(np, v1alpha1.FieldOwner)
	if err != nil {
		return ownedView{}, fmt.Errorf("reading the operator's fields of NetworkPolicy %s/%s: %w", np.Namespace, np.Name, err)
	}
	digest, err := contentDigest(owned.Labels, owned.OwnerReferences, owned.Spec)
	if err != nil {
		return ownedView{}, fmt.Errorf("reading the operator's fields of NetworkPolicy %s/%s: %w", np.Namespace, np.Name, err)
	}
	return ownedView{digest: digest, addresses: singleAddresses(owned.Spec)}, nil
}

// soleOwnerView is the ownedView of a policy whose only field manager is the
// operator's apply, read from the stored fields themselves: what
// ExtractNetworkPolicy would return, without its conversions, which cost about 50 KB
// of garbage per policy and, at a restart with 13,000 policies, three quarters of
// everything the manager allocated while its cache filled (RSS 189 MiB against
// 140 MiB at a cold start). ok is false, and the caller extracts, unless the
// operator's fields are provably all there is: one managed fields entry, the
// operator's apply, naming every label, owner reference and top-level spec field
// the policy has. Inside those the lists are atomic, so extraction returns them
// whole, as stored, just as this does; the one field the API server sets when
// nobody applied it, policyTypes, must be named by the entry too.
func soleOwnerView(np *networkingv1.NetworkPolicy) (ownedView, bool, error) {
	if len(np.ManagedFields) != 1 {
		return ownedView{}, false, nil
	}
	entry := np.ManagedFields[0]
	if entry.Manager != v1alpha1.FieldOwner || entry.Operation != metav1.ManagedFieldsOperationApply ||
		entry.Subresource != "" || entry.APIVersion != networkingv1.SchemeGroupVersion.String() || entry.FieldsV1 == nil {
		return ownedView{}, false, nil
	}
	fields := entry.FieldsV1.Raw
	names := func(key string) bool { return bytes.Contains(fields, []byte(`"`+key+`"`)) }
	for key := range np.Labels {
		if !names("f:" + key) {
			return ownedView{}, false, nil
		}
	}
	for _, ref := range np.OwnerReferences {
		if !bytes.Contains(fields, []byte(`uid\":\"`+string(ref.UID)+`\"`)) {
			return ownedView{}, false, nil
		}
	}
	spec := np.Spec
	if !names("f:podSelector") || !names("f:policyTypes") ||
		(len(spec.Ingress) > 0 && !names("f:ingress")) || (len(spec.Egress) > 0 && !names("f:egress")) {
		return ownedView{}, false, nil
	}
	owned := specApplyConfiguration(&spec)
	owners := make([]metav1ac.OwnerReferenceApplyConfiguration, len(np.OwnerReferences))
	for i, ref := range np.OwnerReferences {
		owners[i] = metav1ac.OwnerReferenceApplyConfiguration{
			APIVersion: &ref.APIVersion, Kind: &ref.Kind, Name: &ref.Name, UID: &ref.UID,
			Controller: ref.Controller, BlockOwnerDeletion: ref.BlockOwnerDeletion,
		}
	}
	digest, err := contentDigest(np.Labels, owners, owned)
	if err != nil {
		return ownedView{}, false, fmt.Errorf("reading the operator's fields of NetworkPolicy %s/%s: %w", np.Namespace, np.Name, err)
	}
	return ownedView{digest: digest, addresses: singleAddresses(owned)}, true, nil
}

// specApplyConfiguration is a policy spec as an apply configuration: field for field,
// with empty lists and maps left out as their JSON form leaves them out. It runs for
// every policy of every reconcile and every policy the cache takes in; converting
// through JSON was 7% of the manager's CPU at a cold start (TestSpecApplyConfiguration
// holds the two equal on randomly filled specs, so a field added to the API shows).
func specApplyConfiguration(spec *networkingv1.NetworkPolicySpec) *networkingv1ac.NetworkPolicySpecApplyConfiguration {
	out := &networkingv1ac.NetworkPolicySpecApplyConfiguration{
		PodSelector: selectorApplyConfiguration(&spec.PodSelector),
		PolicyTypes: nonEmpty(spec.PolicyTypes),
	}
	if len(spec.Ingress) > 0 {
		out.Ingress = make([]networkingv1ac.NetworkPolicyIngressRuleApplyConfiguration, len(spec.Ingress))
		for i, rule := range spec.Ingress {
			out.Ingress[i] = networkingv1ac.NetworkPolicyIngressRuleApplyConfiguration{Ports: portsApplyConfiguration(rule.Ports), From: peersApplyConfiguration(rule.From)}
		}
	}
	if len(spec.Egress) > 0 {
		out.Egress = make([]networkingv1ac.NetworkPolicyEgressRuleApplyConfiguration, len(spec.Egress))
		for i, rule := range spec.Egress {
			out.Egress[i] = networkingv1ac.NetworkPolicyEgressRuleApplyConfiguration{Ports: portsApplyConfiguration(rule.Ports), To: peersApplyConfiguration(rule.To)}
		}
	}
	return out
}

func portsApplyConfiguration(ports []networkingv1.NetworkPolicyPort) []networkingv1ac.NetworkPolicyPortApplyConfiguration {
	if len(ports) == 0 {
		return nil
	}
	out := make([]networkingv1ac.NetworkPolicyPortApplyConfiguration, len(ports))
	for i, p := range ports {
		out[i] = networkingv1ac.NetworkPolicyPortApplyConfiguration{Protocol: copyOf(p.Protocol), Port: copyOf(p.Port), EndPort: copyOf(p.EndPort)}
	}
	return out
}

func peersApplyConfiguration(peers []networkingv1.NetworkPolicyPeer) []networkingv1ac.NetworkPolicyPeerApplyConfiguration {
	if len(peers) == 0 {
		return nil
	}
	out := make([]networkingv1ac.NetworkPolicyPeerApplyConfiguration, len(peers))
	for i, p := range peers {
		out[i] = networkingv1ac.NetworkPolicyPeerApplyConfiguration{PodSelector: selectorApplyConfiguration(p.PodSelector), NamespaceSelector: selectorApplyConfiguration(p.NamespaceSelector)}
		if p.IPBlock != nil {
			out[i].IPBlock = &networkingv1ac.IPBlockApplyConfiguration{CIDR: copyOf(&p.IPBlock.CIDR), Except: nonEmpty(p.IPBlock.Except)}
		}
	}
	return out
}

func selectorApplyConfiguration(s *metav1.LabelSelector) *metav1ac.LabelSelectorApplyConfiguration {
	if s == nil {
		return nil
	}
	out := &metav1ac.LabelSelectorApplyConfiguration{}
	if len(s.MatchLabels) > 0 {
		out.MatchLabels = maps.Clone(s.MatchLabels)
	}
	if len(s.MatchExpressions) > 0 {
		out.MatchExpressions = make([]metav1ac.LabelSelectorRequirementApplyConfiguration, len(s.MatchExpressions))
		for i, r := range s.MatchExpressions {
			out.MatchExpressions[i] = metav1ac.LabelSelectorRequirementApplyConfiguration{Key: copyOf(&r.Key), Operator: copyOf(&r.Operator), Values: nonEmpty(r.Values)}
		}
	}
	return out
}

// copyOf is a pointer to a copy of *p, or nil.
func copyOf[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// nonEmpty is a copy of s, or nil when s is empty.
func nonEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

// contentDigest is the digest of what the operator applies to a policy, in the form
// both sides of the comparison share: the apply configuration, encoded as JSON,
// whose fields are all omitted when empty (so nil and empty compare equal, as
// equality.Semantic has them) and whose maps are encoded in key order.
func contentDigest(labels map[string]string, owners []metav1ac.OwnerReferenceApplyConfiguration, spec *networkingv1ac.NetworkPolicySpecApplyConfiguration) (string, error) {
	// Encoded straight into the hash: every reconcile digests each of its
	// policies, and the encoding is never needed whole. Both sides of a comparison
	// come from here, so the digest is the manager's own and never stored.
	h := sha256.New()
	if err := json.NewEncoder(h).Encode(struct {
		Labels          map[string]string                                   `json:"labels,omitempty"`
		OwnerReferences []metav1ac.OwnerReferenceApplyConfiguration         `json:"ownerReferences,omitempty"`
		Spec            *networkingv1ac.NetworkPolicySpecApplyConfiguration `json:"spec,omitempty"`
	}{labels, owners, spec}); err != nil {
		return "", err
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16]), nil
}

// desiredDigest is the contentDigest of an apply request.
func desiredDigest(ac *networkingv1ac.NetworkPolicyApplyConfiguration) (string, error) {
	return contentDigest(ac.Labels, ac.OwnerReferences, ac.Spec)
}

// singleAddresses are the single addresses among a spec's ipBlocks, sorted.
func singleAddresses(spec *networkingv1ac.NetworkPolicySpecApplyConfiguration) []netip.Addr {
	if spec == nil {
		return nil
	}
	var blocks []*networkingv1ac.IPBlockApplyConfiguration
	for _, rule := range spec.Ingress {
		for _, peer := range rule.From {
			blocks = append(blocks, peer.IPBlock)
		}
	}
	for _, rule := range spec.Egress {
		for _, peer := range rule.To {
			blocks = append(blocks, peer.IPBlock)
		}
	}
	var out []netip.Addr
	for _, b := range blocks {
		if b == nil || b.CIDR == nil {
			continue
		}
		if p, err := netip.ParsePrefix(*b.CIDR); err == nil && p.IsSingleIP() {
			out = append(out, p.Addr())
		}
	}
	slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	return slices.Compact(out)
}
