/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// ShippedTenancy is what the kustomize install ships for tenants, applied for real to
// a control plane: the tenancy ValidatingAdmissionPolicy with its binding and
// ConfigMap, and the ClusterRoles for users (vendorallowlist-view/edit/admin/custom).
// It is read from dist/install.yaml, which `make build-installer` (a step of `make
// test`) writes from config/, so a test judges exactly what a user installs.
type ShippedTenancy struct {
	admin      client.Client
	cfg        *rest.Config
	rolePrefix string
}

// InstallShippedTenancy applies the shipped tenancy objects with the test cluster's
// ranges (ClusterCIDRs) in the ConfigMap, waits until the admission policy enforces
// its own parameters, and removes them when the test ends, waiting until no policy
// refuses any more (so that later tests, which write allowlists beyond the limits as
// the admin to test the renderer, are not refused).
func InstallShippedTenancy(t testing.TB, cfg *rest.Config, admin client.Client) *ShippedTenancy {
	t.Helper()
	objs, err := shippedTenancyObjects()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var policy string
	suffix := TenancySuffix()
	for _, o := range objs {
		RenameTenancyObject(o, suffix)
		switch o.GetKind() {
		case "ConfigMap":
			cidrs := make([]string, len(ClusterCIDRs))
			for i, p := range ClusterCIDRs {
				cidrs[i] = p.String()
			}
			_ = unstructured.SetNestedField(o.Object, strings.Join(cidrs, ","), "data", "cluster-cidr")
		case "ValidatingAdmissionPolicy":
			policy = o.GetName()
		}
		if ns := o.GetNamespace(); ns != "" {
			if err := admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatalf("creating namespace %s: %v", ns, err)
			}
		}
	}
	for _, o := range objs {
		if err := admin.Patch(ctx, o.DeepCopy(), client.Apply, client.FieldOwner("shipped-tenancy-test"), client.ForceOwnership); err != nil {
			t.Fatalf("applying %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
	probe := func() error {
		a := &v1alpha1.VendorAllowlist{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "tenancy-probe"},
			Spec: v1alpha1.VendorAllowlistSpec{
				PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "probe"}},
				Custom: []v1alpha1.CustomEntry{{Name: "probe", Direction: v1alpha1.DirectionEgress,
					CIDRs: []v1alpha1.CIDR{"8.8.0.0/23"}, Ports: []v1alpha1.Port{{Protocol: v1alpha1.ProtocolTCP, Port: 443}}}},
			},
		}
		return admin.Create(ctx, a, client.DryRunAll)
	}
	t.Cleanup(func() {
		// The binding first: without its ConfigMap, a bound policy refuses everything.
		for _, kind := range []string{"ValidatingAdmissionPolicyBinding", "ValidatingAdmissionPolicy", "ConfigMap", "ClusterRole"} {
			for _, o := range objs {
				if o.GetKind() == kind {
					if err := admin.Delete(ctx, o.DeepCopy()); client.IgnoreNotFound(err) != nil {
						t.Errorf("removing %s %s: %v", kind, o.GetName(), err)
					}
				}
			}
		}
		waitFor(t, "no admission policy after removing "+policy, func() error {
			if err := probe(); err != nil {
				return fmt.Errorf("still refused: %v", err)
			}
			return nil
		})
	})
	waitFor(t, "admission policy "+policy+" enforcing its parameters", func() error {
		err := probe()
		if err == nil || !strings.Contains(err.Error(), "'"+policy+"'") || !strings.Contains(err.Error(), "broader than /24") {
			return fmt.Errorf("probe got %v", err)
		}
		return nil
	})
	return &ShippedTenancy{admin: admin, cfg: cfg, rolePrefix: "vendor-allowlist-operator-"}
}

// Tenant binds user to the shipped vendorallowlist-edit ClusterRole in namespace, and
// nothing else, and returns a client that impersonates the user (as an authenticated
// user, as a real one is). It checks the grant: the user may write VendorAllowlists
// and nothing the operator writes for them.
func (s *ShippedTenancy) Tenant(t testing.TB, namespace, user string) client.Client {
	t.Helper()
	return s.TenantWith(t, namespace, user, s.cfg.QPS, s.cfg.Burst)
}

