/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dnscache

import (
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/utils/clock"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/resolver"
)

// Metrics are the DNS metrics, registered on one registry (controller-runtime's in
// the manager). A nil *Metrics records nothing.
type Metrics struct {
	lookups   *prometheus.CounterVec
	failures  *prometheus.CounterVec
	latency   prometheus.Histogram
	addresses *prometheus.GaugeVec
	blocked   *prometheus.GaugeVec
	dropped   *prometheus.GaugeVec
	since     *prometheus.Desc
	clock     clock.PassiveClock

	mu          sync.Mutex
	lastSuccess map[string]time.Time
}

// NewMetrics creates the metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer, clk clock.PassiveClock) (*Metrics, error) {
	m := &Metrics{
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vendorallowlist_dns_lookups_total",
			Help: "DNS lookups of vendor hostnames, by result: success, nxdomain, nodata or error.",
		}, []string{"result"}),
		// By hostname, which the lookups counter is not, so that a dashboard shows which
		// name fails; hostnames are bounded by the allowlists, as the gauges below are.
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vendorallowlist_dns_lookup_failures_total",
			Help: "Failed DNS lookups of a hostname, by result: nxdomain, nodata or error.",
		}, []string{"hostname", "result"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vendorallowlist_dns_lookup_duration_seconds",
			Help:    "Time to look up one hostname (A and AAAA, all servers and retries).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}),
		addresses: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vendorallowlist_dns_addresses",
			Help: "Addresses kept for a hostname (seen within the retention window).",
		}, []string{"hostname"}),
		blocked: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vendorallowlist_dns_blocked_addresses",
			Help: "Internal addresses (loopback, link-local, multicast, cluster ranges) in the hostname's last answer, never rendered.",
		}, []string{"hostname"}),
		dropped: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vendorallowlist_dns_dropped_addresses",
			Help: "Addresses of the hostname not kept at its last answer because it has more than --dns-max-addresses (the longest unseen go first).",
		}, []string{"hostname"}),
		since: prometheus.NewDesc("vendorallowlist_dns_seconds_since_success",
			"Seconds since DNS last answered for a hostname.", []string{"hostname"}, nil),
		clock:       clk,
		lastSuccess: map[string]time.Time{},
	}
	for _, c := range []prometheus.Collector{m.lookups, m.failures, m.latency, m.addresses, m.blocked, m.dropped, m} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Describe implements prometheus.Collector for the seconds-since gauge, which is
// computed when scraped so it keeps growing while DNS is down.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) { ch <- m.since }

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock.Now()
	for host, t := range m.lastSuccess {
		ch <- prometheus.MustNewConstMetric(m.since, prometheus.GaugeValue, now.Sub(t).Seconds(), host)
	}
}

func (m *Metrics) observeLookup(host string, err error, d time.Duration) {
	if m == nil {
		return
	}
	result := "success"
	switch {
	case err == nil:
	case errors.Is(err, resolver.ErrNotFound):
		result = "nxdomain"
	case errors.Is(err, resolver.ErrNoAddresses):
		result = "nodata"
	default:
		result = "error"
	}
	m.lookups.WithLabelValues(result).Inc()
	if err != nil {
		m.failures.WithLabelValues(host, result).Inc()
	}
	m.latency.Observe(d.Seconds())
}

func (m *Metrics) setHost(host string, addrs, blocked, dropped int, lastSuccess time.Time) {
	if m == nil {
		return
	}
	m.addresses.WithLabelValues(host).Set(float64(addrs))
	m.blocked.WithLabelValues(host).Set(float64(blocked))
	m.dropped.WithLabelValues(host).Set(float64(dropped))
	if !lastSuccess.IsZero() {
		m.mu.Lock()
		m.lastSuccess[host] = lastSuccess
		m.mu.Unlock()
	}
}

func (m *Metrics) forget(host string) {
	if m == nil {
		return
	}
	m.addresses.DeleteLabelValues(host)
	m.blocked.DeleteLabelValues(host)
	m.dropped.DeleteLabelValues(host)
	m.failures.DeletePartialMatch(prometheus.Labels{"hostname": host})
	m.mu.Lock()
	delete(m.lastSuccess, host)
	m.mu.Unlock()
}
