/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package security

import (
	"context"
	"strconv"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
)

// A tenant who may write an allowlist cannot use it to write the NetworkPolicy they
// may not: the whole internet in two halves, the metadata service, loopback, the
// cluster's own ranges, or DNS to pods of their choosing in another namespace. The
// admission policy is not installed here: this is the renderer's line of defence.
func TestTenantCannotOpenBeyondTheLimits(t *testing.T) {
	g := NewWithT(t)
	srv := testdns.Start(t)
	ns := newNamespace(t, "wide")
	startManager(t, srv, []string{ns})
	tc := tenant(t, ns, "tenant-wide")

	refused := []string{
		"0.0.0.0/1", "128.0.0.0/1", // the IPv4 internet
		"::/1", "8000::/1", // the IPv6 internet
		"169.254.169.254/32", // the cloud metadata service
		"127.0.0.0/8",        // the node's loopback
		"10.244.0.0/16",      // the pods
		"10.96.0.0/12",       // the services
		"64:ff9b::a60:1/128", // the service range again, through NAT64
	}
	al := &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "wide"},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: selector("app"),
			ClusterDNS:  &v1alpha1.ClusterDNS{Namespace: "team-b", PodSelector: &metav1.LabelSelector{}},
			Custom: []v1alpha1.CustomEntry{{
				Name: "everything", Direction: v1alpha1.DirectionEgress, AllPorts: true,
				CIDRs: cidrList(append(refused, "52.1.37.96/32")...),
			}},
		},
	}
	g.Expect(tc.Create(context.Background(), al)).To(Succeed())
	c := waitCondition(t, client.ObjectKeyFromObject(al), metav1.ConditionFalse, v1alpha1.ReasonTenantLimitExceeded, timeout)
	for i, cidr := range refused {
		g.Expect(c.Message).To(ContainSubstring("spec.custom[0].cidrs[%d]: Forbidden: %s: ", i, cidr))
	}
	g.Expect(c.Message).To(ContainSubstring("spec.clusterDNS: Forbidden"))
	g.Expect(c.Message).To(ContainSubstring("--tenant-min-prefix-length-ipv4"))
	g.Expect(c.Message).To(ContainSubstring("--tenant-allow-ranges"))

	np := policy(g, ns, "wide-egress")
	g.Expect(cidrs(np)).To(Equal([]string{"52.1.37.96/32"}), "only the public /32 may be rendered")
	dns := np.Spec.Egress[0]
	g.Expect(dns.To[0].NamespaceSelector.MatchLabels).To(Equal(map[string]string{"kubernetes.io/metadata.name": "kube-system"}))
	g.Expect(dns.To[0].PodSelector.MatchLabels).To(Equal(map[string]string{"k8s-app": "kube-dns"}))
	g.Eventually(func(g Gomega) {
		g.Expect(warnings(g, ns, "VendorAllowlist", "wide")).To(HaveKey(v1alpha1.ReasonTenantLimitExceeded))
	}, timeout, poll).Should(Succeed())

	// Fixed, the allowlist is Ready again.
	var current v1alpha1.VendorAllowlist
	g.Expect(tc.Get(context.Background(), client.ObjectKeyFromObject(al), &current)).To(Succeed())
	current.Spec.ClusterDNS = nil
	current.Spec.Custom[0].CIDRs = cidrList("52.1.37.96/32")
	g.Expect(tc.Update(context.Background(), &current)).To(Succeed())
	waitCondition(t, client.ObjectKeyFromObject(al), metav1.ConditionTrue, v1alpha1.ReasonReconciled, timeout)
}

