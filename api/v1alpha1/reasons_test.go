/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1_test

import (
	"testing"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/apiconst"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// TestEveryReasonIsInTheTable: a reason constant left out of v1alpha1.Reasons would
// be told as Normal and never Stalled, whatever it means; the table must say.
func TestEveryReasonIsInTheTable(t *testing.T) {
	reasons, err := apiconst.Strings(".", "Reason", "TargetReason")
	if err != nil {
		t.Fatal(err)
	}
	if len(reasons) < 30 {
		t.Fatalf("%d reason constants found: is the parse still right?", len(reasons))
	}
	for name, v := range reasons {
		if _, ok := v1alpha1.Reasons[v]; !ok {
			t.Errorf("v1alpha1.%s (%q) is not in v1alpha1.Reasons: give it its severity, and say whether it is Stalled", name, v)
		}
	}
}

func TestEventTypeAndStalledReadTheTable(t *testing.T) {
	for _, tc := range []struct {
		reason, eventType string
		stalled           bool
	}{
		{v1alpha1.ReasonPolicyConflict, "Warning", true},
		{v1alpha1.ReasonApplyFailed, "Warning", false},
		{v1alpha1.ReasonAwaitingDNS, "Normal", false},
		{v1alpha1.TargetReasonConsentMissing, "Warning", true},
		{v1alpha1.TargetReasonNotFound, "Warning", false},
		{"NoSuchReason", "Normal", false},
	} {
		if got := v1alpha1.EventType(tc.reason); got != tc.eventType {
			t.Errorf("EventType(%s) = %s, want %s", tc.reason, got, tc.eventType)
		}
		if got := v1alpha1.IsStalled(tc.reason); got != tc.stalled {
			t.Errorf("IsStalled(%s) = %v, want %v", tc.reason, got, tc.stalled)
		}
	}
}
