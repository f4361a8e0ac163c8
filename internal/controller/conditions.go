package controller

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/addresses"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

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
		setReady(allowlist, false, reason, msg)
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
	case v1alpha1.StalledReasons[ready.Reason]:
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
