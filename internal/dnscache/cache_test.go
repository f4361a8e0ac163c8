/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dnscache

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/addresses"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/resolver"
)

// fakeResolver answers from a table; the cache's logic is under test here, and the
// resolver has tests of its own against a real DNS server.
type fakeResolver struct {
	mu      sync.Mutex
	answers map[string][]string
	ttl     time.Duration
	err     error
	calls   atomic.Int64
	gate    chan struct{}
}

func (f *fakeResolver) set(host string, addrs ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers[host] = addrs
}

func (f *fakeResolver) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *fakeResolver) Lookup(_ context.Context, host string) (resolver.Answer, error) {
	f.calls.Add(1)
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return resolver.Answer{}, &resolver.Error{Host: host, Server: "127.0.0.1:53", Err: f.err}
	}
	var a resolver.Answer
	for _, s := range f.answers[host] {
		a.Addresses = append(a.Addresses, resolver.Record{Addr: netip.MustParseAddr(s), TTL: f.ttl})
	}
	if len(a.Addresses) == 0 {
		return a, &resolver.Error{Host: host, Err: resolver.ErrNotFound}
	}
	return a, nil
}

var (
	t0    = time.Unix(1_700_000_000, 0)
	owner = addresses.Owner{Key: types.NamespacedName{Namespace: "ns", Name: "al"}}
)

// documentationRanges hold the tests' DNS answers; the guard refuses them unless an
// admin allows them, as the tests do.
var documentationRanges = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/23"),
	netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32"),
}

func newTestCache(opts Options) (*Cache, *fakeResolver, *clocktesting.FakeClock) {
	if opts.Guard.Allow == nil {
		opts.Guard.Allow = documentationRanges
	}
	clk := clocktesting.NewFakeClock(t0)
	r := &fakeResolver{answers: map[string][]string{}, ttl: time.Minute}
	opts.Jitter = 0
	return New(r, clk, opts, nil), r, clk
}

func lookup(c *Cache, host string) addresses.Host {
	return c.Lookup(context.Background(), owner, []addresses.Request{{Hostname: host}})[host]
}

func strs(addrs []netip.Addr) []string {
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, a.String())
	}
	return out
}

// drain returns the allowlists notified since the last drain.
func drain(c *Cache) []string {
	var out []string
	for {
		select {
		case e := <-c.events:
			out = append(out, e.Object.GetNamespace()+"/"+e.Object.GetName())
		default:
			return out
		}
	}
}

// advance moves the clock to the next due refresh and runs it.
func advance(c *Cache, clk *clocktesting.FakeClock, d time.Duration) {
	clk.Step(d)
	c.refreshDue(context.Background())
}

func TestRoundRobinSubsetsAccumulateAndOrderNeverNotifies(t *testing.T) {
	c, r, clk := newTestCache(Options{MinRefresh: time.Minute, Retention: time.Hour})
	r.set("gw.example.com", "192.0.2.1", "192.0.2.2")
	if got := strs(lookup(c, "gw.example.com").Addresses); !slices.Equal(got, []string{"192.0.2.1", "192.0.2.2"}) {
		t.Fatalf("first answer: %v", got)
	}
	drain(c)

	r.set("gw.example.com", "192.0.2.4", "192.0.2.3") // another subset, another order
	advance(c, clk, time.Minute)
	got := strs(lookup(c, "gw.example.com").Addresses)
	if !slices.Equal(got, []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"}) {
		t.Fatalf("subsets did not accumulate: %v", got)
	}
	if n := drain(c); len(n) != 1 {
		t.Fatalf("a new address notified %v, want the one user once", n)
	}

	r.set("gw.example.com", "192.0.2.2", "192.0.2.1") // seen before, reordered
	for range 5 {
		advance(c, clk, time.Minute)
	}
	if n := drain(c); len(n) != 0 {
		t.Fatalf("reordered, already-known answers notified %v", n)
	}

	// 192.0.2.3 and .4 go unseen past retention: only then do they leave.
	advance(c, clk, 50*time.Minute)
	if got := strs(lookup(c, "gw.example.com").Addresses); len(got) != 4 {
		t.Fatalf("addresses dropped within retention: %v", got)
	}
	advance(c, clk, 10*time.Minute)
	if got := strs(lookup(c, "gw.example.com").Addresses); !slices.Equal(got, []string{"192.0.2.1", "192.0.2.2"}) {
		t.Fatalf("after retention: %v", got)
	}
	if n := drain(c); len(n) == 0 {
		t.Fatal("expiry did not notify the allowlist")
	}
}

