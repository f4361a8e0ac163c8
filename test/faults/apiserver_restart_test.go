/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package faults

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/dnscache"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// apiServerOutage is how long the API server stays down (its restart adds a few
// seconds more).
const apiServerOutage = 5 * time.Second

// restartableControlPlane starts a control plane of the test's own whose API server
// can be stopped and started again on the same etcd, address and certificates.
//
// envtest's APIServer.Stop deletes a certificate directory it made itself, and Start
// then makes a new serving CA, which every existing client (the manager's included)
// would refuse. Given a CertDir of the test's own, the restarted server finds its
// certificates there and serves them again; the port is kept in the APIServer, and
// the client-certificate CA is kept in memory.
func restartableControlPlane(t *testing.T) (*envtest.Environment, *cluster, string) {
	t.Helper()
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run `make test`, or export KUBEBUILDER_ASSETS=$(hack/envtest-binaries.sh)")
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(assets, bin)); err != nil {
			t.Fatalf("envtest binary %s missing from KUBEBUILDER_ASSETS=%s (build it with hack/envtest-binaries.sh): %v", bin, assets, err)
		}
	}
	certDir := t.TempDir()
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(testenv.RepoRoot(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	env.ControlPlane.APIServer = &envtest.APIServer{CertDir: certDir}
	start := time.Now()
	cfg, err := env.Start()
	if err != nil {
		_ = env.Stop()
		t.Fatalf("starting envtest: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping envtest: %v", err)
		}
	})
	t.Logf("own control plane up in %v", time.Since(start).Round(time.Millisecond))
	c, err := newCluster(env.KubeConfig, cfg, "restart")
	if err != nil {
		t.Fatal(err)
	}
	return env, c, certDir
}

