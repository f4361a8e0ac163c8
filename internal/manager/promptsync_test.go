/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package manager

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// configMapInformer is client-go's informer over a list of n ConfigMaps and a watch
// that sends nothing; the list answers once release is closed.
func configMapInformer(n int, release <-chan struct{}) toolscache.SharedIndexInformer {
	lw := &toolscache.ListWatch{
		ListFunc: func(metav1.ListOptions) (runtime.Object, error) {
			<-release
			list := &corev1.ConfigMapList{ListMeta: metav1.ListMeta{ResourceVersion: "1"}}
			for i := range n {
				list.Items = append(list.Items, corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
					Name: fmt.Sprintf("cm-%d", i), Namespace: "default", ResourceVersion: "1"}})
			}
			return list, nil
		},
		WatchFunc: func(metav1.ListOptions) (watch.Interface, error) { return watch.NewFake(), nil },
	}
	return toolscache.NewSharedIndexInformer(toolscache.ToListWatcherWithWatchListSemantics(lw, listsOnly{}), &corev1.ConfigMap{}, 0, toolscache.Indexers{})
}

// listsOnly tells the reflector to list, not to ask the watch for the list (the fake
// watch would never send it).
type listsOnly struct{}

func (listsOnly) IsWatchListSemanticsUnSupported() bool { return true }

// slowCounter counts Adds, each taking a millisecond, as a handler that enqueues
// with some work would: a thousand items are a second's delivery.
type slowCounter struct{ adds atomic.Int64 }

func (c *slowCounter) OnAdd(any, bool) {
	time.Sleep(time.Millisecond)
	c.adds.Add(1)
}
func (c *slowCounter) OnUpdate(any, any) {}
func (c *slowCounter) OnDelete(any)      {}

func TestHandlerAddedToASyncedInformerHasItsItemsOnReturn(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	released := make(chan struct{})
	close(released)
	inf := configMapInformer(300, released)
	go inf.Run(ctx.Done())
	if !toolscache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		t.Fatal("the informer did not sync")
	}

	var h slowCounter
	reg, err := promptInformer{Informer: inf}.AddEventHandlerWithOptions(&h, toolscache.HandlerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// controller-runtime's source looks once, then 100 ms later: the handler must have
	// its 300 items (300 ms of delivery) at the first look.
	if !reg.HasSynced() || h.adds.Load() != 300 {
		t.Errorf("on return: registration synced %v, %d of 300 items delivered; want synced, all", reg.HasSynced(), h.adds.Load())
	}
}

func TestHandlerAddedBeforeTheInformerSyncsIsNotWaitedFor(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	release := make(chan struct{})
	inf := configMapInformer(3, release)
	go inf.Run(ctx.Done())

	var h slowCounter
	done := make(chan error, 1)
	go func() {
		_, err := promptInformer{Informer: inf}.AddEventHandler(&h)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(handlerDeliveryWait / 2):
		t.Fatal("adding a handler to an informer that has not synced waited for it")
	}
	close(release)
}

// fakeCache is a cache.Cache that hands out one informer and whose own wait says
// synced at once, as controller-runtime's does once its informers have synced.
type fakeCache struct {
	cache.Cache
	inf     cache.Informer
	waited  atomic.Int64
	indexed atomic.Int64
}

func (f *fakeCache) GetInformer(context.Context, client.Object, ...cache.InformerGetOption) (cache.Informer, error) {
	return f.inf, nil
}

func (f *fakeCache) IndexField(context.Context, client.Object, string, client.IndexerFunc) error {
	f.indexed.Add(1)
	return nil
}

func (f *fakeCache) WaitForCacheSync(context.Context) bool {
	f.waited.Add(1)
	return true
}

// promptCacheOfOneInformer is a promptCache over a fakeCache of the informer of n
// ConfigMaps listed once release is closed.
func promptCacheOfOneInformer(n int, release <-chan struct{}) (toolscache.SharedIndexInformer, *fakeCache, *promptCache) {
	inf := configMapInformer(n, release)
	fc := &fakeCache{inf: inf}
	return inf, fc, &promptCache{Cache: fc}
}

func TestCacheWaitEndsWhenItsInformersSync(t *testing.T) {
	ctx := t.Context()
	release := make(chan struct{})
	inf, fc, c := promptCacheOfOneInformer(3, release)
	if _, err := c.GetInformer(ctx, &corev1.ConfigMap{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetInformer(ctx, &corev1.ConfigMap{}); err != nil {
		t.Fatal(err)
	}
	if len(c.informers) != 1 {
		t.Errorf("the same informer handed out twice is remembered %d times, want once", len(c.informers))
	}
	go inf.Run(ctx.Done())

	// Not synced: a cancelled wait says so, without asking the cache.
	short, cancelShort := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancelShort()
	if c.WaitForCacheSync(short) {
		t.Fatal("WaitForCacheSync said synced before the informer listed")
	}
	if n := fc.waited.Load(); n != 0 {
		t.Errorf("the cache's own wait was asked %d times before the informer synced", n)
	}

	close(release)
	start := time.Now()
	if !c.WaitForCacheSync(ctx) {
		t.Fatal("WaitForCacheSync said not synced")
	}
	if !inf.HasSynced() || fc.waited.Load() != 1 {
		t.Errorf("after the wait: informer synced %v, cache's own wait asked %d times; want synced, once", inf.HasSynced(), fc.waited.Load())
	}
	t.Logf("synced %v after the list was released", time.Since(start))
}

func TestCacheWaitSkipsAStoppedInformer(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	never := make(chan struct{}) // its list never answers: it never syncs
	inf := configMapInformer(3, never)
	c := &promptCache{Cache: &fakeCache{inf: inf}}
	if _, err := c.GetInformer(ctx, &corev1.ConfigMap{}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	ran := make(chan struct{})
	go func() { inf.Run(stop); close(ran) }()
	close(stop) // as RemoveInformer stops it
	<-ran
	if !inf.IsStopped() {
		t.Fatal("the informer is not stopped")
	}
	short, cancelShort := context.WithTimeout(ctx, 5*time.Second)
	defer cancelShort()
	if !c.WaitForCacheSync(short) {
		t.Error("WaitForCacheSync waited for an informer that was stopped before it synced")
	}
}

// The allowlists' informer is first asked for by the vendor index, not by a watch:
// the wait must cover it too, or it ends only at the cache's next 100 ms poll.
func TestCacheWaitCoversAnInformerFirstGotForAnIndex(t *testing.T) {
	ctx := t.Context()
	release := make(chan struct{})
	inf, fc, c := promptCacheOfOneInformer(3, release)
	extract := func(client.Object) []string { return nil }
	if err := c.IndexField(ctx, &corev1.ConfigMap{}, "by-name", extract); err != nil {
		t.Fatal(err)
	}
	if fc.indexed.Load() != 1 {
		t.Fatalf("the index was added %d times, want once", fc.indexed.Load())
	}
	go inf.Run(ctx.Done())

	short, cancelShort := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancelShort()
	if c.WaitForCacheSync(short) {
		t.Fatal("WaitForCacheSync said synced before the indexed informer listed")
	}
	close(release)
	if !c.WaitForCacheSync(ctx) || !inf.HasSynced() {
		t.Fatalf("after the wait: informer synced %v; want synced", inf.HasSynced())
	}
}