func TestFailStaticKeepsAddressesAndStopsAgeing(t *testing.T) {
	c, r, clk := newTestCache(Options{MinRefresh: time.Minute, MaxRefresh: 10 * time.Minute, Retention: time.Hour})
	r.set("gw.example.com", "192.0.2.1")
	first := lookup(c, "gw.example.com")
	// On a loaded machine the first lookup's query may still be in flight, and the
	// refresh below would join it and see its answer instead of the failure.
	c.firstLookups.Wait()
	drain(c)

	r.fail(fmt.Errorf("read udp: i/o timeout: %w", resolver.ErrTemporary))
	advance(c, clk, time.Minute)
	if n := drain(c); len(n) != 1 {
		t.Fatalf("the start of a failure notified %v, want once", n)
	}
	// Two hours of failures, far past retention: nothing is dropped.
	for range 24 {
		advance(c, clk, 5*time.Minute)
	}
	got := lookup(c, "gw.example.com")
	if !slices.Equal(strs(got.Addresses), []string{"192.0.2.1"}) {
		t.Fatalf("addresses dropped while DNS failed: %v", got.Addresses)
	}
	if got.Err == nil || !got.ResolvedAt.Equal(first.ResolvedAt) {
		t.Fatalf("err=%v resolvedAt=%v, want the error and the last answer's time", got.Err, got.ResolvedAt)
	}
	if n := drain(c); len(n) != 0 {
		t.Fatalf("continued failure notified %v", n)
	}
	// Backoff is bounded by MaxRefresh: 24 refreshes in 2 hours means retries went on.
	if calls := r.calls.Load(); calls < 10 {
		t.Fatalf("only %d lookups during the outage: retries stopped", calls)
	}

	r.fail(nil)
	advance(c, clk, 10*time.Minute)
	if n := drain(c); len(n) != 1 {
		t.Fatalf("recovery notified %v, want once", n)
	}
	if got := lookup(c, "gw.example.com"); got.Err != nil {
		t.Fatalf("error not cleared: %v", got.Err)
	}
}

func TestOutageDoesNotCountTowardsRetention(t *testing.T) {
	c, r, clk := newTestCache(Options{MinRefresh: time.Minute, MaxRefresh: 5 * time.Minute, Retention: 30 * time.Minute})
	r.set("gw.example.com", "192.0.2.1", "192.0.2.2")
	lookup(c, "gw.example.com")
	advance(c, clk, 10*time.Minute) // seen at +10m
	r.fail(fmt.Errorf("SERVFAIL: %w", resolver.ErrTemporary))
	for range 12 { // an hour of failures, twice the retention
		advance(c, clk, 5*time.Minute)
	}
	r.fail(nil)
	r.set("gw.example.com", "192.0.2.1") // .2 is no longer returned
	advance(c, clk, 5*time.Minute)
	if got := strs(lookup(c, "gw.example.com").Addresses); !slices.Equal(got, []string{"192.0.2.1", "192.0.2.2"}) {
		t.Fatalf("recovery from an outage dropped an address at once: %v", got)
	}
	// .2 was last seen 5 minutes before the outage; it leaves 25 minutes after it.
	advance(c, clk, 20*time.Minute)
	if got := strs(lookup(c, "gw.example.com").Addresses); len(got) != 2 {
		t.Fatalf("dropped before its remaining retention ran out: %v", got)
	}
	advance(c, clk, 10*time.Minute)
	if got := strs(lookup(c, "gw.example.com").Addresses); !slices.Equal(got, []string{"192.0.2.1"}) {
		t.Fatalf("kept past its remaining retention: %v", got)
	}
}

