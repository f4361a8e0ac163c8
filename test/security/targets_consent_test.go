/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package security

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/thirdpartycrds"
)

// The attacks of the ingress targets issue, by a tenant bound only to the shipped
// vendorallowlist-edit role under the shipped admission policy, against the real
// manager with every kind of target enabled: the tenant names, in its allowlist, a
// Service, an Ingress or a gateway it cannot edit, and the operator would write into
// it or attach to it on the tenant's behalf.

const (
	platformTeam    = "platform-team"
	cloudRanges     = "service.beta.kubernetes.io/load-balancer-source-ranges"
	nginxAllowlist  = "nginx.ingress.kubernetes.io/allowlist-source-range"
	ownerRestricted = "10.0.0.0/8"
)

var installTargetCRDs = sync.OnceValue(func() error {
	crds, err := thirdpartycrds.Load(thirdpartycrds.Traefik, thirdpartycrds.Istio, thirdpartycrds.EnvoyGateway, thirdpartycrds.GatewayAPI)
	if err != nil {
		return err
	}
	_, err = envtest.InstallCRDs(env.Config, envtest.CRDInstallOptions{CRDs: crds})
	return err
})

// withTargetCRDs installs the CRDs of Traefik, Istio, Envoy Gateway and Gateway API
// (before the manager starts, which watches only the kinds served then).
func withTargetCRDs(t *testing.T) {
	t.Helper()
	if err := installTargetCRDs(); err != nil {
		t.Fatalf("installing the CRDs of the ingress targets: %v", err)
	}
}

// tenantAllowlist opens Workato's inbound addresses (from the built-in catalog) to
// app=web, with one ingress target.
func tenantAllowlist(ns, name string, target v1alpha1.IngressTarget) *v1alpha1.VendorAllowlist {
	return &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector:    metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Vendors:        []v1alpha1.VendorSelection{{Name: "workato", Endpoints: []v1alpha1.ObjectName{"inbound"}, Ports: []v1alpha1.Port{{Protocol: v1alpha1.ProtocolTCP, Port: 443}}}},
			IngressTargets: []v1alpha1.IngressTarget{target},
		},
	}
}

// ownerService creates a LoadBalancer Service as its owner, not the tenant, would,
// with the annotations and source ranges given.
func ownerService(t *testing.T, ns, name string, annotations map[string]string, ranges ...string) {
	t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: annotations},
		Spec: corev1.ServiceSpec{
			Type:                     corev1.ServiceTypeLoadBalancer,
			ExternalTrafficPolicy:    corev1.ServiceExternalTrafficPolicyLocal,
			Selector:                 map[string]string{"app": name},
			Ports:                    []corev1.ServicePort{{Protocol: corev1.ProtocolTCP, Port: 443, TargetPort: intstr.FromInt32(8443)}},
			LoadBalancerSourceRanges: ranges,
		},
	}
	if err := k8s.Create(context.Background(), svc, client.FieldOwner(platformTeam)); err != nil {
		t.Fatal(err)
	}
}

// ownerIngress creates an Ingress served by ingress-nginx, as its owner would.
func ownerIngress(t *testing.T, ns, name string, annotations map[string]string) {
	t.Helper()
	class := "nginx"
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: annotations},
		Spec: networkingv1.IngressSpec{
			IngressClassName: &class,
			DefaultBackend: &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
				Name: "web", Port: networkingv1.ServiceBackendPort{Number: 443}}},
		},
	}
	if err := k8s.Create(context.Background(), ing, client.FieldOwner(platformTeam)); err != nil {
		t.Fatal(err)
	}
}

// annotateAs sets an annotation of an object as manager, as its owner would.
func annotateAs(t *testing.T, obj client.Object, key, value string) {
	t.Helper()
	ctx := context.Background()
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		a := obj.GetAnnotations()
		if a == nil {
			a = map[string]string{}
		}
		a[key] = value
		obj.SetAnnotations(a)
		return k8s.Update(ctx, obj, client.FieldOwner(platformTeam))
	}); err != nil {
		t.Fatal(err)
	}
}

