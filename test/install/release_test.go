/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package install

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// releaseWorkflow is what the tests read of .github/workflows/release.yaml.
type releaseWorkflow struct {
	Env struct {
		ImageRepository string `json:"IMAGE_REPOSITORY"`
		ChartRepository string `json:"CHART_REPOSITORY"`
	}
	Jobs map[string]struct {
		Steps []struct {
			Run string
		}
	}
}

func readReleaseWorkflow(t *testing.T) (releaseWorkflow, string) {
	t.Helper()
	path := filepath.Join(repoRoot, ".github", "workflows", "release.yaml")
	var wf releaseWorkflow
	readYAML(t, path, &wf)
	if wf.Env.ImageRepository == "" || wf.Env.ChartRepository == "" {
		t.Fatalf("%s sets no IMAGE_REPOSITORY or CHART_REPOSITORY in its env", rel(path))
	}
	var runs []string
	for _, j := range wf.Jobs {
		for _, s := range j.Steps {
			runs = append(runs, s.Run)
		}
	}
	return wf, strings.Join(runs, "\n")
}

// TestChartDefaultImageIsWhatReleasePublishes: the image the chart (and the Makefile's
// IMG, and so dist/install.yaml) runs by default is the repository the release workflow
// pushes to, and the README installs the chart from where the release pushes it.
func TestChartDefaultImageIsWhatReleasePublishes(t *testing.T) {
	wf, runs := readReleaseWorkflow(t)
	var values struct {
		Image struct{ Repository string }
	}
	readYAML(t, filepath.Join(chartDir, "values.yaml"), &values)
	if values.Image.Repository != wf.Env.ImageRepository {
		t.Errorf("the chart's default image.repository is %s, the release pushes to %s", values.Image.Repository, wf.Env.ImageRepository)
	}
	rendered := helmTemplate(t, "vao-release").deployment(t).Spec.Template.Spec.Containers[0].Image
	if !strings.HasPrefix(rendered, wf.Env.ImageRepository+":") {
		t.Errorf("the chart renders image %s, not from %s", rendered, wf.Env.ImageRepository)
	}
	for _, want := range []string{
		`make image IMG="$IMAGE_REPOSITORY:$GITHUB_REF_NAME"`,
		`--image "$IMAGE_REPOSITORY:$GITHUB_REF_NAME"`,
		`make chart-package VERSION="$GITHUB_REF_NAME" IMAGE_DIGEST=`,
		`"$CHART_REPOSITORY"`,
	} {
		if !strings.Contains(runs, want) {
			t.Errorf("release.yaml does not run %s", want)
		}
	}

	chartRef := wf.Env.ChartRepository + "/vendor-allowlist-operator"
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "helm install vendor-allowlist-operator "+chartRef) {
		t.Errorf("README.md does not install the released chart %s with helm install", chartRef)
	}
}

// TestReleaseChartPinsTheReleasedImage: the chart the release packages (make
// chart-package) has the tag's version and appVersion and runs the pushed image by
// digest; a tag or digest that is not a release's is refused with the fix.
func TestReleaseChartPinsTheReleasedImage(t *testing.T) {
	wf, _ := readReleaseWorkflow(t)
	script := filepath.Join(repoRoot, "hack", "chart-package.sh")
	digest := "sha256:" + strings.Repeat("0123456789abcdef", 4)
	out := t.TempDir()
	env := []string{"HELM=" + helmBin(t)}
	stdout, err := runIn(repoRoot, env, script, "v1.2.3-rc.1", digest, out)
	if err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Join(out, "vendor-allowlist-operator-1.2.3-rc.1.tgz")
	if got := strings.TrimSpace(string(stdout)); got != pkg {
		t.Errorf("chart-package printed %q, want %q", got, pkg)
	}

	meta, err := helm(t, "show", "chart", pkg)
	if err != nil {
		t.Fatal(err)
	}
	var chart struct{ Version, AppVersion string }
	if err := yaml.Unmarshal(meta, &chart); err != nil {
		t.Fatalf("helm show chart: %v", err)
	}
	if chart.Version != "1.2.3-rc.1" || chart.AppVersion != "v1.2.3-rc.1" {
		t.Errorf("packaged chart version %q appVersion %q, want 1.2.3-rc.1 and v1.2.3-rc.1", chart.Version, chart.AppVersion)
	}
	manifest, err := helm(t, "template", "vao", pkg, "--namespace", "vao-release")
	if err != nil {
		t.Fatal(err)
	}
	r := rendering{name: "released chart", namespace: "vao-release", manifest: manifest, objects: parseManifest(t, manifest)}
	if got, want := r.deployment(t).Spec.Template.Spec.Containers[0].Image, wf.Env.ImageRepository+"@"+digest; got != want {
		t.Errorf("the released chart runs %s, want the pushed image %s", got, want)
	}

	for _, bad := range []struct{ tag, digest, want string }{
		{"1.2.3", digest, "give vX.Y.Z"},
		{"v1.2", digest, "give vX.Y.Z"},
		{"v1.2.3", "sha256:abc", "give the digest make image-push printed"},
	} {
		_, err := runIn(repoRoot, env, script, bad.tag, bad.digest, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("chart-package %s %s: error %v, want one saying %q", bad.tag, bad.digest, err, bad.want)
		}
	}
}

