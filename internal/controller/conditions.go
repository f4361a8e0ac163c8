/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/tools/events"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/addresses"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds/follow"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// observation is what one reconcile of an allowlist found out: the facts from which
// updateStatus decides every condition and event. The reconcile fills it as far as it
// gets; what it did not reach stays zero.
type observation struct {
	// catalogErr: the Vendor objects could not be listed.
	catalogErr error
	// vendorChange names the Vendors the allowlist uses whose change is not accepted
	// yet; vendorChangeHeld when one of them is held for an admin.
	vendorChange     string
	vendorChangeHeld bool
	// feedsPending are the feed-backed groups the allowlist selects that have no
	// list in force yet: the policies in place stay.
	feedsPending []follow.Pending
	// compileErr: the allowlist cannot be rendered against the catalog.
	compileErr *render.Error
	// resolved: DNS was asked for the plan's hostnames, and known is what it said.
	resolved  bool
	hostnames []string
	known     map[string]addresses.Host
	// result is the allowlist rendered with what DNS said; awaiting are its hostnames
	// that DNS still owes a first address; refused what the tenant limits left out.
	result   render.Result
	awaiting []string
	refused  field.ErrorList
	// nothingToRender says why a direction would render no address: the policies in
	// place stay, and nothing is applied.
	nothingToRender string
	// applied: the policies were applied, with outcome; applyErr is what failed, of
	// the policies or of the ingress targets (a retry).
	applied  bool
	outcome  applyOutcome
	applyErr error
	// egress is what the name backend's objects did; nil when they were not
	// reached. While it blocks, the policies in place stay as they are.
	egress *egressObserved
	// targets is what the ingress targets did; nil when they were not reconciled.
	targets *targetsObserved
	// err is what the reconcile returned: it is retried.
	err error
}

// targetsObserved is what writing the ingress targets did: status.ingressTargets
// before it, and the objects written, released or deleted.
type targetsObserved struct {
	before  []v1alpha1.IngressTargetStatus
	changed []string
}

// statusEvent is an event that updateStatus decided to send; recordEvent gives it
// the type the reason table gives its reason.
type statusEvent struct{ reason, action, note string }

// recordEvent sends an event about obj. Every event of the operator goes through
// here: its type is its reason's severity in v1alpha1.Reasons, and its note is cut to
// what the API server takes.
func recordEvent(rec events.EventRecorder, obj runtime.Object, e statusEvent) {
	rec.Eventf(obj, nil, v1alpha1.EventType(e.reason), e.reason, e.action, "%s", truncate(e.note, maxEventNote))
}

// updateStatus sets every condition of the allowlist, and status.policies, from what
// the reconcile observed, and returns the events that tell of what changed, in the
// order it happened. It is the one place an allowlist's conditions are set.
func updateStatus(allowlist *v1alpha1.VendorAllowlist, obs *observation) []statusEvent {
	var out []statusEvent
	if obs.resolved {
		out = append(out, setResolved(allowlist, obs.known, obs.hostnames)...)
	}
	// As for policies, an allowlist's first objects are no news (policiesApplied).
	if obs.egress != nil && len(obs.egress.changed) > 0 && len(allowlist.Status.Policies) > 0 {
		out = append(out, statusEvent{v1alpha1.ReasonEgressObjectsApplied, "Apply", "Egress backend: " + strings.Join(obs.egress.changed, "; ")})
	}
	if obs.targets != nil {
		out = append(out, targetEvents(obs.targets.before, allowlist.Status.IngressTargets, obs.targets.changed)...)
	}
	if ready, reason, msg, decided := readiness(allowlist, obs); decided {
		out = append(out, setReady(allowlist, ready, reason, msg)...)
	}
	summarize(allowlist, obs.err)
	if obs.applied {
		out = append(out, policiesApplied(obs, len(allowlist.Status.Policies) > 0)...)
		allowlist.Status.Policies = obs.result.Summaries
	}
	return out
}

// policiesApplied tells of a change to policies already in place; an allowlist's
// first policies are not news: its Ready condition names them. (At a GitOps sync of a
// thousand allowlists, a thousand such events would cost the API server more than
// the policies themselves.)
func policiesApplied(obs *observation, hadPolicies bool) []statusEvent {
	msg := obs.outcome.message()
	if obs.applyErr != nil || msg == "" || (!hadPolicies && len(obs.outcome.updated)+len(obs.outcome.deleted) == 0) {
		return nil
	}
	return []statusEvent{{v1alpha1.ReasonPoliciesApplied, "Apply", msg}}
}

