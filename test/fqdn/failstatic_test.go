/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fqdn

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/thirdpartycrds"
)

// The Cilium CRD removed under a running manager (a control plane of its own, so
// that the suite's keeps it): an allowlist changed afterwards cannot have its names
// written, so Ready says EgressBackendUnavailable, Stalled, and its NetworkPolicy
// stays as it was, neither emptied nor rewritten.
func TestBackendGoneLeavesThePoliciesAsTheyAre(t *testing.T) {
	g := NewWithT(t)
	crds, err := thirdpartycrds.Load(thirdpartycrds.Cilium)
	g.Expect(err).NotTo(HaveOccurred())
	own, err := testenv.Start(testenv.WithCRDs(crds...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = own.Stop() })
	c, err := client.New(own.Config, client.Options{Scheme: testenv.Scheme()})
	g.Expect(err).NotTo(HaveOccurred())
	ns := testenv.NewNamespace(t, c, "fqdn-gone")
	startManager(t, own.Config, startDNS(t), render.BackendCilium, ns)
	a := sample(t, ns)
	g.Expect(c.Create(t.Context(), a)).To(Succeed())
	key := client.ObjectKeyFromObject(a)
	waitReady(t, c, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	var before string
	g.Eventually(func(g Gomega) {
		np := egressPolicy(g, c, key)
		g.Expect(np).NotTo(BeNil())
		before = np.ResourceVersion
		g.Expect(getObject(g, c, render.CiliumNetworkPolicyKind, types.NamespacedName{Namespace: ns, Name: render.CiliumPolicyName(key.Name)})).NotTo(BeNil())
	}, timeout, poll).Should(Succeed())

	g.Expect(envtest.UninstallCRDs(own.Config, envtest.CRDInstallOptions{CRDs: crds})).To(Succeed())
	updateOn(t, c, key, withPartner)
	got := waitReady(t, c, key, metav1.ConditionFalse, v1alpha1.ReasonEgressBackendUnavailable)
	g.Expect(readyMessage(got)).To(ContainSubstring("stay as they are"))
	g.Expect(conditionStatus(got, v1alpha1.ConditionStalled)).To(Equal(metav1.ConditionTrue))
	g.Consistently(func(g Gomega) {
		np := egressPolicy(g, c, key)
		g.Expect(np).NotTo(BeNil())
		g.Expect(np.ResourceVersion).To(Equal(before), "the NetworkPolicy changed while the names could not be written")
	}, "2s", poll).Should(Succeed())
}

func conditionStatus(a *v1alpha1.VendorAllowlist, typ string) metav1.ConditionStatus {
	for _, c := range a.Status.Conditions {
		if c.Type == typ {
			return c.Status
		}
	}
	return metav1.ConditionUnknown
}
