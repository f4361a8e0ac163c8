/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package guard

import (
	"bytes"
	"cmp"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"net/netip"
	"path"
	"slices"
	"strings"

	"go4.org/netipx"
)

// The registries are data, not code: registry/*.csv are IANA's tables in IANA's columns,
// with one column of ours (Guard) saying how the guard classifies each row.
//
//go:embed registry/*.csv
var registryFiles embed.FS

// guardEmbedded in a row's Guard column marks a form that carries an IPv4 address: its
// addresses are classified as that IPv4 address is.
const guardEmbedded = "ipv4-embedded"

// row is one address block of a registry file (a cell naming two blocks gives two rows).
type row struct {
	prefix netip.Prefix
	name   string // Name (or the address space registry's Designation)
	source string // RFC (or Reference)
	guard  string // a Category, or guardEmbedded
	file   string
}

// Range is an address range the guard does not treat as public, with where it comes from.
type Range struct {
	Prefix   netip.Prefix
	Category Category
	Name     string // the registry's name, e.g. "Benchmarking"
	Source   string // the registry row's RFC, e.g. "[RFC2544]"
}

// Registry is every non-public range the guard knows (IANA IPv4 and IPv6 special-purpose
// registries, plus the not-global-unicast IPv6 space and multicast), sorted by prefix,
// excluding the cluster's ranges and Guard.Allow, which are configuration. Where a more
// specific row overrides a less specific one, the less specific row's ranges leave it
// out, so every address of a Range has the Range's category.
//
// Addresses carrying IPv4 (NAT64 64:ff9b::/96, 6to4, Teredo, IPv4-mapped, -compatible,
// -translated) are listed as the images of the non-public IPv4 ranges. Teredo's client
// address cannot be written exactly as prefixes, so 2001::/32 is listed whole under every
// category it may hold: a prefix overlapping a Range of category C may contain no address
// of category C only there; Guard.PrefixCategories is exact everywhere. The local-use
// NAT64 prefix 64:ff9b:1::/48 is not decoded and is one reserved Range.
func Registry() []Range {
	return slices.Clone(tables.registry)
}

// loadRows reads every registry file.
func loadRows() ([]row, error) {
	entries, err := registryFiles.ReadDir("registry")
	if err != nil {
		return nil, fmt.Errorf("listing the registry files: %w", err)
	}
	var rows []row
	for _, e := range entries {
		name := path.Join("registry", e.Name())
		data, err := registryFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		rs, err := parseRegistryFile(name, data)
		if err != nil {
			return nil, err
		}
		rows = append(rows, rs...)
	}
	return rows, nil
}

// parseRegistryFile reads one CSV file, finding its columns by IANA's header names.
func parseRegistryFile(name string, data []byte) ([]row, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comment = '#'
	records, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", name, err)
	}
	if len(records) < 2 {
		return nil, fmt.Errorf("%s: no rows", name)
	}
	header := records[0]
	column := func(names ...string) int {
		for i, h := range header {
			if slices.Contains(names, h) {
				return i
			}
		}
		return -1
	}
	blockCol, nameCol, rfcCol := column("Address Block", "Prefix"), column("Name", "Designation"), column("RFC", "Reference")
	globalCol, guardCol := column("Globally Reachable"), column("Guard")
	if blockCol < 0 || nameCol < 0 || rfcCol < 0 || guardCol < 0 {
		return nil, fmt.Errorf("%s: header %q lacks an address, name, RFC or Guard column", name, header)
	}
	var rows []row
	for i, rec := range records[1:] {
		guard := rec[guardCol]
		if _, ok := categoryKind(Category(guard)); !ok && guard != guardEmbedded {
			return nil, fmt.Errorf("%s record %d: Guard %q is not a category or %q", name, i+1, guard, guardEmbedded)
		}
		global := ""
		if globalCol >= 0 {
			global = rec[globalCol]
		}
		if global == "False" && guard == string(CategoryPublic) {
			return nil, fmt.Errorf("%s record %d: a range that is not globally reachable cannot be public", name, i+1)
		}
		for _, block := range strings.Split(rec[blockCol], ",") {
			p, err := netip.ParsePrefix(strings.TrimSpace(block))
			if err != nil {
				return nil, fmt.Errorf("%s record %d: %w", name, i+1, err)
			}
			if p != p.Masked() {
				return nil, fmt.Errorf("%s record %d: %s has host bits set", name, i+1, p)
			}
			rows = append(rows, row{prefix: p, name: rec[nameCol], source: rec[rfcCol], guard: guard, file: name})
		}
	}
	return rows, nil
}

