/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fqdn

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// With --egress-backend=clusternetworkpolicy, the gateways go by name into a
// cluster-scoped ClusterNetworkPolicy, which cannot carry an owner reference to the
// allowlist: the operator's labels name it, it follows the allowlist, and it is
// deleted with it, by the operator, whether the manager runs then or starts later.
func TestClusterNetworkPolicyFollowsTheAllowlist(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "fqdn-cnp")
	srv := startDNS(t)
	mgr := startManager(t, env.Config, srv, render.BackendClusterNetworkPolicy)
	key := create(t, sample(t, ns))
	a := waitReady(t, k8s, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	st, _ := egressRule(a, "workato/opa-gateways")
	g.Expect(st.Backend).To(Equal("clusternetworkpolicy"))

	cnpKey := types.NamespacedName{Name: render.ClusterNetworkPolicyName(ns, key.Name)}
	var cnp *unstructured.Unstructured
	g.Eventually(func(g Gomega) {
		cnp = getObject(g, k8s, render.ClusterNetworkPolicyKind, cnpKey)
		g.Expect(cnp).NotTo(BeNil())
		g.Expect(domainNames(cnp)).To(ConsistOf(gateways))
	}, timeout, poll).Should(Succeed())
	g.Expect(cnp.GetOwnerReferences()).To(BeEmpty())
	g.Expect(cnp.GetLabels()).To(Equal(map[string]string{
		v1alpha1.ManagedByLabel:          v1alpha1.ManagedByValue,
		v1alpha1.AllowlistLabel:          key.Name,
		v1alpha1.AllowlistNamespaceLabel: ns,
		v1alpha1.AllowlistUIDLabel:       string(a.UID),
	}))
	expectPinned(g, cnp, ns, a.Spec.PodSelector)

	t.Log("a custom hostname added and removed")
	update(t, key, withPartner)
	g.Eventually(func(g Gomega) {
		g.Expect(domainNames(getObject(g, k8s, render.ClusterNetworkPolicyKind, cnpKey))).To(ContainElement(partnerHost))
	}, timeout, poll).Should(Succeed())
	update(t, key, func(a *v1alpha1.VendorAllowlist) { a.Spec.Custom = nil })
	g.Eventually(func(g Gomega) {
		g.Expect(domainNames(getObject(g, k8s, render.ClusterNetworkPolicyKind, cnpKey))).To(ConsistOf(gateways))
	}, timeout, poll).Should(Succeed())

	t.Log("the allowlist deleted: its ClusterNetworkPolicy goes")
	g.Expect(k8s.Delete(context.Background(), a)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(getObject(g, k8s, render.ClusterNetworkPolicyKind, cnpKey)).To(BeNil())
	}, timeout, poll).Should(Succeed())

	t.Log("deleted while no manager runs: the next one deletes it at start")
	second := sample(t, ns)
	second.Name = "workato-opa-2"
	key2 := create(t, second)
	second = waitReady(t, k8s, key2, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	key2CNP := types.NamespacedName{Name: render.ClusterNetworkPolicyName(ns, key2.Name)}
	g.Eventually(func(g Gomega) {
		g.Expect(getObject(g, k8s, render.ClusterNetworkPolicyKind, key2CNP)).NotTo(BeNil())
	}, timeout, poll).Should(Succeed())
	mgr.Stop()
	g.Expect(k8s.Delete(context.Background(), second)).To(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(getObject(g, k8s, render.ClusterNetworkPolicyKind, key2CNP)).NotTo(BeNil())
	}, "1s", poll).Should(Succeed())
	startManager(t, env.Config, srv, render.BackendClusterNetworkPolicy)
	g.Eventually(func(g Gomega) {
		g.Expect(getObject(g, k8s, render.ClusterNetworkPolicyKind, key2CNP)).To(BeNil())
	}, timeout, poll).Should(Succeed())
}

