/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package fairqueue is a controller work queue that serves groups of items in turn
// (for namespaced objects: their namespaces), so that a backlog in one group delays
// another group's items by at most one item per group ahead of it, not by the whole
// backlog.
//
// A shared FIFO, and controller-runtime's priority queue (FIFO within a priority),
// serve items in the order they came: a thousand allowlists created in one namespace
// hold an allowlist created next in another namespace until all of them are done,
// and since every reconcile spends the one client-side API budget (--kube-api-qps)
// that is the whole backlog's API calls. Served in turn, that allowlist is the next
// item handed to a worker, and the rate limiter's wait is then shared the same way:
// it holds at most one request per worker ahead of it.
//
// The queue is client-go's workqueue (dedup, an item re-added while processed is
// queued again after Done, AddAfter, rate-limited re-adds, shutdown, and the
// workqueue metrics under the controller's name, as controller-runtime's own queues
// report them) over a storage that keeps one sub-queue per group. Within a group,
// items keep controller-runtime's priorities (handler.LowPriority for the informer's
// initial list and resyncs, 0 for changes): higher priorities first, in arrival
// order within a priority, as the priority queue serves them. Priorities never
// reorder groups: a group whose items are all low priority still gets its turn.
package fairqueue

import (
	"container/list"
	"sync"
	"time"

	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
)

// Queue is a rate-limiting work queue that serves groups in turn. It implements
// controller-runtime's priorityqueue.PriorityQueue, so that event handlers pass it
// their priorities and the controller passes an item's priority on to its re-adds.
type Queue[T comparable] struct {
	inner workqueue.TypedRateLimitingInterface[T]
	store *store[T]
}

var _ priorityqueue.PriorityQueue[string] = (*Queue[string])(nil)

// New returns a queue named name (the name its metrics carry; controller-runtime
// names a controller's queue after the controller) that calls group to learn an
// item's group, and rateLimiter for AddRateLimited.
func New[T comparable](name string, rateLimiter workqueue.TypedRateLimiter[T], group func(T) string) *Queue[T] {
	s := &store[T]{
		group:     group,
		requested: map[T]int{},
		queued:    map[T]*entry[T]{},
		groups:    map[string]*groupQueue[T]{},
		popped:    map[T]int{},
	}
	// The workqueue's metrics go to the global provider: controller-runtime's, as for
	// the queues it builds itself.
	base := workqueue.NewTypedWithConfig(workqueue.TypedQueueConfig[T]{Name: name, Queue: s})
	delaying := workqueue.NewTypedDelayingQueueWithConfig(workqueue.TypedDelayingQueueConfig[T]{Name: name, Queue: base})
	return &Queue[T]{
		inner: workqueue.NewTypedRateLimitingQueueWithConfig(rateLimiter, workqueue.TypedRateLimitingQueueConfig[T]{
			Name: name, DelayingQueue: delaying,
		}),
		store: s,
	}
}

// AddWithOpts adds items at o.Priority (default 0), after o.After or the rate
// limiter's delay when o.RateLimited. An item already queued keeps its place unless
// the new priority is higher; it then goes to the end of that priority, in its group.
//
// A delayed add's priority applies when the item is next queued; should an immediate
// add queue it first, the delayed add, when it comes, queues it again at priority 0.
func (q *Queue[T]) AddWithOpts(o priorityqueue.AddOpts, items ...T) {
	if q.inner.ShuttingDown() {
		return
	}
	p := ptr.Deref(o.Priority, 0)
	for _, item := range items {
		q.store.request(item, p)
		switch {
		case o.RateLimited:
			q.inner.AddRateLimited(item)
		case o.After > 0:
			q.inner.AddAfter(item, o.After)
		default:
			q.inner.Add(item)
		}
	}
}

// Add adds item at priority 0.
func (q *Queue[T]) Add(item T) { q.AddWithOpts(priorityqueue.AddOpts{}, item) }

// AddAfter adds item at priority 0 once d has passed.
func (q *Queue[T]) AddAfter(item T, d time.Duration) {
	q.AddWithOpts(priorityqueue.AddOpts{After: d}, item)
}

// AddRateLimited adds item at priority 0 once the rate limiter allows it.
func (q *Queue[T]) AddRateLimited(item T) {
	q.AddWithOpts(priorityqueue.AddOpts{RateLimited: true}, item)
}

// GetWithPriority blocks until an item is ready, and returns it with the priority it
// was queued at. The item is the next group's, in turn; shutdown is true once the
// queue is shut down and empty.
func (q *Queue[T]) GetWithPriority() (item T, priority int, shutdown bool) {
	item, shutdown = q.inner.Get()
	if shutdown {
		return item, 0, true
	}
	return item, q.store.served(item), false
}

// Get is GetWithPriority without the priority.
func (q *Queue[T]) Get() (item T, shutdown bool) {
	item, _, shutdown = q.GetWithPriority()
	return item, shutdown
}

// Done marks item as processed; if it was added meanwhile, it is queued again.
func (q *Queue[T]) Done(item T) { q.inner.Done(item) }

// Forget clears the rate limiter's memory of item.
func (q *Queue[T]) Forget(item T) { q.inner.Forget(item) }

