/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package feeds

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func prefixes(s ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(s))
	for i, p := range s {
		out[i] = netip.MustParsePrefix(p)
	}
	return out
}

func TestPresetSelection(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		src     Source
		entries []netip.Prefix
		merged  []netip.Prefix // nil: the same as entries
		version Version
		url     string
	}{
		{
			name: "GitHub webhooks", file: "github-meta.json",
			src: Source{Preset: "github", Filters: map[string][]string{"service": {"hooks"}}},
			entries: prefixes("140.82.112.0/20", "143.55.64.0/20", "185.199.108.0/22", "192.30.252.0/22",
				"2606:50c0::/32", "2a0a:a440::/29"),
			url: "https://api.github.com/meta",
		},
		{
			name: "GitHub actions merge into fewer networks", file: "github-meta.json",
			src: Source{Preset: "github", Filters: map[string][]string{"service": {"actions"}}},
			entries: prefixes("4.148.0.0/16", "4.149.0.0/18", "4.149.64.0/19", "4.149.96.0/19", "4.149.128.0/17",
				"4.150.0.0/18", "13.105.49.0/31", "13.105.49.2/31", "2603:1030:804:286::/64", "2603:1030:804:28a::/63"),
			merged: prefixes("4.148.0.0/15", "4.150.0.0/18", "13.105.49.0/30", "2603:1030:804:286::/64", "2603:1030:804:28a::/63"),
			url:    "https://api.github.com/meta",
		},
		{
			name: "GitHub two services de-duplicated", file: "github-meta.json",
			src: Source{Preset: "github", Filters: map[string][]string{"service": {"api", "web"}}},
			entries: prefixes("20.201.28.148/32", "20.201.28.151/32", "20.205.243.166/32", "20.205.243.168/32",
				"140.82.112.0/20", "143.55.64.0/20", "185.199.108.0/22", "192.30.252.0/22", "2606:50c0::/32", "2a0a:a440::/29"),
			url: "https://api.github.com/meta",
		},
		{
			name: "AWS EC2 in us-east-1", file: "aws-ip-ranges.json",
			src:     Source{Preset: "aws", Filters: map[string][]string{"service": {"EC2"}, "region": {"us-east-1"}}},
			entries: prefixes("3.4.2.0/24", "54.92.128.0/17", "54.196.0.0/15", "54.204.0.0/15", "142.4.160.176/29"),
			version: Version{Serial: "1686945790", Published: "2023-06-16-20-03-10"},
			url:     "https://ip-ranges.amazonaws.com/ip-ranges.json",
		},
		{
			name: "AWS Route 53 health checkers, IPv6 only", file: "aws-ip-ranges.json",
			src:     Source{Preset: "aws", Filters: map[string][]string{"service": {"ROUTE53_HEALTHCHECKS"}}},
			entries: prefixes("2406:da18:7ff:f800::/56", "2600:1f18:3fff:f800::/56", "2600:1f18:7fff:f800::/56"),
			version: Version{Serial: "1686945790", Published: "2023-06-16-20-03-10"},
			url:     "https://ip-ranges.amazonaws.com/ip-ranges.json",
		},
		{
			name: "AWS region GLOBAL over both lists", file: "aws-ip-ranges.json",
			src:     Source{Preset: "aws", Filters: map[string][]string{"region": {"GLOBAL"}}},
			entries: prefixes("120.52.22.96/27", "2600:9000:f540::/42"),
			version: Version{Serial: "1686945790", Published: "2023-06-16-20-03-10"},
			url:     "https://ip-ranges.amazonaws.com/ip-ranges.json",
		},
		{
			name: "Atlassian Jira's webhooks come from its egress networks", file: "atlassian.json",
			src: Source{Preset: "atlassian", Filters: map[string][]string{"product": {"jira"}, "direction": {"egress"}}},
			entries: prefixes("43.202.69.96/28", "104.192.136.0/21", "185.166.140.0/22", "185.166.140.112/28",
				"2401:1d80:3000::/36", "2401:1d80:3200::/64"),
			merged:  prefixes("43.202.69.96/28", "104.192.136.0/21", "185.166.140.0/22", "2401:1d80:3000::/36"),
			version: Version{Serial: "1791504366", Published: "2026-10-09T00:06:06.601554"},
			url:     "https://ip-ranges.atlassian.com/",
		},
		{
			name: "Atlassian Jira reached through its ingress networks", file: "atlassian.json",
			src:     Source{Preset: "atlassian", Filters: map[string][]string{"product": {"jira"}, "direction": {"ingress"}}},
			entries: prefixes("104.192.136.0/21", "185.166.140.0/22", "2401:1d80:3000::/36"),
			version: Version{Serial: "1791504366", Published: "2026-10-09T00:06:06.601554"},
			url:     "https://ip-ranges.atlassian.com/",
		},
		{
			name: "Atlassian Bitbucket egress in us-west-2", file: "atlassian.json",
			src: Source{Preset: "atlassian", Filters: map[string][]string{
				"product": {"bitbucket"}, "direction": {"egress"}, "region": {"us-west-2"}}},
			entries: prefixes("34.218.156.209/32", "34.218.168.212/32", "104.192.136.0/21", "2401:1d80:3000::/36"),
			version: Version{Serial: "1791504366", Published: "2026-10-09T00:06:06.601554"},
			url:     "https://ip-ranges.atlassian.com/",
		},
		{
			name: "Stripe webhooks: bare addresses become /32", file: "stripe-webhooks.json",
			src: Source{Preset: "stripe", Filters: map[string][]string{"list": {"webhooks"}}},
			entries: prefixes("3.18.12.63/32", "3.69.109.8/32", "3.120.168.93/32", "3.130.192.231/32", "13.235.14.237/32",
				"13.235.122.149/32", "18.211.135.69/32", "35.154.171.200/32", "35.157.207.129/32", "52.15.183.38/32",
				"54.88.130.119/32", "54.88.130.237/32", "54.187.174.169/32", "54.187.205.235/32", "54.187.216.72/32"),
			url: "https://stripe.com/files/ips/ips_webhooks.json",
		},
		{
			name: "Stripe API", file: "stripe-api.json",
			src: Source{Preset: "stripe", Filters: map[string][]string{"list": {"api"}}},
			entries: prefixes("13.112.224.240/32", "13.115.13.148/32", "13.210.129.177/32", "13.210.176.167/32",
				"34.200.27.109/32", "34.200.47.89/32", "198.137.150.21/32", "198.137.150.22/32", "198.137.150.23/32",
				"198.137.150.24/32"),
			merged: prefixes("13.112.224.240/32", "13.115.13.148/32", "13.210.129.177/32", "13.210.176.167/32",
				"34.200.27.109/32", "34.200.47.89/32", "198.137.150.21/32", "198.137.150.22/31", "198.137.150.24/32"),
			url: "https://stripe.com/files/ips/ips_api.json",
		},
		{
			name: "Google Cloud in asia-east1", file: "google-cloud.json",
			src:     Source{Preset: "google", Filters: map[string][]string{"list": {"cloud"}, "scope": {"asia-east1"}}},
			entries: prefixes("34.80.0.0/15", "35.185.128.0/19", "35.185.160.0/20", "2600:1900:4030::/44"),
			version: Version{Serial: "1791187700076", Published: "2026-10-05T01:08:20.076876"},
			url:     "https://www.gstatic.com/ipranges/cloud.json",
		},
		{
			name: "Google's services", file: "google-goog.json",
			src: Source{Preset: "google", Filters: map[string][]string{"list": {"goog"}}},
			entries: prefixes("8.8.4.0/24", "8.8.8.0/24", "8.34.208.0/20", "8.35.192.0/20", "34.0.0.0/15", "34.2.0.0/16",
				"142.250.0.0/15", "172.217.0.0/16", "2001:4860::/32", "2404:6800::/32", "2a00:1450::/32"),
			version: Version{Serial: "1791187700076", Published: "2026-10-05T01:08:20.076876"},
			url:     "https://www.gstatic.com/ipranges/goog.json",
		},
		{
			name: "Cloudflare's proxies", file: "cloudflare-ips.json",
			src: Source{Preset: "cloudflare"},
			entries: prefixes("103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22", "104.16.0.0/13", "104.24.0.0/14",
				"108.162.192.0/18", "131.0.72.0/22", "141.101.64.0/18", "162.158.0.0/15", "172.64.0.0/13", "173.245.48.0/20",
				"188.114.96.0/20", "190.93.240.0/20", "197.234.240.0/22", "198.41.128.0/17",
				"2400:cb00::/32", "2405:8100::/32", "2405:b500::/32", "2606:4700::/32", "2803:f800::/32", "2a06:98c0::/29", "2c0f:f248::/32"),
			version: Version{Serial: "38f79d050aa027e3be3865e495dcc9bc"},
			url:     "https://api.cloudflare.com/client/v4/ips",
		},
		{
			name: "Datadog webhooks on the default site", file: "datadog.json",
			src: Source{Preset: "datadog", Filters: map[string][]string{"service": {"webhooks"}}},
			entries: prefixes("3.90.129.171/32", "3.208.6.150/32", "3.210.147.169/32", "3.220.254.141/32", "3.227.186.226/32",
				"3.229.242.89/32", "44.192.28.0/25", "100.28.212.0/22", "174.129.34.172/32"),
			version: Version{Serial: "11", Published: "2019-10-31-20-00-00"},
			url:     "https://ip-ranges.datadoghq.com/",
		},
		{
			name: "Datadog agents on the EU site", file: "datadog.json",
			src:     Source{Preset: "datadog", Filters: map[string][]string{"site": {"datadoghq.eu"}, "service": {"agents"}}},
			entries: prefixes("3.233.144.0/20", "2600:1f18:24e6:b900::/56"),
			version: Version{Serial: "11", Published: "2019-10-31-20-00-00"},
			url:     "https://ip-ranges.datadoghq.eu/",
		},
		{
			name: "Datadog Synthetics from one location", file: "datadog.json",
			src: Source{Preset: "datadog", Filters: map[string][]string{
				"service": {"synthetics"}, "location": {"gcp:europe-west3"}}},
			entries: prefixes("34.159.50.128/29"),
			version: Version{Serial: "11", Published: "2019-10-31-20-00-00"},
			url:     "https://ip-ranges.datadoghq.com/",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Compile(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if s.URL() != tt.url {
				t.Errorf("URL = %q, want %q", s.URL(), tt.url)
			}
			got, err := s.Select(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			merged := tt.merged
			if merged == nil {
				merged = tt.entries
			}
			if diff := cmp.Diff(tt.entries, got.Entries, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(merged, got.Prefixes, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
				t.Errorf("merged (-want +got):\n%s", diff)
			}
			if got.Version != tt.version {
				t.Errorf("version = %+v, want %+v", got.Version, tt.version)
			}
		})
	}
}

func TestPresetFilterErrors(t *testing.T) {
	tests := []struct {
		name  string
		src   Source
		field string
		says  []string
	}{
		{"unknown preset", Source{Preset: "gitlab"}, "preset",
			[]string{`unknown preset "gitlab"`, "atlassian, aws, cloudflare, datadog, github, google, stripe"}},
		{"unknown filter key", Source{Preset: "aws", Filters: map[string][]string{"zone": {"us-east-1a"}}}, "filters",
			[]string{`AWS takes no filter "zone"`, "it takes service, region"}},
		{"GitHub service outside the closed set", Source{Preset: "github", Filters: map[string][]string{"service": {"ssh_keys"}}},
			"filters.service", []string{`"ssh_keys" is not one of hooks, web, api, git`}},
		{"GitHub needs a service", Source{Preset: "github"}, "filters.service", []string{"is required", "such as hooks"}},
		{"AWS region of the wrong shape", Source{Preset: "aws", Filters: map[string][]string{"region": {"US East"}}},
			"filters.region", []string{`"US East" is not an AWS region such as us-east-1, or GLOBAL`}},
		{"AWS service in lower case", Source{Preset: "aws", Filters: map[string][]string{"service": {"ec2"}}},
			"filters.service", []string{`"ec2" is not an AWS service name`, "such as EC2"}},
		{"Atlassian needs a direction", Source{Preset: "atlassian", Filters: map[string][]string{"product": {"jira"}}},
			"filters.direction", []string{"is required", "into Atlassian (ingress", "out of Atlassian (egress"}},
		{"Atlassian direction seen from the pods is refused", Source{Preset: "atlassian", Filters: map[string][]string{"direction": {"Ingress"}}},
			"filters.direction", []string{`"Ingress" is not one of egress, ingress`}},
		{"empty filter", Source{Preset: "aws", Filters: map[string][]string{"region": {}}},
			"filters.region", []string{"is empty", "such as an AWS region"}},
		{"Stripe list chooses one document", Source{Preset: "stripe", Filters: map[string][]string{"list": {"webhooks", "api"}}},
			"filters.list", []string{"exactly one value"}},
		{"goog.json has no scope", Source{Preset: "google", Filters: map[string][]string{"list": {"goog"}, "scope": {"us-central1"}}},
			"filters.scope", []string{"goog.json has no scope", "use list cloud"}},
		{"Datadog site outside the list", Source{Preset: "datadog", Filters: map[string][]string{"site": {"datadoghq.io"}, "service": {"webhooks"}}},
			"filters.site", []string{`"datadoghq.io" is not one of datadoghq.com, us3.datadoghq.com`}},
		{"Datadog location needs synthetics", Source{Preset: "datadog", Filters: map[string][]string{"service": {"webhooks"}, "location": {"aws:eu-central-1"}}},
			"filters.location", []string{"only Synthetics ranges are published by location"}},
		{"preset with an expression", Source{Preset: "github", Filters: map[string][]string{"service": {"hooks"}}, Expression: "self.hooks"},
			"format", []string{"a preset knows its document's shape"}},
		{"filters without a preset", Source{Format: FormatJSON, Expression: "self.hooks", Filters: map[string][]string{"service": {"hooks"}}},
			"filters", []string{"filters apply to a preset only"}},
		{"neither preset nor format", Source{}, "preset", []string{"name a preset"}},
		{"unknown format", Source{Format: "YAML"}, "format", []string{`unknown format "YAML"`}},
		{"text with an expression", Source{Format: FormatText, Expression: "self"}, "expression", []string{"a Text feed has no expression"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.src)
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("Compile = %v, want a *Error", err)
			}
			if fe.Kind != KindInvalidSource || fe.Field != tt.field {
				t.Errorf("kind, field = %s, %q; want %s, %q", fe.Kind, fe.Field, KindInvalidSource, tt.field)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

func TestNaturalGroups(t *testing.T) {
	docs := map[string]string{
		"github": "github-meta.json", "aws": "aws-ip-ranges.json", "atlassian": "atlassian.json",
		"cloudflare": "cloudflare-ips.json", "datadog": "datadog.json",
	}
	seen := map[string]bool{}
	for _, p := range Presets() {
		seen[p.Name] = true
		if len(p.Groups) == 0 {
			t.Errorf("%s offers no natural group", p.Name)
		}
		for _, g := range p.Groups {
			s, err := Compile(g.Source(p.Name))
			if err != nil {
				t.Errorf("%s/%s: %v", p.Name, g.Name, err)
				continue
			}
			if g.Direction == v1alpha1.DirectionEgress && len(g.Ports) == 0 {
				t.Errorf("%s/%s is Egress without ports", p.Name, g.Name)
			}
			if g.Direction == v1alpha1.DirectionIngress && len(g.Ports) != 0 {
				t.Errorf("%s/%s is Ingress with ports %v: the pods' ports are the allowlist's", p.Name, g.Name, g.Ports)
			}
			file := docs[p.Name]
			switch p.Name {
			case "stripe":
				file = "stripe-" + g.Filters["list"][0] + ".json"
			case "google":
				file = "google-" + g.Filters["list"][0] + ".json"
			}
			_, err = s.Select(readTestdata(t, file))
			switch {
			case err == nil:
			case errors.Is(err, ErrEmptySelection):
				// The trimmed copies leave some of the feed's sections empty.
			default:
				t.Errorf("%s/%s on %s: %v", p.Name, g.Name, file, err)
			}
		}
	}
	for _, want := range []string{"github", "atlassian", "stripe", "aws", "google", "cloudflare", "datadog"} {
		if !seen[want] {
			t.Errorf("no %s preset", want)
		}
	}
}

func TestNaturalGroupDirections(t *testing.T) {
	want := map[string]v1alpha1.Direction{
		"github/hooks": v1alpha1.DirectionIngress, "github/api": v1alpha1.DirectionEgress, "github/git": v1alpha1.DirectionEgress,
		"github/web": v1alpha1.DirectionEgress, "stripe/webhooks": v1alpha1.DirectionIngress, "stripe/api": v1alpha1.DirectionEgress,
		"atlassian/jira-webhooks": v1alpha1.DirectionIngress, "atlassian/jira": v1alpha1.DirectionEgress,
		"datadog/webhooks": v1alpha1.DirectionIngress, "datadog/agents": v1alpha1.DirectionEgress,
		"cloudflare/proxy": v1alpha1.DirectionIngress,
	}
	got := map[string]NaturalGroup{}
	for _, p := range Presets() {
		for _, g := range p.Groups {
			got[p.Name+"/"+g.Name] = g
		}
	}
	for name, dir := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("no natural group %s", name)
			continue
		}
		if g.Direction != dir {
			t.Errorf("%s is %s, want %s", name, g.Direction, dir)
		}
	}
	if p := got["github/api"].Ports; len(p) != 1 || p[0].Port != 443 {
		t.Errorf("github/api ports = %v, want 443", p)
	}
	// Atlassian's own direction is seen from Atlassian: its webhooks leave it.
	if f := got["atlassian/jira-webhooks"].Filters["direction"]; len(f) != 1 || f[0] != "egress" {
		t.Errorf("atlassian/jira-webhooks selects direction %v, want egress", f)
	}
}

func TestDocumentURL(t *testing.T) {
	p, _ := LookupPreset("datadog")
	got, err := p.DocumentURL(map[string][]string{"site": {"ap1.datadoghq.com"}, "service": {"webhooks"}})
	if err != nil || got != "https://ip-ranges.ap1.datadoghq.com/" {
		t.Errorf("DocumentURL = %q, %v", got, err)
	}
	if _, err := p.DocumentURL(map[string][]string{"service": {"hooks"}}); !errors.Is(err, ErrInvalidSource) {
		t.Errorf("DocumentURL with a bad service = %v, want an invalid source", err)
	}
}
