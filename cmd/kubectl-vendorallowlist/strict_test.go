/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"strings"
	"testing"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
)

// A sample that needs the customer's own hostnames (OutSystems front-ends under
// example.com) renders an ingress policy with no rule: applied, it would deny all
// ingress. Without --strict the plugin prints it with a WARNING on stderr that says
// so; with --strict it prints nothing and exits 1, offline and through DNS alike
// (where example.com names answer NXDOMAIN).
func TestRenderStrictRefusesADenyAll(t *testing.T) {
	noDNS(t)
	r := runPlugin(t, "", "render", "--offline", "-f", sample("outsystems.yaml"))
	if r.code != exitOK {
		t.Fatalf("without --strict: exit %d, want 0", r.code)
	}
	wantContains(t, "stderr", r.stderr,
		"WARNING: "+sample("outsystems.yaml")+": VendorAllowlist default/outsystems-internet: NetworkPolicy outsystems-internet-ingress has no ingress rule",
		"it denies all ingress to the selected pods",
		"WARNING: "+sample("outsystems.yaml")+": VendorAllowlist default/outsystems-internet: no address for "+frontend1,
		"--strict makes this an error")
	wantContains(t, "stdout", r.stdout, "name: outsystems-internet-ingress")

	r = runPlugin(t, "", "render", "--offline", "--strict", "-f", sample("outsystems.yaml"))
	if r.code != exitError {
		t.Errorf("--strict: exit %d, want 1", r.code)
	}
	if r.stdout != "" {
		t.Errorf("--strict printed policies although one denies all:\n%s", r.stdout)
	}
	wantContains(t, "stderr", r.stderr, "error: "+sample("outsystems.yaml")+": VendorAllowlist default/outsystems-internet: NetworkPolicy outsystems-internet-ingress has no ingress rule",
		"error: --strict: 2 of the above; nothing was rendered")
}

func TestRenderStrictThroughDNS(t *testing.T) {
	srv := testdns.Start(t) // knows no name: every example.com name is NXDOMAIN
	r := runPlugin(t, "", "render", "--strict", "--dns-server", srv.Addr(), "-f", sample("outsystems.yaml"))
	if r.code != exitError || r.stdout != "" {
		t.Errorf("--strict with NXDOMAIN front-ends: exit %d, stdout %q; want 1 and nothing", r.code, r.stdout)
	}
	wantContains(t, "stderr", r.stderr, "no address for "+frontend1, "denies all ingress")

	// Once the names resolve, --strict renders them.
	srv.SetHost(frontend1, "198.51.100.21")
	srv.SetHost(frontend2, "198.51.100.22")
	got, _ := mustRender(t, "", "render", "--strict", "--dns-server", srv.Addr(), "--guard-allow-cidr", "198.51.100.0/24", "-f", sample("outsystems.yaml"))
	ruleWith(t, policy(t, got, "outsystems-internet-ingress"), "198.51.100.21/32")
}

// --strict passes what renders in full, and fails an ingress target it cannot render.
func TestRenderStrictOnTheOtherSamples(t *testing.T) {
	noDNS(t)
	for _, f := range []string{"workato.yaml", "freshchat.yaml", "threobuilder.yaml"} {
		mustRender(t, "", "render", "--offline", "--strict", "-f", sample(f))
	}
	r := runPlugin(t, "", "render", "--offline", "--strict", "-f", sample("ingress-targets/istio.yaml"))
	if r.code != exitError {
		t.Errorf("istio.yaml offline, --strict: exit %d, want 1 (the front-ends have no address)", r.code)
	}
	wantContains(t, "stderr", r.stderr, "no ingress address is known, so AuthorizationPolicy")
}

// --policies-only prints the NetworkPolicies alone, so that the output takes the one
// field manager of the operator; the Service's patch is left out.
func TestRenderPoliciesOnly(t *testing.T) {
	noDNS(t)
	r := runPlugin(t, "", "render", "--offline", "-f", sample("ingress-targets/service.yaml"))
	wantContains(t, "stdout", r.stdout, "kind: Service")
	got, r := mustRender(t, "", "render", "--offline", "--policies-only", "-f", sample("ingress-targets/service.yaml"))
	wantNotContains(t, "stdout", r.stdout, "kind: Service", "loadBalancerSourceRanges")
	policy(t, got, "freshchat-webhooks-lb-ingress")
}

// --guard-allow-cidr and --cluster-cidr take a comma-separated list, as the chart's
// ConfigMap writes guard-allow-cidr and cluster-cidr, and render as the repeated flag.
func TestRenderCIDRFlagsTakeCommas(t *testing.T) {
	noDNS(t)
	const doc = `apiVersion: networking.vendorallowlist.io/v1alpha1
kind: VendorAllowlist
metadata: {name: partner}
spec:
  podSelector: {}
  custom:
  - name: partner
    direction: Egress
    cidrs: [203.0.113.0/24, "2001:db8:4e::/56"]
    ports: [{port: 443}]
`
	repeated, _ := mustRender(t, doc, "render", "--offline", "--strict", "--guard-allow-cidr", "203.0.113.0/24", "--guard-allow-cidr", "2001:db8::/32", "-f", "-")
	commas, _ := mustRender(t, doc, "render", "--offline", "--strict", "--guard-allow-cidr", "203.0.113.0/24,2001:db8::/32", "-f", "-")
	if a, b := allCIDRs(policy(t, repeated, "partner-egress")), allCIDRs(policy(t, commas, "partner-egress")); strings.Join(a, " ") != strings.Join(b, " ") || len(a) < 2 {
		t.Errorf("repeated flags render %v, comma-separated %v", a, b)
	}
	r := runPlugin(t, doc, "render", "--offline", "--guard-allow-cidr", "203.0.113.0/24,", "-f", "-")
	if r.code != exitUsage {
		t.Errorf("a trailing comma: exit %d, want 2", r.code)
	}
	wantContains(t, "stderr", r.stderr, "empty network")
}

// Every pipeline the help shows into kubectl apply is one that works: server-side,
// with the field manager of what is applied. A client-side apply of the Service or
// Ingress patch would replace the user's object.
func TestHelpPipelinesApplyServerSide(t *testing.T) {
	for _, c := range commands() {
		var b strings.Builder
		c.usage(&b)
		lines := strings.Split(b.String(), "\n")
		for i, l := range lines {
			if !strings.Contains(l, "kubectl apply") || strings.Contains(l, "'kubectl apply --server-side'") {
				continue
			}
			if !strings.Contains(l, "--server-side") {
				t.Errorf("help of %s, line %d: %q applies without --server-side", c.name, i+1, strings.TrimSpace(l))
			}
			// What render prints is applied under the operator's field manager (the
			// policies, which it then adopts) or a target's (a patch).
			if c.name == "render" && !strings.Contains(l, "--field-manager=") {
				t.Errorf("help of render, line %d: %q applies without the field manager", i+1, strings.TrimSpace(l))
			}
		}
	}
}
