/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package targets

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/controller"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testmanager"
)

// helm is the field manager of the objects the tests create for the user, as Helm
// (client-side apply: Update operations) would.
const helm = "helm"

// userService creates a Service as the user's Helm release would, and returns it as
// stored.
func userService(t *testing.T, ns, name string, typ corev1.ServiceType, policy corev1.ServiceExternalTrafficPolicy, ranges ...string) *corev1.Service {
	t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "Helm"},
			// Its owner consents to the allowlists of its namespace setting its
			// source ranges.
			Annotations: map[string]string{"meta.helm.sh/release-name": "web", v1alpha1.AllowAllowlistsAnnotation: "*"},
		},
		Spec: corev1.ServiceSpec{
			Type:                     typ,
			Selector:                 map[string]string{"app": "web"},
			Ports:                    []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(8080)}},
			LoadBalancerSourceRanges: ranges,
		},
	}
	if typ == corev1.ServiceTypeLoadBalancer {
		svc.Spec.ExternalTrafficPolicy = policy
	}
	if err := k8s.Create(context.Background(), svc, client.FieldOwner(helm)); err != nil {
		t.Fatalf("creating Service %s/%s: %v", ns, name, err)
	}
	return svc
}

func getService(g Gomega, ns, name string) *corev1.Service { return readService(g, k8s, ns, name) }

func readService(g Gomega, r client.Reader, ns, name string) *corev1.Service {
	var svc corev1.Service
	g.Expect(r.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &svc)).To(Succeed())
	return &svc
}

// TestServiceTarget: the operator sets spec.loadBalancerSourceRanges of the named
// Service to the ingress policy's addresses, owns that field alone, follows a DNS
// change, and releases the field when the target is removed, leaving every other
// field and every other manager's entry as it was.
func TestServiceTarget(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, "svc")
	srv, _ := startManager(t, ns)
	before := userService(t, ns, "web", corev1.ServiceTypeLoadBalancer, corev1.ServiceExternalTrafficPolicyLocal)
	helmFields := managers(before)

	al := partnerAllowlist(ns, "partner", v1alpha1.IngressTarget{Service: &v1alpha1.ServiceTarget{Name: "web"}})
	g.Expect(k8s.Create(ctx, al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)
	waitReady(t, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled)

	manager := v1alpha1.TargetFieldManager("partner")
	g.Eventually(func(g Gomega) {
		svc := getService(g, ns, "web")
		g.Expect(svc.Spec.LoadBalancerSourceRanges).To(Equal([]string{partnerNetwork, partnerFirst + "/32"}))
		g.Expect(sorted(svc.Spec.LoadBalancerSourceRanges)).To(Equal(ingressCIDRs(g, ns, "partner")))
		st := targetStatus(g, key, "Service", "web")
		g.Expect(st.State).To(Equal(v1alpha1.IngressTargetApplied), st.Message)
		g.Expect(st.Addresses).To(BeEquivalentTo(2))
	}, timeout, poll).Should(Succeed())

	// The operator's manager holds spec.loadBalancerSourceRanges and nothing else;
	// Helm's entry and every other field are as Helm left them.
	svc := getService(g, ns, "web")
	got := managers(svc)
	g.Expect(got).To(HaveKeyWithValue(manager+"/Apply", `{"f:spec":{"f:loadBalancerSourceRanges":{}}}`))
	g.Expect(got).To(HaveKeyWithValue(helm+"/Update", helmFields[helm+"/Update"]))
	g.Expect(got).To(HaveLen(len(helmFields) + 1))
	unchanged := svc.DeepCopy()
	unchanged.Spec.LoadBalancerSourceRanges = nil
	g.Expect(unchanged.Spec).To(Equal(before.Spec))
	g.Expect(svc.Labels).To(Equal(before.Labels))
	g.Expect(svc.Annotations).To(Equal(before.Annotations))
	g.Expect(svc.OwnerReferences).To(BeEmpty(), "the Service is the user's: no owner reference, or the garbage collector would delete it with the allowlist")

	// DNS moves the partner's hostname: the Service follows, as the policy does.
	srv.SetHost(partnerHost, partnerMoved)
	g.Eventually(func(g Gomega) {
		svc := getService(g, ns, "web")
		g.Expect(svc.Spec.LoadBalancerSourceRanges).To(ContainElement(partnerMoved + "/32"))
		g.Expect(sorted(svc.Spec.LoadBalancerSourceRanges)).To(Equal(ingressCIDRs(g, ns, "partner")))
	}, timeout, poll).Should(Succeed())

	// The target removed: the field is released, nothing else changes.
	g.Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		a := getAllowlist(g, key)
		a.Spec.IngressTargets = nil
		return k8s.Update(ctx, a)
	})).To(Succeed())
	g.Eventually(func(g Gomega) {
		svc := getService(g, ns, "web")
		g.Expect(svc.Spec.LoadBalancerSourceRanges).To(BeEmpty())
		g.Expect(managers(svc)).NotTo(HaveKey(manager + "/Apply"))
		g.Expect(getAllowlist(g, key).Status.IngressTargets).To(BeEmpty())
	}, timeout, poll).Should(Succeed())
	svc = getService(g, ns, "web")
	g.Expect(managers(svc)).To(Equal(helmFields))
	g.Expect(svc.Spec).To(Equal(before.Spec))
	waitReady(t, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
}

