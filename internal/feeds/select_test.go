/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package feeds

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestSelectJSONWithCEL(t *testing.T) {
	aws := readTestdata(t, "aws-ip-ranges.json")
	github := readTestdata(t, "github-meta.json")
	tests := []struct {
		name string
		doc  []byte
		expr string
		want []netip.Prefix
	}{
		{"a key", github, "self.hooks",
			prefixes("140.82.112.0/20", "143.55.64.0/20", "185.199.108.0/22", "192.30.252.0/22", "2606:50c0::/32", "2a0a:a440::/29")},
		{"two keys joined", github, "self.dependabot + self.importer",
			prefixes("3.217.79.163/32", "3.217.93.44/32", "18.213.123.130/32", "20.69.67.168/29", "20.75.217.40/29",
				"52.0.228.224/32", "52.22.155.48/32", "52.23.85.212/32")},
		{"filter and map, as the AWS preset does", aws,
			`self.prefixes.filter(p, p.service == "EC2" && p.region == "us-east-1").map(p, p.ip_prefix)`,
			prefixes("3.4.2.0/24", "54.92.128.0/17", "54.196.0.0/15", "54.204.0.0/15", "142.4.160.176/29")},
		{"both address families", aws,
			`self.prefixes.filter(p, p.region == "GLOBAL").map(p, p.ip_prefix) + self.ipv6_prefixes.filter(p, p.region == "GLOBAL").map(p, p.ipv6_prefix)`,
			prefixes("120.52.22.96/27", "2600:9000:f540::/42")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(tt.doc, Source{Format: FormatJSON, Expression: tt.expr})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Entries, tt.want) {
				t.Errorf("entries = %v, want %v", got.Entries, tt.want)
			}
			if got.Version != (Version{}) {
				t.Errorf("a generic JSON feed has no version the operator knows, got %+v", got.Version)
			}
		})
	}
}

func TestCELErrors(t *testing.T) {
	aws := readTestdata(t, "aws-ip-ranges.json")
	tests := []struct {
		name  string
		src   Source
		kind  Kind
		field string
		says  string
	}{
		{"does not compile", Source{Format: FormatJSON, Expression: "self.hooks["}, KindInvalidSource, "expression", "does not compile"},
		{"unknown function", Source{Format: FormatJSON, Expression: "self.hooks.uniq()"}, KindInvalidSource, "expression", "does not compile"},
		{"statically not a list", Source{Format: FormatJSON, Expression: "size(self)"}, KindInvalidSource, "expression", "gives a int, but must give a list of strings"},
		{"statically a list of numbers", Source{Format: FormatJSON, Expression: "[1, 2]"}, KindInvalidSource, "expression", "must give a list of strings"},
		{"missing", Source{Format: FormatJSON}, KindInvalidSource, "expression", "needs an expression"},
		{"a string, not a list", Source{Format: FormatJSON, Expression: "self.syncToken"}, KindParse, "expression", "gave a string on this document, not a list of strings"},
		{"a list of objects", Source{Format: FormatJSON, Expression: "self.prefixes"}, KindParse, "expression", "element 0 of the result is a map, not a string"},
		{"no such key", Source{Format: FormatJSON, Expression: "self.hooks"}, KindParse, "expression", "failed on this document: no such key: hooks"},
		{"over the cost limit", Source{Format: FormatJSON, CostLimit: 50, Expression: "self.prefixes.map(p, p.ip_prefix)"},
			KindParse, "expression", "costs more than its limit of 50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Select(aws, tt.src)
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("Select = %v, want a *Error", err)
			}
			if fe.Kind != tt.kind || fe.Field != tt.field {
				t.Errorf("kind, field = %s, %q; want %s, %q (%v)", fe.Kind, fe.Field, tt.kind, tt.field, err)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", err, tt.says)
			}
		})
	}
}

