/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package follow

import (
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds"
)

// Pending is a feed-backed group an allowlist selects that has no list in force: the
// allowlist keeps the policies it has until it does.
type Pending struct {
	Vendor, Group string
	// Reason is FeedNotEnabled, FeedInvalid or FeedPending.
	Reason  string
	Message string
}

// Fill returns cat with the feed-backed groups the selections name filled with the
// networks in force, and the selected groups that have none yet.
func (f *Feeds) Fill(cat *catalog.Catalog, selections []v1alpha1.VendorSelection) (*catalog.Catalog, []Pending) {
	var filled []v1alpha1.Vendor
	var pending []Pending
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, sel := range selections {
		shared, ok := cat.View(string(sel.Name))
		if !ok || !hasFeed(shared) {
			continue
		}
		v := shared.DeepCopy() // its feed-backed groups are filled below
		for i := range v.Spec.Endpoints {
			eg := &v.Spec.Endpoints[i]
			if eg.Feed == nil || !selected(sel, eg) {
				continue
			}
			st := f.groupStatusLocked(v.Name, eg)
			if sel, ok := f.inForceLocked(v.Name, eg); ok {
				for _, p := range sel.prefixes {
					eg.Addresses = append(eg.Addresses, v1alpha1.PublishedAddress{CIDR: v1alpha1.CIDR(p.String())})
				}
				continue
			}
			pending = append(pending, Pending{Vendor: v.Name, Group: string(eg.Name), Reason: st.Reason, Message: st.Message})
		}
		filled = append(filled, *v)
	}
	if len(filled) == 0 {
		return cat, pending
	}
	return cat.WithOverrides(filled), pending
}

func hasFeed(v *v1alpha1.Vendor) bool {
	return slices.ContainsFunc(v.Spec.Endpoints, func(eg v1alpha1.EndpointGroup) bool { return eg.Feed != nil })
}

func selected(sel v1alpha1.VendorSelection, eg *v1alpha1.EndpointGroup) bool {
	if len(sel.Endpoints) > 0 && !slices.Contains(sel.Endpoints, eg.Name) {
		return false
	}
	return len(sel.Directions) == 0 || slices.Contains(sel.Directions, eg.Direction)
}

// inForceLocked is the group's selection from the document in force, when the group
// is followed with the source the vendor gives now.
func (f *Feeds) inForceLocked(vendor string, eg *v1alpha1.EndpointGroup) (selection, bool) {
	g := f.groups[groupKey{vendor, string(eg.Name)}]
	if g == nil || !equalFeeds(g.source, *eg.Feed) || g.invalid != nil || !g.enabled {
		return selection{}, false
	}
	fd := f.urls[g.url]
	if fd == nil {
		return selection{}, false
	}
	sel, ok := fd.selections[g.key]
	return sel, ok
}

// VendorStatus reports each feed-backed group of spec, for the Vendor's status.
func (f *Feeds) VendorStatus(vendor string, spec v1alpha1.VendorSpec) []v1alpha1.FeedStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []v1alpha1.FeedStatus
	for i := range spec.Endpoints {
		if eg := &spec.Endpoints[i]; eg.Feed != nil {
			out = append(out, f.groupStatusLocked(vendor, eg))
		}
	}
	return out
}

// groupStatusLocked is what is known of one feed-backed group: the list in force, and
// why the group does not follow its feed right now, if it does not.
func (f *Feeds) groupStatusLocked(vendor string, eg *v1alpha1.EndpointGroup) v1alpha1.FeedStatus {
	st := v1alpha1.FeedStatus{Group: eg.Name, URL: eg.Feed.URL}
	g := f.groups[groupKey{vendor, string(eg.Name)}]
	switch {
	case g == nil || !equalFeeds(g.source, *eg.Feed):
		st.Reason, st.Message = v1alpha1.ReasonFeedPending, "The operator has not taken up this feed yet"
		return st
	case g.invalid != nil:
		st.Reason, st.Message = v1alpha1.ReasonFeedInvalid, fmt.Sprintf("spec.endpoints[%s].feed: %v", eg.Name, g.invalid)
		return st
	case !g.enabled:
		st.Reason, st.Message = v1alpha1.ReasonFeedNotEnabled, notEnabledMessage(vendor, eg)
		return st
	}
	st.URL = g.url
	fd := f.urls[g.url]
	if fd == nil {
		st.Reason, st.Message = v1alpha1.ReasonFeedPending, "Waiting for the first list from "+g.url
		return st
	}
	sel, ok := fd.selections[g.key]
	problem, hasProblem := fd.problems[g.key]
	if !ok {
		return noListStatus(st, fd, g, problem)
	}
	st.Networks, st.Version, st.Digest = int32(len(sel.prefixes)), sel.version, fd.inForce.Digest
	st.LastFetched, st.LastChanged = timeOf(fd.lastFetched), timeOf(fd.inForce.ChangedAt)
	st.Reason, st.Message = v1alpha1.ReasonFeedCurrent, fmt.Sprintf("%d networks in force from %s", len(sel.prefixes), g.url)
	if len(sel.dropped) > 0 {
		st.Message += fmt.Sprintf("; %d networks the guard forbids are left out (%s)", len(sel.dropped), prefixList(sel.dropped))
	}
	switch {
	case fd.held != nil:
		st.HeldDigest = fd.held.Digest
		st.Reason, st.Message = v1alpha1.ReasonFeedHeld, fd.heldReason
	case f.o.Clock.Since(fd.lastFetched) > f.o.StaleAfter:
		st.Reason = v1alpha1.ReasonFeedStale
		st.Message = fmt.Sprintf("No list has come from %s since %s; the one in force stays%s", g.url, fd.lastFetched.UTC().Format("2006-01-02T15:04:05Z"), problemSuffix(joinProblems(fd.fetchProblem, problem.message)))
	case fd.fetchProblem != "" || hasProblem:
		st.Reason = v1alpha1.ReasonFeedStale
		st.Message = fmt.Sprintf("The list in force from %s stays: %s", g.url, joinProblems(fd.fetchProblem, problem.message))
	}
	return st
}

