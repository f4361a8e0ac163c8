/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package follow keeps feed-backed endpoint groups in step with their feeds: it
// subscribes the URLs the catalog's groups name, judges each new document against the
// one in force (every group's selection must work, every network pass the guard, and
// the change stay within the Vendor-change bounds unless an admin approves it), keeps
// the accepted document as the last good copy, and fills feed-backed groups of a
// catalog with the accepted networks when an allowlist is rendered.
//
// The document in force changes only here, and only to one that was judged: a feed
// that fails, times out, no longer parses or selects nothing leaves the last accepted
// list in force, and so does a manager restart while the feed is down, since the
// accepted document is what the Store keeps and what a restart loads.
package follow

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/utils/clock"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds/fetch"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/vendorchange"
)

// Subscriptions is what Feeds needs of the scheduler: *fetch.Scheduler.
type Subscriptions interface {
	Subscribe(url string, sub fetch.Subscriber)
	Unsubscribe(url string, sub fetch.Subscriber)
}

// Options configure Feeds.
type Options struct {
	// Scheduler fetches the subscribed URLs; its OnUpdate must call Feeds.Update, and
	// its Store must be LoadOnly(Store): only Feeds saves, and only what it accepted.
	Scheduler Subscriptions
	// Store keeps the accepted documents.
	Store fetch.Store
	// Approvals reads the digest an admin approved for a URL; nil: none.
	Approvals func(ctx context.Context, url string) (string, error)
	// Enabled says which feeds the manager fetches.
	Enabled Enabled
	// Guard drops networks a feed may never open.
	Guard guard.Guard
	// Bounds hold a new document that changes a group beyond them.
	Bounds vendorchange.Bounds
	// StaleAfter: a feed not fetched successfully for this long is stale.
	StaleAfter time.Duration
	// Metrics records the networks per feed; nil records nothing.
	Metrics *fetch.Metrics
	// Notify is told the vendors whose groups changed addresses or state, to
	// re-render their allowlists and refresh their status; called without locks held.
	Notify func(vendors []string)
	// Event tells of an accepted or held document, for the feed's copy; nil: none.
	Event func(url, reason, message string)
	// Clock; nil: the real clock.
	Clock clock.PassiveClock
}

// Feeds follows the catalog's feed-backed groups. It is safe for concurrent use.
type Feeds struct {
	o Options
	// judging makes one judgement at a time, from reading the approval to saving the
	// document accepted, so that the Store keeps the document last put in force.
	judging sync.Mutex
	mu      sync.Mutex
	groups  map[groupKey]*group
	urls    map[string]*feed
	// taken are the vendors the Vendor controller has set: a built-in vendor's groups
	// never replace those of a Vendor object of the same name.
	taken map[string]bool
}

type groupKey struct{ vendor, group string }

func (k groupKey) subscriber() fetch.Subscriber {
	return fetch.Subscriber{Name: k.vendor, Namespace: k.group}
}

// group is one feed-backed endpoint group of one vendor.
type group struct {
	key       groupKey
	direction v1alpha1.Direction
	source    v1alpha1.AddressFeed
	url       string
	selector  *feeds.Selector
	invalid   error // the source does not compile, or names no usable URL
	enabled   bool
}

// feed is one URL and what is known of it.
type feed struct {
	url        string
	inForce    fetch.Snapshot
	selections map[groupKey]selection
	held       *fetch.Snapshot
	heldReason string
	// fetchProblem is why the last fetch failed; empty when it did not.
	fetchProblem string
	// problems are, per group, why its selection from the newest document failed:
	// the group keeps the list it had.
	problems    map[groupKey]groupProblem
	lastFetched time.Time
	// copyErr is why the accepted copy could not be read; while it stands and no
	// document is in force, no new document is: it could not be compared with the
	// list that was in force before the restart.
	copyErr error
	// fromCopy: the document in force was read back from the Store, not judged by
	// this process.
	fromCopy bool
	// unknown are the groups the copy read back did not work for: they kept an older
	// list before the restart, which the copy does not hold, so their first list is
	// not compared with what is in their policies and waits for an admin.
	unknown map[groupKey]bool
}

