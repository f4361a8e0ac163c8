/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package security

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// An admin reviewed what `kubectl vendorallowlist render` prints for an allowlist
// "payments" that isolates the database (app=db) and applied it by hand: the
// operator's labels, no owner. A tenant, bound only to the shipped edit role, then
// writes an allowlist of that name selecting its own pods. The operator must not
// take the admin's policy over: it keeps app=db and no owner, and the allowlist says
// PolicyConflict with the command that hands it over. The tenant cannot run that
// command; once the admin does, the policy is the allowlist's.
func TestTenantCannotTakeOverAnAdminsPolicy(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	srv := testdns.Start(t)
	ns := newNamespace(t, "takeover")
	st := testenv.InstallShippedTenancy(t, env.Config, k8s)
	mallory := st.Tenant(t, ns, "mallory")
	startManager(t, srv, []string{ns})

	// What the admin rendered and applied (render is what the plugin runs).
	inbound := []v1alpha1.VendorSelection{{Name: "workato", Endpoints: []v1alpha1.ObjectName{"inbound"}, Ports: ports(5432)}}
	reviewed := &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "payments"},
		Spec:       v1alpha1.VendorAllowlistSpec{PodSelector: selector("db"), Vendors: inbound},
	}
	plan, err := render.Compile(reviewed, catalog.Builtin(), render.Options{})
	g.Expect(err).NotTo(HaveOccurred())
	rendered := plan.Build(render.Resolved{}).Policies
	g.Expect(rendered).To(HaveLen(1))
	adminsPolicy := rendered[0].DeepCopy()
	g.Expect(adminsPolicy.Name).To(Equal("payments-ingress"))
	g.Expect(adminsPolicy.Labels).To(HaveKeyWithValue(v1alpha1.AllowlistLabel, "payments"))
	g.Expect(k8s.Create(ctx, adminsPolicy)).To(Succeed())
	key := types.NamespacedName{Namespace: ns, Name: "payments-ingress"}
	applied := policy(g, ns, key.Name)

	// The tenant's allowlist of the same name, for its own pods.
	hostile := &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "payments"},
		Spec:       v1alpha1.VendorAllowlistSpec{PodSelector: selector("mallory-app"), Vendors: inbound},
	}
	g.Expect(mallory.Create(ctx, hostile)).To(Succeed())
	c := waitCondition(t, client.ObjectKeyFromObject(hostile), metav1.ConditionFalse, v1alpha1.ReasonPolicyConflict, timeout)
	g.Expect(c.Message).To(ContainSubstring("NetworkPolicy payments-ingress exists with the operator's labels but was not created by the operator for this VendorAllowlist"))
	g.Expect(c.Message).To(ContainSubstring("kubectl annotate networkpolicy payments-ingress -n " + ns + " " + v1alpha1.AdoptAnnotation + "=payments"))
	untouched := func(g Gomega) {
		np := policy(g, ns, key.Name)
		g.Expect(np.Spec.PodSelector.MatchLabels).To(Equal(map[string]string{"app": "db"}), "the database is no longer isolated")
		g.Expect(np.OwnerReferences).To(BeEmpty(), "the admin's policy got an owner")
		g.Expect(np.ResourceVersion).To(Equal(applied.ResourceVersion), "the admin's policy was written")
	}
	untouched(g)
	g.Consistently(untouched, 2*time.Second, poll).Should(Succeed())

	// The hand-over is the consent of whoever may write the policy: not the tenant.
	var np networkingv1.NetworkPolicy
	g.Expect(k8s.Get(ctx, key, &np)).To(Succeed())
	err = mallory.Patch(ctx, &np, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"`+v1alpha1.AdoptAnnotation+`":"payments"}}}`)))
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "the tenant could annotate the admin's policy: %v", err)
	g.Consistently(untouched, time.Second, poll).Should(Succeed())

	// The admin hands it over, as the condition says: the allowlist adopts it.
	g.Expect(k8s.Patch(ctx, &np, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"`+v1alpha1.AdoptAnnotation+`":"payments"}}}`)))).To(Succeed())
	waitCondition(t, client.ObjectKeyFromObject(hostile), metav1.ConditionTrue, v1alpha1.ReasonReconciled, timeout)
	g.Eventually(func(g Gomega) {
		var a v1alpha1.VendorAllowlist
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(hostile), &a)).To(Succeed())
		np := policy(g, ns, key.Name)
		g.Expect(metav1.IsControlledBy(np, &a)).To(BeTrue(), "not adopted: owners %v", np.OwnerReferences)
		g.Expect(np.Spec.PodSelector.MatchLabels).To(Equal(map[string]string{"app": "mallory-app"}))
	}, timeout, poll).Should(Succeed())
}