// onlyOwner fails unless every field manager of the object is its owner's.
func onlyOwner(g Gomega, o client.Object) {
	for _, e := range o.GetManagedFields() {
		g.Expect(e.Manager).To(Equal(platformTeam), "%T %s/%s has a field manager besides its owner: %s", o, o.GetNamespace(), o.GetName(), e.Manager)
	}
}

// targetState waits until the allowlist's status has the object kind/name in state
// with reason, and returns that status.
func targetState(t *testing.T, key types.NamespacedName, kind, name string, state v1alpha1.IngressTargetState, reason string) v1alpha1.IngressTargetStatus {
	t.Helper()
	var got v1alpha1.IngressTargetStatus
	NewWithT(t).Eventually(func(g Gomega) {
		a := getAllowlist(g, key)
		g.Expect(a.Status.ObservedGeneration).To(Equal(a.Generation))
		found := false
		for _, st := range a.Status.IngressTargets {
			if st.Kind == kind && st.Name == name {
				got, found = st, true
			}
		}
		g.Expect(found).To(BeTrue(), "no status of %s %s: %+v", kind, name, a.Status.IngressTargets)
		g.Expect(got.State).To(Equal(state), "%s %s: %s %s", kind, name, got.Reason, got.Message)
		g.Expect(got.Reason).To(Equal(reason), "%s %s: %s", kind, name, got.Message)
	}, timeout, poll).Should(Succeed())
	return got
}

func getService(g Gomega, ns, name string) *corev1.Service {
	var svc corev1.Service
	g.Expect(k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &svc)).To(Succeed())
	return &svc
}

func getIngress(g Gomega, ns, name string) *networkingv1.Ingress {
	var ing networkingv1.Ingress
	g.Expect(k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &ing)).To(Succeed())
	return &ing
}

// TestTenantCannotWidenARestrictedLoadBalancer: a Service whose owner restricted its
// sources, with the cloud's annotation (which cloud providers ignore once
// spec.loadBalancerSourceRanges is set) or with the spec field itself, is never
// written, even when its owner consents to allowlists in general: Restricted. And
// when the owner restricts a Service after the allowlist wrote it, the allowlist's
// ranges are released, so that the owner's restriction holds again.
func TestTenantCannotWidenARestrictedLoadBalancer(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, "widen-lb")
	srv := testdns.Start(t)
	startManager(t, srv, []string{ns}, withIngressTargets)
	st := testenv.InstallShippedTenancy(t, env.Config, k8s)
	mallory := st.Tenant(t, ns, "mallory")

	consent := map[string]string{v1alpha1.AllowAllowlistsAnnotation: "*"}
	ownerService(t, ns, "annotated", map[string]string{cloudRanges: ownerRestricted, v1alpha1.AllowAllowlistsAnnotation: "*"})
	ownerService(t, ns, "ranged", consent, ownerRestricted)
	ownerService(t, ns, "open", consent)
	for _, svc := range []string{"annotated", "ranged", "open"} {
		g.Expect(mallory.Create(ctx, tenantAllowlist(ns, "to-"+svc, v1alpha1.IngressTarget{Service: &v1alpha1.ServiceTarget{Name: v1alpha1.ServiceName(svc)}}))).To(Succeed())
	}

	annotated := targetState(t, types.NamespacedName{Namespace: ns, Name: "to-annotated"}, "Service", "annotated", v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonRestricted)
	g.Expect(annotated.Message).To(ContainSubstring(cloudRanges))
	ranged := targetState(t, types.NamespacedName{Namespace: ns, Name: "to-ranged"}, "Service", "ranged", v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonRestricted)
	g.Expect(ranged.Message).To(ContainSubstring("field manager " + platformTeam))
	cond := waitCondition(t, types.NamespacedName{Namespace: ns, Name: "to-annotated"}, metav1.ConditionFalse, v1alpha1.ReasonIngressTargetFailed, timeout)
	g.Expect(cond.Message).To(ContainSubstring("never writes over a restriction"))
	// The one its owner left open, and consented to, is written.
	targetState(t, types.NamespacedName{Namespace: ns, Name: "to-open"}, "Service", "open", v1alpha1.IngressTargetApplied, v1alpha1.TargetReasonApplied)
	g.Expect(getService(g, ns, "open").Spec.LoadBalancerSourceRanges).NotTo(BeEmpty())

	g.Consistently(func(g Gomega) {
		svc := getService(g, ns, "annotated")
		g.Expect(svc.Spec.LoadBalancerSourceRanges).To(BeEmpty(), "the operator set the ranges of a Service restricted by %s", cloudRanges)
		onlyOwner(g, svc)
		svc = getService(g, ns, "ranged")
		g.Expect(svc.Spec.LoadBalancerSourceRanges).To(Equal([]string{ownerRestricted}))
		onlyOwner(g, svc)
	}, 2*time.Second, poll).Should(Succeed())

	// The owner restricts "open" afterwards: the allowlist's ranges, which the cloud
	// would take over the annotation, are released.
	annotateAs(t, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "open"}}, cloudRanges, ownerRestricted)
	targetState(t, types.NamespacedName{Namespace: ns, Name: "to-open"}, "Service", "open", v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonRestricted)
	g.Eventually(func(g Gomega) {
		svc := getService(g, ns, "open")
		g.Expect(svc.Spec.LoadBalancerSourceRanges).To(BeEmpty())
		onlyOwner(g, svc)
	}, timeout, poll).Should(Succeed())
}

