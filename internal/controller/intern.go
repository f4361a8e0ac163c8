/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
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
// so sharing a string or a *metav1.Time between them changes nothing a reader sees.

// internLimit bounds each of the interner's tables, least recently used out first,
// so a stream of one-off values (new messages, new times) costs the interner at most
// the limit while the values many objects repeat stay shared.
const internLimit = 8192

type interner struct {
	strings *lru.Cache[string, string]
	times   *lru.Cache[time.Time, *metav1.Time]
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
	return &interner{strings: strings, times: times}
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

// value interns, in place, every string and *metav1.Time reachable from v, which
// must be addressable: struct fields, slice elements, pointers, and the keys and
// values of string maps (which it rebuilds, since a map key cannot be set).
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
		for i := range v.Len() {
			in.value(v.Index(i))
		}
	case reflect.Map:
		if v.Len() == 0 || v.Type().Key().Kind() != reflect.String || v.Type().Elem().Kind() != reflect.String {
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
	in.value(reflect.ValueOf(&m.Labels).Elem())
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
	cacheInterner.value(reflect.ValueOf(&a.Annotations).Elem())
	cacheInterner.value(reflect.ValueOf(&a.Spec).Elem())
	cacheInterner.value(reflect.ValueOf(&a.Status).Elem())
	return a, nil
}
