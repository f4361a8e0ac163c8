/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render_test

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// shuffled returns a copy of resolved with each hostname's addresses shuffled and
// some of them repeated, also in their IPv4-mapped IPv6 form.
func shuffled(r *rand.Rand, resolved render.Resolved) render.Resolved {
	if resolved == nil {
		return nil
	}
	out := render.Resolved{}
	for name, as := range resolved {
		s := slices.Clone(as)
		for _, a := range as {
			switch r.IntN(3) {
			case 0:
				s = append(s, a)
			case 1:
				if a.Is4() {
					s = append(s, netip.AddrFrom16(a.As16()))
				}
			}
		}
		r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
		out[name] = s
	}
	return out
}

// TestRenderDeterministic: the same input renders byte-identical YAML, whatever the
// order of DNS's answers, repeats in them, and however often it is compiled and
// rendered.
func TestRenderDeterministic(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			resolved := resolvedOf(t, tc.resolved)
			want := marshalStream(t, compile(t, loadAllowlist(t, tc.input)).Render(resolved))

			plan := compile(t, loadAllowlist(t, tc.input))
			if got := marshalStream(t, plan.Render(resolved)); !bytes.Equal(want, got) {
				t.Fatalf("a second compile and render differs:\n%s", cmp.Diff(string(want), string(got)))
			}
			if got := marshalStream(t, plan.Render(resolved)); !bytes.Equal(want, got) {
				t.Fatalf("rendering one plan twice differs:\n%s", cmp.Diff(string(want), string(got)))
			}
			for seed := range uint64(20) {
				r := rand.New(rand.NewPCG(seed, 1))
				if got := marshalStream(t, plan.Render(shuffled(r, resolved))); !bytes.Equal(want, got) {
					t.Fatalf("seed %d: shuffled and repeated DNS answers render differently:\n%s", seed, cmp.Diff(string(want), string(got)))
				}
			}
		})
	}
}

// TestRenderDeterministicListOrder: the order of CIDRs and hostnames in the
// allowlist does not change the output either.
func TestRenderDeterministicListOrder(t *testing.T) {
	a := loadAllowlist(t, "custom.yaml")
	resolved := resolvedOf(t, map[string][]string{"api.partner.example.com": {"203.0.113.10", "192.0.2.99"}})
	want := marshalStream(t, compile(t, a).Render(resolved))
	for i := range a.Spec.Custom {
		slices.Reverse(a.Spec.Custom[i].CIDRs)
	}
	slices.Reverse(a.Spec.Custom)
	if got := marshalStream(t, compile(t, a).Render(resolved)); !bytes.Equal(want, got) {
		t.Errorf("reordered entries and CIDRs render differently:\n%s", cmp.Diff(string(want), string(got)))
	}

	b := loadAllowlist(t, "outsystems-front-ends.yaml")
	resolved = resolvedOf(t, map[string][]string{"fe1.acme.example.com": {"198.51.100.23"}, "fe3.acme.example.com": {"198.51.100.1"}})
	want = marshalStream(t, compile(t, b).Render(resolved))
	slices.Reverse(b.Spec.Vendors[0].Hostnames)
	if got := marshalStream(t, compile(t, b).Render(resolved)); !bytes.Equal(want, got) {
		t.Errorf("reordered hostnames render differently:\n%s", cmp.Diff(string(want), string(got)))
	}
}

// TestRenderCollapsesContainedPrefixes: a prefix inside another of the same rule is
// not rendered, whether it comes from the allowlist, the catalog or DNS; prefixes of
// different rules are left alone.
func TestRenderCollapsesContainedPrefixes(t *testing.T) {
	a := parseAllowlist(t, `
metadata: {name: nested, namespace: n}
spec:
  podSelector: {}
  allowDNS: false
  custom:
    - name: a
      direction: Egress
      cidrs: [10.1.2.3/32, 10.0.0.0/8, 10.1.0.0/16, 192.168.1.0/24, 192.168.0.0/23, 2001:db8::/32, 2001:db8:1::1/128]
      hostnames: [inside.example.com]
      privateAddresses: Allow # the DNS answers below are private
      ports: [{port: 443}]
    - name: b
      direction: Egress
      cidrs: [10.1.2.3/32]
      ports: [{port: 22}]
`)
	resolved := resolvedOf(t, map[string][]string{"inside.example.com": {"10.200.0.1", "::ffff:10.9.9.9", "2001:db8:ffff::1", "192.168.1.7", "172.16.0.1"}})
	policies := compile(t, a).Render(resolved)
	// Peers are ordered IPv4 before IPv6, then broader before narrower, then by address.
	want := []string{
		"nested-egress Egress",
		"  to 10.0.0.0/8 192.168.0.0/23 172.16.0.1/32 2001:db8::/32 ports TCP/443",
		"  to 10.1.2.3/32 ports TCP/22",
	}
	if diff := cmp.Diff(want, summarize(policies)); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
}