// groupProblem is why a group cannot use a document (digest): it keeps its list.
type groupProblem struct {
	kind    feeds.Kind
	message string
	digest  string
}

// selection is what one group opens from the document in force.
type selection struct {
	prefixes []netip.Prefix
	dropped  []netip.Prefix
	version  string
}

// New builds Feeds.
func New(o Options) *Feeds {
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.StaleAfter == 0 {
		o.StaleAfter = 3 * fetch.DefaultInterval
	}
	return &Feeds{o: o, groups: map[groupKey]*group{}, urls: map[string]*feed{}, taken: map[string]bool{}}
}

// SetVendor makes the vendor's feed-backed groups those of spec (nil: none), and
// subscribes or unsubscribes their URLs. A URL subscribed for the first time starts
// from the document the Store kept, so a restart keeps what was in force.
func (f *Feeds) SetVendor(ctx context.Context, name string, spec *v1alpha1.VendorSpec) error {
	return f.setVendor(ctx, name, spec, false)
}

// SetBuiltin follows a built-in vendor's groups, unless the Vendor controller has
// already set the vendor: a Vendor object of that name replaces the built-in one.
func (f *Feeds) SetBuiltin(ctx context.Context, name string, spec *v1alpha1.VendorSpec) error {
	return f.setVendor(ctx, name, spec, true)
}

func (f *Feeds) setVendor(ctx context.Context, name string, spec *v1alpha1.VendorSpec, builtin bool) error {
	wanted := f.wantedGroups(name, spec)
	f.mu.Lock()
	if !f.claimLocked(name, spec, builtin) {
		f.mu.Unlock()
		return nil
	}
	added := f.replaceGroupsLocked(name, wanted)
	f.mu.Unlock()
	var loadErr error
	for _, g := range added {
		if err := f.follow(ctx, g); err != nil {
			loadErr = err
		}
	}
	if len(added) > 0 || spec == nil {
		f.notify([]string{name})
	}
	return loadErr
}

func (f *Feeds) wantedGroups(name string, spec *v1alpha1.VendorSpec) map[groupKey]*group {
	wanted := map[groupKey]*group{}
	if spec == nil {
		return wanted
	}
	for _, eg := range spec.Endpoints {
		if eg.Feed != nil {
			g := f.newGroup(name, eg)
			wanted[g.key] = g
		}
	}
	return wanted
}

// claimLocked records who sets the vendor, and says whether this call may.
func (f *Feeds) claimLocked(name string, spec *v1alpha1.VendorSpec, builtin bool) bool {
	switch {
	case builtin:
		return !f.taken[name]
	case spec == nil:
		delete(f.taken, name)
	default:
		f.taken[name] = true
	}
	return true
}

// replaceGroupsLocked makes wanted the vendor's groups: a group whose feed changed is
// dropped and added anew; it returns the groups added, to follow.
func (f *Feeds) replaceGroupsLocked(name string, wanted map[groupKey]*group) []*group {
	for key, g := range f.groups {
		if key.vendor != name {
			continue
		}
		if w, ok := wanted[key]; !ok || w.url != g.url || !w.sameSource(g) {
			f.dropLocked(g)
		}
	}
	var added []*group
	for key, g := range wanted {
		if _, ok := f.groups[key]; !ok {
			f.groups[key] = g
			added = append(added, g)
		}
	}
	return added
}

func (f *Feeds) newGroup(vendor string, eg v1alpha1.EndpointGroup) *group {
	g := &group{key: groupKey{vendor, string(eg.Name)}, direction: eg.Direction, source: *eg.Feed.DeepCopy()}
	src := Source(*eg.Feed)
	g.enabled = f.o.Enabled.Allows(src)
	sel, err := feeds.Compile(src.Source)
	if err != nil {
		g.invalid = err
		return g
	}
	g.selector, g.url = sel, sel.URL()
	if g.url == "" {
		g.url = eg.Feed.URL
	}
	return g
}

