package security

import (
	"context"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/testdns"
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
	held("group webhooks widened from 4 entries, 4 IPv4 addresses")

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
