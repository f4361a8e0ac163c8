/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fetch

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

// Defaults of SchedulerOptions.
const (
	DefaultInterval      = time.Hour
	DefaultJitter        = 0.1
	DefaultRetryInterval = 5 * time.Minute
)

// Subscriber is what uses a feed: the Vendor (or allowlist) to reconcile when it
// changes.
type Subscriber = types.NamespacedName

// State is what the scheduler knows of one feed URL.
type State struct {
	// Snapshot is the last good document, from a fetch or from the Store at start;
	// zero if there is none yet.
	Snapshot Snapshot
	// Last is the last fetch; its AttemptedAt is zero before the first one.
	Last Result
	// StoreErr is the last failure to load or save the last-good copy: the feed still
	// works, but a restart would not find the copy.
	StoreErr error
}

// Update tells a feed's subscribers that its State changed: a fetch ended (with or
// without a new document), or the last-good copy was loaded at start.
type Update struct {
	URL         string
	Subscribers []Subscriber
	State       State
}

// SchedulerOptions configure a Scheduler.
type SchedulerOptions struct {
	// Interval is the minimum time between two fetches of one URL.
	Interval time.Duration
	// Jitter spreads the fetches: each waits Interval plus up to Jitter×Interval;
	// 0: DefaultJitter, negative: none.
	Jitter float64
	// RetryInterval is the wait after a failed fetch, doubled after each further
	// failure up to Interval.
	RetryInterval time.Duration
	// Clock; nil: the real clock.
	Clock clock.Clock
	// Store keeps the last good documents; nil: a MemoryStore (nothing survives a
	// restart).
	Store Store
	// Metrics; nil records nothing.
	Metrics *Metrics
	// OnUpdate is called after every fetch and after the last-good copy is loaded,
	// from the feed's own goroutine; see GenericEvents for a controller's channel.
	OnUpdate func(Update)
}

// Scheduler fetches each subscribed URL once per interval, however many subscribers
// it has: one goroutine per URL, started by the first Subscribe and stopped by the
// last Unsubscribe. It is a manager.Runnable.
type Scheduler struct {
	fetcher *Fetcher
	opts    SchedulerOptions
	rand    func() float64

	mu    sync.Mutex
	ctx   context.Context // nil until Start
	wg    sync.WaitGroup
	feeds map[string]*feed
}

type feed struct {
	subscribers map[Subscriber]struct{}
	cancel      context.CancelFunc // nil while not running
	state       State
}

// NewScheduler builds a Scheduler fetching with f.
func NewScheduler(f *Fetcher, o SchedulerOptions) *Scheduler {
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Jitter < 0 {
		o.Jitter = 0
	} else if o.Jitter == 0 {
		o.Jitter = DefaultJitter
	}
	if o.RetryInterval <= 0 {
		o.RetryInterval = min(DefaultRetryInterval, o.Interval)
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.Store == nil {
		o.Store = NewMemoryStore()
	}
	return &Scheduler{fetcher: f, opts: o, rand: rand.Float64, feeds: map[string]*feed{}}
}

// GenericEvents is an OnUpdate that sends one event per subscriber to ch, for a
// controller's source.Channel; object makes the event's object from a subscriber
// (a Vendor with that name, say).
func GenericEvents(ch chan<- event.GenericEvent, object func(Subscriber) client.Object) func(Update) {
	return func(u Update) {
		for _, s := range u.Subscribers {
			ch <- event.GenericEvent{Object: object(s)}
		}
	}
}

// Subscribe registers sub as a user of url; the first subscriber starts the URL's
// fetches.
func (s *Scheduler) Subscribe(url string, sub Subscriber) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subscribeLocked(url, sub)
}

func (s *Scheduler) subscribeLocked(url string, sub Subscriber) {
	f := s.feeds[url]
	if f == nil {
		f = &feed{subscribers: map[Subscriber]struct{}{}}
		s.feeds[url] = f
	}
	f.subscribers[sub] = struct{}{}
	s.startLocked(url, f)
}

// Unsubscribe removes sub from url's users; the last one stops the URL's fetches and
// forgets its state (the Store keeps the copy).
func (s *Scheduler) Unsubscribe(url string, sub Subscriber) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unsubscribeLocked(url, sub)
}

// SetSubscriptions makes urls the exact set of URLs sub uses, for a reconciler that
// knows the URLs a Vendor names now but not those it named before; nil unsubscribes
// sub from all (the Vendor was deleted).
func (s *Scheduler) SetSubscriptions(sub Subscriber, urls []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for url, f := range s.feeds {
		if _, ok := f.subscribers[sub]; ok && !slices.Contains(urls, url) {
			s.unsubscribeLocked(url, sub)
		}
	}
	for _, url := range urls {
		s.subscribeLocked(url, sub)
	}
}

func (s *Scheduler) unsubscribeLocked(url string, sub Subscriber) {
	f := s.feeds[url]
	if f == nil {
		return
	}
	delete(f.subscribers, sub)
	if len(f.subscribers) > 0 {
		return
	}
	if f.cancel != nil {
		f.cancel()
	}
	delete(s.feeds, url)
	s.opts.Metrics.Forget(url)
}

