/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fqdn

import (
	"context"
	"fmt"
	"slices"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

var gateways = []string{"sg.workato.com", "sg1.workato.com", "sg2.workato.com"}

// With --egress-backend=cilium, the sample's gateways go by name into a
// CiliumNetworkPolicy the allowlist owns, which follows the allowlist: a custom
// hostname added and removed, the policy deleted by someone and put back, and the
// names falling back to addresses (allowDNS: false, which Cilium's DNS proxy cannot
// work with) deleting it, after the NetworkPolicy has taken the addresses back.
func TestCiliumPolicyFollowsTheAllowlist(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "fqdn-cilium")
	startManager(t, env.Config, startDNS(t), render.BackendCilium, ns)
	key := create(t, sample(t, ns))
	a := waitReady(t, k8s, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled)

	st, ok := egressRule(a, "workato/opa-gateways")
	g.Expect(ok).To(BeTrue(), "status.egress: %+v", a.Status.Egress)
	g.Expect(st.Backend).To(Equal("cilium"))
	g.Expect(st.Names).To(BeEquivalentTo(3))
	g.Expect(readyMessage(a)).To(ContainSubstring("cilium enforces the hostnames of workato/opa-gateways by name"))

	cnpKey := types.NamespacedName{Namespace: ns, Name: render.CiliumPolicyName(key.Name)}
	var cnp *unstructured.Unstructured
	g.Eventually(func(g Gomega) {
		cnp = getObject(g, k8s, render.CiliumNetworkPolicyKind, cnpKey)
		g.Expect(cnp).NotTo(BeNil())
		g.Expect(ciliumNames(cnp)).To(ConsistOf(gateways))
	}, timeout, poll).Should(Succeed())
	controlledBy(g, cnp, a)
	g.Expect(cnp.GetLabels()).To(HaveKeyWithValue(v1alpha1.ManagedByLabel, v1alpha1.ManagedByValue))
	g.Expect(cnp.GetLabels()).To(HaveKeyWithValue(v1alpha1.AllowlistLabel, key.Name))
	// The gateways' DNS answers are the dataplane's business now, not the policy's.
	g.Expect(testenv.PolicyCIDRs(egressPolicy(g, k8s, key))).NotTo(ContainElement(gatewayAnswers["sg1.workato.com"] + "/32"))

	t.Log("a custom egress hostname added goes into the policy")
	update(t, key, withPartner)
	waitReady(t, k8s, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	g.Eventually(func(g Gomega) {
		g.Expect(ciliumNames(getObject(g, k8s, render.CiliumNetworkPolicyKind, cnpKey))).To(ContainElement(partnerHost))
	}, timeout, poll).Should(Succeed())

	t.Log("and out again when removed")
	update(t, key, func(a *v1alpha1.VendorAllowlist) { a.Spec.Custom = nil })
	g.Eventually(func(g Gomega) {
		g.Expect(ciliumNames(getObject(g, k8s, render.CiliumNetworkPolicyKind, cnpKey))).To(ConsistOf(gateways))
	}, timeout, poll).Should(Succeed())

	t.Log("deleted by someone, it is put back")
	g.Expect(k8s.Delete(context.Background(), cnp)).To(Succeed())
	g.Eventually(func(g Gomega) {
		back := getObject(g, k8s, render.CiliumNetworkPolicyKind, cnpKey)
		g.Expect(back).NotTo(BeNil())
		g.Expect(back.GetUID()).NotTo(Equal(cnp.GetUID()))
	}, timeout, poll).Should(Succeed())

	t.Log("allowDNS: false: Cilium cannot see the answers, the names fall back to addresses and the policy goes")
	update(t, key, func(a *v1alpha1.VendorAllowlist) { a.Spec.AllowDNS = ptr.To(false) })
	a = waitReady(t, k8s, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	st, _ = egressRule(a, "workato/opa-gateways")
	g.Expect(st.Backend).To(Equal("networkpolicy"))
	g.Expect(st.Message).To(ContainSubstring("allowDNS"))
	g.Eventually(func(g Gomega) {
		g.Expect(getObject(g, k8s, render.CiliumNetworkPolicyKind, cnpKey)).To(BeNil())
	}, timeout, poll).Should(Succeed())
	g.Expect(testenv.PolicyCIDRs(egressPolicy(g, k8s, key))).To(ContainElement(gatewayAnswers["sg1.workato.com"] + "/32"))
}

// A CiliumNetworkPolicy of the name the allowlist renders that someone else wrote is
// left as it is, Ready says so, and the NetworkPolicies in place stay as they are;
// handed over with the AdoptAnnotation, the allowlist takes it.
func TestCiliumPolicyOfSomeoneElse(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "fqdn-cilium-conflict")
	theirs := object(render.CiliumNetworkPolicyKind, types.NamespacedName{Namespace: ns, Name: render.CiliumPolicyName("workato-opa")})
	theirs.Object["spec"] = map[string]any{
		"endpointSelector": map[string]any{},
		"egress":           []any{map[string]any{"toCIDR": []any{"203.0.113.0/24"}}},
	}
	g.Expect(k8s.Create(context.Background(), theirs)).To(Succeed())

	startManager(t, env.Config, startDNS(t), render.BackendCilium, ns)
	key := create(t, sample(t, ns))
	a := waitReady(t, k8s, key, metav1.ConditionFalse, v1alpha1.ReasonPolicyConflict)
	g.Expect(readyMessage(a)).To(ContainSubstring(theirs.GetName()))
	g.Expect(readyMessage(a)).To(ContainSubstring("stay as they are"))
	g.Consistently(func(g Gomega) {
		now := getObject(g, k8s, render.CiliumNetworkPolicyKind, keyOf(theirs))
		g.Expect(now.GetResourceVersion()).To(Equal(theirs.GetResourceVersion()), "the operator wrote someone else's policy")
		g.Expect(egressPolicy(g, k8s, key)).To(BeNil(), "the NetworkPolicy dropped the names before their policy was the allowlist's")
	}, "2s", poll).Should(Succeed())

	t.Log("handed over, it is adopted")
	g.Eventually(func() error {
		cur := getObject(g, k8s, render.CiliumNetworkPolicyKind, keyOf(theirs))
		cur.SetLabels(map[string]string{v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue, v1alpha1.AllowlistLabel: key.Name})
		cur.SetAnnotations(map[string]string{v1alpha1.AdoptAnnotation: key.Name})
		return k8s.Update(context.Background(), cur)
	}, timeout, poll).Should(Succeed())
	a = waitReady(t, k8s, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	g.Eventually(func(g Gomega) {
		cnp := getObject(g, k8s, render.CiliumNetworkPolicyKind, keyOf(theirs))
		controlledBy(g, cnp, a)
		g.Expect(ciliumNames(cnp)).To(ConsistOf(gateways))
		g.Expect(fmt.Sprint(cnp.Object["spec"])).NotTo(ContainSubstring("203.0.113.0/24"), "the writer's own rule stayed beside the allowlist's")
	}, timeout, poll).Should(Succeed())
}

func keyOf(o *unstructured.Unstructured) types.NamespacedName {
	return types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetName()}
}

// With --egress-backend=gke, the gateways go by name into an FQDNNetworkPolicy the
// allowlist owns, with the rule's port, and follow it.
func TestGKEPolicyFollowsTheAllowlist(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "fqdn-gke")
	startManager(t, env.Config, startDNS(t), render.BackendGKE, ns)
	a := sample(t, ns)
	withPartner(a)
	key := create(t, a)
	a = waitReady(t, k8s, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	st, _ := egressRule(a, "custom/partner")
	g.Expect(st.Backend).To(Equal("gke"))

	fqdnKey := types.NamespacedName{Namespace: ns, Name: render.TargetObjectName(key.Name, "egress-fqdn")}
	g.Eventually(func(g Gomega) {
		p := getObject(g, k8s, render.FQDNNetworkPolicyKind, fqdnKey)
		g.Expect(p).NotTo(BeNil())
		controlledBy(g, p, a)
		g.Expect(gkeNames(p)).To(ConsistOf(append(slices.Clone(gateways), partnerHost)))
	}, timeout, poll).Should(Succeed())

	update(t, key, func(a *v1alpha1.VendorAllowlist) { a.Spec.Custom = nil })
	g.Eventually(func(g Gomega) {
		g.Expect(gkeNames(getObject(g, k8s, render.FQDNNetworkPolicyKind, fqdnKey))).To(ConsistOf(gateways))
	}, timeout, poll).Should(Succeed())
}

func gkeNames(u *unstructured.Unstructured) []string {
	var out []string
	rules, _, _ := unstructured.NestedSlice(u.Object, "spec", "egress")
	for _, r := range rules {
		matches, _, _ := unstructured.NestedSlice(r.(map[string]any), "matches")
		for _, m := range matches {
			for _, k := range []string{"name", "pattern"} {
				if n, ok := m.(map[string]any)[k].(string); ok {
					out = append(out, n)
				}
			}
		}
	}
	return out
}

func readyMessage(a *v1alpha1.VendorAllowlist) string {
	for _, c := range a.Status.Conditions {
		if c.Type == v1alpha1.ConditionReady {
			return c.Message
		}
	}
	return ""
}
