/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

const (
	timeout = 20 * time.Second
	poll    = 100 * time.Millisecond
)

func workatoAllowlist(ns, name string) *v1alpha1.VendorAllowlist {
	return &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "opa"}},
			Vendors: []v1alpha1.VendorSelection{
				{Name: "workato", Endpoints: []v1alpha1.ObjectName{"opa-gateways"}},
			},
		},
	}
}

// updateAllowlist applies mutate to the latest allowlist and updates it, retrying
// when the controller's status write got there first.
func updateAllowlist(t *testing.T, ctx context.Context, key types.NamespacedName, al *v1alpha1.VendorAllowlist, mutate func()) {
	t.Helper()
	Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := k8s.Get(ctx, key, al); err != nil {
			return err
		}
		mutate()
		return k8s.Update(ctx, al)
	})).To(Succeed())
}

func getPolicy(ctx context.Context, ns, name string) (*networkingv1.NetworkPolicy, error) {
	var np networkingv1.NetworkPolicy
	err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &np)
	return &np, err
}

// egressCIDRs lists every ipBlock of every egress rule.
func egressCIDRs(np *networkingv1.NetworkPolicy) []string {
	var out []string
	for _, r := range np.Spec.Egress {
		for _, p := range r.To {
			if p.IPBlock != nil {
				out = append(out, p.IPBlock.CIDR)
			}
		}
	}
	return out
}

func ingressCIDRs(np *networkingv1.NetworkPolicy) []string {
	var out []string
	for _, r := range np.Spec.Ingress {
		for _, p := range r.From {
			if p.IPBlock != nil {
				out = append(out, p.IPBlock.CIDR)
			}
		}
	}
	return out
}

func readyCondition(g Gomega, ctx context.Context, key types.NamespacedName) *metav1.Condition {
	var a v1alpha1.VendorAllowlist
	g.Expect(k8s.Get(ctx, key, &a)).To(Succeed())
	c := meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady)
	g.Expect(c).NotTo(BeNil(), "no Ready condition yet")
	g.Expect(c.ObservedGeneration).To(Equal(a.Generation), "Ready describes an older generation")
	return c
}

func waitReady(t *testing.T, ctx context.Context, key types.NamespacedName) {
	t.Helper()
	Eventually(func(g Gomega) {
		c := readyCondition(g, ctx, key)
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue), "Ready: %s %s", c.Reason, c.Message)
	}, timeout, poll).Should(Succeed())
}

