/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dataplanetest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// AssetsEnv names the directory of kube-proxy, kube-router, kube-controller-manager
// and traefik.
const AssetsEnv = "VAO_DATAPLANE_ASSETS"

// commands are the Debian tools the suite and the dataplane run, and the package of
// each (hack/install-test-deps.sh installs them).
var commands = map[string]string{
	"ip": "iproute2", "iptables": "iptables", "iptables-save": "iptables", "iptables-restore": "iptables",
	"ip6tables-save": "iptables", "ipset": "ipset", "conntrack": "conntrack", "nfacct": "nfacct", "nft": "nftables",
}

// assets are the programs hack/dataplane-binaries.sh builds.
var assets = []string{"kube-proxy", "kube-router", "kube-controller-manager", "traefik"}

// Requirements says whether the dataplane suite can run here. skip is set, and err
// nil, only for a developer without root outside CI: the suite creates network
// namespaces, which needs root. In CI (CI set), or as root, a missing part is an error
// naming what installs it.
func Requirements() (skip string, err error) {
	if os.Geteuid() != 0 {
		msg := "the dataplane suite needs root: it creates network namespaces and veth pairs and runs kube-router and kube-proxy in them; run it as root, e.g. sudo -E make e2e"
		if os.Getenv("CI") != "" {
			return "", errors.New(msg + " (CI is set, so this is a failure, not a skip)")
		}
		return msg, nil
	}
	var missing []string
	for c, pkg := range commands {
		if _, err := exec.LookPath(c); err != nil {
			if _, serr := os.Stat(filepath.Join("/usr/sbin", c)); serr != nil {
				missing = append(missing, fmt.Sprintf("%s (Debian package %s)", c, pkg))
			}
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("missing %s: run hack/install-test-deps.sh", strings.Join(missing, ", "))
	}
	dir := os.Getenv(AssetsEnv)
	if dir == "" {
		return "", fmt.Errorf("%s is not set: run `make e2e`, or export %s=$(hack/dataplane-binaries.sh)", AssetsEnv, AssetsEnv)
	}
	for _, a := range assets {
		if st, err := os.Stat(filepath.Join(dir, a)); err != nil || st.Mode()&0o111 == 0 {
			return "", fmt.Errorf("%s missing from %s=%s: build it with hack/dataplane-binaries.sh", a, AssetsEnv, dir)
		}
	}
	return "", nil
}