// TestTenantCannotOverrideIngressNginx: the annotation the operator writes on an
// Ingress overrides ingress-nginx's global whitelist-source-range, so it is written
// only with the consent of the Ingress's owner (ConsentMissing otherwise, with the
// command that gives it); an Ingress restricted by its owner with
// allowlist-source-range (which ingress-nginx reads instead of whitelist-source-range:
// the operator's would not hold, and Applied would be a lie) or whitelist-source-range
// is never written: Restricted.
func TestTenantCannotOverrideIngressNginx(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, "override-nginx")
	srv := testdns.Start(t)
	startManager(t, srv, []string{ns}, withIngressTargets)
	st := testenv.InstallShippedTenancy(t, env.Config, k8s)
	mallory := st.Tenant(t, ns, "mallory")

	ownerIngress(t, ns, "plain", nil)
	ownerIngress(t, ns, "allowlisted", map[string]string{nginxAllowlist: ownerRestricted, v1alpha1.AllowAllowlistsAnnotation: "*"})
	ownerIngress(t, ns, "whitelisted", map[string]string{render.NginxAllowlistAnnotation: ownerRestricted, v1alpha1.AllowAllowlistsAnnotation: "*"})
	for _, ing := range []string{"plain", "allowlisted", "whitelisted"} {
		g.Expect(mallory.Create(ctx, tenantAllowlist(ns, "to-"+ing, v1alpha1.IngressTarget{IngressNginx: &v1alpha1.IngressNginxTarget{IngressName: v1alpha1.ResourceName(ing)}}))).To(Succeed())
	}

	plain := targetState(t, types.NamespacedName{Namespace: ns, Name: "to-plain"}, "Ingress", "plain", v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonConsentMissing)
	g.Expect(plain.Message).To(ContainSubstring(fmt.Sprintf("kubectl annotate -n %s ingress/plain %s=to-plain", ns, v1alpha1.AllowAllowlistsAnnotation)))
	g.Expect(plain.Message).To(ContainSubstring(fmt.Sprintf("kubectl annotate namespace %s %s=ingress-nginx", ns, v1alpha1.NamespaceIngressTargetsAnnotation)))
	waitCondition(t, types.NamespacedName{Namespace: ns, Name: "to-plain"}, metav1.ConditionFalse, v1alpha1.ReasonIngressTargetFailed, timeout)
	allowlisted := targetState(t, types.NamespacedName{Namespace: ns, Name: "to-allowlisted"}, "Ingress", "allowlisted", v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonRestricted)
	g.Expect(allowlisted.Message).To(ContainSubstring("ingress-nginx reads instead of " + render.NginxAllowlistAnnotation))
	targetState(t, types.NamespacedName{Namespace: ns, Name: "to-whitelisted"}, "Ingress", "whitelisted", v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonRestricted)

	g.Consistently(func(g Gomega) {
		for _, name := range []string{"plain", "allowlisted", "whitelisted"} {
			ing := getIngress(g, ns, name)
			onlyOwner(g, ing)
		}
		g.Expect(getIngress(g, ns, "plain").Annotations).NotTo(HaveKey(render.NginxAllowlistAnnotation))
		g.Expect(getIngress(g, ns, "allowlisted").Annotations).NotTo(HaveKey(render.NginxAllowlistAnnotation))
		g.Expect(getIngress(g, ns, "whitelisted").Annotations).To(HaveKeyWithValue(render.NginxAllowlistAnnotation, ownerRestricted))
	}, 2*time.Second, poll).Should(Succeed())

	// Its owner consents, naming the allowlist: written.
	annotateAs(t, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "plain"}}, v1alpha1.AllowAllowlistsAnnotation, "to-plain")
	applied := targetState(t, types.NamespacedName{Namespace: ns, Name: "to-plain"}, "Ingress", "plain", v1alpha1.IngressTargetApplied, v1alpha1.TargetReasonApplied)
	g.Expect(strings.Split(getIngress(g, ns, "plain").Annotations[render.NginxAllowlistAnnotation], ",")).To(HaveLen(int(applied.Addresses)))
}

