/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fetch

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// updates records what the scheduler told its subscribers.
type updates struct {
	mu  sync.Mutex
	all []Update
}

func (u *updates) record(up Update) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.all = append(u.all, up)
}

func (u *updates) list() []Update {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]Update(nil), u.all...)
}

// startScheduler runs s until the test ends.
func startScheduler(t *testing.T, s *Scheduler) {
	t.Helper()
	ctx, cancel := context.WithCancel(logf.IntoContext(context.Background(), logf.Log))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Start(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// waitingForTimer waits until every running feed loop sleeps on the fake clock.
func waitingForTimer(g *WithT, clk *clocktesting.FakeClock) {
	g.Eventually(clk.HasWaiters).Should(BeTrue())
}

// A URL with 100 subscribers is fetched once per interval, never sooner than the
// interval and never later than interval plus jitter, and all 100 hear of each fetch.
func TestOneFetchPerURLPerInterval(t *testing.T) {
	g := NewWithT(t)
	ca := newTestCA(t)
	srv := ca.serve(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, hooksDoc) })
	clk := clocktesting.NewFakeClock(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))
	var got updates
	s := NewScheduler(newFetcher(t, ca, func(o *Options) { o.Clock = clk }), SchedulerOptions{
		Interval: time.Hour, Jitter: 0.1, Clock: clk, OnUpdate: got.record,
	})
	s.rand = func() float64 { return 0.999 } // the longest wait the jitter gives
	for i := range 100 {
		s.Subscribe(srv.URL, Subscriber{Name: fmt.Sprintf("vendor-%03d", i)})
	}
	startScheduler(t, s)

	g.Eventually(srv.hits.Load).Should(BeEquivalentTo(1))
	waitingForTimer(g, clk)
	g.Expect(got.list()).To(HaveLen(1))
	g.Expect(got.list()[0].Subscribers).To(HaveLen(100))

	for interval := int64(2); interval <= 4; interval++ {
		clk.Step(time.Hour) // the minimum interval: not yet, the jitter is still to run
		g.Consistently(srv.hits.Load, 50*time.Millisecond).Should(Equal(interval - 1))
		clk.Step(6 * time.Minute) // within the 10% jitter
		g.Eventually(srv.hits.Load).Should(Equal(interval))
		waitingForTimer(g, clk)
		g.Expect(srv.hits.Load()).To(Equal(interval), "exactly one fetch in interval %d", interval)
	}
	g.Expect(got.list()).To(HaveLen(4))
	st, ok := s.State(srv.URL)
	g.Expect(ok).To(BeTrue())
	g.Expect(string(st.Snapshot.Body)).To(Equal(hooksDoc))
	g.Expect(st.Last.Status).To(Equal(http.StatusOK))
}

// Subscribers come and go without a fetch of their own; the last one leaving stops
// the URL's fetches, and a new one starts them again.
func TestSubscribersShareTheFetches(t *testing.T) {
	g := NewWithT(t)
	ca := newTestCA(t)
	srv := ca.serve(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, hooksDoc) })
	clk := clocktesting.NewFakeClock(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))
	s := NewScheduler(newFetcher(t, ca, func(o *Options) { o.Clock = clk }), SchedulerOptions{Clock: clk, Jitter: -1})
	startScheduler(t, s)

	s.Subscribe(srv.URL, Subscriber{Name: "github"})
	g.Eventually(srv.hits.Load).Should(BeEquivalentTo(1))
	waitingForTimer(g, clk)
	s.Subscribe(srv.URL, Subscriber{Name: "github-mirror"})
	s.Unsubscribe(srv.URL, Subscriber{Name: "github"})
	g.Consistently(srv.hits.Load, 50*time.Millisecond).Should(BeEquivalentTo(1))

	s.Unsubscribe(srv.URL, Subscriber{Name: "github-mirror"})
	_, ok := s.State(srv.URL)
	g.Expect(ok).To(BeFalse())
	clk.Step(2 * time.Hour)
	g.Consistently(srv.hits.Load, 50*time.Millisecond).Should(BeEquivalentTo(1))

	s.Subscribe(srv.URL, Subscriber{Name: "github"})
	g.Eventually(srv.hits.Load).Should(BeEquivalentTo(2))
}

