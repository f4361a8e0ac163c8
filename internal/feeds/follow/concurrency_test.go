/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package follow

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds/fetch"
)

// blockingLoads holds every Load until release is closed, and tells of the first.
type blockingLoads struct {
	*fetch.MemoryStore
	loading chan struct{}
	release chan struct{}
}

func (s blockingLoads) Load(ctx context.Context, url string) (fetch.Snapshot, bool, error) {
	select {
	case s.loading <- struct{}{}:
	default:
	}
	<-s.release
	return s.MemoryStore.Load(ctx, url)
}

// TestAVendorGoneWhileItsCopyLoadsIsNotFetched: a Vendor deleted (or changed) while
// its feed's copy is read must not leave the URL subscribed, fetched for no group.
func TestAVendorGoneWhileItsCopyLoadsIsNotFetched(t *testing.T) {
	g := NewWithT(t)
	store := blockingLoads{fetch.NewMemoryStore(), make(chan struct{}, 1), make(chan struct{})}
	h := newHarness(t, store, "github")
	spec := github(t).Spec
	done := make(chan error)
	go func() { done <- h.feeds.SetVendor(context.Background(), "acme", &spec) }()
	<-store.loading
	g.Expect(h.feeds.SetVendor(context.Background(), "acme", nil)).To(Succeed())
	close(store.release)
	g.Expect(<-done).To(Succeed())
	g.Expect(h.subs.urls).To(BeEmpty(), "the vendor is gone: nothing fetches its feed")
	h.feeds.mu.Lock()
	defer h.feeds.mu.Unlock()
	g.Expect(h.feeds.urls).To(BeEmpty())
}

// TestABuiltinVendorDoesNotReplaceAVendorObject: the built-in vendors are taken up at
// start from a list of Vendor objects; an object the Vendor controller set after that
// list keeps its groups.
func TestABuiltinVendorDoesNotReplaceAVendorObject(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t, fetch.NewMemoryStore(), "github")
	object := v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{{Name: "hooks", Direction: v1alpha1.DirectionIngress,
		Feed: &v1alpha1.AddressFeed{Preset: "github", Filters: []v1alpha1.FeedFilter{{Key: "service", Values: []string{"hooks"}}}}}}}
	g.Expect(h.feeds.SetVendor(context.Background(), "github", &object)).To(Succeed())
	g.Expect(h.feeds.SetBuiltin(context.Background(), "github", &github(t).Spec)).To(Succeed())
	g.Expect(h.subs.urls[githubMeta]).To(HaveLen(1), "only the object's one group follows meta")

	g.Expect(h.feeds.SetBuiltin(context.Background(), "stripe", &stripe(t).Spec)).To(Succeed())
	g.Expect(h.feeds.VendorStatus("stripe", stripe(t).Spec)).To(HaveEach(HaveField("Reason", v1alpha1.ReasonFeedNotEnabled)),
		"a built-in vendor no object replaces is followed")
}

// TestApprovalsAreReadWithoutTheLock: the approval is a read of the API server (or
// its cache); holding the lock through it would stall every allowlist's rendering.
func TestApprovalsAreReadWithoutTheLock(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t, fetch.NewMemoryStore(), "github")
	reads, underLock := 0, 0
	h.feeds.o.Approvals = func(context.Context, string) (string, error) {
		reads++
		if !h.feeds.mu.TryLock() {
			underLock++
			return "", nil
		}
		h.feeds.mu.Unlock()
		return "", nil
	}
	g.Expect(h.feeds.SetVendor(context.Background(), "github", &github(t).Spec)).To(Succeed())
	h.fetched(githubMeta, metaWithHooks(t, fiveHooks...))
	h.fetched(githubMeta, metaWithHooks(t, "192.30.252.0/22"))
	g.Expect(h.status(t).Reason).To(Equal(v1alpha1.ReasonFeedHeld))
	g.Expect(reads).To(BeNumerically(">", 0))
	g.Expect(underLock).To(BeZero())
}

// TestTheListInForceComingBackEndsTheTrouble: a feed that served a broken document
// and then the one in force again is current, not stale forever.
func TestTheListInForceComingBackEndsTheTrouble(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t, fetch.NewMemoryStore(), "github")
	g.Expect(h.feeds.SetVendor(context.Background(), "github", &github(t).Spec)).To(Succeed())
	good := metaWithHooks(t, fiveHooks...)
	h.fetched(githubMeta, good)
	h.fetched(githubMeta, []byte("<html>rate limited</html>"))
	g.Expect(h.status(t).Reason).To(Equal(v1alpha1.ReasonFeedStale))
	h.fetched(githubMeta, good)
	st := h.status(t)
	g.Expect(st.Reason).To(Equal(v1alpha1.ReasonFeedCurrent), st.Message)
}

