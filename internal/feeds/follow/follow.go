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
	o      Options
	mu     sync.Mutex
	groups map[groupKey]*group
	urls   map[string]*feed
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
	problems map[groupKey]groupProblem
	lastFetched time.Time
}

// selection is what one group opens from the document in force.
type groupProblem struct {
	kind    feeds.Kind
	message string
}

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
	return &Feeds{o: o, groups: map[groupKey]*group{}, urls: map[string]*feed{}}
}

// SetVendor makes the vendor's feed-backed groups those of spec (nil: none), and
// subscribes or unsubscribes their URLs. A URL subscribed for the first time starts
// from the document the Store kept, so a restart keeps what was in force.
func (f *Feeds) SetVendor(ctx context.Context, name string, spec *v1alpha1.VendorSpec) error {
	wanted := map[groupKey]*group{}
	if spec != nil {
		for _, eg := range spec.Endpoints {
			if eg.Feed == nil {
				continue
			}
			g := f.newGroup(name, eg)
			wanted[g.key] = g
		}
	}
	var loadErr error
	f.mu.Lock()
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
		if _, ok := f.groups[key]; ok {
			continue
		}
		f.groups[key] = g
		added = append(added, g)
	}
	f.mu.Unlock()
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
// is new, and selects the group's networks from the document in force.
func (f *Feeds) follow(ctx context.Context, g *group) error {
	if g.invalid != nil || !g.enabled {
		return nil
	}
	f.mu.Lock()
	fd, known := f.urls[g.url]
	f.mu.Unlock()
	var err error
	if !known {
		fd = &feed{url: g.url, selections: map[groupKey]selection{}, problems: map[groupKey]groupProblem{}}
		var snap fetch.Snapshot
		var ok bool
		if snap, ok, err = f.o.Store.Load(ctx, g.url); err == nil && ok {
			fd.inForce, fd.lastFetched = snap, snap.FetchedAt
		} else if err != nil {
			err = fmt.Errorf("loading the last accepted copy of %s: %w", g.url, err)
		}
		f.mu.Lock()
		if existing, raced := f.urls[g.url]; raced {
			fd = existing
		} else {
			f.urls[g.url] = fd
		}
		f.mu.Unlock()
	}
	f.mu.Lock()
	if !fd.inForce.IsZero() {
		// A group new to a document in force has no earlier list to compare with, as
		// a new Vendor has none: its first selection is accepted, guarded.
		if sel, selErr := f.selectGuarded(g, fd.inForce); selErr == nil {
			fd.selections[g.key] = sel
		} else {
			fd.problems[g.key] = groupProblem{feeds.KindOf(selErr), selErr.Error()}
		}
	}
	f.mu.Unlock()
	f.o.Scheduler.Subscribe(g.url, g.key.subscriber())
	return err
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
	f.mu.Lock()
	fd := f.urls[url]
	if fd == nil {
		f.mu.Unlock()
		return
	}
	users := f.usersLocked(url)
	v := f.verdictLocked(ctx, fd, users, state)
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
// others follow the document.
func (f *Feeds) verdictLocked(ctx context.Context, fd *feed, users []*group, state fetch.State) verdict {
	fd.fetchProblem = ""
	if err := state.Last.Err; err != nil {
		fd.fetchProblem = fmt.Sprintf("the last fetch failed (%s): %v", state.Last.Kind(), err)
	}
	snap := state.Snapshot
	if snap.IsZero() {
		return verdict{}
	}
	if snap.Digest == fd.inForce.Digest {
		fd.lastFetched, fd.inForce.FetchedAt = snap.FetchedAt, snap.FetchedAt
		fd.held, fd.heldReason = nil, ""
		return verdict{}
	}
	next, problems := f.selectAll(users, snap)
	if len(problems) == len(users) {
		fd.problems = problems // nothing in it works: it is not put in force
		return verdict{}
	}
	fd.lastFetched = snap.FetchedAt
	if findings := f.findings(fd, users, next, problems); len(findings) > 0 && !f.approved(ctx, fd.url, snap.Digest) {
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
	fd.inForce, fd.selections, fd.problems, fd.held, fd.heldReason = snap, next, problems, nil, ""
	var union []netip.Prefix
	for _, sel := range next {
		union = append(union, sel.prefixes...)
	}
	f.o.Metrics.SetPrefixes(fd.url, len(feeds.Merge(union)))
	saved := snap
	return verdict{save: &saved, event: &event{v1alpha1.ReasonFeedChanged,
		fmt.Sprintf("The list from %s (digest %s) is in force: %s", fd.url, short(snap.Digest), summary)}}
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
				snap.FetchedAt.UTC().Format(time.RFC3339), err)}
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
		if _, bad := failed[g.key]; !ok || bad {
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

func (f *Feeds) approved(ctx context.Context, url, digest string) bool {
	if f.o.Approvals == nil {
		return false
	}
	approved, err := f.o.Approvals(ctx, url)
	return err == nil && approved != "" && approved == digest
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
