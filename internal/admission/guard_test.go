package admission

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
)

// TestEmbeddingsAreTheGuards: every IPv6 form the policy lists embeds the IPv4 address
// the guard finds in it.
func TestEmbeddingsAreTheGuards(t *testing.T) {
	for _, em := range Embeddings {
		for _, s := range []string{"10.1.2.3", "52.1.37.96", "192.0.2.33", "255.255.255.255"} {
			v4 := netip.MustParseAddr(s)
			v6 := em.Embed(netip.PrefixFrom(v4, 32)).Addr()
			if got := guard.EmbeddedIPv4(v6); !slices.Contains(got, v4) {
				t.Errorf("%s (%s): the policy takes %v for %v, the guard finds %v in it", em.Prefix, em.Name, v6, v4, got)
			}
		}
	}
}

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