// unreadableLoads fails every Load while broken, as an API server that times out.
type unreadableLoads struct {
	*fetch.MemoryStore
	mu     sync.Mutex
	broken bool
}

func (s *unreadableLoads) Load(ctx context.Context, url string) (fetch.Snapshot, bool, error) {
	s.mu.Lock()
	broken := s.broken
	s.mu.Unlock()
	if broken {
		return fetch.Snapshot{}, false, errors.New("etcdserver: request timed out")
	}
	return s.MemoryStore.Load(ctx, url)
}

// TestAnUnreadableCopyLetsNoListInUnjudged: a restart that cannot read the accepted
// copy must not take the next document as a first one: that would shrink (or widen)
// the lists in force without the approval the bounds ask for.
func TestAnUnreadableCopyLetsNoListInUnjudged(t *testing.T) {
	g := NewWithT(t)
	memory := fetch.NewMemoryStore()
	before := newHarness(t, memory, "github")
	g.Expect(before.feeds.SetVendor(context.Background(), "github", &github(t).Spec)).To(Succeed())
	before.fetched(githubMeta, metaWithHooks(t, fiveHooks...))

	store := &unreadableLoads{MemoryStore: memory, broken: true}
	after := newHarness(t, store, "github")
	g.Expect(after.feeds.SetVendor(context.Background(), "github", &github(t).Spec)).To(MatchError(ContainSubstring("loading the last accepted copy")))
	shrunk := metaWithHooks(t, "192.30.252.0/22")
	after.fetched(githubMeta, shrunk)
	got, pending := after.hooks(t)
	g.Expect(got).To(BeEmpty())
	g.Expect(pending).To(ConsistOf(HaveField("Message", ContainSubstring("no new list is taken until it can be compared"))),
		"the allowlist keeps its policies, and says why")
	kept, _, _ := memory.Load(context.Background(), githubMeta)
	g.Expect(kept.Digest).NotTo(Equal(fetch.Digest(shrunk)), "the unjudged document does not replace the copy")

	store.mu.Lock()
	store.broken = false
	store.mu.Unlock()
	after.fetched(githubMeta, shrunk)
	got, _ = after.hooks(t)
	g.Expect(got).To(ConsistOf(fiveHooks), "the copy read back is in force; the shrink waits for an admin")
	g.Expect(after.status(t).Reason).To(Equal(v1alpha1.ReasonFeedHeld))
}

// slowSaves holds the Save of one digest until release is closed.
type slowSaves struct {
	*fetch.MemoryStore
	digest  string
	saving  chan struct{}
	release chan struct{}
}

func (s *slowSaves) Save(ctx context.Context, url string, snap fetch.Snapshot) error {
	if snap.Digest == s.digest {
		s.saving <- struct{}{}
		<-s.release
	}
	return s.MemoryStore.Save(ctx, url, snap)
}

// TestTheCopyIsTheListLastPutInForce: an approval judged while a fetch comes in must
// not leave the Store with an older document than the one in force; a restart would
// go back to it.
func TestTheCopyIsTheListLastPutInForce(t *testing.T) {
	g := NewWithT(t)
	shrunk := metaWithHooks(t, "192.30.252.0/22")
	next := metaWithHooks(t, "192.30.252.0/22", "8.8.4.0/24")
	store := &slowSaves{MemoryStore: fetch.NewMemoryStore(), digest: fetch.Digest(shrunk), saving: make(chan struct{}), release: make(chan struct{})}
	h := newHarness(t, store, "github")
	g.Expect(h.feeds.SetVendor(context.Background(), "github", &github(t).Spec)).To(Succeed())
	h.fetched(githubMeta, metaWithHooks(t, fiveHooks...))
	h.fetched(githubMeta, shrunk)
	g.Expect(h.status(t).Reason).To(Equal(v1alpha1.ReasonFeedHeld))

	h.approved = fetch.Digest(shrunk)
	approvedDone, fetchedDone := make(chan struct{}), make(chan struct{})
	go func() { h.feeds.Rejudge(context.Background(), githubMeta); close(approvedDone) }()
	<-store.saving
	go func() { h.fetched(githubMeta, next); close(fetchedDone) }()
	select { // give the fetch the time to overtake the approval's save, if it can
	case <-fetchedDone:
	case <-time.After(200 * time.Millisecond):
	}
	close(store.release)
	<-approvedDone
	<-fetchedDone

	got, _ := h.hooks(t)
	g.Expect(got).To(ConsistOf("192.30.252.0/22", "8.8.4.0/24"))
	kept, _, _ := store.Load(context.Background(), githubMeta)
	g.Expect(kept.Digest).To(Equal(fetch.Digest(next)), "a restart starts from the list in force")
}

