/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// OVN-Kubernetes' EgressFirewall is one object per namespace, named default, for
// every pod of it: no tenant may cause it. The operator writes it only where the
// cluster admin consented on the Namespace (NamespaceEgressBackendsAnnotation), and
// merges into it the name rules of every allowlist of the namespace. Which allowlist
// gave which rules is kept on the object itself (partsAnnotation), so that an
// allowlist's reconcile rewrites its own part and never drops another's, even one
// not reconciled since the manager started. Each contributing allowlist is a
// non-controller owner: the garbage collector removes the object with the last.

// partsAnnotation on the operator's EgressFirewall records each allowlist's part.
const partsAnnotation = "networking.vendorallowlist.io/egressfirewall-parts"

// firewallPart is one allowlist's rules in the namespace's EgressFirewall.
type firewallPart struct {
	UID    types.UID `json:"uid"`
	Egress []any     `json:"egress"`
}

// firewallParts are the parts of the allowlists of one namespace, by name.
type firewallParts map[string]firewallPart

// withPart is parts with the allowlist's part set (nil rules: removed), less the
// parts of allowlists that no longer exist (exists says, from the cache of
// allowlists, which the manager syncs before it reconciles). An allowlist not yet
// reconciled since start keeps its part: it exists.
func (p firewallParts) withPart(name string, uid types.UID, egress []any, exists func(name string, uid types.UID) bool) firewallParts {
	out := firewallParts{}
	for n, part := range p {
		if n != name && exists(n, part.UID) {
			out[n] = part
		}
	}
	if len(egress) > 0 {
		out[name] = firewallPart{UID: uid, Egress: egress}
	}
	return out
}

// firewall is the namespace's EgressFirewall of these parts, with an owner
// reference to each part's allowlist.
func (p firewallParts) firewall(namespace string) (*unstructured.Unstructured, error) {
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range p {
			if !yield(n) {
				return
			}
		}
	})
	var objs []*unstructured.Unstructured
	var owners []metav1.OwnerReference
	for _, n := range names {
		u := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"egress": p[n].Egress}}}
		u.SetNamespace(namespace)
		u.SetLabels(map[string]string{v1alpha1.AllowlistLabel: n})
		objs = append(objs, u)
		owners = append(owners, metav1.OwnerReference{APIVersion: allowlistKind.GroupVersion().String(), Kind: allowlistKind.Kind, Name: n, UID: p[n].UID})
	}
	fw := render.MergeEgressFirewalls(objs)
	fw.SetNamespace(namespace)
	fw.SetOwnerReferences(owners)
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encoding the EgressFirewall's parts: %w", err)
	}
	sum := sha256.Sum256(append(raw, fmt.Sprint(fw.Object["spec"])...))
	fw.SetAnnotations(map[string]string{partsAnnotation: string(raw), renderedHashAnnotation: hex.EncodeToString(sum[:16])})
	return fw, nil
}

// readParts reads the namespace's EgressFirewall: its parts, and the object (nil
// when there is none). conflictMsg is set when an EgressFirewall is there that the
// operator did not write.
func (r *VendorAllowlistReconciler) readParts(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, reader client.Reader) (firewallParts, *unstructured.Unstructured, string, error) {
	key := client.ObjectKey{Namespace: allowlist.Namespace, Name: render.EgressFirewallName}
	existing := egressObject(EgressKind{GVK: render.EgressFirewallKind})
	err := reader.Get(ctx, key, existing)
	if apierrors.IsNotFound(err) {
		// Someone else's, which the cache of labelled ones leaves out, or the
		// operator's own, written a moment ago and not in the cache yet.
		if err = r.APIReader.Get(ctx, key, existing); apierrors.IsNotFound(err) {
			return firewallParts{}, nil, "", nil
		}
	}
	if err != nil {
		return nil, nil, "", fmt.Errorf("reading EgressFirewall %s: %w", objectRef(key), err)
	}
	raw, ours := existing.GetAnnotations()[partsAnnotation]
	if !ours {
		return nil, nil, fmt.Sprintf("EgressFirewall %s exists in namespace %s and was not written by the operator, so it is left as it is: OVN-Kubernetes takes one per namespace, so the operator cannot write the allowlists' names beside it. Remove it (its rules into an allowlist, or a Vendor), or run another --egress-backend", render.EgressFirewallName, allowlist.Namespace), nil
	}
	parts := firewallParts{}
	if err := json.Unmarshal([]byte(raw), &parts); err != nil {
		return nil, nil, "", fmt.Errorf("reading the parts of EgressFirewall %s: %w", objectRef(key), err)
	}
	return parts, existing, "", nil
}

// writeFirewallPart sets the allowlist's part of its namespace's EgressFirewall
// (part nil: takes it out) and writes the object, or deletes it when no part is
// left.
func (r *VendorAllowlistReconciler) writeFirewallPart(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, part *unstructured.Unstructured, reader client.Reader) (did, conflictMsg string, err error) {
	parts, existing, conflictMsg, err := r.readParts(ctx, allowlist, reader)
	if err != nil || conflictMsg != "" {
		return "", conflictMsg, err
	}
	next := parts.withPart(allowlist.Name, allowlist.UID, partEgress(part), r.allowlistExists(ctx, allowlist.Namespace))
	if len(next) == 0 {
		return r.deleteFirewall(ctx, existing)
	}
	desired, err := next.firewall(allowlist.Namespace)
	if err != nil || upToDateFirewall(existing, desired) {
		return "", "", err
	}
	// Created and replaced whole, over the version read, never applied: the object
	// is the record itself, so two allowlists of the namespace writing at once must
	// not both succeed (the second's write, on a version the first changed, fails,
	// and its retry merges), and an owner or rule left out must go.
	if existing == nil {
		err = r.Create(ctx, desired, client.FieldOwner(v1alpha1.FieldOwner))
	} else {
		desired.SetResourceVersion(existing.GetResourceVersion())
		err = r.Update(ctx, desired, client.FieldOwner(v1alpha1.FieldOwner))
	}
	if err != nil {
		return "", "", fmt.Errorf("applying EgressFirewall %s/%s: %w", allowlist.Namespace, render.EgressFirewallName, err)
	}
	logf.FromContext(ctx).Info("Applied the namespace's EgressFirewall", "parts", len(next))
	return "wrote the allowlist's part of EgressFirewall " + render.EgressFirewallName, "", nil
}

