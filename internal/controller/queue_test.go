/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/event"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// reconcileLog records which allowlists a manager reconciled; reconciles of the
// allowlists named busy take a while, as real ones do on a loaded cluster.
type reconcileLog struct {
	busy map[types.NamespacedName]bool
	mu   sync.Mutex
	seen map[types.NamespacedName]bool
}

func (l *reconcileLog) Reconcile(_ context.Context, req reconcile.Request) (reconcile.Result, error) {
	if l.busy[req.NamespacedName] {
		time.Sleep(5 * time.Millisecond)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen[req.NamespacedName] = true
	return reconcile.Result{}, nil
}

func (l *reconcileLog) missing(keys []types.NamespacedName) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, k := range keys {
		if !l.seen[k] {
			out = append(out, k.Name)
		}
	}
	return out
}

// A manager that starts with allowlists in place gets them from the informer's initial
// list, which controller-runtime's priority queue files below every other event. DNS
// answers that keep moving (short TTLs, many hostnames, more than the workers can keep
// up with) must not keep those allowlists waiting: seen by a user, an allowlist created
// just before an operator restart that never gets its policies.
func TestAddressChangesDoNotStarveAllowlistsListedAtStart(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	var listed []types.NamespacedName
	for i := range 10 {
		a := workatoAllowlist(ns, fmt.Sprintf("listed-%d", i))
		if err := k8s.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
		listed = append(listed, client.ObjectKeyFromObject(a))
	}
	busy := map[types.NamespacedName]bool{}
	for i := range 4 {
		busy[types.NamespacedName{Namespace: ns, Name: fmt.Sprintf("busy-%d", i)}] = true
	}

	mgr, err := ctrl.NewManager(k8sConfig, ctrl.Options{
		Scheme:     testenv.Scheme(),
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Cache:      CacheOptions([]string{ns}),
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	changes := make(chan event.GenericEvent)
	r := &VendorAllowlistReconciler{Client: mgr.GetClient(), AddressChanges: changes, Workers: 1}
	log := &reconcileLog{busy: busy, seen: map[types.NamespacedName]bool{}}
	if err := r.setup(mgr, log); err != nil {
		t.Fatal(err)
	}
	mgrCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stop()
	wg.Go(func() {
		if err := mgr.Start(mgrCtx); err != nil {
			t.Errorf("manager: %v", err)
		}
	})
	// The address source tells of changes to the busy allowlists without pause.
	wg.Go(func() {
		for {
			for key := range busy {
				obj := &v1alpha1.VendorAllowlist{}
				obj.Namespace, obj.Name = key.Namespace, key.Name
				select {
				case changes <- event.GenericEvent{Object: obj}:
				case <-mgrCtx.Done():
					return
				}
			}
		}
	})

	deadline := time.Now().Add(timeout)
	for missing := log.missing(listed); len(missing) > 0; missing = log.missing(listed) {
		if time.Now().After(deadline) {
			t.Fatalf("after %v of address changes, these allowlists present at start were never reconciled: %v", timeout, missing)
		}
		time.Sleep(poll)
	}
}
