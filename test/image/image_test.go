/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package image tests the manager's container image as `make image` builds it and
// `make image-push` pushes it (hack/image, internal/imagebuild): built twice it has one
// digest; pushed to a registry and pulled back it runs as 65532 from /manager, carries
// its labels, holds nothing but the binary (no shell) for linux/amd64 and linux/arm64,
// lists its SBOM among its referrers, and its binary reports the version and commit it
// was built with. The registry is go-containerregistry's, in process, on loopback.
//
// It also checks that the Dockerfile, which users with Docker build, agrees with
// internal/imagebuild on the user, the entrypoint and the labels.
package image

import (
	"archive/tar"
	"bytes"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// The build under test. The expected values below are written out, not taken from
// internal/imagebuild, so that a wrong constant there fails here.
const (
	testVersion = "v0.0.0-imagetest"
	testCommit  = "0123456789abcdef0123456789abcdef01234567"
	testEpoch   = "1767225600" // 2026-01-01T00:00:00Z
	testCreated = "2026-01-01T00:00:00Z"
	testTag     = "ghcr.io/vendorallowlist/vendor-allowlist-operator:" + testVersion
)

var wantLabels = map[string]string{
	"org.opencontainers.image.title":       "vendor-allowlist-operator",
	"org.opencontainers.image.description": "Keeps NetworkPolicies in step with SaaS vendors' published allowlist addresses",
	"org.opencontainers.image.source":      "https://github.com/vendorallowlist/vendor-allowlist-operator",
	"org.opencontainers.image.licenses":    "Apache-2.0",
	"org.opencontainers.image.version":     testVersion,
	"org.opencontainers.image.revision":    testCommit,
	"org.opencontainers.image.created":     testCreated,
}

var repoRoot = testenv.RepoRoot()

// buildManifest is the part of build.json the test reads.
type buildManifest struct {
	Tag       string `json:"tag"`
	Digest    string `json:"digest"`
	Platforms []struct {
		Platform   string `json:"platform"`
		Digest     string `json:"digest"`
		Archive    string `json:"archive"`
		SBOM       string `json:"sbom"`
		SBOMDigest string `json:"sbomDigest"`
	} `json:"platforms"`
}

func TestImage(t *testing.T) {
	tool := buildTool(t)

	// Two builds, into two directories, one digest.
	dirA, dirB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	start := time.Now()
	a := buildImage(t, tool, dirA)
	t.Logf("first build (two platforms): %v", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	b := buildImage(t, tool, dirB)
	t.Logf("second build (two platforms): %v", time.Since(start).Round(time.Millisecond))
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("two builds of one commit differ (-first +second):\n%s", diff)
	}
	t.Logf("two builds, one digest: %s", a.Digest)
	if a.Tag != testTag {
		t.Errorf("build.json tag = %q, want %q", a.Tag, testTag)
	}

	// Push to a registry on loopback, as make image-push does.
	reg := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	image := strings.TrimPrefix(reg.URL, "http://") + "/vendorallowlist/vendor-allowlist-operator:" + testVersion
	out, err := run(tool, "push", "--dir", dirA, "--image", image, "--insecure")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(image, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(out)), ref.Context().Digest(a.Digest).String(); got != want {
		t.Errorf("push printed %q, want %q", got, want)
	}

	// Pull it back.
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatalf("pulling %s: %v", ref, err)
	}
	if d, _ := idx.Digest(); d.String() != a.Digest {
		t.Errorf("pulled index digest %s, built %s", d, a.Digest)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if im.MediaType != types.OCIImageIndex {
		t.Errorf("index media type %s, want %s", im.MediaType, types.OCIImageIndex)
	}
	if diff := cmp.Diff(wantLabels, im.Annotations); diff != "" {
		t.Errorf("index annotations (-want +got):\n%s", diff)
	}
	var platforms []string
	ranHost := false
	for _, desc := range im.Manifests {
		if desc.Platform == nil {
			t.Errorf("index entry %s has no platform", desc.Digest)
			continue
		}
		platforms = append(platforms, desc.Platform.String())
		t.Run(desc.Platform.String(), func(t *testing.T) {
			img, err := idx.Image(desc.Digest)
			if err != nil {
				t.Fatal(err)
			}
			bin := checkImage(t, img, *desc.Platform)
			checkSBOM(t, ref.Context().Digest(desc.Digest.String()), bin)
			if desc.Platform.OS == runtime.GOOS && desc.Platform.Architecture == runtime.GOARCH {
				checkVersion(t, bin)
				checkArchive(t, filepath.Join(dirA, desc.Platform.OS+"-"+desc.Platform.Architecture+".tar"), img)
				ranHost = true
			}
		})
	}
	sort.Strings(platforms)
	if want := []string{"linux/amd64", "linux/arm64/v8"}; !slices.Equal(platforms, want) {
		t.Errorf("index platforms %v, want %v", platforms, want)
	}
	if !ranHost {
		t.Errorf("no image for this machine's platform %s/%s: the binary's --version was not run", runtime.GOOS, runtime.GOARCH)
	}
}

// checkImage checks the image's config and contents, and returns its binary.
func checkImage(t *testing.T, img v1.Image, p v1.Platform) []byte {
	t.Helper()
	if mt, _ := img.MediaType(); mt != types.OCIManifestSchema1 {
		t.Errorf("manifest media type %s, want %s", mt, types.OCIManifestSchema1)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != p.OS || cf.Architecture != p.Architecture || cf.Variant != p.Variant {
		t.Errorf("config platform %s/%s/%s, index says %s", cf.OS, cf.Architecture, cf.Variant, p)
	}
	if cf.Config.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532 (the chart's runAsUser and runAsGroup)", cf.Config.User)
	}
	if want := []string{"/manager"}; !slices.Equal(cf.Config.Entrypoint, want) || len(cf.Config.Cmd) != 0 {
		t.Errorf("entrypoint %q cmd %q, want entrypoint %q and no cmd", cf.Config.Entrypoint, cf.Config.Cmd, want)
	}
	if diff := cmp.Diff(wantLabels, cf.Config.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if got := cf.Created.UTC().Format(time.RFC3339); got != testCreated {
		t.Errorf("created %s, want the source date %s", got, testCreated)
	}

	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var bin []byte
	var files []string
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			hdr, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			path := "/" + strings.TrimPrefix(hdr.Name, "./")
			files = append(files, path)
			if path == "/bin/sh" || strings.HasSuffix(path, "/sh") || strings.HasSuffix(path, "/bash") || strings.HasSuffix(path, "/busybox") {
				t.Errorf("the image has a shell: %s", path)
			}
			if path == "/manager" {
				if hdr.Uid != 0 || hdr.Gid != 0 || hdr.Mode&0o777 != 0o555 || !hdr.ModTime.Equal(cf.Created.Time) {
					t.Errorf("/manager is %d:%d mode %o time %v, want 0:0, 555 (not writable by the manager's user), at the source date",
						hdr.Uid, hdr.Gid, hdr.Mode&0o777, hdr.ModTime)
				}
				if bin, err = io.ReadAll(tr); err != nil {
					t.Fatal(err)
				}
			}
		}
		rc.Close()
	}
	if !slices.Equal(files, []string{"/manager"}) {
		t.Errorf("the image holds %q, want only /manager", files)
	}
	if bin == nil {
		t.Fatal("no /manager in the image")
	}
	info, err := buildinfo.Read(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("/manager has no Go build information: %v", err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if settings["GOOS"] != p.OS || settings["GOARCH"] != p.Architecture || settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" {
		t.Errorf("/manager was built with GOOS=%s GOARCH=%s CGO_ENABLED=%s -trimpath=%s, want %s/%s, 0 (static), true",
			settings["GOOS"], settings["GOARCH"], settings["CGO_ENABLED"], settings["-trimpath"], p.OS, p.Architecture)
	}
	return bin
}

// checkVersion runs the image's binary on this machine and checks --version.
func checkVersion(t *testing.T, bin []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "manager")
	if err := os.WriteFile(path, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := run(path, "--version")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("manager %s (commit %s, built %s, go", testVersion, testCommit, testCreated)
	if !strings.HasPrefix(string(out), want) || !strings.HasSuffix(string(out), runtime.GOOS+"/"+runtime.GOARCH+")\n") {
		t.Errorf("/manager --version printed %q, want %q...%s/%s)", out, want, runtime.GOOS, runtime.GOARCH)
	}

	// Started without a cluster to talk to, it names its build first, then stops.
	cmd := exec.Command(path, "--zap-encoder=json")
	cmd.Env = []string{"HOME=" + t.TempDir(), "KUBECONFIG=" + filepath.Join(t.TempDir(), "missing")}
	logOut, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("/manager without a kubeconfig exited 0:\n%s", logOut)
	}
	first, _, _ := strings.Cut(string(logOut), "\n")
	for _, field := range []string{`"msg":"Starting vendor-allowlist-operator"`, `"version":"` + testVersion + `"`, `"commit":"` + testCommit + `"`, `"buildDate":"` + testCreated + `"`} {
		if !strings.Contains(first, field) {
			t.Errorf("the manager's first log line lacks %s:\n%s", field, logOut)
		}
	}
}

// checkSBOM checks that the image lists a CycloneDX SBOM among its referrers, and that
// the SBOM names every module the binary was built from, at its version.
func checkSBOM(t *testing.T, image name.Digest, bin []byte) {
	t.Helper()
	refs, err := remote.Referrers(image)
	if err != nil {
		t.Fatalf("referrers of %s: %v", image, err)
	}
	rm, err := refs.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(rm.Manifests) != 1 {
		t.Fatalf("%d referrers of %s, want 1 (the SBOM)", len(rm.Manifests), image)
	}
	art, err := remote.Image(image.Context().Digest(rm.Manifests[0].Digest.String()))
	if err != nil {
		t.Fatal(err)
	}
	m, err := art.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.ArtifactType != "application/vnd.cyclonedx+json" || m.Subject == nil || m.Subject.Digest.String() != image.DigestStr() || len(m.Layers) != 1 {
		t.Fatalf("referrer %s: artifactType %q, subject %v, %d layers; want a CycloneDX SBOM of %s in one layer",
			rm.Manifests[0].Digest, m.ArtifactType, m.Subject, len(m.Layers), image.DigestStr())
	}
	layers, err := art.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layers[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var doc struct {
		BOMFormat  string `json:"bomFormat"`
		Components []struct {
			Name, Version, Purl string
		} `json:"components"`
	}
	if err := json.NewDecoder(rc).Decode(&doc); err != nil {
		t.Fatalf("the SBOM is not JSON: %v", err)
	}
	if doc.BOMFormat != "CycloneDX" {
		t.Errorf("SBOM bomFormat %q, want CycloneDX", doc.BOMFormat)
	}
	var got []string
	for _, c := range doc.Components {
		got = append(got, c.Name+"@"+c.Version)
	}
	info, err := buildinfo.Read(bytes.NewReader(bin))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"stdlib@" + info.GoVersion}
	for _, d := range info.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		want = append(want, d.Path+"@"+d.Version)
	}
	sort.Strings(got)
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SBOM components differ from the binary's modules (go version -m) (-binary +sbom):\n%s", diff)
	}
	if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "sigs.k8s.io/controller-runtime@v") }) {
		t.Errorf("SBOM does not list sigs.k8s.io/controller-runtime: %v", got)
	}
}

