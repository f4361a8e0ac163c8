/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/apiconst"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/manager"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/statemetrics"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testmanager"
)

// notReadyReasons are the Reason constants of api/v1alpha1 that are not reasons of
// an allowlist's Ready condition: those of Resolved, of a Vendor's Accepted, and of
// events.
var notReadyReasons = map[string]string{
	"Resolved":              "the Resolved condition",
	"ResolutionFailed":      "the Resolved condition",
	"ChangeAccepted":        "a Vendor's Accepted condition",
	"ChangeApproved":        "a Vendor's Accepted condition",
	"ChangeHeld":            "a Vendor's Accepted condition",
	"PoliciesApplied":       "an event",
	"IngressTargetsApplied": "an event",
	"FeedCurrent":           "a Vendor's status.feeds[].reason",
	"FeedStale":             "a Vendor's status.feeds[].reason",
	"FeedHeld":              "a Vendor's status.feeds[].reason (the allowlists keep the list in force)",
	"FeedChanged":           "an event",
	"EgressObjectsApplied":  "an event",
}

// TestQuickStartListsEveryReadyReason: the quick start's list of what READY says
// names every reason the operator sets on Ready, read from the API package's
// constants, so that a new reason is documented where users look first.
func TestQuickStartListsEveryReadyReason(t *testing.T) {
	constants, err := apiconst.Strings(filepath.Join(repoRoot, "api", "v1alpha1"), "Reason")
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for name, v := range constants {
		reasons[v] = name
	}
	if len(reasons) < 15 {
		t.Fatalf("%d Reason constants in api/v1alpha1: is the parse still right?", len(reasons))
	}
	qs, err := os.ReadFile(filepath.Join(repoRoot, "docs", "quick-start.md"))
	if err != nil {
		t.Fatal(err)
	}
	for v, name := range reasons {
		if notReadyReasons[v] != "" {
			continue
		}
		if !strings.Contains(string(qs), "`"+v+"`") {
			t.Errorf("docs/quick-start.md does not list the Ready reason `%s` (v1alpha1.%s): say when it is set and what to do", v, name)
		}
	}
}

// recorder is a prometheus.Registerer that keeps what is registered with it.
type recorder struct{ descs []*prometheus.Desc }

func (r *recorder) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 16)
	go func() { c.Describe(ch); close(ch) }()
	for d := range ch {
		r.descs = append(r.descs, d)
	}
	return nil
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = r.Register(c)
	}
}

func (r *recorder) Unregister(prometheus.Collector) bool { return true }

var (
	descName   = regexp.MustCompile(`fqName: "([^"]+)"`)
	descLabels = regexp.MustCompile(`variableLabels: \{([^}]*)\}`)
	metricRow  = regexp.MustCompile("^\\| `(vendorallowlist_[a-z_]+)` \\| ([a-z]+) \\|\\s*([^|]*?)\\s*\\|")
	// A label cell lists `label` or `label`: its values, separated by "; ".
	rowLabel = regexp.MustCompile("(?:^|; )`([a-z_]+)`")
)

// TestMetricsReference: docs/metrics.md lists exactly the metrics the manager
// serves, built by manager.New as the binary builds it (feeds on): those it registers
// and the status gauges, each with its labels.
func TestMetricsReference(t *testing.T) {
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	o := testmanager.Options(t)
	reg := &recorder{}
	o.MetricsRegistry = reg
	o.MetricsAddr, o.ProbeAddr = "0", "0"
	o.SkipControllerNameValidation = true
	o.DNSServers = []string{"127.0.0.1:53"}
	// With feeds, whose metrics are registered only when a feed is fetched.
	o.Feeds = manager.FeedOptions{Enabled: []string{"url"}, Namespace: "default"}
	// Built, not started: what it registers is what the binary serves.
	if _, err := manager.New(env.Config, o); err != nil {
		t.Fatalf("manager.New: %v", err)
	}
	registered := map[string][]string{}
	for _, d := range reg.descs {
		s := d.String()
		m := descName.FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("cannot read the name of %s", s)
		}
		var labels []string
		if l := descLabels.FindStringSubmatch(s); l != nil && l[1] != "" {
			for _, x := range strings.Split(l[1], ",") {
				labels = append(labels, strings.TrimSpace(x))
			}
		}
		registered[m[1]] = labels
	}
	// The status gauges are written beside the registry's metrics, on the same /metrics.
	for _, f := range statemetrics.Families() {
		registered[f.Name] = f.Labels
	}

	doc, err := os.ReadFile(filepath.Join(repoRoot, "docs", "metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string][]string{}
	for _, l := range strings.Split(string(doc), "\n") {
		m := metricRow.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		var labels []string
		for _, lm := range rowLabel.FindAllStringSubmatch(m[3], -1) {
			labels = append(labels, lm[1])
		}
		documented[m[1]] = labels
	}
	for name, labels := range registered {
		got, ok := documented[name]
		switch {
		case !ok:
			t.Errorf("the manager registers %s (labels %v); docs/metrics.md does not list it", name, labels)
		case !slices.Equal(got, labels):
			t.Errorf("%s: docs/metrics.md gives labels %v, the manager %v", name, got, labels)
		}
	}
	for name := range documented {
		if _, ok := registered[name]; !ok {
			t.Errorf("docs/metrics.md lists %s, which the manager does not register", name)
		}
	}
	if len(registered) < 6 {
		t.Errorf("the manager registers %d metrics of its own: %v", len(registered), registered)
	}
}