// SetSubscriptions moves a Vendor from the URLs it no longer names to those it names
// now; the URLs no one names any more stop.
func TestSetSubscriptions(t *testing.T) {
	g := NewWithT(t)
	ca := newTestCA(t)
	srv := ca.serve(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, hooksDoc) })
	clk := clocktesting.NewFakeClock(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))
	s := NewScheduler(newFetcher(t, ca, func(o *Options) { o.Clock = clk }), SchedulerOptions{Clock: clk, Jitter: -1})
	meta, webhooks, api := srv.URL+"/meta", srv.URL+"/ips_webhooks.json", srv.URL+"/ips_api.json"
	github, stripe := Subscriber{Name: "github"}, Subscriber{Name: "stripe"}
	s.SetSubscriptions(github, []string{meta})
	s.SetSubscriptions(stripe, []string{webhooks, api})

	s.SetSubscriptions(stripe, []string{webhooks, meta})
	_, ok := s.State(api)
	g.Expect(ok).To(BeFalse(), "no one names %s any more", api)
	for _, url := range []string{meta, webhooks} {
		_, ok := s.State(url)
		g.Expect(ok).To(BeTrue(), url)
	}

	s.SetSubscriptions(github, nil)
	_, ok = s.State(meta)
	g.Expect(ok).To(BeTrue(), "stripe still names it")
	s.SetSubscriptions(stripe, nil)
	for _, url := range []string{meta, webhooks, api} {
		_, ok := s.State(url)
		g.Expect(ok).To(BeFalse(), url)
	}
}

// After a restart the stored copy is served at once, the first fetch waits for the
// interval since the stored fetch, and asks with the stored validators.
func TestRestartUsesStoredCopy(t *testing.T) {
	g := NewWithT(t)
	ca := newTestCA(t)
	srv := ca.serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"old"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		_, _ = io.WriteString(w, `{"hooks":[]}`)
	})
	clk := clocktesting.NewFakeClock(lastGood.FetchedAt.Add(40 * time.Minute))
	store := NewMemoryStore()
	g.Expect(store.Save(context.Background(), srv.URL, lastGood)).To(Succeed())
	var got updates
	s := NewScheduler(newFetcher(t, ca, func(o *Options) { o.Clock = clk }), SchedulerOptions{
		Clock: clk, Jitter: -1, Store: store, OnUpdate: got.record,
	})
	s.Subscribe(srv.URL, Subscriber{Name: "github"})
	startScheduler(t, s)

	g.Eventually(got.list).Should(HaveLen(1))
	g.Expect(got.list()[0].State.Snapshot).To(Equal(lastGood))
	g.Expect(got.list()[0].State.Last.AttemptedAt.IsZero()).To(BeTrue(), "no fetch yet")
	waitingForTimer(g, clk)
	g.Expect(srv.hits.Load()).To(BeZero(), "the stored copy is 40 minutes old: the first fetch waits 20 more")

	clk.Step(20 * time.Minute)
	g.Eventually(got.list).Should(HaveLen(2))
	st := got.list()[1].State
	g.Expect(st.Last.NotModified).To(BeTrue())
	g.Expect(st.Snapshot.Body).To(Equal(lastGood.Body))
	g.Expect(st.Snapshot.FetchedAt).To(Equal(clk.Now()))
	stored, _, _ := store.Load(context.Background(), srv.URL)
	g.Expect(stored.FetchedAt).To(Equal(clk.Now()), "the 304 is recorded, so the next restart waits from it")
}

