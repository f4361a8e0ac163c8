/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package dnscache is the manager's one shared view of DNS. Every allowlist that
// names a hostname reads the same entry; a background loop refreshes each hostname
// at its record TTL (clamped, with jitter), and tells exactly the allowlists that use
// a hostname when what it renders changed.
//
// It is built not to cut traffic: addresses accumulate and leave only after going
// unseen for a retention window (round-robin DNS returns different subsets, and
// clients cache answers past the TTL); a failed lookup keeps the last known good
// addresses and stops their ageing; answer order never matters. And it is built not to
// open internal targets: what the guard forbids (loopback, link-local, multicast, the
// cluster's own ranges, every range not globally reachable) is never kept; private
// addresses are, and the renderer keeps them only for entries that allow them.
package dnscache

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/addresses"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/resolver"
)

// Resolver looks a hostname up in DNS, with TTLs.
type Resolver interface {
	Lookup(ctx context.Context, host string) (resolver.Answer, error)
}

// Options tune the cache. Zero fields take the defaults below.
type Options struct {
	// MinRefresh and MaxRefresh clamp the record TTL into the refresh interval.
	MinRefresh, MaxRefresh time.Duration
	// Retention is how long an address stays after DNS last returned it.
	Retention time.Duration
	// MaxAddresses caps the addresses kept per hostname; the longest unseen go first.
	MaxAddresses int
	// Jitter spreads refreshes by up to this fraction of the interval.
	Jitter float64
	// Workers is how many hostnames are refreshed at once.
	Workers int
	// LookupTimeout bounds one hostname's lookup, all servers and retries included.
	LookupTimeout time.Duration
	// ReconcileWait bounds how long Lookup waits for the first answers of hostnames
	// never resolved before; the rest are rendered when they come (the allowlist is
	// told through Events), so that no allowlist waits on another's slow DNS.
	ReconcileWait time.Duration
	// LookupsPerNamespace bounds the first lookups in flight for the allowlists of one
	// namespace, so that a namespace full of names that never answer cannot take every
	// lookup from the others.
	LookupsPerNamespace int
	// Guard decides which returned addresses may be rendered.
	Guard guard.Guard
}

// Defaults.
const (
	DefaultMinRefresh    = 30 * time.Second
	DefaultMaxRefresh    = time.Hour
	DefaultRetention     = time.Hour
	DefaultMaxAddresses  = addresses.DefaultMaxAddresses
	DefaultJitter        = 0.1
	DefaultWorkers       = 8
	DefaultLookupTimeout = 15 * time.Second
	DefaultReconcileWait = 2 * time.Second
	DefaultLookupsPerNS  = 8
)

