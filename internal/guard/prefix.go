/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package guard

import (
	"net/netip"
	"slices"

	lru "github.com/hashicorp/golang-lru/v2"
	"go4.org/netipx"
)

// PrefixCategories is the category of every address a prefix covers, sorted and
// de-duplicated: for the CIDRs a tenant writes. It is exact: a category is listed if and
// only if some address of the prefix has it (Category), the IPv4 carried by the forms
// EmbeddedIPv4 decodes included; 0.0.0.0/1 gives loopback, private, public and reserved,
// 64:ff9b::/96 every category an IPv4 address can have, and 64:ff9b:1::/48, which is not
// decoded, reserved only. Nil for an invalid prefix.
func (g Guard) PrefixCategories(p netip.Prefix) []Category {
	w := g.prefixWitnesses(p)
	var out []Category
	for k, a := range w {
		if a.IsValid() {
			out = append(out, kindCategory[k])
		}
	}
	slices.Sort(out)
	return out
}

// witnesses holds, per kind, one address of that kind, or the zero Addr when none was found.
type witnesses [numKinds]netip.Addr

func (w *witnesses) note(k kind, a netip.Addr) {
	if !w[k].IsValid() {
		w[k] = a
	}
}

// prefixWitnesses finds an address of every kind p holds. It walks the spans of the
// address tables p overlaps; in a span of a form carrying IPv4 it splits the addresses
// by the cluster's and the admin's ranges into prefixes, each of which carries exactly
// one IPv4 prefix (two for Teredo, independently), and classifies those.
func (g Guard) prefixWitnesses(p netip.Prefix) (w witnesses) {
	if !p.IsValid() {
		return w
	}
	p = p.Masked()
	// The common case, a tenant's CIDR inside one span and apart from the guard's
	// ranges, needs no set arithmetic.
	if sp, ok := singleSpan(p); ok && sp.kind != kindEmbedded && !overlaps(g.Cluster, p) && !overlaps(g.Allow, p) {
		w.note(sp.kind, p.Addr())
		return w
	}
	key := witnessKey{ranges: g.rangesKey(), prefix: p}
	if w, ok := witnessMemo.Get(key); ok {
		return w
	}
	s := sets{cluster: setOf(g.Cluster), allow: setOf(g.Allow)}
	spans := tables.spans6
	if p.Addr().Is4() {
		spans = tables.spans4
	}
	s.walk(prefixSet(p), spans, false, &w)
	witnessMemo.Add(key, w)
	return w
}

// The set arithmetic runs for every CIDR that overlaps the cluster's or the admin's
// ranges, at every reconcile of every allowlist that names one; it was 4% of what a
// restarted 10,000-allowlist manager allocated, for the same few prefixes again and
// again. Its answer depends on the guard's ranges and the prefix alone, so the last
// witnessMemoLimit answers are remembered.
const witnessMemoLimit = 4096

type witnessKey struct {
	ranges string
	prefix netip.Prefix
}

var witnessMemo = func() *lru.Cache[witnessKey, witnesses] {
	c, err := lru.New[witnessKey, witnesses](witnessMemoLimit)
	if err != nil {
		panic(err) // only for a limit below 1
	}
	return c
}()

// rangesKey identifies the guard's ranges, in order.
func (g Guard) rangesKey() string {
	b := make([]byte, 0, 24*(len(g.Cluster)+len(g.Allow))+1)
	for _, p := range g.Cluster {
		b = append(p.AppendTo(b), ',')
	}
	b = append(b, '|')
	for _, p := range g.Allow {
		b = append(p.AppendTo(b), ',')
	}
	return string(b)
}

// sets holds the guard's prefixes as sets, for set arithmetic over whole prefixes.
type sets struct {
	cluster, allow *netipx.IPSet
}

func setOf(prefixes []netip.Prefix) *netipx.IPSet {
	var b netipx.IPSetBuilder
	for _, p := range prefixes {
		if p.IsValid() {
			b.AddPrefix(p)
		}
	}
	s, _ := b.IPSet() // only invalid prefixes make errors, and they are skipped
	return s
}

func prefixSet(p netip.Prefix) *netipx.IPSet { return setOf([]netip.Prefix{p}) }

