/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package targets

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/thirdpartycrds"
)

// userIngress creates an Ingress as the user's Helm release would.
func userIngress(t *testing.T, ns, name, class string) *networkingv1.Ingress {
	t.Helper()
	ing := &networkingv1.Ingress{
		// Its owner consents to the allowlists of its namespace annotating it.
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{"meta.helm.sh/release-name": "web", v1alpha1.AllowAllowlistsAnnotation: "*"}},
		Spec: networkingv1.IngressSpec{
			IngressClassName: ptr.To(class),
			Rules: []networkingv1.IngressRule{{
				Host: "hooks.example.com",
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
					Path: "/", PathType: ptr.To(networkingv1.PathTypePrefix),
					Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}},
				}}}},
			}},
		},
	}
	if err := k8s.Create(context.Background(), ing, client.FieldOwner(helm)); err != nil {
		t.Fatalf("creating Ingress %s/%s: %v", ns, name, err)
	}
	return ing
}

func getIngress(g Gomega, ns, name string) *networkingv1.Ingress {
	var ing networkingv1.Ingress
	g.Expect(k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &ing)).To(Succeed())
	return &ing
}

// adminConsents annotates the namespace as the cluster admin does to allow the kinds
// of ingress target in it without each object owner's consent.
func adminConsents(t *testing.T, ns string, kinds ...render.TargetKind) {
	t.Helper()
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	g := NewWithT(t)
	g.Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var n corev1.Namespace
		if err := k8s.Get(context.Background(), types.NamespacedName{Name: ns}, &n); err != nil {
			return err
		}
		n.Annotations = map[string]string{v1alpha1.NamespaceIngressTargetsAnnotation: strings.Join(names, ",")}
		return k8s.Update(context.Background(), &n)
	})).To(Succeed())
}

func setTargets(t *testing.T, key types.NamespacedName, targets ...v1alpha1.IngressTarget) {
	t.Helper()
	g := NewWithT(t)
	g.Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		a := getAllowlist(g, key)
		a.Spec.IngressTargets = targets
		return k8s.Update(context.Background(), a)
	})).To(Succeed())
}