func stripe(t *testing.T) *v1alpha1.Vendor {
	v, ok := catalog.Builtin().Get("stripe")
	if !ok {
		t.Fatal("no built-in stripe vendor")
	}
	return v
}

// TestAGroupItsAdminFixedForgetsItsTrouble: a group whose feed could not fill it
// says why; once the admin changes its feed to one that works, it is current.
func TestAGroupItsAdminFixedForgetsItsTrouble(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t, fetch.NewMemoryStore(), "github")
	group := func(name, service string) v1alpha1.EndpointGroup {
		return v1alpha1.EndpointGroup{Name: v1alpha1.ObjectName(name), Direction: v1alpha1.DirectionIngress,
			Feed: &v1alpha1.AddressFeed{Preset: "github", Filters: []v1alpha1.FeedFilter{{Key: "service", Values: []string{service}}}}}
	}
	broken := v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{group("inbound", "hooks"), group("outbound", "api")}}
	g.Expect(h.feeds.SetVendor(context.Background(), "acme", &broken)).To(Succeed())
	h.fetched(githubMeta, metaWithHooks(t, "10.0.0.0/8"))
	g.Expect(h.feeds.VendorStatus("acme", broken)).To(ContainElement(And(HaveField("Group", v1alpha1.ObjectName("inbound")),
		HaveField("Message", ContainSubstring("guard forbids")))))

	fixed := v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{group("inbound", "api"), group("outbound", "api")}}
	g.Expect(h.feeds.SetVendor(context.Background(), "acme", &fixed)).To(Succeed())
	g.Expect(h.feeds.VendorStatus("acme", fixed)).To(HaveEach(HaveField("Reason", v1alpha1.ReasonFeedCurrent)))
}

// TestAnApprovalDoesNotHideAFailingFeed: approving a held list judges it again, but
// fetches nothing: a feed whose fetches fail still says so.
func TestAnApprovalDoesNotHideAFailingFeed(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t, fetch.NewMemoryStore(), "github")
	g.Expect(h.feeds.SetVendor(context.Background(), "github", &github(t).Spec)).To(Succeed())
	h.fetched(githubMeta, metaWithHooks(t, fiveHooks...))
	shrunk := metaWithHooks(t, "192.30.252.0/22")
	h.fetched(githubMeta, shrunk)
	held := fetch.Snapshot{Body: shrunk, Digest: fetch.Digest(shrunk), FetchedAt: h.clock.Now()}
	h.failed(githubMeta, held, context.DeadlineExceeded)

	h.approved = held.Digest
	h.feeds.Rejudge(context.Background(), githubMeta)
	got, _ := h.hooks(t)
	g.Expect(got).To(ConsistOf("192.30.252.0/22"))
	st := h.status(t)
	g.Expect(st.Reason).To(Equal(v1alpha1.ReasonFeedStale))
	g.Expect(st.Message).To(ContainSubstring("the last fetch failed (Timeout)"))
}

