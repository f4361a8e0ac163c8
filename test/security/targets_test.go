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
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/manager"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
)

func withIngressTargets(o *manager.Options) { o.IngressTargets = render.TargetKinds }

// loadBalancer creates a LoadBalancer Service, as its owner (not the tenant) would.
func loadBalancer(t *testing.T, ns, name string, ranges ...string) {
	t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{
			Type:                     corev1.ServiceTypeLoadBalancer,
			ExternalTrafficPolicy:    corev1.ServiceExternalTrafficPolicyLocal,
			Selector:                 map[string]string{"app": name},
			Ports:                    []corev1.ServicePort{{Protocol: corev1.ProtocolTCP, Port: 443, TargetPort: intstr.FromInt32(8443)}},
			LoadBalancerSourceRanges: ranges,
		},
	}
	if err := k8s.Create(context.Background(), svc, client.FieldOwner("platform-team")); err != nil {
		t.Fatal(err)
	}
}

// untouched fails unless the Service is as its owner left it: its ranges, and no
// field manager but the owner's.
func untouched(g Gomega, ns, name string, ranges []string) {
	var svc corev1.Service
	g.Expect(k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &svc)).To(Succeed())
	g.Expect(svc.Spec.LoadBalancerSourceRanges).To(Equal(ranges), "Service %s/%s", ns, name)
	for _, e := range svc.ManagedFields {
		g.Expect(e.Manager).To(Equal("platform-team"), "Service %s/%s has a field manager besides its owner: %+v", ns, name, e)
	}
}

// TestTenantTargetsStayInTheirNamespace: a tenant (rights on VendorAllowlists and
// their status in one namespace, none on Services) cannot make the operator touch a
// Service in another namespace, nor one of its own namespace that its allowlist does
// not name:
//   - a target naming another namespace is refused at admission by the schema (no
//     such field; a namespace written into the name breaks the name's rule), and with
//     the field dropped (a client that does not ask for strict validation) it names
//     the tenant's own namespace, where no such Service exists: reported, and nothing
//     is created;
//   - a status the tenant forges, listing another Service of its namespace as one the
//     allowlist wrote, makes the operator release nothing of it.
func TestTenantTargetsStayInTheirNamespace(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, "tenant-targets")
	victimNS := newNamespace(t, "victim-targets")
	srv := testdns.Start(t)
	startManager(t, srv, []string{ns, victimNS}, withIngressTargets)
	loadBalancer(t, victimNS, "web")
	loadBalancer(t, ns, "db", "203.0.113.0/24")
	mallory := tenant(t, ns, "mallory")

	base := func(name string, target map[string]any) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": v1alpha1.GroupVersion.String(), "kind": "VendorAllowlist",
			"metadata": map[string]any{"namespace": ns, "name": name},
			"spec": map[string]any{
				"podSelector":    map[string]any{"matchLabels": map[string]any{"app": "web"}},
				"vendors":        []any{map[string]any{"name": "workato", "endpoints": []any{"inbound"}, "ports": []any{map[string]any{"port": int64(443)}}}},
				"ingressTargets": []any{target},
			},
		}}
		return u
	}

	// A namespace field: no such field, refused when the client asks for strict checks.
	err := mallory.Create(ctx, base("cross-ns", map[string]any{"service": map[string]any{"name": "web", "namespace": victimNS}}), client.FieldValidation("Strict"))
	g.Expect(err).To(HaveOccurred())
	g.Expect(err.Error()).To(ContainSubstring(`unknown field "spec.ingressTargets[0].service.namespace"`))
	// A namespace in the name: refused by the name's rule, which says why.
	for _, name := range []string{victimNS + "/web", "../" + victimNS + "/web"} {
		err := mallory.Create(ctx, base("slash", map[string]any{"service": map[string]any{"name": name}}))
		g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%q: %v", name, err)
		g.Expect(err.Error()).To(ContainSubstring("a target cannot name another namespace"))
	}
	for _, target := range []map[string]any{
		{"envoyGateway": map[string]any{"targetRef": map[string]any{"kind": "Gateway", "name": victimNS + "/public"}}},
		{"ingressNginx": map[string]any{"ingressName": "web.", "namespace": victimNS}},
	} {
		g.Expect(apierrors.IsInvalid(mallory.Create(ctx, base("bad-ref", target)))).To(BeTrue(), "%v", target)
	}

	// Without strict checks the API server drops the field: the target names web in
	// the tenant's own namespace, which does not exist.
	g.Expect(mallory.Create(ctx, base("cross-ns", map[string]any{"service": map[string]any{"name": "web", "namespace": victimNS}}), client.FieldValidation("Ignore"))).To(Succeed())
	key := types.NamespacedName{Namespace: ns, Name: "cross-ns"}
	cond := waitCondition(t, key, metav1.ConditionFalse, v1alpha1.ReasonIngressTargetPending, timeout)
	g.Expect(cond.Message).To(ContainSubstring("Service web does not exist in namespace " + ns))
	err = k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "web"}, &corev1.Service{})
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the operator created a Service in the tenant's namespace: %v", err)

	// A forged status: the allowlist claims it wrote Service db; db keeps its ranges.
	g.Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var a v1alpha1.VendorAllowlist
		if err := mallory.Get(ctx, key, &a); err != nil {
			return err
		}
		a.Status.IngressTargets = append(a.Status.IngressTargets, v1alpha1.IngressTargetStatus{
			Kind: "Service", Name: "db", State: v1alpha1.IngressTargetApplied, Reason: v1alpha1.TargetReasonApplied})
		return mallory.Status().Update(ctx, &a)
	})).To(Succeed())
	// And the spec changed, so that the operator reconciles with the forged status.
	g.Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var a v1alpha1.VendorAllowlist
		if err := mallory.Get(ctx, key, &a); err != nil {
			return err
		}
		a.Spec.IngressTargets = nil
		return mallory.Update(ctx, &a)
	})).To(Succeed())
	waitCondition(t, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled, timeout)

	g.Consistently(func(g Gomega) {
		untouched(g, victimNS, "web", nil)
		untouched(g, ns, "db", []string{"203.0.113.0/24"})
	}, 2*time.Second, poll).Should(Succeed())
}
