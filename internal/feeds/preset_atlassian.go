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

// Atlassian's direction field is seen from Atlassian, the opposite of a group's
// Direction, which is seen from the pods:
//
//   - egress: connections Atlassian makes to the internet (webhooks, application links
//     to servers in the cluster, email, its crawlers): Ingress for the pods.
//   - ingress: connections into Atlassian (browsers, API clients, git): Egress for
//     the pods.
//
// Where this comes from: Atlassian's "IP addresses and domains for Atlassian cloud
// products" page (https://confluence.atlassian.com/cloud/atlassian-cloud-ip-ranges-and-domains-744721662.html,
// since moved to support.atlassian.com), which added direction to
// https://ip-ranges.atlassian.com/ in January 2022 as Atlassian network engineering
// explains in https://jira.atlassian.com/browse/ACCESS-1771; and the feed itself,
// where the networks only Atlassian originates traffic from carry egress alone:
// product email (167.89.0.0/17, its mail relay) and rovo-crawler (testdata/atlassian.json).
var atlassianDirection = map[v1alpha1.Direction]string{
	v1alpha1.DirectionIngress: "egress",
	v1alpha1.DirectionEgress:  "ingress",
}

// AtlassianDirection is the value of Atlassian's direction filter that selects the
// networks of a group with the given Direction (seen from the pods).
func AtlassianDirection(d v1alpha1.Direction) string { return atlassianDirection[d] }

var _ = register(Preset{
	Name:  "atlassian",
	Title: "Atlassian",
	URL:   "https://ip-ranges.atlassian.com/",
	Filters: []Filter{
		{
			Key: "direction",
			Description: "Atlassian lists networks for traffic into Atlassian (ingress: the pods connect to Atlassian) " +
				"and out of Atlassian (egress: Atlassian connects to the pods, as webhooks do)",
			Values:   []string{"egress", "ingress"},
			Required: true,
		},
		{
			Key:         "product",
			Description: "the Atlassian product the networks serve",
			Pattern:     regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`),
			Example:     "an Atlassian product as the feed names it, such as jira, confluence or bitbucket",
		},
		{
			Key:         "region",
			Description: "the region the networks serve; Atlassian advises against narrowing by region, since it moves traffic between regions",
			Pattern:     regexp.MustCompile(`^(global|[a-z]{2}(-[a-z]+)+-[0-9]+)$`),
			Example:     "a region as the feed names it, such as us-east-1 or global",
		},
	},
	VersionFields: []string{"syncToken", "creationDate"},
	Groups:        atlassianGroups(),
	extract:       extractAtlassian,
})

func atlassianGroups() []NaturalGroup {
	var out []NaturalGroup
	for _, p := range []struct {
		product string
		ports   []v1alpha1.Port
		to      string
	}{
		{"jira", tcp(443), "Jira Cloud's web UI and REST API over HTTPS"},
		{"confluence", tcp(443), "Confluence Cloud's web UI and REST API over HTTPS"},
		{"bitbucket", tcp(22, 443), "Bitbucket Cloud over SSH (22) and HTTPS (443)"},
	} {
		out = append(out,
			NaturalGroup{Name: p.product, Direction: v1alpha1.DirectionEgress, Ports: p.ports,
				Filters:     map[string][]string{"product": {p.product}, "direction": {AtlassianDirection(v1alpha1.DirectionEgress)}},
				Description: "The pods reach " + p.to + "."},
			NaturalGroup{Name: p.product + "-webhooks", Direction: v1alpha1.DirectionIngress,
				Filters:     map[string][]string{"product": {p.product}, "direction": {AtlassianDirection(v1alpha1.DirectionIngress)}},
				Description: "Atlassian delivers " + p.product + " webhooks and application-link calls to the pods from these addresses."})
	}
	return out
}

type atlassianItem struct {
	CIDR      string   `json:"cidr"`
	Region    []string `json:"region"`
	Product   []string `json:"product"`
	Direction []string `json:"direction"`
}

func extractAtlassian(r io.Reader, f filterSet, c *collector) (Version, error) {
	var v Version
	err := readDocument(r, func(dec *json.Decoder) error {
		return walkObject(dec, "Atlassian's ip-ranges document", func(key string) error {
			var err error
			switch key {
			case "syncToken":
				v.Serial, err = decodeScalar(dec, position{list: key, index: -1})
			case "creationDate":
				v.Published, err = decodeScalar(dec, position{list: key, index: -1})
			case "items":
				var it atlassianItem
				err = walkArray(dec, key, func(i int) error {
					it = atlassianItem{}
					if err := decodeValue(dec, position{list: key, index: i}, &it); err != nil {
						return err
					}
					if !f.keepsAny("direction", it.Direction) || !f.keepsAny("product", it.Product) || !f.keepsAny("region", it.Region) {
						return nil
					}
					return c.add(it.CIDR, position{list: key, index: i, field: "cidr"})
				})
			default:
				err = skipValue(dec)
			}
			return err
		})
	})
	return v, err
}
