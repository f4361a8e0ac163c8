/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package feeds

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"go4.org/netipx"
)

// DefaultMaxNetworks bounds the networks one group may open after merging: the same
// bound as the networks a Vendor's status keeps per group.
const DefaultMaxNetworks = 512

// DefaultMaxEntries bounds the entries a selection collects before merging, so that a
// document with millions of entries is refused before it is held in memory.
const DefaultMaxEntries = 65536

// Version is the feed's own signal that its content changed.
type Version struct {
	// Serial is the feed's serial number or tag: AWS's, Google's and Atlassian's
	// syncToken, Datadog's version, Cloudflare's etag. Empty when the feed has none.
	Serial string
	// Published is when the feed says it was made: AWS's createDate, Google's
	// creationTime, Atlassian's creationDate, Datadog's modified, as the feed writes it.
	Published string
}

// String is the signal as status shows it, such as "1686945790 (2023-06-16-20-03-10)".
func (v Version) String() string {
	switch {
	case v.Serial == "":
		return v.Published
	case v.Published == "":
		return v.Serial
	}
	return v.Serial + " (" + v.Published + ")"
}

// Selection is what a source selects from one document.
type Selection struct {
	// Entries are the selected networks as published, canonical (masked, a bare
	// address as /32 or /128, IPv4-mapped IPv6 as IPv4), sorted and de-duplicated.
	Entries []netip.Prefix
	// Prefixes are Entries merged: adjacent and overlapping networks joined, sorted.
	// They are what a group opens, and what the size bound counts.
	Prefixes []netip.Prefix
	// Version is the feed's version signal; zero when the feed has none.
	Version Version
}

// Merge joins adjacent and overlapping prefixes, sorted: for a caller that drops
// entries the guard forbids and merges again.
func Merge(prefixes []netip.Prefix) []netip.Prefix {
	var b netipx.IPSetBuilder
	for _, p := range prefixes {
		b.AddPrefix(p)
	}
	set, err := b.IPSet()
	if err != nil {
		// AddPrefix records an error only for an invalid prefix, which the caller's
		// canonical prefixes are not; drop nothing silently all the same.
		return slices.Clone(prefixes)
	}
	return set.Prefixes()
}

// position says where an entry came from, formatted only when it is wrong.
type position struct {
	list  string // "prefixes", "hooks", "line", "element"
	index int    // 0-based; lines are reported 1-based
	field string // "ip_prefix"
}

func (p position) String() string {
	switch p.list {
	case "line":
		return "line " + strconv.Itoa(p.index+1)
	case "element":
		return "element " + strconv.Itoa(p.index) + " of the expression's result"
	}
	s := p.list
	if p.index >= 0 {
		s += "[" + strconv.Itoa(p.index) + "]"
	}
	if p.field != "" {
		s += "." + p.field
	}
	return s
}

// collector gathers the entries a selection finds.
type collector struct {
	entries    []netip.Prefix
	maxEntries int
}

func (c *collector) add(raw string, at position) error {
	p, err := parseEntry(raw)
	if err != nil {
		return &Error{Kind: KindInvalidEntry, Message: fmt.Sprintf("%s is %q, %v", at, truncate(raw, 64), err)}
	}
	if len(c.entries) >= c.maxEntries {
		return &Error{Kind: KindTooManyNetworks, Message: fmt.Sprintf(
			"the selection has more than %s entries; narrow it", thousands(c.maxEntries))}
	}
	c.entries = append(c.entries, p)
	return nil
}

// parseEntry reads one published entry: a network in CIDR notation or a bare address.
func parseEntry(raw string) (netip.Prefix, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return netip.Prefix{}, fmt.Errorf("empty: each entry must be a network such as 192.30.252.0/22 or an address such as 3.18.12.63")
	}
	if strings.ContainsRune(s, '%') {
		return netip.Prefix{}, fmt.Errorf("an address with a zone, which names a local interface and is never a vendor's")
	}
	if strings.ContainsRune(s, '/') {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("not a network such as 192.30.252.0/22: %w", err)
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("not an address such as 3.18.12.63 or a network such as 192.30.252.0/22: %w", err)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// finish sorts, de-duplicates and merges what c collected and applies the bounds.
// describe names the selection for the size message, narrow the filters to narrow it.
func (c *collector) finish(maxNetworks int, describe, narrow string) (Selection, error) {
	entries := c.entries
	slices.SortFunc(entries, comparePrefix)
	entries = slices.Compact(entries)
	if len(entries) == 0 {
		return Selection{}, &Error{Kind: KindEmptySelection, Message: describe +
			" selects no network: the feed lists none there, or the selection matches nothing; check it against the document"}
	}
	merged := Merge(entries)
	if len(merged) > maxNetworks {
		return Selection{}, &Error{Kind: KindTooManyNetworks, Message: fmt.Sprintf(
			"%s gives %s networks after merging, more than the %s a group may open%s",
			describe, thousands(len(merged)), thousands(maxNetworks), narrowHint(narrow, "select fewer"))}
	}
	return Selection{Entries: slices.Clip(entries), Prefixes: merged}, nil
}

func narrowHint(narrow, fallback string) string {
	if narrow == "" {
		return "; " + fallback
	}
	return "; narrow it with " + narrow
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

// thousands writes n with commas, as 4,123.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
