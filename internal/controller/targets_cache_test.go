/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// namesFrom is a TargetNames that answers from a client holding allowlists, indexed
// as the manager's cache indexes them.
func namesFrom(t *testing.T, allowlists ...client.Object) *TargetNames {
	t.Helper()
	sch := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(sch); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(sch); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(sch).
		WithIndex(&v1alpha1.VendorAllowlist{}, targetObjectIndex, targetObjectKeys).
		WithObjects(allowlists...).Build()
	names := &TargetNames{}
	names.Use(c)
	return names
}

func namingService(ns, name, service string) *v1alpha1.VendorAllowlist {
	return &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha1.VendorAllowlistSpec{IngressTargets: []v1alpha1.IngressTarget{{Service: &v1alpha1.ServiceTarget{Name: v1alpha1.ServiceName(service)}}}},
	}
}

// userService is a Service as its owner's tools leave it: labels, annotations (the
// owner's consent among them), managed fields, a spec and a status.
func userService(ns, name string, managers ...string) *corev1.Service {
	svc := &corev1.Service{
		TypeMeta: metav1.TypeMeta{Kind: "Service", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID("uid-" + name), ResourceVersion: "42", Generation: 1,
			Labels:      map[string]string{"app.kubernetes.io/name": name},
			Annotations: map[string]string{v1alpha1.AllowAllowlistsAnnotation: "*", "kubectl.kubernetes.io/last-applied-configuration": `{"kind":"Service"}`},
		},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{{Port: 443}}, Selector: map[string]string{"app": name}},
	}
	for _, m := range append([]string{"kubectl-client-side-apply"}, managers...) {
		svc.ManagedFields = append(svc.ManagedFields, metav1.ManagedFieldsEntry{Manager: m, Operation: metav1.ManagedFieldsOperationUpdate,
			APIVersion: "v1", FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:ports":{}}}`)}})
	}
	return svc
}

func transformService(t *testing.T, names *TargetNames, svc *corev1.Service) *corev1.Service {
	t.Helper()
	out, err := userObjectTransform("Service", names)(svc)
	if err != nil {
		t.Fatal(err)
	}
	return out.(*corev1.Service)
}

// Of the Services no allowlist names or holds a field of, the cache keeps the key and
// the resource version alone; the others it keeps as a target reads them.
func TestUserObjectTransformStubsServicesNoAllowlistNeeds(t *testing.T) {
	names := namesFrom(t, namingService("team", "partner", "web"))

	other := transformService(t, names, userService("team", "other"))
	if !isCacheStub(other) {
		t.Fatalf("a Service no allowlist names is cached whole: %+v", other)
	}
	if other.Name != "other" || other.Namespace != "team" || other.UID != "uid-other" || other.ResourceVersion != "42" {
		t.Errorf("the stub lost the Service's identity: %+v", other.ObjectMeta)
	}
	if len(other.Labels) > 0 || len(other.Annotations) != 1 || len(other.ManagedFields) > 0 || other.Spec.Type != "" {
		t.Errorf("the stub keeps more than the Service's identity: %+v", other)
	}
	// Named in another namespace: not this one.
	if elsewhere := transformService(t, names, userService("other-team", "web")); !isCacheStub(elsewhere) {
		t.Errorf("a Service named by an allowlist of another namespace is cached whole")
	}

	for _, tc := range []struct {
		why string
		svc *corev1.Service
	}{
		{"named by an allowlist", userService("team", "web")},
		{"holding a field an allowlist set", userService("team", "released", v1alpha1.TargetFieldManager("gone"))},
	} {
		got := transformService(t, names, tc.svc)
		if isCacheStub(got) || got.Spec.Type != corev1.ServiceTypeLoadBalancer || len(got.ManagedFields) != len(tc.svc.ManagedFields) ||
			got.Annotations[v1alpha1.AllowAllowlistsAnnotation] != "*" {
			t.Errorf("a Service %s is not cached as a target reads it: %+v", tc.why, got)
		}
	}
}

// A stub is never read as the object and the object never as a stub: the stub's mark
// is the process's own, so one planted on the stored object is dropped, and a stub
// the transform sees again (a streaming list runs it twice) stays a stub even once
// the Service is named; only the API server's copy brings it in whole.
func TestUserObjectTransformStubMarkCannotBeForged(t *testing.T) {
	names := namesFrom(t, namingService("team", "partner", "web"))

	planted := userService("team", "web")
	planted.Annotations[CacheStubAnnotation] = "guess"
	got := transformService(t, names, planted)
	if isCacheStub(got) {
		t.Fatal("a Service with a planted stub mark is read as a stub")
	}
	if _, ok := got.Annotations[CacheStubAnnotation]; ok {
		t.Errorf("the planted stub mark is kept: %v", got.Annotations)
	}
	plantedUnnamed := userService("team", "other")
	plantedUnnamed.Annotations[CacheStubAnnotation] = "guess"
	if got := transformService(t, names, plantedUnnamed); !isCacheStub(got) || len(got.Annotations) != 1 {
		t.Errorf("an unnamed Service with a planted mark is cached as %+v, want the cache's own stub", got.ObjectMeta)
	}

	stub := transformService(t, names, userService("team", "other"))
	namedNow := namesFrom(t, namingService("team", "partner", "other"))
	if again := transformService(t, namedNow, stub); !isCacheStub(again) {
		t.Errorf("a stub seen again is taken for the Service: %+v", again)
	}
	if whole := transformService(t, namedNow, userService("team", "other")); isCacheStub(whole) {
		t.Error("the Service, once named, is still cached as a stub")
	}
}

// Until the cache can say which Services are named, every Service is cached whole,
// as before stubs; an Ingress is stubbed as a Service is.
func TestUserObjectTransformKeepsWholeWhenNamesAreUnknown(t *testing.T) {
	if got := transformService(t, &TargetNames{}, userService("team", "other")); isCacheStub(got) {
		t.Error("a Service is stubbed before the allowlists can be read")
	}
	failing := &TargetNames{}
	failing.Use(failingReader{})
	if got := transformService(t, failing, userService("team", "other")); isCacheStub(got) {
		t.Error("a Service is stubbed when the allowlists cannot be read")
	}

	names := namesFrom(t)
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "web", Annotations: map[string]string{"a": "b"}}}
	out, err := userObjectTransform("Ingress", names)(ing)
	if err != nil {
		t.Fatal(err)
	}
	if stub, ok := out.(*networkingv1.Ingress); !ok || !isCacheStub(stub) || stub.Annotations["a"] != "" {
		t.Errorf("an Ingress no allowlist names is cached as %+v", out)
	}
	if out, _ := userObjectTransform("Service", names)("a tombstone"); out != "a tombstone" {
		t.Errorf("a tombstone is transformed into %v", out)
	}
}

