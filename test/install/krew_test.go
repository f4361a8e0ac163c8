/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package install

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestKrewManifest: the krew manifest the release workflow writes with
// hack/krew-manifest, from plugin archives built for real (this machine's platform,
// and Windows, cross-compiled, in a zip), passes krew's own validation
// (validate-krew-manifest, which krew-index's CI runs on every manifest), and krew
// installs the plugin from it and this machine's archive, checksum checked: the
// installed plugin runs, with its LICENSE beside it. An archive that does not match its
// checksum is refused.
func TestKrewManifest(t *testing.T) {
	krew, validate := os.Getenv("KREW"), os.Getenv("VALIDATE_KREW_MANIFEST")
	if krew == "" || validate == "" {
		t.Fatal("KREW and VALIDATE_KREW_MANIFEST are not set: run `make test`, or export KREW=$(hack/tools.sh path krew) VALIDATE_KREW_MANIFEST=$(hack/tools.sh path validate-krew-manifest)")
	}
	const tag = "v1.2.3"
	out := t.TempDir()
	platforms := runtime.GOOS + "/" + runtime.GOARCH
	if runtime.GOOS != "windows" {
		platforms += " windows/amd64"
	}
	if _, err := runIn(repoRoot, []string{"PLATFORMS=" + platforms}, filepath.Join(repoRoot, "hack", "plugin-archives.sh"), tag, out); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(out, "vendorallowlist.yaml")
	if _, err := runIn(repoRoot, nil, "go", "run", "./hack/krew-manifest", "-version", tag, "-archives", out, "-o", manifest); err != nil {
		t.Fatal(err)
	}
	if b, err := runIn(out, nil, validate, "-manifest", manifest, "-skip-install"); err != nil {
		t.Fatalf("krew's validation refuses the manifest: %v\n%s", err, b)
	}

	var m struct {
		Spec struct {
			Version   string
			Platforms []struct {
				Selector         struct{ MatchLabels map[string]string }
				URI, Sha256, Bin string
			}
		}
	}
	raw, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.Spec.Version != tag || len(m.Spec.Platforms) != len(strings.Fields(platforms)) {
		t.Fatalf("manifest version %s with %d platforms, want %s and %d:\n%s", m.Spec.Version, len(m.Spec.Platforms), tag, len(strings.Fields(platforms)), raw)
	}
	for _, p := range m.Spec.Platforms {
		name := filepath.Base(p.URI)
		wantURI := "https://github.com/vendorallowlist/vendor-allowlist-operator/releases/download/" + tag + "/" + name
		if p.URI != wantURI {
			t.Errorf("uri %s, want %s", p.URI, wantURI)
		}
		if sum := fileSHA256(t, filepath.Join(out, name)); p.Sha256 != sum {
			t.Errorf("%s: sha256 %s, the archive's is %s", name, p.Sha256, sum)
		}
		if goos := p.Selector.MatchLabels["os"]; (goos == "windows") != strings.HasSuffix(name, ".zip") || (goos == "windows") != strings.HasSuffix(p.Bin, ".exe") {
			t.Errorf("%s for %s: bin %s (Windows gets a zip and an .exe, the others a tar.gz)", name, goos, p.Bin)
		}
	}

	archive := filepath.Join(out, "kubectl-vendorallowlist_"+tag+"_"+runtime.GOOS+"_"+runtime.GOARCH+".tar.gz")
	krewRoot := t.TempDir()
	env := []string{"KREW_ROOT=" + krewRoot, "HOME=" + t.TempDir(), "KREW_NO_UPGRADE_CHECK=1"}
	if b, err := runIn(out, env, krew, "install", "--manifest="+manifest, "--archive="+archive); err != nil {
		t.Fatalf("krew install: %v\n%s", err, b)
	}
	version, err := runIn(out, nil, filepath.Join(krewRoot, "bin", "kubectl-vendorallowlist"), "version")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(version), "kubectl-vendorallowlist "+tag+"\n") {
		t.Errorf("the plugin krew installed says %q, want version %s", version, tag)
	}
	if _, err := os.Stat(filepath.Join(krewRoot, "store", "vendorallowlist", tag, "LICENSE")); err != nil {
		t.Errorf("krew installed no LICENSE: %v", err)
	}

	// Another archive under this one's checksum: krew refuses it.
	other := filepath.Join(out, "kubectl-vendorallowlist_"+tag+"_windows_amd64.zip")
	if runtime.GOOS != "windows" {
		_, err := runIn(out, []string{"KREW_ROOT=" + t.TempDir(), "HOME=" + t.TempDir(), "KREW_NO_UPGRADE_CHECK=1"}, krew, "install", "--manifest="+manifest, "--archive="+other)
		if err == nil || !strings.Contains(err.Error(), "checksum") {
			t.Errorf("krew install with an archive that is not the manifest's: %v, want a checksum mismatch", err)
		}
	}
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
