/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package security

import (
	"context"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
)

func acmeVendor(addrs ...string) *v1alpha1.Vendor {
	g := v1alpha1.EndpointGroup{Name: "webhooks", Direction: v1alpha1.DirectionIngress}
	for _, a := range addrs {
		g.Addresses = append(g.Addresses, v1alpha1.PublishedAddress{CIDR: v1alpha1.CIDR(a)})
	}
	return &v1alpha1.Vendor{
		ObjectMeta: metav1.ObjectMeta{Name: "acme-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)},
		Spec:       v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{g}},
	}
}

// A Vendor update that empties a group an allowlist uses, or widens it to the whole
// internet, does not reach the allowlists' policies silently: they stay, the
// allowlists and the Vendor say why, with Warning events naming the vendor, the
// group and the counts, until an admin approves the generation.
func TestVendorChangesAreHeldUntilApproved(t *testing.T) {
	g := NewWithT(t)
	srv := testdns.Start(t)
	ns := newNamespace(t, "vendorchange")
	startManager(t, srv, []string{ns})
	ctx := context.Background()

	vendor := acmeVendor("198.51.100.1/32", "198.51.100.2/32", "198.51.100.3/32", "198.51.100.4/32")
	g.Expect(k8s.Create(ctx, vendor)).To(Succeed())
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), vendor) })
	al := &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hooks"},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: selector("web"),
			Vendors:     []v1alpha1.VendorSelection{{Name: v1alpha1.ObjectName(vendor.Name), Ports: ports(8443)}},
		},
	}
	g.Expect(k8s.Create(ctx, al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)
	waitCondition(t, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled, timeout)
	before := []string{"198.51.100.1/32", "198.51.100.2/32", "198.51.100.3/32", "198.51.100.4/32"}
	g.Expect(cidrs(policy(g, ns, "hooks-ingress"))).To(Equal(before))

	update := func(mutate func(*v1alpha1.Vendor)) {
		t.Helper()
		g.Eventually(func() error {
			var v v1alpha1.Vendor
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(vendor), &v); err != nil {
				return err
			}
			mutate(&v)
			return k8s.Update(ctx, &v)
		}, timeout, poll).Should(Succeed())
	}
	held := func(wantInMessage string) {
		t.Helper()
		// (Held briefly while the change is compared, then held for the admin.)
		g.Eventually(func(g Gomega) {
			c := ready(getAllowlist(g, key))
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(v1alpha1.ReasonVendorChangeHeld))
			g.Expect(c.Message).To(ContainSubstring(vendor.Name))
			g.Expect(c.Message).To(ContainSubstring(wantInMessage))
		}, timeout, poll).Should(Succeed())
		g.Eventually(func(g Gomega) {
			g.Expect(warnings(g, ns, "VendorAllowlist", "hooks")).To(HaveKeyWithValue(v1alpha1.ReasonVendorChangeHeld, ContainSubstring(wantInMessage)))
			g.Expect(warnings(g, "default", "Vendor", vendor.Name)).To(HaveKeyWithValue(v1alpha1.ReasonChangeHeld, ContainSubstring(wantInMessage)))
		}, timeout, poll).Should(Succeed())
		g.Consistently(func(g Gomega) {
			g.Expect(cidrs(policy(g, ns, "hooks-ingress"))).To(Equal(before), "the policy in place changed while the change is held")
		}, 2*time.Second, poll).Should(Succeed())
	}

	// Shrinking: every address of the group deprecated.
	update(func(v *v1alpha1.Vendor) {
		for i := range v.Spec.Endpoints[0].Addresses {
			v.Spec.Endpoints[0].Addresses[i].Deprecated = &v1alpha1.Deprecation{Since: "2026-12-01"}
		}
	})
	held("group webhooks would render no address (4 entries before, 0 after)")

	// Put back (generation 3, within the bounds of the accepted generation 1): Ready.
	update(func(v *v1alpha1.Vendor) {
		for i := range v.Spec.Endpoints[0].Addresses {
			v.Spec.Endpoints[0].Addresses[i].Deprecated = nil
		}
	})
	waitCondition(t, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled, timeout)

	// Widening: two halves of the internet.
	update(func(v *v1alpha1.Vendor) {
		v.Spec.Endpoints[0].Addresses = append(v.Spec.Endpoints[0].Addresses,
			v1alpha1.PublishedAddress{CIDR: "0.0.0.0/1"}, v1alpha1.PublishedAddress{CIDR: "128.0.0.0/1"})
	})
	held("group webhooks widened: it adds 4294967292 IPv4 addresses and 0 IPv6 /64 networks it did not have")

	// The admin approves the generation: the allowlist follows.
	var v v1alpha1.Vendor
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(vendor), &v)).To(Succeed())
	g.Expect(v.Status.AcceptedGeneration).To(BeEquivalentTo(3))
	cond := metaCondition(v.Status.Conditions, v1alpha1.ConditionAccepted)
	g.Expect(cond).NotTo(BeNil())
	g.Expect(cond.Reason).To(Equal(v1alpha1.ReasonChangeHeld))
	g.Expect(cond.Message).To(ContainSubstring("kubectl annotate vendor " + vendor.Name + " " + v1alpha1.ApproveGenerationAnnotation + "=4"))
	v.Annotations = map[string]string{v1alpha1.ApproveGenerationAnnotation: "4"}
	g.Expect(k8s.Update(ctx, &v)).To(Succeed())
	waitCondition(t, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled, timeout)
	g.Expect(cidrs(policy(g, ns, "hooks-ingress"))).To(Equal([]string{"0.0.0.0/1", "128.0.0.0/1"}))
}

