/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
)

// Answers are what the operator's own DNS returned, as the address source keeps it.
type Answers struct {
	// Resolved are the addresses kept for each hostname.
	Resolved Resolved
	// Blocked counts, for each hostname, the addresses of its last answer that the
	// guard forbids (addresses.Host.Blocked): the source keeps none of them, but a
	// dataplane enforcing the name would let the pods reach them, so such a
	// hostname stays on its addresses.
	Blocked map[string]int
}

// maxEgressMessage is the bound of status.egress[].message.
const maxEgressMessage = 1024

// egressNames is how each egress rule's hostnames are enforced.
type egressNames struct {
	backend NameBackend // nil: every hostname by its addresses
	// byName are, for each rule of the plan (by index), the hostnames the backend
	// enforces: their resolved addresses stay out of the NetworkPolicy.
	byName []map[string]bool
	rules  []NameRule
	status []v1alpha1.EgressRuleStatus
}

// planEgressNames decides, for every egress rule with hostnames, which of them the
// backend enforces by name and why the others fall back to their addresses.
func (b *builder) planEgressNames() egressNames {
	p := b.plan
	en := egressNames{backend: p.backend, byName: make([]map[string]bool, len(p.rules))}
	for i, r := range p.rules {
		if r.direction != v1alpha1.DirectionEgress || len(r.hostnames) == 0 {
			continue
		}
		st, nr := b.ruleNames(r, len(en.rules))
		en.status = append(en.status, st)
		if len(nr.Names) == 0 {
			continue
		}
		en.byName[i] = setOf(nr.Names)
		en.rules = append(en.rules, nr)
	}
	return en
}

// ruleNames is one rule's status and the name rule it gives the backend (no names
// when it falls back whole); held is how many name rules the backend holds already.
func (b *builder) ruleNames(r rule, held int) (v1alpha1.EgressRuleStatus, NameRule) {
	nb := b.plan.backend
	st := v1alpha1.EgressRuleStatus{Rule: r.origin, Backend: string(BackendNetworkPolicy)}
	nr := NameRule{Origin: r.origin, Names: hostnameNames(r.hostnames), Ports: r.ports, AllPorts: r.allPorts}
	if nb == nil {
		return st, NameRule{}
	}
	if why := nb.Refuses(nr, b.plan.allowlist.Spec.DNSAllowed()); why != "" {
		st.Message = fallbackMessage(why, nr.Names)
		return st, NameRule{}
	}
	if limit := nb.MaxRules(); limit > 0 && held >= limit {
		st.Message = fallbackMessage(fmt.Sprintf("%s holds at most %d rules by name and the rules before this one (by origin) fill it: select fewer endpoint groups or custom entries with hostnames", nb.Kind().Kind, limit), nr.Names)
		return st, NameRule{}
	}
	names, unsafe := b.safeNames(r)
	nr.Names = names
	if len(names) > 0 {
		st.Backend, st.Names = string(nb.Name()), int32(len(names))
	}
	var msgs []string
	if len(unsafe) > 0 {
		msgs = append(msgs, "Enforced by the addresses the guard lets through, not by name: "+strings.Join(unsafe, "; ")+
			". A dataplane enforcing a name lets the pods reach every address it resolves to; these names return to enforcement by name once DNS stops answering so (set privateAddresses: Allow if the vendor is reached over a private network)")
	}
	if len(names) > 0 && !nb.Additive() {
		msgs = append(msgs, "The names' resolved addresses stay in the NetworkPolicy as well: "+nb.Kind().Kind+" cannot open what a NetworkPolicy closes")
	}
	st.Message = Truncate(strings.Join(msgs, ". "), maxEgressMessage)
	return st, nr
}

