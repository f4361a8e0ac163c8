/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package catalog

import (
	"bytes"
	"testing"

	. "github.com/onsi/gomega"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

func TestSummaryBuiltin(t *testing.T) {
	g := NewWithT(t)
	const (
		in  = v1alpha1.DirectionIngress
		out = v1alpha1.DirectionEgress
	)
	g.Expect(Summary(transcribed(t))).To(Equal([]GroupSummary{
		{Vendor: "freshchat", Group: "webhooks", DisplayName: "Freshchat", Direction: in, Regions: "AU,EU,IN,US", Addresses: 43, CustomerInput: "None"},
		{Vendor: "outsystems", Group: "front-ends", DisplayName: "OutSystems", Direction: in, CustomerInput: "Hostnames"},
		{Vendor: "outsystems", Group: "vpn", DisplayName: "OutSystems", Direction: in, CustomerInput: "CIDRs"},
		{Vendor: "threobuilder", Group: "agents", DisplayName: "Synthreo ThreoBuilder", Direction: in, Addresses: 6, CustomerInput: "None"},
		{Vendor: "workato", Group: "inbound", DisplayName: "Workato", Direction: in, Addresses: 3, CustomerInput: "None"},
		{Vendor: "workato", Group: "opa-gateways", DisplayName: "Workato", Direction: out, Ports: "TCP/443", Addresses: 9, Deprecated: 1, Hostnames: 3, CustomerInput: "None"},
		{Vendor: "workato", Group: "apim-custom-domains", DisplayName: "Workato", Direction: out, Ports: "TCP/443", Addresses: 3, CustomerInput: "None"},
		{Vendor: "workato", Group: "web", DisplayName: "Workato", Direction: out, Ports: "TCP/443", Hostnames: 2, CustomerInput: "None"},
	}))
}

func TestSummaryCounts(t *testing.T) {
	g := NewWithT(t)
	c, err := New([]v1alpha1.Vendor{*acme()})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(Summary(c)).To(Equal([]GroupSummary{
		// 192.0.2.0/24, 198.51.100.7/32 and 2001:db8::/48; 198.51.100.9/32 is deprecated.
		{Vendor: "acme", Group: "inbound", DisplayName: "Acme", Direction: "Ingress", Regions: "EU,US", Addresses: 3, Deprecated: 1, CustomerInput: "None"},
		// 203.0.113.10/32 and 192.0.2.0/24 once, although a second group has it too.
		{Vendor: "acme", Group: "api", DisplayName: "Acme", Direction: "Egress", Ports: "TCP/443,UDP/8000-8100", Regions: "EU", Addresses: 2, Hostnames: 2, CustomerInput: "None"},
	}))
}

func TestWriteTable(t *testing.T) {
	g := NewWithT(t)
	var buf bytes.Buffer
	g.Expect(WriteTable(&buf, transcribed(t))).To(Succeed())
	g.Expect(buf.String()).To(Equal(`` +
		"VENDOR        GROUP                DIRECTION  PORTS    REGIONS      ADDRESSES  HOSTNAMES  CUSTOMER INPUT\n" +
		"freshchat     webhooks             Ingress    -        AU,EU,IN,US  43         0          None\n" +
		"outsystems    front-ends           Ingress    -        -            0          0          Hostnames\n" +
		"outsystems    vpn                  Ingress    -        -            0          0          CIDRs\n" +
		"threobuilder  agents               Ingress    -        -            6          0          None\n" +
		"workato       inbound              Ingress    -        -            3          0          None\n" +
		"workato       opa-gateways         Egress     TCP/443  -            9          3          None\n" +
		"workato       apim-custom-domains  Egress     TCP/443  -            3          0          None\n" +
		"workato       web                  Egress     TCP/443  -            0          2          None\n"))

	buf.Reset()
	empty, err := New(nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(WriteTable(&buf, empty)).To(Succeed())
	g.Expect(buf.String()).To(Equal("VENDOR  GROUP  DIRECTION  PORTS  REGIONS  ADDRESSES  HOSTNAMES  CUSTOMER INPUT\n"))
}

// transcribed is the built-in catalog without the feed vendors, whose groups
// TestFeedVendorsInTable covers.
func transcribed(t *testing.T) *Catalog {
	vendors, err := Load(bytes.NewReader(builtinYAML))
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(vendors)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFeedVendorsInTable(t *testing.T) {
	g := NewWithT(t)
	var buf bytes.Buffer
	g.Expect(WriteTable(&buf, Builtin())).To(Succeed())
	g.Expect(buf.String()).To(MatchRegexp(`(?m)^github +hooks +Ingress +- +- +feed:github +0 +None$`))
	g.Expect(buf.String()).To(MatchRegexp(`(?m)^stripe +webhooks +Ingress +- +- +feed:stripe +0 +None$`))
	g.Expect(buf.String()).To(MatchRegexp(`(?m)^github +api +Egress +TCP/443 +- +feed:github +0 +None$`))
}