func TestCreateRendersPoliciesAndStatus(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	fakeDNS.set("sg1.workato.com", "50.16.101.13", "198.51.100.7")

	al := workatoAllowlist(ns, "opa")
	al.Spec.Vendors = append(al.Spec.Vendors, v1alpha1.VendorSelection{
		Name: "threobuilder", Ports: []v1alpha1.Port{{Protocol: v1alpha1.ProtocolTCP, Port: 8443}},
	})
	Expect(k8s.Create(ctx, al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)
	waitReady(t, ctx, key)

	egress, err := getPolicy(ctx, ns, "opa-egress")
	Expect(err).NotTo(HaveOccurred())
	Expect(egress.Labels).To(HaveKeyWithValue(v1alpha1.ManagedByLabel, v1alpha1.ManagedByValue))
	Expect(egress.Spec.PodSelector.MatchLabels).To(Equal(map[string]string{"app": "opa"}))
	Expect(egress.Spec.PolicyTypes).To(Equal([]networkingv1.PolicyType{networkingv1.PolicyTypeEgress}))
	Expect(egressCIDRs(egress)).To(ContainElements("50.16.101.13/32", "54.84.241.116/32", "34.192.94.13/32", "198.51.100.7/32"))
	Expect(egressCIDRs(egress)).NotTo(ContainElement("52.206.58.244/32"), "deprecated address rendered")
	owner := metav1.GetControllerOf(egress)
	Expect(owner).NotTo(BeNil())
	Expect(owner.Kind).To(Equal("VendorAllowlist"))
	Expect(owner.Name).To(Equal("opa"))

	ingress, err := getPolicy(ctx, ns, "opa-ingress")
	Expect(err).NotTo(HaveOccurred())
	Expect(ingressCIDRs(ingress)).To(ConsistOf("87.236.195.76/32", "87.236.195.199/32", "87.236.195.230/32",
		"87.236.197.17/32", "87.236.197.172/32", "87.236.197.202/32"))
	Expect(ingress.Spec.Ingress[0].Ports).To(HaveLen(1))
	Expect(ingress.Spec.Ingress[0].Ports[0].Port.IntValue()).To(Equal(8443))

	var got v1alpha1.VendorAllowlist
	Expect(k8s.Get(ctx, key, &got)).To(Succeed())
	Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
	var names []string
	for _, p := range got.Status.Policies {
		names = append(names, p.Name)
	}
	Expect(names).To(ConsistOf("opa-ingress", "opa-egress"))
	sg1 := findHostname(got.Status.Hostnames, "sg1.workato.com")
	Expect(sg1).NotTo(BeNil(), "status lists no sg1.workato.com")
	var addrs []string
	for _, a := range sg1.Addresses {
		addrs = append(addrs, a.Address)
	}
	Expect(addrs).To(ContainElements("50.16.101.13", "54.84.241.116", "198.51.100.7"))
}

func findHostname(list []v1alpha1.HostnameStatus, name string) *v1alpha1.HostnameStatus {
	for i := range list {
		if string(list[i].Hostname) == name {
			return &list[i]
		}
	}
	return nil
}

// eventsAbout lists the events regarding the named object, from the API server.
func eventsAbout(ctx context.Context, ns, name string) []eventsv1.Event {
	var events eventsv1.EventList
	if err := k8s.List(ctx, &events, client.InNamespace(ns)); err != nil {
		return nil
	}
	return slices.DeleteFunc(events.Items, func(e eventsv1.Event) bool { return e.Regarding.Name != name })
}

func eventReasons(ctx context.Context, ns, name string) []string {
	var reasons []string
	for _, e := range eventsAbout(ctx, ns, name) {
		reasons = append(reasons, e.Reason)
	}
	return reasons
}

func eventMessages(ctx context.Context, ns, name, reason string) []string {
	var messages []string
	for _, e := range eventsAbout(ctx, ns, name) {
		if e.Reason == reason {
			messages = append(messages, e.Note)
		}
	}
	return messages
}

func TestUpdateChangesAndPrunesPolicies(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	al := workatoAllowlist(ns, "upd")
	Expect(k8s.Create(ctx, al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)
	waitReady(t, ctx, key)

	// Add a Freshchat EU ingress: an ingress policy appears with EU addresses only.
	updateAllowlist(t, ctx, key, al, func() {
		al.Spec.Vendors = append(al.Spec.Vendors, v1alpha1.VendorSelection{
			Name: "freshchat", Regions: []v1alpha1.Region{"EU"}, Ports: []v1alpha1.Port{{Port: 443}},
		})
	})
	Eventually(func(g Gomega) {
		np, err := getPolicy(ctx, ns, "upd-ingress")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(ingressCIDRs(np)).To(ContainElement("18.184.146.22/32"))
		g.Expect(ingressCIDRs(np)).NotTo(ContainElement("52.1.37.96/32"))
	}, timeout, poll).Should(Succeed())
	waitReady(t, ctx, key)

	// Drop Workato: the egress policy the allowlist no longer renders is deleted.
	updateAllowlist(t, ctx, key, al, func() {
		al.Spec.Vendors = al.Spec.Vendors[1:]
	})
	Eventually(func() bool {
		_, err := getPolicy(ctx, ns, "upd-egress")
		return apierrors.IsNotFound(err)
	}, timeout, poll).Should(BeTrue(), "stale egress policy not deleted")
	_, err := getPolicy(ctx, ns, "upd-ingress")
	Expect(err).NotTo(HaveOccurred())

	// Each change to the policies in place has its event; the first policies had
	// none (the Ready condition names them).
	Eventually(func() []string { return eventMessages(ctx, ns, "upd", v1alpha1.ReasonPoliciesApplied) }, timeout, poll).Should(ConsistOf(
		"NetworkPolicies created upd-ingress", "NetworkPolicies deleted upd-egress"))
}

func TestVendorObjectAddsAndOverridesVendors(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	ns := newNamespace(t)

	// An allowlist naming a vendor that does not exist yet waits, Ready=False.
	al := &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "acme"},
		Spec:       v1alpha1.VendorAllowlistSpec{Vendors: []v1alpha1.VendorSelection{{Name: v1alpha1.ObjectName("acme-" + ns)}}},
	}
	Expect(k8s.Create(ctx, al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)
	Eventually(func(g Gomega) {
		c := readyCondition(g, ctx, key)
		g.Expect(c.Reason).To(Equal(v1alpha1.ReasonUnknownVendor))
	}, timeout, poll).Should(Succeed())

	vendor := &v1alpha1.Vendor{
		ObjectMeta: metav1.ObjectMeta{Name: "acme-" + ns},
		Spec: v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{{
			Name: "api", Direction: v1alpha1.DirectionEgress,
			Ports:     []v1alpha1.Port{{Protocol: v1alpha1.ProtocolTCP, Port: 443}},
			Addresses: []v1alpha1.PublishedAddress{{CIDR: "203.0.113.0/28"}},
		}}},
	}
	Expect(k8s.Create(ctx, vendor)).To(Succeed())
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), vendor) })
	waitReady(t, ctx, key)
	Eventually(func(g Gomega) {
		np, err := getPolicy(ctx, ns, "acme-egress")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(egressCIDRs(np)).To(ConsistOf("203.0.113.0/28"))
	}, timeout, poll).Should(Succeed())

	// Changing the Vendor (within the bounds: it removes half of the group's
	// addresses, and adds fewer than a /24 and a /48) re-renders the allowlists that
	// use it.
	Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(vendor), vendor); err != nil {
			return err
		}
		vendor.Spec.Endpoints[0].Addresses = []v1alpha1.PublishedAddress{{CIDR: "203.0.113.0/29"}, {CIDR: "203.0.113.64/28"}, {CIDR: "2001:db8::/48"}}
		return k8s.Update(ctx, vendor)
	})).To(Succeed())
	Eventually(func(g Gomega) {
		np, err := getPolicy(ctx, ns, "acme-egress")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(egressCIDRs(np)).To(ConsistOf("203.0.113.0/29", "203.0.113.64/28", "2001:db8::/48"))
	}, timeout, poll).Should(Succeed())
}

