/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package faults

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

const poll = 200 * time.Millisecond

// ports is a list of TCP ports.
func ports(ps ...int32) []v1alpha1.Port {
	out := make([]v1alpha1.Port, 0, len(ps))
	for _, p := range ps {
		out = append(out, v1alpha1.Port{Protocol: v1alpha1.ProtocolTCP, Port: p})
	}
	return out
}

// staticAllowlist opens ThreoBuilder's agents (Ingress, six published addresses) and
// Workato's custom APIM domains (Egress, three): no DNS involved.
func staticAllowlist(ns, name string) *v1alpha1.VendorAllowlist {
	return &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Vendors: []v1alpha1.VendorSelection{
				{Name: "threobuilder", Ports: ports(443)},
				{Name: "workato", Endpoints: []v1alpha1.ObjectName{"apim-custom-domains"}},
			},
		},
	}
}

// hostnameAllowlist opens an Egress custom entry to hostnames (resolved through DNS)
// and, so that there is always something static too, Freshchat's EU webhooks.
func hostnameAllowlist(ns, name string, hosts ...string) *v1alpha1.VendorAllowlist {
	hs := make([]v1alpha1.Hostname, 0, len(hosts))
	for _, h := range hosts {
		hs = append(hs, v1alpha1.Hostname(h))
	}
	return &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Vendors: []v1alpha1.VendorSelection{
				{Name: "freshchat", Regions: []v1alpha1.Region{"EU"}, Ports: ports(8443)},
			},
			Custom: []v1alpha1.CustomEntry{
				{Name: "api", Direction: v1alpha1.DirectionEgress, Hostnames: hs, Ports: ports(443)},
			},
		},
	}
}

// expectedPolicies renders the allowlist the way the operator must, with the built-in
// catalog and the given DNS answers: the specs every test compares the live policies with.
func expectedPolicies(t testing.TB, a *v1alpha1.VendorAllowlist, dns map[string][]string) map[string]networkingv1.NetworkPolicySpec {
	t.Helper()
	out, err := renderExpected(a, dns)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func renderExpected(a *v1alpha1.VendorAllowlist, dns map[string][]string) (map[string]networkingv1.NetworkPolicySpec, error) {
	plan, err := render.Compile(a, catalog.Builtin(), render.Options{Guard: guard.Guard{Allow: testenv.DocumentationRanges}})
	if err != nil {
		return nil, fmt.Errorf("expected policies of %s/%s: %w", a.Namespace, a.Name, err)
	}
	resolved := render.Resolved{}
	for h, addrs := range dns {
		for _, s := range addrs {
			resolved[h] = append(resolved[h], netip.MustParseAddr(s))
		}
	}
	out := map[string]networkingv1.NetworkPolicySpec{}
	for _, np := range plan.Render(resolved) {
		out[np.Name] = np.Spec
	}
	return out, nil
}

// policySpecs lists the NetworkPolicies of an allowlist (by its label) as name -> spec.
func policySpecs(ctx context.Context, c client.Client, ns, allowlist string) (map[string]networkingv1.NetworkPolicySpec, error) {
	var list networkingv1.NetworkPolicyList
	if err := c.List(ctx, &list, client.InNamespace(ns), client.MatchingLabels{v1alpha1.AllowlistLabel: allowlist}); err != nil {
		return nil, err
	}
	out := map[string]networkingv1.NetworkPolicySpec{}
	for _, np := range list.Items {
		out[np.Name] = np.Spec
	}
	return out, nil
}

// condition returns the allowlist's condition of type typ, or nil.
func condition(a *v1alpha1.VendorAllowlist, typ string) *metav1.Condition {
	return meta.FindStatusCondition(a.Status.Conditions, typ)
}

// readyAndCurrent says why an allowlist is not Ready for its current generation, or "".
func readyAndCurrent(a *v1alpha1.VendorAllowlist) string {
	c := condition(a, v1alpha1.ConditionReady)
	switch {
	case c == nil:
		return "no Ready condition"
	case c.ObservedGeneration != a.Generation:
		return fmt.Sprintf("Ready describes generation %d, spec is at %d", c.ObservedGeneration, a.Generation)
	case c.Status != metav1.ConditionTrue:
		return fmt.Sprintf("Ready=%s %s: %s", c.Status, c.Reason, c.Message)
	}
	return ""
}

// waitAll polls until check reports nothing wrong for every allowlist in ns, or
// fails the test after timeout with what was still wrong.
func waitAll(t testing.TB, c client.Client, ns string, timeout time.Duration, what string, check func(*v1alpha1.VendorAllowlist) string) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	var problems []string
	for {
		problems = problems[:0]
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var list v1alpha1.VendorAllowlistList
		err := c.List(ctx, &list, client.InNamespace(ns))
		cancel()
		if err != nil {
			problems = append(problems, "listing allowlists: "+err.Error())
		}
		for i := range list.Items {
			if p := check(&list.Items[i]); p != "" {
				problems = append(problems, list.Items[i].Name+": "+p)
			}
		}
		if err == nil && len(problems) == 0 {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			sort.Strings(problems)
			if len(problems) > 20 {
				problems = append(problems[:20], fmt.Sprintf("... and %d more", len(problems)-20))
			}
			t.Fatalf("%s: not reached within %v:\n  %s", what, timeout, strings.Join(problems, "\n  "))
		}
		time.Sleep(poll)
	}
}

