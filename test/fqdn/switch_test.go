/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fqdn

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"

	. "github.com/onsi/gomega"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// A running allowlist switched from networkpolicy to cilium and back, by restarting
// the operator with the other --egress-backend (two managers in turn against one API
// server), never leaves a moment in which a gateway is not allowed: every state of
// the NetworkPolicies and CiliumNetworkPolicies of the namespace that a watch
// started before the switch observed allows each gateway, by the address DNS
// answers for it in the NetworkPolicy or by its name in the CiliumNetworkPolicy.
//
// The two watches' events are put in the order they happened by their
// resourceVersion: against one etcd (envtest's), it is the store's revision, shared
// by every kind. (Clients must not compare resourceVersions in general; the test
// knows its store.)
func TestSwitchNeverRefusesAGateway(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "fqdn-switch")
	srv := startDNS(t)
	first := startManager(t, env.Config, srv, render.BackendNetworkPolicy, ns)
	key := create(t, sample(t, ns))
	waitReady(t, k8s, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	first.Stop()

	rec := watchNamespace(t, ns)
	cnpKey := client.ObjectKey{Namespace: ns, Name: render.CiliumPolicyName(key.Name)}

	t.Log("to cilium")
	second := startManager(t, env.Config, srv, render.BackendCilium, ns)
	g.Eventually(func(g Gomega) {
		a := waitReady(t, k8s, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
		st, _ := egressRule(a, "workato/opa-gateways")
		g.Expect(st.Backend).To(Equal("cilium"))
		g.Expect(getObject(g, k8s, render.CiliumNetworkPolicyKind, cnpKey)).NotTo(BeNil())
		g.Expect(testenv.PolicyCIDRs(egressPolicy(g, k8s, key))).NotTo(ContainElement(gatewayAnswers["sg1.workato.com"] + "/32"))
	}, timeout, poll).Should(Succeed())
	second.Stop()

	t.Log("and back to networkpolicy")
	startManager(t, env.Config, srv, render.BackendNetworkPolicy, ns)
	g.Eventually(func(g Gomega) {
		a := waitReady(t, k8s, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
		st, _ := egressRule(a, "workato/opa-gateways")
		g.Expect(st.Backend).To(Equal("networkpolicy"))
		g.Expect(getObject(g, k8s, render.CiliumNetworkPolicyKind, cnpKey)).To(BeNil())
	}, timeout, poll).Should(Succeed())

	states := rec.replay(t)
	g.Expect(len(states)).To(BeNumerically(">=", 4), "the watch saw the NetworkPolicy change twice and the CiliumNetworkPolicy come and go")
	t.Logf("%d states observed", len(states))
	sawCilium := false
	for i, s := range states {
		for host, addr := range gatewayAnswers {
			byAddress := slices.Contains(s.policyCIDRs, addr+"/32")
			byName := slices.Contains(s.ciliumNames, host)
			if !byAddress && !byName {
				t.Errorf("state %d (resourceVersion %d, after %s): %s is allowed neither by its address %s in the NetworkPolicy %v nor by name in a CiliumNetworkPolicy %v",
					i, s.rv, s.cause, host, addr, s.policyCIDRs, s.ciliumNames)
			}
		}
		sawCilium = sawCilium || len(s.ciliumNames) > 0
	}
	g.Expect(sawCilium).To(BeTrue(), "no observed state had the names in a CiliumNetworkPolicy")
}

// recorder keeps what two watches of a namespace see: its egress NetworkPolicy and
// its CiliumNetworkPolicies.
type recorder struct {
	mu      sync.Mutex
	initial []runtime.Object
	startRV uint64
	events  []watch.Event
	policy  string
}

func watchNamespace(t *testing.T, ns string) *recorder {
	t.Helper()
	wc, err := client.NewWithWatch(env.Config, client.Options{Scheme: testenv.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{policy: render.PolicyName("workato-opa", v1alpha1.DirectionEgress)}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var nps networkingv1.NetworkPolicyList
	if err := wc.List(ctx, &nps, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	cnps := &unstructured.UnstructuredList{}
	cnps.SetGroupVersionKind(render.CiliumNetworkPolicyKind.GroupVersion().WithKind("CiliumNetworkPolicyList"))
	if err := wc.List(ctx, cnps, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for i := range nps.Items {
		rec.initial = append(rec.initial, &nps.Items[i])
	}
	for i := range cnps.Items {
		rec.initial = append(rec.initial, &cnps.Items[i])
	}
	rec.startRV = max(parseRV(t, nps.ResourceVersion), parseRV(t, cnps.GetResourceVersion()))
	for _, list := range []client.ObjectList{&networkingv1.NetworkPolicyList{ListMeta: metav1.ListMeta{ResourceVersion: nps.ResourceVersion}}, cnpListAt(cnps.GetResourceVersion())} {
		w, err := wc.Watch(ctx, list, client.InNamespace(ns), &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: resourceVersionOf(list)}})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for e := range w.ResultChan() {
				rec.mu.Lock()
				rec.events = append(rec.events, e)
				rec.mu.Unlock()
			}
		}()
		t.Cleanup(w.Stop)
	}
	return rec
}

func cnpListAt(rv string) client.ObjectList {
	l := &unstructured.UnstructuredList{}
	l.SetGroupVersionKind(render.CiliumNetworkPolicyKind.GroupVersion().WithKind("CiliumNetworkPolicyList"))
	l.SetResourceVersion(rv)
	return l
}

func resourceVersionOf(l client.ObjectList) string { return l.GetResourceVersion() }

func parseRV(t *testing.T, rv string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(rv, 10, 64)
	if err != nil {
		t.Fatalf("resourceVersion %q: %v", rv, err)
	}
	return n
}

// observed is the namespace's egress as one moment of the watch saw it.
type observed struct {
	rv          uint64
	cause       string
	policyCIDRs []string
	ciliumNames []string
}

// replay applies the events in the order of their resourceVersion to the listed
// objects, and returns every state, the first one the listed.
func (r *recorder) replay(t *testing.T) []observed {
	t.Helper()
	r.mu.Lock()
	events := slices.Clone(r.events)
	r.mu.Unlock()
	objs := map[string]runtime.Object{}
	name := func(o runtime.Object) string {
		m := o.(metav1.Object)
		return fmt.Sprintf("%T/%s", o, m.GetName())
	}
	for _, o := range r.initial {
		objs[name(o)] = o
	}
	slices.SortStableFunc(events, func(a, b watch.Event) int {
		return compareUint(parseRV(t, a.Object.(metav1.Object).GetResourceVersion()), parseRV(t, b.Object.(metav1.Object).GetResourceVersion()))
	})
	states := []observed{r.state(objs, r.startRV, "the list before the switch")}
	for _, e := range events {
		if e.Type == watch.Error || e.Type == watch.Bookmark {
			t.Fatalf("watch event %s: %v", e.Type, e.Object)
		}
		m := e.Object.(metav1.Object)
		if e.Type == watch.Deleted {
			delete(objs, name(e.Object))
		} else {
			objs[name(e.Object)] = e.Object
		}
		states = append(states, r.state(objs, parseRV(t, m.GetResourceVersion()), fmt.Sprintf("%s %T %s", e.Type, e.Object, m.GetName())))
	}
	return states
}

func compareUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (r *recorder) state(objs map[string]runtime.Object, rv uint64, cause string) observed {
	s := observed{rv: rv, cause: cause}
	for _, o := range objs {
		switch o := o.(type) {
		case *networkingv1.NetworkPolicy:
			if o.Name == r.policy {
				s.policyCIDRs = testenv.PolicyCIDRs(o)
			}
		case *unstructured.Unstructured:
			s.ciliumNames = append(s.ciliumNames, ciliumNames(o)...)
		}
	}
	return s
}
