/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dataplanetest

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// BuildManager builds the manager binary (./cmd of the repository at repoRoot) into
// dir and returns its path: the suites run the program users run.
func BuildManager(repoRoot, dir string) (string, error) {
	bin := filepath.Join(dir, "manager")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd: %w\n%s", err, out)
	}
	return bin, nil
}

// ManagerConfig is what a dataplane test varies in the manager's command line.
type ManagerConfig struct {
	// DNSServer is the manager's only DNS server (the test's dnsmasq), host:port.
	DNSServer string
	// WatchNamespaces limits the manager to the test's namespaces.
	WatchNamespaces []string
	// DNSMinRefresh, DNSMaxRefresh and DNSRetention set the flags of the same names
	// when not zero.
	DNSMinRefresh, DNSMaxRefresh, DNSRetention time.Duration
	// IngressTargets sets --ingress-targets when not empty (the default is none).
	IngressTargets string
}

// Args is the manager's command line in the dataplane suites: the one place to add a
// flag that every dataplane run needs.
//
// The outside hosts live in documentation ranges, which the manager's guard refuses in
// DNS answers unless the admin allows them: --guard-allow-cidr for each, as an admin
// running a lab would. The pod and service ranges go to --cluster-cidr, which the
// guard never renders from DNS.
func (c ManagerConfig) Args() []string {
	args := []string{
		"--leader-elect=false",
		"--metrics-bind-address=0",
		"--health-probe-bind-address=0",
		"--dns-server=" + c.DNSServer,
	}
	for _, p := range testenv.ClusterCIDRs {
		args = append(args, "--cluster-cidr="+p.String())
	}
	for _, p := range OutsideCIDRs {
		args = append(args, "--guard-allow-cidr="+p.String())
	}
	if len(c.WatchNamespaces) > 0 {
		args = append(args, "--watch-namespaces="+strings.Join(c.WatchNamespaces, ","))
	}
	if c.IngressTargets != "" {
		args = append(args, "--ingress-targets="+c.IngressTargets)
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"dns-min-refresh", c.DNSMinRefresh}, {"dns-max-refresh", c.DNSMaxRefresh}, {"dns-retention", c.DNSRetention}} {
		if f.d > 0 {
			args = append(args, fmt.Sprintf("--%s=%s", f.name, f.d))
		}
	}
	return args
}

// StartManager runs the manager binary in the machine's namespace against the API
// server (the admin kubeconfig), with cfg's command line. Its log is NAME.log in the
// dataplane's log directory.
func (d *Dataplane) StartManager(name, bin string, cfg ManagerConfig) (*Process, error) {
	if cfg.DNSServer == "" {
		// Without one the manager would read /etc/resolv.conf and ask the machine's
		// real DNS servers.
		return nil, fmt.Errorf("manager %s: ManagerConfig.DNSServer is empty: give the test's dnsmasq", name)
	}
	return StartProcess(name, nil, d.cfg.LogDir, []string{"KUBECONFIG=" + d.KubeconfigPath}, bin, cfg.Args()...)
}