// specDiff compares expected and live policy specs of one allowlist.
func specDiff(want, got map[string]networkingv1.NetworkPolicySpec) string {
	return cmp.Diff(want, got)
}

// ipBlocks lists every ipBlock CIDR of a policy, in both directions.
func ipBlocks(spec *networkingv1.NetworkPolicySpec) []string {
	var out []string
	for _, r := range spec.Ingress {
		for _, p := range r.From {
			if p.IPBlock != nil {
				out = append(out, "from "+p.IPBlock.CIDR)
			}
		}
	}
	for _, r := range spec.Egress {
		for _, p := range r.To {
			if p.IPBlock != nil {
				out = append(out, "to "+p.IPBlock.CIDR)
			}
		}
	}
	slices.Sort(out)
	return out
}

// policyWatch follows every NetworkPolicy in a set of namespaces from a point on and
// records what no fault may ever cause: a managed policy deleted, a rule left with
// no peers (which would allow every address), a policy emptied of its ipBlocks, or an
// address removed from a policy.
type policyWatch struct {
	mu         sync.Mutex
	events     int
	byType     map[watch.EventType]int
	last       map[types.NamespacedName]*networkingv1.NetworkPolicy
	violations []string
	removals   []string
	errs       []string
	relists    int
	cancel     context.CancelFunc
	done       chan struct{}
}

// watchPolicies starts a policy watch in each namespace, from the policies as they
// are now. Stop it with stop.
func watchPolicies(t testing.TB, c client.WithWatch, namespaces ...string) *policyWatch {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &policyWatch{
		byType: map[watch.EventType]int{},
		last:   map[types.NamespacedName]*networkingv1.NetworkPolicy{},
		cancel: cancel,
		done:   make(chan struct{}),
	}
	var wg sync.WaitGroup
	for _, ns := range namespaces {
		var list networkingv1.NetworkPolicyList
		lctx, lcancel := context.WithTimeout(ctx, 30*time.Second)
		err := c.List(lctx, &list, client.InNamespace(ns))
		lcancel()
		if err != nil {
			cancel()
			t.Fatalf("listing NetworkPolicies in %s: %v", ns, err)
		}
		for i := range list.Items {
			np := list.Items[i]
			w.last[client.ObjectKeyFromObject(&np)] = &np
		}
		rv := list.ResourceVersion
		wg.Go(func() { w.follow(ctx, c, ns, rv) })
	}
	go func() {
		wg.Wait()
		close(w.done)
	}()
	return w
}

// follow watches one namespace from rv, watching again from the last version seen
// whenever the server ends the watch. When that version is too old (after an API
// server restart the watch cache starts afresh), it lists the namespace and compares
// with what it saw last: such a gap can hide a state that came and went within it,
// and is reported in errs.
func (w *policyWatch) follow(ctx context.Context, c client.WithWatch, ns, rv string) {
	for ctx.Err() == nil {
		var list networkingv1.NetworkPolicyList
		wi, err := c.Watch(ctx, &list, client.InNamespace(ns), &client.ListOptions{Raw: &metav1.ListOptions{
			ResourceVersion: rv, AllowWatchBookmarks: true,
		}})
		if err != nil {
			if ctx.Err() == nil {
				w.noteErr(fmt.Sprintf("watch %s: %v", ns, err))
				sleepCtx(ctx, 500*time.Millisecond)
			}
			continue
		}
		for ev := range wi.ResultChan() {
			if ev.Type == watch.Error {
				if ctx.Err() != nil {
					break // stopped
				}
				err := apierrors.FromObject(ev.Object)
				w.noteErr(fmt.Sprintf("watch %s: error event %v", ns, err))
				if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
					if newRV, ok := w.relist(ctx, c, ns); ok {
						rv = newRV
					}
				} else {
					sleepCtx(ctx, 200*time.Millisecond)
				}
				break
			}
			np, ok := ev.Object.(*networkingv1.NetworkPolicy)
			if !ok {
				continue
			}
			rv = np.ResourceVersion
			if ev.Type == watch.Bookmark {
				continue
			}
			w.observe(ev.Type, np)
		}
		wi.Stop()
	}
}