func (o *Options) withDefaults() {
	if o.MinRefresh <= 0 {
		o.MinRefresh = DefaultMinRefresh
	}
	if o.MaxRefresh <= 0 {
		o.MaxRefresh = DefaultMaxRefresh
	}
	o.MaxRefresh = max(o.MaxRefresh, o.MinRefresh)
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.MaxAddresses <= 0 {
		o.MaxAddresses = DefaultMaxAddresses
	}
	if o.Jitter < 0 || o.Jitter >= 1 {
		o.Jitter = DefaultJitter
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.LookupTimeout <= 0 {
		o.LookupTimeout = DefaultLookupTimeout
	}
	if o.ReconcileWait <= 0 {
		o.ReconcileWait = DefaultReconcileWait
	}
	if o.LookupsPerNamespace <= 0 {
		o.LookupsPerNamespace = DefaultLookupsPerNS
	}
}

// entry is everything known of one hostname.
type entry struct {
	// seen maps each address kept to when DNS last returned it. Forbidden addresses
	// are never kept; private ones are, and filtered per request.
	seen map[netip.Addr]time.Time
	// answeredAt is when DNS last gave an authoritative answer (addresses, NXDOMAIN
	// or NODATA); zero before the first.
	answeredAt time.Time
	err        error // the last failure, nil once DNS answers again
	failures   int   // consecutive failures, for backoff
	// failingSince is when the current run of failures began; zero while DNS answers.
	failingSince time.Time
	forbidden    int // forbidden addresses in the last answer
	dropped      int // addresses the cap dropped at the last answer
	ttl          time.Duration
	next         time.Time // when to refresh
	users        map[types.NamespacedName]addresses.Owner
	// published is seen as the users were last told of it (or as first answered):
	// what their status records, give or take a quarter of the retention.
	published map[netip.Addr]time.Time
	// seeds are, per user, the addresses an earlier run of the operator rendered for
	// this hostname in that user's own policy, with when DNS last returned each. A
	// seed is shown to its user only: status is written by whoever may write the
	// allowlist's status, so it must never reach another allowlist.
	seeds map[types.NamespacedName]map[netip.Addr]time.Time
	// resolving names the namespaces whose Lookup started a first lookup of the
	// hostname that has not finished; while there is one, the refresh loop leaves the
	// entry alone. Each namespace starts its own, in its own slots, so that a hostname
	// shared with a namespace whose slots are full is not held up behind them (the
	// query itself is shared).
	resolving map[string]bool
	// waiters are the users that stopped waiting for the first answer: they are told
	// when it comes.
	waiters map[types.NamespacedName]struct{}
	// firstResult is closed when DNS first answers or fails for the hostname.
	firstResult chan struct{}
}

func newEntry() *entry {
	return &entry{
		seen:        map[netip.Addr]time.Time{},
		users:       map[types.NamespacedName]addresses.Owner{},
		seeds:       map[types.NamespacedName]map[netip.Addr]time.Time{},
		resolving:   map[string]bool{},
		waiters:     map[types.NamespacedName]struct{}{},
		firstResult: make(chan struct{}),
	}
}

// cold reports whether DNS has never answered nor failed for the entry.
func (e *entry) cold() bool { return e.answeredAt.IsZero() && e.err == nil }

// Cache implements addresses.Source.
type Cache struct {
	opts     Options
	resolver Resolver
	clock    clock.Clock
	metrics  *Metrics
	queries  singleflight.Group
	events   chan event.GenericEvent
	wake     chan struct{}
	// background is the context of lookups that outlive the Lookup call that started
	// them; it ends when Start returns.
	background context.Context
	stop       context.CancelFunc
	// firstLookups are the first lookups running in the background. Their query can
	// still be in flight after Lookup has returned, and a refresh then joins it
	// instead of asking again; tests that step the clock wait for them.
	firstLookups sync.WaitGroup

	mu      sync.Mutex
	hosts   map[string]*entry
	byOwner map[types.NamespacedName][]string
	// slots bound the first lookups in flight per namespace.
	slots map[string]chan struct{}
}

// New returns a cache. metrics may be nil.
func New(r Resolver, clk clock.Clock, opts Options, metrics *Metrics) *Cache {
	opts.withDefaults()
	background, stop := context.WithCancel(context.Background())
	return &Cache{
		opts:       opts,
		resolver:   r,
		clock:      clk,
		metrics:    metrics,
		events:     make(chan event.GenericEvent, 1024),
		wake:       make(chan struct{}, 1),
		background: background,
		stop:       stop,
		hosts:      map[string]*entry{},
		byOwner:    map[types.NamespacedName][]string{},
		slots:      map[string]chan struct{}{},
	}
}

// Events carries one event per allowlist whose hostnames changed; the controller
// watches it through a channel source.
func (c *Cache) Events() <-chan event.GenericEvent { return c.events }

// Lookup implements addresses.Source. A hostname never resolved before is looked up
// at once, the lookups of one call concurrently, and Lookup waits for their answers
// up to ReconcileWait, so a new allowlist usually renders with its addresses. A
// hostname that has not answered by then is shown as not resolved yet, and the owner
// is told through Events when it answers or fails. After that, answers come from the
// cache and the background loop keeps them fresh.
func (c *Cache) Lookup(ctx context.Context, owner addresses.Owner, requests []addresses.Request) map[string]addresses.Host {
	names := make([]string, 0, len(requests))
	var cold, start []string
	c.mu.Lock()
	now := c.clock.Now()
	for _, r := range requests {
		names = append(names, r.Hostname)
		e, ok := c.hosts[r.Hostname]
		if !ok {
			e = newEntry()
			c.hosts[r.Hostname] = e
		}
		e.users[owner.Key] = owner
		if e.cold() {
			if _, seeded := e.seeds[owner.Key]; !seeded && len(r.Seed) > 0 {
				c.seed(e, owner.Key, r.Seed, now)
			}
			if _, seeded := e.seeds[owner.Key]; seeded {
				continue // rendered from its own seed meanwhile; the loop refreshes it soon
			}
			cold = append(cold, r.Hostname)
			if !e.resolving[owner.Key.Namespace] {
				e.resolving[owner.Key.Namespace] = true
				start = append(start, r.Hostname)
			}
		}
	}
	c.dropInterest(owner.Key, names)
	c.byOwner[owner.Key] = names
	c.mu.Unlock()
	c.poke()

	for _, name := range start {
		c.firstLookups.Go(func() { c.firstLookup(owner.Key.Namespace, name) })
	}
	c.awaitFirstAnswers(ctx, owner.Key, cold)

	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]addresses.Host, len(requests))
	for _, r := range requests {
		out[r.Hostname] = c.view(c.hosts[r.Hostname], owner.Key)
	}
	return out
}