// A Vendor change is judged by the addresses it moves, not by counts: a public /24
// swapped for 10.0.0.0/24 or for the metadata service's 169.254.169.0/24, two /24s
// swapped for two others (the counts stay), and a deprecated 0.0.0.0/1 (which an
// allowlist with includeDeprecated renders) are each held, the Vendor and the
// allowlist naming what moved, and the policy in place stays; put back, the change
// is accepted.
func TestVendorSwapsAreHeld(t *testing.T) {
	g := NewWithT(t)
	srv := testdns.Start(t)
	ns := newNamespace(t, "vendorswap")
	startManager(t, srv, []string{ns})
	ctx := context.Background()

	accepted := []string{"198.51.100.0/24", "203.0.113.0/24"}
	vendor := acmeVendor(accepted...)
	g.Expect(k8s.Create(ctx, vendor)).To(Succeed())
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), vendor) })
	al := &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hooks"},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: selector("web"),
			Vendors:     []v1alpha1.VendorSelection{{Name: v1alpha1.ObjectName(vendor.Name), Ports: ports(8443), IncludeDeprecated: true}},
		},
	}
	g.Expect(k8s.Create(ctx, al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)
	waitCondition(t, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled, timeout)
	g.Expect(cidrs(policy(g, ns, "hooks-ingress"))).To(Equal(accepted))

	setAddresses := func(addrs ...v1alpha1.PublishedAddress) {
		t.Helper()
		g.Eventually(func() error {
			var v v1alpha1.Vendor
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(vendor), &v); err != nil {
				return err
			}
			v.Spec.Endpoints[0].Addresses = addrs
			return k8s.Update(ctx, &v)
		}, timeout, poll).Should(Succeed())
	}
	addr := func(cidr string) v1alpha1.PublishedAddress {
		return v1alpha1.PublishedAddress{CIDR: v1alpha1.CIDR(cidr)}
	}
	for _, tc := range []struct {
		name   string
		change []v1alpha1.PublishedAddress
		says   []string
	}{
		{"a public /24 swapped for 10.0.0.0/24", []v1alpha1.PublishedAddress{addr("198.51.100.0/24"), addr("10.0.0.0/24")},
			[]string{"group webhooks adds networks in ranges the guard forbids (private): 10.0.0.0/24"}},
		{"a public /24 swapped for 169.254.169.0/24", []v1alpha1.PublishedAddress{addr("169.254.169.0/24"), addr("203.0.113.0/24")},
			[]string{"group webhooks adds networks in ranges the guard forbids (link-local): 169.254.169.0/24"}},
		{"both /24s swapped for two other public /24s", []v1alpha1.PublishedAddress{addr("8.8.0.0/24"), addr("8.8.1.0/24")},
			[]string{"group webhooks swaps addresses for others: it adds 512 IPv4 addresses and 0 IPv6 /64 networks it did not have, no more than it removes: 8.8.0.0/23",
				"group webhooks removes 512 of its 512 IPv4 addresses"}},
		{"a deprecated 0.0.0.0/1 added", []v1alpha1.PublishedAddress{addr("198.51.100.0/24"), addr("203.0.113.0/24"),
			{CIDR: "0.0.0.0/1", Deprecated: &v1alpha1.Deprecation{Since: "2026-12-01"}}},
			[]string{"group webhooks adds networks in ranges the guard forbids (cluster, loopback, private, reserved): 0.0.0.0/1",
				"group webhooks widened: it adds 2147483648 IPv4 addresses"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			setAddresses(tc.change...)
			g.Eventually(func(g Gomega) {
				var v v1alpha1.Vendor
				g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(vendor), &v)).To(Succeed())
				c := metaCondition(v.Status.Conditions, v1alpha1.ConditionAccepted)
				g.Expect(c).NotTo(BeNil())
				g.Expect(c.ObservedGeneration).To(Equal(v.Generation))
				g.Expect(c.Reason).To(Equal(v1alpha1.ReasonChangeHeld), c.Message)
				a := ready(getAllowlist(g, key))
				g.Expect(a.Reason).To(Equal(v1alpha1.ReasonVendorChangeHeld))
				for _, s := range tc.says {
					g.Expect(c.Message).To(ContainSubstring(s))
					g.Expect(a.Message).To(ContainSubstring(s))
				}
				g.Expect(warningNotes(g, "default", "Vendor", vendor.Name, v1alpha1.ReasonChangeHeld)).To(ContainElement(ContainSubstring(tc.says[0])))
			}, timeout, poll).Should(Succeed())
			g.Consistently(func(g Gomega) {
				g.Expect(cidrs(policy(g, ns, "hooks-ingress"))).To(Equal(accepted), "the policy in place changed while the change is held")
			}, time.Second, poll).Should(Succeed())

			// Put back: nothing moved since the accepted generation.
			setAddresses(addr("198.51.100.0/24"), addr("203.0.113.0/24"))
			waitCondition(t, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled, timeout)
			g.Expect(cidrs(policy(g, ns, "hooks-ingress"))).To(Equal(accepted))
		})
	}
}

