/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/tools/events"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/addresses"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
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

// Reasons added to the table the way a new reason would be, before the suite's
// manager starts reading it: nothing but the table entry says how they are told.
const (
	reasonAddedWarning = "AddedByTestWarning"
	reasonAddedNormal  = "AddedByTestNormal"
)

func init() {
	v1alpha1.Reasons[reasonAddedWarning] = v1alpha1.ReasonInfo{Severity: v1alpha1.SeverityWarning, Stalled: true}
	v1alpha1.Reasons[reasonAddedNormal] = v1alpha1.ReasonInfo{Severity: v1alpha1.SeverityNormal}
}

// sendEvents runs the status step on obs and returns the events it sent, as
// "type reason note".
func sendEvents(t *testing.T, a *v1alpha1.VendorAllowlist, obs *observation) []string {
	t.Helper()
	rec := events.NewFakeRecorder(16)
	for _, e := range updateStatus(a, obs) {
		recordEvent(rec, a, e)
	}
	close(rec.Events)
	var out []string
	for e := range rec.Events {
		out = append(out, e)
	}
	return out
}

func TestANewReasonIsToldWithTheSeverityOfItsTableEntry(t *testing.T) {
	a := &v1alpha1.VendorAllowlist{ObjectMeta: metav1.ObjectMeta{Name: "acme", Namespace: "team", Generation: 1}}
	compileErr := func(reason string) *observation {
		return &observation{compileErr: &render.Error{Reason: reason, Errors: field.ErrorList{field.Invalid(field.NewPath("spec"), "x", "the test's error")}}}
	}

	got := sendEvents(t, a, compileErr(reasonAddedWarning))
	if len(got) != 1 || !strings.HasPrefix(got[0], "Warning "+reasonAddedWarning+" ") {
		t.Fatalf("events %q, want one Warning %s", got, reasonAddedWarning)
	}
	if c := meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionStalled); c == nil || c.Reason != reasonAddedWarning {
		t.Errorf("Stalled is %v, want True for %s: the table says only a person can fix it", c, reasonAddedWarning)
	}
	if got := sendEvents(t, a, compileErr(reasonAddedWarning)); len(got) != 0 {
		t.Errorf("the same Ready told again: %q", got)
	}

	// Ready's other reasons are no news: Ready says them, and no event.
	if got := sendEvents(t, a, compileErr(reasonAddedNormal)); len(got) != 0 {
		t.Errorf("events %q for a Normal Ready reason, want none", got)
	}
	if c := meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReconciling); c == nil || c.Reason != reasonAddedNormal {
		t.Errorf("Reconciling is %v, want True for %s", c, reasonAddedNormal)
	}
	if c := meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionStalled); c != nil {
		t.Errorf("Stalled is still %v", c)
	}

	// An ingress target's new reason reaches its event the same way.
	failed := []v1alpha1.IngressTargetStatus{{Kind: "Service", Name: "web", State: v1alpha1.IngressTargetFailed, Reason: reasonAddedWarning, Message: "the test's failure"}}
	a.Status.IngressTargets = failed
	obs := &observation{applied: true, targets: &targetsObserved{}}
	if got := sendEvents(t, a, obs); !slices.Contains(got, "Warning "+reasonAddedWarning+" the test's failure") {
		t.Errorf("events %q, want the target's failure told as a Warning", got)
	}
}

func TestResolvedIsToldAtEachChangeButTheFirstAnswer(t *testing.T) {
	a := &v1alpha1.VendorAllowlist{ObjectMeta: metav1.ObjectMeta{Name: "acme", Namespace: "team", Generation: 1}}
	resolved := func(err error) *observation {
		return &observation{resolved: true, hostnames: []string{"api.vendor.example"}, known: map[string]addresses.Host{"api.vendor.example": {Err: err}}}
	}
	for _, step := range []struct {
		name string
		obs  *observation
		want []string
	}{
		{"first answer", resolved(nil), nil},
		{"same again", resolved(nil), nil},
		{"failing", resolved(errors.New("SERVFAIL")), []string{"Warning ResolutionFailed DNS lookups failing; the last known addresses stay in the policies: api.vendor.example: SERVFAIL"}},
		{"still failing", resolved(errors.New("SERVFAIL")), nil},
		{"answered again", resolved(nil), []string{"Normal Resolved DNS answered for all 1 hostnames"}},
	} {
		if got := sendEvents(t, a, step.obs); !slices.Equal(got, step.want) {
			t.Errorf("%s: events %q, want %q", step.name, got, step.want)
		}
	}
}

func TestPoliciesAppliedIsToldOnlyOfPoliciesAlreadyInPlace(t *testing.T) {
	a := &v1alpha1.VendorAllowlist{ObjectMeta: metav1.ObjectMeta{Name: "acme", Namespace: "team", Generation: 1}}
	result := render.Result{Summaries: []v1alpha1.RenderedPolicy{{Name: "acme-egress", Direction: v1alpha1.DirectionEgress, Peers: 2}}}
	created := &observation{applied: true, result: result, outcome: applyOutcome{created: []string{"acme-egress"}}}
	if got := sendEvents(t, a, created); len(got) != 0 {
		t.Errorf("events %q for an allowlist's first policies, want none", got)
	}
	if !slices.Equal(a.Status.Policies, result.Summaries) {
		t.Errorf("status.policies %v, want the render's %v", a.Status.Policies, result.Summaries)
	}
	updated := &observation{applied: true, result: result, outcome: applyOutcome{updated: []string{"acme-egress"}}}
	if got := sendEvents(t, a, updated); !slices.Equal(got, []string{"Normal PoliciesApplied NetworkPolicies updated acme-egress"}) {
		t.Errorf("events %q, want the update told", got)
	}
}
