/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package security

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
)

// workatoGateways is an allowlist of Workato's on-premise gateways: sg1, sg2 and
// sg.workato.com, resolved through DNS.
func workatoGateways(ns, name string) *v1alpha1.VendorAllowlist {
	return &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: selector("opa"),
			Vendors:     []v1alpha1.VendorSelection{{Name: "workato", Endpoints: []v1alpha1.ObjectName{"opa-gateways"}}},
		},
	}
}

// An allowlist's status seeds the DNS cache after a restart, and whoever may write the
// allowlist may write its status. An address planted there, with a lastSeen far in
// the future, must never reach another namespace's policy: not while the manager
// runs, not after it restarts, and not after a second restart (when the victim's own
// status would have recorded it, had it been believed).
func TestPlantedStatusNeverReachesAnotherNamespace(t *testing.T) {
	g := NewWithT(t)
	const planted = "203.0.113.66"
	srv := testdns.Start(t, testdns.WithLocalTTL(time.Second),
		testdns.WithHost("sg1.workato.com", "198.51.100.1"),
		testdns.WithHost("sg2.workato.com", "198.51.100.2"),
		testdns.WithHost("sg.workato.com", "198.51.100.3"))
	attackerNS, victimNS := newNamespace(t, "attacker"), newNamespace(t, "victim")
	namespaces := []string{attackerNS, victimNS}
	attacker := tenant(t, attackerNS, "tenant-attacker")

	first := startManager(t, srv, namespaces)
	own := workatoGateways(attackerNS, "gw")
	g.Expect(attacker.Create(context.Background(), own)).To(Succeed())
	ownKey := client.ObjectKeyFromObject(own)
	waitCondition(t, ownKey, metav1.ConditionTrue, v1alpha1.ReasonReconciled, timeout)

	plant := func() {
		t.Helper()
		patch := map[string]any{"status": map[string]any{"hostnames": []map[string]any{{
			"hostname":     "sg1.workato.com",
			"lastResolved": "2099-01-01T00:00:00Z",
			"addresses":    []map[string]any{{"address": planted, "lastSeen": "2099-01-01T00:00:00Z"}, {"address": "198.51.100.1", "lastSeen": "2099-01-01T00:00:00Z"}},
		}}}}
		body, err := json.Marshal(patch)
		g.Expect(err).NotTo(HaveOccurred())
		target := &v1alpha1.VendorAllowlist{ObjectMeta: metav1.ObjectMeta{Namespace: attackerNS, Name: "gw"}}
		g.Expect(attacker.Status().Patch(context.Background(), target, client.RawPatch(types.MergePatchType, body))).To(Succeed())
	}

	// While the manager runs: plant, and let a victim come along.
	plant()
	victim := workatoGateways(victimNS, "gw")
	g.Expect(k8s.Create(context.Background(), victim)).To(Succeed())
	victimKey := client.ObjectKeyFromObject(victim)
	waitCondition(t, victimKey, metav1.ConditionTrue, v1alpha1.ReasonReconciled, timeout)
	g.Consistently(func(g Gomega) {
		g.Expect(policyCIDRs(g, victimNS)).NotTo(ContainElement(planted + "/32"))
	}, 2*time.Second, poll).Should(Succeed())

	// Across a restart: the attacker plants again while no manager runs, and the
	// victim's allowlist is created only after the new manager has read the planted
	// status, so a shared seed would reach it.
	first.Stop()
	g.Expect(k8s.Delete(context.Background(), victim)).To(Succeed())
	plant()
	startManager(t, srv, namespaces)
	g.Eventually(func(g Gomega) {
		a := getAllowlist(g, ownKey)
		g.Expect(ready(a)).NotTo(BeNil())
		g.Expect(ready(a).LastTransitionTime.Time).NotTo(BeZero())
	}, timeout, poll).Should(Succeed())
	time.Sleep(time.Second) // the attacker's allowlist is reconciled (and seeded) first
	victim = workatoGateways(victimNS, "gw2")
	g.Expect(k8s.Create(context.Background(), victim)).To(Succeed())
	victimKey = client.ObjectKeyFromObject(victim)
	waitCondition(t, victimKey, metav1.ConditionTrue, v1alpha1.ReasonReconciled, timeout)
	g.Consistently(func(g Gomega) {
		g.Expect(policyCIDRs(g, victimNS)).NotTo(ContainElement(planted+"/32"), "the planted address reached another namespace")
		v := getAllowlist(g, victimKey)
		for _, h := range v.Status.Hostnames {
			for _, a := range h.Addresses {
				g.Expect(a.Address).NotTo(Equal(planted), "the victim's status recorded the planted address")
				if a.LastSeen != nil {
					g.Expect(a.LastSeen.Time.Before(time.Now().Add(time.Minute))).To(BeTrue(), "a lastSeen from the future: %v", a.LastSeen)
				}
			}
		}
	}, 3*time.Second, poll).Should(Succeed())

	// The attacker's own policy never held it either: status is not a source of
	// addresses, only of the times of addresses the operator itself rendered.
	g.Expect(policyCIDRs(g, attackerNS)).NotTo(ContainElement(planted + "/32"))
}