// NumRequeues is how often item was added rate-limited since it was last forgotten.
func (q *Queue[T]) NumRequeues(item T) int { return q.inner.NumRequeues(item) }

// Len is the number of items queued (not those processed, nor those waiting for a
// delay to pass).
func (q *Queue[T]) Len() int { return q.inner.Len() }

// ShutDown makes the queue ignore new items; Get hands out what is queued, then
// reports shutdown.
func (q *Queue[T]) ShutDown() { q.inner.ShutDown() }

// ShutDownWithDrain is ShutDown that also waits for the items being processed.
func (q *Queue[T]) ShutDownWithDrain() { q.inner.ShutDownWithDrain() }

// ShuttingDown says whether ShutDown was called.
func (q *Queue[T]) ShuttingDown() bool { return q.inner.ShuttingDown() }

// store is the workqueue's storage (workqueue.Queue): one FIFO per group and
// priority, and the groups with queued items in the order of their next turn. The
// workqueue calls it under its own lock; mu also guards what AddWithOpts and
// GetWithPriority exchange with it from outside that lock.
type store[T comparable] struct {
	group func(T) string

	mu sync.Mutex
	// requested is the highest priority asked for an item since it was last queued
	// or touched.
	requested map[T]int
	queued    map[T]*entry[T]
	groups    map[string]*groupQueue[T]
	// turns holds the groups with queued items (*groupQueue), next to serve first.
	turns list.List
	// popped is the priority of the items handed out and not yet returned by
	// GetWithPriority.
	popped map[T]int
}

type entry[T comparable] struct {
	item     T
	priority int
	group    *groupQueue[T]
	at       *list.Element
}

type groupQueue[T comparable] struct {
	name string
	// bands are the group's FIFOs of *entry, highest priority first; none is empty.
	bands []*band
	turn  *list.Element
}

type band struct {
	priority int
	items    list.List
}

func (s *store[T]) request(item T, priority int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.requested[item]; !ok || priority > p {
		s.requested[item] = priority
	}
}

func (s *store[T]) served(item T) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.popped[item]
	delete(s.popped, item)
	s.popped = shrunk(s.popped)
	return p
}

// take returns and clears the priority requested for item.
func (s *store[T]) take(item T) (int, bool) {
	p, ok := s.requested[item]
	delete(s.requested, item)
	s.requested = shrunk(s.requested)
	return p, ok
}

// shrunk is m, or a new map once m is empty: a map keeps the room it grew to, and a
// cold start or a restart queues every allowlist at once (1 MB at 10,000 kept for
// good in these maps).
func shrunk[K comparable, V any](m map[K]V) map[K]V {
	if len(m) == 0 {
		return map[K]V{}
	}
	return m
}

// Push queues item at the end of its priority in its group, and gives the group a
// turn after the groups that have one if it had none.
func (s *store[T]) Push(item T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, _ := s.take(item) // none requested: a delayed add whose priority went with an earlier one
	name := s.group(item)
	g := s.groups[name]
	if g == nil {
		g = &groupQueue[T]{name: name}
		g.turn = s.turns.PushBack(g)
		s.groups[name] = g
	}
	e := &entry[T]{item: item, group: g}
	s.queued[item] = e
	g.insert(e, p)
}

// Touch raises a queued item's priority to the one requested, if higher.
func (s *store[T]) Touch(item T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.take(item)
	e := s.queued[item]
	if !ok || e == nil || p <= e.priority {
		return
	}
	e.group.remove(e)
	e.group.insert(e, p)
}

// Len is the number of queued items.
func (s *store[T]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queued)
}

// Pop hands out the first item of the highest priority of the group whose turn it
// is; the group, if it has more, goes to the back of the turns. The workqueue calls
// it only when Len is above zero.
func (s *store[T]) Pop() T {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.turns.Front().Value.(*groupQueue[T])
	e := g.bands[0].items.Front().Value.(*entry[T])
	g.remove(e)
	delete(s.queued, e.item)
	s.queued = shrunk(s.queued)
	if len(g.bands) == 0 {
		s.turns.Remove(g.turn)
		delete(s.groups, g.name)
		s.groups = shrunk(s.groups)
	} else {
		s.turns.MoveToBack(g.turn)
	}
	s.popped[e.item] = e.priority
	return e.item
}

func (g *groupQueue[T]) insert(e *entry[T], priority int) {
	e.priority = priority
	i := 0
	for i < len(g.bands) && g.bands[i].priority > priority {
		i++
	}
	if i == len(g.bands) || g.bands[i].priority != priority {
		g.bands = append(g.bands, nil)
		copy(g.bands[i+1:], g.bands[i:])
		g.bands[i] = &band{priority: priority}
	}
	e.at = g.bands[i].items.PushBack(e)
}

func (g *groupQueue[T]) remove(e *entry[T]) {
	for i, b := range g.bands {
		if b.priority != e.priority {
			continue
		}
		b.items.Remove(e.at)
		if b.items.Len() == 0 {
			g.bands = append(g.bands[:i], g.bands[i+1:]...)
		}
		return
	}
}