// firstLookup resolves a hostname for the first time, in the background, holding one
// of the namespace's lookup slots.
func (c *Cache) firstLookup(namespace, name string) {
	slot := c.slot(namespace)
	select {
	case slot <- struct{}{}:
	case <-c.background.Done():
		return
	}
	defer func() { <-slot }()
	c.mu.Lock()
	e, ok := c.hosts[name]
	cold := ok && e.cold()
	c.mu.Unlock()
	if cold { // another namespace's lookup may have answered while this one waited
		c.refresh(c.background, name)
	}
}

func (c *Cache) slot(namespace string) chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.slots[namespace]
	if !ok {
		s = make(chan struct{}, c.opts.LookupsPerNamespace)
		c.slots[namespace] = s
	}
	return s
}

// awaitFirstAnswers waits until every named entry has answered or failed once, or
// ReconcileWait has passed; the owner is then registered to hear of those still cold.
func (c *Cache) awaitFirstAnswers(ctx context.Context, owner types.NamespacedName, names []string) {
	if len(names) == 0 {
		return
	}
	c.mu.Lock()
	first := make([]<-chan struct{}, 0, len(names))
	for _, name := range names {
		if e, ok := c.hosts[name]; ok {
			first = append(first, e.firstResult)
		}
	}
	c.mu.Unlock()

	deadline := c.clock.NewTimer(c.opts.ReconcileWait)
	defer deadline.Stop()
wait:
	for _, ch := range first {
		select {
		case <-ch:
		case <-deadline.C():
			break wait
		case <-ctx.Done():
			break wait
		}
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	for _, name := range names {
		if e, ok := c.hosts[name]; ok && e.cold() {
			e.waiters[owner] = struct{}{}
		}
	}
}

// Forget implements addresses.Source.
func (c *Cache) Forget(owner types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropInterest(owner, nil)
	delete(c.byOwner, owner)
}

// dropInterest removes the owner from hostnames it no longer uses, and hostnames
// nobody uses. Called with c.mu held.
func (c *Cache) dropInterest(owner types.NamespacedName, keep []string) {
	for _, name := range c.byOwner[owner] {
		if slices.Contains(keep, name) {
			continue
		}
		if e, ok := c.hosts[name]; ok {
			delete(e.users, owner)
			delete(e.seeds, owner)
			delete(e.waiters, owner)
			if len(e.users) == 0 {
				delete(c.hosts, name)
				c.metrics.forget(name)
			}
		}
	}
}

// seed records what an earlier run rendered for the owner, for the owner alone.
// Whatever is not believable is left out: an address the guard forbids, a time in the
// future (status times are whole seconds, so up to a second ahead is allowed) or
// older than the retention window. Called with c.mu held.
func (c *Cache) seed(e *entry, owner types.NamespacedName, seed map[netip.Addr]time.Time, now time.Time) {
	kept := map[netip.Addr]time.Time{}
	for a, t := range seed {
		a, class := c.opts.Guard.Answer(a)
		if class == guard.Forbidden || t.After(now.Add(time.Second)) || now.Sub(t) > c.opts.Retention {
			continue
		}
		kept[a] = minTime(t, now)
	}
	if len(kept) > 0 {
		e.seeds[owner] = kept
	}
}

// view is what one owner sees of an entry: what DNS returned, and the owner's own
// seeds. Called with c.mu held.
func (c *Cache) view(e *entry, owner types.NamespacedName) addresses.Host {
	h := addresses.Host{ResolvedAt: e.answeredAt, Err: e.err, Blocked: e.forbidden, Dropped: e.dropped, LastSeen: map[netip.Addr]time.Time{}}
	for a, t := range e.seen {
		h.LastSeen[a] = t
	}
	for a, t := range e.seeds[owner] {
		if seen, ok := h.LastSeen[a]; !ok || t.After(seen) {
			h.LastSeen[a] = t
		}
		if e.answeredAt.IsZero() && t.After(h.ResolvedAt) {
			h.ResolvedAt = t // what the owner's status said, until DNS answers
		}
	}
	h.Dropped += c.capped(h.LastSeen)
	for a := range h.LastSeen {
		h.Addresses = append(h.Addresses, a)
	}
	slices.SortFunc(h.Addresses, netip.Addr.Compare)
	return h
}

// Start runs the refresh loop until ctx ends. The cache is a manager Runnable.
func (c *Cache) Start(ctx context.Context) error {
	defer c.stop()
	timer := c.clock.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait := c.refreshDue(ctx)
		if !timer.Stop() {
			select {
			case <-timer.C():
			default:
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-c.wake:
		case <-timer.C():
		}
	}
}

// NeedLeaderElection: only the leader, whose reconciler acts, queries DNS.
func (c *Cache) NeedLeaderElection() bool { return true }

func (c *Cache) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// refreshDue refreshes every hostname whose time has come, Workers at a time, and
// returns how long until the next one is due.
func (c *Cache) refreshDue(ctx context.Context) time.Duration {
	now := c.clock.Now()
	c.mu.Lock()
	var due []string
	for name, e := range c.hosts {
		if !e.next.After(now) && len(e.resolving) == 0 {
			due = append(due, name)
		}
	}
	c.mu.Unlock()
	slices.Sort(due)

	sem := make(chan struct{}, c.opts.Workers)
	var wg sync.WaitGroup
	for _, name := range due {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c.refresh(ctx, name)
		})
	}
	wg.Wait()

	c.mu.Lock()
	defer c.mu.Unlock()
	wait := c.opts.MaxRefresh
	now = c.clock.Now()
	for _, e := range c.hosts {
		if len(e.resolving) == 0 {
			wait = min(wait, max(e.next.Sub(now), 0))
		}
	}
	return max(wait, 10*time.Millisecond)
}

