/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"encoding/json"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"k8s.io/client-go/util/retry"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	. "github.com/onsi/gomega"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	networkingv1ac "k8s.io/client-go/applyconfigurations/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/randfill"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// ownedPolicyFields is what the API server records for the operator's apply of a
// policy with the label app, the single address 198.51.100.7 and the network
// 203.0.113.0/24, both from one rule.
const ownedPolicyFields = `{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:egress":{},"f:podSelector":{},"f:policyTypes":{}}}`

func managedPolicy(rv, app string, fieldsV1 string) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{
			Name: "p", Namespace: "ns", UID: "u1", ResourceVersion: rv,
			Labels:      map[string]string{"app": app, v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue},
			Annotations: map[string]string{"note": "kept"},
			ManagedFields: []metav1.ManagedFieldsEntry{{
				Manager: v1alpha1.FieldOwner, Operation: metav1.ManagedFieldsOperationApply, APIVersion: "networking.k8s.io/v1", FieldsType: "FieldsV1",
				FieldsV1: &metav1.FieldsV1{Raw: []byte(fieldsV1)},
			}},
		},
		Spec: networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{
				{IPBlock: &networkingv1.IPBlock{CIDR: "198.51.100.7/32"}},
				{IPBlock: &networkingv1.IPBlock{CIDR: "203.0.113.0/24"}},
			}}},
		},
	}
}

// ownedFields is the ownedView the reconciler reads of a policy, through the two
// readers it uses (ownedDigest for the drift check, addOwnedAddresses for the
// seeding of rendered addresses), its addresses sorted.
func ownedFields(np *networkingv1.NetworkPolicy) (ownedView, error) {
	digest, err := ownedDigest(np)
	if err != nil {
		return ownedView{}, err
	}
	set := map[netip.Addr]bool{}
	if err := addOwnedAddresses(set, np); err != nil {
		return ownedView{}, err
	}
	return ownedView{digest: digest, addresses: slices.SortedFunc(maps.Keys(set), netip.Addr.Compare)}, nil
}

