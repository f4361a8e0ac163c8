/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dataplanetest

import (
	"context"
	"net/netip"
	"testing"
	"time"
)

// NewPod is AddPod for a test: it fails the test on error and removes the pod (object
// and namespace) when the test ends.
func (d *Dataplane) NewPod(t testing.TB, namespace, name string, labels map[string]string, ports ...uint16) *Pod {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := d.AddPod(ctx, namespace, name, labels, ports...)
	if err != nil {
		t.Fatalf("pod %s/%s: %v", namespace, name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := d.RemovePod(ctx, p); err != nil {
			t.Errorf("removing pod %s: %v", p.Name, err)
		}
	})
	return p
}

// NewHost is AddHost for a test: it fails the test on error and removes the host when
// the test ends.
func (d *Dataplane) NewHost(t testing.TB, name string, addrs []netip.Addr, ports ...uint16) *Endpoint {
	t.Helper()
	h, err := d.AddHost(name, addrs, ports...)
	if err != nil {
		t.Fatalf("host %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := d.RemoveHost(h); err != nil {
			t.Errorf("removing host %s: %v", name, err)
		}
	})
	return h
}

// NewManager is StartManager for a test: it fails the test on error, stops the manager
// when the test ends and, if the test failed, prints the end of its log.
func (d *Dataplane) NewManager(t testing.TB, name, bin string, cfg ManagerConfig) *Process {
	t.Helper()
	p, err := d.StartManager(name, bin, cfg)
	return ownedByTest(t, "manager "+name, p, err)
}

// NewProcessEnv runs a program inside an endpoint's namespace (a pod's, for an
// ingress controller such as Traefik), with environment variables of its own
// (KUBECONFIG, say), for a test: it fails the test on error, stops the program when
// the test ends and, if the test failed, prints the end of its log.
func (d *Dataplane) NewProcessEnv(t testing.TB, in *Endpoint, name string, env []string, bin string, args ...string) *Process {
	t.Helper()
	p, err := StartProcess(name, in.Netns(), d.cfg.LogDir, env, bin, args...)
	return ownedByTest(t, name, p, err)
}

// ownedByTest fails the test if the process did not start, and otherwise stops it
// when the test ends, printing the end of its log if the test failed.
func ownedByTest(t testing.TB, label string, p *Process, err error) *Process {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop(15 * time.Second)
		if t.Failed() {
			t.Logf("end of %s's log (%s):\n%s", label, p.LogPath, p.Tail(80))
		}
	})
	return p
}
