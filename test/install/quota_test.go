/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package install

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

const allowlistCount corev1.ResourceName = "count/vendorallowlists.networking.vendorallowlist.io"

// TestQuotaValueCapsAllowlistsPerNamespace: tenancy.quota renders a ResourceQuota on
// VendorAllowlists in each namespace listed, none by default, and the API server
// refuses the allowlist past the count, in that namespace only.
func TestQuotaValueCapsAllowlistsPerNamespace(t *testing.T) {
	if n := len(helmTemplate(t, "vao-defaults").ofKind("ResourceQuota")); n != 0 {
		t.Errorf("the default values render %d ResourceQuotas, want none", n)
	}
	full, limited := "vao-quota-full", "vao-quota-room"
	values := writeFile(t, t.TempDir(), "quota.yaml", fmt.Appendf(nil, "tenancy:\n  quota: {count: 3, namespaces: [%s, %s]}\n", full, limited))
	quotas := helmTemplate(t, "vao-quota", values).ofKind("ResourceQuota")
	if len(quotas) != 2 {
		t.Fatalf("rendered %d ResourceQuotas, want one in each of %s and %s", len(quotas), full, limited)
	}
	for _, q := range quotas {
		var rq corev1.ResourceQuota
		convert(t, q, &rq)
		if got := rq.Spec.Hard[allowlistCount]; got.String() != "3" {
			t.Errorf("ResourceQuota %s/%s: hard %v, want %s: 3", rq.Namespace, rq.Name, rq.Spec.Hard, allowlistCount)
		}
	}
	applyObjects(t, quotas...)
	t.Cleanup(func() { deleteObjects(t, quotas...) })

	env, _ := controlPlane(t)
	admin, err := client.New(env.Config, client.Options{Scheme: testenv.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// kube-controller-manager's quota controller writes a new quota's usage, which the
	// admission plugin needs before it admits anything; envtest runs no controller
	// manager, so the test writes the usage of empty namespaces. From then on the API
	// server's admission counts what it admits.
	for _, q := range quotas {
		var rq corev1.ResourceQuota
		if err := admin.Get(ctx, client.ObjectKeyFromObject(q), &rq); err != nil {
			t.Fatal(err)
		}
		rq.Status = corev1.ResourceQuotaStatus{Hard: rq.Spec.Hard, Used: corev1.ResourceList{allowlistCount: resource.MustParse("0")}}
		if err := admin.Status().Update(ctx, &rq); err != nil {
			t.Fatal(err)
		}
	}
	create := func(ns, name string) error {
		a := &v1alpha1.VendorAllowlist{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: v1alpha1.VendorAllowlistSpec{
				PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
				Vendors:     []v1alpha1.VendorSelection{{Name: "freshchat", Endpoints: []v1alpha1.ObjectName{"webhooks"}, Ports: []v1alpha1.Port{{Port: 443}}}},
			},
		}
		err := admin.Create(ctx, a)
		if err == nil {
			t.Cleanup(func() { _ = admin.Delete(context.Background(), a) })
		}
		return err
	}
	for i := range 3 {
		if err := create(full, fmt.Sprintf("allowed-%d", i)); err != nil {
			t.Fatalf("allowlist %d of 3 refused: %v", i+1, err)
		}
	}
	err = create(full, "one-too-many")
	if err == nil {
		t.Fatalf("the 4th allowlist in %s was admitted past a quota of 3", full)
	}
	for _, want := range []string{"exceeded quota: " + quotas[0].GetName(), string(allowlistCount) + "=1", "limited: " + string(allowlistCount) + "=3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the 4th allowlist was refused with %q; want it to say %q", err, want)
		}
	}
	t.Logf("the 4th allowlist: %v", err)
	if err := create(limited, "own-count"); err != nil {
		t.Errorf("%s's quota is its own, but its first allowlist was refused: %v", limited, err)
	}
}