// killAPIServer SIGKILLs the kube-apiserver serving from certDir, as a crash would, and
// waits until it is gone. envtest's own Stop sends SIGTERM, after which this server
// took more than envtest's 20s stop timeout to exit while the manager's watches were
// open; a crash is the harsher fault anyway. The process is found by its --cert-dir,
// which is this test's own directory.
func killAPIServer(t *testing.T, certDir string) {
	t.Helper()
	pid := 0
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("reading /proc: %v", err)
	}
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(cmdline), "\x00")
		if filepath.Base(args[0]) == "kube-apiserver" && slices.Contains(args, "--cert-dir="+certDir) {
			pid = n
			break
		}
	}
	if pid == 0 {
		t.Fatalf("no kube-apiserver with --cert-dir=%s in /proc", certDir)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("killing kube-apiserver (pid %d): %v", pid, err)
	}
	// envtest's process state reaps it; wait until it is no longer running.
	deadline := time.Now().Add(10 * time.Second)
	for {
		stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			return
		}
		if i := strings.LastIndexByte(string(stat), ')'); i > 0 {
			if f := strings.Fields(string(stat[i+1:])); len(f) > 0 && (f[0] == "Z" || f[0] == "X") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("kube-apiserver (pid %d) still running 10s after SIGKILL", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAPIServerRestartMidReconcile stops the API server right after a burst of writes
// (new allowlists, changed allowlists), while the manager is reconciling them, changes
// a hostname's addresses while it is down, and starts it again on the same etcd. The
// manager, the same process throughout, must carry on: every allowlist ends Ready for
// its latest generation with exactly the rendered policies (DNS's change included),
// no policy is deleted or loses an address on the way, and the manager stops only when
// told to.
func TestAPIServerRestartMidReconcile(t *testing.T) {
	env, c, certDir := restartableControlPlane(t)
	ns := c.namespace(t, "restart")
	ctx := context.Background()
	answers := map[string][]string{
		"api.restart.faults.example": {"203.0.113.121"},
		"cdn.restart.faults.example": {"203.0.113.131", "203.0.113.132"},
	}
	dns := testdns.Start(t,
		testdns.WithLocalTTL(time.Second),
		testdns.WithHost("api.restart.faults.example", answers["api.restart.faults.example"]...),
		testdns.WithHost("cdn.restart.faults.example", answers["cdn.restart.faults.example"]...))
	mgr := startManager(t, c, "restart", childConfig{
		Namespaces:              []string{ns},
		DNSServers:              []string{dns.Addr()},
		DNSTimeout:              500 * time.Millisecond,
		DNS:                     dnscache.Options{MinRefresh: time.Second, MaxRefresh: 2 * time.Second},
		LeaderElect:             true,
		LeaderElectionID:        "vao-faults-restart",
		LeaderElectionNamespace: ns,
		// Leader election as deployed, with a renew deadline longer than the outage
		// and the restart: a leader that cannot renew in time exits on purpose.
		LeaseDuration: 60 * time.Second,
		RenewDeadline: 45 * time.Second,
		RetryPeriod:   2 * time.Second,
	})
	mgr.waitElected(60 * time.Second)

	// A first batch, Ready before the fault.
	var first []*v1alpha1.VendorAllowlist
	for i := range 10 {
		first = append(first, staticAllowlist(ns, fmt.Sprintf("a-static-%d", i)))
		first = append(first, hostnameAllowlist(ns, fmt.Sprintf("a-dns-%d", i), "api.restart.faults.example", "cdn.restart.faults.example"))
	}
	createAll(t, c.client, first)
	waitAll(t, c.client, ns, 60*time.Second, "first batch Ready", readyAndCurrent)
	checkPolicies(t, c.client, first, answers)

	w := watchPolicies(t, c.client, ns)
	defer w.stop()

	// The burst: every allowlist of the first batch changes (each change only adds to
	// its policies), and a second batch is created...
	updateAll(t, c.client, first, func(a *v1alpha1.VendorAllowlist) {
		if a.Spec.Vendors[0].Name == "threobuilder" {
			a.Spec.Vendors[0].Ports = ports(443, 9443)
		} else {
			a.Spec.Vendors[0].Regions = []v1alpha1.Region{"EU", "US"}
		}
	})
	var second []*v1alpha1.VendorAllowlist
	for i := range 10 {
		second = append(second, staticAllowlist(ns, fmt.Sprintf("b-static-%d", i)))
		second = append(second, hostnameAllowlist(ns, fmt.Sprintf("b-dns-%d", i), "api.restart.faults.example"))
	}
	createAll(t, c.client, second)
	// ...and the API server crashes while the manager works through them.
	apiServer := env.ControlPlane.APIServer
	addr := apiServer.SecureServing.URL("https", "/").String()
	seenBeforeKill := w.report().Events
	stopAt := time.Now()
	killAPIServer(t, certDir)
	t.Logf("API server killed %v after the burst", time.Since(stopAt).Round(time.Millisecond))
	if err := c.client.Get(ctx, client.ObjectKeyFromObject(first[0]), &v1alpha1.VendorAllowlist{}); err == nil {
		t.Fatal("the API server still answers after Stop")
	}

	// While it is down, DNS changes: the addresses must reach the policies afterwards.
	answers["api.restart.faults.example"] = append(answers["api.restart.faults.example"], "203.0.113.122")
	dns.SetHost("api.restart.faults.example", answers["api.restart.faults.example"]...)
	time.Sleep(apiServerOutage)
	mgr.requireRunning()

	restart := time.Now()
	if err := apiServer.Start(); err != nil {
		t.Fatalf("restarting the API server: %v", err)
	}
	if got := apiServer.SecureServing.URL("https", "/").String(); got != addr {
		t.Fatalf("the API server came back on %s, not %s", got, addr)
	}
	t.Logf("API server back on %s in %v (down %v)", addr, time.Since(restart).Round(time.Millisecond), time.Since(stopAt).Round(time.Millisecond))

	// The same client (same CA, same client certificate) works again, and so must the
	// manager: everything ends as rendered.
	all := append(append([]*v1alpha1.VendorAllowlist{}, first...), second...)
	waitAll(t, c.client, ns, 120*time.Second, "every allowlist Ready for its latest generation after the restart", readyAndCurrent)
	waitPolicies(t, c.client, all, answers, 60*time.Second)
	t.Logf("all %d allowlists Ready and rendered %v after the restart began", len(all), time.Since(restart).Round(time.Millisecond))
	mgr.requireRunning()

	// The watch had to list across the restart (the new server's watch cache starts
	// afresh), so it may have missed a state that came and went while the server was
	// down; it cannot have missed one while the server served.
	r := w.check(t, false, true)
	t.Logf("policy events from the burst to the end: %d %v, %d of them before the kill (%d gaps bridged by listing)", r.Events, r.ByType, seenBeforeKill, r.Relists)
	if err := mgr.Stop(30 * time.Second); err != nil {
		t.Errorf("manager did not stop cleanly on SIGTERM: %v", err)
	}
}

// updateAll applies mutate to the latest version of each allowlist and updates it.
// The objects are refreshed with what the server returned, so they hold the new spec.
func updateAll(t testing.TB, c client.Client, objs []*v1alpha1.VendorAllowlist, mutate func(*v1alpha1.VendorAllowlist)) {
	t.Helper()
	ctx := context.Background()
	for _, a := range objs {
		if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			if err := c.Get(ctx, client.ObjectKeyFromObject(a), a); err != nil {
				return err
			}
			mutate(a)
			return c.Update(ctx, a)
		}); err != nil {
			t.Fatalf("updating %s: %v", a.Name, err)
		}
	}
}
