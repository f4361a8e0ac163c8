/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Command promql parses every PromQL expression of the operator's alert rules and
// Grafana dashboard with Prometheus' own parser, and prints, as JSON, each expression
// with its parse error, if any, and the metric names it selects. test/monitoring runs
// it and compares the names with what the running manager serves.
//
// It is a module of its own so that Prometheus' dependencies (newer client_golang,
// otel, x/net, ...) stay out of the operator's go.mod: the binaries ship what they ship
// whatever a test needs.
//
//	go run . RULES.yaml DASHBOARD.json
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// Expression is one PromQL expression found in a file.
type Expression struct {
	// Where names the file and the rule or panel.
	Where   string   `json:"where"`
	Expr    string   `json:"expr"`
	Error   string   `json:"error,omitempty"`
	Metrics []string `json:"metrics,omitempty"`
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: promql RULES.yaml DASHBOARD.json")
		os.Exit(2)
	}
	rules, err := ruleExpressions(os.Args[1])
	if err != nil {
		fail(err)
	}
	panels, err := dashboardExpressions(os.Args[2])
	if err != nil {
		fail(err)
	}
	all := append(rules, panels...)
	for i := range all {
		check(&all[i])
	}
	if err := json.NewEncoder(os.Stdout).Encode(all); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "promql:", err)
	os.Exit(1)
}

// check parses e.Expr and lists the metric names its selectors name.
func check(e *Expression) {
	expr, err := parser.NewParser(parser.Options{}).ParseExpr(e.Expr)
	if err != nil {
		e.Error = err.Error()
		return
	}
	names := map[string]bool{}
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			for _, m := range vs.LabelMatchers {
				if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
					names[m.Value] = true
				}
			}
			if vs.Name == "" && !names[vs.Name] {
				e.Error = "a selector without a metric name: " + vs.String()
			}
		}
		return nil
	})
	for n := range names {
		e.Metrics = append(e.Metrics, n)
	}
	sort.Strings(e.Metrics)
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert  string `yaml:"alert"`
			Record string `yaml:"record"`
			Expr   string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func ruleExpressions(path string) ([]Expression, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f ruleFile
	if err := yaml.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []Expression
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			out = append(out, Expression{Where: fmt.Sprintf("%s: %s %s%s", path, g.Name, r.Alert, r.Record), Expr: r.Expr})
		}
	}
	return out, nil
}

type panel struct {
	Title   string `json:"title"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

type dashboard struct {
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

var (
	// A Grafana variable in an expression, $job or ${job}, stands for a label value.
	variable = regexp.MustCompile(`\$\{?[A-Za-z_][A-Za-z0-9_]*\}?`)
	// label_values(SELECTOR, LABEL) is Grafana's, not PromQL: its selector is.
	labelValues = regexp.MustCompile(`^label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\)$`)
)

func dashboardExpressions(path string) ([]Expression, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []Expression
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for i, t := range p.Targets {
				out = append(out, Expression{Where: fmt.Sprintf("%s: panel %q target %d", path, p.Title, i), Expr: variable.ReplaceAllString(t.Expr, "variable")})
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, _ := v.Query.(string)
		if m, ok := v.Query.(map[string]any); ok {
			q, _ = m["query"].(string)
		}
		sel := labelValues.FindStringSubmatch(strings.TrimSpace(q))
		if sel == nil {
			return nil, fmt.Errorf("%s: variable %s: query %q is not label_values(SELECTOR, LABEL)", path, v.Name, q)
		}
		out = append(out, Expression{Where: fmt.Sprintf("%s: variable %s", path, v.Name), Expr: sel[1]})
	}
	return out, nil
}