// TestTenantCannotNarrowOthersLoadBalancer: narrowing a Service the tenant cannot edit
// denies service to everyone else it serves, so it too needs its owner's consent; the
// cluster admin can give it for a whole namespace on the Namespace, which tenants
// cannot edit.
func TestTenantCannotNarrowOthersLoadBalancer(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, "narrow-lb")
	allowedNS := newNamespace(t, "narrow-lb-allowed")
	// The admin allows Service targets in allowedNS, without each owner's consent.
	annotateAs(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: allowedNS}}, v1alpha1.NamespaceIngressTargetsAnnotation, "istio, service")
	srv := testdns.Start(t)
	startManager(t, srv, []string{ns, allowedNS}, withIngressTargets)
	st := testenv.InstallShippedTenancy(t, env.Config, k8s)
	mallory := st.Tenant(t, ns, "mallory")
	trent := st.Tenant(t, allowedNS, "trent")

	ownerService(t, ns, "shop", nil)
	ownerService(t, allowedNS, "shop", nil)
	g.Expect(mallory.Create(ctx, tenantAllowlist(ns, "narrow", v1alpha1.IngressTarget{Service: &v1alpha1.ServiceTarget{Name: "shop"}}))).To(Succeed())
	g.Expect(trent.Create(ctx, tenantAllowlist(allowedNS, "narrow", v1alpha1.IngressTarget{Service: &v1alpha1.ServiceTarget{Name: "shop"}}))).To(Succeed())

	missing := targetState(t, types.NamespacedName{Namespace: ns, Name: "narrow"}, "Service", "shop", v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonConsentMissing)
	g.Expect(missing.Message).To(ContainSubstring(fmt.Sprintf("kubectl annotate -n %s service/shop %s=narrow", ns, v1alpha1.AllowAllowlistsAnnotation)))
	targetState(t, types.NamespacedName{Namespace: allowedNS, Name: "narrow"}, "Service", "shop", v1alpha1.IngressTargetApplied, v1alpha1.TargetReasonApplied)
	g.Expect(getService(g, allowedNS, "shop").Spec.LoadBalancerSourceRanges).NotTo(BeEmpty())

	g.Consistently(func(g Gomega) {
		svc := getService(g, ns, "shop")
		g.Expect(svc.Spec.LoadBalancerSourceRanges).To(BeEmpty())
		onlyOwner(g, svc)
	}, 2*time.Second, poll).Should(Succeed())

	// Consent that names another allowlist is no consent.
	annotateAs(t, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shop"}}, v1alpha1.AllowAllowlistsAnnotation, "partner")
	g.Eventually(func() string {
		return targetState(t, types.NamespacedName{Namespace: ns, Name: "narrow"}, "Service", "shop", v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonConsentMissing).Message
	}, timeout, poll).Should(ContainSubstring("=partner,narrow --overwrite"))
	g.Consistently(func(g Gomega) {
		g.Expect(getService(g, ns, "shop").Spec.LoadBalancerSourceRanges).To(BeEmpty())
	}, time.Second, poll).Should(Succeed())
}

