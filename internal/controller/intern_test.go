/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"testing"
	"unsafe"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// allowlistJSON is an allowlist as the API server sends it, in namespace ns.
func allowlistJSON(ns string) []byte {
	return []byte(fmt.Sprintf(`{"apiVersion":"vendorallowlist.io/v1alpha1","kind":"VendorAllowlist",
	"metadata":{"name":"apis","namespace":%q,"uid":"u-%s","resourceVersion":"7","labels":{"team":"payments"},
		"managedFields":[{"manager":"kubectl","operation":"Apply","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{}}}]},
	"spec":{"podSelector":{"matchLabels":{"app":"api"}},
		"custom":[{"name":"apis","direction":"Egress","hostnames":["api.example.com"],"ports":[{"protocol":"TCP","port":443}]}]},
	"status":{"observedGeneration":1,
		"conditions":[{"type":"Ready","status":"True","reason":"Reconciled","message":"1 NetworkPolicy applied","lastTransitionTime":"2026-12-03T10:00:00Z","observedGeneration":1}],
		"hostnames":[{"hostname":"api.example.com","lastResolved":"2026-12-03T10:00:00Z",
			"addresses":[{"address":"203.0.113.10","lastSeen":"2026-12-03T10:00:00Z"},{"address":"2001:db8::10","lastSeen":"2026-12-03T10:00:00Z"}]}]}}`, ns, ns))
}

func decodeAllowlist(t *testing.T, ns string) *v1alpha1.VendorAllowlist {
	t.Helper()
	var a v1alpha1.VendorAllowlist
	if err := json.Unmarshal(allowlistJSON(ns), &a); err != nil {
		t.Fatal(err)
	}
	return &a
}

func sameString(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }

func sameMap(a, b map[string]string) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// Two allowlists decoded apart hold one copy of what they repeat once cached, and
// read exactly as before: only the managed fields are gone.
func TestCompactAllowlistSharesWhatAllowlistsRepeat(t *testing.T) {
	first, second := decodeAllowlist(t, "team-a"), decodeAllowlist(t, "team-b")
	want := first.DeepCopy()
	want.ManagedFields = nil
	if sameString(first.Status.Hostnames[0].Addresses[0].Address, second.Status.Hostnames[0].Addresses[0].Address) {
		t.Fatal("the decoder already shares strings: the test shows nothing")
	}
	for _, a := range []*v1alpha1.VendorAllowlist{first, second} {
		if _, err := CompactAllowlist(a); err != nil {
			t.Fatal(err)
		}
	}
	if !equality.Semantic.DeepEqual(first, want) {
		t.Errorf("the cached allowlist reads differently:\n got %+v\nwant %+v", first, want)
	}
	a, b := first.Status, second.Status
	for name, shared := range map[string]bool{
		"a resolved address":   sameString(a.Hostnames[0].Addresses[0].Address, b.Hostnames[0].Addresses[0].Address),
		"a hostname":           sameString(string(a.Hostnames[0].Hostname), string(b.Hostnames[0].Hostname)),
		"a condition message":  sameString(a.Conditions[0].Message, b.Conditions[0].Message),
		"a label value":        sameString(first.Labels["team"], second.Labels["team"]),
		"a pod selector value": sameString(first.Spec.PodSelector.MatchLabels["app"], second.Spec.PodSelector.MatchLabels["app"]),
		"a spec hostname":      sameString(string(first.Spec.Custom[0].Hostnames[0]), string(second.Spec.Custom[0].Hostnames[0])),
		"a last-seen time":     a.Hostnames[0].Addresses[0].LastSeen == b.Hostnames[0].Addresses[1].LastSeen,
		"a last-resolved time": a.Hostnames[0].LastResolved == b.Hostnames[0].LastResolved,
	} {
		if !shared {
			t.Errorf("%s is held twice", name)
		}
	}
	if sameString(first.Namespace, second.Namespace) || sameString(string(first.UID), string(second.UID)) {
		t.Error("different values came out as one")
	}
	if !sameMap(first.Labels, second.Labels) || !sameMap(first.Spec.PodSelector.MatchLabels, second.Spec.PodSelector.MatchLabels) {
		t.Error("equal label maps are held twice")
	}
	if sameMap(first.Labels, first.Spec.PodSelector.MatchLabels) {
		t.Error("different label maps came out as one")
	}
}

// The JSON decoder grows slices by doubling; a cached allowlist keeps none of the
// spare capacity, and reads the same.
func TestCompactAllowlistTrimsSlices(t *testing.T) {
	a := decodeAllowlist(t, "team-a")
	a.Status.Conditions = append(make([]metav1.Condition, 0, 8), a.Status.Conditions...)
	want := a.DeepCopy()
	want.ManagedFields = nil
	if _, err := CompactAllowlist(a); err != nil {
		t.Fatal(err)
	}
	if !equality.Semantic.DeepEqual(a, want) {
		t.Errorf("the cached allowlist reads differently:\n got %+v\nwant %+v", a, want)
	}
	if n, c := len(a.Status.Conditions), cap(a.Status.Conditions); c != n {
		t.Errorf("conditions: %d held in room for %d", n, c)
	}
}

// A map is shared only with a map of the same content, even when their hashes meet.
func TestInternedMapsAreCompared(t *testing.T) {
	in := newInterner(internLimit)
	m := map[string]string{"app": "api"}
	impostor := map[string]string{"app": "web"}
	in.maps.Add(in.mapKey(m), impostor)
	if got := in.stringMap(m); !maps.Equal(got, m) {
		t.Errorf("interned %v as %v", m, got)
	}
	if got := in.stringMap(map[string]string{"app": "api"}); !sameMap(got, in.stringMap(m)) {
		t.Error("the second of two equal maps was not shared")
	}
}

// However many different values pass through, the interner holds at most its limit.
func TestInternerIsBounded(t *testing.T) {
	in := newInterner(internLimit)
	for i := range 3 * internLimit {
		_ = in.string(fmt.Sprintf("message %d", i))
	}
	if n := in.strings.Len(); n > internLimit {
		t.Errorf("the interner holds %d strings, limit %d", n, internLimit)
	}
	if s := in.string("message 0"); s != "message 0" {
		t.Errorf("an interned string reads %q", s)
	}
}
