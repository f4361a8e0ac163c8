//go:build bench

/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package bench

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// costStep is one kind of request, sent count times by a client loop as parallel as
// the operator's workers, with the control plane's CPU time while it ran.
type costStep struct {
	Request  string  `json:"request"`
	Count    int     `json:"count"`
	Seconds  float64 `json:"seconds"`
	CPUSecs  float64 `json:"controlPlaneCPUSeconds"`
	CPUMsPer float64 `json:"controlPlaneCPUMsPerRequest"`
}

// breakdown prices each kind of request the operator sends in a cold start, so that
// its cost over the floor can be told apart: what the API server spends on the
// requests themselves, and what is left (the manager's own CPU, queueing, waiting).
type breakdownResult struct {
	Steps []costStep `json:"steps"`
	// Predicted is the control plane CPU the operator's request mix at Ready would
	// cost at these prices; Measured is what its cold start did cost.
	PredictedCPUSecs float64 `json:"predictedColdStartControlPlaneCPUSeconds"`
	MeasuredCPUSecs  float64 `json:"measuredColdStartControlPlaneCPUSeconds"`
}

func (b breakdownResult) step(name string) costStep {
	for _, s := range b.Steps {
		if s.Request == name {
			return s
		}
	}
	return costStep{}
}

// timeStep runs f for every item, workers at a time, and prices it.
func timeStep[T any](ctx context.Context, cpPIDs []int, workers int, name string, items []T, f func(context.Context, T) error) (costStep, error) {
	cp0 := cpuOf(cpPIDs...)
	t0 := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, it := range items {
		g.Go(func() error { return f(gctx, it) })
	}
	if err := g.Wait(); err != nil {
		return costStep{}, fmt.Errorf("%s: %w", name, err)
	}
	s := costStep{Request: name, Count: len(items), Seconds: secs(time.Since(t0)), CPUSecs: secs(cpuOf(cpPIDs...) - cp0)}
	if s.Count > 0 {
		s.CPUMsPer = s.CPUSecs * 1000 / float64(s.Count)
	}
	return s, nil
}

