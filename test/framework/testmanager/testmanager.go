/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package testmanager runs the operator's manager inside a test, built by manager.New
// exactly as the binary builds it, and stops it (waiting for it) when the test ends.
package testmanager

import (
	"context"
	"flag"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	_ "sigs.k8s.io/controller-runtime/pkg/controller" // holds usedControllerNames

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/manager"
)

// Running is a manager started in a goroutine.
type Running struct {
	// Registry holds the manager's metrics.
	Registry *prometheus.Registry
	// Cache reads the manager's cache: what it holds in memory, not what the API
	// server does.
	Cache client.Reader
	stop  func()
}

// Stop cancels the manager's context and waits for Start to return. It is also
// registered with t.Cleanup; a second call does nothing.
func (r *Running) Stop() { r.stop() }

// Start builds the manager with manager.New and starts it. Metrics and probes are
// off, metrics go to a registry of the manager's own, and controller names may repeat
// (tests build one manager after another in one process). It is stopped when the
// test ends, before whatever the test registered for cleanup earlier (its DNS server).
func Start(t *testing.T, cfg *rest.Config, o manager.Options) *Running {
	t.Helper()
	reg := prometheus.NewRegistry()
	o.MetricsAddr, o.ProbeAddr = "0", "0"
	o.MetricsRegistry = reg
	o.SkipControllerNameValidation = true
	mgr, err := manager.New(cfg, o)
	if err != nil {
		t.Fatalf("manager.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("manager stopped with an error: %v", err)
				}
			case <-time.After(45 * time.Second):
				t.Errorf("manager did not stop within 45s of its context ending")
			}
		})
	}
	t.Cleanup(stop)
	return &Running{Registry: reg, Cache: mgr.GetCache(), stop: stop}
}

// Options are the manager's Options as the binary builds them from these flags (none:
// the binary's defaults).
func Options(t testing.TB, args ...string) manager.Options {
	t.Helper()
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	options := manager.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	o, err := options()
	if err != nil {
		t.Fatal(err)
	}
	return o
}