// relist lists the namespace and turns the differences with what was seen last into
// events.
func (w *policyWatch) relist(ctx context.Context, c client.Client, ns string) (string, bool) {
	var list networkingv1.NetworkPolicyList
	if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		w.noteErr(fmt.Sprintf("relisting %s: %v", ns, err))
		sleepCtx(ctx, 500*time.Millisecond)
		return "", false
	}
	w.noteErr(fmt.Sprintf("relisted %s at resourceVersion %s: events in between are not seen", ns, list.ResourceVersion))
	w.mu.Lock()
	w.relists++
	seen := map[types.NamespacedName]string{}
	for k, np := range w.last {
		if k.Namespace == ns {
			seen[k] = np.ResourceVersion
		}
	}
	w.mu.Unlock()
	for i := range list.Items {
		np := &list.Items[i]
		key := client.ObjectKeyFromObject(np)
		prev, ok := seen[key]
		delete(seen, key)
		switch {
		case !ok:
			w.observe(watch.Added, np)
		case prev != np.ResourceVersion:
			w.observe(watch.Modified, np)
		}
	}
	for key := range seen {
		np := &networkingv1.NetworkPolicy{}
		np.Namespace, np.Name = key.Namespace, key.Name
		w.observe(watch.Deleted, np)
	}
	return list.ResourceVersion, true
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func (w *policyWatch) noteErr(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.errs = append(w.errs, time.Now().Format("15:04:05.000")+" "+s)
}

func (w *policyWatch) observe(typ watch.EventType, np *networkingv1.NetworkPolicy) {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := client.ObjectKeyFromObject(np)
	at := time.Now().Format("15:04:05.000")
	w.events++
	w.byType[typ]++
	prev := w.last[key]
	if typ == watch.Deleted {
		w.violations = append(w.violations, fmt.Sprintf("%s %s DELETED (resourceVersion %s)", at, key, np.ResourceVersion))
		delete(w.last, key)
		return
	}
	for i, r := range np.Spec.Ingress {
		if len(r.From) == 0 {
			w.violations = append(w.violations, fmt.Sprintf("%s %s %s: ingress rule %d has no peers (allows every source)", at, key, typ, i))
		}
	}
	for i, r := range np.Spec.Egress {
		if len(r.To) == 0 {
			w.violations = append(w.violations, fmt.Sprintf("%s %s %s: egress rule %d has no peers (allows every destination)", at, key, typ, i))
		}
	}
	if prev != nil {
		before, after := ipBlocks(&prev.Spec), ipBlocks(&np.Spec)
		if len(before) > 0 && len(after) == 0 {
			w.violations = append(w.violations, fmt.Sprintf("%s %s %s: emptied, had %d ipBlocks", at, key, typ, len(before)))
		}
		if len(prev.Spec.Ingress)+len(prev.Spec.Egress) > 0 && len(np.Spec.Ingress)+len(np.Spec.Egress) == 0 {
			w.violations = append(w.violations, fmt.Sprintf("%s %s %s: every rule removed", at, key, typ))
		}
		for _, b := range before {
			if !slices.Contains(after, b) {
				w.removals = append(w.removals, fmt.Sprintf("%s %s %s: %s removed", at, key, typ, b))
			}
		}
	}
	w.last[key] = np.DeepCopy()
}

// stop ends the watch and waits for its goroutines.
func (w *policyWatch) stop() {
	w.cancel()
	<-w.done
}

// watchReport is what a policy watch saw.
type watchReport struct {
	Events     int
	ByType     map[watch.EventType]int
	Violations []string // deleted, emptied, or a rule without peers
	Removals   []string // an address gone from a policy
	Errs       []string
	Relists    int // gaps in the watch, bridged by listing
}

func (w *policyWatch) report() watchReport {
	w.mu.Lock()
	defer w.mu.Unlock()
	return watchReport{
		Events: w.events, ByType: maps.Clone(w.byType), Violations: slices.Clone(w.violations),
		Removals: slices.Clone(w.removals), Errs: slices.Clone(w.errs), Relists: w.relists,
	}
}

// check stops the watch and fails the test for every violation and, unless
// removalsAllowed, every address removed. gapsAllowed says whether the watch may have
// had to list to bridge a gap (only where the API server itself went away).
func (w *policyWatch) check(t testing.TB, removalsAllowed, gapsAllowed bool) watchReport {
	t.Helper()
	w.stop()
	r := w.report()
	for _, v := range r.Violations {
		t.Errorf("policy watch: %s", v)
	}
	if !removalsAllowed {
		for _, v := range r.Removals {
			t.Errorf("policy watch: %s", v)
		}
	}
	if r.Relists > 0 && !gapsAllowed {
		t.Errorf("policy watch: %d gaps bridged by listing; the watch did not see every state:\n  %s", r.Relists, strings.Join(r.Errs, "\n  "))
	} else if len(r.Errs) > 0 {
		t.Logf("policy watch: %d errors, %d gaps bridged by listing; the first: %s", len(r.Errs), r.Relists, r.Errs[0])
	}
	return r
}

// policyVersions maps each NetworkPolicy in ns to its resourceVersion.
func policyVersions(ctx context.Context, c client.Client, ns string) (map[string]string, error) {
	var list networkingv1.NetworkPolicyList
	if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, np := range list.Items {
		out[np.Name] = np.ResourceVersion
	}
	return out, nil
}