func TestVendorObjectOverridesBuiltin(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	al := &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "threo"},
		Spec: v1alpha1.VendorAllowlistSpec{Vendors: []v1alpha1.VendorSelection{
			{Name: "threobuilder", Ports: []v1alpha1.Port{{Port: 443}}},
		}},
	}
	Expect(k8s.Create(ctx, al)).To(Succeed())
	waitReady(t, ctx, client.ObjectKeyFromObject(al))

	override := &v1alpha1.Vendor{
		ObjectMeta: metav1.ObjectMeta{Name: "threobuilder"},
		Spec: v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{{
			Name: "agents", Direction: v1alpha1.DirectionIngress,
			Addresses: []v1alpha1.PublishedAddress{{CIDR: "87.236.195.76/32"}, {CIDR: "192.0.2.10/32"}},
		}}},
	}
	Expect(k8s.Create(ctx, override)).To(Succeed())
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), override) })

	// Six published addresses down to two is more than half of the group gone: the
	// allowlist keeps its policy and says why until an admin approves generation 1.
	key := client.ObjectKeyFromObject(al)
	Eventually(func(g Gomega) {
		c := readyCondition(g, ctx, key)
		g.Expect(c.Reason).To(Equal(v1alpha1.ReasonVendorChangeHeld))
		g.Expect(c.Message).To(ContainSubstring("group agents shrank from 6 entries to 2"))
		g.Expect(c.Message).To(ContainSubstring("kubectl annotate vendor threobuilder " + v1alpha1.ApproveGenerationAnnotation + "=1"))
	}, timeout, poll).Should(Succeed())
	np, err := getPolicy(ctx, ns, "threo-ingress")
	Expect(err).NotTo(HaveOccurred())
	Expect(ingressCIDRs(np)).To(HaveLen(6), "the policy in place must stay while the change is held")

	Expect(k8s.Get(ctx, client.ObjectKeyFromObject(override), override)).To(Succeed())
	override.Annotations = map[string]string{v1alpha1.ApproveGenerationAnnotation: "1"}
	Expect(k8s.Update(ctx, override)).To(Succeed())
	Eventually(func(g Gomega) {
		np, err := getPolicy(ctx, ns, "threo-ingress")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(ingressCIDRs(np)).To(ConsistOf("87.236.195.76/32", "192.0.2.10/32"))
	}, timeout, poll).Should(Succeed())
	waitReady(t, ctx, key)
}

