/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package guard

import (
	"encoding/binary"
	"encoding/csv"
	"hash/fnv"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The reference below shares nothing with the implementation but the registry files:
// it reads them itself, classifies by a linear scan for the longest matching row, and
// decodes the embedded IPv4 byte by byte from the RFCs' layouts. The local-use NAT64
// prefix 64:ff9b:1::/48 is a reserved row like any other, not a form: no layout says
// where its IPv4 lies, so the reference decodes nothing there.

type refRow struct {
	prefix netip.Prefix
	guard  string
}

func refLoadRows(t testing.TB) []refRow {
	files, err := filepath.Glob("registry/*.csv")
	if err != nil || len(files) == 0 {
		t.Fatalf("no registry files: %v", err)
	}
	var rows []refRow
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(fh)
		r.Comment = '#'
		recs, err := r.ReadAll()
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		block, guard := slices.Index(recs[0], "Address Block"), slices.Index(recs[0], "Guard")
		if block < 0 {
			block = slices.Index(recs[0], "Prefix")
		}
		for _, rec := range recs[1:] {
			for _, b := range splitBlocks(rec[block]) {
				rows = append(rows, refRow{netip.MustParsePrefix(b), rec[guard]})
			}
		}
	}
	return rows
}

func splitBlocks(cell string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(cell); i++ {
		if i == len(cell) || cell[i] == ',' {
			b := cell[start:i]
			for len(b) > 0 && b[0] == ' ' {
				b = b[1:]
			}
			out = append(out, b)
			start = i + 1
		}
	}
	return out
}

// refOrder is the reference's own order of restrictiveness.
var refOrder = []Category{CategoryPublic, CategoryPrivate, CategoryReserved, CategoryMulticast, CategoryLinkLocal, CategoryLoopback, CategoryCluster}

func refWorse(a, b Category) Category {
	if slices.Index(refOrder, b) > slices.Index(refOrder, a) {
		return b
	}
	return a
}

type refGuard struct {
	rows           []refRow
	cluster, allow []netip.Prefix
}

func refIn(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a.WithZone("")) {
			return true
		}
	}
	return false
}

// longest is the most specific row holding a (nil when none does).
func (r refGuard) longest(a netip.Addr) *refRow {
	var best *refRow
	for i := range r.rows {
		if r.rows[i].prefix.Contains(a) && (best == nil || r.rows[i].prefix.Bits() > best.prefix.Bits()) {
			best = &r.rows[i]
		}
	}
	return best
}

// refEmbedded decodes the IPv4 addresses an address carries, from the bytes.
func (r refGuard) refEmbedded(a netip.Addr) []netip.Addr {
	if !a.Is6() {
		return nil
	}
	a = a.WithZone("")
	row := r.longest(a)
	if row == nil || row.guard != "ipv4-embedded" {
		return nil
	}
	b := a.As16()
	v4 := func(x0, x1, x2, x3 byte) netip.Addr { return netip.AddrFrom4([4]byte{x0, x1, x2, x3}) }
	switch row.prefix {
	case pfx("::/96"), pfx("::ffff:0:0/96"), pfx("::ffff:0:0:0/96"), pfx("64:ff9b::/96"):
		return []netip.Addr{v4(b[12], b[13], b[14], b[15])}
	case pfx("2002::/16"):
		return []netip.Addr{v4(b[2], b[3], b[4], b[5])}
	case pfx("2001::/32"): // RFC 4380: server, then the client with every bit inverted
		return []netip.Addr{v4(b[4], b[5], b[6], b[7]), v4(^b[12], ^b[13], ^b[14], ^b[15])}
	}
	panic("reference: unknown embedded form " + row.prefix.String())
}

func (r refGuard) category(a netip.Addr) Category {
	if !a.IsValid() {
		return CategoryReserved
	}
	a = a.WithZone("")
	v4s := r.refEmbedded(a)
	if refIn(r.cluster, a) {
		return CategoryCluster
	}
	for _, v := range v4s {
		if refIn(r.cluster, v) {
			return CategoryCluster
		}
	}
	if refIn(r.allow, a) {
		return CategoryPublic
	}
	if v4s != nil {
		worst := CategoryPublic
		for _, v := range v4s {
			worst = refWorse(worst, r.category(v))
		}
		return worst
	}
	if row := r.longest(a); row != nil {
		return Category(row.guard)
	}
	return CategoryPublic
}