// build applies set operations to a copy of base.
func build(base *netipx.IPSet, ops ...func(*netipx.IPSetBuilder)) *netipx.IPSet {
	var b netipx.IPSetBuilder
	b.AddSet(base)
	for _, op := range ops {
		op(&b)
	}
	s, _ := b.IPSet()
	return s
}

func intersect(o *netipx.IPSet) func(*netipx.IPSetBuilder) {
	return func(b *netipx.IPSetBuilder) { b.Intersect(o) }
}

func remove(o *netipx.IPSet) func(*netipx.IPSetBuilder) {
	return func(b *netipx.IPSetBuilder) { b.RemoveSet(o) }
}

func first(s *netipx.IPSet) (netip.Addr, bool) {
	r := s.Ranges()
	if len(r) == 0 {
		return netip.Addr{}, false
	}
	return r[0].From(), true
}

// walk notes the kinds of the addresses of set, over the spans of its family. With
// allowAll every address outside the cluster counts as public: the IPv4 carried by an
// address the admin allowed.
func (s sets) walk(set *netipx.IPSet, spans []span, allowAll bool, w *witnesses) {
	for _, sp := range spans {
		if !set.OverlapsRange(sp.r) {
			continue
		}
		piece := build(set, func(b *netipx.IPSetBuilder) {
			var r netipx.IPSetBuilder
			r.AddRange(sp.r)
			rs, _ := r.IPSet()
			b.Intersect(rs)
		})
		if sp.kind == kindEmbedded {
			s.embedded(piece, sp.form, w)
			continue
		}
		s.direct(piece, sp.kind, allowAll, w)
	}
}

// direct notes the kinds of piece, all of whose addresses the registry gives kind k.
func (s sets) direct(piece *netipx.IPSet, k kind, allowAll bool, w *witnesses) {
	if a, ok := first(build(piece, intersect(s.cluster))); ok {
		w.note(kindCluster, a)
	}
	rest := build(piece, remove(s.cluster))
	if allowAll {
		if a, ok := first(rest); ok {
			w.note(kindPublic, a)
		}
		return
	}
	if a, ok := first(build(rest, intersect(s.allow))); ok {
		w.note(kindPublic, a)
	}
	if a, ok := first(build(rest, remove(s.allow))); ok {
		w.note(k, a)
	}
}

// embedded notes the kinds of piece, whose addresses all carry IPv4 in form f.
func (s sets) embedded(piece *netipx.IPSet, f form, w *witnesses) {
	if a, ok := first(build(piece, intersect(s.cluster))); ok {
		w.note(kindCluster, a)
	}
	rest := build(piece, remove(s.cluster))
	for _, q := range build(rest, intersect(s.allow)).Prefixes() {
		s.carried(q, f, true, w)
	}
	for _, q := range build(rest, remove(s.allow)).Prefixes() {
		s.carried(q, f, false, w)
	}
}

// carried notes the kinds of the addresses of q, classified by the IPv4 they carry.
// Teredo's two addresses lie in separate fields, so every pair of a server and a client
// IPv4 of q occurs: the kinds are the more restrictive of each pair of kinds.
func (s sets) carried(q netip.Prefix, f form, allowAll bool, w *witnesses) {
	fields := f.fields()
	per := make([]witnesses, len(fields))
	for i, fd := range fields {
		s.walk(prefixSet(fd.ipv4Of(q)), tables.spans4, allowAll, &per[i])
	}
	if len(fields) == 1 {
		for k, a := range per[0] {
			if a.IsValid() {
				w.note(kind(k), f.embed(q.Addr(), a))
			}
		}
		return
	}
	for ks, as := range per[0] {
		for kc, ac := range per[1] {
			if as.IsValid() && ac.IsValid() {
				w.note(max(kind(ks), kind(kc)), f.embed(q.Addr(), as, ac))
			}
		}
	}
}

// singleSpan is the span holding all of p, if one does.
func singleSpan(p netip.Prefix) (span, bool) {
	last := netipx.PrefixLastIP(p)
	if p.Addr().Is4() {
		i := tables.index4(u32(p.Addr()))
		return tables.spans4[i], i == tables.index4(u32(last))
	}
	i := tables.index6(u128(p.Addr()))
	return tables.spans6[i], i == tables.index6(u128(last))
}

func overlaps(prefixes []netip.Prefix, p netip.Prefix) bool {
	for _, q := range prefixes {
		if q.IsValid() && q.Overlaps(p) {
			return true
		}
	}
	return false
}