func (g *group) sameSource(o *group) bool {
	return g.enabled == o.enabled && equalFeeds(g.source, o.source)
}

func equalFeeds(a, b v1alpha1.AddressFeed) bool {
	return Source(a).Key() == Source(b).Key()
}

// follow subscribes a new group's URL, loading the stored document first when the URL
// is new, and selects the group's networks from the document in force. A group dropped
// or replaced while its copy loaded is left alone: its successor follows.
func (f *Feeds) follow(ctx context.Context, g *group) error {
	if g.invalid != nil || !g.enabled {
		return nil
	}
	for {
		f.mu.Lock()
		_, known := f.urls[g.url]
		f.mu.Unlock()
		var loaded fetch.Snapshot
		var loadErr error
		if !known {
			loaded, loadErr = f.loadCopy(ctx, g.url)
		}
		f.mu.Lock()
		if f.groups[g.key] != g {
			f.mu.Unlock()
			return loadErr
		}
		fd := f.urls[g.url]
		if fd == nil && known {
			f.mu.Unlock()
			continue // the URL's other groups left meanwhile: its copy is to be loaded
		}
		if fd == nil {
			fd = &feed{url: g.url, selections: map[groupKey]selection{}, problems: map[groupKey]groupProblem{}, unknown: map[groupKey]bool{}, copyErr: loadErr}
			f.urls[g.url] = fd
		}
		if !known && loadErr == nil {
			f.restoreLocked(fd, loaded)
		}
		// A group new to a document in force has no earlier list to compare with, as
		// a new Vendor has none: its first selection is accepted, guarded.
		f.selectNewLocked(fd, g)
		f.recordNetworksLocked(fd)
		f.o.Scheduler.Subscribe(g.url, g.key.subscriber())
		f.mu.Unlock()
		return loadErr
	}
}

// loadCopy reads the accepted copy of url; zero when there is none.
func (f *Feeds) loadCopy(ctx context.Context, url string) (fetch.Snapshot, error) {
	snap, _, err := f.o.Store.Load(ctx, url)
	if err != nil {
		return fetch.Snapshot{}, fmt.Errorf("loading the last accepted copy of %s: %w", url, err)
	}
	return snap, nil
}

// restoreLocked puts the accepted copy read back (zero: there is none) in force, for
// the groups that use it.
func (f *Feeds) restoreLocked(fd *feed, snap fetch.Snapshot) {
	fd.copyErr = nil
	if snap.IsZero() || !fd.inForce.IsZero() {
		return
	}
	fd.inForce, fd.lastFetched, fd.fromCopy = snap, snap.FetchedAt, true
	for _, g := range f.usersLocked(fd.url) {
		f.selectNewLocked(fd, g)
	}
}

// selectNewLocked selects a group's networks from the document in force, if any.
func (f *Feeds) selectNewLocked(fd *feed, g *group) {
	if fd.inForce.IsZero() {
		return
	}
	if sel, err := f.selectGuarded(g, fd.inForce); err == nil {
		fd.selections[g.key] = sel
		delete(fd.problems, g.key)
	} else {
		fd.problems[g.key] = groupProblem{feeds.KindOf(err), err.Error(), fd.inForce.Digest}
		if fd.fromCopy {
			fd.unknown[g.key] = true
		}
	}
}

// retryCopyLoad reads again the accepted copy of url that could not be read when its
// first group came, before a new document is judged.
func (f *Feeds) retryCopyLoad(ctx context.Context, url string) {
	f.mu.Lock()
	fd := f.urls[url]
	retry := fd != nil && fd.copyErr != nil
	f.mu.Unlock()
	if !retry {
		return
	}
	snap, err := f.loadCopy(ctx, url)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.urls[url] != fd || fd.copyErr == nil {
		return
	}
	if err != nil {
		fd.copyErr = err
		return
	}
	f.restoreLocked(fd, snap)
	f.recordNetworksLocked(fd)
}

