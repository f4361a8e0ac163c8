/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package docs checks the user documentation (README.md, CHANGELOG.md, docs/, the
// chart's README and the samples' README) against the code and the installs it
// describes: every relative link and anchor resolves; every flag written as `--flag`
// is one of the manager's or the plugin's (or, named here, another tool's); every chart
// value written as `a.b` exists in values.schema.json; every Deployment, Lease and
// namespace a command names exists in the install it is written for (the Helm chart
// rendered by helm template, or dist/install.yaml); a YAML block headed by a file's path
// is that file; the quick start lists every reason of Ready; the metrics reference is
// what the manager registers; and every shell block that can run without a cluster
// runs, in a copy of the repository (shell_test.go).
//
// helm is found through the HELM environment variable and dist/install.yaml must
// exist: `make test` sets the one and writes the other (make build-installer).
package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

var repoRoot = testenv.RepoRoot()

// page is one Markdown file, split into prose lines and fenced blocks.
type page struct {
	path   string // from the repository root
	lines  []string
	prose  []proseLine
	blocks []block
}

type proseLine struct {
	n    int // 1-based
	text string
}

// block is a fenced code block.
type block struct {
	page   *page
	line   int // of the opening fence, 1-based
	lang   string
	body   []string
	skip   string // the reason given by a `<!-- not run by test/docs: REASON -->` line before it
	lines  []int  // line number of each body line
	indent string // of the opening fence: a block under a list item
}

func (b block) where() string { return b.page.path + ":" + strconv.Itoa(b.line) }

var skipMarker = regexp.MustCompile(`^<!-- not run by test/docs: (\S.*\S) -->$`)

// docFiles are the pages for users, from the repository root.
func docFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md", "CHANGELOG.md", "charts/vendor-allowlist-operator/README.md", "config/samples/ingress-targets/README.md", "config/samples/feeds/README.md"}
	err := filepath.WalkDir(filepath.Join(repoRoot, "docs"), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			r, _ := filepath.Rel(repoRoot, p)
			files = append(files, r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

func readPage(t *testing.T, path string) *page {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	p := &page{path: path, lines: strings.Split(string(data), "\n")}
	var cur *block
	var fence string
	for i, l := range p.lines {
		trimmed := strings.TrimSpace(l)
		if cur != nil {
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
				p.blocks = append(p.blocks, *cur)
				cur = nil
				continue
			}
			// A block indented under a list item: drop the item's indentation.
			cur.body = append(cur.body, strings.TrimPrefix(l, cur.indent))
			cur.lines = append(cur.lines, i+1)
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			cur = &block{page: p, line: i + 1, lang: strings.TrimSpace(trimmed[3:]), indent: l[:len(l)-len(strings.TrimLeft(l, " "))]}
			for j := i - 1; j >= 0; j-- {
				prev := strings.TrimSpace(p.lines[j])
				if prev == "" {
					continue
				}
				if m := skipMarker.FindStringSubmatch(prev); m != nil {
					cur.skip = m[1]
				}
				break
			}
			continue
		}
		p.prose = append(p.prose, proseLine{n: i + 1, text: l})
	}
	if cur != nil {
		t.Fatalf("%s:%d: a code block is never closed", path, cur.line)
	}
	return p
}

func pages(t *testing.T) []*page {
	t.Helper()
	var out []*page
	for _, f := range docFiles(t) {
		out = append(out, readPage(t, f))
	}
	return out
}

var inlineCode = regexp.MustCompile("`([^`]+)`")

// codeSpans are the inline code spans of the page's prose, with their line numbers.
func (p *page) codeSpans() []proseLine {
	var out []proseLine
	for _, l := range p.prose {
		for _, m := range inlineCode.FindAllStringSubmatch(l.text, -1) {
			out = append(out, proseLine{n: l.n, text: m[1]})
		}
	}
	return out
}

// slug is GitHub's anchor for a heading.
func slug(heading string) string {
	h := strings.ToLower(strings.TrimSpace(heading))
	var b strings.Builder
	for _, r := range h {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}

// anchors are the page's heading anchors, GitHub's way (a repeated heading gets -1,
// -2...).
func (p *page) anchors() map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, l := range p.prose {
		t := strings.TrimSpace(l.text)
		if !strings.HasPrefix(t, "#") {
			continue
		}
		h := strings.TrimLeft(t, "#")
		if !strings.HasPrefix(h, " ") {
			continue
		}
		s := slug(strings.ReplaceAll(h, "`", ""))
		if n := seen[s]; n > 0 {
			out[s+"-"+strconv.Itoa(n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}
