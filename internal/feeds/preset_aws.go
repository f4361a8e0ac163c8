/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package feeds

import (
	"encoding/json"
	"io"
	"regexp"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

var _ = register(Preset{
	Name:  "aws",
	Title: "AWS",
	URL:   "https://ip-ranges.amazonaws.com/ip-ranges.json",
	Filters: []Filter{
		{
			Key:         "service",
			Description: "the AWS service the networks belong to, as ip-ranges.json names it",
			Pattern:     regexp.MustCompile(`^[A-Z0-9_]+$`),
			Example:     "an AWS service name as ip-ranges.json writes it, such as EC2, S3 or CLOUDFRONT_ORIGIN_FACING",
		},
		{
			Key:         "region",
			Description: "the AWS region the networks are in",
			Pattern:     regexp.MustCompile(`^(GLOBAL|[a-z]{2}(-[a-z]+)+-[0-9]+)$`),
			Example:     "an AWS region such as us-east-1, or GLOBAL",
		},
	},
	VersionFields: []string{"syncToken", "createDate"},
	Groups: []NaturalGroup{
		{Name: "route53-healthchecks", Direction: v1alpha1.DirectionIngress,
			Filters:     map[string][]string{"service": {"ROUTE53_HEALTHCHECKS"}},
			Description: "Route 53 health checkers probe endpoints in the cluster from these addresses."},
		{Name: "cloudfront-origin-facing", Direction: v1alpha1.DirectionIngress,
			Filters:     map[string][]string{"service": {"CLOUDFRONT_ORIGIN_FACING"}},
			Description: "CloudFront fetches from origins in the cluster from these addresses."},
	},
	extract: extractAWS,
})

// awsPrefix is one element of ip-ranges.json's prefixes or ipv6_prefixes.
type awsPrefix struct {
	IPPrefix   string `json:"ip_prefix"`
	IPv6Prefix string `json:"ipv6_prefix"`
	Region     string `json:"region"`
	Service    string `json:"service"`
}

func extractAWS(r io.Reader, f filterSet, c *collector) (Version, error) {
	var v Version
	err := readDocument(r, func(dec *json.Decoder) error {
		return walkObject(dec, "AWS's ip-ranges.json", func(key string) error {
			var err error
			switch key {
			case "syncToken":
				v.Serial, err = decodeScalar(dec, position{list: key, index: -1})
			case "createDate":
				v.Published, err = decodeScalar(dec, position{list: key, index: -1})
			case "prefixes", "ipv6_prefixes":
				err = collectAWSPrefixes(dec, key, f, c)
			default:
				err = skipValue(dec)
			}
			return err
		})
	})
	return v, err
}

func collectAWSPrefixes(dec *json.Decoder, list string, f filterSet, c *collector) error {
	field := "ip_prefix"
	if list == "ipv6_prefixes" {
		field = "ipv6_prefix"
	}
	var e awsPrefix
	return walkArray(dec, list, func(i int) error {
		e = awsPrefix{}
		at := position{list: list, index: i, field: field}
		if err := decodeValue(dec, position{list: list, index: i}, &e); err != nil {
			return err
		}
		if !f.keeps("service", e.Service) || !f.keeps("region", e.Region) {
			return nil
		}
		if list == "ipv6_prefixes" {
			return c.add(e.IPv6Prefix, at)
		}
		return c.add(e.IPPrefix, at)
	})
}