// span is a run of addresses that one registry row decides (its most specific row).
type span struct {
	r    netipx.IPRange
	kind kind
	form form // for kindEmbedded
	row  int  // index into rows; -1 for the public gaps between rows
}

// addressTables is the registry compiled for lookups.
type addressTables struct {
	rows []row
	// spans4 and spans6 cover their whole family, sorted, without overlap.
	spans4, spans6 []span
	// Compact copies of the spans for Category, which is on the hot path.
	starts4 []uint32
	kinds4  []kind
	starts6 []uint128
	kinds6  []kind
	forms6  []form
	// registry is what Registry returns.
	registry []Range
}

var tables = mustBuildTables()

func mustBuildTables() *addressTables {
	rows, err := loadRows()
	if err != nil {
		panic(fmt.Sprintf("guard: loading the address registries: %v", err))
	}
	t, err := buildTables(rows)
	if err != nil {
		panic(fmt.Sprintf("guard: compiling the address registries: %v", err))
	}
	return t
}

func buildTables(rows []row) (*addressTables, error) {
	t := &addressTables{rows: rows}
	effective, err := effectiveSets(rows)
	if err != nil {
		return nil, err
	}
	for i, rw := range rows {
		k, f := kindEmbedded, formNone
		if rw.guard == guardEmbedded {
			if f = formOf(rw.prefix); f == formNone {
				return nil, fmt.Errorf("%s: %s is marked %s but is not a form the guard decodes", rw.file, rw.prefix, guardEmbedded)
			}
		} else {
			k, _ = categoryKind(Category(rw.guard))
		}
		for _, r := range effective[i].Ranges() {
			s := span{r: r, kind: k, form: f, row: i}
			if r.From().Is4() {
				t.spans4 = append(t.spans4, s)
			} else {
				t.spans6 = append(t.spans6, s)
			}
		}
	}
	t.spans4 = fillGaps(t.spans4, netip.IPv4Unspecified(), netip.AddrFrom4([4]byte{255, 255, 255, 255}))
	t.spans6 = fillGaps(t.spans6, netip.IPv6Unspecified(), netip.AddrFrom16([16]byte{
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}))
	for _, s := range t.spans4 {
		t.starts4 = append(t.starts4, u32(s.r.From()))
		t.kinds4 = append(t.kinds4, s.kind)
	}
	for _, s := range t.spans6 {
		t.starts6 = append(t.starts6, u128(s.r.From()))
		t.kinds6 = append(t.kinds6, s.kind)
		t.forms6 = append(t.forms6, s.form)
	}
	listed, err := listedSets(rows)
	if err != nil {
		return nil, err
	}
	t.registry, err = registryRanges(rows, listed)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// effectiveSets gives each row the addresses it decides: its prefix less every more
// specific row's, so the longest prefix wins whatever order the files list rows in.
func effectiveSets(rows []row) ([]*netipx.IPSet, error) {
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rows[a].prefix.Bits(), rows[b].prefix.Bits()) })
	builders := make([]netipx.IPSetBuilder, len(rows))
rowLoop:
	for n, i := range order {
		for _, j := range order[:n] {
			// Two registries may list the same block (fc00::/7, fe80::/10): the first
			// file's row names it; they must agree on its category.
			if rows[j].prefix == rows[i].prefix {
				if rows[j].guard != rows[i].guard {
					return nil, fmt.Errorf("%s and %s list %s as %s and %s", rows[j].file, rows[i].file,
						rows[i].prefix, rows[j].guard, rows[i].guard)
				}
				continue rowLoop
			}
		}
		for _, j := range order[:n] {
			builders[j].RemovePrefix(rows[i].prefix)
		}
		builders[i].AddPrefix(rows[i].prefix)
	}
	sets := make([]*netipx.IPSet, len(rows))
	for i := range builders {
		s, err := builders[i].IPSet()
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", rows[i].file, rows[i].prefix, err)
		}
		sets[i] = s
	}
	return sets, nil
}

