/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package admission

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
)

// TestEntriesAgreeWithGuard: the admission policy and the manager's guard classify
// tenant networks alike. Each entry's range is, for the guard, in the entry's category;
// and a network around or beside an entry that overlaps no entry is public for the
// guard, so the policy refuses no network the manager would render.
func TestEntriesAgreeWithGuard(t *testing.T) {
	es, err := Entries()
	if err != nil {
		t.Fatal(err)
	}
	var g guard.Guard
	for _, e := range es {
		if cats := g.PrefixCategories(e.Prefix); !slices.Contains(cats, guard.Category(e.Category)) {
			t.Errorf("the policy refuses %v as %s; the guard puts it in %v", e.Prefix, e.Category, cats)
		}
	}
	for _, e := range es {
		a := e.Prefix.Addr()
		for _, p := range []netip.Prefix{netip.PrefixFrom(a.Prev(), a.BitLen()), netip.PrefixFrom(lastAddr(e.Prefix).Next(), a.BitLen())} {
			if !p.Addr().IsValid() || p.Addr().Is4() != a.Is4() || p.Addr().Is4In6() {
				continue
			}
			if slices.ContainsFunc(es, func(o Entry) bool { return o.Prefix.Overlaps(p) }) {
				continue
			}
			if cats := g.PrefixCategories(p); !slices.Equal(cats, []guard.Category{guard.CategoryPublic}) {
				t.Errorf("the policy lets a tenant name %v (beside %v); the guard puts it in %v", p, e, cats)
			}
		}
	}
}

// TestEntriesNameTheGuardsCategory: every address the policy lists is, for the guard,
// in the category the policy lists it under, so that an admin who allows an address's
// category lets tenants name it in both: ::1 is loopback only, not also reserved as
// the IPv4-compatible form of 0.0.0.0/8 around it. Teredo's 2001::/32 is listed under
// every category its client address may carry, and is left out.
func TestEntriesNameTheGuardsCategory(t *testing.T) {
	es, err := Entries()
	if err != nil {
		t.Fatal(err)
	}
	var g guard.Guard
	teredo := netip.MustParsePrefix("2001::/32")
	for _, e := range es {
		for _, a := range []netip.Addr{e.Prefix.Addr(), lastAddr(e.Prefix)} {
			want := g.Category(a)
			for _, o := range es {
				if o.Prefix != teredo && o.Prefix.Contains(a) && guard.Category(o.Category) != want {
					t.Errorf("the policy refuses %v as %s (%v); the guard puts it in %s", a, o.Category, o.Prefix, want)
				}
			}
		}
	}
}
