/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package guard

import (
	"cmp"
	"net/netip"
	"slices"
)

// form is an IPv6 address format that carries an IPv4 address at a place its prefix
// fixes. The local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215) is not one: a translator
// may use it or any longer prefix inside it, each with its own layout (RFC 6052), so
// where the IPv4 lies, and so which IPv4 an address reaches, depends on the translator's
// configuration, which the guard does not see; the registry makes it reserved instead.
type form uint8

const (
	formNone       form = iota
	formCompatible      // ::/96, IPv4-compatible (RFC 4291, deprecated)
	formMapped          // ::ffff:0:0/96, IPv4-mapped (RFC 4291)
	formTranslated      // ::ffff:0:0:0/96, IPv4-translated (RFC 2765)
	formNAT64           // 64:ff9b::/96, well-known NAT64 prefix (RFC 6052)
	form6to4            // 2002::/16 (RFC 3056)
	formTeredo          // 2001::/32 (RFC 4380): server, then the client inverted
)

var formPrefixes = map[netip.Prefix]form{
	netip.MustParsePrefix("::/96"):           formCompatible,
	netip.MustParsePrefix("::ffff:0:0/96"):   formMapped,
	netip.MustParsePrefix("::ffff:0:0:0/96"): formTranslated,
	netip.MustParsePrefix("64:ff9b::/96"):    formNAT64,
	netip.MustParsePrefix("2002::/16"):       form6to4,
	netip.MustParsePrefix("2001::/32"):       formTeredo,
}

// formOf is the form a registry row's prefix names, or formNone.
func formOf(p netip.Prefix) form { return formPrefixes[p] }

// ipv4Field is where a form keeps one IPv4 address: the 32 bits from bit offset at, all
// in one half of the address, inverted or not.
type ipv4Field struct {
	at       int
	inverted bool
}

// fields lists where a form keeps its IPv4 addresses (Teredo: the server, then the client).
func (f form) fields() []ipv4Field {
	switch f {
	case formCompatible, formMapped, formTranslated, formNAT64:
		return fieldsLast32
	case form6to4:
		return fields6to4
	case formTeredo:
		return fieldsTeredo
	}
	return nil
}

var (
	fieldsLast32 = []ipv4Field{{at: 96}}
	fields6to4   = []ipv4Field{{at: 16}}
	fieldsTeredo = []ipv4Field{{at: 32}, {at: 96, inverted: true}}
)

// uint128 is an IPv6 address as two big-endian halves.
type uint128 struct{ hi, lo uint64 }

func u128(a netip.Addr) uint128 {
	b := a.As16()
	var u uint128
	for i := 0; i < 8; i++ {
		u.hi = u.hi<<8 | uint64(b[i])
		u.lo = u.lo<<8 | uint64(b[i+8])
	}
	return u
}

func (u uint128) addr() netip.Addr {
	var b [16]byte
	for i := 7; i >= 0; i-- {
		b[i] = byte(u.hi >> (8 * (7 - i)))
		b[i+8] = byte(u.lo >> (8 * (7 - i)))
	}
	return netip.AddrFrom16(b)
}

func (u uint128) less(v uint128) bool { return u.hi < v.hi || u.hi == v.hi && u.lo < v.lo }

// get32 reads the 32 bits at bit offset off, which lie in one half.
func (u uint128) get32(off int) uint32 {
	if off < 64 {
		return uint32(u.hi >> (32 - off))
	}
	return uint32(u.lo >> (96 - off))
}