// A Vendor accepted by an operator that recorded counts only (its status has no
// networks) gets its networks recorded when the operator starts, from its spec, which
// is the accepted generation's: a later swap is then judged against them, not
// against nothing.
func TestVendorAcceptedBeforeUpgradeGetsItsNetworks(t *testing.T) {
	g := NewWithT(t)
	srv := testdns.Start(t)
	ctx := context.Background()
	first := startManager(t, srv, []string{newNamespace(t, "vendorupgrade")})

	vendor := acmeVendor("198.51.100.0/24", "203.0.113.0/24")
	g.Expect(k8s.Create(ctx, vendor)).To(Succeed())
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), vendor) })
	networks := func(g Gomega) []string {
		var v v1alpha1.Vendor
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(vendor), &v)).To(Succeed())
		g.Expect(v.Status.AcceptedGeneration).To(Equal(v.Generation))
		g.Expect(v.Status.Endpoints).To(HaveLen(1))
		return v.Status.Endpoints[0].Addresses
	}
	g.Eventually(networks, timeout, poll).Should(Equal([]string{"198.51.100.0/24", "203.0.113.0/24"}))
	first.Stop()

	// As the earlier operator left it.
	patch := []byte(`{"status":{"endpoints":[{"name":"webhooks","direction":"Ingress","entries":2,"ipv4Addresses":512}]}}`)
	g.Expect(k8s.Status().Patch(ctx, vendor, client.RawPatch(types.MergePatchType, patch))).To(Succeed())
	g.Expect(networks(g)).To(BeEmpty())

	startManager(t, srv, []string{newNamespace(t, "vendorupgrade")})
	g.Eventually(networks, timeout, poll).Should(Equal([]string{"198.51.100.0/24", "203.0.113.0/24"}))
	g.Eventually(func() error {
		var v v1alpha1.Vendor
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(vendor), &v); err != nil {
			return err
		}
		v.Spec.Endpoints[0].Addresses[1].CIDR = "8.8.8.0/24"
		return k8s.Update(ctx, &v)
	}, timeout, poll).Should(Succeed())
	// One /24 of two swapped: within the added bound, but half the space is not more
	// than half; accepted, as it would have been before the upgrade.
	g.Eventually(func(g Gomega) {
		var v v1alpha1.Vendor
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(vendor), &v)).To(Succeed())
		c := metaCondition(v.Status.Conditions, v1alpha1.ConditionAccepted)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.ObservedGeneration).To(Equal(v.Generation))
		g.Expect(c.Reason).To(Equal(v1alpha1.ReasonChangeAccepted), c.Message)
	}, timeout, poll).Should(Succeed())
}

// warningNotes are the notes of the Warning events of one reason regarding an object.
func warningNotes(g Gomega, ns, kind, name, reason string) []string {
	var list eventsv1.EventList
	g.Expect(k8s.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
	var out []string
	for _, e := range list.Items {
		if e.Type == corev1.EventTypeWarning && e.Regarding.Kind == kind && e.Regarding.Name == name && e.Reason == reason {
			out = append(out, e.Note)
		}
	}
	return out
}

// A group whose every address is deprecated from the start renders nothing: the
// allowlist says NothingToRender and creates no policy that would only isolate pods.
func TestNothingToRenderIsReported(t *testing.T) {
	g := NewWithT(t)
	srv := testdns.Start(t)
	ns := newNamespace(t, "nothing")
	startManager(t, srv, []string{ns})
	ctx := context.Background()
	vendor := acmeVendor("198.51.100.9/32")
	vendor.Spec.Endpoints[0].Addresses[0].Deprecated = &v1alpha1.Deprecation{Since: "2020-01-01"}
	g.Expect(k8s.Create(ctx, vendor)).To(Succeed())
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), vendor) })
	al := &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "old"},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: selector("web"),
			Vendors:     []v1alpha1.VendorSelection{{Name: v1alpha1.ObjectName(vendor.Name), Ports: ports(8443)}},
		},
	}
	g.Expect(k8s.Create(ctx, al)).To(Succeed())
	c := waitCondition(t, client.ObjectKeyFromObject(al), metav1.ConditionFalse, v1alpha1.ReasonNothingToRender, timeout)
	g.Expect(c.Message).To(ContainSubstring("Nothing to render for Ingress"))
	g.Expect(policyCIDRs(g, ns)).To(BeEmpty())
	var list []string
	g.Consistently(func(g Gomega) []string {
		list = policyCIDRs(g, ns)
		return list
	}, time.Second, poll).Should(BeEmpty())
}
