/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package follow

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	clocktesting "k8s.io/utils/clock/testing"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds/fetch"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/vendorchange"
)

const githubMeta = "https://api.github.com/meta"

// subscriptions records what Feeds subscribes, as the scheduler would see it.
type subscriptions struct {
	mu   sync.Mutex
	urls map[string][]fetch.Subscriber
}

func (s *subscriptions) Subscribe(url string, sub fetch.Subscriber) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.urls == nil {
		s.urls = map[string][]fetch.Subscriber{}
	}
	s.urls[url] = append(s.urls[url], sub)
}

func (s *subscriptions) Unsubscribe(url string, sub fetch.Subscriber) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.urls[url]; !ok {
		return // as the scheduler, which forgets nothing it did not know
	}
	s.urls[url] = slices.DeleteFunc(s.urls[url], func(x fetch.Subscriber) bool { return x == sub })
	if len(s.urls[url]) == 0 {
		delete(s.urls, url)
	}
}

// harness is Feeds following a vendor with GitHub's hooks, over a store that
// outlives it, as a manager restart would see the ConfigMaps.
type harness struct {
	feeds    *Feeds
	subs     *subscriptions
	store    fetch.Store
	clock    *clocktesting.FakeClock
	approved string
	notified []string
	events   []string
}

func newHarness(t *testing.T, store fetch.Store, enabled ...string) *harness {
	t.Helper()
	e, err := ParseEnabled(enabled)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{subs: &subscriptions{}, store: store, clock: clocktesting.NewFakeClock(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))}
	h.feeds = New(Options{
		Scheduler: h.subs, Store: store, Enabled: e, Guard: guard.Guard{}, Bounds: vendorchange.DefaultBounds(),
		StaleAfter: 3 * time.Hour, Clock: h.clock,
		Approvals: func(context.Context, string) (string, error) { return h.approved, nil },
		Notify:    func(v []string) { h.notified = append(h.notified, v...) },
		Event:     func(_, reason, msg string) { h.events = append(h.events, reason+" "+msg) },
	})
	return h
}

// github is the built-in github vendor: its groups follow the github preset.
func github(t *testing.T) *v1alpha1.Vendor {
	v, ok := catalog.Builtin().Get("github")
	if !ok {
		t.Fatal("no built-in github vendor")
	}
	return v
}