// TestServiceTargetConflict: when another manager holds the Service's
// loadBalancerSourceRanges, the operator never writes over that restriction: the
// target fails (Restricted), the allowlist is not Ready, and the Service keeps its
// ranges. An edit of the field after the operator set it is a restriction too, and
// the operator lets go of the field.
func TestServiceTargetConflict(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, "svc-conflict")
	startManager(t, ns)
	userService(t, ns, "helm-ranges", corev1.ServiceTypeLoadBalancer, corev1.ServiceExternalTrafficPolicyLocal, "203.0.113.128/25")
	userService(t, ns, "edited", corev1.ServiceTypeLoadBalancer, corev1.ServiceExternalTrafficPolicyLocal)

	al := partnerAllowlist(ns, "partner",
		v1alpha1.IngressTarget{Service: &v1alpha1.ServiceTarget{Name: "helm-ranges"}},
		v1alpha1.IngressTarget{Service: &v1alpha1.ServiceTarget{Name: "edited"}})
	g.Expect(k8s.Create(ctx, al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)
	a := waitReady(t, key, metav1.ConditionFalse, v1alpha1.ReasonIngressTargetFailed)
	g.Expect(readyCondition(a).Message).To(ContainSubstring("helm-ranges"))
	st := targetStatus(g, key, "Service", "helm-ranges")
	g.Expect(st.State).To(Equal(v1alpha1.IngressTargetFailed))
	g.Expect(st.Reason).To(Equal(v1alpha1.TargetReasonRestricted))
	g.Expect(st.Message).To(ContainSubstring("field manager helm"))
	g.Expect(st.Message).To(ContainSubstring("never writes over a restriction"))
	svc := getService(g, ns, "helm-ranges")
	g.Expect(svc.Spec.LoadBalancerSourceRanges).To(Equal([]string{"203.0.113.128/25"}))
	g.Expect(managers(svc)).NotTo(HaveKey(v1alpha1.TargetFieldManager("partner") + "/Apply"))
	g.Expect(targetStatus(g, key, "Service", "edited").State).To(Equal(v1alpha1.IngressTargetApplied))

	// Someone edits the field the operator set: it is theirs now, and reported.
	g.Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		svc := getService(g, ns, "edited")
		svc.Spec.LoadBalancerSourceRanges = []string{"198.51.100.0/24"}
		return k8s.Update(ctx, svc, client.FieldOwner("kubectl-edit"))
	})).To(Succeed())
	g.Eventually(func(g Gomega) {
		st := targetStatus(g, key, "Service", "edited")
		g.Expect(st.Reason).To(Equal(v1alpha1.TargetReasonRestricted))
		g.Expect(st.Message).To(ContainSubstring("field manager kubectl-edit"))
		g.Expect(managers(getService(g, ns, "edited"))).NotTo(HaveKey(v1alpha1.TargetFieldManager("partner") + "/Apply"))
	}, timeout, poll).Should(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(getService(g, ns, "edited").Spec.LoadBalancerSourceRanges).To(Equal([]string{"198.51.100.0/24"}))
	}, 2*poll*10, poll).Should(Succeed())
}

func readyCondition(a *v1alpha1.VendorAllowlist) metav1.Condition {
	for _, c := range a.Status.Conditions {
		if c.Type == v1alpha1.ConditionReady {
			return c
		}
	}
	return metav1.Condition{}
}

