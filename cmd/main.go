/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Command manager runs the vendor-allowlist-operator: it keeps each VendorAllowlist's
// NetworkPolicies in step with the vendors' published addresses and DNS.
package main

import (
	"flag"
	"fmt"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/logging"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/manager"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/version"
)

func main() {
	options := manager.BindFlags(flag.CommandLine)
	showVersion := flag.Bool("version", false, "Print the version, Git commit and build date, and exit.")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	build := version.Get()
	if *showVersion {
		fmt.Println("manager " + build.String())
		return
	}
	ctrl.SetLogger(logging.Deferred(logging.New(zapOpts)))
	// First line of every start, so that a log names the build that wrote it.
	ctrl.Log.Info("Starting vendor-allowlist-operator", "version", build.Version, "commit", build.Commit,
		"buildDate", build.Date, "go", build.GoVersion, "platform", build.Platform)

	o, err := options()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if limit, err := manager.SetMemoryLimit(os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	} else if limit > 0 {
		ctrl.Log.Info("Go memory limit set from the container's", "bytes", limit)
	}
	manager.SetGCPercent(os.Getenv)
	if err := run(o); err != nil {
		ctrl.Log.Error(err, "Manager stopped")
		os.Exit(1)
	}
}

func run(o manager.Options) error {
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	mgr, err := manager.New(cfg, o)
	if err != nil {
		return err
	}
	return mgr.Start(ctrl.SetupSignalHandler())
}