// refWitnesses are addresses of p at which the category may change: p's ends, the ends
// of every row and of the guard's prefixes, and, for every embedded form p overlaps,
// the addresses of p carrying an IPv4 address at such an end (for Teredo, a pair of
// them per pair of categories).
func (r refGuard) refWitnesses(p netip.Prefix, rng *rand.Rand) []netip.Addr {
	var out []netip.Addr
	add := func(a netip.Addr) {
		if a.IsValid() && p.Contains(a) {
			out = append(out, a)
		}
	}
	ends := func(q netip.Prefix) []netip.Addr {
		lo := q.Masked().Addr()
		hi := lo
		b := hi.AsSlice()
		for i := q.Bits(); i < len(b)*8; i++ {
			b[i/8] |= 0x80 >> (i % 8)
		}
		hi, _ = netip.AddrFromSlice(b)
		return []netip.Addr{lo, hi, lo.Prev(), hi.Next()}
	}
	var edges4 []netip.Addr
	all := append(append([]netip.Prefix{p}, r.cluster...), r.allow...)
	for _, row := range r.rows {
		all = append(all, row.prefix)
	}
	for _, q := range all {
		for _, a := range ends(q) {
			add(a)
			if a.Is4() {
				edges4 = append(edges4, a)
			}
		}
	}
	for range 16 {
		b := p.Addr().AsSlice()
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		random, _ := netip.AddrFromSlice(b)
		hostBits := p.Addr().BitLen() - p.Bits()
		mixed := p.Addr().AsSlice()
		for i := 0; i < hostBits; i++ {
			bit := len(mixed)*8 - 1 - i
			if random.AsSlice()[bit/8]&(0x80>>(bit%8)) != 0 {
				mixed[bit/8] |= 0x80 >> (bit % 8)
			}
		}
		a, _ := netip.AddrFromSlice(mixed)
		add(a)
	}
	for _, row := range r.rows {
		if row.guard != "ipv4-embedded" || !row.prefix.Overlaps(p) {
			continue
		}
		q := p
		if row.prefix.Bits() > p.Bits() {
			q = row.prefix
		}
		// put writes an IPv4 address into the form's bytes of q's first address.
		put := func(pos []int, v netip.Addr, invert bool) func([16]byte) [16]byte {
			return func(b [16]byte) [16]byte {
				v := v.As4()
				for i, at := range pos {
					b[at] = v[i]
					if invert {
						b[at] = ^v[i]
					}
				}
				return b
			}
		}
		var positions [][]int
		invert := []bool{false, false}
		switch row.prefix {
		case pfx("2002::/16"):
			positions = [][]int{{2, 3, 4, 5}}
		case pfx("2001::/32"):
			positions = [][]int{{4, 5, 6, 7}, {12, 13, 14, 15}}
			invert[1] = true
		default:
			positions = [][]int{{12, 13, 14, 15}}
		}
		// fits lists, per field, one IPv4 edge of each category that q can carry.
		fits := make([]map[Category]netip.Addr, len(positions))
		for i, pos := range positions {
			fits[i] = map[Category]netip.Addr{}
			for _, v := range append(edges4, netip.AddrFrom4([4]byte{}), netip.AddrFrom4([4]byte{255, 255, 255, 255})) {
				if !v.Is4() {
					continue
				}
				a := netip.AddrFrom16(put(pos, v, invert[i])(q.Addr().As16()))
				if q.Contains(a) {
					if len(positions) == 1 {
						add(a)
					}
					fits[i][r.category(v)] = v
				}
			}
		}
		if len(positions) == 2 {
			for _, s := range fits[0] {
				for _, c := range fits[1] {
					add(netip.AddrFrom16(put(positions[1], c, true)(put(positions[0], s, false)(q.Addr().As16()))))
				}
			}
		}
	}
	return out
}

