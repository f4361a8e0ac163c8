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
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// standInEgressFirewallCRD is NOT OVN-Kubernetes' CRD, which cannot be had here
// (thirdpartycrds): a stand-in of the group, version, kind and scope only, with no
// schema (x-kubernetes-preserve-unknown-fields), so that the operator's handling of
// the namespace's one EgressFirewall (consent, merge, owners, conflict) runs against
// a real API server. It proves nothing of the rendered object's shape.
func standInEgressFirewallCRD() *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "egressfirewalls.k8s.ovn.org"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "k8s.ovn.org",
			Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: "EgressFirewall", ListKind: "EgressFirewallList", Plural: "egressfirewalls", Singular: "egressfirewall"},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: ptr.To(true),
				}},
			}},
		},
	}
}

// With --egress-backend=ovn, the namespace's EgressFirewall is written only once the
// cluster admin consents on the Namespace (until then status.egress says how), holds
// the names of every allowlist of the namespace with each as an owner, loses an
// allowlist's part when it is deleted, and is never written over when someone
// else's is there. Against the stand-in CRD above.
func TestEgressFirewallOnlyWithConsent(t *testing.T) {
	g := NewWithT(t)
	_, err := envtest.InstallCRDs(env.Config, envtest.CRDInstallOptions{CRDs: []*apiextensionsv1.CustomResourceDefinition{standInEgressFirewallCRD()}})
	g.Expect(err).NotTo(HaveOccurred())
	ns := newNamespace(t, "fqdn-ovn")
	other := newNamespace(t, "fqdn-ovn-theirs")
	startManager(t, env.Config, startDNS(t), render.BackendOVN, ns, other)

	withP := sample(t, ns)
	withPartner(withP)
	keyA := create(t, withP)
	a := waitReady(t, k8s, keyA, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	st, _ := egressRule(a, "workato/opa-gateways")
	g.Expect(st.Backend).To(Equal("networkpolicy"))
	g.Expect(st.Message).To(ContainSubstring("kubectl annotate namespace " + ns + " " + v1alpha1.NamespaceEgressBackendsAnnotation + "=egressfirewall"))
	fwKey := types.NamespacedName{Namespace: ns, Name: render.EgressFirewallName}
	g.Expect(getObject(g, k8s, render.EgressFirewallKind, fwKey)).To(BeNil())

	t.Log("the admin consents")
	consent(t, ns)
	update(t, keyA, func(a *v1alpha1.VendorAllowlist) { a.Annotations = map[string]string{"test/touch": "1"} })
	second := sample(t, ns)
	second.Name = "second"
	keyB := create(t, second)
	b := waitReady(t, k8s, keyB, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	g.Eventually(func(g Gomega) {
		a := getAllowlist(g, k8s, keyA)
		st, _ := egressRule(a, "custom/partner")
		g.Expect(st.Backend).To(Equal("ovn"))
		fw := getObject(g, k8s, render.EgressFirewallKind, fwKey)
		g.Expect(fw).NotTo(BeNil())
		g.Expect(dnsNames(fw)).To(ConsistOf(append([]string{partnerHost}, gateways...)))
		g.Expect(ownerNames(fw)).To(ConsistOf(keyA.Name, keyB.Name))
		for _, ref := range fw.GetOwnerReferences() {
			g.Expect(ref.Controller).To(BeNil(), "an owner of a shared object is no controller")
		}
	}, timeout, poll).Should(Succeed())
	g.Expect(b.UID).NotTo(BeEmpty())

	t.Log("the first allowlist deleted: its part goes, the second's stays")
	g.Expect(k8s.Delete(context.Background(), &v1alpha1.VendorAllowlist{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: keyA.Name}})).To(Succeed())
	g.Eventually(func(g Gomega) {
		fw := getObject(g, k8s, render.EgressFirewallKind, fwKey)
		g.Expect(fw).NotTo(BeNil())
		g.Expect(dnsNames(fw)).To(ConsistOf(gateways))
		g.Expect(ownerNames(fw)).To(ConsistOf(keyB.Name))
	}, timeout, poll).Should(Succeed())

	t.Log("someone else's EgressFirewall is left as it is")
	consent(t, other)
	theirs := object(render.EgressFirewallKind, types.NamespacedName{Namespace: other, Name: render.EgressFirewallName})
	theirs.Object["spec"] = map[string]any{"egress": []any{map[string]any{"type": "Deny", "to": map[string]any{"cidrSelector": "0.0.0.0/0"}}}}
	g.Expect(k8s.Create(context.Background(), theirs)).To(Succeed())
	keyC := create(t, sample(t, other))
	c := waitReady(t, k8s, keyC, metav1.ConditionFalse, v1alpha1.ReasonPolicyConflict)
	g.Expect(readyMessage(c)).To(ContainSubstring("was not written by the operator"))
	g.Consistently(func(g Gomega) {
		now := getObject(g, k8s, render.EgressFirewallKind, keyOf(theirs))
		g.Expect(now.GetResourceVersion()).To(Equal(theirs.GetResourceVersion()))
	}, "1s", poll).Should(Succeed())
}

func consent(t *testing.T, ns string) {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		var n corev1.Namespace
		if err := k8s.Get(context.Background(), types.NamespacedName{Name: ns}, &n); err != nil {
			return err
		}
		n.Annotations = map[string]string{v1alpha1.NamespaceEgressBackendsAnnotation: v1alpha1.EgressFirewallConsent}
		return k8s.Update(context.Background(), &n)
	}, timeout, poll).Should(Succeed())
}

func dnsNames(u *unstructured.Unstructured) []string {
	var out []string
	rules, _, _ := unstructured.NestedSlice(u.Object, "spec", "egress")
	for _, r := range rules {
		if n, ok, _ := unstructured.NestedString(r.(map[string]any), "to", "dnsName"); ok {
			out = append(out, n)
		}
	}
	return out
}

func ownerNames(u *unstructured.Unstructured) []string {
	var out []string
	for _, ref := range u.GetOwnerReferences() {
		out = append(out, ref.Name)
	}
	return out
}
