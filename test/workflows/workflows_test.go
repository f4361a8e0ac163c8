/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package workflows checks the GitHub Actions workflows in .github/workflows: they pass
// actionlint (with shellcheck on their scripts), every action is pinned to a full
// commit hash, every job asks for the permissions it needs and no more, CI runs
// make test on pull requests and on main, the catalog check runs weekly, and a release
// runs only on a version tag.
//
// actionlint is found through the ACTIONLINT environment variable, which make test
// sets (hack/tools.sh installs it), and shellcheck on PATH (hack/install-test-deps.sh
// installs Debian's). A missing binary fails the test: a lint that quietly skips its
// shell checks proves less than it says.
package workflows

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

var workflowDir = filepath.Join(testenv.RepoRoot(), ".github", "workflows")

func workflowFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(workflowDir, "*.y*ml"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	if !slices.Equal(names, []string{"catalog-check.yaml", "ci.yaml", "release.yaml"}) {
		t.Fatalf("workflows %v, want catalog-check.yaml, ci.yaml and release.yaml (add a new one to these tests)", names)
	}
	return files
}

// TestActionlint: actionlint, with shellcheck, finds nothing.
func TestActionlint(t *testing.T) {
	actionlint := os.Getenv("ACTIONLINT")
	if actionlint == "" {
		t.Fatal("ACTIONLINT is not set: run `make test`, or export ACTIONLINT=$(hack/tools.sh path actionlint)")
	}
	shellcheck, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatal("shellcheck is not on PATH: run hack/install-test-deps.sh (Debian's shellcheck), which make test runs")
	}
	// -pyflakes= : the workflows have no Python scripts.
	args := append([]string{"-no-color", "-shellcheck=" + shellcheck, "-pyflakes="}, workflowFiles(t)...)
	cmd := exec.Command(actionlint, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("actionlint: %v\n%s", err, out.String())
	}
}

// workflow is what the tests read of a workflow file.
type workflow struct {
	On          map[string]any         `json:"on"`
	Permissions *map[string]string     `json:"permissions"`
	Jobs        map[string]workflowJob `json:"jobs"`
}

type workflowJob struct {
	Permissions *map[string]string `json:"permissions"`
	Steps       []workflowStep     `json:"steps"`
}

type workflowStep struct {
	Uses string `json:"uses"`
	Run  string `json:"run"`
}

func readWorkflow(t *testing.T, name string) workflow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(workflowDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	// YAML 1.1 reads the key `on` as the boolean true; GitHub reads it as "on".
	var triggers struct {
		On map[string]any `json:"true"`
	}
	if err := yaml.Unmarshal(data, &triggers); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if wf.On == nil {
		wf.On = triggers.On
	}
	return wf
}

// usesLine is a `uses:` of an action from another repository, pinned by commit with
// its version in a comment: `uses: owner/repo[/path]@<40 hex> # vX.Y.Z`.
var (
	usesLine    = regexp.MustCompile(`^\s*(?:-\s+)?uses:\s*(\S+)(.*)$`)
	pinnedRef   = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}$`)
	versionNote = regexp.MustCompile(`^\s*#\s*v\d+\.\d+\.\d+\s*$`)
)

// TestActionsPinnedByCommit: a tag can be moved to other code, a commit hash cannot.
func TestActionsPinnedByCommit(t *testing.T) {
	for _, f := range workflowFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for i, line := range strings.Split(string(data), "\n") {
			m := usesLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			n++
			if !pinnedRef.MatchString(m[1]) || !versionNote.MatchString(m[2]) {
				t.Errorf("%s:%d: %q: pin the action to a full commit hash with its version in a comment: uses: owner/repo@<40 hex> # vX.Y.Z",
					filepath.Base(f), i+1, strings.TrimSpace(line))
			}
		}
		if n == 0 {
			t.Errorf("%s uses no action: the test reads no uses: line", filepath.Base(f))
		}
	}
}