// TestPluginArchives: the plugin's release archive for this machine's platform holds
// a binary that runs and says the tag's version, and checksums.txt verifies it with
// sha256sum -c, as a user downloading a release would check it.
func TestPluginArchives(t *testing.T) {
	out := t.TempDir()
	platform := runtime.GOOS + "/" + runtime.GOARCH
	stdout, err := runIn(repoRoot, []string{"PLATFORMS=" + platform}, filepath.Join(repoRoot, "hack", "plugin-archives.sh"), "v1.2.3-rc.1", out)
	if err != nil {
		t.Fatal(err)
	}
	name := "kubectl-vendorallowlist_v1.2.3-rc.1_" + runtime.GOOS + "_" + runtime.GOARCH
	if want := filepath.Join(out, name+".tar.gz") + "\n" + filepath.Join(out, "checksums.txt"); strings.TrimSpace(string(stdout)) != want {
		t.Errorf("plugin-archives printed %q, want %q", stdout, want)
	}
	if b, err := runIn(out, nil, "sha256sum", "-c", "checksums.txt"); err != nil {
		t.Fatalf("sha256sum -c checksums.txt: %v\n%s", err, b)
	}
	if _, err := runIn(out, nil, "tar", "xzf", name+".tar.gz"); err != nil {
		t.Fatal(err)
	}
	version, err := runIn(out, nil, filepath.Join(out, name, "kubectl-vendorallowlist"), "version")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(version), "kubectl-vendorallowlist v1.2.3-rc.1\n") {
		t.Errorf("the archived plugin says %q, want version v1.2.3-rc.1", version)
	}
	for _, f := range []string{"README.md", "LICENSE"} {
		if _, err := os.Stat(filepath.Join(out, name, f)); err != nil {
			t.Errorf("the archive has no %s: %v", f, err)
		}
	}
	if _, err := runIn(repoRoot, nil, filepath.Join(repoRoot, "hack", "plugin-archives.sh"), "1.2.3", t.TempDir()); err == nil || !strings.Contains(err.Error(), "give vX.Y.Z") {
		t.Errorf("a tag without v: %v, want it refused", err)
	}
}

// TestReleaseDocsCheck: a release refuses to publish a tag the docs do not install.
// The release workflow runs make release-docs-check before it builds anything; the
// check passes for the version the docs name once its changelog section is dated, and
// names every stale line for another version.
func TestReleaseDocsCheck(t *testing.T) {
	_, runs := readReleaseWorkflow(t)
	if !strings.Contains(runs, `make release-docs-check VERSION="$GITHUB_REF_NAME"`) {
		t.Error("release.yaml does not run make release-docs-check for the tag")
	}
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^  --version ([0-9][0-9A-Za-z.-]*) `).FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md installs no published chart with --version")
	}
	version := string(m[1])

	// A copy of the files it reads, with the changelog's section dated as a release's
	// commit would date it.
	dir := t.TempDir()
	for _, f := range []string{"README.md", "docs/quick-start.md", "docs/gitops.md", "CHANGELOG.md", "hack/release-docs-check.sh"} {
		data, err := os.ReadFile(filepath.Join(repoRoot, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "CHANGELOG.md" {
			data = regexp.MustCompile(`(?m)^## \[`+regexp.QuoteMeta(version)+`\] - .*$`).ReplaceAll(data, []byte("## ["+version+"] - 2026-12-03"))
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, filepath.Dir(f)), filepath.Base(f), data)
	}
	script := filepath.Join(dir, "hack", "release-docs-check.sh")
	if err := os.Chmod(script, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := runIn(dir, nil, script, "v"+version); err != nil {
		t.Errorf("release-docs-check v%s, the version the docs name, with its section dated: %v\n%s", version, err, out)
	}
	_, err = runIn(dir, nil, script, "v99.0.0")
	for _, want := range []string{
		"README.md: the published chart's --version names " + version,
		"docs/quick-start.md: the published chart's --version names " + version,
		"docs/gitops.md: the Argo CD component's ?ref= names " + version,
		"README.md: the plugin archives' release names " + version,
		"CHANGELOG.md has no section '## [99.0.0] - YYYY-MM-DD'",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("release-docs-check v99.0.0: %v, want it to say %q", err, want)
		}
	}
}
