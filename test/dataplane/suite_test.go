/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package dataplane proves the operator's policies on real packets: a one-node
// dataplane with kube-router (the NetworkPolicy engine) and kube-proxy (Services), in
// network namespaces the suite creates, judges real TCP connections between pods and
// outside hosts while the real manager binary renders the policies, with dnsmasq as
// its DNS server.
//
// TestMain builds ./cmd into a temporary directory, starts etcd and kube-apiserver
// (envtest, with the service range 10.96.0.0/12, and Traefik's CRDs), creates a Vendor shaped like a
// catalog vendor with documentation addresses (testdata/docsaas-vendor.yaml), and
// starts the dataplane (test/framework/dataplanetest): the node's namespace with its guard
// rules, kube-router, kube-proxy, kube-controller-manager's garbage collector and a
// kube-dns. Each test works in a namespace of its own, with its own pods, outside
// hosts, dnsmasq and manager (which watches only that namespace). At the end TestMain
// takes everything down and compares the machine with the baseline it took before the
// run: any difference, or any packet the guard rules dropped, fails the suite.
//
// It needs root; a developer without root gets a skip saying so, CI (CI set) a
// failure. A missing program fails the suite: VAO_DATAPLANE_ASSETS from
// hack/dataplane-binaries.sh, KUBEBUILDER_ASSETS from hack/envtest-binaries.sh, the
// Debian tools from hack/install-test-deps.sh. `make e2e` runs it alone.
//
// DATAPLANE_KEEP_LOGS=1 keeps the programs' logs (their directory is printed);
// they are kept anyway when a test fails.
package dataplane

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/dataplanetest"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/thirdpartycrds"
)

var (
	// skipReason is set when the suite cannot run here and may say so (no root, not
	// in CI): every test skips with it.
	skipReason string
	dp         *dataplanetest.Dataplane
	k8s        client.WithWatch
	managerBin string
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) (code int) {
	skip, err := dataplanetest.Requirements()
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: dataplane suite:", err)
		return 1
	}
	if skip != "" {
		skipReason = skip
		return m.Run()
	}
	start := time.Now()
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "dataplane: "+format+"\n", args...)
	}

	dir, err := os.MkdirTemp("", "vao-dataplane-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	defer func() {
		if code == 0 && os.Getenv("DATAPLANE_KEEP_LOGS") == "" {
			os.RemoveAll(dir)
		} else {
			logf("logs kept in %s", dir)
		}
	}()

	t0 := time.Now()
	if managerBin, err = dataplanetest.BuildManager(testenv.RepoRoot(), dir); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: building the manager:", err)
		return 1
	}
	logf("built the manager in %v", time.Since(t0).Round(time.Millisecond))

	// Traefik's CRDs, for its provider in TestTraefikTargetOnHTTP, from the module the
	// suite's Traefik is built from.
	traefikCRDs, err := thirdpartycrds.Load(thirdpartycrds.Traefik)
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	env, err := testenv.Start(testenv.WithAPIServerArg("service-cluster-ip-range", dataplanetest.ServiceCIDR.String()), testenv.WithCRDs(traefikCRDs...))
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			logf("stopping the control plane: %v", err)
		}
	}()
	if k8s, err = client.NewWithWatch(env.Config, client.Options{Scheme: testenv.Scheme()}); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: creating client:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := createVendor(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}

	dp, err = dataplanetest.Start(ctx, dataplanetest.Config{
		Kubeconfig: env.KubeConfig,
		Client:     k8s,
		Assets:     os.Getenv(dataplanetest.AssetsEnv),
		LogDir:     dir,
		Log:        logf,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: starting the dataplane:", err)
		return 1
	}

	code = m.Run()

	if err := dp.CheckRunning(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: a dataplane program died during the run:", err)
		code = 1
	}
	if code != 0 {
		for _, p := range dp.Processes() {
			logf("end of %s's log (%s):\n%s", p.Name, p.LogPath, p.Tail(40))
		}
	}
	td, err := dp.Stop(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: cleaning up the dataplane:", err)
		code = 1
	}
	if td.GuardDrops != 0 {
		fmt.Fprintf(os.Stderr, "FAIL: the guard rules dropped %d packets: something tried to leave the suite's interfaces or ranges\n", td.GuardDrops)
		code = 1
	}
	if td.Diff != "" {
		fmt.Fprintf(os.Stderr, "FAIL: the machine is not as it was before the run:\n%s", td.Diff)
		code = 1
	} else {
		logf("baseline comparison empty: the machine is as it was before the run; guard drops: %d", td.GuardDrops)
	}
	logf("suite took %v", time.Since(start).Round(time.Millisecond))
	return code
}

// requireDataplane skips the test, saying why, when the suite cannot run here.
func requireDataplane(t *testing.T) {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
}

// createVendor creates the suite's Vendor from testdata.
func createVendor(ctx context.Context) error {
	data, err := os.ReadFile(filepath.Join("testdata", "docsaas-vendor.yaml"))
	if err != nil {
		return err
	}
	obj, _, err := testenv.Codecs().UniversalDeserializer().Decode(data, nil, nil)
	if err != nil {
		return fmt.Errorf("decoding testdata/docsaas-vendor.yaml: %w", err)
	}
	v, ok := obj.(*v1alpha1.Vendor)
	if !ok {
		return fmt.Errorf("testdata/docsaas-vendor.yaml holds a %T, want a Vendor", obj)
	}
	if err := k8s.Create(ctx, v); err != nil {
		return fmt.Errorf("creating Vendor %s: %w", v.Name, err)
	}
	return nil
}

// newNamespace gives a test a namespace of its own.
func newNamespace(t *testing.T, prefix string) string { return testenv.NewNamespace(t, k8s, prefix) }