// refresh queries one hostname (concurrent refreshes of it share one query), folds the
// answer into its entry, and tells its users when what they render changed.
func (c *Cache) refresh(ctx context.Context, name string) {
	_, _, _ = c.queries.Do(name, func() (any, error) {
		lookupCtx, cancel := context.WithTimeout(ctx, c.opts.LookupTimeout)
		defer cancel()
		start := c.clock.Now()
		answer, err := c.resolver.Lookup(lookupCtx, name)
		c.metrics.observeLookup(name, err, c.clock.Since(start))
		if ctx.Err() != nil {
			return nil, nil // shutting down: an aborted lookup says nothing about DNS
		}
		users := c.record(ctx, name, answer, err)
		c.poke() // the loop may be asleep on a wait computed before this entry had a next refresh
		for _, u := range users {
			c.notify(ctx, u)
		}
		return nil, nil
	})
}

// record folds one answer into the entry and returns the users to tell.
func (c *Cache) record(ctx context.Context, name string, answer resolver.Answer, err error) []types.NamespacedName {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.hosts[name]
	if !ok {
		return nil // nobody uses it any more
	}
	now := c.clock.Now()
	first := e.cold()
	clear(e.resolving)
	var waiters []types.NamespacedName
	if first {
		waiters = e.firstResultCame()
	}
	if !addresses.Authoritative(err) {
		newlyFailing := c.recordFailure(ctx, name, e, err, now)
		switch {
		case first:
			return waiters
		case newlyFailing:
			return sortedKeys(e.users)
		}
		return nil
	}
	changed, seedsChanged := c.recordAnswer(ctx, name, e, answer, err, now)
	switch {
	case first:
		e.published = maps.Clone(e.seen)
		return waiters
	case changed || c.statusStale(e):
		e.published = maps.Clone(e.seen)
		return sortedKeys(e.users)
	}
	return seedsChanged
}

