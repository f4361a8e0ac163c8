/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/resolver"
)

// failingLookuper fails the test on any DNS query.
type failingLookuper struct{ t *testing.T }

func (f failingLookuper) Lookup(_ context.Context, host string) (resolver.Answer, error) {
	f.t.Errorf("DNS query for %s with --offline", host)
	return resolver.Answer{}, errors.New("no DNS with --offline")
}

// noDNS makes any DNS query of the plugin fail the test, for the test's duration.
func noDNS(t *testing.T) {
	old := newLookuper
	newLookuper = func([]string, time.Duration) lookuper { return failingLookuper{t} }
	t.Cleanup(func() { newLookuper = old })
}

func TestRenderSamplesOffline(t *testing.T) {
	noDNS(t)
	tests := []struct {
		file  string
		check func(t *testing.T, got map[string]networkingv1.NetworkPolicy, r result)
	}{
		{"workato.yaml", func(t *testing.T, got map[string]networkingv1.NetworkPolicy, r result) {
			if want := []string{"workato-opa-egress", "workato-webhooks-ingress"}; !slices.Equal(names(got), want) {
				t.Errorf("policies %v, want %v", names(got), want)
			}
			opa := policy(t, got, "workato-opa-egress")
			if opa.Namespace != "default" || opa.Spec.PodSelector.MatchLabels["app.kubernetes.io/name"] != "workato-opa" {
				t.Errorf("workato-opa-egress: namespace %q, podSelector %v", opa.Namespace, opa.Spec.PodSelector)
			}
			if !slices.Equal(opa.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}) {
				t.Errorf("policyTypes %v, want [Egress]", opa.Spec.PolicyTypes)
			}
			gw := ruleWith(t, opa, "50.16.101.13/32")
			if !slices.Equal(gw.ports, []string{"TCP/443"}) {
				t.Errorf("gateway rule ports %v, want [TCP/443]", gw.ports)
			}
			// The published addresses of sg1, sg2 and sg.workato.com, and not the
			// deprecated 52.206.58.244 nor the other groups'.
			for _, c := range []string{"54.84.241.116/32", "34.237.50.149/32", "34.204.129.29/32", "34.192.94.13/32"} {
				if !slices.Contains(gw.cidrs, c) {
					t.Errorf("gateway rule lacks %s: %v", c, gw.cidrs)
				}
			}
			if len(gw.cidrs) != 9 {
				t.Errorf("gateway rule has %d addresses, want 9: %v", len(gw.cidrs), gw.cidrs)
			}
			for _, c := range []string{"52.206.58.244/32", "18.211.121.35/32", "52.5.142.59/32"} {
				if slices.Contains(allCIDRs(opa), c) {
					t.Errorf("workato-opa-egress opens %s", c)
				}
			}
			// allowDNS defaults to true: the cluster DNS comes first.
			dns := opa.Spec.Egress[0]
			if len(dns.To) != 1 || dns.To[0].PodSelector == nil || dns.To[0].PodSelector.MatchLabels["k8s-app"] != "kube-dns" {
				t.Errorf("first egress rule is not the cluster DNS: %+v", dns)
			}

			hooks := policy(t, got, "workato-webhooks-ingress")
			in := ruleWith(t, hooks, "52.5.142.59/32")
			if want := []string{"34.226.132.221/32", "52.5.142.59/32", "52.54.43.157/32"}; !slices.Equal(in.cidrs, want) {
				t.Errorf("webhook rule from %v, want %v", in.cidrs, want)
			}
			if !slices.Equal(in.ports, []string{"TCP/8443"}) {
				t.Errorf("webhook rule ports %v, want [TCP/8443]", in.ports)
			}
			wantNotContains(t, "stdout", r.stdout, "creationTimestamp", "status:")
		}},
		{"freshchat.yaml", func(t *testing.T, got map[string]networkingv1.NetworkPolicy, _ result) {
			np := policy(t, got, "freshchat-webhooks-ingress")
			if len(got) != 1 {
				t.Errorf("policies %v, want only freshchat-webhooks-ingress", names(got))
			}
			r := ruleWith(t, np, "18.184.146.22/32")
			if len(r.cidrs) != 10 {
				t.Errorf("EU rule has %d addresses, want Freshworks' 10 EU addresses: %v", len(r.cidrs), r.cidrs)
			}
			for _, c := range []string{"3.74.148.11/32", "52.29.254.13/32"} {
				if !slices.Contains(r.cidrs, c) {
					t.Errorf("EU rule lacks %s", c)
				}
			}
			for _, c := range []string{"52.1.37.96/32", "13.232.152.211/32", "3.105.197.171/32"} { // US, IN, AU
				if slices.Contains(r.cidrs, c) {
					t.Errorf("EU rule opens %s of another region", c)
				}
			}
			if !slices.Equal(r.ports, []string{"TCP/443"}) {
				t.Errorf("ports %v, want [TCP/443]", r.ports)
			}
		}},
		{"outsystems.yaml", func(t *testing.T, got map[string]networkingv1.NetworkPolicy, r result) {
			if want := []string{"outsystems-internet-ingress", "outsystems-vpn-ingress"}; !slices.Equal(names(got), want) {
				t.Errorf("policies %v, want %v", names(got), want)
			}
			vpn := ruleWith(t, policy(t, got, "outsystems-vpn-ingress"), "10.20.0.0/16")
			if !slices.Equal(vpn.ports, []string{"TCP/443"}) || len(vpn.cidrs) != 1 {
				t.Errorf("vpn rule %+v, want 10.20.0.0/16 on TCP/443", vpn)
			}
			// Offline, the front-ends have no address: no rule, and the user is told.
			if in := policy(t, got, "outsystems-internet-ingress").Spec.Ingress; len(in) != 0 {
				t.Errorf("outsystems-internet-ingress has rules offline: %+v", in)
			}
			wantContains(t, "stderr", r.stderr, "frontend1.outsystems-customer.example.com", "--offline",
				"NetworkPolicy outsystems-internet-ingress has no ingress rule")
		}},
		{"threobuilder.yaml", func(t *testing.T, got map[string]networkingv1.NetworkPolicy, _ result) {
			np := policy(t, got, "threobuilder-agents-ingress")
			r := ruleWith(t, np, "87.236.195.76/32")
			if len(r.cidrs) != 6 || !slices.Contains(r.cidrs, "87.236.197.202/32") {
				t.Errorf("agents rule %v, want ThreoBuilder's 6 addresses", r.cidrs)
			}
			if !slices.Equal(r.ports, []string{"TCP/443"}) {
				t.Errorf("ports %v, want [TCP/443]", r.ports)
			}
			if len(got) != 1 {
				t.Errorf("policies %v: ThreoBuilder publishes no egress", names(got))
			}
		}},
		{"custom.yaml", func(t *testing.T, got map[string]networkingv1.NetworkPolicy, _ result) {
			np := policy(t, got, "payments-partner-egress")
			r := ruleWith(t, np, "103.21.244.0/24")
			if want := []string{"103.21.244.0/24", "2606:4700:10::/56"}; !slices.Equal(r.cidrs, want) {
				t.Errorf("custom rule to %v, want %v", r.cidrs, want)
			}
			if want := []string{"TCP/443", "TCP/22"}; !slices.Equal(r.ports, want) {
				t.Errorf("custom rule ports %v, want %v", r.ports, want)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(strings.TrimSuffix(tc.file, ".yaml"), func(t *testing.T) {
			// At the default settings: a sample renders as a user who applies it gets it.
			got, r := mustRender(t, "", "render", "--offline", "-f", sample(tc.file))
			for _, np := range got {
				wantContains(t, "stdout", r.stdout, "# Rendered from VendorAllowlist default/"+strings.TrimSuffix(strings.TrimSuffix(np.Name, "-ingress"), "-egress")+" ("+sample(tc.file)+")")
				if np.Labels["app.kubernetes.io/managed-by"] != "vendor-allowlist-operator" {
					t.Errorf("policy %s lacks the managed-by label: %v", np.Name, np.Labels)
				}
			}
			tc.check(t, got, r)
		})
	}
}

// Every sample is in the samples' kustomization, and every file it lists exists.
func TestSamplesKustomization(t *testing.T) {
	data, err := os.ReadFile(sample("kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := sigsyaml.Unmarshal(data, &k); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(sample("*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" {
			want = append(want, b)
		}
	}
	got := slices.Sorted(slices.Values(k.Resources))
	if !slices.Equal(got, want) {
		t.Errorf("kustomization resources %v, want the samples %v", got, want)
	}
	for _, v := range []string{"workato.yaml", "freshchat.yaml", "outsystems.yaml", "threobuilder.yaml", "custom.yaml"} {
		if !slices.Contains(got, v) {
			t.Errorf("no sample %s", v)
		}
	}
}

func TestRenderSamplesDirectory(t *testing.T) {
	noDNS(t)
	got, r := mustRender(t, "", "render", "--offline", "-f", samplesDir)
	want := []string{
		"freshchat-webhooks-ingress", "outsystems-internet-ingress", "outsystems-vpn-ingress",
		"payments-partner-egress", "threobuilder-agents-ingress", "workato-opa-egress", "workato-webhooks-ingress",
	}
	if !slices.Equal(names(got), want) {
		t.Errorf("policies %v, want %v", names(got), want)
	}
	wantContains(t, "stderr", r.stderr, "note: "+sample("kustomization.yaml")+": document 1 (line 5): skipping kustomize.config.k8s.io/v1beta1 Kustomization")
}

func TestRenderStdin(t *testing.T) {
	noDNS(t)
	data, err := os.ReadFile(sample("threobuilder.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got, r := mustRender(t, string(data), "render", "--offline", "-f", "-", "--namespace", "apis")
	np := policy(t, got, "threobuilder-agents-ingress")
	if np.Namespace != "apis" {
		t.Errorf("namespace %q, want apis (from --namespace)", np.Namespace)
	}
	wantContains(t, "stdout", r.stdout, "# Rendered from VendorAllowlist apis/threobuilder-agents (stdin)")

	// The same input renders the same bytes.
	again := runPlugin(t, string(data), "render", "--offline", "-n", "apis", "-f", "-")
	if again.stdout != r.stdout {
		t.Errorf("output differs between two runs:\n%s\n---\n%s", r.stdout, again.stdout)
	}

	// A namespace in the file wins over --namespace.
	withNS := strings.Replace(string(data), "  name: threobuilder-agents\n", "  name: threobuilder-agents\n  namespace: edge\n", 1)
	got, _ = mustRender(t, withNS, "render", "--offline", "-f", "-", "--namespace", "apis")
	if ns := policy(t, got, "threobuilder-agents-ingress").Namespace; ns != "edge" {
		t.Errorf("namespace %q, want edge (from the file)", ns)
	}
}

func TestRenderJSONAndLists(t *testing.T) {
	noDNS(t)
	dir := t.TempDir()
	// kubectl get -o json prints a v1 List; items may also be JSON.
	list := writeFile(t, dir, "list.json", `{
  "apiVersion": "v1",
  "kind": "List",
  "items": [
    {"apiVersion": "networking.vendorallowlist.io/v1alpha1", "kind": "VendorAllowlist",
     "metadata": {"name": "a", "namespace": "x", "creationTimestamp": "2026-01-02T03:04:05Z", "uid": "1234"},
     "spec": {"podSelector": {}, "vendors": [{"name": "threobuilder", "ports": [{"port": 8080}]}]},
     "status": {"observedGeneration": 1}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
  ]
}`)
	got, r := mustRender(t, "", "render", "--offline", "-f", list)
	np := policy(t, got, "a-ingress")
	if np.Namespace != "x" || !slices.Equal(ruleWith(t, np, "87.236.195.76/32").ports, []string{"TCP/8080"}) {
		t.Errorf("a-ingress: %+v", np)
	}
	wantContains(t, "stderr", r.stderr, "document 1 (line 1) items[1]: skipping v1 ConfigMap c")
	wantNotContains(t, "stdout", r.stdout, "uid", "creationTimestamp", "observedGeneration")
}

func TestRenderVendorsOverride(t *testing.T) {
	noDNS(t)
	dir := t.TempDir()
	vendors := writeFile(t, dir, "vendors.yaml", `# ThreoBuilder moved; Acme is new.
apiVersion: networking.vendorallowlist.io/v1alpha1
kind: Vendor
metadata:
  name: threobuilder
spec:
  endpoints:
    - name: agents
      direction: Ingress
      addresses:
        - cidr: 198.51.100.0/24
---
apiVersion: networking.vendorallowlist.io/v1alpha1
kind: Vendor
metadata:
  name: acme
spec:
  displayName: Acme
  endpoints:
    - name: api
      direction: Egress
      ports: [{port: 8443}]
      addresses:
        - cidr: 192.0.2.10/32
`)
	got, _ := mustRender(t, "", "render", "--offline", "--vendors", vendors, "-f", sample("threobuilder.yaml"))
	cidrs := allCIDRs(policy(t, got, "threobuilder-agents-ingress"))
	if !slices.Equal(cidrs, []string{"198.51.100.0/24"}) {
		t.Errorf("with the override, threobuilder opens %v, want [198.51.100.0/24]", cidrs)
	}

	// A Vendor in the -f file is used too, and the catalog lists --vendors.
	both := writeFile(t, dir, "both.yaml", `apiVersion: networking.vendorallowlist.io/v1alpha1
kind: Vendor
metadata: {name: globex}
spec:
  endpoints:
    - {name: hooks, direction: Ingress, addresses: [{cidr: 203.0.113.7/32}]}
---
apiVersion: networking.vendorallowlist.io/v1alpha1
kind: VendorAllowlist
metadata: {name: mixed}
spec:
  podSelector: {matchLabels: {app: mixed}}
  vendors:
    - {name: globex, ports: [{port: 9000}]}
    - {name: acme}
`)
	got, _ = mustRender(t, "", "render", "--offline", "--vendors", vendors, "-f", both)
	if r := ruleWith(t, policy(t, got, "mixed-ingress"), "203.0.113.7/32"); !slices.Equal(r.ports, []string{"TCP/9000"}) {
		t.Errorf("globex rule %+v", r)
	}
	if r := ruleWith(t, policy(t, got, "mixed-egress"), "192.0.2.10/32"); !slices.Equal(r.ports, []string{"TCP/8443"}) {
		t.Errorf("acme rule %+v", r)
	}

	// Without --vendors, acme is unknown.
	r := runPlugin(t, "", "render", "--offline", "-f", both)
	if r.code != 1 {
		t.Errorf("exit %d, want 1 without the acme Vendor", r.code)
	}
	wantContains(t, "stderr", r.stderr, both+": VendorAllowlist default/mixed: spec.vendors[1].name: ", "no such vendor")

	// A vendor defined twice is an error naming both files.
	dup := writeFile(t, dir, "dup.yaml", `apiVersion: networking.vendorallowlist.io/v1alpha1
kind: Vendor
metadata: {name: acme}
spec:
  endpoints: [{name: api, direction: Egress, ports: [{port: 443}], addresses: [{cidr: 192.0.2.11/32}]}]
`)
	r = runPlugin(t, "", "render", "--offline", "--vendors", vendors, "--vendors", dup, "-f", both)
	if r.code != 1 {
		t.Errorf("exit %d, want 1 for a vendor defined twice", r.code)
	}
	wantContains(t, "stderr", r.stderr, dup+": Vendor acme: metadata.name: Duplicate value: \"acme\": also defined in "+vendors)
}

func TestRenderOfflineSendsNoDNS(t *testing.T) {
	noDNS(t)
	// workato-opa names hostnames: offline renders their published addresses only.
	mustRender(t, "", "render", "--offline", "-f", sample("workato.yaml"), "-f", sample("outsystems.yaml"))
}

// An egress policy with no vendor address left isolates the pods: the warning says
// what it still allows, DNS or not, as allowDNS says.
func TestRenderWarnsWhatAnEmptyEgressPolicyAllows(t *testing.T) {
	const doc = `apiVersion: networking.vendorallowlist.io/v1alpha1
kind: VendorAllowlist
metadata: {name: api, namespace: team-a}
spec:
  podSelector: {}
  allowDNS: ALLOW
  custom:
  - name: api
    direction: Egress
    hostnames: [api.partner.example.com]
    ports: [{port: 443}]
`
	for _, tc := range []struct {
		allow, want, not string
	}{
		{"true", "it denies the selected pods all egress but DNS", "DNS included"},
		{"false", "it denies the selected pods all egress, DNS included", "all egress but DNS"},
	} {
		_, r := mustRender(t, strings.Replace(doc, "ALLOW", tc.allow, 1), "render", "--offline", "-f", "-")
		wantContains(t, "stderr", r.stderr, "NetworkPolicy api-egress has no egress rule", tc.want)
		wantNotContains(t, "stderr", r.stderr, tc.not)
	}
}