// readiness decides Ready from the facts, first what stopped the reconcile, then what
// the apply found, in the order of who must act: the admin's catalog, the spec, the
// policies, the targets, DNS. decided is false when the reconcile stopped before it
// could tell (summarize then says so).
func readiness(allowlist *v1alpha1.VendorAllowlist, obs *observation) (ready bool, reason, msg string, decided bool) {
	switch {
	case obs.catalogErr != nil:
		return false, v1alpha1.ReasonCatalogUnavailable, obs.catalogErr.Error(), true
	case obs.vendorChangeHeld:
		return false, v1alpha1.ReasonVendorChangeHeld, obs.vendorChange, true
	case obs.vendorChange != "":
		return false, v1alpha1.ReasonVendorChangePending, obs.vendorChange, true
	case len(obs.feedsPending) > 0:
		return false, feedPendingReason(obs.feedsPending), follow.PendingMessage(obs.feedsPending), true
	case obs.compileErr != nil:
		return false, obs.compileErr.Reason, obs.compileErr.Error(), true
	case obs.nothingToRender != "":
		return false, v1alpha1.ReasonNothingToRender, obs.nothingToRender, true
	case obs.egress.blocked():
		reason, msg := obs.egress.problem()
		return false, reason, msg, true
	case !obs.applied:
		return false, "", "", false
	case obs.applyErr != nil:
		return false, v1alpha1.ReasonApplyFailed, obs.applyErr.Error(), true
	case len(obs.outcome.conflicts) > 0:
		return false, v1alpha1.ReasonPolicyConflict, conflictMessage(obs.outcome.conflicts), true
	case len(obs.refused) > 0:
		return false, v1alpha1.ReasonTenantLimitExceeded, refusedMessage(obs.result.Policies, obs.refused), true
	}
	if reason, msg := failedTargets(allowlist.Status.IngressTargets); reason != "" {
		return false, reason, msg, true
	}
	if len(obs.awaiting) > 0 {
		return false, v1alpha1.ReasonAwaitingDNS, awaitingMessage(allowlist, obs.result, obs.awaiting), true
	}
	return true, v1alpha1.ReasonReconciled, readyMessage(obs.result.Policies, allowlist.Status.Hostnames) + egressNotes(obs.egress.backend(), allowlist.Status.Egress) + targetNotes(allowlist.Status.IngressTargets), true
}

// setReady sets the Ready condition; its transition time moves only when its status
// does. A Warning reason is told by an event when the condition says something new:
// a state that lasts is told once, not at every reconcile. The other reasons are no
// news: Ready says them.
func setReady(allowlist *v1alpha1.VendorAllowlist, ready bool, reason, message string) []statusEvent {
	status := metav1.ConditionFalse
	if ready {
		status = metav1.ConditionTrue
	}
	previous := meta.FindStatusCondition(allowlist.Status.Conditions, v1alpha1.ConditionReady).DeepCopy()
	meta.SetStatusCondition(&allowlist.Status.Conditions, metav1.Condition{
		Type:               v1alpha1.ConditionReady,
		Status:             status,
		Reason:             reason,
		Message:            truncate(message, 32768),
		ObservedGeneration: allowlist.Generation,
	})
	current := meta.FindStatusCondition(allowlist.Status.Conditions, v1alpha1.ConditionReady)
	if v1alpha1.EventType(reason) != string(v1alpha1.SeverityWarning) ||
		(previous != nil && previous.Reason == current.Reason && previous.Message == current.Message) {
		return nil
	}
	return []statusEvent{{reason, "Reconcile", current.Message}}
}

// setResolved sets the Resolved condition, and tells of each change of its status
// but the first True.
func setResolved(allowlist *v1alpha1.VendorAllowlist, known map[string]addresses.Host, hostnames []string) []statusEvent {
	if len(hostnames) == 0 {
		meta.RemoveStatusCondition(&allowlist.Status.Conditions, v1alpha1.ConditionResolved)
		return nil
	}
	var failing []string
	for _, name := range hostnames {
		if err := known[name].Err; err != nil {
			failing = append(failing, fmt.Sprintf("%s: %v", name, err))
		}
	}
	slices.Sort(failing)
	cond := metav1.Condition{
		Type:               v1alpha1.ConditionResolved,
		Status:             metav1.ConditionTrue,
		Reason:             v1alpha1.ReasonResolved,
		Message:            fmt.Sprintf("DNS answered for all %d hostnames", len(hostnames)),
		ObservedGeneration: allowlist.Generation,
	}
	if len(failing) > 0 {
		cond.Status, cond.Reason = metav1.ConditionFalse, v1alpha1.ReasonResolutionFailed
		cond.Message = truncate("DNS lookups failing; the last known addresses stay in the policies: "+strings.Join(failing, "; "), 32768)
	}
	previous := meta.FindStatusCondition(allowlist.Status.Conditions, v1alpha1.ConditionResolved)
	changed := previous == nil || previous.Status != cond.Status
	first := previous == nil && len(failing) == 0
	meta.SetStatusCondition(&allowlist.Status.Conditions, cond)
	if !changed || first {
		return nil
	}
	return []statusEvent{{cond.Reason, "Resolve", cond.Message}}
}

