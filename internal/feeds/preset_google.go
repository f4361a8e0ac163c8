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

// googleLists are Google's two documents
// (https://support.google.com/a/answer/10026322): goog.json, the ranges of Google's
// services, and cloud.json, the ranges Google Cloud customers' resources use, by
// scope (region).
var googleLists = map[string]string{
	"goog":  "https://www.gstatic.com/ipranges/goog.json",
	"cloud": "https://www.gstatic.com/ipranges/cloud.json",
}

var _ = register(Preset{
	Name:  "google",
	Title: "Google",
	URL:   "https://www.gstatic.com/ipranges/{list}.json",
	Filters: []Filter{
		{
			Key:             "list",
			Description:     "Google publishes its services' ranges (goog) and Google Cloud's customer ranges (cloud) as two documents",
			Values:          []string{"goog", "cloud"},
			Required:        true,
			ChoosesDocument: true,
		},
		{
			Key:         "scope",
			Description: "the Google Cloud region, or global, of cloud.json's ranges",
			Pattern:     regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`),
			Example:     "a Google Cloud scope such as us-central1 or global",
		},
		{
			Key:         "service",
			Description: "the service cloud.json names for a range",
			Pattern:     regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ]*$`),
			Example:     "a service as cloud.json names it, such as Google Cloud",
		},
	},
	VersionFields: []string{"syncToken", "creationTime"},
	Groups: []NaturalGroup{
		{Name: "services", Direction: v1alpha1.DirectionEgress, Ports: tcp(443), Filters: map[string][]string{"list": {"goog"}},
			Description: "The pods reach Google's services, such as its APIs, over HTTPS (goog.json, which includes Google Cloud's customer ranges)."},
	},
	urlFor: func(f filterSet) string { return googleLists[f.only("list")] },
	validate: func(f filterSet) error {
		if f.only("list") != "goog" {
			return nil
		}
		for _, key := range []string{"scope", "service"} {
			if f.has(key) {
				return invalidSource("filters."+key, "goog.json has no %s: use list cloud to select by %s, or remove the filter", key, key)
			}
		}
		return nil
	},
	extract: extractGoogle,
})

type googlePrefix struct {
	IPv4    string `json:"ipv4Prefix"`
	IPv6    string `json:"ipv6Prefix"`
	Service string `json:"service"`
	Scope   string `json:"scope"`
}

func extractGoogle(r io.Reader, f filterSet, c *collector) (Version, error) {
	var v Version
	err := readDocument(r, func(dec *json.Decoder) error {
		return walkObject(dec, "Google's ip ranges document", func(key string) error {
			var err error
			switch key {
			case "syncToken":
				v.Serial, err = decodeScalar(dec, position{list: key, index: -1})
			case "creationTime":
				v.Published, err = decodeScalar(dec, position{list: key, index: -1})
			case "prefixes":
				var e googlePrefix
				err = walkArray(dec, key, func(i int) error {
					e = googlePrefix{}
					if err := decodeValue(dec, position{list: key, index: i}, &e); err != nil {
						return err
					}
					if !f.keeps("scope", e.Scope) || !f.keeps("service", e.Service) {
						return nil
					}
					if e.IPv6 != "" {
						return c.add(e.IPv6, position{list: key, index: i, field: "ipv6Prefix"})
					}
					return c.add(e.IPv4, position{list: key, index: i, field: "ipv4Prefix"})
				})
			default:
				err = skipValue(dec)
			}
			return err
		})
	})
	return v, err
}