func TestNXDOMAINAgesOutByRetentionOnly(t *testing.T) {
	c, r, clk := newTestCache(Options{MinRefresh: time.Minute, Retention: 30 * time.Minute})
	r.set("gone.example.com", "192.0.2.9")
	lookup(c, "gone.example.com")
	r.set("gone.example.com") // NXDOMAIN from now on
	advance(c, clk, 20*time.Minute)
	if got := lookup(c, "gone.example.com"); len(got.Addresses) != 1 || got.Err != nil {
		t.Fatalf("NXDOMAIN within retention: addresses=%v err=%v", got.Addresses, got.Err)
	}
	advance(c, clk, 11*time.Minute)
	if got := lookup(c, "gone.example.com"); len(got.Addresses) != 0 {
		t.Fatalf("NXDOMAIN past retention kept %v", got.Addresses)
	}
}

func TestCapDropsLongestUnseen(t *testing.T) {
	c, r, clk := newTestCache(Options{MinRefresh: time.Minute, MaxAddresses: 100})
	var first []string
	for i := range 100 {
		first = append(first, fmt.Sprintf("198.51.100.%d", i+1))
	}
	r.set("big.example.com", first...)
	lookup(c, "big.example.com")
	r.set("big.example.com", "203.0.113.1", "203.0.113.2")
	advance(c, clk, time.Minute)
	got := lookup(c, "big.example.com").Addresses
	if len(got) != 100 {
		t.Fatalf("kept %d addresses, want the cap of 100", len(got))
	}
	if !slices.Contains(strs(got), "203.0.113.1") || !slices.Contains(strs(got), "203.0.113.2") {
		t.Fatal("the newest addresses were dropped instead of the longest unseen")
	}
}