// TestServiceTargetWarnings: a LoadBalancer whose externalTrafficPolicy is Cluster
// gets the field, with a warning that the pods lose the vendor's address; the
// allowlist stays Ready and says so. A Service that is not a LoadBalancer cannot have
// source ranges (the API server refuses them): the target fails, saying why.
func TestServiceTargetWarnings(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "svc-warn")
	startManager(t, ns)
	userService(t, ns, "internal", corev1.ServiceTypeClusterIP, "")
	userService(t, ns, "cluster-policy", corev1.ServiceTypeLoadBalancer, corev1.ServiceExternalTrafficPolicyCluster)

	warned := partnerAllowlist(ns, "warned", v1alpha1.IngressTarget{Service: &v1alpha1.ServiceTarget{Name: "cluster-policy"}})
	g.Expect(k8s.Create(context.Background(), warned)).To(Succeed())
	key := client.ObjectKeyFromObject(warned)
	a := waitReady(t, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	g.Expect(readyCondition(a).Message).To(ContainSubstring("externalTrafficPolicy is Cluster"))
	st := targetStatus(g, key, "Service", "cluster-policy")
	g.Expect(st.State).To(Equal(v1alpha1.IngressTargetWarning))
	g.Expect(st.Reason).To(Equal(v1alpha1.TargetReasonTrafficPolicyCluster))
	g.Expect(st.Message).To(ContainSubstring("set externalTrafficPolicy: Local"))
	g.Expect(getService(g, ns, "cluster-policy").Spec.LoadBalancerSourceRanges).To(HaveLen(2))

	failed := partnerAllowlist(ns, "failed", v1alpha1.IngressTarget{Service: &v1alpha1.ServiceTarget{Name: "internal"}})
	g.Expect(k8s.Create(context.Background(), failed)).To(Succeed())
	key = client.ObjectKeyFromObject(failed)
	a = waitReady(t, key, metav1.ConditionFalse, v1alpha1.ReasonIngressTargetFailed)
	g.Expect(readyCondition(a).Message).To(ContainSubstring("type ClusterIP"))
	st = targetStatus(g, key, "Service", "internal")
	g.Expect(st.Reason).To(Equal(v1alpha1.TargetReasonNotLoadBalancer))
	g.Expect(st.Message).To(ContainSubstring("make it type: LoadBalancer"))
}

// TestServiceTargetNotFoundThenCreated: a Service that does not exist is reported and
// never created; created later, it gets the field without any change to the
// allowlist.
func TestServiceTargetNotFoundThenCreated(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "svc-later")
	startManager(t, ns)
	al := partnerAllowlist(ns, "partner", v1alpha1.IngressTarget{Service: &v1alpha1.ServiceTarget{Name: "later"}})
	g.Expect(k8s.Create(context.Background(), al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)
	// Pending, not Failed: the Service may be on its way (a GitOps sync applies both),
	// and the operator writes it when it appears, without anyone's help.
	waitReady(t, key, metav1.ConditionFalse, v1alpha1.ReasonIngressTargetPending)
	st := targetStatus(g, key, "Service", "later")
	g.Expect(st.Reason).To(Equal(v1alpha1.TargetReasonNotFound))
	g.Expect(st.Message).To(ContainSubstring("never creates it"))
	err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "later"}, &corev1.Service{})
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the operator created the Service: %v", err)

	userService(t, ns, "later", corev1.ServiceTypeLoadBalancer, corev1.ServiceExternalTrafficPolicyLocal)
	waitReady(t, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	g.Expect(getService(g, ns, "later").Spec.LoadBalancerSourceRanges).To(HaveLen(2))
}