// allowlistExists says, from the cache, whether the allowlist name of namespace
// with uid exists; an error reading it keeps its part.
func (r *VendorAllowlistReconciler) allowlistExists(ctx context.Context, namespace string) func(string, types.UID) bool {
	return func(name string, uid types.UID) bool {
		var a v1alpha1.VendorAllowlist
		err := r.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &a)
		return !apierrors.IsNotFound(err) && (err != nil || a.UID == uid)
	}
}

// releaseFirewallPart takes the part of a deleted allowlist, or of one that no
// longer writes the EgressFirewall, out of its namespace's.
func (r *VendorAllowlistReconciler) releaseFirewallPart(ctx context.Context, key types.NamespacedName, reader client.Reader) (string, error) {
	gone := &v1alpha1.VendorAllowlist{}
	gone.Namespace, gone.Name = key.Namespace, key.Name
	did, conflictMsg, err := r.writeFirewallPart(ctx, gone, nil, reader)
	if conflictMsg != "" || apierrors.IsForbidden(err) {
		return "", nil // not the operator's, or not its to read
	}
	return did, err
}

// ovnConsent says whether the cluster admin consented to the EgressFirewall in the
// allowlist's namespace; when not, the message status.egress gives.
func (r *VendorAllowlistReconciler) ovnConsent(ctx context.Context, namespace string) (bool, string, error) {
	ns := partialMetadata(corev1.SchemeGroupVersion.WithKind("Namespace"), client.ObjectKey{Name: namespace})
	err := r.APIReader.Get(ctx, client.ObjectKey{Name: namespace}, ns)
	if err != nil && !apierrors.IsForbidden(err) {
		return false, "", fmt.Errorf("reading Namespace %s for the admin's consent to an EgressFirewall: %w", namespace, err)
	}
	value := ns.GetAnnotations()[v1alpha1.NamespaceEgressBackendsAnnotation]
	for _, f := range strings.Split(value, ",") {
		if strings.TrimSpace(f) == v1alpha1.EgressFirewallConsent {
			return true, "", nil
		}
	}
	return false, fmt.Sprintf("Enforced by the resolved addresses, not by name: OVN-Kubernetes' EgressFirewall applies to every pod of the namespace, so the operator writes it only where the cluster admin consents: kubectl annotate namespace %s %s=%s",
		namespace, v1alpha1.NamespaceEgressBackendsAnnotation, appendValue(value, v1alpha1.EgressFirewallConsent)), nil
}

// renderOptions are the render options for the allowlist: the manager's, with OVN
// only where the admin consented (consentMsg says why not, for status.egress).
func (r *VendorAllowlistReconciler) renderOptions(ctx context.Context, allowlist *v1alpha1.VendorAllowlist) (opts render.Options, consentMsg string, err error) {
	opts = r.Render
	if opts.EgressBackend != render.BackendOVN {
		return opts, "", nil
	}
	ok, msg, err := r.ovnConsent(ctx, allowlist.Namespace)
	if err != nil || ok {
		return opts, "", err
	}
	opts.EgressBackend = render.BackendNetworkPolicy
	return opts, msg, nil
}

// withoutConsent says in status.egress why the rules stay on addresses, when msg
// says the admin has not consented.
func withoutConsent(rules []v1alpha1.EgressRuleStatus, msg string) []v1alpha1.EgressRuleStatus {
	if msg == "" {
		return rules
	}
	out := slices.Clone(rules)
	for i := range out {
		out[i].Message = truncate(msg, 1024)
	}
	return out
}

func partEgress(part *unstructured.Unstructured) []any {
	if part == nil {
		return nil
	}
	egress, _, _ := unstructured.NestedSlice(part.Object, "spec", "egress")
	return egress
}

// upToDateFirewall: the object holds what would be written (and nobody edited it).
func upToDateFirewall(existing, desired *unstructured.Unstructured) bool {
	return existing != nil && existing.GetAnnotations()[renderedHashAnnotation] == desired.GetAnnotations()[renderedHashAnnotation] &&
		contains(existing.Object["spec"], desired.Object["spec"])
}

// deleteFirewall deletes the namespace's EgressFirewall, which no allowlist has a
// part of any more (nil: there is none).
func (r *VendorAllowlistReconciler) deleteFirewall(ctx context.Context, existing *unstructured.Unstructured) (string, string, error) {
	if existing == nil {
		return "", "", nil
	}
	// Only the version read: one another allowlist added its part to since is kept.
	uid, rv := existing.GetUID(), existing.GetResourceVersion()
	if err := r.Delete(ctx, existing, client.Preconditions{UID: &uid, ResourceVersion: &rv}); client.IgnoreNotFound(err) != nil {
		return "", "", fmt.Errorf("deleting EgressFirewall %s/%s, which no allowlist has rules in: %w", existing.GetNamespace(), existing.GetName(), err)
	}
	return "deleted EgressFirewall " + existing.GetName(), "", nil
}