func TestGuardBlocksInternalAddresses(t *testing.T) {
	c, r, _ := newTestCache(Options{Guard: guard.Guard{Cluster: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")}, Allow: documentationRanges}})
	r.set("rebind.example.com", "127.0.0.1", "10.0.0.5", "169.254.169.254", "fd00::1", "10.244.1.2", "192.0.2.7")
	// Private addresses are kept, for the renderer to keep or leave out per entry;
	// loopback, link-local and the pod range never are.
	got := lookup(c, "rebind.example.com")
	if !slices.Equal(strs(got.Addresses), []string{"10.0.0.5", "192.0.2.7", "fd00::1"}) || got.Blocked != 3 {
		t.Fatalf("addresses=%v blocked=%d; loopback, link-local and the pod range must be blocked, and only they", got.Addresses, got.Blocked)
	}
}

func TestSeedFromStatusMeansNoChangeOnRestart(t *testing.T) {
	c, r, clk := newTestCache(Options{MinRefresh: time.Minute})
	r.set("gw.example.com", "192.0.2.1", "192.0.2.2")
	seed := map[netip.Addr]time.Time{
		netip.MustParseAddr("192.0.2.1"): t0.Add(-time.Minute),
		netip.MustParseAddr("192.0.2.2"): t0.Add(-time.Minute),
	}
	got := c.Lookup(context.Background(), owner, []addresses.Request{{Hostname: "gw.example.com", Seed: seed}})["gw.example.com"]
	if len(got.Addresses) != 2 || r.calls.Load() != 0 {
		t.Fatalf("seeded lookup: addresses=%v queries=%d, want the seed and no blocking query", got.Addresses, r.calls.Load())
	}
	advance(c, clk, 0)
	if r.calls.Load() != 1 {
		t.Fatalf("seeded entry not refreshed in the background")
	}
	if n := drain(c); len(n) != 0 {
		t.Fatalf("unchanged DNS after a restart notified %v", n)
	}
	if got := c.Lookup(context.Background(), owner, []addresses.Request{{Hostname: "gw.example.com", Seed: seed}})["gw.example.com"]; len(got.Addresses) != 2 {
		t.Fatalf("after DNS answered: addresses=%v", got.Addresses)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.hosts["gw.example.com"].seeds); n != 0 {
		t.Errorf("%d owners' seeds kept after DNS returned every seeded address", n)
	}
}

func TestRefreshFollowsClampedTTL(t *testing.T) {
	c, r, clk := newTestCache(Options{MinRefresh: 30 * time.Second, MaxRefresh: 5 * time.Minute})
	r.ttl = 2 * time.Second
	r.set("short.example.com", "192.0.2.1")
	r.set("long.example.com", "192.0.2.2")
	lookup(c, "short.example.com")
	r.ttl = 24 * time.Hour
	other := addresses.Owner{Key: types.NamespacedName{Namespace: "ns", Name: "other"}}
	c.Lookup(context.Background(), other, []addresses.Request{{Hostname: "long.example.com"}})
	if r.calls.Load() != 2 {
		t.Fatalf("cold lookups: %d", r.calls.Load())
	}
	advance(c, clk, 29*time.Second)
	if r.calls.Load() != 2 {
		t.Fatal("refreshed before MinRefresh")
	}
	advance(c, clk, time.Second)
	if r.calls.Load() != 3 {
		t.Fatal("short TTL not refreshed at MinRefresh")
	}
	advance(c, clk, 5*time.Minute)
	if r.calls.Load() < 4 {
		t.Fatal("long TTL not refreshed at MaxRefresh")
	}
}

func TestSharedHostnameIsQueriedOnceForAllUsers(t *testing.T) {
	c, r, clk := newTestCache(Options{MinRefresh: time.Minute})
	r.set("shared.example.com", "192.0.2.1")
	for i := range 1000 {
		o := addresses.Owner{Key: types.NamespacedName{Namespace: "ns", Name: fmt.Sprint(i)}}
		c.Lookup(context.Background(), o, []addresses.Request{{Hostname: "shared.example.com"}})
	}
	if r.calls.Load() != 1 {
		t.Fatalf("1000 allowlists caused %d queries", r.calls.Load())
	}
	r.set("shared.example.com", "192.0.2.1", "192.0.2.9")
	advance(c, clk, time.Minute)
	if r.calls.Load() != 2 {
		t.Fatalf("one refresh made %d queries", r.calls.Load()-1)
	}
	if n := drain(c); len(n) != 1000 {
		t.Fatalf("a change notified %d allowlists, want all 1000 users", len(n))
	}
}

func TestConcurrentColdLookupsShareOneQuery(t *testing.T) {
	c, r, _ := newTestCache(Options{})
	r.gate = make(chan struct{})
	r.set("a.example.com", "192.0.2.1")
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			o := addresses.Owner{Key: types.NamespacedName{Namespace: "ns", Name: fmt.Sprint(i)}}
			c.Lookup(context.Background(), o, []addresses.Request{{Hostname: "a.example.com"}})
		})
	}
	for r.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(r.gate)
	wg.Wait()
	if n := r.calls.Load(); n != 1 {
		t.Fatalf("50 concurrent cold lookups made %d queries, want 1", n)
	}
}

