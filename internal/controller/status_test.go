/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"

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
	want := `{"status":{"observedGeneration":3,"conditions":null,"policies":null,"hostnames":null,"ingressTargets":null,"egress":null}}`
	if string(body) != want {
		t.Fatalf("statusPatch = %s, want %s", body, want)
	}
}

// Whatever status is stored, the patch leaves exactly the status it was made from,
// as the API server applies it (a JSON merge patch of the object).
func TestStatusPatchMakesTheStoredStatusTheNewOne(t *testing.T) {
	at := metav1.NewTime(time.Unix(1_700_000_000, 0))
	full := v1alpha1.VendorAllowlistStatus{
		ObservedGeneration: 7,
		Conditions:         []metav1.Condition{{Type: "Ready", Status: metav1.ConditionTrue, Reason: "Rendered", Message: "ok", LastTransitionTime: at, ObservedGeneration: 7}},
		Policies:           []v1alpha1.RenderedPolicy{{Name: "vao-workato-egress", Direction: v1alpha1.DirectionEgress, Peers: 4}},
		Hostnames:          []v1alpha1.HostnameStatus{{Hostname: "sg1.workato.com", Addresses: []v1alpha1.ResolvedAddress{{Address: "52.74.0.1", LastSeen: &at}}, LastResolved: &at}},
		IngressTargets:     []v1alpha1.IngressTargetStatus{{Kind: "Service", Name: "web", State: v1alpha1.IngressTargetApplied}},
		Egress:             []v1alpha1.EgressRuleStatus{{Rule: "workato", Backend: "NetworkPolicy", Names: 2}},
	}
	emptied := v1alpha1.VendorAllowlistStatus{ObservedGeneration: 8, Conditions: full.Conditions}
	vendorFull := v1alpha1.VendorStatus{ObservedGeneration: 2, AcceptedGeneration: 2,
		Endpoints: []v1alpha1.EndpointSummary{{Name: "webhooks", Direction: v1alpha1.DirectionIngress, Entries: 3}},
		Feeds:     []v1alpha1.FeedStatus{{Group: "webhooks", URL: "https://example.com/meta", LastFetched: &at}}}

	for _, tc := range []struct {
		name           string
		stored, wanted any // the patch is statusPatch(wanted)
	}{
		{"allowlist: all fields set over none", v1alpha1.VendorAllowlistStatus{}, full},
		{"allowlist: most fields emptied", full, emptied},
		{"allowlist: everything emptied", full, v1alpha1.VendorAllowlistStatus{}},
		{"vendor: all fields set over none", v1alpha1.VendorStatus{}, vendorFull},
		{"vendor: everything emptied", vendorFull, v1alpha1.VendorStatus{}},
		{"a field named by the encoder, not its tag", taglessName{Count: 2, Names: []string{"a"}}, taglessName{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			patch, err := statusPatch(tc.wanted)
			if err != nil {
				t.Fatal(err)
			}
			stored, err := json.Marshal(map[string]any{"metadata": map[string]any{"name": "a"}, "status": tc.stored})
			if err != nil {
				t.Fatal(err)
			}
			merged, err := jsonpatch.MergePatch(stored, patch)
			if err != nil {
				t.Fatalf("the API server would refuse %s: %v", patch, err)
			}
			wantJSON, err := json.Marshal(map[string]any{"metadata": map[string]any{"name": "a"}, "status": tc.wanted})
			if err != nil {
				t.Fatal(err)
			}
			var got, want map[string]any
			if err := json.Unmarshal(merged, &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(wantJSON, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("stored %s\npatched with %s\ngives %s\nwant %s", stored, patch, merged, wantJSON)
			}
		})
	}
}

// taglessName has a field whose JSON name is the encoder's (its Go name), not its tag's.
type taglessName struct {
	Count int      `json:",omitempty"`
	Names []string `json:"names,omitempty"`
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