// TenantWith is Tenant with the client's own rate limit: a tenant flooding the API
// server is limited by the server, not by a client it could configure at will.
func (s *ShippedTenancy) TenantWith(t testing.TB, namespace, user string, qps float32, burst int) client.Client {
	t.Helper()
	ctx := context.Background()
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: user + "-vendorallowlist-edit"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: s.rolePrefix + "vendorallowlist-edit"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	}
	if err := s.admin.Create(ctx, binding); err != nil {
		t.Fatalf("binding %s to the shipped edit role: %v", user, err)
	}
	cfg := rest.CopyConfig(s.cfg)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: []string{"system:authenticated"}}
	cfg.QPS, cfg.Burst = qps, burst
	c, err := client.New(cfg, client.Options{Scheme: Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, user+" may list VendorAllowlists in "+namespace, func() error {
		return c.List(ctx, &v1alpha1.VendorAllowlistList{}, client.InNamespace(namespace))
	})
	for _, probe := range []client.Object{
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "grant-probe"}},
		&networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "grant-probe"}},
		&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "grant-probe"}},
	} {
		if err := c.Create(ctx, probe, client.DryRunAll); !apierrors.IsForbidden(err) {
			t.Fatalf("the shipped edit role lets %s create a %T (%v): the tenant is not what the test says", user, probe, err)
		}
	}
	// Nor can the tenant give itself the admin's consent to ingress targets, an
	// annotation of its Namespace.
	consent := []byte(`{"metadata":{"annotations":{"` + v1alpha1.NamespaceIngressTargetsAnnotation + `":"service"}}}`)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if err := c.Patch(ctx, ns, client.RawPatch(types.MergePatchType, consent), client.DryRunAll); !apierrors.IsForbidden(err) {
		t.Fatalf("the shipped edit role lets %s annotate Namespace %s (%v): the tenant is not what the test says", user, namespace, err)
	}
	return c
}

// shippedTenancyObjects reads the tenancy objects from dist/install.yaml.
func shippedTenancyObjects() ([]*unstructured.Unstructured, error) {
	path := filepath.Join(RepoRoot(), "dist", "install.yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the kustomize install (%w): run `make build-installer` (a step of `make test`)", err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	var out []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		switch kind, name := u.GetKind(), u.GetName(); {
		case kind == "ValidatingAdmissionPolicy", kind == "ValidatingAdmissionPolicyBinding",
			kind == "ConfigMap" && strings.HasSuffix(name, "tenancy"),
			kind == "ClusterRole" && strings.Contains(name, "-vendorallowlist-"):
			out = append(out, u)
		}
	}
	if len(out) < 7 {
		return nil, fmt.Errorf("%s holds %d tenancy objects, want the admission policy, its binding and ConfigMap and four user roles: rebuild it with `make build-installer`", path, len(out))
	}
	return out, nil
}

var tenancyInstalls atomic.Int64

// TenancySuffix is a suffix of its own for one install of the tenancy admission
// policy in a test process (see RenameTenancyObject).
func TenancySuffix() string { return fmt.Sprintf("-t%d", tenancyInstalls.Add(1)) }

// RenameTenancyObject appends suffix to the names of the tenancy admission policy,
// its binding and its ConfigMap, and to the binding's references to them; other
// objects are left as they are. Tests install and remove the policy again and again
// against one API server, and it does not always enforce a policy deleted and created
// again under the same names together with its parameters
// (kubernetes/kubernetes#133827): each install gets names of its own.
func RenameTenancyObject(o *unstructured.Unstructured, suffix string) {
	switch kind, name := o.GetKind(), o.GetName(); {
	case kind == "ValidatingAdmissionPolicy", kind == "ConfigMap" && strings.HasSuffix(name, "tenancy"):
		o.SetName(name + suffix)
	case kind == "ValidatingAdmissionPolicyBinding":
		o.SetName(name + suffix)
		if policy, ok, _ := unstructured.NestedString(o.Object, "spec", "policyName"); ok {
			_ = unstructured.SetNestedField(o.Object, policy+suffix, "spec", "policyName")
		}
		if param, ok, _ := unstructured.NestedString(o.Object, "spec", "paramRef", "name"); ok {
			_ = unstructured.SetNestedField(o.Object, param+suffix, "spec", "paramRef", "name")
		}
	}
}

func waitFor(t testing.TB, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
