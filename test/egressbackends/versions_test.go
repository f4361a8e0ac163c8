/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package egressbackends

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/thirdpartycrds"
)

// A schema of one release and a validator of another would prove neither: the CRDs
// the suite installs must come from the module versions go.mod builds the validation
// code from. (A test binary records no module versions, so go.mod is asked.)
func TestCRDsAreOfTheReleaseWhoseValidationCodeRuns(t *testing.T) {
	for _, s := range []thirdpartycrds.Source{thirdpartycrds.Cilium, thirdpartycrds.ClusterNetworkPolicy} {
		cmd := exec.Command("go", "list", "-m", "-f", "{{.Version}}", s.Module)
		cmd.Dir = testenv.RepoRoot()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list -m %s: %v: %s", s.Module, err, out)
		}
		if got := strings.TrimSpace(string(out)); got != s.Version {
			t.Errorf("%s's CRDs are from %s@%s, but go.mod builds its code at %s: move both to one version", s.Project, s.Module, s.Version, got)
		}
	}
}
