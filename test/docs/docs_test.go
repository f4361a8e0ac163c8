/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package docs

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/manager"
)

var linkTarget = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestLinks: every relative link of the docs names a file or directory that exists,
// and an anchor names a heading of the page it points to.
func TestLinks(t *testing.T) {
	all := map[string]*page{}
	for _, p := range pages(t) {
		all[p.path] = p
	}
	var n int
	for _, p := range all {
		for _, l := range p.prose {
			text := inlineCode.ReplaceAllString(l.text, "")
			for _, m := range linkTarget.FindAllStringSubmatch(text, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				n++
				file, anchor, _ := strings.Cut(target, "#")
				dest := p.path
				if file != "" {
					dest = filepath.Clean(filepath.Join(filepath.Dir(p.path), file))
				}
				if _, err := os.Stat(filepath.Join(repoRoot, dest)); err != nil {
					t.Errorf("%s:%d: link to %s: %s does not exist", p.path, l.n, target, dest)
					continue
				}
				if anchor == "" || !strings.HasSuffix(dest, ".md") {
					continue
				}
				to, ok := all[dest]
				if !ok {
					to = readPage(t, dest)
				}
				if !to.anchors()[anchor] {
					t.Errorf("%s:%d: link to %s: %s has no heading #%s", p.path, l.n, target, dest, anchor)
				}
			}
		}
	}
	if n < 50 {
		t.Errorf("only %d relative links found: is the link pattern still right?", n)
	}
}

// otherTools are the flags the docs write in backticks that belong to neither the
// manager nor the plugin, with whose they are.
var otherTools = map[string]string{
	"for":                      "kubectl wait",
	"cascade":                  "kubectl delete (docs/security.md, docs/install.md)",
	"service-cluster-ip-range": "kube-apiserver and kube-proxy (docs/dataplane.md)",
	"run-firewall":             "kube-router (docs/dataplane.md)",
	"detect-local-mode":        "kube-proxy (docs/dataplane.md)",
	"controllers":              "kube-controller-manager (docs/dataplane.md)",
}

// managerFlags are the manager binary's flags, as cmd/main.go binds them.
func managerFlags() map[string]bool {
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	manager.BindFlags(fs)
	fs.Bool("version", false, "")
	(&zap.Options{}).BindFlags(fs)
	out := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { out[f.Name] = true })
	return out
}

var pluginBin string

// plugin builds the plugin once per run.
func plugin(t *testing.T) string {
	t.Helper()
	if pluginBin != "" {
		return pluginBin
	}
	bin := filepath.Join(t.TempDir(), "kubectl-vendorallowlist")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/kubectl-vendorallowlist")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the plugin: %v\n%s", err, out)
	}
	pluginBin = bin
	return bin
}

var flagInHelp = regexp.MustCompile(`(?:^|[\s,\[])--?([a-z][a-z0-9-]*)`)

// pluginFlags are the flags each subcommand's help lists: the help is the plugin's
// own account of its flags, and TestHelp (cmd/kubectl-vendorallowlist) keeps it in
// step with the flag sets.
func pluginFlags(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, args := range [][]string{{"help", "render"}, {"help", "catalog"}, {"catalog", "check", "-h"}, {"help", "version"}} {
		help, err := exec.Command(plugin(t), args...).Output()
		if err != nil {
			t.Fatalf("kubectl-vendorallowlist %s: %v", strings.Join(args, " "), err)
		}
		for _, l := range strings.Split(string(help), "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "-") {
				continue // only the lines that list flags
			}
			for _, m := range flagInHelp.FindAllStringSubmatch(l, -1) {
				out[m[1]] = true
			}
		}
	}
	if !out["strict"] || !out["offline"] || !out["output"] || !out["saved"] {
		t.Fatalf("the plugin's help lists %v: the flag list is no longer read right", out)
	}
	return out
}

var docFlag = regexp.MustCompile(`(?:^|[\s"'(])--([a-z][a-z0-9-]*)`)

// TestFlags: a flag the docs write in backticks is the manager's or the plugin's (or
// one of otherTools), and a flag on a command line of the plugin is the plugin's, of
// the manager (go run ./cmd, RUN_ARGS) the manager's. Another tool's flags on its own
// command lines (kubectl, helm, make) are that tool's business.
func TestFlags(t *testing.T) {
	mgr, plg := managerFlags(), pluginFlags(t)
	for _, p := range pages(t) {
		for _, s := range p.codeSpans() {
			if !strings.HasPrefix(s.text, "--") {
				continue
			}
			name := strings.TrimPrefix(s.text, "--")
			name, _, _ = strings.Cut(name, "=")
			name, _, _ = strings.Cut(name, " ")
			name = strings.TrimSuffix(name, "*")
			if strings.HasSuffix(name, "-") { // `--tenant-*` written as a prefix
				if !slices.ContainsFunc(mapKeys(mgr), func(f string) bool { return strings.HasPrefix(f, name) }) {
					t.Errorf("%s:%d: no manager flag starts with --%s", p.path, s.n, name)
				}
				continue
			}
			if !mgr[name] && !plg[name] && otherTools[name] == "" {
				t.Errorf("%s:%d: `--%s` is not a flag of the manager or of the plugin", p.path, s.n, name)
			}
		}
		for _, b := range p.blocks {
			for i, l := range joinContinuations(b.body) {
				var known map[string]bool
				var whose string
				switch {
				case strings.Contains(l, "kubectl vendorallowlist") || strings.Contains(l, "kubectl-vendorallowlist "):
					known, whose = plg, "the plugin"
					// Only the plugin's part of a pipeline.
					l, _, _ = strings.Cut(l, "|")
				case strings.Contains(l, "go run ./cmd ") || strings.Contains(l, "RUN_ARGS="):
					known, whose = mgr, "the manager"
				default:
					continue
				}
				for _, m := range docFlag.FindAllStringSubmatch(l, -1) {
					if !known[m[1]] {
						t.Errorf("%s (line %d of the block): --%s is not a flag of %s: %s", b.where(), i+1, m[1], whose, l)
					}
				}
			}
		}
	}
}

func mapKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// joinContinuations joins shell lines continued with a backslash.
func joinContinuations(lines []string) []string {
	var out []string
	var cur string
	for _, l := range lines {
		if strings.HasSuffix(l, "\\") {
			cur += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		out = append(out, cur+l)
		cur = ""
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

// schemaNode is a node of values.schema.json.
type schemaNode struct {
	Ref                  string                 `json:"$ref"`
	Properties           map[string]*schemaNode `json:"properties"`
	Items                *schemaNode            `json:"items"`
	AdditionalProperties json.RawMessage        `json:"additionalProperties"`
}

type chartSchema struct {
	schemaNode
	Definitions map[string]*schemaNode `json:"definitions"`
}

func readSchema(t *testing.T) *chartSchema {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "charts", "vendor-allowlist-operator", "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s chartSchema
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// lookup reports whether the dotted path is a value of the chart: each segment a
// property of the one before ("*" any), list items ([]) looked into.
func (s *chartSchema) lookup(path string) bool {
	n := &s.schemaNode
	for _, seg := range strings.Split(path, ".") {
		for n.Ref != "" {
			n = s.Definitions[strings.TrimPrefix(n.Ref, "#/definitions/")]
		}
		seg = strings.TrimSuffix(seg, "[]")
		if seg == "*" {
			return len(n.Properties) > 0
		}
		next, ok := n.Properties[seg]
		if !ok {
			// A free-form map (labels, annotations) takes any key.
			var closed bool
			if json.Unmarshal(n.AdditionalProperties, &closed) == nil || len(n.AdditionalProperties) == 0 {
				return false
			}
			return true
		}
		n = next
		if n.Items != nil && strings.HasSuffix(seg, "[]") {
			n = n.Items
		}
	}
	return true
}

var valuePath = regexp.MustCompile(`^[a-z][A-Za-z0-9]*(\[\])?(\.([A-Za-z0-9]+(\[\])?|\*))+$`)
var setFlag = regexp.MustCompile(`--set(?:-string)?[ =]'?([A-Za-z][A-Za-z0-9.\[\]]*)=`)

// TestChartValues: a chart value the docs write as `a.b` (its first part a top-level
// value of the chart), or give to helm with --set, exists in values.schema.json, which
// refuses unknown values: a value the docs invent would fail the install.
func TestChartValues(t *testing.T) {
	schema := readSchema(t)
	var n int
	check := func(where, path string) {
		n++
		if !schema.lookup(path) {
			t.Errorf("%s: `%s` is not a value of the chart (values.schema.json)", where, path)
		}
	}
	for _, p := range pages(t) {
		for _, s := range p.codeSpans() {
			if !valuePath.MatchString(s.text) {
				continue
			}
			first, _, _ := strings.Cut(s.text, ".")
			if _, ok := schema.Properties[strings.TrimSuffix(first, "[]")]; !ok {
				continue // a CRD field, a file name: not a value
			}
			check(p.path+":"+strconv.Itoa(s.n), s.text)
		}
		for _, b := range p.blocks {
			for _, l := range joinContinuations(b.body) {
				if !strings.Contains(l, "helm ") {
					continue
				}
				for _, m := range setFlag.FindAllStringSubmatch(l, -1) {
					path := regexp.MustCompile(`\[\d+\]`).ReplaceAllString(m[1], "[]")
					check(b.where(), path)
				}
			}
		}
	}
	if n < 30 {
		t.Errorf("only %d chart values found in the docs: is the pattern still right?", n)
	}
}

// TestExampleFiles: a YAML block whose first line is a comment naming a file of the
// repository (`# docs/examples/workato-opa.yaml`) shows that file exactly, so that
// what the docs show is what `kubectl apply -f FILE` applies.
func TestExampleFiles(t *testing.T) {
	var n int
	for _, p := range pages(t) {
		for _, b := range p.blocks {
			if b.lang != "yaml" || len(b.body) == 0 || !strings.HasPrefix(b.body[0], "# ") {
				continue
			}
			name := strings.TrimPrefix(b.body[0], "# ")
			if strings.ContainsAny(name, " :") || !strings.HasSuffix(name, ".yaml") {
				continue
			}
			data, err := os.ReadFile(filepath.Join(repoRoot, name))
			if err != nil {
				if strings.Contains(name, "/") {
					t.Errorf("%s: shows %s, which does not exist", b.where(), name)
				}
				continue // a file the reader writes (my-values.yaml)
			}
			n++
			if got := strings.Join(b.body[1:], "\n") + "\n"; !bytes.Equal([]byte(got), data) {
				t.Errorf("%s: the block differs from %s: copy the file into it", b.where(), name)
			}
		}
	}
	if n == 0 {
		t.Error("no YAML block shows a file of the repository: the quick start's allowlist should")
	}
}