// TestIngressNginxTarget: the operator sets ingress-nginx's allowlist annotation of
// the named Ingress, owns that annotation alone, follows DNS, and releases it.
func TestIngressNginxTarget(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "nginx")
	srv, _ := startManager(t, ns)
	before := userIngress(t, ns, "web", "nginx")
	helmFields := managers(before)

	al := partnerAllowlist(ns, "partner", v1alpha1.IngressTarget{IngressNginx: &v1alpha1.IngressNginxTarget{IngressName: "web"}})
	g.Expect(k8s.Create(context.Background(), al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)
	waitReady(t, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	manager := v1alpha1.TargetFieldManager("partner")
	g.Eventually(func(g Gomega) {
		ing := getIngress(g, ns, "web")
		g.Expect(ing.Annotations).To(HaveKeyWithValue(render.NginxAllowlistAnnotation, partnerNetwork+","+partnerFirst+"/32"))
		g.Expect(ing.Annotations).To(HaveKeyWithValue("meta.helm.sh/release-name", "web"))
		g.Expect(managers(ing)).To(HaveKeyWithValue(manager+"/Apply", `{"f:metadata":{"f:annotations":{"f:`+render.NginxAllowlistAnnotation+`":{}}}}`))
		g.Expect(ing.Spec).To(Equal(before.Spec))
	}, timeout, poll).Should(Succeed())

	srv.SetHost(partnerHost, partnerMoved)
	g.Eventually(func(g Gomega) {
		g.Expect(getIngress(g, ns, "web").Annotations[render.NginxAllowlistAnnotation]).To(ContainSubstring(partnerMoved + "/32"))
	}, timeout, poll).Should(Succeed())

	setTargets(t, key)
	g.Eventually(func(g Gomega) {
		ing := getIngress(g, ns, "web")
		g.Expect(ing.Annotations).NotTo(HaveKey(render.NginxAllowlistAnnotation))
		g.Expect(managers(ing)).To(Equal(helmFields))
	}, timeout, poll).Should(Succeed())
	g.Expect(getIngress(g, ns, "web").Annotations).To(Equal(before.Annotations))
}

// TestEnvoyGatewayTarget: a SecurityPolicy accepted by Envoy Gateway's own CRD,
// owned by the allowlist, carrying the ingress policy's addresses; it follows DNS, an
// edit is put back, and removing the target deletes it.
func TestEnvoyGatewayTarget(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "envoy")
	// No Gateway API here to annotate: the admin allows the kind in the namespace.
	adminConsents(t, ns, render.TargetEnvoyGateway)
	srv, _ := startManager(t, ns)
	al := partnerAllowlist(ns, "partner",
		v1alpha1.IngressTarget{EnvoyGateway: &v1alpha1.EnvoyGatewayTarget{TargetRef: v1alpha1.EnvoyGatewayTargetRef{Kind: "HTTPRoute", Name: "web"}}})
	g.Expect(k8s.Create(context.Background(), al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)
	a := waitReady(t, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled)

	clientCIDRs := func(u *unstructured.Unstructured) []string {
		rules, _, _ := unstructured.NestedSlice(u.Object, "spec", "authorization", "rules")
		g.Expect(rules).To(HaveLen(1))
		cidrs, _, _ := unstructured.NestedStringSlice(rules[0].(map[string]any), "principal", "clientCIDRs")
		return cidrs
	}
	var sp *unstructured.Unstructured
	g.Eventually(func(g Gomega) {
		sp = getUnstructured(g, render.TargetEnvoyGateway, ns, "partner-httproute-web")
		g.Expect(sorted(clientCIDRs(sp))).To(Equal(ingressCIDRs(g, ns, "partner")))
	}, timeout, poll).Should(Succeed())
	g.Expect(metav1.IsControlledBy(sp, a)).To(BeTrue(), "owner references: %v", sp.GetOwnerReferences())
	g.Expect(sp.GetLabels()).To(HaveKeyWithValue(v1alpha1.AllowlistLabel, "partner"))
	action, _, _ := unstructured.NestedString(sp.Object, "spec", "authorization", "defaultAction")
	g.Expect(action).To(Equal("Deny"))
	refs, _, _ := unstructured.NestedSlice(sp.Object, "spec", "targetRefs")
	g.Expect(refs).To(Equal([]any{map[string]any{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "web"}}))
	st := targetStatus(g, key, "SecurityPolicy", "partner-httproute-web")
	g.Expect(st.State).To(Equal(v1alpha1.IngressTargetApplied), st.Message)

	// Envoy Gateway writes in the policy's status whether it attached it. One it did
	// not attach filters nothing: the allowlist says so, and Applied again once it is.
	setAccepted := func(status, reason, message string) {
		t.Helper()
		g.Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
			sp := getUnstructured(g, render.TargetEnvoyGateway, ns, "partner-httproute-web")
			ancestors := []any{map[string]any{
				"ancestorRef":    map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "eg"},
				"controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
				"conditions": []any{map[string]any{
					"type": "Accepted", "status": status, "reason": reason, "message": message,
					"observedGeneration": sp.GetGeneration(), "lastTransitionTime": time.Now().UTC().Format(time.RFC3339),
				}},
			}}
			g.Expect(unstructured.SetNestedSlice(sp.Object, ancestors, "status", "ancestors")).To(Succeed())
			return k8s.Status().Update(context.Background(), sp)
		})).To(Succeed())
	}
	setAccepted("False", "Invalid", "HTTPRoute ns/web not found")
	g.Eventually(func(g Gomega) {
		st := targetStatus(g, key, "SecurityPolicy", "partner-httproute-web")
		g.Expect(st.State).To(Equal(v1alpha1.IngressTargetWarning), st.Message)
		g.Expect(st.Reason).To(Equal(v1alpha1.TargetReasonNotAccepted))
		g.Expect(st.Message).To(ContainSubstring("Gateway eg: Invalid: HTTPRoute ns/web not found"))
	}, timeout, poll).Should(Succeed())
	setAccepted("True", "Accepted", "Policy has been accepted.")
	g.Eventually(func(g Gomega) {
		st := targetStatus(g, key, "SecurityPolicy", "partner-httproute-web")
		g.Expect(st.State).To(Equal(v1alpha1.IngressTargetApplied), st.Message)
	}, timeout, poll).Should(Succeed())

	srv.SetHost(partnerHost, partnerMoved)
	g.Eventually(func(g Gomega) {
		sp := getUnstructured(g, render.TargetEnvoyGateway, ns, "partner-httproute-web")
		g.Expect(clientCIDRs(sp)).To(ContainElement(partnerMoved + "/32"))
		g.Expect(sorted(clientCIDRs(sp))).To(Equal(ingressCIDRs(g, ns, "partner")))
	}, timeout, poll).Should(Succeed())

	// Someone widens it by hand: the operator puts its rule back.
	g.Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		sp := getUnstructured(g, render.TargetEnvoyGateway, ns, "partner-httproute-web")
		g.Expect(unstructured.SetNestedField(sp.Object, "Allow", "spec", "authorization", "defaultAction")).To(Succeed())
		return k8s.Update(context.Background(), sp, client.FieldOwner("kubectl-edit"))
	})).To(Succeed())
	g.Eventually(func(g Gomega) {
		sp := getUnstructured(g, render.TargetEnvoyGateway, ns, "partner-httproute-web")
		action, _, _ := unstructured.NestedString(sp.Object, "spec", "authorization", "defaultAction")
		g.Expect(action).To(Equal("Deny"))
	}, timeout, poll).Should(Succeed())

	// Moved to the Gateway: the route's policy goes, the Gateway's comes.
	setTargets(t, key, v1alpha1.IngressTarget{EnvoyGateway: &v1alpha1.EnvoyGatewayTarget{TargetRef: v1alpha1.EnvoyGatewayTargetRef{Kind: "Gateway", Name: "public"}}})
	g.Eventually(func(g Gomega) {
		getUnstructured(g, render.TargetEnvoyGateway, ns, "partner-gateway-public")
		old := &unstructured.Unstructured{}
		old.SetGroupVersionKind(render.SecurityPolicyKind)
		err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "partner-httproute-web"}, old)
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the route's SecurityPolicy is still there: %v", err)
	}, timeout, poll).Should(Succeed())
	setTargets(t, key)
	g.Eventually(func(g Gomega) {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(render.SecurityPolicyKind.GroupVersion().WithKind("SecurityPolicyList"))
		g.Expect(k8s.List(context.Background(), list, client.InNamespace(ns))).To(Succeed())
		g.Expect(list.Items).To(BeEmpty())
	}, timeout, poll).Should(Succeed())
}