// A failed fetch keeps the last good document, tells the subscribers, is retried
// sooner than the interval (doubling), and records its reason.
func TestFailedFetchIsRetriedAndCounted(t *testing.T) {
	g := NewWithT(t)
	ca := newTestCA(t)
	var fail sync.Mutex // held: the server fails
	srv := ca.serve(t, func(w http.ResponseWriter, r *http.Request) {
		if !fail.TryLock() {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		fail.Unlock()
		_, _ = io.WriteString(w, hooksDoc)
	})
	clk := clocktesting.NewFakeClock(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))
	reg := prometheus.NewRegistry()
	metrics, err := NewMetrics(reg)
	g.Expect(err).NotTo(HaveOccurred())
	var got updates
	s := NewScheduler(newFetcher(t, ca, func(o *Options) { o.Clock = clk }), SchedulerOptions{
		Clock: clk, Jitter: -1, RetryInterval: 5 * time.Minute, Metrics: metrics, OnUpdate: got.record,
	})
	s.Subscribe(srv.URL, Subscriber{Name: "github"})
	startScheduler(t, s)
	g.Eventually(srv.hits.Load).Should(BeEquivalentTo(1))
	waitingForTimer(g, clk)

	fail.Lock()
	clk.Step(time.Hour)
	g.Eventually(srv.hits.Load).Should(BeEquivalentTo(2))
	waitingForTimer(g, clk)
	last := got.list()[len(got.list())-1].State
	g.Expect(last.Last.Kind()).To(Equal(KindHTTPStatus))
	g.Expect(string(last.Snapshot.Body)).To(Equal(hooksDoc), "the last good document stands")

	clk.Step(5 * time.Minute) // first retry
	g.Eventually(srv.hits.Load).Should(BeEquivalentTo(3))
	waitingForTimer(g, clk)
	clk.Step(5 * time.Minute) // the second waits 10
	g.Consistently(srv.hits.Load, 50*time.Millisecond).Should(BeEquivalentTo(3))
	clk.Step(5 * time.Minute)
	g.Eventually(srv.hits.Load).Should(BeEquivalentTo(4))
	waitingForTimer(g, clk)

	g.Expect(testutil.ToFloat64(metrics.fetches.WithLabelValues("200"))).To(BeEquivalentTo(1))
	g.Expect(testutil.ToFloat64(metrics.fetches.WithLabelValues("error"))).To(BeEquivalentTo(3))
	g.Expect(testutil.ToFloat64(metrics.errors.WithLabelValues("HTTPStatus"))).To(BeEquivalentTo(3))
	g.Expect(testutil.ToFloat64(metrics.lastSuccess.WithLabelValues(srv.URL))).To(BeEquivalentTo(clk.Now().Add(-75 * time.Minute).Unix()))
}

func TestMetricsNames(t *testing.T) {
	g := NewWithT(t)
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	g.Expect(err).NotTo(HaveOccurred())
	m.observe(Result{URL: "https://api.github.com/meta", Status: 304, NotModified: true, Snapshot: Snapshot{FetchedAt: time.Unix(1000, 0)}})
	m.observe(Result{URL: "https://api.github.com/meta", Err: &Error{Kind: KindTimeout}})
	m.SetPrefixes("https://api.github.com/meta", 7400)
	n, err := testutil.GatherAndCount(reg, "vendorallowlist_feed_fetches_total", "vendorallowlist_feed_fetch_errors_total",
		"vendorallowlist_feed_last_success_timestamp_seconds", "vendorallowlist_feed_prefixes")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(n).To(Equal(5)) // 304 and error, Timeout, one timestamp, one prefix count
	m.Forget("https://api.github.com/meta")
	n, _ = testutil.GatherAndCount(reg, "vendorallowlist_feed_last_success_timestamp_seconds", "vendorallowlist_feed_prefixes")
	g.Expect(n).To(BeZero())
	var none *Metrics
	none.observe(Result{}) // a nil *Metrics records nothing, without panicking
}