// firstResultCame releases whoever is still waiting in Lookup, who sees the result
// there, and returns whoever stopped waiting, to be told.
func (e *entry) firstResultCame() []types.NamespacedName {
	close(e.firstResult)
	waiters := sortedKeys(e.waiters)
	clear(e.waiters)
	return waiters
}

// recordFailure keeps every address, fail static, and does not age them while DNS
// is down; the next try backs off. It reports whether DNS had answered until now.
func (c *Cache) recordFailure(ctx context.Context, name string, e *entry, err error, now time.Time) bool {
	newlyFailing := e.err == nil
	if newlyFailing {
		logf.FromContext(ctx).Info("DNS lookup failed; keeping the last known addresses", "hostname", name, "error", err.Error())
	}
	e.err = err
	if e.failures == 0 {
		e.failingSince = now
	}
	e.failures++
	minRefresh, maxRefresh := c.bounds(e)
	backoff := min(minRefresh<<min(e.failures-1, 10), maxRefresh)
	e.next = now.Add(c.jitter(backoff))
	c.metrics.setHost(name, len(e.seen), e.forbidden, e.dropped, e.answeredAt)
	return newlyFailing
}

// recordAnswer folds an authoritative answer (addresses, NXDOMAIN or NODATA) into the
// entry and schedules its refresh at the TTL. It reports whether the addresses kept
// changed or DNS had been failing, and the owners whose seeds lost an address.
func (c *Cache) recordAnswer(ctx context.Context, name string, e *entry, answer resolver.Answer, err error, now time.Time) (bool, []types.NamespacedName) {
	before := setOf(e.seen)
	hadErr := e.err != nil
	e.resumeAgeing(now)
	kept, forbidden := addresses.Keep(answer.Addrs(), c.opts.Guard)
	e.err, e.failures, e.forbidden = nil, 0, len(forbidden)
	e.answeredAt = now
	for _, a := range kept {
		e.seen[a] = now
	}
	if e.forbidden > 0 {
		logf.FromContext(ctx).Info("DNS returned internal addresses; not rendering them", "hostname", name, "blocked", e.forbidden)
	}
	e.dropped = c.expire(e.seen, now)
	if e.dropped > 0 {
		logf.FromContext(ctx).Info("DNS returned more addresses than are kept per hostname; dropped the longest unseen", "hostname", name, "kept", len(e.seen), "dropped", e.dropped)
	}
	seedsChanged := c.expireSeeds(e, now)
	c.scheduleRefresh(e, answer, err, now)
	c.metrics.setHost(name, len(e.seen), e.forbidden, e.dropped, now)
	return hadErr || !maps.Equal(before, setOf(e.seen)), seedsChanged
}

// resumeAgeing ends an outage: the retention clock stood still while DNS was down,
// so an address gets the same time to reappear after an outage as before it.
func (e *entry) resumeAgeing(now time.Time) {
	if e.failingSince.IsZero() {
		return
	}
	outage := now.Sub(e.failingSince)
	for a, t := range e.seen {
		e.seen[a] = minTime(t.Add(outage), now)
	}
	for _, seeds := range e.seeds {
		for a, t := range seeds {
			seeds[a] = minTime(t.Add(outage), now)
		}
	}
	e.failingSince = time.Time{}
}

// scheduleRefresh sets the next refresh at the answer's TTL, within the users' bounds.
func (c *Cache) scheduleRefresh(e *entry, answer resolver.Answer, err error, now time.Time) {
	minRefresh, maxRefresh := c.bounds(e)
	e.ttl = answer.MinTTL()
	if err != nil {
		e.ttl = minRefresh // NXDOMAIN/NODATA carry no usable TTL here
	}
	e.next = now.Add(c.jitter(min(max(e.ttl, minRefresh), maxRefresh)))
}

