package controller

import (
	"context"

	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// enqueueAddressChange queues the allowlist an address change names at the priority
// controller-runtime gives the informer's initial list and resyncs
// (handler.LowPriority), not above it.
//
// The priority queue always serves higher priorities first. Re-resolution is
// background work that never ends: with short TTLs and many allowlists per hostname it
// can keep the queue busy indefinitely, and at the default priority it would starve
// every allowlist that was already there when the manager started (and arrived with the
// initial list) for as long as it lasts (kubernetes-sigs/controller-runtime#3496). In
// one band they are served in the order they came. Edits to an allowlist or to its
// policies still come first.
func enqueueAddressChange() handler.EventHandler {
	return handler.Funcs{
		GenericFunc: func(_ context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			req := reconcile.Request{NamespacedName: client.ObjectKeyFromObject(e.Object)}
			if pq, ok := q.(priorityqueue.PriorityQueue[reconcile.Request]); ok {
				pq.AddWithOpts(priorityqueue.AddOpts{Priority: ptr.To(handler.LowPriority)}, req)
				return
			}
			q.Add(req)
		},
	}
}
