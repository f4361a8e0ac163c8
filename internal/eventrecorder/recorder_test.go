/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package eventrecorder

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// An event reaches the API server as client-go's recorder would have sent it.
func TestRecordedEventReachesTheAPIServer(t *testing.T) {
	env, err := testenv.Start(testenv.WithoutOperatorCRDs())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	c, err := client.New(env.Config, client.Options{Scheme: testenv.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ns := testenv.NewNamespace(t, c, "events")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "subject"}}
	if err := c.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	rec, err := New(c, testenv.Scheme(), "vendor-allowlist-operator", DefaultQueue, prometheus.NewRegistry(), logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = rec.Start(ctx) }()
	rec.Eventf(cm, nil, corev1.EventTypeNormal, "PoliciesApplied", "Apply", "applied %d policies", 2)

	var got eventsv1.Event
	deadline := time.Now().Add(30 * time.Second)
	for {
		var list eventsv1.EventList
		if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		if len(list.Items) > 0 {
			got = list.Items[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no event in 30s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got.Reason != "PoliciesApplied" || got.Action != "Apply" || got.Note != "applied 2 policies" || got.Type != corev1.EventTypeNormal {
		t.Errorf("event reads %s/%s %q (%s)", got.Reason, got.Action, got.Note, got.Type)
	}
	if got.Regarding.Kind != "ConfigMap" || got.Regarding.Name != "subject" || got.Regarding.UID != cm.UID {
		t.Errorf("event regards %+v, want the ConfigMap", got.Regarding)
	}
	if got.ReportingController != "vendor-allowlist-operator" || !strings.HasPrefix(got.ReportingInstance, "vendor-allowlist-operator-") {
		t.Errorf("reported by %q, instance %q", got.ReportingController, got.ReportingInstance)
	}
	if got.EventTime.IsZero() || !strings.HasPrefix(got.Name, "subject.") {
		t.Errorf("event %q at %v", got.Name, got.EventTime)
	}
}

// writerFunc is a client.Writer whose Create is create; nothing else is called.
type writerFunc struct {
	client.Writer
	create func(client.Object) error
}

func (w writerFunc) Create(_ context.Context, obj client.Object, _ ...client.CreateOption) error {
	return w.create(obj)
}

func subject() *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "subject"}}
}

// A burst larger than the queue, before the sender has taken any of it, neither
// blocks the caller nor grows the queue: what does not fit is counted and dropped,
// and what fits is sent in order.
func TestFullQueueDropsAndCounts(t *testing.T) {
	var mu sync.Mutex
	var sent []string
	w := writerFunc{create: func(o client.Object) error {
		mu.Lock()
		defer mu.Unlock()
		sent = append(sent, o.(*eventsv1.Event).Note)
		return nil
	}}
	rec, err := New(w, testenv.Scheme(), "vendor-allowlist-operator", 2, prometheus.NewRegistry(), logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	returned := make(chan struct{})
	go func() {
		for i := range 5 {
			rec.Eventf(subject(), nil, corev1.EventTypeNormal, "PoliciesApplied", "Apply", "event %d", i)
		}
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("Eventf blocked on a full queue")
	}
	if n := testutil.ToFloat64(rec.dropped); n != 3 {
		t.Errorf("dropped %v, want the 3 that did not fit", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = rec.Start(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(sent)
		mu.Unlock()
		if n == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if strings.Join(sent, ",") != "event 0,event 1" {
		t.Errorf("sent %q, want the first two in order", sent)
	}
}

// An event the API server refuses is not tried again; one that could not be sent
// for want of a connection is, a few times.
func TestRetriesOnlyWhatMaySucceed(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		tries int
	}{
		{"refused", apierrors.NewForbidden(schema.GroupResource{Group: "events.k8s.io", Resource: "events"}, "x", errors.New("namespace terminating")), 1},
		{"unreachable", errors.New("connection refused"), attempts},
		{"already there", apierrors.NewAlreadyExists(schema.GroupResource{Group: "events.k8s.io", Resource: "events"}, "x"), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tries := 0
			w := writerFunc{create: func(client.Object) error { tries++; return tc.err }}
			rec, err := New(w, testenv.Scheme(), "vendor-allowlist-operator", 1, prometheus.NewRegistry(), logr.Discard())
			if err != nil {
				t.Fatal(err)
			}
			rec.retryAfter = time.Millisecond
			rec.Eventf(subject(), nil, corev1.EventTypeWarning, "ApplyFailed", "Apply", "no")
			rec.send(context.Background(), <-rec.queue)
			if tries != tc.tries {
				t.Errorf("tried %d times, want %d", tries, tc.tries)
			}
			wantDropped := 1.0
			if apierrors.IsAlreadyExists(tc.err) {
				wantDropped = 0
			}
			if n := testutil.ToFloat64(rec.dropped); n != wantDropped {
				t.Errorf("dropped %v, want %v", n, wantDropped)
			}
		})
	}
}

// An event of a type the API server would refuse is not queued, and is counted.
func TestUnknownTypeIsDropped(t *testing.T) {
	rec, err := New(writerFunc{create: func(client.Object) error { t.Error("sent"); return nil }},
		testenv.Scheme(), "vendor-allowlist-operator", 1, prometheus.NewRegistry(), logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	rec.Eventf(subject(), nil, "Bogus", "PoliciesApplied", "Apply", "no")
	if n := len(rec.queue); n != 0 {
		t.Errorf("%d events queued", n)
	}
	if n := testutil.ToFloat64(rec.dropped); n != 1 {
		t.Errorf("dropped %v, want 1", n)
	}
}
