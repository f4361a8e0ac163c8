/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync/atomic"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// configMapKind is a kind of ingress target of this test alone, to show that a kind
// is one type registered once: it writes the allowlist's ingress addresses into a
// key of a ConfigMap of the user's (a core object: no CRD needed). The API has no
// member for it, so it claims the service member in place of the Service kind
// while registered.
type configMapKind struct{}

const configMapTarget render.TargetKind = "configmap"

var configMapGVK = corev1.SchemeGroupVersion.WithKind("ConfigMap")

func configMapKey(allowlist string) string { return "vendor-allowlist." + allowlist }

func (configMapKind) Name() render.TargetKind                                   { return configMapTarget }
func (configMapKind) Member() string                                            { return "service" }
func (configMapKind) Of(t v1alpha1.IngressTarget) bool                          { return t.Service != nil }
func (configMapKind) Owned() (schema.GroupVersionKind, bool)                    { return schema.GroupVersionKind{}, false }
func (configMapKind) Fields() []render.FieldObject                              { return []render.FieldObject{{Kind: configMapGVK}} }
func (configMapKind) Check(*field.Path, v1alpha1.IngressTarget) field.ErrorList { return nil }

func (configMapKind) Objects(a *v1alpha1.VendorAllowlist, t v1alpha1.IngressTarget, cidrs []string) []render.KindObject {
	return []render.KindObject{{Kind: configMapGVK, Name: string(t.Service.Name),
		Content: map[string]any{"data": map[string]any{configMapKey(a.Name): strings.Join(cidrs, ",")}}}}
}

func (configMapKind) Consent(_ *v1alpha1.VendorAllowlist, t v1alpha1.IngressTarget) render.Consent {
	return render.Consent{Needed: true, Kind: configMapGVK.GroupKind(), Name: string(t.Service.Name)}
}

func (configMapKind) Restriction(runtime.Object, string) (string, string) { return "", "" }

func (configMapKind) FieldUpToDate(existing runtime.Object, desired *unstructured.Unstructured, manager string) bool {
	cm, ok := existing.(*corev1.ConfigMap)
	if !ok {
		return false
	}
	owned, err := corev1ac.ExtractConfigMap(cm, manager)
	want, _, _ := unstructured.NestedStringMap(desired.Object, "data")
	return err == nil && maps.Equal(owned.Data, want)
}

func (configMapKind) NotAttached(*unstructured.Unstructured) []string { return nil }

func (configMapKind) Applied(_ v1alpha1.IngressTarget, written *unstructured.Unstructured, _ runtime.Object, addresses int) (string, string) {
	return fmt.Sprintf("ConfigMap %s holds the %d address blocks of the allowlist", written.GetName(), addresses), ""
}

// startTargetManager runs, beside the suite's manager, one that handles kinds in
// ns, and returns how many reconciles it has finished. (The suite's manager handles
// no kind: it reports the target as not enabled.)
func startTargetManager(t *testing.T, ns string, kinds ...render.TargetKind) *atomic.Int64 {
	t.Helper()
	mgr, err := ctrl.NewManager(k8sConfig, ctrl.Options{
		Scheme:  testenv.Scheme(),
		Metrics: metricsserver.Options{BindAddress: "0"},
		Cache:   CacheOptions([]string{ns}),
		// A second controller of the same name, in the suite's process.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	Expect(err).NotTo(HaveOccurred())
	policyNames, err := AddPolicyNameCache(mgr, []string{ns})
	Expect(err).NotTo(HaveOccurred())
	r := testReconciler(mgr, policyNames, 1)
	r.Targets = TargetKinds{Enabled: kinds, Installed: kinds}
	reconciled := &atomic.Int64{}
	Expect(r.setup(mgr, reconcile.Func(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		defer reconciled.Add(1)
		return r.Reconcile(ctx, req)
	}))).To(Succeed())
	ctx, cancel := context.WithCancel(suiteCtx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			t.Errorf("manager of %s stopped: %v", ns, err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return reconciled
}

// TestRegisteredKindIsRenderedWatchedAndPruned: a kind registered by a test, with no
// edit outside its file, is rendered, written when its object appears, put back when
// its field is removed, and released when the allowlist no longer names it.
func TestRegisteredKindIsRenderedWatchedAndPruned(t *testing.T) {
	RegisterTestingT(t)
	t.Cleanup(render.RegisterTargetKind(configMapKind{}))
	ctx := context.Background()
	ns := newNamespace(t)
	al := &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cm"},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector:    metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Vendors:        []v1alpha1.VendorSelection{{Name: "threobuilder", Ports: []v1alpha1.Port{{Protocol: v1alpha1.ProtocolTCP, Port: 8443}}}},
			IngressTargets: []v1alpha1.IngressTarget{{Service: &v1alpha1.ServiceTarget{Name: "settings"}}},
		},
	}

	// Rendered: the renderer asks the registered kind.
	plan, err := render.Compile(al, catalog.Builtin(), render.Options{})
	Expect(err).NotTo(HaveOccurred())
	targets := plan.Build(render.Resolved{}).Targets
	Expect(targets).To(HaveLen(1))
	Expect(targets[0].Kind).To(Equal(configMapTarget))
	Expect(targets[0].Objects).To(HaveLen(1))
	rendered := targets[0].Objects[0].Object
	Expect(rendered.GetKind()).To(Equal("ConfigMap"))
	want, _, _ := unstructured.NestedString(rendered.Object, "data", configMapKey("cm"))
	Expect(want).To(ContainSubstring("87.236.195.76/32"))

	reconciled := startTargetManager(t, ns, configMapTarget)
	Expect(k8s.Create(ctx, al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)
	cmKey := client.ObjectKey{Namespace: ns, Name: "settings"}
	data := func(g Gomega) map[string]string {
		var cm corev1.ConfigMap
		g.Expect(k8s.Get(ctx, cmKey, &cm)).To(Succeed())
		return cm.Data
	}

	// Watched: the ConfigMap appears after the allowlist was reconciled without it;
	// its creation alone brings the reconcile that writes into it.
	Eventually(reconciled.Load, timeout, poll).Should(BeNumerically(">", 0))
	Expect(k8s.Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "settings", Annotations: map[string]string{v1alpha1.AllowAllowlistsAnnotation: "cm"}},
		Data:       map[string]string{"theirs": "kept"},
	})).To(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(data(g)).To(Equal(map[string]string{"theirs": "kept", configMapKey("cm"): want}))
	}, timeout, poll).Should(Succeed())

	// Put back: the key removed by someone else is written again.
	Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var cm corev1.ConfigMap
		if err := k8s.Get(ctx, cmKey, &cm); err != nil {
			return err
		}
		delete(cm.Data, configMapKey("cm"))
		return k8s.Update(ctx, &cm)
	})).To(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(data(g)).To(HaveKeyWithValue(configMapKey("cm"), want))
	}, timeout, poll).Should(Succeed())

	// Pruned: the target removed, the allowlist's key is released, the user's
	// ConfigMap and its other keys stay.
	updateAllowlist(t, ctx, key, al, func() { al.Spec.IngressTargets = nil })
	Eventually(func(g Gomega) {
		g.Expect(data(g)).To(Equal(map[string]string{"theirs": "kept"}))
	}, timeout, poll).Should(Succeed())
}