// metaWithHooks is GitHub's real meta document (trimmed) with hooks replaced.
func metaWithHooks(t *testing.T, hooks ...string) []byte {
	t.Helper()
	raw, err := os.ReadFile("../testdata/github-meta.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if hooks != nil {
		doc["hooks"] = hooks
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (h *harness) fetched(url string, body []byte) {
	snap := fetch.Snapshot{Body: body, Digest: fetch.Digest(body), FetchedAt: h.clock.Now(), ChangedAt: h.clock.Now()}
	h.feeds.Update(context.Background(), fetch.Update{URL: url, State: fetch.State{Snapshot: snap, Last: fetch.Result{URL: url, Status: 200, AttemptedAt: h.clock.Now()}}})
}

func (h *harness) failed(url string, last fetch.Snapshot, err error) {
	h.feeds.Update(context.Background(), fetch.Update{URL: url, State: fetch.State{Snapshot: last,
		Last: fetch.Result{URL: url, AttemptedAt: h.clock.Now(), Err: &fetch.Error{Kind: fetch.KindTimeout, Err: err}}}})
}

// hooks is what an allowlist naming github's hooks gets rendered with, and what is pending.
func (h *harness) hooks(t *testing.T) ([]string, []Pending) {
	t.Helper()
	cat, pending := h.feeds.Fill(catalog.Builtin(), []v1alpha1.VendorSelection{{Name: "github", Endpoints: []v1alpha1.ObjectName{"hooks"}}})
	v, _ := cat.Get("github")
	for _, eg := range v.Spec.Endpoints {
		if eg.Name == "hooks" {
			var out []string
			for _, a := range eg.Addresses {
				out = append(out, string(a.CIDR))
			}
			return out, pending
		}
	}
	t.Fatal("no hooks group")
	return nil, nil
}

func (h *harness) status(t *testing.T) v1alpha1.FeedStatus {
	v := github(t)
	for _, st := range h.feeds.VendorStatus("github", v.Spec) {
		if st.Group == "hooks" {
			return st
		}
	}
	t.Fatal("no hooks status")
	return v1alpha1.FeedStatus{}
}

var fiveHooks = []string{"192.30.252.0/22", "185.199.108.0/22", "140.82.112.0/20", "143.55.64.0/20", "2a0a:a440::/29"}

func TestFirstListIsInForceWithoutWhatTheGuardForbids(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t, fetch.NewMemoryStore(), "github")
	g.Expect(h.feeds.SetVendor(context.Background(), "github", &github(t).Spec)).To(Succeed())
	g.Expect(h.subs.urls).To(HaveKey(githubMeta), "one subscription per URL")
	g.Expect(h.subs.urls[githubMeta]).To(HaveLen(len(github(t).Spec.Endpoints)), "every group that reads meta subscribes to it")

	_, pending := h.hooks(t)
	g.Expect(pending).To(ConsistOf(HaveField("Reason", v1alpha1.ReasonFeedPending)), "nothing in force before the first document")

	h.fetched(githubMeta, metaWithHooks(t, append(slices.Clone(fiveHooks), "10.0.0.0/8", "169.254.169.254/32", "127.0.0.0/8")...))
	got, pending := h.hooks(t)
	g.Expect(pending).To(BeEmpty())
	g.Expect(got).To(ConsistOf(fiveHooks), "private, link-local and loopback networks from a feed are never rendered")
	st := h.status(t)
	g.Expect(st.Reason).To(Equal(v1alpha1.ReasonFeedCurrent))
	g.Expect(st.Networks).To(BeEquivalentTo(5))
	g.Expect(st.Message).To(ContainSubstring("3 networks the guard forbids are left out"))
	g.Expect(h.notified).To(ContainElement("github"))
	g.Expect(h.events).To(ContainElement(ContainSubstring("FeedChanged")))

	stored, ok, err := h.store.Load(context.Background(), githubMeta)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ok).To(BeTrue(), "the accepted document is kept for a restart")
	g.Expect(stored.Digest).To(Equal(st.Digest))
}

func TestShrinkIsHeldUntilApproved(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t, fetch.NewMemoryStore(), "github")
	g.Expect(h.feeds.SetVendor(context.Background(), "github", &github(t).Spec)).To(Succeed())
	h.fetched(githubMeta, metaWithHooks(t, fiveHooks...))

	shrunk := metaWithHooks(t, "192.30.252.0/22")
	h.fetched(githubMeta, shrunk)
	got, _ := h.hooks(t)
	g.Expect(got).To(ConsistOf(fiveHooks), "a list that drops four of five networks waits for an admin")
	st := h.status(t)
	g.Expect(st.Reason).To(Equal(v1alpha1.ReasonFeedHeld))
	g.Expect(st.HeldDigest).To(Equal(fetch.Digest(shrunk)))
	g.Expect(st.Message).To(ContainSubstring("annotate configmap " + fetch.ConfigMapName(githubMeta) + " " + v1alpha1.FeedApproveAnnotation + "=" + fetch.Digest(shrunk)))
	stored, _, _ := h.store.Load(context.Background(), githubMeta)
	g.Expect(stored.Digest).NotTo(Equal(fetch.Digest(shrunk)), "a held document is not what a restart starts from")

	h.approved = "not-this-one"
	h.feeds.Rejudge(context.Background(), githubMeta)
	got, _ = h.hooks(t)
	g.Expect(got).To(HaveLen(5), "an approval of another digest approves nothing")

	h.approved = fetch.Digest(shrunk)
	h.feeds.Rejudge(context.Background(), githubMeta)
	got, _ = h.hooks(t)
	g.Expect(got).To(ConsistOf("192.30.252.0/22"))
	g.Expect(h.status(t).Reason).To(Equal(v1alpha1.ReasonFeedCurrent))
}