// noListStatus is the status of a group with no list in force: its feed cannot fill
// it, a document that would is held, or none has come yet.
func noListStatus(st v1alpha1.FeedStatus, fd *feed, g *group, problem groupProblem) v1alpha1.FeedStatus {
	switch {
	case problem.kind == feeds.KindTooManyNetworks:
		st.Reason, st.Message = v1alpha1.ReasonFeedInvalid, fmt.Sprintf("The feed %s cannot fill group %s of vendor %s: %s", g.url, g.key.group, g.key.vendor, problem.message)
	case fd.held != nil:
		st.HeldDigest = fd.held.Digest
		st.Reason, st.Message = v1alpha1.ReasonFeedHeld, fd.heldReason
	default:
		st.Reason, st.Message = v1alpha1.ReasonFeedPending, "Waiting for the first list from "+g.url+problemSuffix(joinProblems(fd.fetchProblem, problem.message))
	}
	return st
}

func notEnabledMessage(vendor string, eg *v1alpha1.EndpointGroup) string {
	what := "feeds given by URL (--feeds=" + URLFeeds + ")"
	if eg.Feed.Preset != "" {
		what = fmt.Sprintf("the %s feed (--feeds=%s, or the chart value feeds.enabled)", eg.Feed.Preset, eg.Feed.Preset)
	}
	return fmt.Sprintf("Group %s of vendor %s follows a feed the manager does not fetch: an admin enables %s", eg.Name, vendor, what)
}

func joinProblems(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}

func problemSuffix(problem string) string {
	if problem == "" {
		return ""
	}
	return ": " + problem
}

func timeOf(t time.Time) *metav1.Time {
	if t.IsZero() {
		return nil
	}
	mt := metav1.NewTime(t.UTC().Truncate(time.Second))
	return &mt
}

// PendingMessage joins the pending groups for an allowlist's condition.
func PendingMessage(pending []Pending) string {
	parts := make([]string, 0, len(pending))
	for _, p := range pending {
		parts = append(parts, p.Message)
	}
	return strings.Join(parts, "; ") + ". The policies in place, if any, stay as they are"
}

// NotEnabled is, for a manager that follows no feed at all, the feed-backed groups the
// selections name: none has a list, and only an admin can change that.
func NotEnabled(cat *catalog.Catalog, selections []v1alpha1.VendorSelection) []Pending {
	var pending []Pending
	for _, sel := range selections {
		v, ok := cat.View(string(sel.Name))
		if !ok {
			continue
		}
		for i := range v.Spec.Endpoints {
			if eg := &v.Spec.Endpoints[i]; eg.Feed != nil && selected(sel, eg) {
				pending = append(pending, Pending{Vendor: v.Name, Group: string(eg.Name), Reason: v1alpha1.ReasonFeedNotEnabled, Message: notEnabledMessage(v.Name, eg)})
			}
		}
	}
	return pending
}

// NotEnabledStatus is, for a manager that follows no feed at all, the status of each
// feed-backed group of a Vendor: none follows its feed until an admin enables it.
func NotEnabledStatus(vendor string, spec v1alpha1.VendorSpec) []v1alpha1.FeedStatus {
	var out []v1alpha1.FeedStatus
	for i := range spec.Endpoints {
		if eg := &spec.Endpoints[i]; eg.Feed != nil {
			out = append(out, v1alpha1.FeedStatus{Group: eg.Name, URL: eg.Feed.URL, Reason: v1alpha1.ReasonFeedNotEnabled, Message: notEnabledMessage(vendor, eg)})
		}
	}
	return out
}