// runBreakdown sends, in fresh namespaces dN-..., the requests of a cold start one
// kind at a time: GET of a policy that does not exist (the operator's look for an
// unmanaged policy in the way), server-side apply creating a policy, POST creating
// it (the floor's way), merge patch of an allowlist's status, and POST of an Event.
func runBreakdown(ctx context.Context, t *testing.T, c client.Client, prefix string, fromPrefix string, allowlists []v1alpha1.VendorAllowlist,
	policies []networkingv1.NetworkPolicy, workers int, cpPIDs []int) (breakdownResult, error) {
	var out breakdownResult
	toNS := func(ns string) string { return prefix + strings.TrimPrefix(ns, fromPrefix) }
	specs := make([]*v1alpha1.VendorAllowlist, len(allowlists))
	for i := range allowlists {
		labels := maps.Clone(allowlists[i].Labels)
		labels[runLabel] = runOf(prefix)
		specs[i] = &v1alpha1.VendorAllowlist{ObjectMeta: metav1.ObjectMeta{Name: allowlists[i].Name, Namespace: toNS(allowlists[i].Namespace), Labels: labels}, Spec: allowlists[i].Spec}
	}
	created, err := createWorkload(ctx, c, prefix, specs, 8)
	if err != nil {
		return out, err
	}
	byKey := map[string]*v1alpha1.VendorAllowlist{}
	for _, a := range created {
		byKey[a.Namespace+"/"+a.Name] = a
	}
	owned := func(np networkingv1.NetworkPolicy) *networkingv1.NetworkPolicy {
		ns := toNS(np.Namespace)
		owner := byKey[ns+"/"+np.Labels[v1alpha1.AllowlistLabel]]
		refs := make([]metav1.OwnerReference, len(np.OwnerReferences))
		for i, r := range np.OwnerReferences {
			r.UID = owner.UID
			refs[i] = r
		}
		return &networkingv1.NetworkPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: metav1.ObjectMeta{Name: np.Name, Namespace: ns, Labels: maps.Clone(np.Labels), OwnerReferences: refs},
			Spec:       *np.Spec.DeepCopy(),
		}
	}
	add := func(s costStep, err error) error {
		if err == nil {
			out.Steps = append(out.Steps, s)
		}
		return err
	}
	// GET 404, as the operator's APIReader does before creating each policy.
	if err := add(timeStep(ctx, cpPIDs, workers, "GET policy (404)", policies, func(ctx context.Context, np networkingv1.NetworkPolicy) error {
		var got networkingv1.NetworkPolicy
		err := c.Get(ctx, client.ObjectKey{Namespace: toNS(np.Namespace), Name: np.Name}, &got)
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("GET %s: %v", np.Name, err)
	})); err != nil {
		return out, err
	}
	// Server-side apply creating the policy, as the operator does.
	if err := add(timeStep(ctx, cpPIDs, workers, "APPLY policy (create)", policies, func(ctx context.Context, np networkingv1.NetworkPolicy) error {
		return c.Patch(ctx, owned(np), client.Apply, client.FieldOwner(v1alpha1.FieldOwner), client.ForceOwnership) //nolint:staticcheck // typed apply

	})); err != nil {
		return out, err
	}
	// Delete them (untimed) to create them again the floor's way.
	for i := range nNamespaces {
		if err := c.DeleteAllOf(ctx, &networkingv1.NetworkPolicy{}, client.InNamespace(nsName(prefix, i))); err != nil {
			return out, err
		}
	}
	// POST creating the policy, as the floor does.
	if err := add(timeStep(ctx, cpPIDs, workers, "POST policy (create)", policies, func(ctx context.Context, np networkingv1.NetworkPolicy) error {
		obj := owned(np)
		obj.TypeMeta = metav1.TypeMeta{}
		return c.Create(ctx, obj, client.FieldOwner("vao-bench-floor"))
	})); err != nil {
		return out, err
	}
	// The status merge patch, as the operator sends it.
	if err := add(timeStep(ctx, cpPIDs, workers, "PATCH allowlist status", allowlists, func(ctx context.Context, a v1alpha1.VendorAllowlist) error {
		obj := byKey[toNS(a.Namespace)+"/"+a.Name]
		before, after := obj.DeepCopy(), obj.DeepCopy()
		after.Status = a.Status
		return c.Status().Patch(ctx, after, client.MergeFrom(before))
	})); err != nil {
		return out, err
	}
	// An Event like the operator's PoliciesApplied.
	if err := add(timeStep(ctx, cpPIDs, workers, "POST event", allowlists, func(ctx context.Context, a v1alpha1.VendorAllowlist) error {
		obj := byKey[toNS(a.Namespace)+"/"+a.Name]
		ev := &eventsv1.Event{
			ObjectMeta:          metav1.ObjectMeta{GenerateName: a.Name + "-", Namespace: obj.Namespace},
			EventTime:           metav1.NewMicroTime(time.Now()),
			ReportingController: "vendor-allowlist-operator",
			ReportingInstance:   "vendor-allowlist-operator-bench",
			Action:              "Apply",
			Reason:              "PoliciesApplied",
			Type:                corev1.EventTypeNormal,
			Regarding:           corev1.ObjectReference{APIVersion: v1alpha1.GroupVersion.String(), Kind: "VendorAllowlist", Namespace: obj.Namespace, Name: obj.Name, UID: obj.UID},
			Note:                fmt.Sprintf("Applied NetworkPolicies [%s-ingress %s-egress]", a.Name, a.Name),
		}
		return c.Create(ctx, ev)
	})); err != nil {
		return out, err
	}
	for i := range nNamespaces {
		ns := nsName(prefix, i)
		for _, obj := range []client.Object{&networkingv1.NetworkPolicy{}, &v1alpha1.VendorAllowlist{}, &eventsv1.Event{}} {
			if err := c.DeleteAllOf(ctx, obj, client.InNamespace(ns)); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// predict prices a cold start's request mix.
func (b *breakdownResult) predict(w apiWrites, policyGETs int) {
	price := func(name string) float64 { return b.step(name).CPUMsPer / 1000 }
	b.PredictedCPUSecs = float64(policyGETs)*price("GET policy (404)") +
		float64(w.ByVerb["networkpolicies APPLY 201"])*price("APPLY policy (create)") +
		float64(w.Status)*price("PATCH allowlist status") +
		float64(w.Events)*price("POST event")
}
