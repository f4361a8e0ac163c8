/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package admission

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedFilesAreCurrent: the committed files are what Generate writes now.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	files, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join("..", "..", name))
		if err != nil {
			t.Errorf("%v: run `make generate`", err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run `make generate` (go run ./hack/admission)", name)
		}
	}
}

// candidates returns the entries the policy compares a tenant network with, looked up
// as the policy's CEL does: by the text of the network's first octet or first 16 bits
// (and, for IPv6, the first hex digit of those), or all of the family's for a network
// wider than /8 or /16.
func candidates(idx map[string]string, p netip.Prefix) []string {
	text := p.String()
	var keys []string
	switch {
	case p.Addr().Is4() && p.Bits() < 8:
		keys = []string{"guard.ipv4.all"}
	case p.Addr().Is4():
		keys = []string{"guard.ipv4." + text[:strings.Index(text, ".")]}
	case p.Bits() < 16:
		keys = []string{"guard.ipv6.all"}
	default:
		narrow := text[:strings.Index(text, ":")]
		if strings.HasPrefix(text, ":") {
			narrow = "0"
		}
		wide := text[:1]
		if strings.Index(text, ":") < 4 {
			wide = "0"
		}
		keys = []string{"guard.ipv6." + narrow, "guard.ipv6.wide." + wide}
	}
	var out []string
	for _, k := range keys {
		if v, ok := idx[k]; ok {
			out = append(out, strings.Split(v, ", ")...)
		}
	}
	return out
}

// TestIndexFindsEveryOverlap: for tenant networks in and around every range, and
// random ones, the entries the policy looks up include every entry that overlaps the
// network.
func TestIndexFindsEveryOverlap(t *testing.T) {
	es, err := Entries()
	if err != nil {
		t.Fatal(err)
	}
	idx := index(es)
	var probes []netip.Prefix
	for _, e := range es {
		a, bits := e.Prefix.Addr(), e.Prefix.Bits()
		probes = append(probes, e.Prefix, netip.PrefixFrom(a, a.BitLen()), netip.PrefixFrom(lastAddr(e.Prefix), a.BitLen()))
		if prev := a.Prev(); prev.IsValid() && prev.Is4() == a.Is4() {
			probes = append(probes, netip.PrefixFrom(prev, a.BitLen()))
		}
		if next := lastAddr(e.Prefix).Next(); next.IsValid() && next.Is4() == a.Is4() {
			probes = append(probes, netip.PrefixFrom(next, a.BitLen()))
		}
		for b := 1; b <= a.BitLen(); b += 3 {
			if b != bits {
				probes = append(probes, netip.PrefixFrom(a, b).Masked())
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var a netip.Addr
		if rng.IntN(2) == 0 {
			a = netip.AddrFrom4([4]byte{byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())})
		} else {
			var b [16]byte
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			if rng.IntN(2) == 0 { // IPv4 embedded, or the first 16 bits of a range
				e := es[rng.IntN(len(es))].Prefix
				if e.Addr().Is6() {
					copy(b[:e.Bits()/8], e.Addr().AsSlice())
				}
			}
			a = netip.AddrFrom16(b)
			if a.Is4In6() {
				continue // the CRD refuses IPv4-mapped networks
			}
		}
		probes = append(probes, netip.PrefixFrom(a, 1+rng.IntN(a.BitLen())).Masked())
	}
	for _, p := range probes {
		if p.Addr().Is4In6() {
			continue
		}
		found := map[string]bool{}
		for _, c := range candidates(idx, p) {
			found[c] = true
		}
		for _, e := range es {
			if e.Prefix.Addr().Is4() == p.Addr().Is4() && e.Prefix.Overlaps(p) && !found[e.String()] {
				t.Errorf("tenant network %v overlaps %v, which the policy does not look up (it looks in %v)", p, e, candidates(idx, p))
			}
		}
	}
	t.Logf("%d probes, %d entries, %d keys", len(probes), len(es), len(idx))
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// TestEntriesRefuseBadRegistry: a range that is not masked, or of an unknown
// category, stops the generator instead of reaching the policy.
func TestEntriesRefuseBadRegistry(t *testing.T) {
	for _, r := range []guardRange{
		{Prefix: netip.MustParsePrefix("10.0.0.1/8"), Category: "private"},
		{Prefix: netip.MustParsePrefix("10.0.0.0/8"), Category: "public"},
		{Prefix: netip.MustParsePrefix("10.0.0.0/8"), Category: "cluster"},
	} {
		if _, err := entries([]guardRange{r}); err == nil {
			t.Errorf("%v %s: no error", r.Prefix, r.Category)
		}
	}
}
