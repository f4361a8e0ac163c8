/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package manager

import (
	"context"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// handlerDeliveryWait bounds how long adding an event handler to a synced informer
// waits for the informer to hand the handler its items. A thousand items take a few
// milliseconds; the bound only matters if the handler never takes them (the manager
// stopping), and past it the caller's own poll takes over, as without the wait.
const handlerDeliveryWait = 2 * time.Second

// newPromptCache is controller-runtime's cache, whose waits for informers end when
// they have synced rather than at the next tick of client-go's 100 ms poll.
//
// The manager waits for its caches to sync, then each controller waits for each of
// its event handlers to be handed the informer's items, and both waits poll every
// 100 ms (cache.WaitForCacheSync). An informer syncs, and a handler gets its items, a
// few milliseconds into a period: every start, and so every cold start, paid about
// 150 ms of nothing, 2% of a 1,000-allowlist cold start. client-go's informers now
// close a channel when they sync (HasSyncedChecker); this cache waits on those.
func newPromptCache(cfg *rest.Config, opts cache.Options) (cache.Cache, error) {
	c, err := cache.New(cfg, opts)
	if err != nil {
		return nil, err
	}
	return &promptCache{Cache: c}, nil
}

// promptCache remembers the informers it handed out, so that WaitForCacheSync can wait
// on their channels, and hands them out wrapped (promptInformer).
type promptCache struct {
	cache.Cache

	mu        sync.Mutex
	informers []cache.Informer
}

var _ cache.Cache = (*promptCache)(nil)

func (c *promptCache) GetInformer(ctx context.Context, obj client.Object, opts ...cache.InformerGetOption) (cache.Informer, error) {
	i, err := c.Cache.GetInformer(ctx, obj, opts...)
	if err != nil {
		return nil, err
	}
	return c.handOut(i), nil
}

func (c *promptCache) GetInformerForKind(ctx context.Context, gvk schema.GroupVersionKind, opts ...cache.InformerGetOption) (cache.Informer, error) {
	i, err := c.Cache.GetInformerForKind(ctx, gvk, opts...)
	if err != nil {
		return nil, err
	}
	return c.handOut(i), nil
}

// IndexField adds the index to the object's informer, which it first gets (and so
// remembers) here. controller-runtime's cache gets that informer itself, past
// GetInformer, so an informer whose first user was an index (the allowlists', for
// the vendor index) was waited for only by the cache's 100 ms poll: every start paid
// up to 100 ms after the allowlists had synced (about 200 ms from cache start to
// the first reconcile at 1,000 allowlists, where the list takes 80).
func (c *promptCache) IndexField(ctx context.Context, obj client.Object, field string, extract client.IndexerFunc) error {
	if _, err := c.GetInformer(ctx, obj, cache.BlockUntilSynced(false)); err != nil {
		return err
	}
	return c.Cache.IndexField(ctx, obj, field, extract)
}

func (c *promptCache) handOut(i cache.Informer) cache.Informer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !slices.Contains(c.informers, i) {
		c.informers = append(c.informers, i)
	}
	return promptInformer{Informer: i}
}

// WaitForCacheSync waits on the channels of the informers handed out, then asks the
// cache, whose first look is immediate: it then finds them synced, and still covers
// informers the cache started for reads alone. An informer stopped (removed from the
// cache) will never sync, and the cache no longer waits for it: neither does this.
func (c *promptCache) WaitForCacheSync(ctx context.Context) bool {
	c.mu.Lock()
	informers := append([]cache.Informer(nil), c.informers...)
	c.mu.Unlock()
	for _, i := range informers {
		if i.IsStopped() {
			continue
		}
		select {
		case <-i.HasSyncedChecker().Done():
		case <-ctx.Done():
			return false
		}
	}
	return c.Cache.WaitForCacheSync(ctx)
}

// promptInformer is an informer whose new event handlers have their items by the time
// they are added, when the informer has synced. The informer hands a new handler its
// items on a goroutine of its own; controller-runtime's source looks at once whether
// the handler has them and, finding not yet, looks again 100 ms later.
type promptInformer struct {
	cache.Informer
}

func (i promptInformer) AddEventHandler(h toolscache.ResourceEventHandler) (toolscache.ResourceEventHandlerRegistration, error) {
	return i.awaitDelivery(i.Informer.AddEventHandler(h))
}

func (i promptInformer) AddEventHandlerWithResyncPeriod(h toolscache.ResourceEventHandler, resync time.Duration) (toolscache.ResourceEventHandlerRegistration, error) {
	return i.awaitDelivery(i.Informer.AddEventHandlerWithResyncPeriod(h, resync))
}

func (i promptInformer) AddEventHandlerWithOptions(h toolscache.ResourceEventHandler, o toolscache.HandlerOptions) (toolscache.ResourceEventHandlerRegistration, error) {
	return i.awaitDelivery(i.Informer.AddEventHandlerWithOptions(h, o))
}

// awaitDelivery waits, at most handlerDeliveryWait, for a handler added to a synced
// informer to have its items. An informer not synced yet is not waited for: the
// caller waits for it as it would have.
func (i promptInformer) awaitDelivery(reg toolscache.ResourceEventHandlerRegistration, err error) (toolscache.ResourceEventHandlerRegistration, error) {
	if err != nil || !i.HasSynced() {
		return reg, err
	}
	t := time.NewTimer(handlerDeliveryWait)
	defer t.Stop()
	select {
	case <-reg.HasSyncedChecker().Done():
	case <-t.C:
	}
	return reg, nil
}