func TestWideningBeyondTheBoundIsHeld(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t, fetch.NewMemoryStore(), "presets")
	g.Expect(h.feeds.SetVendor(context.Background(), "github", &github(t).Spec)).To(Succeed())
	h.fetched(githubMeta, metaWithHooks(t, fiveHooks...))

	h.fetched(githubMeta, metaWithHooks(t, append(slices.Clone(fiveHooks), "8.0.0.0/16")...))
	got, _ := h.hooks(t)
	g.Expect(got).To(ConsistOf(fiveHooks), "65,536 new addresses are more than a /24")
	g.Expect(h.status(t).Reason).To(Equal(v1alpha1.ReasonFeedHeld))

	small := metaWithHooks(t, append(slices.Clone(fiveHooks), "8.8.4.0/24")...)
	h.fetched(githubMeta, small)
	got, _ = h.hooks(t)
	g.Expect(got).To(ContainElement("8.8.4.0/24"), "a change within the bounds follows at once")
	g.Expect(h.status(t).HeldDigest).To(BeEmpty())
}

func TestBrokenDocumentsAndFailedFetchesKeepTheList(t *testing.T) {
	for name, body := range map[string][]byte{
		"not JSON":       []byte("<html>rate limited</html>"),
		"empty hooks":    metaWithHooks(t, []string{}...),
		"only forbidden": metaWithHooks(t, "10.0.0.0/8"),
		"not an address": metaWithHooks(t, "github.com"),
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			h := newHarness(t, fetch.NewMemoryStore(), "github")
			g.Expect(h.feeds.SetVendor(context.Background(), "github", &github(t).Spec)).To(Succeed())
			h.fetched(githubMeta, metaWithHooks(t, fiveHooks...))

			h.fetched(githubMeta, body)
			got, pending := h.hooks(t)
			g.Expect(pending).To(BeEmpty())
			g.Expect(got).To(ConsistOf(fiveHooks))
			st := h.status(t)
			g.Expect(st.Reason).To(Equal(v1alpha1.ReasonFeedStale))
			g.Expect(st.Message).To(ContainSubstring("stays"))
			if name != "not JSON" {
				api := h.feeds.VendorStatus("github", github(t).Spec)
				g.Expect(api).To(ContainElement(And(HaveField("Group", v1alpha1.ObjectName("api")), HaveField("Reason", v1alpha1.ReasonFeedCurrent))),
					"one group's trouble with a document is not the other groups'")
			}
		})
	}

	t.Run("timeout, then stale", func(t *testing.T) {
		g := NewWithT(t)
		h := newHarness(t, fetch.NewMemoryStore(), "github")
		g.Expect(h.feeds.SetVendor(context.Background(), "github", &github(t).Spec)).To(Succeed())
		good := metaWithHooks(t, fiveHooks...)
		h.fetched(githubMeta, good)
		last, _, _ := h.store.Load(context.Background(), githubMeta)

		h.clock.Step(time.Hour)
		h.failed(githubMeta, last, context.DeadlineExceeded)
		g.Expect(h.status(t).Message).To(ContainSubstring("Timeout"))
		h.clock.Step(3 * time.Hour)
		h.failed(githubMeta, last, context.DeadlineExceeded)
		got, _ := h.hooks(t)
		g.Expect(got).To(ConsistOf(fiveHooks))
		st := h.status(t)
		g.Expect(st.Reason).To(Equal(v1alpha1.ReasonFeedStale))
		g.Expect(st.Message).To(ContainSubstring("No list has come from " + githubMeta + " since 2026-12-03T10:00:00Z"))
	})
}

func TestRestartStartsFromTheAcceptedList(t *testing.T) {
	g := NewWithT(t)
	store := fetch.NewMemoryStore()
	before := newHarness(t, store, "github")
	g.Expect(before.feeds.SetVendor(context.Background(), "github", &github(t).Spec)).To(Succeed())
	before.fetched(githubMeta, metaWithHooks(t, fiveHooks...))
	before.fetched(githubMeta, metaWithHooks(t, "192.30.252.0/22")) // held when the manager stops

	after := newHarness(t, store, "github")
	g.Expect(after.feeds.SetVendor(context.Background(), "github", &github(t).Spec)).To(Succeed())
	got, pending := after.hooks(t)
	g.Expect(pending).To(BeEmpty(), "no fetch needed: the feed may be down")
	g.Expect(got).To(ConsistOf(fiveHooks), "the accepted list, not the held one")
}