func FuzzGuard(f *testing.F) {
	ref := refGuard{rows: refLoadRows(f)}
	// Seeds: (address, prefix length, shape, cluster, cluster length, allow, allow length).
	// Shape 0 uses the address as given (4 bytes: IPv4); shapes 1 to 6 write its first 4
	// bytes as the IPv4 of an embedded form; shape 7 puts it inside the local-use NAT64
	// prefix; shape 8 inside a registry row.
	seed := func(a string, bits, shape uint8, cluster string, clusterBits uint8, allow string, allowBits uint8) {
		bs := func(s string) []byte {
			if s == "" {
				return nil
			}
			return netip.MustParseAddr(s).AsSlice()
		}
		f.Add(bs(a), bits, shape, bs(cluster), clusterBits, bs(allow), allowBits)
	}
	seed("10.0.0.1", 32, 0, "", 0, "", 0)
	seed("0.0.0.0", 1, 0, "10.96.0.0", 12, "", 0)
	seed("128.0.0.0", 1, 0, "", 0, "", 0)
	seed("203.0.113.5", 32, 0, "", 0, "203.0.113.0", 24)
	seed("10.96.0.1", 32, 0, "10.96.0.0", 12, "10.0.0.0", 8)
	seed("198.18.0.1", 32, 0, "", 0, "", 0)
	seed("240.0.0.1", 32, 0, "", 0, "", 0)
	seed("192.0.0.8", 32, 0, "", 0, "", 0)
	seed("192.0.0.9", 28, 0, "", 0, "", 0)
	seed("255.255.255.255", 24, 0, "", 0, "", 0)
	seed("fec0::1", 128, 0, "", 0, "", 0)
	seed("::", 1, 0, "", 0, "", 0)
	seed("::1", 127, 0, "", 0, "", 0)
	seed("64:ff9b::a00:1", 128, 0, "", 0, "", 0)
	seed("64:ff9b::", 96, 0, "10.96.0.0", 12, "", 0)
	seed("64:ff9b:1:a00:0:100::", 128, 0, "", 0, "", 0)
	seed("64:ff9b:1::", 48, 0, "", 0, "", 0)
	seed("2002:a00:1::", 128, 0, "", 0, "", 0)
	seed("2001:0:808:808::7fff:fffe", 128, 0, "", 0, "", 0)
	seed("2001:0:a00:1::", 64, 0, "10.96.0.0", 12, "", 0)
	seed("::ffff:0:a00:1", 128, 0, "", 0, "", 0)
	seed("::a00:1", 100, 0, "", 0, "", 0)
	seed("fd10:96::a", 128, 0, "fd10:96::", 108, "", 0)
	seed("64:ff9b:1:808::a00:1", 128, 0, "", 0, "", 0) // 8.8.0.0 in the /48 layout, 10.0.0.1 in a /96
	seed("64:ff9b:1:808::a60:1", 100, 0, "64:ff9b:1:808::a60:0", 108, "64:ff9b:1:808::", 96)
	seed("10.96.0.1", 120, 1, "10.96.0.0", 12, "", 0) // NAT64 of the cluster
	seed("127.0.0.1", 128, 6, "", 0, "", 0)           // Teredo client
	seed("10.0.0.1", 64, 4, "", 0, "64:ff9b::", 96)
	seed("10.96.0.1", 128, 1, "10.96.0.0", 12, "64:ff9b::", 96) // allowed NAT64, cluster inside
	seed("192.0.2.2", 88, 7, "", 0, "", 0)
	seed("8.8.8.8", 20, 8, "", 0, "", 0)
	seed("1.2.3.4", 40, 5, "1.2.0.0", 16, "1.2.3.0", 24)

	registry := Registry()
	localUse := pfx("64:ff9b:1::/48")
	f.Fuzz(func(t *testing.T, raw []byte, bits, shape uint8, clusterRaw []byte, clusterBits uint8, allowRaw []byte, allowBits uint8) {
		a, ok := shapeAddr(ref.rows, raw, shape)
		if !ok {
			return
		}
		g := Guard{}
		if c, ok := fuzzPrefix(clusterRaw, clusterBits); ok {
			g.Cluster = []netip.Prefix{c, netip.MustParsePrefix("10.96.0.0/12")}
		}
		if al, ok := fuzzPrefix(allowRaw, allowBits); ok {
			g.Allow = []netip.Prefix{al}
		}
		r := refGuard{rows: ref.rows, cluster: g.Cluster, allow: g.Allow}

		if got, want := g.Category(a), r.category(a); got != want {
			t.Fatalf("%+v.Category(%s) = %s, reference says %s", g, a, got, want)
		}
		if got, want := EmbeddedIPv4(a), r.refEmbedded(a); !slices.Equal(got, want) {
			t.Fatalf("EmbeddedIPv4(%s) = %v, reference says %v", a, got, want)
		}
		// The local-use NAT64 prefix is reserved outright, whatever the files say.
		if localUse.Contains(a) {
			want := CategoryReserved
			switch {
			case refIn(g.Cluster, a):
				want = CategoryCluster
			case refIn(g.Allow, a):
				want = CategoryPublic
			}
			if got := g.Category(a); got != want || EmbeddedIPv4(a) != nil {
				t.Fatalf("%+v.Category(%s) = %s, EmbeddedIPv4 = %v; want %s and none", g, a, got, EmbeddedIPv4(a), want)
			}
		}
		// An address the registry does not call public lies in a Range of its category.
		if c := (refGuard{rows: ref.rows}).category(a); c != CategoryPublic {
			if !slices.ContainsFunc(registry, func(r Range) bool { return r.Category == c && r.Prefix.Contains(a) }) {
				t.Fatalf("%s is %s, but no Range of Registry() holds it", a, c)
			}
		}

		p := netip.PrefixFrom(a, int(bits)%(a.BitLen()+1)).Masked()
		got := g.PrefixCategories(p)
		// Every category listed rests on an address of p the reference agrees with.
		for k, w := range g.prefixWitnesses(p) {
			if w.IsValid() && (!p.Contains(w) || r.category(w) != kindCategory[k]) {
				t.Fatalf("%+v.PrefixCategories(%s): witness %s for %s, reference says %s", g, p, w, kindCategory[k], r.category(w))
			}
		}
		// And every category the reference finds in p is listed.
		var want []Category
		note := func(c Category) {
			if !slices.Contains(want, c) {
				want = append(want, c)
			}
		}
		if hostBits := a.BitLen() - p.Bits(); hostBits <= 8 {
			for x, n := p.Addr(), 0; n < 1<<hostBits; x, n = x.Next(), n+1 {
				note(r.category(x))
			}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("%+v.PrefixCategories(%s) = %v, every address says %v", g, p, got, want)
			}
			return
		}
		h := fnv.New64a()
		h.Write(raw)
		rng := rand.New(rand.NewPCG(h.Sum64(), uint64(bits)))
		for _, w := range r.refWitnesses(p, rng) {
			note(r.category(w))
		}
		for _, c := range want {
			if !slices.Contains(got, c) {
				t.Fatalf("%+v.PrefixCategories(%s) = %v, but the reference finds %s in it", g, p, got, c)
			}
		}
	})
}

