/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fetch

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the feed metrics, registered on one registry (controller-runtime's in
// the manager). A nil *Metrics records nothing.
type Metrics struct {
	fetches     *prometheus.CounterVec
	errors      *prometheus.CounterVec
	lastSuccess *prometheus.GaugeVec
	prefixes    *prometheus.GaugeVec
}

// Values of the result label of vendorallowlist_feed_fetches_total besides the HTTP
// status codes 200 and 304.
const resultError = "error"

// NewMetrics creates the metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vendorallowlist_feed_fetches_total",
			Help: "Feed fetches, by result: 200 (a document), 304 (not modified, the last one stands) or error.",
		}, []string{"result"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vendorallowlist_feed_fetch_errors_total",
			Help: "Failed feed fetches, by reason: Timeout, TLS, HTTPStatus, TooLarge, ForbiddenAddress, RedirectRefused, InvalidURL, Transport.",
		}, []string{"reason"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vendorallowlist_feed_last_success_timestamp_seconds",
			Help: "When the feed was last fetched successfully (200 or 304), as a Unix time.",
		}, []string{"url"}),
		prefixes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vendorallowlist_feed_prefixes",
			Help: "Prefixes selected from the feed's last good document.",
		}, []string{"url"}),
	}
	for _, c := range []prometheus.Collector{m.fetches, m.errors, m.lastSuccess, m.prefixes} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe records one fetch.
func (m *Metrics) observe(r Result) {
	if m == nil {
		return
	}
	if r.Err != nil {
		m.fetches.WithLabelValues(resultError).Inc()
		m.errors.WithLabelValues(string(r.Kind())).Inc()
		return
	}
	m.fetches.WithLabelValues(strconv.Itoa(r.Status)).Inc()
	m.lastSuccess.WithLabelValues(r.URL).Set(float64(r.Snapshot.FetchedAt.UnixNano()) / 1e9)
}

// restored records the fetch time of a last-good copy loaded at start, so the gauge
// does not read as never fetched after a restart.
func (m *Metrics) restored(url string, fetchedAt time.Time) {
	if m == nil || fetchedAt.IsZero() {
		return
	}
	m.lastSuccess.WithLabelValues(url).Set(float64(fetchedAt.UnixNano()) / 1e9)
}

// SetPrefixes records how many prefixes the feed's selection gave, for the parser's
// caller (the feeds package parses; this package only fetches).
func (m *Metrics) SetPrefixes(url string, n int) {
	if m == nil {
		return
	}
	m.prefixes.WithLabelValues(url).Set(float64(n))
}

// Forget removes a feed no one subscribes to any more.
func (m *Metrics) Forget(url string) {
	if m == nil {
		return
	}
	m.lastSuccess.DeleteLabelValues(url)
	m.prefixes.DeleteLabelValues(url)
}
