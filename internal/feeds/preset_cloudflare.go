/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package feeds

import (
	"encoding/json"
	"io"
	"strings"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

var _ = register(Preset{
	Name:          "cloudflare",
	Title:         "Cloudflare",
	URL:           "https://api.cloudflare.com/client/v4/ips",
	VersionFields: []string{"result.etag"},
	Groups: []NaturalGroup{
		{Name: "proxy", Direction: v1alpha1.DirectionIngress, Filters: map[string][]string{},
			Description: "Cloudflare's proxies connect to origins in the cluster from these addresses."},
	},
	extract: extractCloudflare,
})

// cloudflareMessage is one of the errors or messages of Cloudflare's API envelope.
type cloudflareMessage struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// cloudflareResult is the result of Cloudflare's ips endpoint: a few dozen networks,
// decoded whole.
type cloudflareResult struct {
	IPv4 []string `json:"ipv4_cidrs"`
	IPv6 []string `json:"ipv6_cidrs"`
	ETag string   `json:"etag"`
}

func extractCloudflare(r io.Reader, _ filterSet, c *collector) (Version, error) {
	var env struct {
		Success *bool               `json:"success"`
		Errors  []cloudflareMessage `json:"errors"`
		Result  *cloudflareResult   `json:"result"`
	}
	err := readDocument(r, func(dec *json.Decoder) error {
		return decodeValue(dec, position{list: "Cloudflare's answer", index: -1}, &env)
	})
	switch {
	case err != nil:
		return Version{}, err
	case env.Success != nil && !*env.Success:
		msgs := make([]string, len(env.Errors))
		for i, e := range env.Errors {
			msgs[i] = e.Message
		}
		return Version{}, parseError(nil, "Cloudflare answered success: false (%s)", truncate(strings.Join(msgs, "; "), 200))
	case env.Result == nil:
		return Version{}, parseError(nil, "Cloudflare's answer has no result")
	}
	for _, l := range []struct {
		name    string
		entries []string
	}{{"result.ipv4_cidrs", env.Result.IPv4}, {"result.ipv6_cidrs", env.Result.IPv6}} {
		for i, e := range l.entries {
			if err := c.add(e, position{list: l.name, index: i}); err != nil {
				return Version{}, err
			}
		}
	}
	return Version{Serial: truncate(env.Result.ETag, 128)}, nil
}
