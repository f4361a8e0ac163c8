package controller

import (
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

func TestSummarizeFollowsTheKstatusConvention(t *testing.T) {
	for _, tc := range []struct {
		name        string
		ready       *metav1.Condition // at generation 2 unless stated
		err         error
		reconciling bool
		stalled     bool
		reason      string
	}{
		{"ready", &metav1.Condition{Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonReconciled}, nil, false, false, v1alpha1.ReasonReconciled},
		{"unknown vendor", &metav1.Condition{Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonUnknownVendor}, nil, false, true, v1alpha1.ReasonUnknownVendor},
		{"policy conflict", &metav1.Condition{Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonPolicyConflict}, nil, false, true, v1alpha1.ReasonPolicyConflict},
		{"limit exceeded", &metav1.Condition{Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonTenantLimitExceeded}, nil, false, true, v1alpha1.ReasonTenantLimitExceeded},
		{"vendor change held", &metav1.Condition{Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonVendorChangeHeld}, nil, false, true, v1alpha1.ReasonVendorChangeHeld},
		{"vendor change being compared", &metav1.Condition{Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonVendorChangePending}, nil, true, false, v1alpha1.ReasonVendorChangePending},
		{"awaiting DNS", &metav1.Condition{Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonAwaitingDNS}, nil, true, false, v1alpha1.ReasonAwaitingDNS},
		{"apply retried", &metav1.Condition{Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonApplyFailed}, errors.New("boom"), true, false, v1alpha1.ReasonApplyFailed},
		{"failed before Ready was set", nil, errors.New("listing policies: boom"), true, false, v1alpha1.ReasonReconcileError},
		{"Ready of an older generation", &metav1.Condition{Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonReconciled, ObservedGeneration: 1}, errors.New("boom"), true, false, v1alpha1.ReasonReconcileError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &v1alpha1.VendorAllowlist{ObjectMeta: metav1.ObjectMeta{Generation: 2}}
			// Leftovers of an earlier state must go.
			a.Status.Conditions = []metav1.Condition{
				{Type: v1alpha1.ConditionStalled, Status: metav1.ConditionTrue, Reason: "Old"},
				{Type: v1alpha1.ConditionReconciling, Status: metav1.ConditionTrue, Reason: "Old"},
			}
			if tc.ready != nil {
				c := *tc.ready
				c.Type, c.Message = v1alpha1.ConditionReady, "the message"
				if c.ObservedGeneration == 0 {
					c.ObservedGeneration = 2
				}
				meta.SetStatusCondition(&a.Status.Conditions, c)
			}
			summarize(a, tc.err)
			rec := meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReconciling)
			st := meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionStalled)
			if (rec != nil) != tc.reconciling || (st != nil) != tc.stalled {
				t.Fatalf("Reconciling %v, Stalled %v; want %v, %v", rec, st, tc.reconciling, tc.stalled)
			}
			for _, c := range a.Status.Conditions {
				if c.ObservedGeneration != 2 {
					t.Errorf("%s speaks of generation %d, want 2", c.Type, c.ObservedGeneration)
				}
				if c.Type != v1alpha1.ConditionReady && c.Reason != tc.reason {
					t.Errorf("%s reason %s, want Ready's %s", c.Type, c.Reason, tc.reason)
				}
			}
			if r := meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady); r.Reason != tc.reason {
				t.Errorf("Ready reason %s, want %s", r.Reason, tc.reason)
			}
		})
	}
}