func TestForgetDropsUnusedHostnames(t *testing.T) {
	c, r, clk := newTestCache(Options{MinRefresh: time.Minute})
	r.set("a.example.com", "192.0.2.1")
	r.set("b.example.com", "192.0.2.2")
	c.Lookup(context.Background(), owner, []addresses.Request{{Hostname: "a.example.com"}, {Hostname: "b.example.com"}})
	c.Lookup(context.Background(), owner, []addresses.Request{{Hostname: "a.example.com"}}) // b no longer used
	calls := r.calls.Load()
	advance(c, clk, time.Minute)
	if got := r.calls.Load() - calls; got != 1 {
		t.Fatalf("refresh queried %d hostnames, want only the one still used", got)
	}
	c.Forget(owner.Key)
	calls = r.calls.Load()
	advance(c, clk, time.Minute)
	if r.calls.Load() != calls {
		t.Fatal("a forgotten allowlist's hostname is still queried")
	}
}

func TestOwnerRefreshBoundsTightenSharedHostname(t *testing.T) {
	c, r, clk := newTestCache(Options{MinRefresh: time.Minute, MaxRefresh: time.Hour})
	r.ttl = time.Hour
	r.set("a.example.com", "192.0.2.1")
	lookup(c, "a.example.com") // refreshes hourly: the TTL, within the manager's bounds
	eager := addresses.Owner{Key: types.NamespacedName{Namespace: "ns", Name: "eager"}, MaxRefresh: 5 * time.Minute}
	c.Lookup(context.Background(), eager, []addresses.Request{{Hostname: "a.example.com"}})
	advance(c, clk, time.Hour) // the refresh scheduled before the eager allowlist came
	calls := r.calls.Load()
	advance(c, clk, 5*time.Minute)
	if r.calls.Load() != calls+1 {
		t.Fatalf("an allowlist asking for maxInterval 5m did not tighten the shared hostname's refresh")
	}
	c.Forget(eager.Key)
	advance(c, clk, 5*time.Minute) // scheduled under the eager bounds
	calls = r.calls.Load()
	advance(c, clk, 5*time.Minute)
	if r.calls.Load() != calls {
		t.Fatalf("the refresh stayed tight after the allowlist asking for it went away")
	}
}

// The status records last-seen times and seeds the cache after a restart, so it must
// not fall a retention window behind; but rewriting it at every refresh would cost an
// API write per allowlist per TTL. The users are told once per StatusResolution.
func TestUnchangedAnswersNotifyOncePerStatusResolution(t *testing.T) {
	c, r, clk := newTestCache(Options{MinRefresh: time.Minute, Retention: time.Hour})
	r.set("gw.example.com", "192.0.2.1")
	lookup(c, "gw.example.com")
	if got := c.StatusResolution(); got != 15*time.Minute {
		t.Fatalf("StatusResolution = %v, want a quarter of the 1h retention", got)
	}
	var notified []time.Duration
	for range 40 {
		advance(c, clk, time.Minute)
		if n := drain(c); len(n) > 0 {
			notified = append(notified, clk.Since(t0))
		}
	}
	if want := []time.Duration{15 * time.Minute, 30 * time.Minute}; !slices.Equal(notified, want) {
		t.Fatalf("40 one-minute refreshes of the same answer notified at %v, want %v", notified, want)
	}
}

// A seed comes from an allowlist's status, which whoever may write that status can
// forge: it is shown to that allowlist alone, and never to another allowlist of the
// same hostname, in this namespace or another.
func TestSeedIsSeenOnlyByItsOwner(t *testing.T) {
	c, r, clk := newTestCache(Options{MinRefresh: time.Minute})
	r.set("gw.example.com", "198.51.100.1")
	victim := addresses.Owner{Key: types.NamespacedName{Namespace: "victim", Name: "al"}}
	attacker := addresses.Owner{Key: types.NamespacedName{Namespace: "attacker", Name: "al"}}
	planted := map[netip.Addr]time.Time{netip.MustParseAddr("203.0.113.66"): t0.Add(-time.Minute)}

	got := c.Lookup(context.Background(), attacker, []addresses.Request{{Hostname: "gw.example.com", Seed: planted}})["gw.example.com"]
	if !slices.Equal(strs(got.Addresses), []string{"203.0.113.66"}) {
		t.Fatalf("the seeding allowlist sees %v, want its own seed until DNS answers", strs(got.Addresses))
	}
	other := c.Lookup(context.Background(), victim, []addresses.Request{{Hostname: "gw.example.com"}})["gw.example.com"]
	if slices.Contains(strs(other.Addresses), "203.0.113.66") || !slices.Equal(strs(other.Addresses), []string{"198.51.100.1"}) {
		t.Fatalf("another namespace's allowlist sees %v, want only what DNS returned", strs(other.Addresses))
	}
	advance(c, clk, time.Minute)
	if v := c.Lookup(context.Background(), victim, []addresses.Request{{Hostname: "gw.example.com"}})["gw.example.com"]; slices.Contains(strs(v.Addresses), "203.0.113.66") {
		t.Fatalf("after a refresh the victim sees the planted address: %v", strs(v.Addresses))
	}
}

