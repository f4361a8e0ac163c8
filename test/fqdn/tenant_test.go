/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fqdn

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// What a tenant bound only to the shipped role can do with what egress by name
// added: name a wildcard only if the admin allows it, not consent for the
// namespace-wide EgressFirewall, and not write a name backend's object herself.
func TestATenantCannotWidenEgressByName(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, "fqdn-tenant")
	startManager(t, env.Config, startDNS(t), render.BackendCilium, ns)
	st := testenv.InstallShippedTenancy(t, env.Config, k8s)
	mallory := st.Tenant(t, ns, "mallory")

	wildcard := sample(t, ns)
	wildcard.Name = "everything-under"
	wildcard.Spec.Vendors = nil
	wildcard.Spec.Custom = []v1alpha1.CustomEntry{{
		Name: "cdn", Direction: v1alpha1.DirectionEgress,
		Hostnames: []v1alpha1.Hostname{"*.example.com"}, Ports: []v1alpha1.Port{{Port: 443}},
	}}
	err := mallory.Create(ctx, wildcard)
	g.Expect(err).To(HaveOccurred(), "a tenant named a wildcard the admin did not allow")
	g.Expect(err.Error()).To(ContainSubstring("tenant-allow-wildcards"))

	var namespace corev1.Namespace
	g.Expect(k8s.Get(ctx, types.NamespacedName{Name: ns}, &namespace)).To(Succeed())
	patch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"`+v1alpha1.NamespaceEgressBackendsAnnotation+`":"`+v1alpha1.EgressFirewallConsent+`"}}}`))
	g.Expect(apierrors.IsForbidden(mallory.Patch(ctx, &namespace, patch))).To(BeTrue(), "a tenant consented for the namespace-wide EgressFirewall")

	cnp := object(render.CiliumNetworkPolicyKind, types.NamespacedName{Namespace: ns, Name: "own"})
	cnp.Object["spec"] = map[string]any{"endpointSelector": map[string]any{}, "egress": []any{map[string]any{"toFQDNs": []any{map[string]any{"matchPattern": "*"}}}}}
	g.Expect(apierrors.IsForbidden(mallory.Create(ctx, cnp))).To(BeTrue(), "the shipped role lets a tenant write a CiliumNetworkPolicy")
}
