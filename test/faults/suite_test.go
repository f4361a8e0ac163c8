/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package faults runs the operator through faults: the API server stopped and restarted
// mid-reconcile, the leader killed with SIGKILL, a DNS outage at bench scale, a person
// editing a managed policy while a reconcile is under way, and allowlists the API
// server accepts but the reconciler must refuse.
//
// Every test runs a real kube-apiserver and etcd (envtest) and, where DNS matters, a
// real DNS server (dnsmasq on 127.0.0.1). The operator runs as its own process: the
// test binary starts itself again as a child (see child_test.go) that builds the manager
// with internal/manager.New, exactly as cmd/main.go does, so a leader can be killed
// with SIGKILL and a crash is seen as an exit. Nothing leaves the loopback interface.
//
// The control plane is started once, on first use, and shared by every test but
// TestAPIServerRestartMidReconcile, which kills and restarts an API server of its own.
// Each test works in namespaces of its own, and its manager watches only those; the
// Vendor objects a test makes (cluster-scoped) have names of their own.
//
// FAULTS_MANAGER_LOGS=N prints the last N lines of every manager's log even when the
// test passes (a failed test prints the last 200); FAULTS_MANAGER_V=N raises the
// managers' log verbosity (5 logs every reconcile, 3 client-go's throttling waits).
//
// KUBEBUILDER_ASSETS must name the envtest binaries (make test sets it; by hand:
// export KUBEBUILDER_ASSETS=$(hack/envtest-binaries.sh)); dnsmasq must be installed
// (hack/install-test-deps.sh). A missing binary fails the suite, never skips it.
package faults

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// scratch is a directory for kubeconfig files and child logs shared by the tests.
var scratch string

func TestMain(m *testing.M) {
	// The test binary doubles as the operator process the tests start.
	if raw := os.Getenv(childEnv); raw != "" {
		os.Exit(childMain(raw))
	}
	// envtest and the clients log through controller-runtime: errors only.
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))
	dir, err := os.MkdirTemp("", "vao-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	scratch = dir
	start := time.Now()
	code := m.Run()
	stopShared()
	os.RemoveAll(dir)
	fmt.Fprintf(os.Stderr, "faults: suite took %v\n", time.Since(start).Round(time.Millisecond))
	os.Exit(code)
}

// cluster is a running control plane with a client and an admin kubeconfig file that
// child managers use.
type cluster struct {
	env        *testenv.Env
	cfg        *rest.Config
	client     client.WithWatch
	kubeconfig string
}

// The control plane most tests share, started on first use; the API-server restart
// test starts one of its own.
var (
	sharedOnce    sync.Once
	sharedCluster *cluster
	sharedErr     error
)

func shared(t testing.TB) *cluster {
	t.Helper()
	sharedOnce.Do(func() {
		start := time.Now()
		env, err := testenv.Start()
		if err != nil {
			sharedErr = err
			return
		}
		sharedCluster, sharedErr = newCluster(env.KubeConfig, env.Config, "shared")
		if sharedErr != nil {
			_ = env.Stop()
			return
		}
		sharedCluster.env = env
		fmt.Fprintf(os.Stderr, "faults: shared control plane up in %v\n", time.Since(start).Round(time.Millisecond))
	})
	if sharedErr != nil {
		t.Fatalf("control plane: %v", sharedErr)
	}
	return sharedCluster
}

func stopShared() {
	if sharedCluster != nil && sharedCluster.env != nil {
		if err := sharedCluster.env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "faults: stopping the shared control plane:", err)
		}
	}
}

// newCluster makes the test's client and writes the admin kubeconfig envtest made.
func newCluster(kubeconfig []byte, cfg *rest.Config, name string) (*cluster, error) {
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: testenv.Scheme()})
	if err != nil {
		return nil, fmt.Errorf("creating client: %w", err)
	}
	path := filepath.Join(scratch, name+".kubeconfig")
	if err := os.WriteFile(path, kubeconfig, 0o600); err != nil {
		return nil, err
	}
	return &cluster{cfg: cfg, client: c, kubeconfig: path}, nil
}

var nsCounter atomic.Int64

// namespace creates a namespace of its own for a test.
func (c *cluster) namespace(t testing.TB, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s-%d-%d", prefix, time.Now().Unix()%100000, nsCounter.Add(1))
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.client.Create(ctx, ns); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	return name
}