// The default cost limit leaves room for selecting from a whole AWS document.
func TestCELDefaultCostLimitFitsAWS(t *testing.T) {
	doc := awsDocument(16000)
	_, err := Select(doc, Source{Format: FormatJSON, MaxNetworks: 1 << 20,
		Expression: `self.prefixes.filter(p, p.service == "EC2" && p.region == "us-east-1").map(p, p.ip_prefix)`})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSelectText(t *testing.T) {
	got, err := Select(readTestdata(t, "cloudflare-ips-v4.txt"), Source{Format: FormatText})
	if err != nil {
		t.Fatal(err)
	}
	want := prefixes("103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22", "108.162.192.0/18", "141.101.64.0/18",
		"173.245.48.0/20", "190.93.240.0/20")
	if !slices.Equal(got.Entries, want) {
		t.Errorf("entries = %v, want %v", got.Entries, want)
	}

	commented := "# Stripe's webhook addresses\n\n3.18.12.63   # us-east-2\r\n  3.130.192.231\n\t\n2606:50c0:8000::153\n"
	got, err = Select([]byte(commented), Source{Format: FormatText})
	if err != nil {
		t.Fatal(err)
	}
	want = prefixes("3.18.12.63/32", "3.130.192.231/32", "2606:50c0:8000::153/128")
	if !slices.Equal(got.Entries, want) {
		t.Errorf("entries = %v, want %v", got.Entries, want)
	}
}

func TestEntriesAreCanonical(t *testing.T) {
	doc := "192.30.252.1/22\n::ffff:3.18.12.63\n::ffff:185.199.108.0/118\n2A0A:A440:0:0::/29\n192.30.252.0/22\n"
	got, err := Select([]byte(doc), Source{Format: FormatText})
	if err != nil {
		t.Fatal(err)
	}
	want := prefixes("3.18.12.63/32", "185.199.108.0/22", "192.30.252.0/22", "2a0a:a440::/29")
	if !slices.Equal(got.Entries, want) {
		t.Errorf("entries = %v, want %v: masked, unmapped, de-duplicated, sorted", got.Entries, want)
	}
}

func TestInvalidEntries(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		src  Source
		says string
	}{
		{"text line", "3.18.12.63\n3.130.192.300\n", Source{Format: FormatText}, `line 2 is "3.130.192.300", not an address`},
		{"prefix too long", "3.18.12.63/33\n", Source{Format: FormatText}, `line 1 is "3.18.12.63/33", not a network`},
		{"zone", "fe80::1%eth0\n", Source{Format: FormatText}, "an address with a zone"},
		{"GitHub hook", `{"hooks": ["192.30.252.0/22", "not-an-ip"]}`,
			Source{Preset: "github", Filters: map[string][]string{"service": {"hooks"}}}, `hooks[1] is "not-an-ip"`},
		{"AWS prefix", `{"prefixes": [{"ip_prefix": "52.4.0.0/14", "service": "EC2"}, {"ip_prefix": "", "service": "EC2"}]}`,
			Source{Preset: "aws", Filters: map[string][]string{"service": {"EC2"}}}, `prefixes[1].ip_prefix is "", empty`},
		{"Atlassian item", `{"items": [{"cidr": "104.192.136.0/21x", "direction": ["egress"], "product": ["jira"]}]}`,
			Source{Preset: "atlassian", Filters: map[string][]string{"direction": {"egress"}}}, `items[0].cidr is "104.192.136.0/21x"`},
		{"CEL element", `{"hooks": ["192.30.252.0/22", "192.30.252.0/222"]}`,
			Source{Format: FormatJSON, Expression: "self.hooks"}, `element 1 of the expression's result is "192.30.252.0/222"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Select([]byte(tt.doc), tt.src)
			if !errors.Is(err, ErrInvalidEntry) {
				t.Fatalf("Select = %v, want an invalid entry", err)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", err, tt.says)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	hooks := Source{Preset: "github", Filters: map[string][]string{"service": {"hooks"}}}
	aws := Source{Preset: "aws", Filters: map[string][]string{"service": {"EC2"}}}
	tests := []struct {
		name string
		doc  string
		src  Source
		says string
	}{
		{"HTML error page", "<html><body>Service Unavailable</body></html>", hooks, "the document is not JSON"},
		{"cut off", `{"hooks": ["192.30.252.0/22", `, hooks, "the document ends early"},
		{"empty body", "", hooks, "the document ends early"},
		{"two documents", `{"hooks": ["192.30.252.0/22"]} {}`, hooks, "goes on after its end"},
		{"a list where an object belongs", `["192.30.252.0/22"]`, hooks, "GitHub's meta document is a list, want an object"},
		{"hooks is not a list", `{"hooks": "192.30.252.0/22"}`, hooks, `hooks is the string "192.30.252.0/22", want a list`},
		{"a number where an address belongs", `{"hooks": [3232235520]}`, hooks, "hooks[0] is a JSON number"},
		{"AWS prefixes is an object", `{"prefixes": {}}`, aws, "prefixes is an object, want a list"},
		{"AWS service is a number", `{"prefixes": [{"ip_prefix": "52.4.0.0/14", "service": 3}]}`, aws, "prefixes[0].service is a JSON number"},
		{"Stripe document of the other list", `{"WEBHOOKS": ["3.18.12.63"]}`,
			Source{Preset: "stripe", Filters: map[string][]string{"list": {"api"}}}, "Stripe's document has no API list"},
		{"Cloudflare refused", `{"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"messages":[],"result":null}`,
			Source{Preset: "cloudflare"}, "Cloudflare answered success: false (Authentication error)"},
		{"CEL on HTML", "<html>", Source{Format: FormatJSON, Expression: "self.hooks"}, "the document is not JSON"},
		{"text line longer than a line can be", strings.Repeat("3", maxLine+1), Source{Format: FormatText}, "a line is at most 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Select([]byte(tt.doc), tt.src)
			if !errors.Is(err, ErrParse) {
				t.Fatalf("Select = %v, want a parse error", err)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", err, tt.says)
			}
		})
	}
}

func TestEmptySelection(t *testing.T) {
	tests := []struct {
		name string
		doc  []byte
		src  Source
		says string
	}{
		{"a region AWS does not list", readTestdata(t, "aws-ip-ranges.json"),
			Source{Preset: "aws", Filters: map[string][]string{"service": {"EC2"}, "region": {"eu-north-1"}}},
			"AWS service EC2, region eu-north-1 selects no network"},
		{"an empty section", readTestdata(t, "datadog.json"),
			Source{Preset: "datadog", Filters: map[string][]string{"service": {"logs"}}},
			"Datadog site datadoghq.com, service logs, location all selects no network"},
		{"a key GitHub no longer publishes", []byte(`{"hooks": []}`),
			Source{Preset: "github", Filters: map[string][]string{"service": {"hooks"}}}, "GitHub service hooks selects no network"},
		{"comments only", []byte("# nothing yet\n\n"), Source{Format: FormatText}, "the list selects no network"},
		{"an empty list from CEL", []byte(`{"hooks": []}`), Source{Format: FormatJSON, Expression: "self.hooks"},
			"the expression self.hooks selects no network"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Select(tt.doc, tt.src)
			if !errors.Is(err, ErrEmptySelection) || KindOf(err) != KindEmptySelection {
				t.Fatalf("Select = %v, want an empty selection", err)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", err, tt.says)
			}
		})
	}
}

func TestSizeBound(t *testing.T) {
	doc := awsDocument(16000)
	_, err := Select(doc, Source{Preset: "aws", Filters: map[string][]string{"service": {"EC2"}}})
	if !errors.Is(err, ErrTooManyNetworks) {
		t.Fatalf("Select = %v, want too many networks", err)
	}
	if !strings.Contains(err.Error(), "AWS service EC2, region all gives ") ||
		!strings.Contains(err.Error(), " networks after merging, more than the 512 a group may open; narrow it with region") {
		t.Errorf("error %q does not name the selection and the filter to narrow", err)
	}

	// Merging comes first: GitHub's six actions networks that merge into two fit a
	// bound of two.
	sel, err := Select(readTestdata(t, "github-meta.json"), Source{Preset: "github", MaxNetworks: 5,
		Filters: map[string][]string{"service": {"actions"}}})
	if err != nil || len(sel.Prefixes) != 5 || len(sel.Entries) != 10 {
		t.Fatalf("Select = %d networks from %d entries, %v; want 5 from 10", len(sel.Prefixes), len(sel.Entries), err)
	}
	_, err = Select(readTestdata(t, "github-meta.json"), Source{Preset: "github", MaxNetworks: 4,
		Filters: map[string][]string{"service": {"actions", "dependabot"}}})
	want := "GitHub service actions,dependabot gives 8 networks after merging, more than the 4 a group may open; narrow it with fewer values of service"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}

	_, err = Select([]byte(strings.Repeat("3.18.12.63\n", 11)), Source{Format: FormatText, MaxEntries: 10})
	if !errors.Is(err, ErrTooManyNetworks) || !strings.Contains(err.Error(), "more than 10 entries") {
		t.Errorf("Select = %v, want too many entries", err)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 512: "512", 4123: "4,123", 1000000: "1,000,000", -4123: "-4,123"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestVersionString(t *testing.T) {
	for v, want := range map[Version]string{
		{Serial: "1686945790", Published: "2023-06-16-20-03-10"}: "1686945790 (2023-06-16-20-03-10)",
		{Serial: "38f79d050aa027e3be3865e495dcc9bc"}:             "38f79d050aa027e3be3865e495dcc9bc",
		{Published: "2026-10-05T01:08:20.076876"}:                "2026-10-05T01:08:20.076876",
		{}: "",
	} {
		if got := v.String(); got != want {
			t.Errorf("%+v.String() = %q, want %q", v, got, want)
		}
	}
}

func TestErrorKinds(t *testing.T) {
	err := error(&Error{Kind: KindEmptySelection, Message: "x"})
	wrapped := errors.Join(errors.New("fetching"), err)
	if !errors.Is(wrapped, ErrEmptySelection) || errors.Is(wrapped, ErrParse) || KindOf(wrapped) != KindEmptySelection {
		t.Errorf("kinds do not survive wrapping: %v", wrapped)
	}
	if KindOf(errors.New("other")) != "" {
		t.Error("a foreign error has a kind")
	}
}

func TestMergeAfterGuarding(t *testing.T) {
	// A caller that drops one network the guard forbids merges the rest again.
	got := Merge(prefixes("4.149.0.0/18", "4.149.64.0/19", "4.149.96.0/19", "4.148.0.0/16"))
	if want := prefixes("4.148.0.0/16", "4.149.0.0/17"); !slices.Equal(got, want) {
		t.Errorf("Merge = %v, want %v", got, want)
	}
}