// The jitter never shortens the interval and adds at most its fraction.
func TestJitterWithinBounds(t *testing.T) {
	g := NewWithT(t)
	g.Expect(jittered(time.Hour, 0.1, 0)).To(Equal(time.Hour))
	for range 10000 {
		d := jittered(time.Hour, 0.1, rand.Float64())
		g.Expect(d).To(BeNumerically(">=", time.Hour))
		g.Expect(d).To(BeNumerically("<", 66*time.Minute))
	}
	s := NewScheduler(nil, SchedulerOptions{})
	for range 1000 {
		g.Expect(s.jittered(time.Hour)).To(And(BeNumerically(">=", time.Hour), BeNumerically("<", 66*time.Minute)))
	}
}

func TestRetryDoublesUpToInterval(t *testing.T) {
	s := NewScheduler(nil, SchedulerOptions{Interval: time.Hour, RetryInterval: 5 * time.Minute})
	var got []time.Duration
	for n := 1; n <= 6; n++ {
		got = append(got, s.retryAfter(n))
	}
	NewWithT(t).Expect(got).To(Equal([]time.Duration{5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 40 * time.Minute, time.Hour, time.Hour}))
}

// GenericEvents hands a controller one event per subscriber.
func TestGenericEvents(t *testing.T) {
	g := NewWithT(t)
	ch := make(chan event.GenericEvent, 2)
	notify := GenericEvents(ch, func(s Subscriber) client.Object {
		return &v1alpha1.Vendor{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: s.Name}}
	})
	notify(Update{URL: "https://api.github.com/meta", Subscribers: []Subscriber{{Name: "github"}, {Name: "github-enterprise"}}})
	g.Expect((<-ch).Object.GetName()).To(Equal("github"))
	g.Expect((<-ch).Object.GetName()).To(Equal("github-enterprise"))
}

// A vendor that rate-limits its feed is not fetched again before the time it asked
// for, and a server asking for longer than the interval is fetched at the interval.
func TestRetryAfterIsHonouredUpToTheInterval(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		header    string
		wantRetry time.Duration // from the failure to the next fetch
	}{
		{"429 with seconds", http.StatusTooManyRequests, "1800", 30 * time.Minute},
		{"503 with a date", http.StatusServiceUnavailable, "Thu, 03 Dec 2026 11:20:00 GMT", 20 * time.Minute},
		{"asks for more than the interval", http.StatusTooManyRequests, "86400", time.Hour},
		{"asks for less than the backoff", http.StatusTooManyRequests, "10", 5 * time.Minute},
		{"not a rate limit", http.StatusBadGateway, "1800", 5 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ca := newTestCA(t)
			var limited sync.Mutex // held: the server rate-limits
			srv := ca.serve(t, func(w http.ResponseWriter, r *http.Request) {
				if !limited.TryLock() {
					w.Header().Set("Retry-After", tc.header)
					w.WriteHeader(tc.status)
					return
				}
				limited.Unlock()
				_, _ = io.WriteString(w, hooksDoc)
			})
			clk := clocktesting.NewFakeClock(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))
			s := NewScheduler(newFetcher(t, ca, func(o *Options) { o.Clock = clk }), SchedulerOptions{
				Interval: time.Hour, Clock: clk, Jitter: -1, RetryInterval: 5 * time.Minute,
			})
			s.Subscribe(srv.URL, Subscriber{Name: "github"})
			startScheduler(t, s)
			g.Eventually(srv.hits.Load).Should(BeEquivalentTo(1))
			waitingForTimer(g, clk)

			limited.Lock()
			clk.Step(time.Hour) // the failed fetch, at 11:00
			g.Eventually(srv.hits.Load).Should(BeEquivalentTo(2))
			waitingForTimer(g, clk)
			clk.Step(tc.wantRetry - time.Second)
			g.Consistently(srv.hits.Load, 50*time.Millisecond).Should(BeEquivalentTo(2), "fetched again before the wait the server asked for")
			clk.Step(time.Second)
			g.Eventually(srv.hits.Load).Should(BeEquivalentTo(3), "not fetched again after %s", tc.wantRetry)
		})
	}
}