// checkArchive checks that the docker archive (for kind load image-archive and docker
// load) is the same image, under the tag it was built with.
func checkArchive(t *testing.T, path string, img v1.Image) {
	t.Helper()
	tag, err := name.NewTag(testTag)
	if err != nil {
		t.Fatal(err)
	}
	archived, err := tarball.ImageFromPath(path, &tag)
	if err != nil {
		t.Fatalf("%s has no image tagged %s: %v", path, tag, err)
	}
	gotCfg, err := archived.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	wantCfg, _ := img.ConfigName()
	gotLayers, _ := archived.Layers()
	wantLayers, _ := img.Layers()
	if gotCfg != wantCfg || len(gotLayers) != len(wantLayers) {
		t.Fatalf("%s: config %s with %d layers, the pushed image has config %s with %d", path, gotCfg, len(gotLayers), wantCfg, len(wantLayers))
	}
	for i := range gotLayers {
		g, _ := gotLayers[i].DiffID()
		w, _ := wantLayers[i].DiffID()
		if g != w {
			t.Errorf("%s: layer %d is %s, the pushed image's is %s", path, i, g, w)
		}
	}
}

// buildTool builds hack/image, the command make image and make image-push run.
func buildTool(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "image")
	cmd := exec.Command("go", "build", "-o", bin, "./hack/image")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./hack/image: %v\n%s", err, out)
	}
	return bin
}

// buildImage runs the build as make image does, into dir, and returns its build.json.
func buildImage(t *testing.T, tool, dir string) buildManifest {
	t.Helper()
	cmd := exec.Command(tool, "build", "--out", dir, "--tag", testTag,
		"--version", testVersion, "--commit", testCommit, "--source-date-epoch", testEpoch)
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("image build: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "build.json"))
	if err != nil {
		t.Fatal(err)
	}
	var bm buildManifest
	if err := json.Unmarshal(data, &bm); err != nil {
		t.Fatalf("build.json: %v", err)
	}
	return bm
}

func run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}
