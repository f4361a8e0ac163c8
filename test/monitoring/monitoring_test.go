/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package monitoring tests the operator's alerts and dashboard against the real
// thing: every expression parses with Prometheus' own parser and names only metrics
// the running manager serves; promtool's rule tests fire and resolve each alert; the
// chart ships the same rules as config/, and the dashboard.
//
// promtool is found through the PROMTOOL environment variable, which make test sets
// (hack/tools.sh builds it); the parser runs from the module in promql/, which keeps
// Prometheus' dependencies out of the operator's go.mod.
package monitoring

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

var (
	repoRoot      = testenv.RepoRoot()
	chartDir      = filepath.Join(repoRoot, "charts", "vendor-allowlist-operator")
	rulesFile     = filepath.Join(chartDir, "files", "prometheus-rules.yaml")
	dashboardFile = filepath.Join(chartDir, "files", "grafana-dashboard.json")
	ruleTests     = filepath.Join(repoRoot, "test", "monitoring", "testdata", "rules_test.yaml")
)

// expression is what promql/ prints for each expression.
type expression struct {
	Where   string   `json:"where"`
	Expr    string   `json:"expr"`
	Error   string   `json:"error"`
	Metrics []string `json:"metrics"`
}

// parseAll runs Prometheus' parser (promql/) over the rules and the dashboard.
func parseAll(t testing.TB) []expression {
	t.Helper()
	cmd := exec.Command("go", "run", ".", rulesFile, dashboardFile)
	cmd.Dir = filepath.Join(repoRoot, "test", "monitoring", "promql")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run ./test/monitoring/promql: %v\n%s", err, stderr.String())
	}
	var exprs []expression
	if err := json.Unmarshal(out, &exprs); err != nil {
		t.Fatalf("reading the parser's answer: %v\n%s", err, out)
	}
	return exprs
}

type rule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

type ruleGroups struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []rule `json:"rules"`
	} `json:"groups"`
}

