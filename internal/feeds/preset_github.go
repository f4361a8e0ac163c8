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

// githubServices are the keys of GitHub's meta API that hold address lists
// (https://docs.github.com/en/rest/meta/meta): the others hold SSH keys, domains and
// flags.
var githubServices = []string{
	"hooks", "web", "api", "git", "github_enterprise_importer", "packages", "pages",
	"importer", "actions", "actions_macos", "codespaces", "copilot", "dependabot",
}

var _ = register(Preset{
	Name:  "github",
	Title: "GitHub",
	URL:   "https://api.github.com/meta",
	Filters: []Filter{{
		Key:         "service",
		Description: "the meta API lists GitHub's addresses per service, and a group opens one or a few of them",
		Values:      githubServices,
		Required:    true,
	}},
	Groups: []NaturalGroup{
		{Name: "hooks", Direction: v1alpha1.DirectionIngress, Filters: map[string][]string{"service": {"hooks"}},
			Description: "GitHub delivers webhooks to the pods from these addresses."},
		{Name: "actions", Direction: v1alpha1.DirectionIngress, Filters: map[string][]string{"service": {"actions"}},
			Description: "GitHub-hosted Actions runners connect to the pods from these addresses (thousands of Azure networks: expect the size bound)."},
		{Name: "dependabot", Direction: v1alpha1.DirectionIngress, Filters: map[string][]string{"service": {"dependabot"}},
			Description: "Dependabot connects to private registries in the cluster from these addresses."},
		{Name: "importer", Direction: v1alpha1.DirectionIngress, Filters: map[string][]string{"service": {"importer", "github_enterprise_importer"}},
			Description: "GitHub's importers connect to source repositories in the cluster from these addresses."},
		{Name: "web", Direction: v1alpha1.DirectionEgress, Ports: tcp(443), Filters: map[string][]string{"service": {"web"}},
			Description: "The pods reach github.com over HTTPS."},
		{Name: "api", Direction: v1alpha1.DirectionEgress, Ports: tcp(443), Filters: map[string][]string{"service": {"api"}},
			Description: "The pods call api.github.com over HTTPS."},
		{Name: "git", Direction: v1alpha1.DirectionEgress, Ports: tcp(22, 443), Filters: map[string][]string{"service": {"git"}},
			Description: "The pods clone and push over SSH (22) and HTTPS (443)."},
		{Name: "packages", Direction: v1alpha1.DirectionEgress, Ports: tcp(443), Filters: map[string][]string{"service": {"packages"}},
			Description: "The pods pull from GitHub Packages and ghcr.io over HTTPS."},
	},
	extract: extractGitHub,
})

func extractGitHub(r io.Reader, f filterSet, c *collector) (Version, error) {
	return Version{}, readDocument(r, func(dec *json.Decoder) error {
		return walkObject(dec, "GitHub's meta document", func(key string) error {
			if !f.keeps("service", key) {
				return skipValue(dec)
			}
			return collectStringList(dec, key, c)
		})
	})
}

// collectStringList reads a JSON list of strings, adding each as an entry.
func collectStringList(dec *json.Decoder, list string, c *collector) error {
	return walkArray(dec, list, func(i int) error {
		var s string
		at := position{list: list, index: i}
		if err := decodeValue(dec, at, &s); err != nil {
			return err
		}
		return c.add(s, at)
	})
}
