/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"testing"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

func TestConsentAnnotations(t *testing.T) {
	for _, tc := range []struct {
		value, allowlist string
		want             bool
	}{
		{"", "hooks", false},
		{"hooks", "hooks", true},
		{" partner , hooks ", "hooks", true},
		{"hooks-2", "hooks", false},
		{"hook", "hooks", false},
		{"*", "hooks", true},
		{"partner,*", "hooks", true},
	} {
		if got := namesAllowlist(tc.value, tc.allowlist); got != tc.want {
			t.Errorf("namesAllowlist(%q, %q) = %v, want %v", tc.value, tc.allowlist, got, tc.want)
		}
	}
	for _, tc := range []struct {
		value string
		kind  render.TargetKind
		want  bool
	}{
		{"", render.TargetService, false},
		{"service", render.TargetService, true},
		{"istio, service", render.TargetService, true},
		{"services", render.TargetService, false},
		{"*", render.TargetIstio, false}, // no wildcard: the admin names each kind
		{"all", render.TargetIstio, false},
		{"ingress-nginx", render.TargetTraefik, false},
	} {
		if got := namespaceAllows(tc.value, tc.kind); got != tc.want {
			t.Errorf("namespaceAllows(%q, %s) = %v, want %v", tc.value, tc.kind, got, tc.want)
		}
	}
	for _, tc := range []struct{ list, item, want string }{
		{"", "hooks", "hooks"},
		{"partner", "hooks", "partner,hooks"},
		{"hooks, partner", "hooks", "partner,hooks"},
	} {
		if got := appendValue(tc.list, tc.item); got != tc.want {
			t.Errorf("appendValue(%q, %q) = %q, want %q", tc.list, tc.item, got, tc.want)
		}
	}
}