// fuzzPrefix reads an optional prefix: nil bytes for none, 4 for IPv4, 16 for IPv6.
func fuzzPrefix(raw []byte, bits uint8) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(raw)
	if !ok {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, int(bits)%(a.BitLen()+1)), true
}

// shapeAddr steers random bytes into the interesting parts of the address space.
func shapeAddr(rows []refRow, raw []byte, shape uint8) (netip.Addr, bool) {
	var b [16]byte
	copy(b[:], raw)
	v4 := [4]byte(b[:4])
	forms := []struct {
		base string
		pos  []int
	}{
		{"64:ff9b::", []int{12, 13, 14, 15}},
		{"2002::", []int{2, 3, 4, 5}},
		{"::ffff:0:0", []int{12, 13, 14, 15}},
		{"::ffff:0:0:0", []int{12, 13, 14, 15}},
		{"::", []int{12, 13, 14, 15}},
		{"2001::", []int{12, 13, 14, 15}}, // Teredo: the client, inverted; the server from raw
	}
	switch s := int(shape % 9); {
	case s == 0:
		return netip.AddrFromSlice(raw)
	case s == 7:
		// Inside the local-use NAT64 prefix, the IPv4 where a /96 translator reads it
		// and the rest from raw.
		out := netip.MustParseAddr("64:ff9b:1::").As16()
		copy(out[6:12], b[6:12])
		copy(out[12:], v4[:])
		return netip.AddrFrom16(out), true
	case s <= len(forms):
		fm := forms[s-1]
		out := netip.MustParseAddr(fm.base).As16()
		for i, at := range fm.pos {
			out[at] = v4[i]
		}
		if fm.base == "2001::" {
			for i, at := range fm.pos {
				out[at] = ^v4[i]
			}
			copy(out[4:8], b[4:8])
			copy(out[8:12], b[8:12])
		}
		return netip.AddrFrom16(out), true
	default:
		row := rows[int(binary.BigEndian.Uint16(b[14:]))%len(rows)]
		base := row.prefix.Addr().AsSlice()
		for i := row.prefix.Bits(); i < len(base)*8; i++ {
			if b[i/8%16]&(0x80>>(i%8)) != 0 {
				base[i/8] |= 0x80 >> (i % 8)
			}
		}
		return netip.AddrFromSlice(base)
	}
}
