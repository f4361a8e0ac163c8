/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package targets

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// TestTargetObjectIsAdoptedOnlyWhenHandedOver: a Traefik Middleware someone applied
// from the plugin's output (the operator's labels, no owner) is not taken over by an
// allowlist of that name: the target reports the conflict with the command that
// hands it over, and the Middleware stays as it was. Annotated by whoever controls
// it, it is adopted: rewritten as the allowlist renders it, and owned.
func TestTargetObjectIsAdoptedOnlyWhenHandedOver(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, "target-takeover")
	startManager(t, ns)
	al := partnerAllowlist(ns, "partner", v1alpha1.IngressTarget{Traefik: &v1alpha1.TraefikTarget{}})

	// What the plugin renders offline: the static network, not the hostname's answer.
	plan, err := render.Compile(al, catalog.Builtin(), render.Options{})
	g.Expect(err).NotTo(HaveOccurred())
	result := plan.Build(render.Resolved{})
	g.Expect(result.Targets).To(HaveLen(1))
	g.Expect(result.Targets[0].Objects).To(HaveLen(1))
	applied := result.Targets[0].Objects[0].Object.DeepCopy()
	g.Expect(applied.GetName()).To(Equal("partner-ingress"))
	g.Expect(applied.GetLabels()).To(HaveKeyWithValue(v1alpha1.AllowlistLabel, "partner"))
	g.Expect(k8s.Create(ctx, applied)).To(Succeed())

	g.Expect(k8s.Create(ctx, al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)
	waitReady(t, key, metav1.ConditionFalse, v1alpha1.ReasonIngressTargetFailed)
	st := targetStatus(g, key, "Middleware", "partner-ingress")
	g.Expect(st.Reason).To(Equal(v1alpha1.TargetReasonConflict))
	g.Expect(st.Message).To(ContainSubstring("kubectl annotate middleware.traefik.io partner-ingress -n " + ns + " " + v1alpha1.AdoptAnnotation + "=partner"))
	untouched := func(g Gomega) {
		mw := getUnstructured(g, render.TargetTraefik, ns, "partner-ingress")
		g.Expect(mw.GetResourceVersion()).To(Equal(applied.GetResourceVersion()), "the Middleware was written")
		g.Expect(mw.GetOwnerReferences()).To(BeEmpty())
	}
	g.Consistently(untouched, 2*time.Second, poll).Should(Succeed())

	// Handed over: adopted, with what the allowlist renders (the hostname's answer too).
	mw := getUnstructured(g, render.TargetTraefik, ns, "partner-ingress")
	patch := []byte(`{"metadata":{"annotations":{"` + v1alpha1.AdoptAnnotation + `":"partner"}}}`)
	g.Expect(k8s.Patch(ctx, mw, client.RawPatch(types.MergePatchType, patch))).To(Succeed())
	a := waitReady(t, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	g.Eventually(func(g Gomega) {
		mw := getUnstructured(g, render.TargetTraefik, ns, "partner-ingress")
		g.Expect(metav1.IsControlledBy(mw, a)).To(BeTrue(), "not adopted: owners %v", mw.GetOwnerReferences())
		ranges, _, _ := unstructured.NestedStringSlice(mw.Object, "spec", "ipAllowList", "sourceRange")
		g.Expect(sorted(ranges)).To(Equal(ingressCIDRs(g, ns, "partner")))
	}, timeout, poll).Should(Succeed())
}