func TestFeedsTheAdminDidNotEnableAreNotFetched(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t, fetch.NewMemoryStore(), "stripe")
	g.Expect(h.feeds.SetVendor(context.Background(), "github", &github(t).Spec)).To(Succeed())
	g.Expect(h.subs.urls).To(BeEmpty())
	_, pending := h.hooks(t)
	g.Expect(pending).To(ConsistOf(And(HaveField("Reason", v1alpha1.ReasonFeedNotEnabled),
		HaveField("Message", ContainSubstring("--feeds=github")))))

	_, err := ParseEnabled([]string{"gihtub"})
	g.Expect(err).To(MatchError(ContainSubstring(`"gihtub" is not a preset`)))
}

func TestGroupsLeavingStopTheirSubscriptions(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t, fetch.NewMemoryStore(), "github")
	g.Expect(h.feeds.SetVendor(context.Background(), "github", &github(t).Spec)).To(Succeed())
	g.Expect(h.subs.urls).To(HaveKey(githubMeta))
	g.Expect(h.feeds.SetVendor(context.Background(), "github", nil)).To(Succeed())
	g.Expect(h.subs.urls).To(BeEmpty())
}

func TestInvalidFeedSaysWhichField(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t, fetch.NewMemoryStore(), "github")
	spec := v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{{Name: "hooks", Direction: v1alpha1.DirectionIngress,
		Feed: &v1alpha1.AddressFeed{Preset: "github", Filters: []v1alpha1.FeedFilter{{Key: "servce", Values: []string{"hooks"}}}}}}}
	g.Expect(h.feeds.SetVendor(context.Background(), "acme", &spec)).To(Succeed())
	st := h.feeds.VendorStatus("acme", spec)
	g.Expect(st).To(ConsistOf(HaveField("Reason", v1alpha1.ReasonFeedInvalid)))
	g.Expect(st[0].Message).To(ContainSubstring("servce"))
	g.Expect(strings.Count(st[0].Message, "spec.endpoints[hooks].feed")).To(Equal(1))
}

func TestAManagerWithoutFeedsSaysSo(t *testing.T) {
	g := NewWithT(t)
	pending := NotEnabled(catalog.Builtin(), []v1alpha1.VendorSelection{{Name: "stripe", Endpoints: []v1alpha1.ObjectName{"webhooks"}}, {Name: "workato"}})
	g.Expect(pending).To(ConsistOf(And(HaveField("Vendor", "stripe"), HaveField("Group", "webhooks"),
		HaveField("Reason", v1alpha1.ReasonFeedNotEnabled), HaveField("Message", ContainSubstring("--feeds=stripe")))))
}

// TestAGroupTooLargeForTheBoundDoesNotHoldTheOthers: GitHub's actions list is
// thousands of networks, more than a group may open; the groups beside it in the same
// document follow it all the same, and the actions group says what to do.
func TestAGroupTooLargeForTheBoundDoesNotHoldTheOthers(t *testing.T) {
	g := NewWithT(t)
	h := newHarness(t, fetch.NewMemoryStore(), "github")
	g.Expect(h.feeds.SetVendor(context.Background(), "github", &github(t).Spec)).To(Succeed())
	raw := metaWithHooks(t, fiveHooks...)
	var doc map[string]any
	g.Expect(json.Unmarshal(raw, &doc)).To(Succeed())
	var actions []string
	for i := range 600 {
		actions = append(actions, netip.AddrFrom4([4]byte{20, byte(i / 256), byte(i % 256), 0}).String()+"/25")
	}
	doc["actions"] = actions
	body, err := json.Marshal(doc)
	g.Expect(err).NotTo(HaveOccurred())
	h.fetched(githubMeta, body)

	got, pending := h.hooks(t)
	g.Expect(pending).To(BeEmpty())
	g.Expect(got).To(ConsistOf(fiveHooks))
	var actionsStatus v1alpha1.FeedStatus
	for _, st := range h.feeds.VendorStatus("github", github(t).Spec) {
		if st.Group == "actions" {
			actionsStatus = st
		}
	}
	g.Expect(actionsStatus.Reason).To(Equal(v1alpha1.ReasonFeedInvalid))
	g.Expect(actionsStatus.Message).To(ContainSubstring("600 networks"))
}
