/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fairqueue

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Items are "group/name", as reconcile requests are namespace/name.
func groupOf(item string) string { return strings.SplitN(item, "/", 2)[0] }

func newTestQueue(t *testing.T, name string) *Queue[string] {
	t.Helper()
	q := New(name, workqueue.NewTypedItemExponentialFailureRateLimiter[string](50*time.Millisecond, time.Second), groupOf)
	t.Cleanup(q.ShutDown)
	return q
}

// next gets an item, failing if none is handed out within a second, and marks it done.
func next(t *testing.T, q *Queue[string]) (string, int) {
	t.Helper()
	type got struct {
		item     string
		priority int
		shutdown bool
	}
	ch := make(chan got, 1)
	go func() {
		item, p, shutdown := q.GetWithPriority()
		ch <- got{item, p, shutdown}
	}()
	select {
	case g := <-ch:
		if g.shutdown {
			t.Fatal("the queue reported shutdown")
		}
		q.Done(g.item)
		return g.item, g.priority
	case <-time.After(time.Second):
		t.Fatal("no item handed out within 1s")
		return "", 0
	}
}

func drain(t *testing.T, q *Queue[string], n int) []string {
	t.Helper()
	var out []string
	for range n {
		item, _ := next(t, q)
		out = append(out, item)
	}
	return out
}

func add(q *Queue[string], priority int, items ...string) {
	q.AddWithOpts(priorityqueue.AddOpts{Priority: ptr.To(priority)}, items...)
}

func TestGroupsTakeTurns(t *testing.T) {
	q := newTestQueue(t, "")
	for _, item := range []string{"a/1", "a/2", "a/3", "a/4", "b/1", "c/1", "b/2"} {
		q.Add(item)
	}
	got := drain(t, q, 7)
	want := []string{"a/1", "b/1", "c/1", "a/2", "b/2", "a/3", "a/4"}
	if !slices.Equal(got, want) {
		t.Fatalf("served %v, want each group in turn: %v", got, want)
	}
	if q.Len() != 0 {
		t.Fatalf("Len() = %d after all were served", q.Len())
	}
}

// The attack: one namespace has added a thousand items when another adds one. That
// item waits for one of them, not for the thousand.
func TestAnItemIsNotHeldByAnotherGroupsBacklog(t *testing.T) {
	q := newTestQueue(t, "")
	for i := range 1000 {
		q.Add(fmt.Sprintf("a/%d", i))
	}
	drain(t, q, 3)
	q.Add("b/late")
	// Group a's turn had come already; b's is the next.
	if got := drain(t, q, 3); !slices.Equal(got, []string{"a/3", "b/late", "a/4"}) {
		t.Fatalf("served %v with 997 of group a queued; want [a/3 b/late a/4]", got)
	}
}

func TestDuplicatesAreQueuedOnce(t *testing.T) {
	q := newTestQueue(t, "")
	q.Add("a/1")
	q.Add("a/1")
	q.Add("a/2")
	q.Add("a/1")
	if q.Len() != 2 {
		t.Fatalf("Len() = %d, want 2", q.Len())
	}
	if got := drain(t, q, 2); !slices.Equal(got, []string{"a/1", "a/2"}) {
		t.Fatalf("served %v, want [a/1 a/2]: a re-added item keeps its place", got)
	}
}

// An item added while a worker processes it is not handed to a second worker; it is
// queued again once the first is done.
func TestAnItemAddedWhileProcessedIsQueuedAfterDone(t *testing.T) {
	q := newTestQueue(t, "")
	q.Add("a/1")
	item, shutdown := q.Get()
	if shutdown || item != "a/1" {
		t.Fatalf("Get() = %q, %v", item, shutdown)
	}
	q.Add("a/1")
	if q.Len() != 0 {
		t.Fatalf("Len() = %d while a/1 is processed, want 0", q.Len())
	}
	q.Done("a/1")
	if q.Len() != 1 {
		t.Fatalf("Len() = %d after Done, want 1: the add during processing was lost", q.Len())
	}
	if got, _ := next(t, q); got != "a/1" {
		t.Fatalf("served %s, want a/1", got)
	}
}

// Within a group, the priority queue's order: changes (priority 0) before the
// initial list (handler.LowPriority), first come first served within a priority.
func TestPrioritiesOrderAGroupNotTheTurns(t *testing.T) {
	q := newTestQueue(t, "")
	add(q, handler.LowPriority, "a/listed-1", "a/listed-2", "b/listed-1")
	add(q, 0, "a/edited")
	type served struct {
		item     string
		priority int
	}
	var got []served
	for range 4 {
		item, p := next(t, q)
		got = append(got, served{item, p})
	}
	want := []served{{"a/edited", 0}, {"b/listed-1", handler.LowPriority}, {"a/listed-1", handler.LowPriority}, {"a/listed-2", handler.LowPriority}}
	if !slices.Equal(got, want) {
		t.Fatalf("served %v, want %v", got, want)
	}
}