// A tenant's allowlist, whatever its pod selector (here every pod), never yields a
// ClusterNetworkPolicy whose subject reaches beyond the allowlist's namespace, and
// one of the name that someone else wrote is left as it is.
func TestClusterNetworkPolicyStaysInTheNamespace(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "fqdn-cnp-pin")
	theirsName := render.ClusterNetworkPolicyName(ns, "clash")
	theirs := object(render.ClusterNetworkPolicyKind, types.NamespacedName{Name: theirsName})
	theirs.Object["spec"] = map[string]any{
		"tier": "Admin", "priority": int64(10),
		"subject": map[string]any{"namespaces": map[string]any{}},
		"egress":  []any{map[string]any{"name": "admins", "action": "Deny", "to": []any{map[string]any{"networks": []any{"203.0.113.0/24"}}}}},
	}
	g.Expect(k8s.Create(context.Background(), theirs)).To(Succeed())
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), theirs) })

	startManager(t, env.Config, startDNS(t), render.BackendClusterNetworkPolicy)
	wide := sample(t, ns)
	wide.Name = "every-pod"
	wide.Spec.PodSelector = metav1.LabelSelector{}
	wideKey := create(t, wide)
	wide = waitReady(t, k8s, wideKey, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	g.Eventually(func(g Gomega) {
		cnp := getObject(g, k8s, render.ClusterNetworkPolicyKind, types.NamespacedName{Name: render.ClusterNetworkPolicyName(ns, wideKey.Name)})
		g.Expect(cnp).NotTo(BeNil())
		expectPinned(g, cnp, ns, metav1.LabelSelector{})
	}, timeout, poll).Should(Succeed())

	clash := sample(t, ns)
	clash.Name = "clash"
	clashKey := create(t, clash)
	a := waitReady(t, k8s, clashKey, metav1.ConditionFalse, v1alpha1.ReasonPolicyConflict)
	g.Expect(readyMessage(a)).To(ContainSubstring(theirsName))
	g.Consistently(func(g Gomega) {
		now := getObject(g, k8s, render.ClusterNetworkPolicyKind, types.NamespacedName{Name: theirsName})
		g.Expect(now.GetResourceVersion()).To(Equal(theirs.GetResourceVersion()), "the operator wrote someone else's ClusterNetworkPolicy")
	}, "2s", poll).Should(Succeed())

	t.Log("labelled and handed over by its writer (the commands the message gives), it is adopted")
	g.Eventually(func() error {
		cur := getObject(g, k8s, render.ClusterNetworkPolicyKind, types.NamespacedName{Name: theirsName})
		cur.SetLabels(map[string]string{v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue, v1alpha1.AllowlistNamespaceLabel: ns, v1alpha1.AllowlistLabel: clashKey.Name})
		cur.SetAnnotations(map[string]string{v1alpha1.AdoptAnnotation: ns + "/" + clashKey.Name})
		return k8s.Update(context.Background(), cur)
	}, timeout, poll).Should(Succeed())
	a = waitReady(t, k8s, clashKey, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	g.Eventually(func(g Gomega) {
		cnp := getObject(g, k8s, render.ClusterNetworkPolicyKind, types.NamespacedName{Name: theirsName})
		g.Expect(cnp.GetLabels()).To(HaveKeyWithValue(v1alpha1.AllowlistUIDLabel, string(a.UID)))
		g.Expect(domainNames(cnp)).To(ConsistOf(gateways))
		expectPinned(g, cnp, ns, a.Spec.PodSelector)
	}, timeout, poll).Should(Succeed())
}

// expectPinned: the subject is the pods of the allowlist's selector in its namespace
// only, by the namespace's immutable name label.
func expectPinned(g Gomega, cnp *unstructured.Unstructured, ns string, pods metav1.LabelSelector) {
	subject, _, _ := unstructured.NestedMap(cnp.Object, "spec", "subject")
	g.Expect(subject).To(HaveLen(1), "subject: %v", subject)
	g.Expect(subject).To(HaveKey("pods"), "subject: %v", subject)
	var got struct {
		NamespaceSelector metav1.LabelSelector `json:"namespaceSelector"`
		PodSelector       metav1.LabelSelector `json:"podSelector"`
	}
	g.Expect(runtimeConvert(subject["pods"], &got)).To(Succeed())
	g.Expect(got.NamespaceSelector).To(Equal(metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: ns}}))
	if pods.MatchLabels == nil && pods.MatchExpressions == nil {
		g.Expect(got.PodSelector.MatchLabels).To(BeEmpty())
		g.Expect(got.PodSelector.MatchExpressions).To(BeEmpty())
		return
	}
	g.Expect(got.PodSelector).To(Equal(pods))
}

func domainNames(u *unstructured.Unstructured) []string {
	var out []string
	rules, _, _ := unstructured.NestedSlice(u.Object, "spec", "egress")
	for _, r := range rules {
		peers, _, _ := unstructured.NestedSlice(r.(map[string]any), "to")
		for _, p := range peers {
			names, _, _ := unstructured.NestedStringSlice(p.(map[string]any), "domainNames")
			out = append(out, names...)
		}
	}
	return out
}
