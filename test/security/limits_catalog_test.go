/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package security

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// publicSlash16s are the 64 public /16s: 8.0.0.0/16, 9.0.0.0/16, then
// 11.0.0.0/16 on (10/8 is private, which the VPN group does open).
func publicSlash16s() []string {
	var out []string
	for octet := 8; len(out) < 64; octet++ {
		if octet != 10 {
			out = append(out, fmt.Sprintf("%d.0.0.0/16", octet))
		}
	}
	return out
}

// slash24sIn are n public /24s: 4,096 addresses make the default limit's /20.
func slash24sIn(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("52.1.%d.0/24", i))
	}
	return out
}

// vpnAllowlist supplies cidrs to OutSystems' VPN group, an Ingress group whose
// customerCIDRs (private, /16) widens the tenant limits for the VPN's private range.
func vpnAllowlist(ns, name string, cidrs ...string) *v1alpha1.VendorAllowlist {
	return &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: selector(name),
			Vendors: []v1alpha1.VendorSelection{{
				Name: "outsystems", Endpoints: []v1alpha1.ObjectName{"vpn"}, AllPorts: true, CIDRs: cidrList(cidrs...),
			}},
		},
	}
}

// Attack: a tenant bound only to the shipped vendorallowlist-edit role supplies 64
// public /16s to the OutSystems VPN group, whose customerCIDRs widens the limits to a
// /16 for the VPN's private range. The shipped admission policy refuses it, naming
// the field and the fix; so it does the same space in /24s, which the limit of one /20
// over every network the allowlist names catches. The VPN's private /16, what the
// widening is for, is admitted.
func TestTenantCannotWidenTheLimitsThroughACatalogGroup(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "catalog-widen")
	st := testenv.InstallShippedTenancy(t, env.Config, k8s)
	mallory := st.Tenant(t, ns, "mallory")
	ctx := context.Background()

	err := mallory.Create(ctx, vpnAllowlist(ns, "sixteens", publicSlash16s()...))
	g.Expect(err).To(HaveOccurred(), "64 public /16s through outsystems/vpn admitted")
	g.Expect(err.Error()).To(ContainSubstring("ValidatingAdmissionPolicy"))
	g.Expect(err.Error()).To(ContainSubstring("spec.vendors[0].cidrs[0]: 8.0.0.0/16 is broader than /24"))
	g.Expect(err.Error()).To(ContainSubstring("split it into /24 networks or narrower"))
	g.Expect(err.Error()).To(ContainSubstring("63 more networks are too broad"))

	err = mallory.Create(ctx, vpnAllowlist(ns, "twentyfours", slash24sIn(64)...))
	g.Expect(err).To(HaveOccurred(), "64 public /24s through outsystems/vpn admitted")
	g.Expect(err.Error()).To(ContainSubstring("spec.custom[].cidrs and spec.vendors[].cidrs add up to 16384 addresses, more than a /20 holds"))
	g.Expect(err.Error()).To(ContainSubstring("remove overlapping or unneeded networks"))

	var list v1alpha1.VendorAllowlistList
	g.Expect(k8s.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
	g.Expect(list.Items).To(BeEmpty())

	// What the widening is for still passes: the VPN's private /16, beside 16 public /24s.
	g.Expect(mallory.Create(ctx, vpnAllowlist(ns, "vpn", slices.Concat([]string{"10.20.0.0/16"}, slash24sIn(16))...))).To(Succeed())
}

// The same attack in an allowlist the admission policy never saw (written before it
// was installed, or with it off): the manager leaves every public /16 out and says so
// in Ready, naming spec.vendors[0].cidrs, while the VPN's private /16 in an allowlist
// already in place still renders and stays as it was. The same space in public
// /24s counts toward the allowlist's /20 of space and is left out too.
func TestManagerRefusesWideningThroughACatalogGroup(t *testing.T) {
	g := NewWithT(t)
	srv := testdns.Start(t)
	ns := newNamespace(t, "catalog-render")
	startManager(t, srv, []string{ns})
	ctx := context.Background()

	inPlace := vpnAllowlist(ns, "in-place", "10.30.0.0/16")
	g.Expect(k8s.Create(ctx, inPlace)).To(Succeed())
	waitCondition(t, client.ObjectKeyFromObject(inPlace), metav1.ConditionTrue, v1alpha1.ReasonReconciled, timeout)
	g.Expect(cidrs(policy(g, ns, "in-place-ingress"))).To(Equal([]string{"10.30.0.0/16"}))

	sixteens := publicSlash16s()
	wide := vpnAllowlist(ns, "wide", sixteens...)
	g.Expect(k8s.Create(ctx, wide)).To(Succeed())
	c := waitCondition(t, client.ObjectKeyFromObject(wide), metav1.ConditionFalse, v1alpha1.ReasonTenantLimitExceeded, timeout)
	for i, cidr := range sixteens {
		g.Expect(c.Message).To(ContainSubstring("spec.vendors[0].cidrs[%d]: Forbidden: %s: a /16 is broader than the /24 an allowlist may name (--tenant-min-prefix-length-ipv4)", i, cidr))
	}
	g.Expect(c.Message).To(ContainSubstring("outsystems/vpn takes (customerCIDRs) must lie within private ranges"))
	g.Expect(cidrs(policy(g, ns, "wide-ingress"))).To(BeEmpty(), "a public /16 supplied to the VPN group was rendered")

	twentyfours := vpnAllowlist(ns, "twentyfours", slash24sIn(64)...)
	g.Expect(k8s.Create(ctx, twentyfours)).To(Succeed())
	c = waitCondition(t, client.ObjectKeyFromObject(twentyfours), metav1.ConditionFalse, v1alpha1.ReasonTenantLimitExceeded, timeout)
	g.Expect(c.Message).To(ContainSubstring("the allowlist's networks cover 16384 addresses, merged, more than the 4096 of one /20 (--tenant-max-space-prefix-ipv4) (spec.custom[].cidrs and spec.vendors[].cidrs)"))

	for _, cidr := range policyCIDRs(g, ns) {
		g.Expect(cidr).To(Equal("10.30.0.0/16"), "a public network supplied to the VPN group was rendered")
		g.Expect(strings.HasPrefix(cidr, "52.1.")).To(BeFalse())
	}
	g.Expect(cidrs(policy(g, ns, "in-place-ingress"))).To(Equal([]string{"10.30.0.0/16"}), "the allowlist already in place changed")
	waitCondition(t, client.ObjectKeyFromObject(inPlace), metav1.ConditionTrue, v1alpha1.ReasonReconciled, timeout)
}