// A hostname a tenant controls answers with IPv4 embedded in IPv6: each form would
// reach the embedded address through the cluster's translator, so each is classified
// as that address, and none is rendered.
func TestEmbeddedIPv4AnswersAreNotRendered(t *testing.T) {
	g := NewWithT(t)
	const host = "rebind.tenant.example.com"
	embedded := []string{
		"64:ff9b::a00:1",                       // NAT64 of 10.0.0.1
		"64:ff9b::a9fe:a9fe",                   // NAT64 of 169.254.169.254
		"64:ff9b:1:a00:0:100::",                // local-use NAT64 (RFC 8215)
		"2002:a00:1::1",                        // 6to4 of 10.0.0.1
		"2001:0:4136:e378:8000:63bf:f5ff:fffe", // Teredo, client 10.0.0.1 (obfuscated)
		"::a00:1",                              // IPv4-compatible 10.0.0.1
		"::ffff:0:a00:1",                       // IPv4-translated 10.0.0.1
		"64:ff9b::a60:a",                       // NAT64 of the service range (10.96.0.10)
	}
	srv := testdns.Start(t, testdns.WithHost(host, append(embedded, "2001:db8::77", "198.51.100.77")...))
	ns := newNamespace(t, "embedded")
	startManager(t, srv, []string{ns})
	tc := tenant(t, ns, "tenant-embedded")
	al := &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api"},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: selector("app"),
			Custom: []v1alpha1.CustomEntry{{
				Name: "api", Direction: v1alpha1.DirectionEgress, Ports: ports(443),
				Hostnames: hostnames(host), PrivateAddresses: v1alpha1.PrivateAddressesBlock,
			}},
		},
	}
	g.Expect(tc.Create(context.Background(), al)).To(Succeed())
	waitCondition(t, client.ObjectKeyFromObject(al), metav1.ConditionTrue, v1alpha1.ReasonReconciled, timeout)
	g.Expect(cidrs(policy(g, ns, "api-egress"))).To(Equal([]string{"198.51.100.77/32", "2001:db8::77/128"}))
	a := getAllowlist(g, client.ObjectKeyFromObject(al))
	g.Expect(a.Status.Hostnames).To(HaveLen(1))
	g.Expect(a.Status.Hostnames[0].BlockedAddresses).To(BeEquivalentTo(len(embedded)))
}

// The per-hostname cap is visible: status, Ready and a metric say how many addresses
// it dropped.
func TestDroppedAddressesAreReported(t *testing.T) {
	g := NewWithT(t)
	const host = "big.partner.example.com"
	var many []string
	for i := range 300 {
		many = append(many, "198.51.100."+strconv.Itoa(i%256))
	}
	// 300 distinct addresses: 198.51.100.0-255 and 203.0.113.0-43.
	for i := 256; i < 300; i++ {
		many[i] = "203.0.113." + strconv.Itoa(i-256)
	}
	srv := testdns.Start(t, testdns.WithHost(host, many...))
	ns := newNamespace(t, "cap")
	m := startManager(t, srv, []string{ns})
	al := &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "big"},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: selector("app"),
			Custom: []v1alpha1.CustomEntry{{
				Name: "big", Direction: v1alpha1.DirectionEgress, Ports: ports(443), Hostnames: hostnames(host),
			}},
		},
	}
	g.Expect(k8s.Create(context.Background(), al)).To(Succeed())
	c := waitCondition(t, client.ObjectKeyFromObject(al), metav1.ConditionTrue, v1alpha1.ReasonReconciled, timeout)
	g.Expect(c.Message).To(ContainSubstring(host + " (44 dropped, 256 kept)"))
	a := getAllowlist(g, client.ObjectKeyFromObject(al))
	g.Expect(a.Status.Hostnames[0].DroppedAddresses).To(BeEquivalentTo(44))
	g.Expect(cidrs(policy(g, ns, "big-egress"))).To(HaveLen(256))

	families, err := m.Registry.Gather()
	g.Expect(err).NotTo(HaveOccurred())
	var dropped float64 = -1
	for _, f := range families {
		if f.GetName() != "vendorallowlist_dns_dropped_addresses" {
			continue
		}
		for _, metric := range f.GetMetric() {
			for _, l := range metric.GetLabel() {
				if l.GetName() == "hostname" && l.GetValue() == host {
					dropped = metric.GetGauge().GetValue()
				}
			}
		}
	}
	g.Expect(dropped).To(Equal(44.0), "vendorallowlist_dns_dropped_addresses{hostname=%q}", host)
}