func readYAML(t testing.TB, path string, into any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func alerts(t testing.TB) []rule {
	var g ruleGroups
	readYAML(t, rulesFile, &g)
	var out []rule
	for _, grp := range g.Groups {
		out = append(out, grp.Rules...)
	}
	return out
}

// TestEveryExpressionParses: Prometheus' parser accepts every expression of the rules
// and the dashboard, each names its metrics, and the dashboard draws what the issue
// asks of it.
func TestEveryExpressionParses(t *testing.T) {
	exprs := parseAll(t)
	var rules, panels int
	for _, e := range exprs {
		if e.Error != "" {
			t.Errorf("%s: %s\n  %s", e.Where, e.Error, e.Expr)
		}
		if len(e.Metrics) == 0 {
			t.Errorf("%s names no metric: %s", e.Where, e.Expr)
		}
		if strings.Contains(e.Where, "prometheus-rules.yaml") {
			rules++
		} else {
			panels++
		}
	}
	if want := len(alerts(t)); rules != want {
		t.Errorf("the parser saw %d rule expressions, the rules file has %d alerts", rules, want)
	}
	if panels < 15 {
		t.Errorf("the parser saw %d dashboard expressions: is the dashboard's layout still read?", panels)
	}
	used := usedMetrics(exprs)
	for _, m := range []string{
		"vendorallowlist_allowlist_ready",                  // allowlists by state
		"vendorallowlist_allowlist_networkpolicies",        // policies
		"vendorallowlist_dns_lookups_total",                // DNS lookups
		"vendorallowlist_dns_seconds_since_success",        // failures by hostname
		"vendorallowlist_dns_lookup_failures_total",        // failures by hostname
		"workqueue_queue_duration_seconds_bucket",          // propagation
		"vendorallowlist_dns_dropped_addresses",            // dropped addresses
		"vendorallowlist_vendor_change_held",               // held changes
		"controller_runtime_reconcile_time_seconds_bucket", // reconcile latency
		"process_resident_memory_bytes",                    // memory
	} {
		if !used[m] {
			t.Errorf("neither the dashboard nor the rules read %s", m)
		}
	}
}

func usedMetrics(exprs []expression) map[string]bool {
	used := map[string]bool{}
	for _, e := range exprs {
		for _, m := range e.Metrics {
			used[m] = true
		}
	}
	return used
}

// TestEveryAlertSaysWhatToDo: each alert has a severity, a summary, a description that
// gives the command to run, and a runbook link to its own section of
// docs/operations.md, which exists.
func TestEveryAlertSaysWhatToDo(t *testing.T) {
	ops, err := os.ReadFile(filepath.Join(repoRoot, "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, l := range strings.Split(string(ops), "\n") {
		if h, ok := strings.CutPrefix(l, "### "); ok {
			anchors[slug(h)] = true
		}
	}
	const runbook = "https://github.com/vendorallowlist/vendor-allowlist-operator/blob/main/docs/operations.md#"
	for _, a := range alerts(t) {
		if a.Alert == "" {
			t.Errorf("a rule without an alert name: %s", a.Expr)
			continue
		}
		if s := a.Labels["severity"]; s != "warning" && s != "critical" {
			t.Errorf("%s: severity %q, want warning or critical", a.Alert, s)
		}
		if a.Annotations["summary"] == "" {
			t.Errorf("%s has no summary", a.Alert)
		}
		if !strings.Contains(a.Annotations["description"], "`kubectl ") {
			t.Errorf("%s: the description names no kubectl command to run: %q", a.Alert, a.Annotations["description"])
		}
		anchor, ok := strings.CutPrefix(a.Annotations["runbook_url"], runbook)
		if !ok || anchor != strings.ToLower(a.Alert) {
			t.Errorf("%s: runbook_url %q, want %s%s", a.Alert, a.Annotations["runbook_url"], runbook, strings.ToLower(a.Alert))
		}
		if !anchors[anchor] {
			t.Errorf("%s: docs/operations.md has no section ### %s", a.Alert, a.Alert)
		}
	}
}

var notSlug = regexp.MustCompile(`[^a-z0-9 _-]`)

// slug is GitHub's anchor of a heading.
func slug(h string) string {
	return strings.ReplaceAll(notSlug.ReplaceAllString(strings.ToLower(strings.TrimSpace(h)), ""), " ", "-")
}

// TestPromtoolRuleTests runs promtool's checks and the rule unit tests, which must
// fire and then resolve every alert.
func TestPromtoolRuleTests(t *testing.T) {
	promtool := os.Getenv("PROMTOOL")
	if promtool == "" {
		t.Fatal("PROMTOOL is not set: run `make test`, or export PROMTOOL=$(hack/tools.sh path promtool)")
	}
	if out, err := exec.Command(promtool, "check", "rules", rulesFile).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	out, err := exec.Command(promtool, "test", "rules", ruleTests).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
	t.Logf("promtool test rules:\n%s", out)

	// promtool passes a test that expects nothing of an alert: each must be seen
	// firing, and resolved after it.
	var tests struct {
		Tests []struct {
			AlertRuleTest []struct {
				EvalTime  string `json:"eval_time"`
				Alertname string `json:"alertname"`
				ExpAlerts []any  `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		} `json:"tests"`
	}
	readYAML(t, ruleTests, &tests)
	fired, resolved := map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			switch {
			case len(a.ExpAlerts) > 0:
				fired[a.Alertname] = true
			case fired[a.Alertname]:
				resolved[a.Alertname] = true
			}
		}
	}
	for _, a := range alerts(t) {
		if !fired[a.Alert] || !resolved[a.Alert] {
			t.Errorf("%s: the rule tests see it fire: %v, and resolve after: %v", a.Alert, fired[a.Alert], resolved[a.Alert])
		}
	}
}

// TestChartShipsTheRulesAndTheDashboard: with its values on, the chart renders the
// PrometheusRule with the rules config/prometheus ships, and the dashboard's ConfigMap
// with the sidecar's label; with its defaults, neither.
func TestChartShipsTheRulesAndTheDashboard(t *testing.T) {
	helm := os.Getenv("HELM")
	if helm == "" {
		t.Fatal("HELM is not set: run `make test`, or export HELM=$(hack/tools.sh path helm)")
	}
	render := func(args ...string) []map[string]any {
		t.Helper()
		cmd := exec.Command(helm, append([]string{"template", "vao", chartDir, "--namespace", "vendor-allowlist-system"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("helm template %v: %v\n%s", args, err, out)
		}
		var objs []map[string]any
		for _, doc := range strings.Split(string(out), "\n---") {
			var o map[string]any
			if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
				t.Fatalf("reading helm's output: %v", err)
			}
			if o != nil {
				objs = append(objs, o)
			}
		}
		return objs
	}
	ofKind := func(objs []map[string]any, kind string) []map[string]any {
		var out []map[string]any
		for _, o := range objs {
			if o["kind"] == kind {
				out = append(out, o)
			}
		}
		return out
	}

	defaults := render()
	if n := len(ofKind(defaults, "PrometheusRule")); n != 0 {
		t.Errorf("the chart's defaults render %d PrometheusRules, want none (prometheusRule.enabled is off by default)", n)
	}
	for _, cm := range ofKind(defaults, "ConfigMap") {
		if labels, _ := cm["metadata"].(map[string]any)["labels"].(map[string]any); labels["grafana_dashboard"] != nil {
			t.Errorf("the chart's defaults render the dashboard ConfigMap")
		}
	}

	on := render("--set", "prometheusRule.enabled=true", "--set", "grafanaDashboard.enabled=true", "--set", "prometheusRule.labels.release=prometheus")
	rules := ofKind(on, "PrometheusRule")
	if len(rules) != 1 {
		t.Fatalf("prometheusRule.enabled=true renders %d PrometheusRules, want 1", len(rules))
	}
	if l := rules[0]["metadata"].(map[string]any)["labels"].(map[string]any); l["release"] != "prometheus" {
		t.Errorf("prometheusRule.labels are not on the PrometheusRule: %v", l)
	}
	var shipped map[string]any
	readYAML(t, filepath.Join(repoRoot, "config", "prometheus", "rules.yaml"), &shipped)
	var file map[string]any
	readYAML(t, rulesFile, &file)
	if !jsonEqual(rules[0]["spec"], shipped["spec"]) || !jsonEqual(rules[0]["spec"], file) {
		t.Errorf("the chart's PrometheusRule, config/prometheus/rules.yaml and %s differ: run `make prometheus-rules`", rulesFile)
	}
	var kust struct{ Resources []string }
	readYAML(t, filepath.Join(repoRoot, "config", "prometheus", "kustomization.yaml"), &kust)
	if !slices.Contains(kust.Resources, "rules.yaml") {
		t.Errorf("config/prometheus/kustomization.yaml does not ship rules.yaml: %v", kust.Resources)
	}

	var dashboards []map[string]any
	for _, cm := range ofKind(on, "ConfigMap") {
		if labels, _ := cm["metadata"].(map[string]any)["labels"].(map[string]any); labels["grafana_dashboard"] == "1" {
			dashboards = append(dashboards, cm)
		}
	}
	if len(dashboards) != 1 {
		t.Fatalf("grafanaDashboard.enabled=true renders %d ConfigMaps labelled grafana_dashboard: \"1\", want 1", len(dashboards))
	}
	data := dashboards[0]["data"].(map[string]any)
	want, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var got, wantDash any
	if err := json.Unmarshal([]byte(fmt.Sprint(data["vendor-allowlist-operator.json"])), &got); err != nil {
		t.Fatalf("the dashboard in the ConfigMap is not JSON: %v", err)
	}
	_ = json.Unmarshal(want, &wantDash)
	if !jsonEqual(got, wantDash) {
		t.Errorf("the ConfigMap's dashboard differs from %s", dashboardFile)
	}
}

func jsonEqual(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}