// fallbackMessage says why a whole rule is enforced by its addresses, and that its
// wildcards, which have none, open nothing.
func fallbackMessage(why string, names []string) string {
	msg := "Enforced by the resolved addresses, not by name: " + why
	if wild := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return !IsWildcard(n) }); len(wild) > 0 {
		msg += "; " + strings.Join(wild, ", ") + " cannot be enforced by addresses and open nothing"
	}
	return Truncate(msg, maxEgressMessage)
}

// safeNames are the rule's hostnames the backend may enforce by name, sorted, and
// for the others why not: the operator's own DNS answered them with an address the
// guard forbids, or a private one the rule's entry does not allow. By name, the
// dataplane would let the pods reach those; by address, the guard leaves them out.
// A hostname DNS has not answered yet is enforced by name: the dataplane resolves it.
func (b *builder) safeNames(r rule) (names, unsafe []string) {
	for _, h := range r.hostnames {
		if slices.Contains(names, h.name) {
			continue
		}
		if why := b.unsafeAnswers(h); why != "" {
			unsafe = append(unsafe, h.name+" ("+why+")")
			continue
		}
		names = append(names, h.name)
	}
	slices.Sort(names)
	slices.Sort(unsafe)
	return names, slices.Compact(unsafe)
}

// unsafeAnswers says what of the hostname's answers a name backend must not let
// the pods reach, or "".
func (b *builder) unsafeAnswers(h hostname) string {
	var forbidden, private []netip.Addr
	for _, a := range b.resolved[h.name] {
		switch a, class := b.plan.opts.Guard.Answer(a); class {
		case guard.Forbidden:
			forbidden = append(forbidden, a)
		case guard.Private:
			if !h.allowPrivate {
				private = append(private, a)
			}
		}
	}
	var parts []string
	if n := len(forbidden) + b.blocked[h.name]; n > 0 {
		parts = append(parts, fmt.Sprintf("DNS answered %d address(es) the guard forbids%s", n, listed(forbidden)))
	}
	if len(private) > 0 {
		parts = append(parts, fmt.Sprintf("DNS answered private address(es) its entry does not allow%s", listed(private)))
	}
	return strings.Join(parts, ", and ")
}

// listed names up to three addresses, for a message.
func listed(as []netip.Addr) string {
	if len(as) == 0 {
		return ""
	}
	slices.SortFunc(as, netip.Addr.Compare)
	as = slices.Compact(as)
	s := make([]string, 0, 3)
	for _, a := range as[:min(3, len(as))] {
		s = append(s, a.String())
	}
	if len(as) > 3 {
		s = append(s, fmt.Sprintf("%d more", len(as)-3))
	}
	return ": " + strings.Join(s, ", ")
}

func hostnameNames(hs []hostname) []string {
	out := make([]string, 0, len(hs))
	for _, h := range hs {
		out = append(out, h.name)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// newEgressObject is an object of a name backend, labelled as the NetworkPolicies
// are; namespace is empty for a cluster-scoped kind. The controller adds the owner
// reference.
func newEgressObject(kind schema.GroupVersionKind, name, namespace string, a *v1alpha1.VendorAllowlist, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetGroupVersionKind(kind)
	u.SetName(name)
	u.SetNamespace(namespace)
	u.SetLabels(map[string]string{
		v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue,
		v1alpha1.AllowlistLabel: a.Name,
	})
	return u
}

// toUnstructured is a typed value (a label selector) as unstructured content.
func toUnstructured(v any) map[string]any {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(v)
	if err != nil {
		panic(fmt.Sprintf("converting %T: %v", v, err)) // only API types are converted, which always convert
	}
	return m
}

// protocolOf is the port's protocol, TCP when unset (the API's default).
func protocolOf(p v1alpha1.Port) v1alpha1.Protocol {
	if p.Protocol == "" {
		return v1alpha1.ProtocolTCP
	}
	return p.Protocol
}

// isRange is whether the port is a range of more than one port.
func isRange(p v1alpha1.Port) bool { return p.EndPort != nil && *p.EndPort != p.Port }
