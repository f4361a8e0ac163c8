/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package feeds

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"go4.org/netipx"
)

// awsDocument builds an ip-ranges.json of n prefixes in AWS's shape and layout (two-
// space indentation, the fields in AWS's order): three quarters IPv4, a third of
// them AMAZON, EC2 next, then a tail of smaller services, over 36 regions with
// us-east-1 the largest, as AWS's own document is. 16,000 prefixes make about 2 MB,
// the size of the real one.
func awsDocument(n int) []byte {
	type prefix struct {
		IPPrefix   string `json:"ip_prefix,omitempty"`
		IPv6Prefix string `json:"ipv6_prefix,omitempty"`
		Region     string `json:"region"`
		Service    string `json:"service"`
		Border     string `json:"network_border_group"`
	}
	type document struct {
		SyncToken  string   `json:"syncToken"`
		CreateDate string   `json:"createDate"`
		Prefixes   []prefix `json:"prefixes"`
		IPv6       []prefix `json:"ipv6_prefixes"`
	}
	services := []string{"AMAZON", "AMAZON", "AMAZON", "EC2", "EC2", "S3", "CLOUDFRONT", "ROUTE53_HEALTHCHECKS",
		"API_GATEWAY", "DYNAMODB", "AMAZON_CONNECT", "GLOBALACCELERATOR", "CLOUDFRONT_ORIGIN_FACING", "EC2_INSTANCE_CONNECT"}
	regions := []string{"us-east-1", "us-east-1", "us-east-1"}
	for _, r := range []string{"us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-south-1", "ap-south-2",
		"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-northeast-1", "ap-northeast-2",
		"ap-northeast-3", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3",
		"eu-south-1", "eu-south-2", "eu-north-1", "il-central-1", "me-south-1", "me-central-1", "sa-east-1", "us-gov-east-1",
		"us-gov-west-1", "cn-north-1", "cn-northwest-1", "GLOBAL"} {
		regions = append(regions, r)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	v4 := netip.MustParseAddr("3.0.0.0")
	v6 := netip.MustParseAddr("2600:1f00::")
	doc := document{SyncToken: "1686945790", CreateDate: "2023-06-16-20-03-10"}
	for i := range n {
		e := prefix{Region: regions[rng.IntN(len(regions))], Service: services[rng.IntN(len(services))]}
		e.Border = e.Region
		if i%4 == 3 {
			bits := 40 + rng.IntN(17)
			p := netip.PrefixFrom(v6, bits).Masked()
			e.IPv6Prefix = p.String()
			v6 = nextAfter(p)
			doc.IPv6 = append(doc.IPv6, e)
			continue
		}
		bits := 22 + rng.IntN(11)
		p := netip.PrefixFrom(v4, bits).Masked()
		if p.Addr() != v4 {
			p = netip.PrefixFrom(nextAfter(netip.PrefixFrom(v4, bits).Masked()), bits)
		}
		e.IPPrefix = p.String()
		// Leave gaps now and then, so that not everything merges.
		v4 = nextAfter(p)
		if rng.IntN(3) == 0 {
			v4 = nextAfter(netip.PrefixFrom(v4, 24).Masked())
		}
		doc.Prefixes = append(doc.Prefixes, e)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}

// nextAfter is the first address after p.
func nextAfter(p netip.Prefix) netip.Addr { return netipx.PrefixLastIP(p).Next() }

func TestAWSDocumentIsRealistic(t *testing.T) {
	doc := awsDocument(16000)
	if len(doc) < 1_800_000 || len(doc) > 2_600_000 {
		t.Errorf("the document has %d bytes, want about 2 MB", len(doc))
	}
	sel, err := Select(doc, Source{Preset: "aws", Filters: map[string][]string{"service": {"EC2"}, "region": {"us-east-1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(sel.Entries) < 200 || len(sel.Prefixes) > DefaultMaxNetworks {
		t.Errorf("EC2 in us-east-1 gives %d entries, %d networks", len(sel.Entries), len(sel.Prefixes))
	}
}

// BenchmarkSelectAWS measures selecting EC2 in us-east-1 from an AWS document of
// the real size: the preset streams the document, the CEL form decodes it whole.
func BenchmarkSelectAWS(b *testing.B) {
	doc := awsDocument(16000)
	for _, bc := range []struct {
		name string
		src  Source
	}{
		{"preset", Source{Preset: "aws", Filters: map[string][]string{"service": {"EC2"}, "region": {"us-east-1"}}}},
		{"cel", Source{Format: FormatJSON,
			Expression: `self.prefixes.filter(p, p.service == "EC2" && p.region == "us-east-1").map(p, p.ip_prefix) + ` +
				`self.ipv6_prefixes.filter(p, p.service == "EC2" && p.region == "us-east-1").map(p, p.ipv6_prefix)`}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := Compile(bc.src)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			var n int
			for b.Loop() {
				sel, err := s.Select(doc)
				if err != nil {
					b.Fatal(err)
				}
				n = len(sel.Prefixes)
			}
			b.ReportMetric(float64(n), "networks")
			b.ReportMetric(float64(len(doc))/1e6, "MB-doc")
		})
	}
}

func ExampleSelect() {
	doc := []byte(`{"WEBHOOKS": ["3.18.12.63", "3.130.192.231"]}`)
	sel, err := Select(doc, Source{Preset: "stripe", Filters: map[string][]string{"list": {"webhooks"}}})
	fmt.Println(sel.Prefixes, err)
	// Output: [3.18.12.63/32 3.130.192.231/32] <nil>
}
