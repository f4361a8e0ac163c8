/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package eventrecorder sends the operator's events.k8s.io Events and keeps none of
// them once sent.
//
// client-go's events broadcaster, the one controller-runtime's GetEventRecorder
// uses, keeps a copy of every event it sent for 6 to 12 minutes, to count repeats
// of one into a series. The operator's events are never repeats by that measure (the
// object they regard carries its resource version, which changes with every status
// the operator writes), so the copies bought nothing and cost memory in proportion
// to how often DNS changes: a CDN hostname that changes every minute under
// thousands of allowlists would hold tens of MiB. This recorder holds a bounded
// queue of events not yet sent, drops what does not fit (and counts it), and nothing
// else.
package eventrecorder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/tools/record/util"
	"k8s.io/client-go/tools/reference"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// DefaultQueue is how many events may wait to be sent. A burst larger than this (a
// DNS change under more allowlists than it, while the API server is slow) loses the
// newest events, never blocks a reconcile and never grows the manager's memory.
const DefaultQueue = 1000

// attempts is how often an event is tried while the API server cannot be reached;
// an event the server refused (invalid, forbidden, its namespace going away) is
// not tried again, as client-go does.
const attempts = 3

// Recorder is an events.EventRecorder, and a manager Runnable that sends what it
// records.
type Recorder struct {
	writer     client.Writer
	scheme     *runtime.Scheme
	controller string
	instance   string
	clock      clock.Clock
	log        logr.Logger
	queue      chan *eventsv1.Event
	dropped    prometheus.Counter
	retryAfter time.Duration
}

var _ events.EventRecorder = (*Recorder)(nil)

// New makes a recorder that creates events through writer, reported by controller
// from this host, with at most queue events waiting, and registers its counter of
// dropped events on reg.
func New(writer client.Writer, scheme *runtime.Scheme, controller string, queue int, reg prometheus.Registerer, log logr.Logger) (*Recorder, error) {
	if queue < 1 {
		return nil, fmt.Errorf("event queue of %d: want at least 1", queue)
	}
	dropped := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "vendorallowlist_events_dropped_total",
		Help: "Events not sent: the queue of events waiting for the API server was full, or the API server refused or could not be reached.",
	})
	if err := reg.Register(dropped); err != nil {
		return nil, err
	}
	hostname, _ := os.Hostname()
	return &Recorder{
		writer:     writer,
		scheme:     scheme,
		controller: controller,
		instance:   controller + "-" + hostname, // as client-go's recorder names it
		clock:      clock.RealClock{},
		log:        log,
		queue:      make(chan *eventsv1.Event, queue),
		dropped:    dropped,
		retryAfter: time.Second,
	}, nil
}

// Eventf queues an event about regarding; it never blocks. Like client-go's
// recorder it drops an event of a type other than Normal or Warning, which the API
// server would refuse.
func (r *Recorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	message := fmt.Sprintf(note, args...)
	ref, err := reference.GetReference(r.scheme, regarding)
	if err != nil {
		r.log.Error(err, "Not recording an event: no reference to its object", "reason", reason, "note", message)
		return
	}
	if !util.ValidateEventType(eventtype) {
		r.dropped.Inc()
		r.log.Error(nil, "Not recording an event of an unknown type", "type", eventtype, "reason", reason)
		return
	}
	var relatedRef *corev1.ObjectReference
	if related != nil {
		relatedRef, _ = reference.GetReference(r.scheme, related) // nil when it has none, as client-go
	}
	now := r.clock.Now()
	namespace := ref.Namespace
	if namespace == "" {
		namespace = metav1.NamespaceDefault
	}
	event := &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Name:      util.GenerateEventName(ref.Name, now.UnixNano()),
			Namespace: namespace,
		},
		EventTime:           metav1.MicroTime{Time: now},
		ReportingController: r.controller,
		ReportingInstance:   r.instance,
		Action:              action,
		Reason:              reason,
		Regarding:           *ref,
		Related:             relatedRef,
		Note:                message,
		Type:                eventtype,
	}
	select {
	case r.queue <- event:
	default:
		r.dropped.Inc()
		r.log.V(1).Info("Event queue full; dropped an event", "reason", reason, "object", ref.Namespace+"/"+ref.Name)
	}
}

// Start sends the queued events until ctx ends; what is still queued then is not
// sent (events are best effort, and a stopping manager should not wait on them).
func (r *Recorder) Start(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case event := <-r.queue:
			r.send(ctx, event)
		}
	}
}

// NeedLeaderElection is false: whichever manager reconciles records the events.
func (r *Recorder) NeedLeaderElection() bool { return false }

func (r *Recorder) send(ctx context.Context, event *eventsv1.Event) {
	r.log.V(1).Info(event.Note, "type", event.Type, "object", event.Regarding, "reason", event.Reason)
	wait := r.retryAfter
	for try := 1; ; try++ {
		err := r.writer.Create(ctx, event)
		if err == nil || apierrors.IsAlreadyExists(err) {
			return
		}
		var status apierrors.APIStatus
		if errors.As(err, &status) || try == attempts || ctx.Err() != nil {
			r.dropped.Inc()
			r.log.Error(err, "Event not recorded", "reason", event.Reason, "object", event.Regarding.Namespace+"/"+event.Regarding.Name)
			return
		}
		select {
		case <-ctx.Done():
		case <-r.clock.After(wait):
		}
		wait *= 2
	}
}