// Nothing from the future and nothing older than the retention window is believed:
// a lastSeen in 2099 would otherwise keep an address forever.
func TestSeedRefusesFutureAndExpiredTimes(t *testing.T) {
	c, r, _ := newTestCache(Options{Retention: time.Hour})
	r.set("gw.example.com", "198.51.100.1")
	seed := map[netip.Addr]time.Time{
		netip.MustParseAddr("203.0.113.1"): time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
		netip.MustParseAddr("203.0.113.2"): t0.Add(-2 * time.Hour),
		netip.MustParseAddr("127.0.0.1"):   t0.Add(-time.Minute),
		netip.MustParseAddr("203.0.113.3"): t0.Add(-time.Minute),
	}
	got := c.Lookup(context.Background(), owner, []addresses.Request{{Hostname: "gw.example.com", Seed: seed}})["gw.example.com"]
	if !slices.Equal(strs(got.Addresses), []string{"203.0.113.3"}) {
		t.Fatalf("seeded view %v, want only the believable 203.0.113.3", strs(got.Addresses))
	}
}

// A seeded address that DNS no longer returns leaves after the retention window, and
// its owner is told.
func TestSeedAgesOutAndTellsItsOwner(t *testing.T) {
	c, r, clk := newTestCache(Options{MinRefresh: time.Minute, Retention: 10 * time.Minute})
	r.set("gw.example.com", "198.51.100.1")
	seed := map[netip.Addr]time.Time{netip.MustParseAddr("198.51.100.2"): t0.Add(-time.Minute)}
	c.Lookup(context.Background(), owner, []addresses.Request{{Hostname: "gw.example.com", Seed: seed}})
	advance(c, clk, 0)
	if n := drain(c); len(n) != 0 {
		t.Fatalf("the first answer after a restart notified %v", n)
	}
	for range 9 {
		advance(c, clk, time.Minute)
	}
	if got := strs(lookup(c, "gw.example.com").Addresses); !slices.Equal(got, []string{"198.51.100.1", "198.51.100.2"}) {
		t.Fatalf("within retention: %v, want the seed kept", got)
	}
	drain(c)
	advance(c, clk, time.Minute)
	if n := drain(c); !slices.Equal(n, []string{"ns/al"}) {
		t.Fatalf("the seed expired and notified %v, want its owner", n)
	}
	if got := strs(lookup(c, "gw.example.com").Addresses); !slices.Equal(got, []string{"198.51.100.1"}) {
		t.Fatalf("after retention: %v", got)
	}
}

// blockingResolver never answers until its context ends, like a server that drops
// every query.
type blockingResolver struct {
	inFlight atomic.Int64
	answer   map[string]string
}

func (b *blockingResolver) Lookup(ctx context.Context, host string) (resolver.Answer, error) {
	if a, ok := b.answer[host]; ok {
		return resolver.Answer{Addresses: []resolver.Record{{Addr: netip.MustParseAddr(a), TTL: time.Minute}}}, nil
	}
	b.inFlight.Add(1)
	defer b.inFlight.Add(-1)
	<-ctx.Done()
	return resolver.Answer{}, &resolver.Error{Host: host, Err: fmt.Errorf("%w: %w", resolver.ErrTemporary, ctx.Err())}
}

