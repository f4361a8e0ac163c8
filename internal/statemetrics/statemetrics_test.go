/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package statemetrics

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

func allowlist(name string, generation int64, ready *metav1.Condition, targets ...v1alpha1.IngressTargetStatus) *v1alpha1.VendorAllowlist {
	a := &v1alpha1.VendorAllowlist{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name, Generation: generation}}
	if ready != nil {
		a.Status.Conditions = []metav1.Condition{*ready}
	}
	a.Status.IngressTargets = targets
	return a
}

func ready(status metav1.ConditionStatus, reason string, generation int64) *metav1.Condition {
	return &metav1.Condition{Type: v1alpha1.ConditionReady, Status: status, Reason: reason, ObservedGeneration: generation}
}

func TestAllowlistReadyFollowsTheCurrentGenerationsCondition(t *testing.T) {
	for _, tc := range []struct {
		name       string
		allowlist  *v1alpha1.VendorAllowlist
		wantReady  bool
		wantReason string
	}{
		{"ready", allowlist("a", 2, ready("True", v1alpha1.ReasonReconciled, 2)), true, v1alpha1.ReasonReconciled},
		{"held", allowlist("a", 2, ready("False", v1alpha1.ReasonVendorChangeHeld, 2)), false, v1alpha1.ReasonVendorChangeHeld},
		{"ready for an older generation", allowlist("a", 3, ready("True", v1alpha1.ReasonReconciled, 2)), false, ReasonNotObserved},
		{"no condition yet", allowlist("a", 1, nil), false, ReasonNotObserved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := AllowlistStateOf(tc.allowlist)
			if s.Ready != tc.wantReady || s.Reason != tc.wantReason {
				t.Errorf("got ready %v reason %s, want ready %v reason %s", s.Ready, s.Reason, tc.wantReady, tc.wantReason)
			}
		})
	}
}

func TestConflictsCountOnlyTargetsInConflict(t *testing.T) {
	a := allowlist("a", 1, nil,
		v1alpha1.IngressTargetStatus{Kind: "Service", Name: "web", Reason: v1alpha1.TargetReasonConflict},
		v1alpha1.IngressTargetStatus{Kind: "Ingress", Name: "web", Reason: v1alpha1.TargetReasonApplied},
		v1alpha1.IngressTargetStatus{Kind: "Ingress", Name: "api", Reason: v1alpha1.TargetReasonConflict})
	if got := AllowlistStateOf(a); got.Conflicts != 2 {
		t.Errorf("conflicts = %v, want 2", got.Conflicts)
	}
}

func TestVendorReportsHeldChangesAndEveryFeedState(t *testing.T) {
	v := &v1alpha1.Vendor{ObjectMeta: metav1.ObjectMeta{Name: "acme"}}
	v.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionAccepted, Status: "False", Reason: v1alpha1.ReasonChangeHeld}}
	v.Status.Feeds = []v1alpha1.FeedStatus{{Group: "hooks", Reason: v1alpha1.ReasonFeedHeld}, {Group: "api", Reason: v1alpha1.ReasonFeedHeld}, {Group: "web", Reason: v1alpha1.ReasonFeedCurrent}}
	got := map[string]float64{}
	for _, s := range VendorSamples(v) {
		got[strings.Join(s.Labels, "/")] = s.Value
	}
	want := map[string]float64{"acme": 1, "acme/FeedHeld": 2, "acme/FeedCurrent": 1, "acme/FeedStale": 0, "acme/FeedPending": 0, "acme/FeedNotEnabled": 0, "acme/FeedInvalid": 0}
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("samples %v, want %v", got, want)
	}

	v.Status.Conditions[0] = metav1.Condition{Type: v1alpha1.ConditionAccepted, Status: "True", Reason: v1alpha1.ReasonChangeApproved}
	v.Status.Feeds = nil
	if s := VendorSamples(v); len(s) != 1 || s[0].Value != 0 {
		t.Errorf("an approved Vendor without feeds gives %v, want one sample of 0", s)
	}
}