// targetEvents tells what the ingress targets wrote, and, once per change of reason,
// a target that failed or warns.
func targetEvents(before, after []v1alpha1.IngressTargetStatus, changed []string) []statusEvent {
	var out []statusEvent
	if len(changed) > 0 {
		out = append(out, statusEvent{v1alpha1.ReasonIngressTargetsApplied, "Apply", "Ingress targets: " + strings.Join(changed, "; ")})
	}
	for _, st := range after {
		if st.State != v1alpha1.IngressTargetFailed && st.State != v1alpha1.IngressTargetWarning {
			continue
		}
		i := slices.IndexFunc(before, func(p v1alpha1.IngressTargetStatus) bool { return p.Kind == st.Kind && p.Name == st.Name })
		if i >= 0 && before[i].Reason == st.Reason {
			continue
		}
		out = append(out, statusEvent{st.Reason, "Apply", st.Message})
	}
	return out
}

// summarize sets Reconciling and Stalled from Ready, the way kstatus (Flux, kpt,
// cli-utils) and Argo CD's health check read them: Ready=True, neither; Ready=False
// for a reason only a person can fix, Stalled; for any other, Reconciling, since the
// operator gets there by itself. A reconcile that failed before saying why is
// Reconciling too: it is retried. Each condition carries the generation it speaks of.
func summarize(allowlist *v1alpha1.VendorAllowlist, reconcileErr error) {
	conds := &allowlist.Status.Conditions
	ready := meta.FindStatusCondition(*conds, v1alpha1.ConditionReady)
	if ready == nil || ready.ObservedGeneration != allowlist.Generation {
		reason, msg := v1alpha1.ReasonReconcileError, "The operator is rendering this generation"
		if reconcileErr != nil {
			msg = truncate("Retrying after an error: "+reconcileErr.Error(), 32768)
		}
		setReady(allowlist, false, reason, msg) // not news: the retry may well succeed
		ready = meta.FindStatusCondition(*conds, v1alpha1.ConditionReady)
	}
	set := func(typ string) {
		meta.SetStatusCondition(conds, metav1.Condition{
			Type: typ, Status: metav1.ConditionTrue, Reason: ready.Reason, Message: ready.Message, ObservedGeneration: allowlist.Generation,
		})
	}
	switch {
	case ready.Status == metav1.ConditionTrue:
		meta.RemoveStatusCondition(conds, v1alpha1.ConditionReconciling)
		meta.RemoveStatusCondition(conds, v1alpha1.ConditionStalled)
	case v1alpha1.IsStalled(ready.Reason):
		meta.RemoveStatusCondition(conds, v1alpha1.ConditionReconciling)
		set(v1alpha1.ConditionStalled)
	default:
		meta.RemoveStatusCondition(conds, v1alpha1.ConditionStalled)
		set(v1alpha1.ConditionReconciling)
	}
}

// awaitingDNS are the hostnames with no address to render yet for which DNS has not
// had its say: no first answer, or failures. (A name DNS says does not exist is not
// awaited: it is answered.)
func awaitingDNS(result render.Result, known map[string]addresses.Host) []string {
	var out []string
	for _, h := range result.Hostnames {
		k := known[h.Name]
		if len(h.Addresses) == 0 && (k.ResolvedAt.IsZero() || k.Err != nil) {
			out = append(out, h.Name)
		}
	}
	return out
}

// awaitingMessage says what the allowlist waits for, and what that means for the
// pods it selects meanwhile.
func awaitingMessage(allowlist *v1alpha1.VendorAllowlist, result render.Result, hostnames []string) string {
	msg := fmt.Sprintf("Waiting for DNS to give an address for %s; the rules naming only them are left out of the policies meanwhile", strings.Join(hostnames, ", "))
	for _, d := range result.Empty {
		name := render.PolicyName(allowlist.Name, d)
		switch {
		case d == v1alpha1.DirectionIngress:
			msg += fmt.Sprintf(". Until then %s admits no traffic at all: the selected pods are isolated from all ingress", name)
		case allowlist.Spec.DNSAllowed():
			msg += fmt.Sprintf(". Until then %s allows only DNS: the selected pods are isolated from all other egress", name)
		default:
			msg += fmt.Sprintf(". Until then %s allows nothing: the selected pods are isolated from all egress", name)
		}
	}
	return msg + " (status.hostnames has the lookup errors)"
}
