/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/version"
)

const header = "apiVersion: networking.vendorallowlist.io/v1alpha1\nkind: VendorAllowlist\n"

func TestRenderBadInput(t *testing.T) {
	noDNS(t)
	tests := []struct {
		name    string
		content string // written to bad.yaml; empty: bad.yaml does not exist
		vendors string // written to vendors.yaml and passed with --vendors, if set
		// want are substrings of stderr; FILE stands for the file's path.
		want []string
	}{
		{
			name: "unknown vendor",
			content: header + `metadata: {name: acme}
spec:
  podSelector: {}
  vendors: [{name: acme}]
`,
			want: []string{`FILE: VendorAllowlist default/acme: spec.vendors[0].name: `, `"acme"`,
				"no such vendor in the catalog (known: atlassian, aws, cloudflare, datadog, freshchat, github, google, outsystems, stripe, threobuilder, workato)", "add a Vendor object named acme"},
		},
		{
			name: "unknown region",
			content: header + `metadata: {name: chat, namespace: support}
spec:
  podSelector: {}
  vendors: [{name: freshchat, regions: [EU, MARS], ports: [{port: 443}]}]
`,
			want: []string{`FILE: VendorAllowlist support/chat: spec.vendors[0].regions[1]: Unsupported value: "MARS": supported values: "AU", "EU", "IN", "US"`},
		},
		{
			name: "bad CIDR",
			content: header + `metadata: {name: vpn}
spec:
  podSelector: {}
  vendors: [{name: outsystems, endpoints: [vpn], cidrs: [10.0.0.1/8], ports: [{port: 443}]}]
`,
			want: []string{`FILE: VendorAllowlist default/vpn: spec.vendors[0].cidrs[0]: Invalid value: "10.0.0.1/8": has host bits set`,
				"10.0.0.0/8 instead of 10.0.0.1/8"},
		},
		{
			name: "wildcard hostname",
			content: header + `metadata: {name: wild}
spec:
  podSelector: {}
  custom:
    - name: partner
      direction: Egress
      hostnames: ["*.workato.com"]
      ports: [{port: 443}]
`,
			want: []string{`FILE: VendorAllowlist default/wild: spec.custom[0].hostnames: Invalid value: "*.workato.com": the egress backend is networkpolicy`,
				"list each hostname, or run a backend that enforces names: docs/fqdn.md"},
		},
		{
			name: "unknown field",
			content: header + `metadata: {name: typo}
spec:
  podSelector: {}
  vendors:
    - name: threobuilder
      port: [{port: 443}]
`,
			want: []string{"FILE: VendorAllowlist default/typo: spec.vendors[0].port: Unknown field: did you mean ports?"},
		},
		{
			name: "field in the wrong case",
			content: header + `metadata: {name: case}
spec:
  podselector: {}
  vendors: [{name: threobuilder, ports: [{port: 443}]}]
`,
			want: []string{"FILE: VendorAllowlist default/case: spec.podselector: Unknown field: field names are case-sensitive: write podSelector"},
		},
		{
			name: "duplicate field",
			content: header + `metadata: {name: twice}
spec:
  podSelector: {}
  podSelector: {}
  vendors: [{name: threobuilder, ports: [{port: 443}]}]
`,
			want: []string{`FILE: document 1 (line 1): not valid YAML: yaml: unmarshal errors: line 6: key "podSelector" already set in map`},
		},
		{
			name: "wrong type",
			content: header + `metadata: {name: typed}
spec:
  podSelector: {}
  vendors: [{name: threobuilder, ports: [{port: 443}, {port: https}]}]
`,
			want: []string{`FILE: VendorAllowlist default/typed: spec.vendors[0].ports[1].port: Invalid value: "string": spec.vendors[0].ports[1].port in body must be of type integer: "string" (the value is "https": check the quoting and the indentation)`,
				"FILE: VendorAllowlist default/typed: note: the CRD's rules (x-kubernetes-validations) were not checked",
				"error: 1 problem in FILE"},
		},
		{
			// It was told it "must be a whole number, not a number".
			name: "port beyond int32",
			content: header + `metadata: {name: big}
spec:
  podSelector: {}
  vendors: [{name: threobuilder, ports: [{port: 4294967739}]}]
`,
			want: []string{"FILE: VendorAllowlist default/big: spec.vendors[0].ports[0].port: Invalid value: 4294967739: out of range for an int32, which holds whole numbers from -2147483648 to 2147483647",
				"FILE: VendorAllowlist default/big: spec.vendors[0].ports[0]: Invalid value: port must be between 1 and 65535, for example 443"},
		},
		{
			// It rendered a policy named -egress and exited 0.
			name:    "generateName instead of a name",
			content: header + "metadata: {generateName: acme-}\nspec: {podSelector: {}, vendors: [{name: workato, endpoints: [opa-gateways]}]}\n",
			want: []string{"FILE: document 1 (line 1) (VendorAllowlist): metadata.name: Required value: the NetworkPolicies are named after the allowlist (NAME-egress, NAME-ingress)",
				`the name the API server would make from generateName "acme-" is not known until it creates the allowlist: set metadata.name`,
				"error: 1 problem in FILE"},
		},
		{
			name:    "generateName on a Vendor",
			content: header + "metadata: {name: uses-acme}\nspec: {podSelector: {}, vendors: [{name: threobuilder, ports: [{port: 443}]}]}\n",
			vendors: "apiVersion: networking.vendorallowlist.io/v1alpha1\nkind: Vendor\nmetadata: {generateName: acme-}\nspec: {endpoints: [{name: api, direction: Egress, ports: [{port: 443}], customerInput: CIDRs}]}\n",
			want:    []string{`VENDORS: document 1 (line 1) (Vendor): metadata.name: Required value: allowlists name a Vendor in spec.vendors[].name, and the name the API server would make from generateName "acme-" is not known until it creates the Vendor: set metadata.name`},
		},
		{
			// The Go copy of the CRD's rules accepted it; the API server does not.
			name: "clusterDNS namespace empty",
			content: header + `metadata: {name: dns}
spec:
  podSelector: {}
  vendors: [{name: workato, endpoints: [opa-gateways]}]
  clusterDNS: {namespace: ""}
`,
			want: []string{`FILE: VendorAllowlist default/dns: spec.clusterDNS.namespace: Invalid value: "": must be a namespace name such as kube-system`},
		},
		{
			name: "selector expression without operator",
			content: header + `metadata: {name: sel}
spec:
  podSelector: {matchExpressions: [{key: app, values: [x]}]}
  vendors: [{name: workato, endpoints: [opa-gateways]}]
`,
			want: []string{"FILE: VendorAllowlist default/sel: spec.podSelector.matchExpressions[0].operator: Required value", "error: 1 problem in FILE"},
		},
		{
			name:    "Vendor address with an empty region",
			content: header + "metadata: {name: uses-acme}\nspec: {podSelector: {}, vendors: [{name: acme, ports: [{port: 443}]}]}\n",
			vendors: "apiVersion: networking.vendorallowlist.io/v1alpha1\nkind: Vendor\nmetadata: {name: acme}\nspec: {endpoints: [{name: hooks, direction: Ingress, addresses: [{cidr: 203.0.113.0/28, region: \"\"}]}]}\n",
			want:    []string{`VENDORS: Vendor acme: spec.endpoints[0].addresses[0].region: Invalid value: "": must be a region code such as US or EU`, "error: 1 problem in VENDORS"},
		},
		{
			name: "unknown field in metadata",
			content: header + `metadata: {name: meta, lables: {app: x}}
spec:
  podSelector: {}
  vendors: [{name: workato, endpoints: [opa-gateways]}]
`,
			want: []string{"FILE: VendorAllowlist default/meta: metadata.lables: Unknown field: did you mean labels?"},
		},
		{
			name:    "malformed YAML",
			content: "# a comment\n---\n" + header + "metadata: {name: broken\nspec: {}\n",
			// Line numbers are the file's, not the document's.
			want: []string{"FILE: document 1 (line 3): not valid YAML: yaml: line 5: did not find expected ',' or '}'"},
		},
		{
			name:    "no apiVersion and kind",
			content: "metadata: {name: bare}\nspec: {podSelector: {}}\n",
			want:    []string{"FILE: document 1 (line 1): apiVersion and kind are required"},
		},
		{
			name:    "another version",
			content: "apiVersion: networking.vendorallowlist.io/v1beta1\nkind: VendorAllowlist\nmetadata: {name: future}\nspec: {podSelector: {}}\n",
			want:    []string{`FILE: VendorAllowlist default/future: apiVersion: Unsupported value: "networking.vendorallowlist.io/v1beta1"`},
		},
		{
			name:    "missing name",
			content: header + "spec: {podSelector: {}, vendors: [{name: threobuilder, ports: [{port: 443}]}]}\n",
			want:    []string{"FILE: document 1 (line 1) (VendorAllowlist): metadata.name: Required value"},
		},
		{
			name: "ingress without ports",
			content: header + `metadata: {name: noports}
spec:
  podSelector: {}
  vendors: [{name: workato, endpoints: [inbound]}]
`,
			want: []string{"FILE: VendorAllowlist default/noports: spec.vendors[0].ports: Required value", "allPorts: true"},
		},
		{
			name: "customer input missing",
			content: header + `metadata: {name: fe}
spec:
  podSelector: {}
  vendors: [{name: outsystems, endpoints: [front-ends], ports: [{port: 443}]}]
`,
			want: []string{"FILE: VendorAllowlist default/fe: spec.vendors[0].hostnames: Required value: outsystems/front-ends is specific to each customer"},
		},
		{
			name:    "missing file",
			content: "",
			want:    []string{"FILE: cannot read: no such file or directory"},
		},
		{
			name: "every error of every object is reported",
			content: header + `metadata: {name: one}
spec:
  podSelector: {}
  vendors: [{name: nosuch}]
  custom:
    - {name: x, direction: Egress, cidrs: [1.2.3.4], ports: [{port: 443}]}
---
` + header + `metadata: {name: two}
spec:
  podSelector: {}
  vendors: [{name: freshchat, regions: [XX], ports: [{port: 70000}]}]
---
not: [valid
`,
			want: []string{
				"FILE: VendorAllowlist default/one: spec.vendors[0].name: ",
				`FILE: VendorAllowlist default/one: spec.custom[0].cidrs[0]: Invalid value: "1.2.3.4": needs a prefix length`,
				"FILE: VendorAllowlist default/two: spec.vendors[0].ports[0]: Invalid value: port must be between 1 and 65535",
				`FILE: VendorAllowlist default/two: spec.vendors[0].regions[0]: Unsupported value: "XX"`,
				"FILE: document 3 (line 17): not valid YAML: yaml: line 17:",
				// Each problem once, though both the CRD rules and the renderer refuse 1.2.3.4.
				"error: 5 problems in FILE; nothing was rendered",
			},
		},
		{
			name:    "duplicate allowlist",
			content: header + "metadata: {name: same}\nspec: {podSelector: {}, vendors: [{name: threobuilder, ports: [{port: 443}]}]}\n---\n" + header + "metadata: {name: same}\nspec: {podSelector: {}, vendors: [{name: threobuilder, ports: [{port: 8443}]}]}\n",
			want:    []string{`FILE: VendorAllowlist default/same: metadata.name: Duplicate value: "same"`},
		},
		{
			name:    "no allowlist in the file",
			content: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
			want:    []string{"nothing to render: no VendorAllowlist", "in FILE"},
		},
		{
			name:    "bad Vendor in --vendors",
			content: header + "metadata: {name: uses-acme}\nspec: {podSelector: {}, vendors: [{name: acme}]}\n",
			vendors: `apiVersion: networking.vendorallowlist.io/v1alpha1
kind: Vendor
metadata: {name: acme}
spec:
  endpoints:
    - name: api
      direction: Egress
      addresses: [{cidr: 192.0.2.1/24}]
`,
			want: []string{"VENDORS: Vendor acme: spec.endpoints[0]: Invalid value: an Egress endpoint group must list the ports",
				`VENDORS: Vendor acme: spec.endpoints[0].addresses[0].cidr: Invalid value: "192.0.2.1/24": has host bits set`},
		},
		{
			name:    "allowlist in --vendors",
			content: header + "metadata: {name: ok}\nspec: {podSelector: {}, vendors: [{name: threobuilder, ports: [{port: 443}]}]}\n",
			vendors: header + "metadata: {name: misplaced}\nspec: {podSelector: {}, vendors: [{name: threobuilder}]}\n",
			want:    []string{"VENDORS: VendorAllowlist misplaced: a --vendors file holds only Vendor objects: pass this file to -f instead"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "bad.yaml")
			if tc.content != "" {
				writeFile(t, dir, "bad.yaml", tc.content)
			}
			args := []string{"render", "--offline", "-f", file}
			vendors := filepath.Join(dir, "vendors.yaml")
			if tc.vendors != "" {
				writeFile(t, dir, "vendors.yaml", tc.vendors)
				args = append(args, "--vendors", vendors)
			}
			r := runPlugin(t, "", args...)
			if r.code != 1 {
				t.Errorf("exit %d, want 1", r.code)
			}
			if r.stdout != "" {
				t.Errorf("printed policies despite the problem:\n%s", r.stdout)
			}
			for _, w := range tc.want {
				w = strings.ReplaceAll(w, "FILE", file)
				w = strings.ReplaceAll(w, "VENDORS", vendors)
				wantContains(t, "stderr", r.stderr, w)
			}
			wantContains(t, "stderr", r.stderr, "nothing was rendered")
		})
	}
}

