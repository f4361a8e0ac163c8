/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

func TestCarryOverKeepsRecordedTimesWithinResolution(t *testing.T) {
	recorded := metav1.NewTime(time.Unix(1_700_000_000, 0))
	for _, tc := range []struct {
		name       string
		recorded   *metav1.Time
		now        time.Time
		resolution time.Duration
		want       time.Time
	}{
		{"nothing recorded", nil, recorded.Add(time.Minute), 15 * time.Minute, recorded.Add(time.Minute)},
		{"a refresh later", &recorded, recorded.Add(30 * time.Second), 15 * time.Minute, recorded.Time},
		{"just under the resolution", &recorded, recorded.Add(15*time.Minute - time.Second), 15 * time.Minute, recorded.Time},
		{"the resolution later", &recorded, recorded.Add(15 * time.Minute), 15 * time.Minute, recorded.Add(15 * time.Minute)},
		{"seeded from status, within its second", &recorded, recorded.Add(400 * time.Millisecond), 15 * time.Minute, recorded.Time},
		{"resolution zero records every move", &recorded, recorded.Add(time.Second), 0, recorded.Add(time.Second)},
		{"fractions of a second are not stored", nil, recorded.Add(1500 * time.Millisecond), 0, recorded.Add(time.Second)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := carryOver(tc.recorded, tc.now, tc.resolution)
			if !got.Time.Equal(tc.want) {
				t.Fatalf("carryOver(%v, %v, %v) = %v, want %v", tc.recorded, tc.now, tc.resolution, got.Time, tc.want)
			}
		})
	}
}

func TestStatusPatchSetsEveryField(t *testing.T) {
	body, err := statusPatch(v1alpha1.VendorAllowlistStatus{ObservedGeneration: 3})
	if err != nil {
		t.Fatal(err)
	}
	// Whatever the stored status held, an empty field must be cleared, not left.
	want := `{"status":{"conditions":null,"egress":null,"hostnames":null,"ingressTargets":null,"observedGeneration":3,"policies":null}}`
	if string(body) != want {
		t.Fatalf("statusPatch = %s, want %s", body, want)
	}
}

// A cached status can lag behind one written a moment ago; it is trusted to be
// current only when it is what was last written.
func TestWrittenStatusesTrustTheCacheOnlyWhenItMatches(t *testing.T) {
	var w writtenStatuses
	key := types.NamespacedName{Namespace: "ns", Name: "al"}
	ready, failed := []byte(`{"status":{"ready":true}}`), []byte(`{"status":{"ready":false}}`)
	if !w.confirms(key, ready) || w.since(key) {
		t.Fatal("nothing written since start: the cache's initial list is the truth")
	}
	w.remember(key, failed)
	if !w.since(key) {
		t.Fatal("a status was written: patchStatus must check the cache against it")
	}
	if w.confirms(key, ready) {
		t.Fatal("the cache shows the status before the last write: it must be written again")
	}
	if !w.confirms(key, failed) {
		t.Fatal("the last write is what the cache shows: no write needed")
	}
	w.unknown(key)
	if w.confirms(key, failed) || !w.since(key) {
		t.Fatal("a write that may not have landed must be written again")
	}
	w.forget(key)
	if !w.confirms(key, ready) || w.since(key) {
		t.Fatal("a forgotten allowlist starts afresh")
	}
}
