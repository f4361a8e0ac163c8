/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// targetCIDRs reads the addresses an object a target writes carries, wherever its
// kind keeps them.
func targetCIDRs(t *testing.T, o render.TargetObject) []string {
	t.Helper()
	u := o.Object.Object
	str := func(path ...string) []string {
		v, _, err := unstructured.NestedStringSlice(u, path...)
		if err != nil {
			t.Fatalf("%s %s: %v", o.Object.GetKind(), path, err)
		}
		return v
	}
	switch o.Object.GetKind() {
	case "Service":
		return str("spec", "loadBalancerSourceRanges")
	case "Ingress":
		if v, ok := o.Object.GetAnnotations()[render.NginxAllowlistAnnotation]; ok {
			return strings.Split(v, ",")
		}
		return nil // Traefik's attachment carries no address
	case "Middleware":
		return str("spec", "ipAllowList", "sourceRange")
	case "SecurityPolicy":
		rules, _, _ := unstructured.NestedSlice(u, "spec", "authorization", "rules")
		if len(rules) == 0 {
			return nil
		}
		v, _, _ := unstructured.NestedStringSlice(rules[0].(map[string]any), "principal", "clientCIDRs")
		return v
	case "AuthorizationPolicy":
		rules, _, _ := unstructured.NestedSlice(u, "spec", "rules")
		if len(rules) == 0 {
			return nil
		}
		from, _, _ := unstructured.NestedSlice(rules[0].(map[string]any), "from")
		v, _, _ := unstructured.NestedStringSlice(from[0].(map[string]any), "source", "notRemoteIpBlocks")
		return v
	}
	t.Fatalf("unknown kind %s", o.Object.GetKind())
	return nil
}

// TestTargetsGetTheIngressPolicyAddresses: every target of every golden case carries
// exactly the address blocks of the ingress policy's rules (rendered with the ingress
// NetworkPolicy on, when the case has it off), in the same order: one computation,
// with the guard, the limits and DNS applied once.
func TestTargetsGetTheIngressPolicyAddresses(t *testing.T) {
	for _, tc := range goldenCases {
		a := loadAllowlist(t, tc.input)
		if len(a.Spec.IngressTargets) == 0 {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			withPolicy := a.DeepCopy()
			withPolicy.Spec.IngressNetworkPolicy = v1alpha1.IngressNetworkPolicyEnabled
			var want []string
			for _, np := range compile(t, withPolicy).Render(resolvedOf(t, tc.resolved)) {
				for _, r := range np.Spec.Ingress {
					want = append(want, cidrsOf(r.From)...)
				}
			}
			result := compile(t, a).Build(resolvedOf(t, tc.resolved))
			if len(result.Targets) != len(a.Spec.IngressTargets) {
				t.Fatalf("%d targets rendered, want %d", len(result.Targets), len(a.Spec.IngressTargets))
			}
			// The merged set is the rules' blocks, sorted, with none inside another.
			slices.SortFunc(want, func(x, y string) int { return strings.Compare(x, y) })
			for _, rt := range result.Targets {
				if rt.Addresses != len(want) {
					t.Errorf("%s: Addresses = %d, want %d", rt.Path(), rt.Addresses, len(want))
				}
				for _, o := range rt.Objects {
					got := targetCIDRs(t, o)
					if rt.Addresses == 0 {
						if len(o.Object.Object) > 4 || got != nil {
							t.Errorf("%s: %s %s has content without an address: %v", rt.Path(), o.Object.GetKind(), o.Object.GetName(), o.Object.Object)
						}
						continue
					}
					if o.Object.GetKind() == "Ingress" && o.Object.GetAnnotations()[render.TraefikMiddlewaresAnnotation] != "" {
						continue
					}
					slices.Sort(got)
					if !slices.Equal(got, want) {
						t.Errorf("%s: %s %s carries %v, the ingress policy's rules %v", rt.Path(), o.Object.GetKind(), o.Object.GetName(), got, want)
					}
				}
			}
			if !a.Spec.IngressNetworkPolicyEnabled() {
				for _, np := range result.Policies {
					if np.Spec.PolicyTypes[0] == "Ingress" {
						t.Errorf("ingressNetworkPolicy: Disabled, and %s is rendered", np.Name)
					}
				}
			}
		})
	}
}