// The cache keeps a managed policy's metadata and what the reconciler compares:
// the same view as the full policy gives, with no spec or managed fields left.
func TestSlimPolicyKeepsWhatTheReconcilerReads(t *testing.T) {
	full := managedPolicy("1", "a", ownedPolicyFields)
	want, err := ownedFields(full)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(want.addresses, []netip.Addr{netip.MustParseAddr("198.51.100.7")}) {
		t.Errorf("single addresses %v, want only 198.51.100.7 (a network is not a rendered address)", want.addresses)
	}
	out, err := SlimPolicy(full.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	slim := out.(*networkingv1.NetworkPolicy)
	if len(slim.Spec.Egress) > 0 || slim.Spec.PodSelector.MatchLabels != nil || slim.ManagedFields != nil {
		t.Errorf("the cached policy keeps its spec or managed fields: %+v", slim)
	}
	if slim.Labels["app"] != "a" || slim.Annotations["note"] != "kept" || slim.UID != "u1" || slim.ResourceVersion != "1" {
		t.Errorf("the cached policy lost metadata: %+v", slim.ObjectMeta)
	}
	got, err := ownedFields(slim)
	if err != nil {
		t.Fatal(err)
	}
	if got.digest != want.digest || !slices.Equal(got.addresses, want.addresses) {
		t.Errorf("the cached view %+v differs from the full policy's %+v", got, want)
	}
	if !slices.Equal(full.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}) {
		t.Errorf("the transform wrote into the object it was given: policy types %v", full.Spec.PolicyTypes)
	}
	// A streaming list transforms what it lists twice: the second pass must keep
	// the view the first one made (it once read the slim copy's empty managed fields,
	// and every policy looked edited after a restart).
	again, err := SlimPolicy(slim.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	if twice, _ := ownedFields(again.(*networkingv1.NetworkPolicy)); twice.digest != want.digest || !slices.Equal(twice.addresses, want.addresses) {
		t.Errorf("transformed twice, the cached view is %+v, want %+v", twice, want)
	}
}

// A field the operator no longer owns (someone else's edit took it) changes the
// digest, so the reconciler sees the edit and puts the field back.
func TestOwnedDigestSeesAnEdit(t *testing.T) {
	before, err := ownedFields(managedPolicy("1", "a", ownedPolicyFields))
	if err != nil {
		t.Fatal(err)
	}
	relabelled, err := ownedFields(managedPolicy("2", "b", ownedPolicyFields))
	if err != nil {
		t.Fatal(err)
	}
	lostEgress, err := ownedFields(managedPolicy("2", "a", `{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:podSelector":{},"f:policyTypes":{}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if relabelled.digest == before.digest || lostEgress.digest == before.digest {
		t.Errorf("digests %s (before), %s (label changed), %s (egress taken by another manager): an edit went unseen", before.digest, relabelled.digest, lostEgress.digest)
	}
}

// Annotations are anyone's who may edit the policy: ones named like the old cache
// keys mean nothing, and the cached copy keeps them as they are.
func TestAnnotationsDoNotReachTheView(t *testing.T) {
	full := managedPolicy("1", "a", ownedPolicyFields)
	want, err := ownedFields(full)
	if err != nil {
		t.Fatal(err)
	}
	planted := full.DeepCopy()
	planted.Annotations["cache.vendorallowlist.io/owned-digest"] = "0123456789abcdef0123456789abcdef"
	planted.Annotations["cache.vendorallowlist.io/owned-addresses"] = "203.0.113.66"
	planted.ManagedFields = nil // a stored policy with its managed fields cleared
	if isSlim(planted) {
		t.Fatal("a stored policy is taken for the cache's slim copy")
	}
	out, err := SlimPolicy(full)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ownedFields(out.(*networkingv1.NetworkPolicy))
	if err != nil || got.digest != want.digest || !slices.Equal(got.addresses, want.addresses) {
		t.Errorf("the cached view is %+v (%v), want %+v", got, err, want)
	}
}

// The view the cache reads without extraction is the extraction's, on the policies
// the operator writes to a real API server (defaulted, with its managed fields as
// the server records them); once someone else sets a field, the policy goes back to
// extraction.
func TestSoleOwnerViewIsTheExtractedView(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	al := workatoAllowlist(ns, "sole")
	Expect(k8s.Create(ctx, al)).To(Succeed())
	waitReady(t, ctx, client.ObjectKeyFromObject(al))
	var list networkingv1.NetworkPolicyList
	Expect(k8s.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
	Expect(list.Items).NotTo(BeEmpty())
	for i := range list.Items {
		np := &list.Items[i]
		fast, ok, err := soleOwnerView(np)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue(), "policy %s, managed fields %+v: the operator's own policy was not read directly", np.Name, np.ManagedFields)
		owned, err := networkingv1ac.ExtractNetworkPolicy(np, v1alpha1.FieldOwner)
		Expect(err).NotTo(HaveOccurred())
		slow, err := contentDigest(owned.Labels, owned.OwnerReferences, owned.Spec)
		Expect(err).NotTo(HaveOccurred())
		Expect(fast.digest).To(Equal(slow), "policy %s", np.Name)
		Expect(fast.addresses).To(Equal(singleAddresses(owned.Spec)), "policy %s", np.Name)
	}

	// Another manager's label: the stored policy is no longer all the operator's.
	np := list.Items[0].DeepCopy()
	np.Labels["team"] = "payments"
	np.ManagedFields = nil
	Expect(k8s.Update(ctx, np, client.FieldOwner("kubectl-edit"))).To(Succeed())
	Expect(k8s.Get(ctx, client.ObjectKeyFromObject(np), np)).To(Succeed())
	_, ok, err := soleOwnerView(np)
	Expect(err).NotTo(HaveOccurred())
	Expect(ok).To(BeFalse(), "a policy another manager edited was read as the operator's alone")
	view, err := extractOwnedView(np)
	Expect(err).NotTo(HaveOccurred())
	before, _, _ := soleOwnerView(&list.Items[0])
	Expect(view.digest).To(Equal(before.digest), "a label the operator does not own changed its view")

	// Fields the operator's entry does not name, with that entry alone (managed
	// fields rewritten, or a policy type the API server defaulted): not read directly.
	stored := list.Items[0]
	unnamedLabel := stored.DeepCopy()
	unnamedLabel.Labels["team"] = "payments"
	defaultedTypes := stored.DeepCopy()
	defaultedTypes.ManagedFields[0].FieldsV1 = &metav1.FieldsV1{Raw: []byte(strings.Replace(string(stored.ManagedFields[0].FieldsV1.Raw), `,"f:policyTypes":{}`, "", 1))}
	Expect(string(defaultedTypes.ManagedFields[0].FieldsV1.Raw)).NotTo(ContainSubstring("policyTypes"))
	for name, np := range map[string]*networkingv1.NetworkPolicy{"an unnamed label": unnamedLabel, "defaulted policy types": defaultedTypes} {
		_, ok, err := soleOwnerView(np)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse(), "a policy with %s was read directly", name)
	}
	view, err = extractOwnedView(unnamedLabel)
	Expect(err).NotTo(HaveOccurred())
	Expect(view.digest).To(Equal(before.digest), "a label the operator does not own changed its view")

	// Whoever may edit a policy cannot make the cache take it for its slim copy: the
	// API server refuses the marker in its policy types.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var forged networkingv1.NetworkPolicy
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(&stored), &forged); err != nil {
			return err
		}
		forged.Spec.PolicyTypes = []networkingv1.PolicyType{slimMarker, "0123456789abcdef"}
		return k8s.Update(ctx, &forged, client.FieldOwner("kubectl-edit"))
	})
	Expect(apierrors.IsInvalid(err)).To(BeTrue(), "the API server stored a policy marked as the cache's copy: %v", err)
}

// The direct conversion of a spec reads as the JSON round trip through the apply
// configuration (the form the digest and the apply request take) on randomly filled
// specs: a field the API gains and the conversion misses fails here.
func TestSpecApplyConfiguration(t *testing.T) {
	filler := randfill.NewWithSeed(25).NilChance(0.3).NumElements(0, 3).Funcs(
		func(v *intstr.IntOrString, c randfill.Continue) {
			if c.Bool() {
				*v = intstr.FromInt32(c.Int31())
			} else {
				*v = intstr.FromString(c.String(8))
			}
		})
	for i := range 2000 {
		var spec networkingv1.NetworkPolicySpec
		filler.Fill(&spec)
		raw, err := json.Marshal(spec)
		if err != nil {
			t.Fatal(err)
		}
		var viaJSON networkingv1ac.NetworkPolicySpecApplyConfiguration
		if err := json.Unmarshal(raw, &viaJSON); err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(viaJSON)
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(specApplyConfiguration(&spec))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("spec %d:\n got %s\nwant %s", i, got, want)
		}
	}
}