// One allowlist's hostnames that never answer hold its Lookup for ReconcileWait at
// most, take at most LookupsPerNamespace lookups, and never delay another namespace.
func TestSilentHostnamesDoNotHoldOtherNamespaces(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	res := &blockingResolver{answer: map[string]string{"ok.example.com": "198.51.100.9"}}
	c := New(res, clk, Options{ReconcileWait: 2 * time.Second, LookupsPerNamespace: 4, LookupTimeout: time.Hour, Guard: guard.Guard{Allow: documentationRanges}}, nil)
	defer c.stop()

	hostile := addresses.Owner{Key: types.NamespacedName{Namespace: "hostile", Name: "al"}}
	var reqs []addresses.Request
	for i := range 32 {
		reqs = append(reqs, addresses.Request{Hostname: fmt.Sprintf("silent%d.example.com", i)})
	}
	done := make(chan map[string]addresses.Host)
	go func() { done <- c.Lookup(context.Background(), hostile, reqs) }()
	for res.inFlight.Load() < 4 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	if n := res.inFlight.Load(); n != 4 {
		t.Fatalf("%d lookups in flight for one namespace, want LookupsPerNamespace = 4", n)
	}

	other := addresses.Owner{Key: types.NamespacedName{Namespace: "other", Name: "al"}}
	got := c.Lookup(context.Background(), other, []addresses.Request{{Hostname: "ok.example.com"}})["ok.example.com"]
	if !slices.Equal(strs(got.Addresses), []string{"198.51.100.9"}) {
		t.Fatalf("another namespace's lookup gave %v while the hostile one waits", strs(got.Addresses))
	}

	select {
	case <-done:
		t.Fatal("the hostile Lookup returned before ReconcileWait with nothing answered")
	default:
	}
	for !clk.HasWaiters() {
		time.Sleep(time.Millisecond)
	}
	clk.Step(2 * time.Second)
	hosts := <-done
	if h := hosts["silent0.example.com"]; len(h.Addresses) != 0 || !h.ResolvedAt.IsZero() || h.Err != nil {
		t.Fatalf("a hostname with no answer yet: %+v, want not resolved", h)
	}
}

// Whoever stopped waiting for a first answer is told when it comes.
func TestOwnerThatStoppedWaitingIsToldOfFirstAnswer(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	r := &fakeResolver{answers: map[string][]string{"slow.example.com": {"198.51.100.1"}}, ttl: time.Minute, gate: make(chan struct{})}
	c := New(r, clk, Options{ReconcileWait: time.Second, Guard: guard.Guard{Allow: documentationRanges}}, nil)
	done := make(chan addresses.Host)
	go func() { done <- lookup(c, "slow.example.com") }()
	for !clk.HasWaiters() {
		time.Sleep(time.Millisecond)
	}
	clk.Step(time.Second)
	if h := <-done; len(h.Addresses) != 0 {
		t.Fatalf("before the answer: %v", strs(h.Addresses))
	}
	close(r.gate)
	deadline := time.Now().Add(10 * time.Second)
	var told []string
	for len(told) == 0 && time.Now().Before(deadline) {
		told = drain(c)
		time.Sleep(time.Millisecond)
	}
	if !slices.Equal(told, []string{"ns/al"}) {
		t.Fatalf("told %v of the first answer, want the owner that stopped waiting", told)
	}
	if got := strs(lookup(c, "slow.example.com").Addresses); !slices.Equal(got, []string{"198.51.100.1"}) {
		t.Fatalf("after the answer: %v", got)
	}
}