// A mistake in the allowlist is reported and leaves the policies in place untouched.
func TestInvalidReferencesKeepExistingPolicies(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(*v1alpha1.VendorAllowlist)
		reason string
		names  string
	}{
		{"unknown vendor", func(a *v1alpha1.VendorAllowlist) { a.Spec.Vendors[0].Name = "wrokato" }, v1alpha1.ReasonUnknownVendor, "wrokato"},
		{"unknown endpoint group", func(a *v1alpha1.VendorAllowlist) {
			a.Spec.Vendors[0].Endpoints = []v1alpha1.ObjectName{"opa-gateway"}
		}, v1alpha1.ReasonUnknownEndpoint, "opa-gateway"},
		{"unknown region", func(a *v1alpha1.VendorAllowlist) {
			a.Spec.Vendors[1].Regions = []v1alpha1.Region{"APAC"}
		}, v1alpha1.ReasonUnknownRegion, "APAC"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			RegisterTestingT(t)
			ctx := context.Background()
			ns := newNamespace(t)
			al := workatoAllowlist(ns, "bad")
			al.Spec.Vendors = append(al.Spec.Vendors, v1alpha1.VendorSelection{
				Name: "freshchat", Regions: []v1alpha1.Region{"US"}, Ports: []v1alpha1.Port{{Port: 443}},
			})
			Expect(k8s.Create(ctx, al)).To(Succeed())
			key := client.ObjectKeyFromObject(al)
			waitReady(t, ctx, key)
			before := policyVersions(ctx, ns)
			Expect(before).To(HaveLen(2), "case %d", i)

			updateAllowlist(t, ctx, key, al, func() {
				tc.break_(al)
			})
			Eventually(func(g Gomega) {
				c := readyCondition(g, ctx, key)
				g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
				g.Expect(c.Reason).To(Equal(tc.reason))
				g.Expect(c.Message).To(ContainSubstring(tc.names))
				g.Expect(c.Message).To(ContainSubstring("spec.vendors["))
			}, timeout, poll).Should(Succeed())
			Eventually(func() []string { return eventReasons(ctx, ns, "bad") }, timeout, poll).Should(ContainElement(tc.reason))
			Consistently(func() map[string]string { return policyVersions(ctx, ns) }, 2*time.Second, 200*time.Millisecond).
				Should(Equal(before), "policies changed while the allowlist was invalid")
		})
	}
}

// policyVersions maps each NetworkPolicy in ns to its resourceVersion.
func policyVersions(ctx context.Context, ns string) map[string]string {
	var list networkingv1.NetworkPolicyList
	if err := k8s.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return nil
	}
	out := map[string]string{}
	for _, np := range list.Items {
		out[np.Name] = np.ResourceVersion
	}
	return out
}