// expireSeeds drops seeded addresses unseen for longer than the retention window, and
// returns the owners whose view lost an address. It also drops the seeds DNS has
// returned since: the entry's own time for the address is as late and lasts as long,
// so the owner's view is the same without them, and after a restart, when DNS
// confirms nearly every seed, they were a map per allowlist and hostname kept for the
// retention window (2 MB at 10,000 allowlists).
func (c *Cache) expireSeeds(e *entry, now time.Time) []types.NamespacedName {
	var changed []types.NamespacedName
	for owner, seeds := range e.seeds {
		lost := false
		for a, t := range seeds {
			if seen, ok := e.seen[a]; ok && !t.After(seen) {
				delete(seeds, a)
				continue
			}
			if now.Sub(t) > c.opts.Retention {
				delete(seeds, a)
				if _, ok := e.seen[a]; !ok {
					lost = true
				}
			}
		}
		if len(seeds) == 0 {
			delete(e.seeds, owner)
		}
		if lost {
			changed = append(changed, owner)
		}
	}
	slices.SortFunc(changed, compareKeys)
	return changed
}

// StatusResolution is how far a last-seen time may move before the users are told:
// the allowlists' status, which seeds the cache after a restart, keeps its recorded
// times until they are this old, so that a refresh alone never writes it.
func (c *Cache) StatusResolution() time.Duration { return c.opts.Retention / 4 }

// statusStale reports whether last-seen times moved by StatusResolution since the
// users were last told. Between such notifications a restart takes an address as
// older than it is by at most twice that: less than the retention window, so no
// address DNS still returns is dropped when the cache is seeded from status.
func (c *Cache) statusStale(e *entry) bool {
	for a, t := range e.seen {
		if published, ok := e.published[a]; !ok || t.Sub(published) >= c.StatusResolution() {
			return true
		}
	}
	return false
}

// expire drops addresses unseen for longer than the retention window, then the
// longest unseen beyond the cap, and returns how many the cap dropped.
func (c *Cache) expire(seen map[netip.Addr]time.Time, now time.Time) int {
	for a, t := range seen {
		if now.Sub(t) > c.opts.Retention {
			delete(seen, a)
		}
	}
	return c.capped(seen)
}

// capped drops the longest unseen addresses beyond MaxAddresses, and returns how many.
func (c *Cache) capped(seen map[netip.Addr]time.Time) int {
	return addresses.Cap(seen, c.opts.MaxAddresses)
}

// bounds is the refresh interval range for an entry: the tightest its users ask for.
func (c *Cache) bounds(e *entry) (time.Duration, time.Duration) {
	lo, hi := c.opts.MinRefresh, c.opts.MaxRefresh
	for _, u := range e.users {
		if u.MinRefresh > 0 {
			lo = min(lo, u.MinRefresh)
		}
		if u.MaxRefresh > 0 {
			hi = min(hi, u.MaxRefresh)
		}
	}
	return lo, max(hi, lo)
}

func (c *Cache) jitter(d time.Duration) time.Duration {
	if c.opts.Jitter == 0 {
		return d
	}
	f := 1 + c.opts.Jitter*(2*rand.Float64()-1)
	return time.Duration(float64(d) * f)
}

func (c *Cache) notify(ctx context.Context, key types.NamespacedName) {
	obj := &v1alpha1.VendorAllowlist{}
	obj.Namespace, obj.Name = key.Namespace, key.Name
	select {
	case c.events <- event.GenericEvent{Object: client.Object(obj)}:
	case <-ctx.Done():
	}
}

func sortedKeys[V any](m map[types.NamespacedName]V) []types.NamespacedName {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, compareKeys)
	return keys
}

func compareKeys(a, b types.NamespacedName) int { return strings.Compare(a.String(), b.String()) }

func setOf(m map[netip.Addr]time.Time) map[netip.Addr]struct{} {
	out := make(map[netip.Addr]struct{}, len(m))
	for a := range m {
		out[a] = struct{}{}
	}
	return out
}

// String describes the cache's settings, for the start-up log.
func (o Options) String() string {
	return fmt.Sprintf("refresh %s..%s, retention %s, max %d addresses per hostname", o.MinRefresh, o.MaxRefresh, o.Retention, o.MaxAddresses)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
