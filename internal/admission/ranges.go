/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package admission holds what the tenancy ValidatingAdmissionPolicy needs besides its
// CEL: the guard's ranges (internal/guard's registry, the IPv6 forms that carry its
// IPv4 ranges included), indexed the way the policy looks them up, and the policy's spec.
// `go run ./hack/admission` writes them into the Helm chart and config/admission.
package admission

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// A guardRange is one range of the guard's registry: internal/guard's Range, as this
// generator needs it.
type guardRange struct {
	Prefix   netip.Prefix
	Category string // private, loopback, link-local, multicast, reserved
	Name     string // the registry's name, e.g. "Benchmarking"
	Source   string // e.g. "RFC 2544"
}

// An Entry is a range the admission policy refuses a tenant network to overlap,
// unless the admin allowed its category.
type Entry struct {
	Prefix   netip.Prefix
	Category string
}

func (e Entry) String() string { return e.Prefix.String() + " " + e.Category }

// Entries are the guard's ranges, the IPv6 forms that carry its IPv4 ranges included
// (guard.Registry lists those), sorted and without duplicates. The IPv4-mapped ones
// are left out: the CRD refuses such CIDRs, and CEL's cidr() cannot parse them.
func Entries() ([]Entry, error) { return entries(registry()) }

func entries(reg []guardRange) ([]Entry, error) {
	var out []Entry
	for _, r := range reg {
		if !r.Prefix.IsValid() || r.Prefix != r.Prefix.Masked() {
			return nil, fmt.Errorf("registry range %v (%s) is not a masked prefix", r.Prefix, r.Name)
		}
		if !validCategory[r.Category] {
			return nil, fmt.Errorf("registry range %v (%s) has category %q, want one of private, loopback, link-local, multicast, reserved", r.Prefix, r.Name, r.Category)
		}
		if !r.Prefix.Addr().Is4In6() {
			out = append(out, Entry{r.Prefix, r.Category})
		}
	}
	slices.SortFunc(out, func(a, b Entry) int {
		if c := a.Prefix.Addr().Compare(b.Prefix.Addr()); c != 0 {
			return c
		}
		if c := a.Prefix.Bits() - b.Prefix.Bits(); c != 0 {
			return c
		}
		return strings.Compare(a.Category, b.Category)
	})
	return slices.Compact(out), nil
}

// validCategory are the categories of the registry (the cluster's ranges are not in it).
var validCategory = map[string]bool{"private": true, "loopback": true, "link-local": true, "multicast": true, "reserved": true}

// index returns the ConfigMap keys the policy reads, each a list "CIDR category, ...":
//   - guard.ipv4.N: the entries within or around the IPv4 /8 N (decimal, e.g. 10);
//   - guard.ipv6.H: the IPv6 entries of /16 or longer whose first 16 bits are H (hex,
//     as the address prints, e.g. 2001, 64, 0);
//   - guard.ipv6.wide.D: the IPv6 entries shorter than /16 that cover first 16 bits
//     starting with the hex digit D (e.g. wide.f for fe80::/10). Not "Dxxx": kustomize
//     and kubectl print a ConfigMap's keys in go-yaml v2's order, which is no order at
//     all for keys such as 6xxx, 7xxx and 64 (6xxx < 7xxx < 64 < 6xxx), so their builds
//     came out different each time (TestKeysHaveOneOrder);
//   - guard.ipv4.all, guard.ipv6.all: every entry of the family, most specific first,
//     for tenant networks wider than /8 or /16, and for the policy's messages.
//
// A tenant network of /8 (IPv4) or /16 (IPv6) or longer overlaps an entry only if the
// entry is under one of the keys its own address gives (TestIndexFindsEveryOverlap).
func index(es []Entry) map[string]string {
	keys := map[string][]string{}
	add := func(k string, e Entry) { keys[k] = append(keys[k], e.String()) }
	// The policy's message names the first range a network overlaps in guard.ipv4.all or
	// guard.ipv6.all: the most specific first, so that ::1/128 is loopback ::1/128,
	// not the IPv4-compatible form of 0.0.0.0/8 around it.
	es = slices.Clone(es)
	slices.SortStableFunc(es, func(a, b Entry) int { return b.Prefix.Bits() - a.Prefix.Bits() })
	for _, e := range es {
		a, bits := e.Prefix.Addr(), e.Prefix.Bits()
		if a.Is4() {
			add("guard.ipv4.all", e)
			first := int(a.As4()[0])
			for o := first; o < first+span(bits, 8); o++ {
				add("guard.ipv4."+strconv.Itoa(o), e)
			}
			continue
		}
		add("guard.ipv6.all", e)
		b := a.As16()
		if bits >= 16 {
			add("guard.ipv6."+strconv.FormatUint(uint64(b[0])<<8|uint64(b[1]), 16), e)
			continue
		}
		first := int(b[0] >> 4)
		for d := first; d < first+span(bits, 4); d++ {
			add("guard.ipv6.wide."+strconv.FormatUint(uint64(d), 16), e)
		}
	}
	out := map[string]string{}
	for k, v := range keys {
		out[k] = strings.Join(v, ", ")
	}
	return out
}

// span is how many buckets of width bucketBits a prefix of length bits covers.
func span(bits, bucketBits int) int {
	if bits >= bucketBits {
		return 1
	}
	return 1 << (bucketBits - bits)
}