func TestDriftIsPutBack(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	al := workatoAllowlist(ns, "drift")
	Expect(k8s.Create(ctx, al)).To(Succeed())
	waitReady(t, ctx, client.ObjectKeyFromObject(al))
	want, err := getPolicy(ctx, ns, "drift-egress")
	Expect(err).NotTo(HaveOccurred())

	// Someone widens the policy by hand: the operator puts its content back.
	edited := want.DeepCopy()
	edited.Spec.Egress[len(edited.Spec.Egress)-1].To = []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "8.8.8.0/24"}}}
	Expect(k8s.Update(ctx, edited)).To(Succeed())
	Eventually(func(g Gomega) {
		np, err := getPolicy(ctx, ns, "drift-egress")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(np.ResourceVersion).NotTo(Equal(edited.ResourceVersion))
		g.Expect(np.Spec).To(Equal(want.Spec))
	}, timeout, poll).Should(Succeed())

	// Someone deletes it: it comes back.
	Expect(k8s.Delete(ctx, want)).To(Succeed())
	Eventually(func(g Gomega) {
		np, err := getPolicy(ctx, ns, "drift-egress")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(np.UID).NotTo(Equal(want.UID))
		g.Expect(np.Spec).To(Equal(want.Spec))
	}, timeout, poll).Should(Succeed())

	// Someone removes the managed-by label, which takes the policy out of the
	// manager's cache: the operator still knows it for its own and puts the label back.
	np, err := getPolicy(ctx, ns, "drift-egress")
	Expect(err).NotTo(HaveOccurred())
	delete(np.Labels, v1alpha1.ManagedByLabel)
	Expect(k8s.Update(ctx, np)).To(Succeed())
	Eventually(func(g Gomega) {
		got, err := getPolicy(ctx, ns, "drift-egress")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got.UID).To(Equal(np.UID))
		g.Expect(got.Labels).To(HaveKeyWithValue(v1alpha1.ManagedByLabel, v1alpha1.ManagedByValue))
		g.Expect(got.Spec).To(Equal(want.Spec))
	}, timeout, poll).Should(Succeed())
}

func TestUnownedPolicyIsLeftAloneAndReported(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	theirs := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "mine-egress", Labels: map[string]string{"team": "payments"}},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "payments"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
		},
	}
	Expect(k8s.Create(ctx, theirs)).To(Succeed())
	Expect(k8s.Get(ctx, client.ObjectKeyFromObject(theirs), theirs)).To(Succeed())

	al := workatoAllowlist(ns, "mine")
	Expect(k8s.Create(ctx, al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)
	Eventually(func(g Gomega) {
		c := readyCondition(g, ctx, key)
		g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(c.Reason).To(Equal(v1alpha1.ReasonPolicyConflict))
		g.Expect(c.Message).To(ContainSubstring("mine-egress"))
	}, timeout, poll).Should(Succeed())
	Eventually(func() []string { return eventReasons(ctx, ns, "mine") }, timeout, poll).Should(ContainElement(v1alpha1.ReasonPolicyConflict))
	got, err := getPolicy(ctx, ns, "mine-egress")
	Expect(err).NotTo(HaveOccurred())
	Expect(got.ResourceVersion).To(Equal(theirs.ResourceVersion), "the operator wrote to a policy it does not own")
	Expect(metav1.GetControllerOf(got)).To(BeNil())
}

