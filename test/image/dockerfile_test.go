/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package image

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/imagebuild"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/version"
)

// dockerStage is what the test reads of one stage of the Dockerfile.
type dockerStage struct {
	from       string
	args       map[string]string // ARG defaults
	labels     map[string]string // LABEL values, as written (not expanded)
	user       string
	workdir    string
	entrypoint []string
	entryJSON  bool
	env        map[string]string
	runs       []string
	copies     []string // COPY lines, as written
}

// parseDockerfile parses the Dockerfile with BuildKit's parser, the one docker build
// uses, into its stages.
func parseDockerfile(t *testing.T) []*dockerStage {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("parsing the Dockerfile: %v", err)
	}
	var stages []*dockerStage
	var cur *dockerStage
	for _, n := range res.AST.Children {
		var words []string
		for w := n.Next; w != nil; w = w.Next {
			words = append(words, w.Value)
		}
		instruction := strings.ToLower(n.Value)
		if instruction == "from" {
			cur = &dockerStage{from: words[0], args: map[string]string{}, labels: map[string]string{}, env: map[string]string{}}
			stages = append(stages, cur)
			continue
		}
		if cur == nil {
			continue // ARGs before the first FROM
		}
		switch instruction {
		case "arg":
			for _, w := range words {
				k, v, _ := strings.Cut(w, "=")
				cur.args[k] = v
			}
		case "label", "env":
			into := cur.labels
			if instruction == "env" {
				into = cur.env
			}
			for i := 0; i+1 < len(words); i += 3 { // key, value, separator
				into[words[i]] = words[i+1]
			}
		case "user":
			cur.user = strings.Join(words, " ")
		case "workdir":
			cur.workdir = strings.Join(words, " ")
		case "entrypoint":
			cur.entrypoint, cur.entryJSON = words, n.Attributes["json"]
		case "run":
			cur.runs = append(cur.runs, strings.Join(words, " "))
		case "copy":
			cur.copies = append(cur.copies, n.Original)
		}
	}
	if len(stages) < 2 {
		t.Fatalf("the Dockerfile has %d stages, want a builder and the image", len(stages))
	}
	return stages
}

// TestDockerfileAgreesWithImageBuild: the image `docker build` makes from the Dockerfile
// (with the build arguments make docker-build passes) runs as the same user, from the
// same entrypoint, with the same labels as the one make image builds.
func TestDockerfileAgreesWithImageBuild(t *testing.T) {
	stages := parseDockerfile(t)
	final, builder := stages[len(stages)-1], stages[0]
	created, _ := time.Parse(time.RFC3339, testCreated)
	b := imagebuild.Build{Version: testVersion, Commit: testCommit, Created: created}
	want := b.Config()

	if final.from != "scratch" {
		t.Errorf("the image stage is FROM %s, want scratch (make image builds on an empty base)", final.from)
	}
	if final.user != want.User {
		t.Errorf("Dockerfile USER %q, make image runs as %q", final.user, want.User)
	}
	if !final.entryJSON || !slices.Equal(final.entrypoint, want.Entrypoint) {
		t.Errorf("Dockerfile ENTRYPOINT %q (exec form: %t), make image's is %q in exec form", final.entrypoint, final.entryJSON, want.Entrypoint)
	}
	if final.workdir != want.WorkingDir {
		t.Errorf("Dockerfile WORKDIR %q, make image's is %q", final.workdir, want.WorkingDir)
	}

	// The labels, expanded as docker build expands them with make docker-build's
	// arguments (VERSION, REVISION, CREATED).
	buildArgs := map[string]string{"VERSION": testVersion, "REVISION": testCommit, "CREATED": testCreated}
	env := []string{}
	for k, def := range final.args {
		v, ok := buildArgs[k]
		if !ok {
			v = def
		}
		env = append(env, k+"="+v)
	}
	lex := shell.NewLex('\\')
	got := map[string]string{}
	for k, v := range final.labels {
		expanded, _, err := lex.ProcessWord(v, shell.EnvsFromSlice(env))
		if err != nil {
			t.Fatalf("expanding LABEL %s=%s: %v", k, v, err)
		}
		got[k] = expanded
	}
	if diff := cmp.Diff(want.Labels, got); diff != "" {
		t.Errorf("Dockerfile labels differ from make image's (-make image +Dockerfile):\n%s", diff)
	}
	if diff := cmp.Diff(wantLabels, got); diff != "" {
		t.Errorf("Dockerfile labels (-want +got):\n%s", diff)
	}

	// The binary: static, trimmed, and stamped with the same build arguments.
	if builder.env["CGO_ENABLED"] != "0" {
		t.Errorf("the builder stage sets CGO_ENABLED=%q, want 0 (a static binary for an image without libc)", builder.env["CGO_ENABLED"])
	}
	build := ""
	for _, r := range builder.runs {
		if strings.Contains(r, "go build") {
			build = r
		}
	}
	for _, flag := range []string{
		"-trimpath",
		version.Package + ".version=${VERSION}",
		version.Package + ".commit=${REVISION}",
		version.Package + ".date=${CREATED}",
	} {
		if !strings.Contains(build, flag) {
			t.Errorf("the Dockerfile's go build lacks %q:\n%s", flag, build)
		}
	}
	if !slices.ContainsFunc(final.copies, func(c string) bool {
		return strings.Contains(c, "--chmod=0555") && strings.HasSuffix(strings.TrimSpace(c), " "+imagebuild.BinaryPath)
	}) {
		t.Errorf("the image stage does not COPY the binary to %s with --chmod=0555 (as make image's layer has it): %q", imagebuild.BinaryPath, final.copies)
	}
}

// TestMakeDockerBuildPassesBuildArgs: make docker-build passes the arguments the
// Dockerfile's labels and --version read, from the same variables as make image.
func TestMakeDockerBuildPassesBuildArgs(t *testing.T) {
	makefile, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	recipe := regexp.MustCompile(`(?ms)^docker-build:.*?\n((?:\t.*\n)+)`).FindSubmatch(makefile)
	if recipe == nil {
		t.Fatal("no docker-build target in the Makefile")
	}
	for _, arg := range []string{"--build-arg VERSION=$(VERSION)", "--build-arg REVISION=$(COMMIT)", "--build-arg CREATED=$(CREATED)"} {
		if !strings.Contains(string(recipe[1]), arg) {
			t.Errorf("make docker-build does not pass %s:\n%s", arg, recipe[1])
		}
	}
}