// TestTraefikTarget: a Middleware accepted by Traefik's CRD, attached to the named
// Ingress by its annotation; a Middleware alone for an IngressRoute, which the status
// tells how to list.
func TestTraefikTarget(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "traefik")
	srv, _ := startManager(t, ns)
	userIngress(t, ns, "web", "traefik")
	al := partnerAllowlist(ns, "partner",
		v1alpha1.IngressTarget{Traefik: &v1alpha1.TraefikTarget{IngressName: "web", IPStrategy: &v1alpha1.TraefikIPStrategy{Depth: 1}}},
		v1alpha1.IngressTarget{Traefik: &v1alpha1.TraefikTarget{}})
	g.Expect(k8s.Create(context.Background(), al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)
	a := waitReady(t, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled)

	g.Eventually(func(g Gomega) {
		mw := getUnstructured(g, render.TargetTraefik, ns, "partner-ingress-web")
		ranges, _, _ := unstructured.NestedStringSlice(mw.Object, "spec", "ipAllowList", "sourceRange")
		g.Expect(sorted(ranges)).To(Equal(ingressCIDRs(g, ns, "partner")))
		depth, _, _ := unstructured.NestedInt64(mw.Object, "spec", "ipAllowList", "ipStrategy", "depth")
		g.Expect(depth).To(BeEquivalentTo(1))
		g.Expect(metav1.IsControlledBy(mw, a)).To(BeTrue())
		g.Expect(getIngress(g, ns, "web").Annotations).To(HaveKeyWithValue(render.TraefikMiddlewaresAnnotation, ns+"-partner-ingress-web@kubernetescrd"))
		getUnstructured(g, render.TargetTraefik, ns, "partner-ingress")
	}, timeout, poll).Should(Succeed())
	g.Expect(targetStatus(g, key, "Middleware", "partner-ingress").Message).To(ContainSubstring("list it in your IngressRoute's routes[].middlewares as {name: partner-ingress}"))
	g.Expect(targetStatus(g, key, "Ingress", "web").State).To(Equal(v1alpha1.IngressTargetApplied))

	srv.SetHost(partnerHost, partnerMoved)
	g.Eventually(func(g Gomega) {
		mw := getUnstructured(g, render.TargetTraefik, ns, "partner-ingress")
		ranges, _, _ := unstructured.NestedStringSlice(mw.Object, "spec", "ipAllowList", "sourceRange")
		g.Expect(ranges).To(ContainElement(partnerMoved + "/32"))
	}, timeout, poll).Should(Succeed())

	// Detached from the Ingress: its annotation is released, the Middleware of the
	// other target stays.
	setTargets(t, key, v1alpha1.IngressTarget{Traefik: &v1alpha1.TraefikTarget{}})
	g.Eventually(func(g Gomega) {
		g.Expect(getIngress(g, ns, "web").Annotations).NotTo(HaveKey(render.TraefikMiddlewaresAnnotation))
		old := &unstructured.Unstructured{}
		old.SetGroupVersionKind(render.MiddlewareKind)
		err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "partner-ingress-web"}, old)
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)
		getUnstructured(g, render.TargetTraefik, ns, "partner-ingress")
	}, timeout, poll).Should(Succeed())
}