func TestNoOpReconcileWritesNothing(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	fakeDNS.set("www.workato.com", "192.0.2.80")
	fakeDNS.set("apim.workato.com", "192.0.2.81")
	al := workatoAllowlist(ns, "steady")
	al.Spec.Vendors[0].Endpoints = append(al.Spec.Vendors[0].Endpoints, "web")
	al.Spec.Vendors = append(al.Spec.Vendors, v1alpha1.VendorSelection{
		Name: "freshchat", Ports: []v1alpha1.Port{{Port: 443}, {Port: 8000, EndPort: ptr.To[int32](8100)}},
	})
	Expect(k8s.Create(ctx, al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)
	waitReady(t, ctx, key)
	// Let any reconcile still queued from creation finish.
	time.Sleep(time.Second)

	policies := policyVersions(ctx, ns)
	Expect(policies).To(HaveLen(2))

	// Label and annotation changes trigger reconciles that change nothing rendered.
	for i := range 4 {
		before := reconcileCount(key)
		updateAllowlist(t, ctx, key, al, func() {
			al.Labels = map[string]string{"touched": fmt.Sprint(i)}
		})
		touchedVersion := al.ResourceVersion
		Eventually(func() int64 { return reconcileCount(key) }, timeout, poll).Should(BeNumerically(">", before))

		Expect(policyVersions(ctx, ns)).To(Equal(policies), "a reconcile with nothing to change wrote a policy")
		var got v1alpha1.VendorAllowlist
		Expect(k8s.Get(ctx, key, &got)).To(Succeed())
		Expect(got.ResourceVersion).To(Equal(touchedVersion), "a reconcile with nothing to change wrote the status")
	}
}

func TestCustomerHostnamesRenderResolvedAddresses(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	host := "frontend1." + ns + ".example.com"
	fakeDNS.set(host, "198.51.100.21")
	pending := "partner." + ns + ".example.com" // DNS never answers for it
	al := &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "os"},
		Spec: v1alpha1.VendorAllowlistSpec{Vendors: []v1alpha1.VendorSelection{{
			Name: "outsystems", Endpoints: []v1alpha1.ObjectName{"front-ends"},
			Hostnames: []v1alpha1.Hostname{v1alpha1.Hostname(host)}, Ports: []v1alpha1.Port{{Port: 443}},
		}}, Custom: []v1alpha1.CustomEntry{{
			Name: "partner", Direction: v1alpha1.DirectionIngress,
			Hostnames: []v1alpha1.Hostname{v1alpha1.Hostname(pending)}, Ports: []v1alpha1.Port{{Port: 8443}},
		}}},
	}
	Expect(k8s.Create(ctx, al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)
	// The hostname DNS has not answered for is named, with what it means, and the
	// allowlist is still at work (Reconciling), not Ready.
	Eventually(func(g Gomega) {
		c := readyCondition(g, ctx, key)
		g.Expect(c.Reason).To(Equal(v1alpha1.ReasonAwaitingDNS))
		g.Expect(c.Message).To(Equal("Waiting for DNS to give an address for " + pending +
			"; the rules naming only them are left out of the policies meanwhile (status.hostnames has the lookup errors)"))
	}, timeout, poll).Should(Succeed())
	np, err := getPolicy(ctx, ns, "os-ingress")
	Expect(err).NotTo(HaveOccurred())
	Expect(ingressCIDRs(np)).To(Equal([]string{"198.51.100.21/32"}))
	Expect(slices.ContainsFunc(np.Spec.Ingress[0].Ports, func(p networkingv1.NetworkPolicyPort) bool {
		return p.Port.IntValue() == 443
	})).To(BeTrue())
}

// statusManagers are the field managers of an object's status subresource.
func statusManagers(o client.Object) []string {
	var out []string
	for _, e := range o.GetManagedFields() {
		if e.Subresource == "status" {
			out = append(out, e.Manager)
		}
	}
	return out
}

// The statuses the operator writes name it as their field manager, as its policies
// do: kubectl's --show-managed-fields tells who wrote them, whatever the binary's
// file is called.
func TestStatusIsWrittenUnderTheOperatorsName(t *testing.T) {
	RegisterTestingT(t)
	ctx := context.Background()
	ns := newNamespace(t)

	vendor := &v1alpha1.Vendor{
		ObjectMeta: metav1.ObjectMeta{Name: "owner-" + ns},
		Spec: v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{{
			Name: "api", Direction: v1alpha1.DirectionEgress,
			Ports:     []v1alpha1.Port{{Protocol: v1alpha1.ProtocolTCP, Port: 443}},
			Addresses: []v1alpha1.PublishedAddress{{CIDR: "203.0.113.0/28"}},
		}}},
	}
	Expect(k8s.Create(ctx, vendor)).To(Succeed())
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), vendor) })
	al := &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "owner"},
		Spec:       v1alpha1.VendorAllowlistSpec{Vendors: []v1alpha1.VendorSelection{{Name: v1alpha1.ObjectName(vendor.Name)}}},
	}
	Expect(k8s.Create(ctx, al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)
	waitReady(t, ctx, key)

	var got v1alpha1.VendorAllowlist
	Expect(k8s.Get(ctx, key, &got)).To(Succeed())
	Expect(statusManagers(&got)).To(ConsistOf(v1alpha1.FieldOwner), "the allowlist's status managers")
	Eventually(func(g Gomega) {
		var v v1alpha1.Vendor
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(vendor), &v)).To(Succeed())
		g.Expect(meta.FindStatusCondition(v.Status.Conditions, v1alpha1.ConditionAccepted)).NotTo(BeNil())
		g.Expect(statusManagers(&v)).To(ConsistOf(v1alpha1.FieldOwner), "the Vendor's status managers")
	}, timeout, poll).Should(Succeed())
}
