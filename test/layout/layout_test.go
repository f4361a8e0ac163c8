/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package layout checks where code lives: internal/ holds only what the shipped
// binaries (./cmd/...: the manager and the kubectl plugin) and the build tools
// (./hack/...) import, so that reading internal/ is reading the product. Test
// harnesses live under test/framework, where every suite can import them.
package layout

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Every package under internal/ is imported, directly or not, by a binary under cmd/
// or a tool under hack/; a package only tests import belongs under test/framework.
func TestEveryInternalPackageIsUsedByABinaryOrABuildTool(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	module := strings.TrimSpace(goList(t, root, "-m"))
	internal := goList(t, root, "./internal/...")
	used := map[string]bool{}
	for _, p := range strings.Fields(goList(t, root, "-deps", "./cmd/...", "./hack/...")) {
		used[p] = true
	}
	var unused []string
	for _, p := range strings.Fields(internal) {
		if !used[p] {
			unused = append(unused, strings.TrimPrefix(p, module+"/"))
		}
	}
	if len(strings.Fields(internal)) == 0 {
		t.Fatal("go list ./internal/... found no packages; is the test run from test/layout?")
	}
	sort.Strings(unused)
	for _, p := range unused {
		t.Errorf("%s is imported by no binary under cmd/ and no tool under hack/: "+
			"if only tests use it, move it to test/framework/%s; if nothing does, delete it",
			p, filepath.Base(p))
	}
}

func goList(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}