// listedSets gives each row the addresses it lists in Registry: its prefix less every
// more specific row of another category, so that 240.0.0.0/4 stays one range around
// 255.255.255.255/32 (both reserved) while ::/8 (reserved) leaves out ::1/128 (loopback)
// and 64:ff9b::/96 (IPv4-embedded).
func listedSets(rows []row) ([]*netipx.IPSet, error) {
	sets := make([]*netipx.IPSet, len(rows))
	for i, rw := range rows {
		var b netipx.IPSetBuilder
		// A block two registries list (fc00::/7) is listed once, by the first.
		if !slices.ContainsFunc(rows[:i], func(o row) bool { return o.prefix == rw.prefix }) {
			b.AddPrefix(rw.prefix)
		}
		for _, o := range rows {
			if o.prefix.Bits() > rw.prefix.Bits() && rw.prefix.Overlaps(o.prefix) && o.guard != rw.guard {
				b.RemovePrefix(o.prefix)
			}
		}
		s, err := b.IPSet()
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", rw.file, rw.prefix, err)
		}
		sets[i] = s
	}
	return sets, nil
}

// fillGaps sorts spans and adds a public span for every run of addresses no row covers.
func fillGaps(spans []span, first, last netip.Addr) []span {
	slices.SortFunc(spans, func(a, b span) int { return a.r.From().Compare(b.r.From()) })
	var out []span
	next := first
	for _, s := range spans {
		if next.Less(s.r.From()) {
			out = append(out, span{r: netipx.IPRangeFrom(next, s.r.From().Prev()), kind: kindPublic, row: -1})
		}
		out = append(out, s)
		next = s.r.To().Next()
	}
	if next.IsValid() && !last.Less(next) {
		out = append(out, span{r: netipx.IPRangeFrom(next, last), kind: kindPublic, row: -1})
	}
	return out
}

// registryRanges lists the non-public ranges (see Registry).
func registryRanges(rows []row, listed []*netipx.IPSet) ([]Range, error) {
	var direct []Range
	// own marks the Ranges whose prefix is their row's own block: where a less specific
	// row of the same category yields the same prefix (::/8 around 64:ff9b:1::/48), the
	// row that names the block names the Range.
	var out []listedRange
	for i, rw := range rows {
		if rw.guard == guardEmbedded || rw.guard == string(CategoryPublic) {
			continue
		}
		for _, p := range listed[i].Prefixes() {
			r := Range{Prefix: p, Category: Category(rw.guard), Name: rw.name, Source: rw.source}
			direct = append(direct, r)
			out = append(out, listedRange{Range: r, own: p == rw.prefix})
		}
	}
	for i, rw := range rows {
		if rw.guard != guardEmbedded {
			continue
		}
		f := formOf(rw.prefix)
		for _, v4 := range direct {
			if !v4.Prefix.Addr().Is4() {
				continue
			}
			img := f.image(rw.prefix, v4.Prefix)
			var b netipx.IPSetBuilder
			b.AddPrefix(img.prefix)
			b.Intersect(listed[i])
			s, err := b.IPSet()
			if err != nil {
				return nil, fmt.Errorf("image of %s in %s: %w", v4.Prefix, rw.prefix, err)
			}
			r := Range{Category: v4.Category, Name: rw.name + " of " + v4.Name, Source: rw.source + " " + v4.Source}
			if !img.exact {
				// A cover is the image of several IPv4 ranges: name the category.
				r.Name = fmt.Sprintf("%s carrying %s IPv4 addresses", rw.name, v4.Category)
				r.Source = rw.source
			}
			for _, p := range s.Prefixes() {
				r.Prefix = p
				out = append(out, listedRange{Range: r})
			}
		}
	}
	slices.SortFunc(out, func(a, b listedRange) int {
		return cmp.Or(a.Prefix.Addr().Compare(b.Prefix.Addr()), cmp.Compare(a.Prefix.Bits(), b.Prefix.Bits()),
			cmp.Compare(a.Category, b.Category), compareBool(b.own, a.own), cmp.Compare(a.Name, b.Name))
	})
	// Covers repeat, and a row's block may also be a piece of a less specific row of its
	// category: keep one Range per prefix and category, the first after sorting.
	merged := slices.CompactFunc(out, func(a, b listedRange) bool { return a.Prefix == b.Prefix && a.Category == b.Category })
	if len(merged) == 0 {
		return nil, errors.New("no non-public ranges")
	}
	ranges := make([]Range, len(merged))
	for i, r := range merged {
		ranges[i] = r.Range
	}
	return ranges, nil
}

// listedRange is a Range being listed, and whether its prefix is its row's own block.
type listedRange struct {
	Range
	own bool
}

// compareBool orders false before true.
func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