// State is what the scheduler knows of url, and false when no one subscribes to it.
func (s *Scheduler) State(url string) (State, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.feeds[url]
	if f == nil {
		return State{}, false
	}
	return f.state, true
}

// NeedLeaderElection makes only the leader fetch: the others would fetch the same
// documents for controllers that do not run.
func (s *Scheduler) NeedLeaderElection() bool { return true }

// Start runs the fetches until ctx ends.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	s.ctx = ctx
	for url, f := range s.feeds {
		s.startLocked(url, f)
	}
	s.mu.Unlock()
	<-ctx.Done()
	s.wg.Wait()
	return nil
}

func (s *Scheduler) startLocked(url string, f *feed) {
	if s.ctx == nil || s.ctx.Err() != nil || f.cancel != nil {
		return // not started, stopped, or running
	}
	ctx, cancel := context.WithCancel(s.ctx)
	f.cancel = cancel
	s.wg.Go(func() { s.run(ctx, url, f) })
}

// run is one URL's loop: load the last-good copy, then fetch, wait, fetch...
func (s *Scheduler) run(ctx context.Context, url string, f *feed) {
	log := logf.FromContext(ctx).WithValues("feed", url)
	ctx = logf.IntoContext(ctx, log)
	wait := s.load(ctx, url, f)
	failures := 0
	for {
		if wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-s.opts.Clock.After(wait):
			}
		}
		if ctx.Err() != nil {
			return
		}
		res := s.fetcher.Fetch(ctx, url, s.snapshot(f))
		if ctx.Err() != nil {
			return // unsubscribed or stopping: the cut-off fetch says nothing of the feed
		}
		s.opts.Metrics.observe(res)
		var storeErr error
		if res.Err == nil {
			failures = 0
			wait = s.jittered(s.opts.Interval)
			storeErr = s.opts.Store.Save(ctx, url, res.Snapshot)
		} else {
			failures++
			wait = s.jittered(s.backoff(failures, res.RetryAfter))
			log.Info("Fetching the feed failed; the last good document stands", "reason", res.Kind(), "error", res.Err.Error(), "retryIn", wait.Round(time.Second))
		}
		if storeErr != nil {
			log.Error(storeErr, "Keeping the last-good copy failed; a restart would not find it")
		}
		s.update(url, f, func(st *State) {
			st.Last = res
			st.Snapshot = res.Snapshot
			if res.Err == nil {
				st.StoreErr = storeErr
			}
		})
	}
}

// load reads the last-good copy and says how long to wait before the first fetch:
// until an interval after the copy was fetched, so that restarts do not add fetches.
func (s *Scheduler) load(ctx context.Context, url string, f *feed) time.Duration {
	snap, ok, err := s.opts.Store.Load(ctx, url)
	if err != nil {
		logf.FromContext(ctx).Error(err, "Loading the last-good copy failed; fetching anew")
		s.update(url, f, func(st *State) { st.StoreErr = err })
		return 0
	}
	if !ok {
		return 0
	}
	s.opts.Metrics.restored(url, snap.FetchedAt)
	s.update(url, f, func(st *State) { st.Snapshot = snap })
	return snap.FetchedAt.Add(s.opts.Interval).Sub(s.opts.Clock.Now())
}

func (s *Scheduler) snapshot(f *feed) Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return f.state.Snapshot
}

// update changes f's state and tells its subscribers, unless it was unsubscribed.
func (s *Scheduler) update(url string, f *feed, change func(*State)) {
	s.mu.Lock()
	if s.feeds[url] != f {
		s.mu.Unlock()
		return
	}
	change(&f.state)
	u := Update{URL: url, State: f.state}
	for sub := range f.subscribers {
		u.Subscribers = append(u.Subscribers, sub)
	}
	s.mu.Unlock()
	slices.SortFunc(u.Subscribers, func(a, b Subscriber) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	if s.opts.OnUpdate != nil {
		s.opts.OnUpdate(u)
	}
}

// retryAfter is the wait after the n-th failure in a row: RetryInterval doubled n-1
// times, at most Interval.
func (s *Scheduler) retryAfter(n int) time.Duration {
	d := s.opts.RetryInterval
	for i := 1; i < n && d < s.opts.Interval; i++ {
		d *= 2
	}
	return min(d, s.opts.Interval)
}

// backoff is the wait after the n-th failure in a row: retryAfter(n), or longer when
// the server asked for longer (Retry-After on a 429 or 503), so that a vendor
// rate-limiting its feed is not asked again sooner; but never longer than Interval,
// so that a server cannot stop the fetches by asking.
func (s *Scheduler) backoff(n int, asked time.Duration) time.Duration {
	return max(s.retryAfter(n), min(asked, s.opts.Interval))
}

func (s *Scheduler) jittered(d time.Duration) time.Duration {
	return jittered(d, s.opts.Jitter, s.rand())
}

// jittered is d plus r×factor×d, for r in [0, 1): never less than d, so the interval
// stays a minimum.
func jittered(d time.Duration, factor, r float64) time.Duration {
	return d + time.Duration(r*factor*float64(d))
}