// recordNetworksLocked sets the feed's networks metric to what its groups open now:
// after a restart and a group's arrival too, not only when a new document comes.
func (f *Feeds) recordNetworksLocked(fd *feed) {
	if f.o.Metrics == nil || len(fd.selections) == 0 {
		return
	}
	var union []netip.Prefix
	for _, sel := range fd.selections {
		union = append(union, sel.prefixes...)
	}
	f.o.Metrics.SetPrefixes(fd.url, len(feeds.Merge(union)))
}

// dropLocked forgets a group, and its URL when no other group uses it.
func (f *Feeds) dropLocked(g *group) {
	delete(f.groups, g.key)
	if g.url == "" || g.invalid != nil || !g.enabled {
		return
	}
	f.o.Scheduler.Unsubscribe(g.url, g.key.subscriber())
	fd := f.urls[g.url]
	if fd == nil {
		return
	}
	delete(fd.selections, g.key)
	delete(fd.problems, g.key) // a group changed by its admin starts afresh
	delete(fd.unknown, g.key)
	for _, other := range f.groups {
		if other.url == g.url && other.enabled && other.invalid == nil {
			return
		}
	}
	delete(f.urls, g.url)
}

// Update judges what the scheduler knows of a URL after a fetch.
func (f *Feeds) Update(ctx context.Context, u fetch.Update) {
	f.judge(ctx, u.URL, u.State)
}

// Rejudge looks again at a held document of url, after an admin approved it.
func (f *Feeds) Rejudge(ctx context.Context, url string) {
	f.mu.Lock()
	fd := f.urls[url]
	var state fetch.State
	if fd != nil && fd.held != nil {
		state.Snapshot = *fd.held
	}
	f.mu.Unlock()
	if !state.Snapshot.IsZero() {
		f.judge(ctx, url, state)
	}
}

func (f *Feeds) judge(ctx context.Context, url string, state fetch.State) {
	f.judging.Lock()
	defer f.judging.Unlock()
	f.retryCopyLoad(ctx, url)
	approved := f.approvedDigest(ctx, url, state.Snapshot) // I/O, so not under f.mu
	f.mu.Lock()
	fd := f.urls[url]
	if fd == nil {
		f.mu.Unlock()
		return
	}
	users := f.usersLocked(url)
	v := f.verdictLocked(fd, users, state, approved)
	f.mu.Unlock()
	if v.event != nil {
		f.event(url, v.event)
	}
	if v.save != nil {
		if err := f.o.Store.Save(ctx, url, *v.save); err != nil {
			f.event(url, &event{v1alpha1.ReasonFeedStale, fmt.Sprintf(
				"The new list from %s is in force, but keeping it for a restart failed: %v", url, err)})
		}
	}
	f.notify(vendorsOf(users))
}

type event struct{ reason, message string }

type verdict struct {
	save  *fetch.Snapshot
	event *event
}

// verdictLocked decides what a fetch changes: nothing (the document in force came
// again, or no group can use the new one), a held document, or a new document in
// force. A group whose selection fails keeps the list it had, and says why; the
// others follow the document. approved is the digest an admin approved for the URL.
func (f *Feeds) verdictLocked(fd *feed, users []*group, state fetch.State, approved string) verdict {
	if !state.Last.AttemptedAt.IsZero() { // not a copy loaded, nor a Rejudge: a fetch
		fd.fetchProblem = ""
		if err := state.Last.Err; err != nil {
			fd.fetchProblem = fmt.Sprintf("the last fetch failed (%s): %v", state.Last.Kind(), err)
		}
	}
	snap := state.Snapshot
	if snap.IsZero() {
		return verdict{}
	}
	if fd.waitsForCopy() || fd.sameAgain(snap) {
		return verdict{}
	}
	next, problems := f.selectAll(users, snap)
	if len(problems) == len(users) {
		fd.problems = problems // nothing in it works: it is not put in force
		return verdict{}
	}
	fd.lastFetched = snap.FetchedAt
	if findings := f.findings(fd, users, next, problems); len(findings) > 0 && approved != snap.Digest { // snap.Digest is not empty
		first := fd.held == nil || fd.held.Digest != snap.Digest
		held := snap
		fd.held, fd.heldReason = &held, heldMessage(fd.url, snap.Digest, findings)
		if first {
			return verdict{event: &event{v1alpha1.ReasonFeedHeld, fd.heldReason}}
		}
		return verdict{}
	}
	for key, sel := range fd.selections {
		if _, failed := problems[key]; failed {
			next[key] = sel // keeps the list it had
		}
	}
	summary := changeSummary(fd.selections, next)
	fd.inForce, fd.selections, fd.problems, fd.held, fd.heldReason, fd.fromCopy = snap, next, problems, nil, "", false
	maps.DeleteFunc(fd.unknown, func(key groupKey, _ bool) bool { _, listed := next[key]; return listed })
	f.recordNetworksLocked(fd)
	saved := snap
	return verdict{save: &saved, event: &event{v1alpha1.ReasonFeedChanged,
		fmt.Sprintf("The list from %s (digest %s) is in force: %s", fd.url, short(snap.Digest), summary)}}
}