// TestTraefikMiddlewareIDsAreUnique: Traefik knows a Middleware as
// <namespace>-<name>@kubernetescrd, so a tenant of namespace <ns>-stripe whose
// allowlist is named hooks would make Middleware hooks-ingress, which Traefik
// confuses with the admin's stripe-hooks-ingress of namespace <ns>: with an
// ipStrategy depth of 16 (any client can write X-Forwarded-For) and the tenant's
// addresses. The operator writes no Middleware whose ID another has: Conflict.
func TestTraefikMiddlewareIDsAreUnique(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	withTargetCRDs(t)
	adminNS := newNamespace(t, "rtshop")
	tenantNS := adminNS + "-stripe"
	g.Expect(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: tenantNS}})).To(Succeed())
	t.Cleanup(func() {
		_ = k8s.Delete(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: tenantNS}})
	})

	admins := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": render.MiddlewareKind.GroupVersion().String(), "kind": render.MiddlewareKind.Kind,
		"metadata": map[string]any{"namespace": adminNS, "name": "stripe-hooks-ingress"},
		"spec":     map[string]any{"ipAllowList": map[string]any{"sourceRange": []any{"203.0.113.0/28"}}},
	}}
	g.Expect(k8s.Create(ctx, admins)).To(Succeed())

	srv := testdns.Start(t)
	startManager(t, srv, []string{adminNS, tenantNS}, withIngressTargets)
	st := testenv.InstallShippedTenancy(t, env.Config, k8s)
	mallory := st.Tenant(t, tenantNS, "mallory")
	traefik := v1alpha1.IngressTarget{Traefik: &v1alpha1.TraefikTarget{IPStrategy: &v1alpha1.TraefikIPStrategy{Depth: 16}}}
	g.Expect(mallory.Create(ctx, tenantAllowlist(tenantNS, "hooks", traefik))).To(Succeed())
	g.Expect(mallory.Create(ctx, tenantAllowlist(tenantNS, "web", traefik))).To(Succeed())

	conflict := targetState(t, types.NamespacedName{Namespace: tenantNS, Name: "hooks"}, "Middleware", "hooks-ingress", v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonConflict)
	g.Expect(conflict.Message).To(ContainSubstring(adminNS + "/stripe-hooks-ingress"))
	g.Expect(conflict.Message).To(ContainSubstring(tenantNS + "-hooks-ingress@kubernetescrd"))
	// A Middleware whose ID no other has is written.
	targetState(t, types.NamespacedName{Namespace: tenantNS, Name: "web"}, "Middleware", "web-ingress", v1alpha1.IngressTargetApplied, v1alpha1.TargetReasonApplied)

	middlewareGone := func(g Gomega, name string) {
		mw := &unstructured.Unstructured{}
		mw.SetGroupVersionKind(render.MiddlewareKind)
		err := k8s.Get(ctx, types.NamespacedName{Namespace: tenantNS, Name: name}, mw)
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the operator keeps a Middleware %s/%s whose Traefik ID another has: %v", tenantNS, name, err)
	}
	g.Consistently(func(g Gomega) {
		middlewareGone(g, "hooks-ingress")
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(admins), admins)).To(Succeed())
		g.Expect(admins.GetManagedFields()).To(HaveLen(1))
	}, 2*time.Second, poll).Should(Succeed())

	// A Middleware that takes the ID of the allowlist's own afterwards: at its next
	// reconcile (here, an edit of the allowlist), the allowlist's is deleted.
	later := admins.DeepCopy()
	later.SetName("stripe-web-ingress")
	later.SetResourceVersion("")
	later.SetUID("")
	later.SetManagedFields(nil)
	later.SetCreationTimestamp(metav1.Time{})
	g.Expect(k8s.Create(ctx, later)).To(Succeed())
	g.Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var a v1alpha1.VendorAllowlist
		if err := mallory.Get(ctx, types.NamespacedName{Namespace: tenantNS, Name: "web"}, &a); err != nil {
			return err
		}
		a.Labels = map[string]string{"touched": "yes"}
		return mallory.Update(ctx, &a)
	})).To(Succeed())
	targetState(t, types.NamespacedName{Namespace: tenantNS, Name: "web"}, "Middleware", "web-ingress", v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonConflict)
	g.Eventually(func(g Gomega) { middlewareGone(g, "web-ingress") }, timeout, poll).Should(Succeed())
}