// TestServiceTargetAllowlistDeleted: deleting the allowlist releases its field of the
// Service (the garbage collector has nothing of the user's to delete), and another
// allowlist naming the same Service is refused (Restricted) instead of overwriting it.
func TestServiceTargetAllowlistDeleted(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, "svc-deleted")
	startManager(t, ns)
	userService(t, ns, "web", corev1.ServiceTypeLoadBalancer, corev1.ServiceExternalTrafficPolicyLocal)
	first := partnerAllowlist(ns, "first", v1alpha1.IngressTarget{Service: &v1alpha1.ServiceTarget{Name: "web"}})
	g.Expect(k8s.Create(ctx, first)).To(Succeed())
	waitReady(t, client.ObjectKeyFromObject(first), metav1.ConditionTrue, v1alpha1.ReasonReconciled)

	// A second allowlist with other addresses, on the same Service.
	second := partnerAllowlist(ns, "second", v1alpha1.IngressTarget{Service: &v1alpha1.ServiceTarget{Name: "web"}})
	second.Spec.Custom[0].CIDRs = []v1alpha1.CIDR{"203.0.113.64/28"}
	g.Expect(k8s.Create(ctx, second)).To(Succeed())
	waitReady(t, client.ObjectKeyFromObject(second), metav1.ConditionFalse, v1alpha1.ReasonIngressTargetFailed)
	g.Expect(targetStatus(g, client.ObjectKeyFromObject(second), "Service", "web").Message).To(ContainSubstring(v1alpha1.TargetFieldManager("first")))
	g.Expect(getService(g, ns, "web").Spec.LoadBalancerSourceRanges).To(ContainElement(partnerNetwork))

	g.Expect(k8s.Delete(ctx, first)).To(Succeed())
	// The second one's reconcile is triggered by the Service's change.
	g.Eventually(func(g Gomega) {
		svc := getService(g, ns, "web")
		g.Expect(managers(svc)).NotTo(HaveKey(v1alpha1.TargetFieldManager("first") + "/Apply"))
		g.Expect(svc.Spec.LoadBalancerSourceRanges).To(Equal([]string{"203.0.113.64/28", partnerFirst + "/32"}))
	}, timeout, poll).Should(Succeed())
	waitReady(t, client.ObjectKeyFromObject(second), metav1.ConditionTrue, v1alpha1.ReasonReconciled)

	g.Expect(k8s.Delete(ctx, second)).To(Succeed())
	g.Eventually(func(g Gomega) {
		svc := getService(g, ns, "web")
		g.Expect(svc.Spec.LoadBalancerSourceRanges).To(BeEmpty())
		g.Expect(managers(svc)).To(HaveLen(1)) // Helm's alone
	}, timeout, poll).Should(Succeed())
}

// cachedService is the Service as the manager's cache holds it.
func cachedService(g Gomega, m *testmanager.Running, ns, name string) *corev1.Service {
	return readService(g, m.Cache, ns, name)
}

// TestServiceCacheHoldsOnlyNamedServices: the manager keeps in memory whole only the
// Services an allowlist names; of another, a stub (name, resource version, the
// cache's mark). A Service named after the cache made its stub is written all the
// same, from the API server's copy, and its next change brings it in whole.
func TestServiceCacheHoldsOnlyNamedServices(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, "svc-cache")
	_, m := startManager(t, ns)
	userService(t, ns, "web", corev1.ServiceTypeLoadBalancer, corev1.ServiceExternalTrafficPolicyLocal)
	userService(t, ns, "later", corev1.ServiceTypeLoadBalancer, corev1.ServiceExternalTrafficPolicyLocal)
	al := partnerAllowlist(ns, "partner", v1alpha1.IngressTarget{Service: &v1alpha1.ServiceTarget{Name: "web"}})
	g.Expect(k8s.Create(ctx, al)).To(Succeed())
	waitReady(t, client.ObjectKeyFromObject(al), metav1.ConditionTrue, v1alpha1.ReasonReconciled)

	g.Eventually(func(g Gomega) {
		web := cachedService(g, m, ns, "web")
		g.Expect(web.Annotations).NotTo(HaveKey(controller.CacheStubAnnotation))
		g.Expect(web.Spec.LoadBalancerSourceRanges).To(HaveLen(2), "the cache holds the named Service as written")
		g.Expect(web.ManagedFields).NotTo(BeEmpty())
	}, timeout, poll).Should(Succeed())
	later := cachedService(g, m, ns, "later")
	g.Expect(later.Annotations).To(HaveKey(controller.CacheStubAnnotation), "a Service no allowlist names is cached whole")
	g.Expect(later.Labels).To(BeEmpty())
	g.Expect(later.ManagedFields).To(BeEmpty())
	g.Expect(later.Spec.Type).To(BeEmpty())

	second := partnerAllowlist(ns, "second", v1alpha1.IngressTarget{Service: &v1alpha1.ServiceTarget{Name: "later"}})
	g.Expect(k8s.Create(ctx, second)).To(Succeed())
	waitReady(t, client.ObjectKeyFromObject(second), metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	g.Expect(getService(g, ns, "later").Spec.LoadBalancerSourceRanges).To(HaveLen(2))
	g.Eventually(func(g Gomega) {
		later := cachedService(g, m, ns, "later")
		g.Expect(later.Annotations).NotTo(HaveKey(controller.CacheStubAnnotation))
		g.Expect(later.Spec.LoadBalancerSourceRanges).To(HaveLen(2))
	}, timeout, poll).Should(Succeed())
}