// waitsForCopy says whether the accepted copy could not be read: no document is put
// in force before it is, since none could be compared with the list it holds.
func (fd *feed) waitsForCopy() bool {
	if fd.copyErr == nil {
		return false
	}
	fd.fetchProblem = joinProblems(fd.fetchProblem, fmt.Sprintf(
		"%v; no new list is taken until it can be compared with that copy (deleting the copy's ConfigMap %s lets the next document in as a first one)",
		fd.copyErr, fetch.ConfigMapName(fd.url)))
	return true
}

// sameAgain notes a fetch of the document in force: what was held is no longer
// served, and the trouble other documents gave is over (that of this one stays).
func (fd *feed) sameAgain(snap fetch.Snapshot) bool {
	if snap.Digest != fd.inForce.Digest {
		return false
	}
	fd.lastFetched, fd.inForce.FetchedAt = snap.FetchedAt, snap.FetchedAt
	fd.held, fd.heldReason = nil, ""
	maps.DeleteFunc(fd.problems, func(_ groupKey, p groupProblem) bool { return p.digest != snap.Digest })
	return true
}

// selectAll selects every group's networks from a document; problems are the groups
// it does not work for, and why.
func (f *Feeds) selectAll(users []*group, snap fetch.Snapshot) (map[groupKey]selection, map[groupKey]groupProblem) {
	next := make(map[groupKey]selection, len(users))
	problems := map[groupKey]groupProblem{}
	for _, g := range users {
		sel, err := f.selectGuarded(g, snap)
		if err != nil {
			problems[g.key] = groupProblem{feeds.KindOf(err), fmt.Sprintf("the document fetched at %s does not work for this group: %v",
				snap.FetchedAt.UTC().Format(time.RFC3339), err), snap.Digest}
			continue
		}
		next[g.key] = sel
	}
	return next, problems
}

// selectGuarded selects a group's networks from a document and drops those the guard
// forbids: a feed never opens private, link-local, loopback or the cluster's ranges,
// whatever the document says.
func (f *Feeds) selectGuarded(g *group, snap fetch.Snapshot) (selection, error) {
	sel, err := g.selector.Select(snap.Body)
	if err != nil {
		return selection{}, err
	}
	out := selection{version: sel.Version.String()}
	for _, p := range sel.Prefixes {
		if publicOnly(f.o.Guard, p) {
			out.prefixes = append(out.prefixes, p)
		} else {
			out.dropped = append(out.dropped, p)
		}
	}
	if len(out.prefixes) == 0 {
		return selection{}, fmt.Errorf("every network it selects lies in a range the guard forbids (%s)", prefixList(out.dropped))
	}
	return out, nil
}

func publicOnly(g guard.Guard, p netip.Prefix) bool {
	for _, c := range g.PrefixCategories(p) {
		if c != guard.CategoryPublic {
			return false
		}
	}
	return true
}