// An item queued at a low priority and added again at a higher one moves up, to the
// end of the higher priority; added again at a lower one, it stays where it is.
func TestReAddingAtAHigherPriorityMovesAnItemUp(t *testing.T) {
	q := newTestQueue(t, "")
	add(q, handler.LowPriority, "a/1", "a/2", "a/3")
	add(q, 0, "a/edited")
	add(q, 0, "a/3")
	add(q, handler.LowPriority-1, "a/1")
	if got := drain(t, q, 4); !slices.Equal(got, []string{"a/edited", "a/3", "a/1", "a/2"}) {
		t.Fatalf("served %v", got)
	}
}

// The earlier starvation fix (internal/controller/queue.go) relies on this: address
// changes, at the initial list's priority, queue behind allowlists listed before them
// however many keep coming.
func TestAddressChangesDoNotOvertakeTheInitialList(t *testing.T) {
	q := newTestQueue(t, "")
	add(q, handler.LowPriority, "a/listed-1", "a/listed-2")
	var served []string
	for range 10 {
		add(q, handler.LowPriority, "a/busy-1", "a/busy-2")
		item, _ := next(t, q)
		served = append(served, item)
	}
	if !slices.Contains(served, "a/listed-1") || !slices.Contains(served, "a/listed-2") {
		t.Fatalf("served %v: the listed allowlists were starved", served)
	}
}

func TestAddAfterWaits(t *testing.T) {
	q := newTestQueue(t, "")
	start := time.Now()
	q.AddWithOpts(priorityqueue.AddOpts{After: 200 * time.Millisecond, Priority: ptr.To(handler.LowPriority)}, "a/1")
	if q.Len() != 0 {
		t.Fatalf("Len() = %d right after AddAfter, want 0", q.Len())
	}
	item, p := next(t, q)
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Fatalf("%s handed out after %v, before its 200ms", item, waited)
	}
	if p != handler.LowPriority {
		t.Fatalf("delayed item served at priority %d, want the %d it was added at", p, handler.LowPriority)
	}
}

func TestRateLimitedAddsBackOff(t *testing.T) {
	q := newTestQueue(t, "") // 50ms, doubling
	q.AddRateLimited("a/1")
	q.AddRateLimited("a/1")
	if n := q.NumRequeues("a/1"); n != 2 {
		t.Fatalf("NumRequeues = %d, want 2", n)
	}
	start := time.Now()
	next(t, q)
	if waited := time.Since(start); waited < 40*time.Millisecond {
		t.Fatalf("rate-limited item handed out after %v, want the limiter's 50ms", waited)
	}
	q.Forget("a/1")
	if n := q.NumRequeues("a/1"); n != 0 {
		t.Fatalf("NumRequeues = %d after Forget, want 0", n)
	}
}

func TestShutDown(t *testing.T) {
	q := newTestQueue(t, "")
	q.Add("a/1")
	blocked := make(chan bool, 1)
	q.ShutDown()
	q.Add("a/2")
	if item, shutdown := q.Get(); shutdown || item != "a/1" {
		t.Fatalf("Get() = %q, %v: what was queued before ShutDown is still handed out", item, shutdown)
	}
	q.Done("a/1")
	go func() { _, shutdown := q.Get(); blocked <- shutdown }()
	select {
	case shutdown := <-blocked:
		if !shutdown {
			t.Fatal("Get() after ShutDown handed out an item added after it")
		}
	case <-time.After(time.Second):
		t.Fatal("Get() blocked after ShutDown")
	}
	if !q.ShuttingDown() {
		t.Fatal("ShuttingDown() = false")
	}
}

func TestShutDownReleasesWaitingWorkers(t *testing.T) {
	q := newTestQueue(t, "")
	done := make(chan bool, 1)
	go func() { _, _, shutdown := q.GetWithPriority(); done <- shutdown }()
	time.Sleep(50 * time.Millisecond)
	q.ShutDown()
	select {
	case shutdown := <-done:
		if !shutdown {
			t.Fatal("a waiting worker got an item from an empty queue")
		}
	case <-time.After(time.Second):
		t.Fatal("a worker waiting in Get was not released by ShutDown")
	}
}

// The queue reports to controller-runtime's workqueue metrics under its name, as the
// controller's default queue does.
func TestMetricsReachControllerRuntimesRegistry(t *testing.T) {
	const name = "fairqueue-metrics-test"
	q := newTestQueue(t, name)
	q.Add("a/1")
	q.Add("b/1")
	q.Add("a/1")
	if d := metric(t, "workqueue_depth", name); d != 2 {
		t.Fatalf("workqueue_depth = %v, want 2", d)
	}
	if a := metric(t, "workqueue_adds_total", name); a != 2 {
		t.Fatalf("workqueue_adds_total = %v, want 2", a)
	}
	next(t, q)
	if d := metric(t, "workqueue_depth", name); d != 1 {
		t.Fatalf("workqueue_depth = %v after a Get, want 1", d)
	}
	q.AddRateLimited("c/1")
	if r := metric(t, "workqueue_retries_total", name); r != 1 {
		t.Fatalf("workqueue_retries_total = %v, want 1", r)
	}
}

func metric(t *testing.T, family, queue string) float64 {
	t.Helper()
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != family {
			continue
		}
		for _, m := range f.GetMetric() {
			if label(m, "name") == queue {
				if m.GetGauge() != nil {
					return m.GetGauge().GetValue()
				}
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no %s{name=%q} in controller-runtime's registry", family, queue)
	return 0
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
