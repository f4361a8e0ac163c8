package controller

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
