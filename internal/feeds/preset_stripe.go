/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package feeds

import (
	"encoding/json"
	"io"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// stripeLists are Stripe's published lists (https://docs.stripe.com/ips): each is its
// own document with one key. Stripe announces changes a week ahead by email; the
// documents carry no version.
var stripeLists = map[string]struct{ url, key string }{
	"webhooks": {"https://stripe.com/files/ips/ips_webhooks.json", "WEBHOOKS"},
	"api":      {"https://stripe.com/files/ips/ips_api.json", "API"},
}

var _ = register(Preset{
	Name:  "stripe",
	Title: "Stripe",
	URL:   "https://stripe.com/files/ips/ips_{list}.json",
	Filters: []Filter{{
		Key:             "list",
		Description:     "Stripe publishes the addresses webhooks come from and those of its API as two documents",
		Values:          []string{"webhooks", "api"},
		Required:        true,
		ChoosesDocument: true,
	}},
	Groups: []NaturalGroup{
		{Name: "webhooks", Direction: v1alpha1.DirectionIngress, Filters: map[string][]string{"list": {"webhooks"}},
			Description: "Stripe delivers webhooks to the pods from these addresses."},
		{Name: "api", Direction: v1alpha1.DirectionEgress, Ports: tcp(443), Filters: map[string][]string{"list": {"api"}},
			Description: "The pods call api.stripe.com over HTTPS."},
	},
	urlFor:  func(f filterSet) string { return stripeLists[f.only("list")].url },
	extract: extractStripe,
})

func extractStripe(r io.Reader, f filterSet, c *collector) (Version, error) {
	want := stripeLists[f.only("list")].key
	found := false
	err := readDocument(r, func(dec *json.Decoder) error {
		return walkObject(dec, "Stripe's address list", func(key string) error {
			if key != want {
				return skipValue(dec)
			}
			found = true
			return collectStringList(dec, key, c)
		})
	})
	if err == nil && !found {
		err = parseError(nil, "Stripe's document has no %s list: it is not the %s list, or Stripe changed its shape", want, f.only("list"))
	}
	return Version{}, err
}