// findings are the groups' changes beyond the bounds, against the document in force;
// none for the first document, which has nothing to be compared with.
func (f *Feeds) findings(fd *feed, users []*group, next map[groupKey]selection, failed map[groupKey]groupProblem) []string {
	if fd.inForce.IsZero() {
		return nil
	}
	var out []string
	for _, g := range users {
		before, ok := fd.selections[g.key]
		if _, bad := failed[g.key]; bad {
			continue
		}
		if !ok && fd.unknown[g.key] {
			out = append(out, fmt.Sprintf("vendor %s: group %s gets its first list since the manager restarted, and the copy kept for the restart did not hold the list in its policies to compare it with",
				g.key.vendor, g.key.group))
		}
		if !ok {
			continue
		}
		for _, finding := range vendorchange.Compare(summary(g, before), summary(g, next[g.key]), f.o.Bounds, f.o.Guard) {
			out = append(out, fmt.Sprintf("vendor %s: %s", g.key.vendor, finding))
		}
	}
	return out
}

func summary(g *group, s selection) []v1alpha1.EndpointSummary {
	eg := v1alpha1.EndpointGroup{Name: v1alpha1.ObjectName(g.key.group), Direction: g.direction}
	for _, p := range s.prefixes {
		eg.Addresses = append(eg.Addresses, v1alpha1.PublishedAddress{CIDR: v1alpha1.CIDR(p.String())})
	}
	return vendorchange.Summarize(v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{eg}})
}

// approvedDigest is the digest an admin approved for url, read only when there is a
// document to judge; "" when none is, or it cannot be read.
func (f *Feeds) approvedDigest(ctx context.Context, url string, snap fetch.Snapshot) string {
	if f.o.Approvals == nil || snap.IsZero() {
		return ""
	}
	approved, err := f.o.Approvals(ctx, url)
	if err != nil {
		return ""
	}
	return approved
}

func heldMessage(url, digest string, findings []string) string {
	msg := fmt.Sprintf("A new list from %s (digest %s) is held: %s. The list in force stays until an admin approves: kubectl -n <operator namespace> annotate configmap %s %s=%s",
		url, short(digest), strings.Join(findings, "; "), fetch.ConfigMapName(url), v1alpha1.FeedApproveAnnotation, digest)
	return truncate(msg, 3500)
}

func changeSummary(before, after map[groupKey]selection) string {
	var added, removed int
	for key, a := range after {
		b := before[key]
		added += len(minus(a.prefixes, b.prefixes))
		removed += len(minus(b.prefixes, a.prefixes))
	}
	return fmt.Sprintf("%d networks added, %d removed across %d groups", added, removed, len(after))
}

func minus(a, b []netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range a {
		if !slices.Contains(b, p) {
			out = append(out, p)
		}
	}
	return out
}

func (f *Feeds) usersLocked(url string) []*group {
	var out []*group
	for _, g := range f.groups {
		if g.url == url && g.enabled && g.invalid == nil {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b *group) int {
		return strings.Compare(a.key.vendor+"/"+a.key.group, b.key.vendor+"/"+b.key.group)
	})
	return out
}

func vendorsOf(groups []*group) []string {
	var out []string
	for _, g := range groups {
		if !slices.Contains(out, g.key.vendor) {
			out = append(out, g.key.vendor)
		}
	}
	return out
}

func (f *Feeds) notify(vendors []string) {
	if f.o.Notify != nil && len(vendors) > 0 {
		f.o.Notify(vendors)
	}
}

func (f *Feeds) event(url string, e *event) {
	if f.o.Event != nil {
		f.o.Event(url, e.reason, e.message)
	}
}

func short(digest string) string {
	if len(digest) > 12 {
		return digest[:12]
	}
	return digest
}

func prefixList(ps []netip.Prefix) string {
	const most = 8
	parts := make([]string, 0, min(len(ps), most))
	for i, p := range ps {
		if i == most {
			parts = append(parts, fmt.Sprintf("and %d more", len(ps)-most))
			break
		}
		parts = append(parts, p.String())
	}
	return strings.Join(parts, ", ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
