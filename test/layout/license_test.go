/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package layout

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Every Go file starts with the licence header, hack/boilerplate.go.txt (after its
// //go:build line, if any), as kubebuilder scaffolds files and controller-gen writes
// the generated ones; the repository has the LICENSE it names, the chart and the
// image say the same licence.
func TestEveryGoFileHasTheLicenseHeader(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	header, err := os.ReadFile(filepath.Join(root, "hack", "boilerplate.go.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(header, []byte("SPDX-License-Identifier: Apache-2.0")) {
		t.Fatalf("hack/boilerplate.go.txt does not say SPDX-License-Identifier: Apache-2.0:\n%s", header)
	}
	out, err := exec.Command("git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard", "--", "*.go").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	files := strings.Fields(string(out))
	if len(files) < 100 {
		t.Fatalf("git ls-files found %d Go files; is the test run from test/layout?", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, f))
		if os.IsNotExist(err) {
			continue // deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		if first, rest, ok := bytes.Cut(data, []byte("\n")); ok && bytes.HasPrefix(first, []byte("//go:build")) {
			data = bytes.TrimLeft(rest, "\n")
		}
		if !bytes.HasPrefix(data, header) {
			t.Errorf("%s does not start with the licence header (hack/boilerplate.go.txt): run hack/license-headers.sh", f)
		}
	}

	license, err := os.ReadFile(filepath.Join(root, "LICENSE"))
	if err != nil || !bytes.Contains(license, []byte("Apache License\n                           Version 2.0, January 2004")) {
		t.Errorf("LICENSE is not the Apache-2.0 text: %v", err)
	}
	chart, err := os.ReadFile(filepath.Join(root, "charts", "vendor-allowlist-operator", "Chart.yaml"))
	if err != nil || !bytes.Contains(chart, []byte("artifacthub.io/license: Apache-2.0")) {
		t.Errorf("Chart.yaml does not say artifacthub.io/license: Apache-2.0 (%v)", err)
	}
	dockerfile, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil || !bytes.Contains(dockerfile, []byte(`org.opencontainers.image.licenses="Apache-2.0"`)) {
		t.Errorf("the Dockerfile's image does not say org.opencontainers.image.licenses=\"Apache-2.0\" (%v)", err)
	}
}