// TestMinimalPermissions: the workflows grant nothing by default; each job asks for
// what it needs: CI reads the code, a release also pushes packages and signs
// (id-token, attestations, artifact-metadata); only the plugin job writes to the
// repository, to create the tag's GitHub release with the plugin's archives, and the
// job that installs the release back reads the packages it pulls. The catalog check
// writes only issues, to report drift.
func TestMinimalPermissions(t *testing.T) {
	allowed := map[string]map[string]map[string]string{
		"ci.yaml": {"test": {"contents": "read"}},
		// The weekly catalog check opens an issue when the catalog drifts.
		"catalog-check.yaml": {"check": {"contents": "read", "issues": "write"}},
		"release.yaml": {
			"image":  {"contents": "read", "packages": "write", "id-token": "write", "attestations": "write", "artifact-metadata": "write"},
			"chart":  {"contents": "read", "packages": "write", "id-token": "write", "attestations": "write", "artifact-metadata": "write"},
			"plugin": {"contents": "write", "id-token": "write", "attestations": "write"},
			"verify": {"contents": "read", "packages": "read"},
		},
	}
	for file, jobs := range allowed {
		wf := readWorkflow(t, file)
		if wf.Permissions == nil || len(*wf.Permissions) != 0 {
			t.Errorf("%s: top-level permissions must be {} so that a job without its own gets nothing", file)
		}
		var names []string
		for name, job := range wf.Jobs {
			names = append(names, name)
			want, ok := jobs[name]
			if !ok {
				continue
			}
			if job.Permissions == nil {
				t.Errorf("%s job %s declares no permissions", file, name)
				continue
			}
			if diff := cmp.Diff(want, *job.Permissions); diff != "" {
				t.Errorf("%s job %s permissions (-want +got):\n%s", file, name, diff)
			}
		}
		sort.Strings(names)
		var want []string
		for name := range jobs {
			want = append(want, name)
		}
		sort.Strings(want)
		if !slices.Equal(names, want) {
			t.Errorf("%s jobs %v, want %v (a new job needs its permissions reviewed here)", file, names, want)
		}
	}
}

// TestTriggers: CI runs make test on every pull request and every push to main; the
// catalog check runs weekly or by hand; a release runs only on a tag v*, never from a
// pull request.
func TestTriggers(t *testing.T) {
	ci := readWorkflow(t, "ci.yaml")
	if _, ok := ci.On["pull_request"]; !ok {
		t.Error("ci.yaml does not run on pull_request")
	}
	push, _ := ci.On["push"].(map[string]any)
	if branches, _ := push["branches"].([]any); !slices.Equal(branches, []any{"main"}) {
		t.Errorf("ci.yaml runs on pushes to %v, want [main]", push["branches"])
	}
	if _, ok := ci.On["pull_request_target"]; ok {
		t.Error("ci.yaml runs on pull_request_target, which gives forks' code the repository's token")
	}
	if !slices.ContainsFunc(ci.Jobs["test"].Steps, func(s workflowStep) bool { return strings.TrimSpace(s.Run) == "make test" }) {
		t.Error("ci.yaml's test job does not run make test")
	}

	check := readWorkflow(t, "catalog-check.yaml")
	if _, ok := check.On["workflow_dispatch"]; !ok || len(check.On) != 2 {
		t.Errorf("catalog-check.yaml runs on %v, want a schedule and workflow_dispatch only", check.On)
	}
	if schedule, _ := check.On["schedule"].([]any); len(schedule) != 1 {
		t.Errorf("catalog-check.yaml runs on schedule %v, want one weekly cron", check.On["schedule"])
	}
	if !slices.ContainsFunc(check.Jobs["check"].Steps, func(s workflowStep) bool { return strings.Contains(s.Run, "catalog check") }) {
		t.Error("catalog-check.yaml's check job does not run catalog check")
	}

	rel := readWorkflow(t, "release.yaml")
	if len(rel.On) != 1 {
		t.Errorf("release.yaml runs on %v, want only a push of a v* tag", rel.On)
	}
	push, _ = rel.On["push"].(map[string]any)
	if tags, _ := push["tags"].([]any); !slices.Equal(tags, []any{"v*"}) || push["branches"] != nil {
		t.Errorf("release.yaml runs on push %v, want tags [v*] only", push)
	}
}
