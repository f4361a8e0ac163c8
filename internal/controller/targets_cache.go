/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"crypto/rand"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// The manager watches every Service (and Ingress) of the namespaces it watches, to
// see one change the moment an allowlist names it, but it caches whole only those
// that matter to an allowlist: named by one, or holding a field one set. Of the
// others it keeps a stub, the object's identity alone, so a cluster's Services cost
// the operator next to nothing until they are named. A stub is never read as the
// object: targetUserObject reads the object from the API server instead, and the
// object's next event brings it in whole, since it is named by then.

// CacheStubAnnotation marks a stub in the manager's cache; it is never written. Its
// value is stubToken, drawn at start: an annotation planted on the stored object by
// whoever may edit it is dropped, and the transform, seeing its own stub again,
// keeps it a stub. A stub taken for the object would let its empty fields stand
// for the object's consent and restrictions.
const CacheStubAnnotation = "cache.vendorallowlist.io/stub"

var stubToken = rand.Text()

// isCacheStub says whether o is a stub the cache made, not an object as the API
// server holds it.
func isCacheStub(o client.Object) bool {
	v, ok := o.GetAnnotations()[CacheStubAnnotation]
	return ok && v == stubToken
}

// namedWait bounds how long the transform waits for the allowlists' cache to sync
// (at the manager's start) before it takes every object as named.
const namedWait = time.Minute

// TargetNames says whether an allowlist names a user's object, from the cache's
// index of allowlists by the objects their targets name (targetObjectIndex). Until
// it has a reader (the manager's cache, given once the manager exists), and whenever
// the reader cannot answer, every object counts as named: the cache then keeps it
// whole, as it did before stubs.
type TargetNames struct {
	reader atomic.Pointer[client.Reader]
}

// Use makes n answer from r, the cache that indexes the allowlists.
func (n *TargetNames) Use(r client.Reader) { n.reader.Store(&r) }

// named says whether an allowlist of o's namespace names o, an object of kind.
// While the allowlists' cache syncs it waits, so that the objects listed at the
// start are judged against every allowlist.
func (n *TargetNames) named(kind string, o client.Object) bool {
	r := n.reader.Load()
	if r == nil {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), namedWait)
	defer cancel()
	var list v1alpha1.VendorAllowlistList
	if err := (*r).List(ctx, &list, client.InNamespace(o.GetNamespace()),
		client.MatchingFields{targetObjectIndex: kind + "/" + o.GetName()}, client.UnsafeDisableDeepCopy); err != nil {
		return true
	}
	return len(list.Items) > 0
}

// userObjectTransform is the cache transform of the user's objects of kind whose
// field a target sets: the part a target reads (slimUserObject) of those an
// allowlist names or holds a field of, a stub of the others. A stub stays a stub
// when the transform runs on it again (a streaming list runs it twice): only the API
// server's copy of the object brings it in whole.
func userObjectTransform(kind string, names *TargetNames) toolscache.TransformFunc {
	return func(in any) (any, error) {
		o, ok := in.(client.Object)
		if !ok {
			return in, nil // a tombstone
		}
		if isCacheStub(o) {
			return in, nil
		}
		if annotations := o.GetAnnotations(); annotations != nil {
			delete(annotations, CacheStubAnnotation) // planted on the stored object
		}
		if len(fieldHolders(o)) > 0 || names.named(kind, o) {
			return slimUserObject(o)
		}
		return stubOf(o), nil
	}
}

// stubOf is o's stub: what the informer needs of it (its key and resource version),
// what a reader needs to see that it exists, and the mark.
func stubOf(o client.Object) any {
	meta := metav1.ObjectMeta{
		Name: o.GetName(), Namespace: o.GetNamespace(), UID: o.GetUID(), ResourceVersion: o.GetResourceVersion(),
		Generation: o.GetGeneration(), CreationTimestamp: o.GetCreationTimestamp(), DeletionTimestamp: o.GetDeletionTimestamp(),
		Annotations: map[string]string{CacheStubAnnotation: stubToken},
	}
	switch o := o.(type) {
	case *corev1.Service:
		return &corev1.Service{TypeMeta: o.TypeMeta, ObjectMeta: meta}
	case *networkingv1.Ingress:
		return &networkingv1.Ingress{TypeMeta: o.TypeMeta, ObjectMeta: meta}
	}
	return o // a kind slimUserObject does not know either: kept whole
}

// stubbedReadsLimit bounds the objects read live for a stub that stubbedReads keeps:
// a named object that never changes after it is named (its owner never consents,
// say). Past it the oldest is dropped and read live again when next needed.
const stubbedReadsLimit = 1024

// stubbedReads keeps what targetUserObject read from the API server for a stub, by
// the stub's resource version. An object stays a stub in the cache until its next
// event, which may never come (nothing writes to a Service whose owner does not
// consent), and every reconcile of the allowlists naming it read it live again. A
// copy read at the stub's own resource version is the object the API server holds
// at that version, so it answers for the stub until the cache sees a newer one.
type stubbedReads struct {
	once sync.Once
	kept *lru.Cache[stubbedKey, client.Object]
}

type stubbedKey struct {
	kind schema.GroupVersionKind
	key  client.ObjectKey
}

func (s *stubbedReads) cache() *lru.Cache[stubbedKey, client.Object] {
	s.once.Do(func() { s.kept, _ = lru.New[stubbedKey, client.Object](stubbedReadsLimit) })
	return s.kept
}

// get is a copy of what was kept for the stub of kind and key at version, if any.
func (s *stubbedReads) get(kind schema.GroupVersionKind, key client.ObjectKey, version string) (client.Object, bool) {
	k := stubbedKey{kind: kind, key: key}
	kept, ok := s.cache().Get(k)
	if !ok {
		return nil, false
	}
	if kept.GetResourceVersion() != version {
		s.cache().Remove(k)
		return nil, false
	}
	return kept.DeepCopyObject().(client.Object), true
}

// keep keeps o, what a target reads of the object (slimUserObject), for the stub at
// version, if o is the object at that version: a newer one brings its own event,
// which makes the cache's copy whole.
func (s *stubbedReads) keep(kind schema.GroupVersionKind, o client.Object, version string) {
	if version == "" || o.GetResourceVersion() != version {
		return
	}
	s.cache().Add(stubbedKey{kind: kind, key: client.ObjectKeyFromObject(o)}, o.DeepCopyObject().(client.Object))
}

// readStubbed is the object of kind and key, which the cache holds as a stub at
// version: what was kept for that version, or else the API server's, cut to what the
// cache would hold of it (slimUserObject), as a target reads a named object.
func (r *VendorAllowlistReconciler) readStubbed(ctx context.Context, kind schema.GroupVersionKind, key client.ObjectKey, version string) (client.Object, error) {
	if kept, ok := r.stubbed.get(kind, key, version); ok {
		return kept, nil
	}
	obj, err := newObject(r.Scheme(), kind)
	if err != nil {
		return nil, err
	}
	if err := r.APIReader.Get(ctx, key, obj); err != nil {
		return nil, err
	}
	slim, err := slimUserObject(obj)
	if err != nil {
		return nil, err
	}
	if o, ok := slim.(client.Object); ok {
		obj = o
	}
	r.stubbed.keep(kind, obj, version)
	return obj, nil
}