// TestIstioSelectorNeedsTheAdmin: an Istio policy with a selector applies to every
// workload of the namespace with those labels, a shared ingress gateway's among them,
// and a DENY policy of the tenant's would cut everyone else off it. No single object
// stands for those workloads, so only the cluster admin can allow it, on the
// Namespace.
func TestIstioSelectorNeedsTheAdmin(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	withTargetCRDs(t)
	ns := newNamespace(t, "istio-selector")
	allowedNS := newNamespace(t, "istio-selector-allowed")
	annotateAs(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: allowedNS}}, v1alpha1.NamespaceIngressTargetsAnnotation, "istio")
	srv := testdns.Start(t)
	startManager(t, srv, []string{ns, allowedNS}, withIngressTargets)
	st := testenv.InstallShippedTenancy(t, env.Config, k8s)
	mallory := st.Tenant(t, ns, "mallory")
	trent := st.Tenant(t, allowedNS, "trent")

	target := v1alpha1.IngressTarget{Istio: &v1alpha1.IstioTarget{Selector: &v1alpha1.IstioWorkloadSelector{MatchLabels: map[string]string{"istio": "ingressgateway"}}}}
	g.Expect(mallory.Create(ctx, tenantAllowlist(ns, "shared", target))).To(Succeed())
	g.Expect(trent.Create(ctx, tenantAllowlist(allowedNS, "shared", target))).To(Succeed())

	missing := targetState(t, types.NamespacedName{Namespace: ns, Name: "shared"}, "AuthorizationPolicy", "shared-gateway-pods", v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonConsentMissing)
	g.Expect(missing.Message).To(ContainSubstring(fmt.Sprintf("kubectl annotate namespace %s %s=istio", ns, v1alpha1.NamespaceIngressTargetsAnnotation)))
	targetState(t, types.NamespacedName{Namespace: allowedNS, Name: "shared"}, "AuthorizationPolicy", "shared-gateway-pods", v1alpha1.IngressTargetApplied, v1alpha1.TargetReasonApplied)

	g.Consistently(func(g Gomega) {
		ap := &unstructured.Unstructured{}
		ap.SetGroupVersionKind(render.AuthorizationPolicyKind)
		err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "shared-gateway-pods"}, ap)
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the operator attached a tenant's DENY policy to every gateway pod of %s: %v", ns, err)
	}, 2*time.Second, poll).Should(Succeed())
}

