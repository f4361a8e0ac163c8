/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package docs

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// shellPages are the pages whose shell blocks are run: the README and the quick
// start, which a new user follows line by line.
var shellPages = []string{"README.md", "docs/quick-start.md"}

// clusterCommand matches a command that needs a cluster or a registry: kubectl (but
// `kubectl vendorallowlist`, the plugin, which needs neither), helm, kind, k3d.
var clusterCommand = regexp.MustCompile(`(?:^|[;&|(]\s*|\$\(\s*)(?:kubectl\s+(?:[^v\s]|v[^e])|helm\s|kind\s|k3d\s)`)

// needsCluster reports whether a block has a command that needs a cluster.
func needsCluster(b block) bool {
	for _, l := range joinContinuations(b.body) {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "#") {
			continue
		}
		if clusterCommand.MatchString(l) {
			return true
		}
	}
	return false
}

// TestShellBlocks: every sh block of the README and the quick start that needs no
// cluster runs and succeeds, in a copy of the repository, with nothing but what the
// page says: `go install` puts commands in a GOBIN that is on PATH, and `kubectl
// vendorallowlist` finds the plugin there, as kubectl does. The module proxy is off:
// a block that needs the network must say so with a
// `<!-- not run by test/docs: REASON -->` line before it, and be one of few.
func TestShellBlocks(t *testing.T) {
	copyRepo := t.TempDir()
	files, err := exec.Command("git", "-C", repoRoot, "ls-files", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, f := range strings.Split(strings.TrimSpace(string(files)), "\n") {
		src := filepath.Join(repoRoot, f)
		st, err := os.Lstat(src)
		if err != nil || !st.Mode().IsRegular() {
			continue // deleted in the work tree, or a link
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(copyRepo, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, st.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	bin, shims := t.TempDir(), t.TempDir()
	// kubectl runs a plugin on PATH by its name; anything else would need a cluster.
	shim := "#!/bin/sh\nif [ \"$1\" != vendorallowlist ]; then echo \"kubectl $*: test/docs runs no command that needs a cluster\" >&2; exit 97; fi\nshift\nexec kubectl-vendorallowlist \"$@\"\n"
	if err := os.WriteFile(filepath.Join(shims, "kubectl"), []byte(shim), 0o755); err != nil {
		t.Fatal(err)
	}

	var ran, skipped int
	for _, path := range shellPages {
		p := readPage(t, path)
		for _, b := range p.blocks {
			if b.lang != "sh" && b.lang != "bash" {
				continue
			}
			if b.skip != "" {
				skipped++
				t.Logf("%s: not run: %s", b.where(), b.skip)
				continue
			}
			if needsCluster(b) {
				continue
			}
			ran++
			t.Run(strings.ReplaceAll(b.where(), "/", "_"), func(t *testing.T) {
				cmd := exec.Command("bash", "-euo", "pipefail", "-c", strings.Join(b.body, "\n"))
				cmd.Dir = copyRepo
				cmd.Env = append(os.Environ(),
					"GOBIN="+bin, "PATH="+bin+string(os.PathListSeparator)+shims+string(os.PathListSeparator)+os.Getenv("PATH"),
					"GOPROXY=off")
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				start := time.Now()
				if err := cmd.Run(); err != nil {
					t.Fatalf("%s fails: %v\n%s\n--- output:\n%s", b.where(), err, strings.Join(b.body, "\n"), out.String())
				}
				t.Logf("%s ran in %s", b.where(), time.Since(start).Round(time.Millisecond))
			})
		}
	}
	if ran < 2 {
		t.Errorf("%d shell blocks ran: the README's and the quick start's plugin blocks should", ran)
	}
	if skipped > 4 {
		t.Errorf("%d blocks are exempted from running: keep exemptions few", skipped)
	}
}

// TestNeedsCluster: the classification the shell test relies on.
func TestNeedsCluster(t *testing.T) {
	for body, want := range map[string]bool{
		"kubectl apply -f x.yaml":                                  true,
		"kubectl vendorallowlist render -f x.yaml":                 false,
		"go install ./cmd/kubectl-vendorallowlist":                 false,
		"make image IMG=x\nkind load image-archive a.tar":          true,
		"helm install a charts/b \\\n  --namespace x":              true,
		"# kubectl apply in a comment\nmake build":                 false,
		"make build-installer && kubectl apply -f dist/x.yaml":     true,
		"x=$(kubectl get pods)":                                    true,
		"kubectl vendorallowlist render -f a | kubectl apply -f -": true,
	} {
		if got := needsCluster(block{body: strings.Split(body, "\n")}); got != want {
			t.Errorf("%q: needs a cluster %v, want %v", body, got, want)
		}
	}
}
