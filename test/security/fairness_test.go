/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package security

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/manager"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testmanager"
)

// freshchatWebhooks opens Freshchat's EU webhook addresses, published in the catalog:
// no DNS involved, so the time to Ready is the operator's alone.
func freshchatWebhooks(ns, name string) *v1alpha1.VendorAllowlist {
	return &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: selector("chat"),
			Vendors: []v1alpha1.VendorSelection{{
				Name: "freshchat", Endpoints: []v1alpha1.ObjectName{"webhooks"}, Regions: []v1alpha1.Region{"EU"}, Ports: ports(443),
			}},
		},
	}
}

// Attack: starving other namespaces. A tenant creates allowlists by the thousand in
// its own namespace, as fast as the API server takes them. Every reconcile spends the
// operator's one API budget (--kube-api-qps), so in a queue served in arrival order an
// allowlist created next in another namespace waits for the whole backlog (54s in the
// report, 1.6s unloaded). Namespaces take turns in the queue: it must be Ready within
// 10s, on the manager's default workers and API budget.
func TestAllowlistFloodInOneNamespaceDoesNotDelayAnother(t *testing.T) {
	const (
		flood     = 1000
		creators  = 16
		bound     = 10 * time.Second
		startNext = flood / 2 // the other namespace's allowlist comes in mid-flood
	)
	ctx := context.Background()
	flooded, quiet := newNamespace(t, "flood"), newNamespace(t, "quiet")
	defaults := testmanager.Options(t)
	t.Cleanup(func() { cleanUpFlood(t, flooded) }) // after the manager stops
	startManager(t, testdns.Start(t), []string{flooded, quiet}, func(o *manager.Options) {
		o.QPS, o.Burst, o.Workers = defaults.QPS, defaults.Burst, defaults.Workers
	})
	t.Logf("manager: %d workers, API budget %v QPS, burst %d (the binary's defaults)", defaults.Workers, defaults.QPS, defaults.Burst)
	// Before the flood: the manager is up, and an allowlist takes what it takes unloaded.
	warm := freshchatWebhooks(quiet, "before-flood")
	start := time.Now()
	if err := k8s.Create(ctx, warm); err != nil {
		t.Fatal(err)
	}
	waitCondition(t, client.ObjectKeyFromObject(warm), metav1.ConditionTrue, v1alpha1.ReasonReconciled, timeout)
	t.Logf("before the flood, just after the manager started: Ready %v after creation", time.Since(start).Round(10*time.Millisecond))

	// The flood comes from a tenant bound to the shipped edit role alone, under the
	// shipped admission policy; its client is not the bottleneck: the API server
	// takes what it sends.
	attacker := testenv.InstallShippedTenancy(t, env.Config, k8s).TenantWith(t, flooded, "mallory", 5000, 5000)
	var created atomic.Int64
	var wg sync.WaitGroup
	floodStart := time.Now()
	for c := range creators {
		wg.Go(func() {
			for i := c; i < flood; i += creators {
				if err := attacker.Create(ctx, freshchatWebhooks(flooded, fmt.Sprintf("flood-%04d", i))); err != nil {
					t.Errorf("creating flood-%04d: %v", i, err)
					return
				}
				created.Add(1)
			}
		})
	}
	for created.Load() < startNext && time.Since(floodStart) < time.Minute {
		time.Sleep(10 * time.Millisecond)
	}
	victim := freshchatWebhooks(quiet, "during-flood")
	createdAt := time.Now()
	if err := k8s.Create(ctx, victim); err != nil {
		t.Fatal(err)
	}
	t.Logf("created %s with %d of the other namespace's %d allowlists created (%v into the flood)",
		victim.Name, created.Load(), flood, createdAt.Sub(floodStart).Round(10*time.Millisecond))
	readyAfter, ok := timeToReady(client.ObjectKeyFromObject(victim), createdAt, 90*time.Second)
	backlog := notReady(t, flooded)
	wg.Wait()
	t.Logf("the flood's %d allowlists were created in %v", flood, time.Since(floodStart).Round(10*time.Millisecond))
	if t.Failed() {
		return
	}
	if !ok {
		t.Fatalf("%s/%s was not Ready 90s after its creation, during another namespace's flood", quiet, victim.Name)
	}
	t.Logf("during the flood: %s Ready %v after creation, with %d of the flood's allowlists not Ready yet", victim.Name, readyAfter.Round(10*time.Millisecond), backlog)
	if backlog == 0 {
		t.Fatalf("the manager had reconciled the whole flood by the time %s was Ready: nothing was ahead of it, so the test shows nothing; flood more", victim.Name)
	}
	if readyAfter > bound {
		t.Fatalf("%s/%s took %v to become Ready while namespace %s was flooded with %d allowlists; want at most %v",
			quiet, victim.Name, readyAfter.Round(10*time.Millisecond), flooded, flood, bound)
	}
}

// timeToReady polls the allowlist until its current generation is Ready, and says
// how long after since that was.
func timeToReady(key types.NamespacedName, since time.Time, within time.Duration) (time.Duration, bool) {
	for time.Since(since) < within {
		var a v1alpha1.VendorAllowlist
		if err := k8s.Get(context.Background(), key, &a); err == nil {
			if c := meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady); c != nil &&
				c.Status == metav1.ConditionTrue && c.ObservedGeneration == a.Generation {
				return time.Since(since), true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return 0, false
}

// notReady counts the allowlists in ns that are not Ready yet.
func notReady(t *testing.T, ns string) int {
	t.Helper()
	var list v1alpha1.VendorAllowlistList
	if err := k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range list.Items {
		if !meta.IsStatusConditionTrue(a.Status.Conditions, v1alpha1.ConditionReady) {
			n++
		}
	}
	return n
}

// cleanUpFlood deletes the flood's allowlists and policies (envtest runs no garbage
// collector), so that later tests in the package share an API server at rest.
func cleanUpFlood(t *testing.T, ns string) {
	t.Helper()
	ctx := context.Background()
	if err := k8s.DeleteAllOf(ctx, &v1alpha1.VendorAllowlist{}, client.InNamespace(ns)); err != nil {
		t.Errorf("deleting the flood's allowlists: %v", err)
	}
	if err := k8s.DeleteAllOf(ctx, &networkingv1.NetworkPolicy{}, client.InNamespace(ns)); err != nil {
		t.Errorf("deleting the flood's policies: %v", err)
	}
}