// TestTargetErrors: a target that cannot be rendered fails Compile with the reason,
// the field and the fix.
func TestTargetErrors(t *testing.T) {
	const base = `
apiVersion: networking.vendorallowlist.io/v1alpha1
kind: VendorAllowlist
metadata: {name: hooks, namespace: apps}
spec:
  podSelector: {matchLabels: {app: hooks}}
`
	const ingress = `  vendors: [{name: workato, endpoints: [inbound], ports: [{port: 443}]}]
`
	cases := []struct {
		name, spec  string
		field, want string
	}{
		{"targets of an egress-only allowlist", "  vendors: [{name: workato, endpoints: [opa-gateways]}]\n  ingressTargets: [{service: {name: web}}]\n",
			"spec.ingressTargets", "opens none: select a vendor's Ingress group"},
		{"Disabled without targets", ingress + "  ingressNetworkPolicy: Disabled\n",
			"spec.ingressTargets", "add one (for example {service: {name: web}})"},
		{"no member", ingress + "  ingressTargets: [{}]\n",
			"spec.ingressTargets[0]", "set exactly one of service, ingressNginx"},
		{"two members", ingress + "  ingressTargets: [{service: {name: web}, ingressNginx: {ingressName: web}}]\n",
			"spec.ingressTargets[0]", "set exactly one of service, ingressNginx"},
		{"one Service twice", ingress + "  ingressTargets: [{service: {name: web}}, {service: {name: web}}]\n",
			"spec.ingressTargets[1]", "spec.ingressTargets[0] already writes Service web"},
		{"one Ingress for two controllers", ingress + "  ingressTargets: [{ingressNginx: {ingressName: web}}, {traefik: {ingressName: web}}]\n",
			"spec.ingressTargets[1]", "already writes Ingress web"},
		{"two Traefik middlewares of one name", ingress + "  ingressTargets: [{traefik: {}}, {traefik: {ipStrategy: {depth: 1}}}]\n",
			"spec.ingressTargets[1]", "already writes Middleware hooks-ingress"},
		{"istio with both", ingress + "  ingressTargets: [{istio: {gatewayName: gw, selector: {matchLabels: {istio: ingressgateway}}}}]\n",
			"spec.ingressTargets[0].istio", "exactly one of gatewayName or selector"},
		{"istio with an empty selector", ingress + "  ingressTargets: [{istio: {selector: {matchLabels: {}}}}]\n",
			"spec.ingressTargets[0].istio.selector.matchLabels", "an empty selector would apply to every workload"},
		{"istio with a bad label", ingress + "  ingressTargets: [{istio: {selector: {matchLabels: {istio: 'not ok'}}}}]\n",
			"spec.ingressTargets[0].istio.selector.matchLabels", "a valid label must be"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := parseAllowlist(t, base+tc.spec)
			_, err := render.Compile(a, builtin(), opts)
			var rerr *render.Error
			if !errors.As(err, &rerr) {
				t.Fatalf("Compile: %v, want a *render.Error", err)
			}
			if rerr.Reason != v1alpha1.ReasonInvalidSpec {
				t.Errorf("reason %s, want %s", rerr.Reason, v1alpha1.ReasonInvalidSpec)
			}
			found := false
			for _, e := range rerr.Errors {
				if e.Field == tc.field && strings.Contains(e.Error(), tc.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("no error on %s saying %q:\n%v", tc.field, tc.want, err)
			}
		})
	}
}

// TestTargetObjectName: names of created objects stay within 253 characters and
// unique, however long the allowlist's and the target's names.
func TestTargetObjectName(t *testing.T) {
	if got := render.TargetObjectName("hooks", "httproute", "web"); got != "hooks-httproute-web" {
		t.Errorf("short name: %s", got)
	}
	long := strings.Repeat("a", 63)
	route := strings.Repeat("r", 250)
	a := render.TargetObjectName(long, "httproute", route)
	b := render.TargetObjectName(long, "httproute", route+"x")
	if len(a) > 253 || len(b) > 253 {
		t.Errorf("names of %d and %d characters, want at most 253", len(a), len(b))
	}
	if a == b {
		t.Errorf("two targets got the same name %s", a)
	}
}

// TestTargetsKeepToTheLimitsAndTheGuard: what the tenant limits leave out of the
// policy (a network broader than allowed, the cluster's range), and what the guard
// refuses from DNS (loopback, a cluster address), is left out of every target too.
func TestTargetsKeepToTheLimitsAndTheGuard(t *testing.T) {
	a := parseAllowlist(t, `
apiVersion: networking.vendorallowlist.io/v1alpha1
kind: VendorAllowlist
metadata: {name: hooks, namespace: apps}
spec:
  podSelector: {matchLabels: {app: hooks}}
  custom:
  - name: partner
    direction: Ingress
    cidrs: [52.1.37.96/32, 52.0.0.0/8, 10.244.3.0/24]
    hostnames: [hooks.partner.example.com]
    ports: [{port: 443}]
  ingressNetworkPolicy: Disabled
  ingressTargets:
  - service: {name: web}
  - envoyGateway: {targetRef: {kind: Gateway, name: public}}
`)
	plan, refused := limited(t, a)
	if len(refused) != 2 {
		t.Fatalf("refused %v, want the /8 and the cluster's range", refused)
	}
	result := plan.Build(render.Resolved{"hooks.partner.example.com": addrs(t, "54.1.2.3", "127.0.0.1", "10.244.0.9")})
	want := []string{"52.1.37.96/32", "54.1.2.3/32"}
	for _, rt := range result.Targets {
		for _, o := range rt.Objects {
			if got := targetCIDRs(t, o); !slices.Equal(got, want) {
				t.Errorf("%s: %s %s holds %v, want %v", rt.Path(), o.Object.GetKind(), o.Object.GetName(), got, want)
			}
		}
	}
}
