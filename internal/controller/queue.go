/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

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

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/fairqueue"
)

// namespacesInTurn builds the allowlists' work queue: namespaces take turns, so that
// a tenant who creates or edits allowlists by the thousand delays another
// namespace's allowlist by about one reconcile per busy namespace, not by its whole
// backlog (and the API budget it spends). Within a namespace it keeps the
// priorities below.
func namespacesInTurn(name string, rateLimiter workqueue.TypedRateLimiter[reconcile.Request]) workqueue.TypedRateLimitingInterface[reconcile.Request] {
	return fairqueue.New(name, rateLimiter, func(r reconcile.Request) string { return r.Namespace })
}

// enqueueAddressChange queues the allowlist an address change names at the priority
// controller-runtime gives the informer's initial list and resyncs
// (handler.LowPriority), not above it.
//
// Within a namespace the queue, like controller-runtime's priority queue, always
// serves higher priorities first. Re-resolution is background work that never ends:
// with short TTLs and many allowlists per hostname it can keep the queue busy
// indefinitely, and at the default priority it would starve every allowlist that was
// already there when the manager started (and arrived with the initial list) for as
// long as it lasts (kubernetes-sigs/controller-runtime#3496). In one band they are
// served in the order they came. Edits to an allowlist or to its policies still come
// first.
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