// TestIstioTarget: a manager started before Istio's CRD is installed reports the kind
// as not installed, and keeps doing so until it is restarted; restarted, it writes an
// AuthorizationPolicy that Istio's CRD accepts.
func TestIstioTarget(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, "istio")
	adminConsents(t, ns, render.TargetIstio)
	srv, first := startManager(t, ns)
	al := partnerAllowlist(ns, "partner",
		v1alpha1.IngressTarget{Istio: &v1alpha1.IstioTarget{GatewayName: "public"}},
		v1alpha1.IngressTarget{Istio: &v1alpha1.IstioTarget{Selector: &v1alpha1.IstioWorkloadSelector{MatchLabels: map[string]string{"istio": "ingressgateway"}}}})
	g.Expect(k8s.Create(ctx, al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)
	a := waitReady(t, key, metav1.ConditionFalse, v1alpha1.ReasonIngressTargetFailed)
	g.Expect(readyCondition(a).Message).To(ContainSubstring("AuthorizationPolicy (security.istio.io/v1) was not installed"))
	st := targetStatus(g, key, "AuthorizationPolicy", "partner-gateway-public")
	g.Expect(st.Reason).To(Equal(v1alpha1.TargetReasonKindNotInstalled))
	g.Expect(st.Message).To(ContainSubstring("restart the operator"))
	// The NetworkPolicy is in place all the same.
	g.Expect(ingressCIDRs(g, ns, "partner")).To(HaveLen(2))

	crds, err := thirdpartycrds.Load(thirdpartycrds.Istio)
	g.Expect(err).NotTo(HaveOccurred())
	// envtest.InstallCRDs creates them and waits until the API server serves them.
	_, err = envtest.InstallCRDs(env.Config, envtest.CRDInstallOptions{CRDs: crds})
	g.Expect(err).NotTo(HaveOccurred())
	// The running manager keeps saying so (a change of the allowlist reconciles it).
	g.Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		a := getAllowlist(g, key)
		a.Labels = map[string]string{"touched": "yes"}
		return k8s.Update(ctx, a)
	})).To(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(targetStatus(g, key, "AuthorizationPolicy", "partner-gateway-public").Reason).To(Equal(v1alpha1.TargetReasonKindNotInstalled))
	}, 2*time.Second, poll).Should(Succeed())

	first.Stop()
	startManagerWith(t, srv, ns, render.TargetKinds)
	a = waitReady(t, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	g.Eventually(func(g Gomega) {
		for _, name := range []string{"partner-gateway-public", "partner-gateway-pods"} {
			ap := getUnstructured(g, render.TargetIstio, ns, name)
			g.Expect(metav1.IsControlledBy(ap, a)).To(BeTrue())
			action, _, _ := unstructured.NestedString(ap.Object, "spec", "action")
			g.Expect(action).To(Equal("DENY"))
			rules, _, _ := unstructured.NestedSlice(ap.Object, "spec", "rules")
			from, _, _ := unstructured.NestedSlice(rules[0].(map[string]any), "from")
			blocks, _, _ := unstructured.NestedStringSlice(from[0].(map[string]any), "source", "notRemoteIpBlocks")
			g.Expect(sorted(blocks)).To(Equal(ingressCIDRs(g, ns, "partner")))
		}
		pods := getUnstructured(g, render.TargetIstio, ns, "partner-gateway-pods")
		sel, _, _ := unstructured.NestedStringMap(pods.Object, "spec", "selector", "matchLabels")
		g.Expect(sel).To(Equal(map[string]string{"istio": "ingressgateway"}))
	}, timeout, poll).Should(Succeed())

	setTargets(t, key)
	g.Eventually(func(g Gomega) {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(render.AuthorizationPolicyKind.GroupVersion().WithKind("AuthorizationPolicyList"))
		g.Expect(k8s.List(ctx, list, client.InNamespace(ns))).To(Succeed())
		g.Expect(list.Items).To(BeEmpty())
	}, timeout, poll).Should(Succeed())
}

// TestTargetKindNotEnabled: with --ingress-targets=service, an Envoy Gateway target
// fails saying that the admin has not enabled it, and nothing is written.
func TestTargetKindNotEnabled(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "not-enabled")
	startManager(t, ns, render.TargetService)
	al := partnerAllowlist(ns, "partner",
		v1alpha1.IngressTarget{EnvoyGateway: &v1alpha1.EnvoyGatewayTarget{TargetRef: v1alpha1.EnvoyGatewayTargetRef{Kind: "Gateway", Name: "public"}}})
	g.Expect(k8s.Create(context.Background(), al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)
	waitReady(t, key, metav1.ConditionFalse, v1alpha1.ReasonIngressTargetFailed)
	st := targetStatus(g, key, "SecurityPolicy", "partner-gateway-public")
	g.Expect(st.Reason).To(Equal(v1alpha1.TargetReasonKindNotEnabled))
	g.Expect(st.Message).To(ContainSubstring("ingressTargets.envoyGateway"))
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(render.SecurityPolicyKind.GroupVersion().WithKind("SecurityPolicyList"))
	g.Expect(k8s.List(context.Background(), list, client.InNamespace(ns))).To(Succeed())
	g.Expect(list.Items).To(BeEmpty())
}