func (u *uint128) set32(off int, v uint32) {
	half, shift := &u.hi, 32-off
	if off >= 64 {
		half, shift = &u.lo, 96-off
	}
	*half = *half&^(0xffffffff<<shift) | uint64(v)<<shift
}

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func addr4(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func (fd ipv4Field) get(u uint128) uint32 {
	v := u.get32(fd.at)
	if fd.inverted {
		v = ^v
	}
	return v
}

func (fd ipv4Field) set(u *uint128, v uint32) {
	if fd.inverted {
		v = ^v
	}
	u.set32(fd.at, v)
}

// bitsIn is how many of the field's bits lie in the first n bits of an address.
func (fd ipv4Field) bitsIn(n int) int {
	return clamp(n-fd.at, 0, 32)
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }

// ipv4Of is the IPv4 prefix a field holds across every address of q (which lies in the
// field's form): the field's bits that q fixes.
func (fd ipv4Field) ipv4Of(q netip.Prefix) netip.Prefix {
	return netip.PrefixFrom(addr4(fd.get(u128(q.Addr()))), fd.bitsIn(q.Bits())).Masked()
}

// embeddedIPv4 decodes the IPv4 addresses an address of form f carries.
func (f form) embeddedIPv4(u uint128) (v4 [2]uint32, n int) {
	for i, fd := range f.fields() {
		v4[i] = fd.get(u)
		n = i + 1
	}
	return v4, n
}

// embed writes IPv4 addresses into the fields of the form's address base.
func (f form) embed(base netip.Addr, v4 ...netip.Addr) netip.Addr {
	u := u128(base)
	for i, fd := range f.fields() {
		fd.set(&u, u32(v4[i]))
	}
	return u.addr()
}

// image is a prefix of addresses of a form carrying an IPv4 address of a given prefix.
type image struct {
	prefix netip.Prefix
	exact  bool // every address of prefix carries such an IPv4 address; else prefix covers them
}

// image is the prefix of addresses of form f (whose prefix is formPrefix) that carry an
// IPv4 address of p: exact for the forms of one field, which follows the prefix
// directly; for Teredo the whole form covers them, since any address of it may carry
// a client of any category after the server and the port.
func (f form) image(formPrefix, p netip.Prefix) image {
	fields := f.fields()
	if len(fields) > 1 {
		return image{prefix: formPrefix}
	}
	u := u128(formPrefix.Addr())
	fields[0].set(&u, u32(p.Addr()))
	return image{prefix: netip.PrefixFrom(u.addr(), fields[0].at+p.Bits()).Masked(), exact: true}
}

// IPv4Images are the IPv6 prefixes whose addresses carry an IPv4 address of the IPv4
// prefix p, one per form EmbeddedIPv4 decodes, sorted: exact for the forms that keep
// the IPv4 address in fixed bits, and all of 2001::/32 for Teredo, whose client
// address may be any. Registry lists the non-public ranges' images so; the cluster's
// ranges are configuration, and what must refuse their IPv6 forms too (the admission
// policy) embeds them the same way. Nil if p is not IPv4.
func IPv4Images(p netip.Prefix) []netip.Prefix {
	if !p.IsValid() || !p.Addr().Is4() {
		return nil
	}
	p = p.Masked()
	out := make([]netip.Prefix, 0, len(formPrefixes))
	for formPrefix, f := range formPrefixes {
		out = append(out, f.image(formPrefix, p).prefix)
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int {
		return cmp.Or(a.Addr().Compare(b.Addr()), cmp.Compare(a.Bits(), b.Bits()))
	})
	return out
}

// EmbeddedIPv4 is the IPv4 address an IPv6 address carries: NAT64 64:ff9b::/96
// (RFC 6052), 6to4 2002::/16, Teredo 2001::/32 (the server, then the client),
// IPv4-compatible ::/96 (but not :: and ::1), IPv4-mapped ::ffff:0:0/96 and
// IPv4-translated ::ffff:0:0:0/96. Nil for any other address, the local-use NAT64 prefix
// 64:ff9b:1::/48 included: which IPv4 its addresses reach depends on the translator.
func EmbeddedIPv4(a netip.Addr) []netip.Addr {
	if !a.Is6() {
		return nil
	}
	u := u128(a)
	i := tables.index6(u)
	if tables.kinds6[i] != kindEmbedded {
		return nil
	}
	v4, n := tables.forms6[i].embeddedIPv4(u)
	out := make([]netip.Addr, n)
	for j := range out {
		out[j] = addr4(v4[j])
	}
	return out
}