// gatewayObject creates a Gateway API object as its owner (the platform team) would.
func gatewayObject(t *testing.T, ns, kind, name string, annotations map[string]string, spec map[string]any) {
	t.Helper()
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": kind,
		"metadata": map[string]any{"namespace": ns, "name": name},
		"spec":     spec,
	}}
	u.SetAnnotations(annotations)
	if err := k8s.Create(context.Background(), u, client.FieldOwner(platformTeam)); err != nil {
		t.Fatalf("creating %s %s/%s: %v", kind, ns, name, err)
	}
}

// TestTenantCannotAttachToOthersGateway: a policy attached to a Gateway applies to
// every route of it, whoever owns them: Envoy Gateway's SecurityPolicy (deny all
// but the allowlist's addresses) and Istio's DENY AuthorizationPolicy are attached
// to a Gateway or a route only when its owner consented on it, by its annotation.
func TestTenantCannotAttachToOthersGateway(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	withTargetCRDs(t)
	ns := newNamespace(t, "attach-gateway")
	gatewayObject(t, ns, "Gateway", "shared", nil, map[string]any{
		"gatewayClassName": "eg",
		"listeners":        []any{map[string]any{"name": "http", "port": int64(80), "protocol": "HTTP"}},
	})
	gatewayObject(t, ns, "HTTPRoute", "hooks", map[string]string{v1alpha1.AllowAllowlistsAnnotation: "hooks-route"}, map[string]any{
		"parentRefs": []any{map[string]any{"name": "shared"}},
	})
	srv := testdns.Start(t)
	startManager(t, srv, []string{ns}, withIngressTargets)
	st := testenv.InstallShippedTenancy(t, env.Config, k8s)
	mallory := st.Tenant(t, ns, "mallory")

	envoy := func(kind v1alpha1.EnvoyGatewayTargetKind, name string) v1alpha1.IngressTarget {
		return v1alpha1.IngressTarget{EnvoyGateway: &v1alpha1.EnvoyGatewayTarget{TargetRef: v1alpha1.EnvoyGatewayTargetRef{Kind: kind, Name: v1alpha1.ResourceName(name)}}}
	}
	g.Expect(mallory.Create(ctx, tenantAllowlist(ns, "hooks-gw", envoy("Gateway", "shared")))).To(Succeed())
	g.Expect(mallory.Create(ctx, tenantAllowlist(ns, "hooks-istio", v1alpha1.IngressTarget{Istio: &v1alpha1.IstioTarget{GatewayName: "shared"}}))).To(Succeed())
	g.Expect(mallory.Create(ctx, tenantAllowlist(ns, "hooks-route", envoy("HTTPRoute", "hooks")))).To(Succeed())

	missing := targetState(t, types.NamespacedName{Namespace: ns, Name: "hooks-gw"}, "SecurityPolicy", "hooks-gw-gateway-shared", v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonConsentMissing)
	g.Expect(missing.Message).To(ContainSubstring(fmt.Sprintf("kubectl annotate -n %s gateway.gateway.networking.k8s.io/shared %s=hooks-gw", ns, v1alpha1.AllowAllowlistsAnnotation)))
	targetState(t, types.NamespacedName{Namespace: ns, Name: "hooks-istio"}, "AuthorizationPolicy", "hooks-istio-gateway-shared", v1alpha1.IngressTargetFailed, v1alpha1.TargetReasonConsentMissing)
	// The route whose owner consented gets its policy.
	targetState(t, types.NamespacedName{Namespace: ns, Name: "hooks-route"}, "SecurityPolicy", "hooks-route-httproute-hooks", v1alpha1.IngressTargetApplied, v1alpha1.TargetReasonApplied)

	g.Consistently(func(g Gomega) {
		for _, o := range []struct {
			kind render.TargetKind
			name string
		}{{render.TargetEnvoyGateway, "hooks-gw-gateway-shared"}, {render.TargetIstio, "hooks-istio-gateway-shared"}} {
			gvk, _ := o.kind.OwnedKind()
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(gvk)
			err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: o.name}, u)
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the operator attached %s %s to a Gateway whose owner did not consent: %v", gvk.Kind, o.name, err)
		}
	}, 2*time.Second, poll).Should(Succeed())
}
