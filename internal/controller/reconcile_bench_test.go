/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// BenchmarkReconcileConverged is what a reconcile of an allowlist whose policies and
// status are in place costs: the work a restarted manager does for every allowlist
// (at 10,000 allowlists its garbage sets the restart's memory peak; a restart also
// skips encoding the status, since it wrote none yet), and what a reconcile after a
// DNS change that renders nothing new costs. Allocations per reconcile are the
// figure to watch (-benchmem, make bench-reconcile); the time depends on the
// machine. Three allowlists like the scale benchmark's (test/bench): a catalog
// vendor alone, custom entries both ways, a vendor with custom hostnames.
func BenchmarkReconcileConverged(b *testing.B) {
	ctx := context.Background()
	ns := newNamespace(b)
	fakeDNS.set("h01.bench.example.com", "192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "2001:db8:0:1::1", "2001:db8:0:1::2")
	fakeDNS.set("h02.bench.example.com", "192.0.2.5", "192.0.2.6", "192.0.2.7", "192.0.2.8", "2001:db8:0:2::1", "2001:db8:0:2::2")
	fakeDNS.set("h03.bench.example.com", "192.0.2.9", "192.0.2.10", "192.0.2.11", "192.0.2.12", "2001:db8:0:3::1", "2001:db8:0:3::2")
	tcp := func(p int32) v1alpha1.Port { return v1alpha1.Port{Protocol: v1alpha1.ProtocolTCP, Port: p} }
	selector := metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}}
	allowlists := []*v1alpha1.VendorAllowlist{
		{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "workato-webhooks"}, Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: selector,
			Vendors:     []v1alpha1.VendorSelection{{Name: "workato", Endpoints: []v1alpha1.ObjectName{"inbound"}, Ports: []v1alpha1.Port{tcp(8443)}}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "partner-both"}, Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: selector,
			Custom: []v1alpha1.CustomEntry{
				{Name: "callbacks", Direction: v1alpha1.DirectionIngress, Hostnames: []v1alpha1.Hostname{"h01.bench.example.com"}, Ports: []v1alpha1.Port{tcp(8080)}},
				{Name: "uploads", Direction: v1alpha1.DirectionEgress, CIDRs: []v1alpha1.CIDR{"198.51.100.0/26"}, Ports: []v1alpha1.Port{tcp(22)}},
			},
		}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "freshchat-and-apis"}, Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: selector,
			Vendors:     []v1alpha1.VendorSelection{{Name: "freshchat", Endpoints: []v1alpha1.ObjectName{"webhooks"}, Ports: []v1alpha1.Port{tcp(443)}}},
			Custom: []v1alpha1.CustomEntry{
				{Name: "apis", Direction: v1alpha1.DirectionEgress, Hostnames: []v1alpha1.Hostname{"h02.bench.example.com", "h03.bench.example.com"}, Ports: []v1alpha1.Port{tcp(443)}},
				{Name: "static", Direction: v1alpha1.DirectionEgress, CIDRs: []v1alpha1.CIDR{"2001:db8:ffff::/56"}, Ports: []v1alpha1.Port{tcp(443)}},
			},
		}},
	}
	var requests []reconcile.Request
	for _, a := range allowlists {
		if err := k8s.Create(ctx, a); err != nil {
			b.Fatal(err)
		}
		requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(a)})
	}
	before := converged(b, ctx, requests)

	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := suiteReconciler.Reconcile(ctx, requests[i%len(requests)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.StopTimer()
	if after := converged(b, ctx, requests); after != before {
		b.Fatalf("the reconciles wrote: the allowlists and policies were at %q, now %q", before, after)
	}
}

// converged waits until every allowlist is Ready for its generation and the
// manager's cache has its policies, and returns the resource versions of the
// allowlists and policies, which any write would change.
func converged(b *testing.B, ctx context.Context, requests []reconcile.Request) string {
	b.Helper()
	// Ready in the manager's cache, which the benchmark's reconciles read.
	NewWithT(b).Eventually(func(g Gomega) {
		for _, req := range requests {
			var a v1alpha1.VendorAllowlist
			g.Expect(suiteReconciler.Get(ctx, req.NamespacedName, &a)).To(Succeed())
			c := meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady)
			g.Expect(c).NotTo(BeNil(), "%s: no Ready condition yet", req)
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), "%s: Ready: %s %s", req, c.Reason, c.Message)
			g.Expect(c.ObservedGeneration).To(Equal(a.Generation), "%s: Ready describes an older generation", req)
		}
	}, timeout, poll).Should(Succeed())
	versions := ""
	for _, req := range requests {
		var a v1alpha1.VendorAllowlist
		if err := k8s.Get(ctx, req.NamespacedName, &a); err != nil {
			b.Fatal(err)
		}
		versions += a.Name + "@" + a.ResourceVersion + " "
	}
	var policies networkingv1.NetworkPolicyList
	if err := k8s.List(ctx, &policies, client.InNamespace(requests[0].Namespace)); err != nil {
		b.Fatal(err)
	}
	if len(policies.Items) == 0 {
		b.Fatal("no policies rendered")
	}
	for _, np := range policies.Items {
		versions += np.Name + "@" + np.ResourceVersion + " "
	}
	return versions
}