// Problems of several files are all reported, each naming its file, in order.
func TestRenderBadInputSeveralFiles(t *testing.T) {
	noDNS(t)
	dir := t.TempDir()
	a := writeFile(t, dir, "a.yaml", header+"metadata: {name: a}\nspec: {podSelector: {}, vendors: [{name: nosuch}]}\n")
	good := writeFile(t, dir, "good.yaml", header+"metadata: {name: good}\nspec: {podSelector: {}, vendors: [{name: threobuilder, ports: [{port: 443}]}]}\n")
	b := writeFile(t, dir, "b.yaml", header+"metadata: {name: b}\nspec: {podSelector: {}, vendors: [{name: threobuilder, allPorts: true, ports: [{port: 1}]}]}\n")
	r := runPlugin(t, "", "render", "--offline", "-f", a, "-f", good, "-f", b)
	if r.code != 1 || r.stdout != "" {
		t.Fatalf("exit %d with output %q, want 1 and no output", r.code, r.stdout)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 3 {
		t.Fatalf("stderr has %d lines, want 2 problems and a summary:\n%s", len(lines), r.stderr)
	}
	if !strings.HasPrefix(lines[0], a+": VendorAllowlist default/a: spec.vendors[0].name") {
		t.Errorf("first problem %q, want a.yaml's", lines[0])
	}
	if !strings.HasPrefix(lines[1], b+": VendorAllowlist default/b: spec.vendors[0]: Invalid value") || !strings.Contains(lines[1], "set either ports or allPorts: true, not both") {
		t.Errorf("second problem %q, want b.yaml's ports and allPorts", lines[1])
	}
	if want := "error: 2 problems in " + a + ", " + b + "; nothing was rendered"; lines[2] != want {
		t.Errorf("summary %q, want %q", lines[2], want)
	}
}

func TestUsageErrors(t *testing.T) {
	noDNS(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "Usage:"},
		{"unknown command", []string{"rendr"}, `unknown command "rendr"`},
		{"render without -f", []string{"render", "--offline"}, "-f FILE is required"},
		{"render with an argument", []string{"render", "--offline", "allowlist.yaml"}, `unexpected argument "allowlist.yaml": name files with -f FILE`},
		{"unknown flag", []string{"render", "--ofline", "-f", "x.yaml"}, "flag provided but not defined: -ofline"},
		{"offline and dns-server", []string{"render", "--offline", "--dns-server", "127.0.0.1:53", "-f", "x.yaml"}, "--offline sends no DNS query"},
		{"bad dns-server", []string{"render", "--dns-server", "dns.example.com:53", "-f", "x.yaml"}, `--dns-server "dns.example.com:53": want an IP address`},
		{"bad namespace", []string{"render", "--offline", "--namespace", "Team_A", "-f", "x.yaml"}, `--namespace "Team_A" is not a namespace name`},
		{"stdin twice", []string{"render", "--offline", "-f", "-", "--vendors", "-"}, "standard input can be read only once"},
		{"bad output format", []string{"catalog", "-o", "json"}, `-o "json": the formats are table, yaml and values`},
		{"version with an argument", []string{"version", "x"}, "version takes no arguments"},
		{"help for an unknown command", []string{"help", "nope"}, `unknown command "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runPlugin(t, "", tc.args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2", r.code)
			}
			wantContains(t, "stderr", r.stderr, tc.want, "Usage:")
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		r := runPlugin(t, "", args...)
		if r.code != 0 || r.stderr != "" {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
		wantContains(t, "help", r.stdout, "kubectl vendorallowlist COMMAND", "render", "catalog", "version")
	}
	for _, args := range [][]string{{"help", "render"}, {"render", "-h"}, {"render", "--help"}} {
		r := runPlugin(t, "", args...)
		if r.code != 0 {
			t.Errorf("%v: exit %d", args, r.code)
		}
		wantContains(t, "render help", r.stdout, "-f, --filename FILE", "--vendors FILE", "--offline", "--dns-server ADDR", "--namespace NS", "Exit status")
	}
	r := runPlugin(t, "", "catalog", "--help")
	wantContains(t, "catalog help", r.stdout, "--vendors FILE", "-o, --output FORMAT")
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := runPlugin(t, "", args...)
		if r.code != 0 {
			t.Errorf("%v: exit %d", args, r.code)
		}
		wantContains(t, "version", r.stdout, "kubectl-vendorallowlist ", "API: networking.vendorallowlist.io/v1alpha1", "Go: go")
	}
}

// TestVersionFromLinker builds the plugin the way a release does, with the version,
// commit and date set by -ldflags, and checks that `version` prints them.
func TestVersionFromLinker(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "kubectl-vendorallowlist")
	ldflags := version.LDFlags("v9.8.7-test", "0123456789abcdef0123456789abcdef01234567", "2026-01-31T12:00:00Z")
	build := exec.Command("go", "build", "-ldflags", ldflags, "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --version: %v\n%s", bin, err, out)
	}
	wantContains(t, "version", string(out),
		"kubectl-vendorallowlist v9.8.7-test\n",
		"Commit: 0123456789abcdef0123456789abcdef01234567\n",
		"Built: 2026-01-31T12:00:00Z\n")
}
