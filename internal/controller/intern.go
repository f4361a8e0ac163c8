/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"hash/maphash"
	"maps"
	"reflect"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// Every object the API server sends is decoded with its own copy of each string and
// timestamp, yet across a cluster's allowlists and their policies most are the same
// few: namespaces, label keys and values, vendor and hostname names, resolved
// addresses, condition reasons and messages, the times of one DNS refresh. The
// cache transforms hand those to an interner, so the cache holds one copy of each.
//
// Cached objects are shared and never written in place (readers get deep copies),
// so sharing a string, a *metav1.Time or a label map between them changes nothing a
// reader sees.

// internLimit bounds each of the interner's tables, least recently used out first,
// so a stream of one-off values (new messages, new times) costs the interner at most
// the limit while the values many objects repeat stay shared.
const internLimit = 8192

type interner struct {
	strings *lru.Cache[string, string]
	times   *lru.Cache[time.Time, *metav1.Time]
	// maps holds string maps by a hash of their content: the policies of one
	// allowlist carry the same labels, and an allowlist's policies in different
	// namespaces the same labels and cache annotations, each map ~300 bytes.
	maps *lru.Cache[uint64, map[string]string]
	seed maphash.Seed
}

func newInterner(limit int) *interner {
	strings, err := lru.New[string, string](limit)
	if err != nil {
		panic(err) // only for a limit below 1
	}
	times, err := lru.New[time.Time, *metav1.Time](limit)
	if err != nil {
		panic(err)
	}
	maps, err := lru.New[uint64, map[string]string](limit)
	if err != nil {
		panic(err)
	}
	return &interner{strings: strings, times: times, maps: maps, seed: maphash.MakeSeed()}
}

// cacheInterner is the interner of the manager's cache transforms.
var cacheInterner = newInterner(internLimit)

// string is the shared copy of s.
func (in *interner) string(s string) string {
	if s == "" {
		return s
	}
	if shared, ok, _ := in.strings.PeekOrAdd(s, s); ok {
		return shared
	}
	return s
}

// time is the shared *metav1.Time for the instant t points at.
func (in *interner) time(t *metav1.Time) *metav1.Time {
	if t == nil {
		return nil
	}
	if shared, ok, _ := in.times.PeekOrAdd(t.Time, t); ok {
		return shared
	}
	return t
}

var timePointerType = reflect.TypeFor[*metav1.Time]()

// stringMap is the shared map with m's content, its keys and values interned.
func (in *interner) stringMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return m
	}
	key := in.mapKey(m)
	if shared, ok := in.maps.Get(key); ok && maps.Equal(shared, m) {
		return shared
	}
	rebuilt := make(map[string]string, len(m))
	for k, v := range m {
		rebuilt[in.string(k)] = in.string(v)
	}
	in.maps.Add(key, rebuilt)
	return rebuilt
}

// mapKey hashes m's content: the sum of its entries' hashes, which needs no sorting
// (map order is random) and no allocation on the cache's hot path. Two maps may share
// a key without being equal, so a hit is compared before it is used.
func (in *interner) mapKey(m map[string]string) uint64 {
	var h maphash.Hash
	h.SetSeed(in.seed)
	var sum uint64
	for k, v := range m {
		h.Reset()
		h.WriteString(k)
		h.WriteByte(0)
		h.WriteString(v)
		sum += h.Sum64()
	}
	return sum
}

var stringMapType = reflect.TypeFor[map[string]string]()

// value interns, in place, every string and *metav1.Time reachable from v, which
// must be addressable: struct fields, slice elements, pointers, and string maps
// (shared whole when they are plain map[string]string, else rebuilt with their keys
// and values interned, since a map key cannot be set). It also trims each slice to
// its length: the JSON decoder grows slices by doubling, and a cached object keeps
// that spare capacity for as long as it is cached.
func (in *interner) value(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); s != "" {
			v.SetString(in.string(s))
		}
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if v.Type() == timePointerType {
			v.Set(reflect.ValueOf(in.time(v.Interface().(*metav1.Time))))
			return
		}
		in.value(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				in.value(f)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // raw bytes (a RawExtension): not text worth sharing
		}
		if v.Cap() > v.Len() {
			exact := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
			reflect.Copy(exact, v)
			v.Set(exact)
		}
		for i := range v.Len() {
			in.value(v.Index(i))
		}
	case reflect.Map:
		if v.Len() == 0 || v.Type().Key().Kind() != reflect.String || v.Type().Elem().Kind() != reflect.String {
			return
		}
		if v.Type() == stringMapType {
			v.Set(reflect.ValueOf(in.stringMap(v.Interface().(map[string]string))))
			return
		}
		rebuilt := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			k, e := it.Key(), it.Value()
			rebuilt.SetMapIndex(
				reflect.ValueOf(in.string(k.String())).Convert(k.Type()),
				reflect.ValueOf(in.string(e.String())).Convert(e.Type()))
		}
		v.Set(rebuilt)
	}
}

// metadata interns what objects repeat of their metadata: the namespace, the label
// keys and values, the owners' kinds and names, the finalizers. It leaves the names,
// UIDs and resource versions, which no two objects share, and the annotations,
// which the caller decides about.
func (in *interner) metadata(m *metav1.ObjectMeta) {
	m.Namespace = in.string(m.Namespace)
	m.Labels = in.stringMap(m.Labels)
	in.value(reflect.ValueOf(&m.Finalizers).Elem())
	for i := range m.OwnerReferences {
		ref := &m.OwnerReferences[i]
		ref.APIVersion, ref.Kind, ref.Name = in.string(ref.APIVersion), in.string(ref.Kind), in.string(ref.Name)
	}
}

// CompactAllowlist is the cache transform of the allowlists: without their managed
// fields (nothing reads who set which field of an allowlist, and the operator's own
// status entry was a third of a cached allowlist), and with what allowlists repeat
// shared. At 10,000 allowlists they were the larger part of the manager's heap.
func CompactAllowlist(in any) (any, error) {
	a, ok := in.(*v1alpha1.VendorAllowlist)
	if !ok {
		return in, nil // a tombstone: nothing to trim
	}
	a.ManagedFields = nil
	cacheInterner.metadata(&a.ObjectMeta)
	a.Annotations = cacheInterner.stringMap(a.Annotations)
	cacheInterner.value(reflect.ValueOf(&a.Spec).Elem())
	cacheInterner.value(reflect.ValueOf(&a.Status).Elem())
	return a, nil
}
