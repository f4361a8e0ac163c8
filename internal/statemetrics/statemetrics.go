/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package statemetrics exports what the operator wrote into its objects' status as
// gauges: whether each allowlist is Ready and why not, the policies and the ingress
// targets in conflict it has, the Vendor changes and feed lists held for an admin's
// approval, the feeds' states. The status is the one truth of those facts, so the
// gauges are read from the manager's cache when Prometheus scrapes, never kept beside
// it, and the alerts and the dashboard read the same words as `kubectl describe`.
//
// Label names avoid `namespace` and `name`: Prometheus gives those to the scraped
// pod's target, and would rename the operator's (exported_namespace) unless the
// scrape honours labels.
package statemetrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// ReasonNotObserved is the reason label of an allowlist whose Ready condition does
// not describe its current generation (new, or changed a moment ago).
const ReasonNotObserved = "NotObserved"

// feedReasons are the states a feed-backed group can be in: each Vendor with feeds
// reports all of them, zero or not, so that an alert on one resolves to 0 rather
// than to a series that vanished.
var feedReasons = []string{
	v1alpha1.ReasonFeedCurrent, v1alpha1.ReasonFeedNotEnabled, v1alpha1.ReasonFeedPending,
	v1alpha1.ReasonFeedStale, v1alpha1.ReasonFeedHeld, v1alpha1.ReasonFeedInvalid,
}

var (
	allowlistReady = prometheus.NewDesc("vendorallowlist_allowlist_ready",
		"1 when the allowlist's Ready condition is True for its current generation, else 0; reason is the condition's reason.",
		[]string{"allowlist_namespace", "allowlist", "reason"}, nil)
	allowlistPolicies = prometheus.NewDesc("vendorallowlist_allowlist_networkpolicies",
		"NetworkPolicies the allowlist has in place (status.policies).",
		[]string{"allowlist_namespace", "allowlist"}, nil)
	targetsInConflict = prometheus.NewDesc("vendorallowlist_allowlist_ingress_targets_conflict",
		"Ingress targets of the allowlist in Conflict: another field manager owns what the operator would write.",
		[]string{"allowlist_namespace", "allowlist"}, nil)
	vendorChangeHeld = prometheus.NewDesc("vendorallowlist_vendor_change_held",
		"1 while a change of the Vendor waits for an admin's approval (Accepted=False, ChangeHeld), else 0.",
		[]string{"vendor"}, nil)
	vendorFeeds = prometheus.NewDesc("vendorallowlist_vendor_feeds",
		"The Vendor's feed-backed endpoint groups, by state (status.feeds[].reason).",
		[]string{"vendor", "reason"}, nil)
)

// Sample is one gauge value with its label values, in the Desc's order.
type Sample struct {
	Desc   *prometheus.Desc
	Labels []string
	Value  float64
}

// AllowlistSamples are the gauges of one allowlist.
func AllowlistSamples(a *v1alpha1.VendorAllowlist) []Sample {
	ready, reason := 0.0, ReasonNotObserved
	if c := meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady); c != nil && c.ObservedGeneration == a.Generation {
		reason = c.Reason
		if c.Status == "True" {
			ready = 1
		}
	}
	conflicts := 0
	for _, t := range a.Status.IngressTargets {
		if t.Reason == v1alpha1.TargetReasonConflict {
			conflicts++
		}
	}
	return []Sample{
		{allowlistReady, []string{a.Namespace, a.Name, reason}, ready},
		{allowlistPolicies, []string{a.Namespace, a.Name}, float64(len(a.Status.Policies))},
		{targetsInConflict, []string{a.Namespace, a.Name}, float64(conflicts)},
	}
}

// VendorSamples are the gauges of one Vendor object.
func VendorSamples(v *v1alpha1.Vendor) []Sample {
	held := 0.0
	if c := meta.FindStatusCondition(v.Status.Conditions, v1alpha1.ConditionAccepted); c != nil && c.Status == "False" && c.Reason == v1alpha1.ReasonChangeHeld {
		held = 1
	}
	out := []Sample{{vendorChangeHeld, []string{v.Name}, held}}
	if len(v.Status.Feeds) == 0 {
		return out
	}
	counts := map[string]int{}
	for _, f := range v.Status.Feeds {
		counts[f.Reason]++
	}
	for _, r := range feedReasons {
		out = append(out, Sample{vendorFeeds, []string{v.Name, r}, float64(counts[r])})
	}
	return out
}

// Collector lists the allowlists and Vendors from the manager's cache at each scrape.
// Only the leader reports (elected is closed once it leads), as only its controllers
// write status and only its DNS metrics move: two replicas would otherwise double
// every count.
type Collector struct {
	Reader  client.Reader
	Elected <-chan struct{}
	// Timeout bounds one scrape's reads of the cache.
	Timeout time.Duration
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{allowlistReady, allowlistPolicies, targetsInConflict, vendorChangeHeld, vendorFeeds} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. A failed read reports nothing for that
// kind, rather than zeros that would resolve the alerts on it.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	select {
	case <-c.Elected:
	default:
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	defer cancel()
	log := logf.FromContext(ctx).WithName("statemetrics")
	var samples []Sample
	var allowlists v1alpha1.VendorAllowlistList
	// The samples only read the cached objects: a copy of each, every scrape, was
	// the scrape's whole cost at 10,000 allowlists.
	if err := c.Reader.List(ctx, &allowlists, client.UnsafeDisableDeepCopy); err != nil {
		log.Error(err, "Listing VendorAllowlists for the metrics failed")
	} else {
		for i := range allowlists.Items {
			samples = append(samples, AllowlistSamples(&allowlists.Items[i])...)
		}
	}
	var vendors v1alpha1.VendorList
	if err := c.Reader.List(ctx, &vendors, client.UnsafeDisableDeepCopy); err != nil {
		log.Error(err, "Listing Vendors for the metrics failed")
	} else {
		for i := range vendors.Items {
			samples = append(samples, VendorSamples(&vendors.Items[i])...)
		}
	}
	for _, s := range samples {
		ch <- prometheus.MustNewConstMetric(s.Desc, prometheus.GaugeValue, s.Value, s.Labels...)
	}
}