// The cap is visible: how many addresses it dropped is reported with the rest.
func TestCapReportsDroppedAddresses(t *testing.T) {
	c, r, _ := newTestCache(Options{MaxAddresses: 256})
	var many []string
	for i := range 300 {
		many = append(many, netip.AddrFrom4([4]byte{198, 51, byte(100 + i/256), byte(i % 256)}).String())
	}
	r.set("big.example.com", many...)
	got := lookup(c, "big.example.com")
	if len(got.Addresses) != 256 || got.Dropped != 44 {
		t.Fatalf("kept %d, dropped %d; want 256 kept and 44 dropped", len(got.Addresses), got.Dropped)
	}
}

// The refresh loop must come back for a hostname that Lookup resolved first, at its
// TTL, not at MaxRefresh: the loop computed its wait before that entry had a time.
func TestLoopRefreshesWhatLookupResolvedFirst(t *testing.T) {
	c, r, clk := newTestCache(Options{MinRefresh: time.Minute, MaxRefresh: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	loopDone := make(chan struct{})
	go func() { defer close(loopDone); _ = c.Start(ctx) }()
	defer func() { cancel(); <-loopDone }()

	r.set("gw.example.com", "192.0.2.1")
	lookup(c, "gw.example.com")
	deadline := time.Now().Add(10 * time.Second)
	for r.calls.Load() < 2 && time.Now().Before(deadline) {
		// Step only as far as the TTL plus jitter-free slack, never to MaxRefresh.
		if clk.Since(t0) < 2*time.Minute {
			clk.Step(time.Second)
		}
		time.Sleep(time.Millisecond)
	}
	if n := r.calls.Load(); n < 2 {
		t.Fatalf("%d queries after %v of fake time: the loop never refreshed at the 1m TTL", n, clk.Since(t0))
	}
}

// A hostname that a namespace with its slots full also asked for is not held up
// behind that namespace's queue when another namespace asks for it.
func TestSharedHostnameIsNotQueuedBehindAnotherNamespace(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	res := &blockingResolver{answer: map[string]string{"shared.example.com": "198.51.100.9"}}
	c := New(res, clk, Options{ReconcileWait: 2 * time.Second, LookupsPerNamespace: 2, LookupTimeout: time.Hour, Guard: guard.Guard{Allow: documentationRanges}}, nil)
	defer c.stop()

	// The hostile namespace fills its two slots, then asks for the shared hostname,
	// whose first lookup waits for a slot of the hostile namespace's.
	hostile := addresses.Owner{Key: types.NamespacedName{Namespace: "hostile", Name: "al"}}
	go c.Lookup(context.Background(), hostile, []addresses.Request{{Hostname: "a.silent.example"}, {Hostname: "b.silent.example"}})
	for res.inFlight.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	hostile2 := addresses.Owner{Key: types.NamespacedName{Namespace: "hostile", Name: "al2"}}
	go c.Lookup(context.Background(), hostile2, []addresses.Request{{Hostname: "shared.example.com"}})
	for {
		c.mu.Lock()
		e, ok := c.hosts["shared.example.com"]
		queued := ok && e.resolving["hostile"]
		c.mu.Unlock()
		if queued {
			break
		}
		time.Sleep(time.Millisecond)
	}
	other := addresses.Owner{Key: types.NamespacedName{Namespace: "other", Name: "al"}}
	done := make(chan addresses.Host, 1)
	go func() {
		done <- c.Lookup(context.Background(), other, []addresses.Request{{Hostname: "shared.example.com"}})["shared.example.com"]
	}()
	var got addresses.Host
	select {
	case got = <-done:
	case <-time.After(10 * time.Second): // real time: the fake clock never ends the wait
		t.Fatal("the other namespace's lookup was held up behind the hostile namespace's full slots")
	}
	if !slices.Equal(strs(got.Addresses), []string{"198.51.100.9"}) {
		t.Fatalf("the other namespace got %v for a hostname queued behind the hostile one's full slots", strs(got.Addresses))
	}
}