type failingReader struct{ client.Reader }

func (failingReader) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return errors.New("the cache has stopped")
}

// liveReads counts the reads that reach the API server.
type liveReads struct {
	client.Reader
	gets int
}

func (l *liveReads) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	l.gets++
	return l.Reader.Get(ctx, key, obj, opts...)
}

// A Service an allowlist names stays a stub in the cache until its next event, which
// may never come (its owner never consents, so nothing writes to it). It is read from
// the API server once per version, not on every reconcile of the allowlists naming
// it, and what the reconciles get is the object, not the stub.
func TestStubbedServiceIsReadLiveOncePerVersion(t *testing.T) {
	ctx := t.Context()
	svc := userService("team", "web")
	stub := stubOf(svc).(*corev1.Service)
	cache := fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).WithObjects(stub).Build()
	live := &liveReads{Reader: fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).WithObjects(svc.DeepCopy()).Build()}
	r := &VendorAllowlistReconciler{Client: cache, APIReader: live}
	serviceKind := corev1.SchemeGroupVersion.WithKind("Service")
	key := client.ObjectKeyFromObject(svc)

	read := func() *corev1.Service {
		t.Helper()
		o, err := r.targetUserObject(ctx, serviceKind, key)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := o.(*corev1.Service)
		if !ok || isCacheStub(got) || got.Spec.Type != corev1.ServiceTypeLoadBalancer ||
			got.Annotations[v1alpha1.AllowAllowlistsAnnotation] != "*" || got.UID != svc.UID {
			t.Fatalf("read %#v; want the Service as the API server holds it", o)
		}
		return got
	}
	for range 3 {
		read().Annotations[v1alpha1.AllowAllowlistsAnnotation] = "changed by a caller"
	}
	if live.gets != 1 {
		t.Errorf("three reconciles read the stubbed Service live %d times, want once", live.gets)
	}

	// The Service changes: its next event brings a stub of the new version (were it
	// still unnamed), and the copy kept for the old one no longer answers.
	store := live.Reader.(client.Client)
	current := &corev1.Service{}
	if err := store.Get(ctx, key, current); err != nil {
		t.Fatal(err)
	}
	current.Spec.LoadBalancerSourceRanges = []string{"198.51.100.0/24"}
	if err := store.Update(ctx, current); err != nil {
		t.Fatal(err)
	}
	if current.ResourceVersion == svc.ResourceVersion {
		t.Fatalf("the update kept resource version %s", current.ResourceVersion)
	}
	cached := &corev1.Service{}
	if err := cache.Get(ctx, key, cached); err != nil {
		t.Fatal(err)
	}
	newStub := stubOf(current).(*corev1.Service)
	newStub.ResourceVersion = cached.ResourceVersion // the fake cache keeps its own versions
	if err := cache.Update(ctx, newStub); err != nil {
		t.Fatal(err)
	}
	if newStub.ResourceVersion != current.ResourceVersion {
		t.Fatalf("the cache's stub is at version %s, the Service at %s: the fakes no longer count alike", newStub.ResourceVersion, current.ResourceVersion)
	}
	if got := read(); len(got.Spec.LoadBalancerSourceRanges) != 1 || live.gets != 2 {
		t.Errorf("after the Service changed: source ranges %v, %d live reads in all; want the new ranges, 2",
			got.Spec.LoadBalancerSourceRanges, live.gets)
	}
}
