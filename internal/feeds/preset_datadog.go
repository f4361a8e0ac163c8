/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package feeds

import (
	"encoding/json"
	"io"
	"regexp"
	"strings"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// datadogSites are Datadog's sites, each with its own ip-ranges host
// (https://docs.datadoghq.com/api/latest/ip-ranges/).
var datadogSites = []string{
	"datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com", "datadoghq.eu",
	"ap1.datadoghq.com", "ap2.datadoghq.com", "ddog-gov.com",
}

// datadogServices are the sections of Datadog's document.
var datadogServices = []string{
	"agents", "api", "apm", "global", "logs", "orchestrator", "process",
	"remote-configuration", "synthetics", "synthetics-private-locations", "webhooks",
}

var _ = register(Preset{
	Name:  "datadog",
	Title: "Datadog",
	URL:   "https://ip-ranges.{site}/",
	Filters: []Filter{
		{
			Key:             "site",
			Description:     "the Datadog site the account is on; each site publishes its own ranges",
			Values:          datadogSites,
			Default:         []string{"datadoghq.com"},
			ChoosesDocument: true,
		},
		{
			Key:         "service",
			Description: "Datadog lists its ranges per service: what the Agent sends to, and what Datadog connects from",
			Values:      datadogServices,
			Required:    true,
		},
		{
			Key:         "location",
			Description: "the managed location of Synthetic tests, for service synthetics",
			Pattern:     regexp.MustCompile(`^[a-z]+:[a-z0-9-]+$`),
			Example:     "a Synthetics location such as aws:eu-central-1",
		},
	},
	VersionFields: []string{"version", "modified"},
	Groups:        datadogGroups(),
	urlFor:        func(f filterSet) string { return "https://ip-ranges." + f.only("site") + "/" },
	validate: func(f filterSet) error {
		if f.has("location") && (len(f["service"]) != 1 || !f["service"]["synthetics"]) {
			return invalidSource("filters.location", "only Synthetics ranges are published by location: use it with service synthetics alone")
		}
		return nil
	},
	extract: extractDatadog,
})

func datadogGroups() []NaturalGroup {
	groups := []NaturalGroup{
		{Name: "webhooks", Direction: v1alpha1.DirectionIngress, Filters: map[string][]string{"service": {"webhooks"}},
			Description: "Datadog delivers webhooks and integration calls to the pods from these addresses."},
		{Name: "synthetics", Direction: v1alpha1.DirectionIngress, Filters: map[string][]string{"service": {"synthetics"}},
			Description: "Datadog's managed Synthetic tests reach the pods from these addresses."},
	}
	for _, s := range []string{"agents", "api", "apm", "logs", "process", "orchestrator", "remote-configuration"} {
		groups = append(groups, NaturalGroup{Name: s, Direction: v1alpha1.DirectionEgress, Ports: tcp(443),
			Filters:     map[string][]string{"service": {s}},
			Description: "The Datadog Agent in the pods sends " + s + " data to Datadog over HTTPS."})
	}
	return groups
}

func extractDatadog(r io.Reader, f filterSet, c *collector) (Version, error) {
	var v Version
	byLocation := f.has("location")
	err := readDocument(r, func(dec *json.Decoder) error {
		return walkObject(dec, "Datadog's ip-ranges document", func(key string) error {
			switch {
			case key == "version":
				var err error
				v.Serial, err = decodeScalar(dec, position{list: key, index: -1})
				return err
			case key == "modified":
				var err error
				v.Published, err = decodeScalar(dec, position{list: key, index: -1})
				return err
			case !f.keeps("service", key):
				return skipValue(dec)
			}
			return walkObject(dec, key, func(list string) error {
				switch {
				case !byLocation && (list == "prefixes_ipv4" || list == "prefixes_ipv6"):
					return collectStringList(dec, key+"."+list, c)
				case byLocation && strings.HasSuffix(list, "_by_location"):
					return walkObject(dec, key+"."+list, func(location string) error {
						if !f.keeps("location", location) {
							return skipValue(dec)
						}
						return collectStringList(dec, key+"."+list+"."+location, c)
					})
				}
				return skipValue(dec)
			})
		})
	})
	return v, err
}