// TestAGroupWhoseListTheCopyLostTakesNoListUnapproved: a group that kept an older list
// because the newest document did not work for it has, after a restart, no list from
// the copy (which is the newest document). Its policies stay; the first list a later
// document gives it cannot be compared with theirs, so an admin approves it.
func TestAGroupWhoseListTheCopyLostTakesNoListUnapproved(t *testing.T) {
	g := NewWithT(t)
	group := func(name, service string) v1alpha1.EndpointGroup {
		return v1alpha1.EndpointGroup{Name: v1alpha1.ObjectName(name), Direction: v1alpha1.DirectionIngress,
			Feed: &v1alpha1.AddressFeed{Preset: "github", Filters: []v1alpha1.FeedFilter{{Key: "service", Values: []string{service}}}}}
	}
	spec := v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{group("inbound", "hooks"), group("outbound", "api")}}
	store := fetch.NewMemoryStore()
	before := newHarness(t, store, "github")
	g.Expect(before.feeds.SetVendor(context.Background(), "acme", &spec)).To(Succeed())
	before.fetched(githubMeta, metaWithHooks(t, fiveHooks...))
	before.fetched(githubMeta, metaWithHooks(t, "10.0.0.0/8")) // inbound keeps its five; outbound follows

	after := newHarness(t, store, "github")
	g.Expect(after.feeds.SetVendor(context.Background(), "acme", &spec)).To(Succeed())
	inbound := []v1alpha1.VendorSelection{{Name: "acme", Endpoints: []v1alpha1.ObjectName{"inbound"}}}
	_, pending := after.feeds.Fill(catalogWith(spec), inbound)
	g.Expect(pending).To(HaveLen(1), "the allowlist keeps its policies")

	shrunk := metaWithHooks(t, "192.30.252.0/22")
	after.fetched(githubMeta, shrunk)
	_, pending = after.feeds.Fill(catalogWith(spec), inbound)
	g.Expect(pending).To(HaveLen(1), "one network for five in the policies waits for an admin")
	st := after.feeds.VendorStatus("acme", spec)
	g.Expect(st).To(ContainElement(And(HaveField("Group", v1alpha1.ObjectName("inbound")), HaveField("Reason", v1alpha1.ReasonFeedHeld),
		HaveField("Message", ContainSubstring("group inbound gets its first list since the manager restarted")))))

	after.approved = fetch.Digest(shrunk)
	after.feeds.Rejudge(context.Background(), githubMeta)
	_, pending = after.feeds.Fill(catalogWith(spec), inbound)
	g.Expect(pending).To(BeEmpty())
}

func catalogWith(spec v1alpha1.VendorSpec) *catalog.Catalog {
	v := v1alpha1.Vendor{Spec: spec}
	v.Name = "acme"
	return catalog.Builtin().WithOverrides([]v1alpha1.Vendor{v})
}

// TestTheNetworksMetricSurvivesARestart: vendorallowlist_feed_prefixes says what a
// feed opens after a restart too, not only once its document changes again.
func TestTheNetworksMetricSurvivesARestart(t *testing.T) {
	g := NewWithT(t)
	store := fetch.NewMemoryStore()
	networks := func(h *harness) []float64 {
		reg := prometheus.NewRegistry()
		metrics, err := fetch.NewMetrics(reg)
		g.Expect(err).NotTo(HaveOccurred())
		h.feeds.o.Metrics = metrics
		g.Expect(h.feeds.SetVendor(context.Background(), "github", &github(t).Spec)).To(Succeed())
		h.fetched(githubMeta, metaWithHooks(t, fiveHooks...))
		families, err := reg.Gather()
		g.Expect(err).NotTo(HaveOccurred())
		var out []float64
		for _, mf := range families {
			if mf.GetName() == "vendorallowlist_feed_prefixes" {
				for _, m := range mf.GetMetric() {
					out = append(out, m.GetGauge().GetValue())
				}
			}
		}
		return out
	}
	before := networks(newHarness(t, store, "github"))
	g.Expect(before).To(HaveLen(1))
	g.Expect(before[0]).To(BeNumerically(">", 5))
	g.Expect(networks(newHarness(t, store, "github"))).To(Equal(before), "the same document again: the restarted manager knows what it opens")
}

// TestDeletingAnUnreadableCopyLetsTheNextListIn: the way out docs/feeds.md gives an
// admin whose copy cannot be read.
func TestDeletingAnUnreadableCopyLetsTheNextListIn(t *testing.T) {
	g := NewWithT(t)
	store := &unreadableLoads{MemoryStore: fetch.NewMemoryStore(), broken: true}
	h := newHarness(t, store, "github")
	g.Expect(h.feeds.SetVendor(context.Background(), "github", &github(t).Spec)).NotTo(Succeed())
	store.mu.Lock()
	store.broken = false // the ConfigMap deleted: no copy at all
	store.mu.Unlock()
	h.fetched(githubMeta, metaWithHooks(t, fiveHooks...))
	got, pending := h.hooks(t)
	g.Expect(pending).To(BeEmpty())
	g.Expect(got).To(ConsistOf(fiveHooks))
}
