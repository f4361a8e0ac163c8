package controller

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/addresses"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// addressOwner is the allowlist as the address source sees it: a key and the
// refresh bounds it asks for.
func addressOwner(allowlist *v1alpha1.VendorAllowlist) addresses.Owner {
	o := addresses.Owner{Key: client.ObjectKeyFromObject(allowlist)}
	if r := allowlist.Spec.DNSRefresh; r != nil {
		if r.MinInterval != nil {
			o.MinRefresh = r.MinInterval.Duration
		}
		if r.MaxInterval != nil {
			o.MaxRefresh = r.MaxInterval.Duration
		}
	}
	return o
}

// addressRequests asks for every hostname the plan renders, seeded with what the
// status recorded, so that after a restart nothing seen within retention is dropped.
func addressRequests(plan *render.Plan, recorded []v1alpha1.HostnameStatus) []addresses.Request {
	seeds := map[string]map[netip.Addr]time.Time{}
	for _, h := range recorded {
		for _, a := range h.Addresses {
			addr, err := netip.ParseAddr(a.Address)
			if err != nil || a.LastSeen == nil {
				continue // a published address, or not an address DNS returned
			}
			if seeds[string(h.Hostname)] == nil {
				seeds[string(h.Hostname)] = map[netip.Addr]time.Time{}
			}
			seeds[string(h.Hostname)][addr] = a.LastSeen.Time
		}
	}
	var reqs []addresses.Request
	for _, h := range plan.HostnameRequests() {
		reqs = append(reqs, addresses.Request{Hostname: h.Name, AllowPrivate: h.AllowPrivate, Seed: seeds[h.Name]})
	}
	return reqs
}

// setResolved sets the Resolved condition, and emits an event when it changes.
func (r *VendorAllowlistReconciler) setResolved(allowlist *v1alpha1.VendorAllowlist, known map[string]addresses.Host, hostnames []string) {
	if len(hostnames) == 0 {
		meta.RemoveStatusCondition(&allowlist.Status.Conditions, v1alpha1.ConditionResolved)
		return
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
	meta.SetStatusCondition(&allowlist.Status.Conditions, cond)
	switch {
	case changed && len(failing) > 0:
		r.Recorder.Eventf(allowlist, nil, "Warning", v1alpha1.ReasonResolutionFailed, "Resolve", "%s", cond.Message)
	case changed && previous != nil:
		r.Recorder.Eventf(allowlist, nil, "Normal", v1alpha1.ReasonResolved, "Resolve", "%s", cond.Message)
	}
}
