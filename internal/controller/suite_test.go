/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/addresses"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/eventrecorder"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/vendorchange"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// The suite runs one real kube-apiserver and etcd and one manager for every test;
// each test works in a namespace of its own.
var (
	k8s         client.Client
	k8sConfig   *rest.Config
	fakeDNS     = &mutableDNS{hosts: map[string][]netip.Addr{}}
	reconciles  sync.Map // types.NamespacedName -> *atomic.Int64
	nsCounter   atomic.Int64
	suiteCtx    context.Context
	suiteCancel context.CancelFunc
	// suiteReconciler is the reconciler the suite's manager runs, for benchmarks that
	// call it directly.
	suiteReconciler *VendorAllowlistReconciler
)

// mutableDNS is the test's stand-in for DNS: the live resolver has tests of its own
// against a real DNS server; here the reconciler's behaviour is under test.
type mutableDNS struct {
	mu    sync.Mutex
	hosts map[string][]netip.Addr
}

func (m *mutableDNS) set(host string, addrs ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var parsed []netip.Addr
	for _, a := range addrs {
		parsed = append(parsed, netip.MustParseAddr(a))
	}
	m.hosts[host] = parsed
}

// Lookup answers like DNS that has answered, for the hostnames it knows, and like
// DNS that has not answered yet for the others.
func (m *mutableDNS) Lookup(ctx context.Context, owner addresses.Owner, requests []addresses.Request) map[string]addresses.Host {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := addresses.Static(m.hosts).Lookup(ctx, owner, requests)
	for name, h := range out {
		h.ResolvedAt = answeredAt
		out[name] = h
	}
	return out
}

// answeredAt is when the test's DNS answers, as status records it.
var answeredAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func (m *mutableDNS) Forget(types.NamespacedName) {}

// countingReconciler counts reconciles per allowlist, so a test can wait for one.
type countingReconciler struct{ inner reconcile.Reconciler }

func (c countingReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	res, err := c.inner.Reconcile(ctx, req)
	n, _ := reconciles.LoadOrStore(req.NamespacedName, &atomic.Int64{})
	n.(*atomic.Int64).Add(1)
	return res, err
}

func reconcileCount(key types.NamespacedName) int64 {
	n, ok := reconciles.Load(key)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	ctrl.SetLogger(zap.New(zap.UseDevMode(true), zap.WriteTo(os.Stderr), zap.Level(zapcore.Level(zapLevel()))))
	env, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	k8sConfig = env.Config

	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:  testenv.Scheme(),
		Metrics: metricsserver.Options{BindAddress: "0"},
		Cache:   CacheOptions(nil),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: creating manager:", err)
		return 1
	}
	policyNames, err := AddPolicyNameCache(mgr, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	r := testReconciler(mgr, policyNames, 2)
	suiteReconciler = r
	if err := r.setup(mgr, countingReconciler{inner: r}); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: setting up controller:", err)
		return 1
	}
	vendors := &VendorReconciler{
		Client:   mgr.GetClient(),
		Recorder: r.Recorder,
		Builtin:  catalog.Builtin(),
		Bounds:   vendorchange.DefaultBounds(),
		Guard:    guard.Guard{Allow: testenv.DocumentationRanges},
	}
	if err := vendors.SetupWithManager(mgr); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: setting up the Vendor controller:", err)
		return 1
	}
	suiteCtx, suiteCancel = context.WithCancel(context.Background())
	defer suiteCancel()
	go func() {
		if err := mgr.Start(suiteCtx); err != nil {
			fmt.Fprintln(os.Stderr, "manager stopped:", err)
		}
	}()
	// A client that reads straight from the API server, so tests see the truth and
	// not the manager's label-filtered cache.
	k8s, err = client.New(env.Config, client.Options{Scheme: testenv.Scheme()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: creating client:", err)
		return 1
	}
	if err := createNamespace(context.Background(), "kube-system"); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	return m.Run()
}

func zapLevel() int8 {
	if os.Getenv("TEST_VERBOSE_MANAGER") != "" {
		return -2
	}
	return 1 // warnings and errors only, so test output stays readable
}

func createNamespace(ctx context.Context, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := k8s.Create(ctx, ns); client.IgnoreAlreadyExists(err) != nil {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}

// newNamespace gives each test a namespace of its own.
func newNamespace(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d-%d", time.Now().Unix()%100000, nsCounter.Add(1))
	if err := createNamespace(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	return name
}

// suiteRecorder is the shipped manager's event recorder, added to mgr.
func suiteRecorder(mgr ctrl.Manager) *eventrecorder.Recorder {
	rec, err := eventrecorder.New(mgr.GetClient(), mgr.GetScheme(), "vendor-allowlist-operator", eventrecorder.DefaultQueue,
		prometheus.NewRegistry(), mgr.GetLogger().WithName("events"))
	if err == nil {
		err = mgr.Add(rec)
	}
	if err != nil {
		panic(err) // only for a queue below 1 or a manager already stopped
	}
	return rec
}

// testReconciler is the allowlist reconciler the suite's managers run: the built-in
// catalog, the documentation ranges allowed, and the suite's DNS.
func testReconciler(mgr ctrl.Manager, policyNames client.Reader, workers int) *VendorAllowlistReconciler {
	return &VendorAllowlistReconciler{
		Client:      mgr.GetClient(),
		PolicyNames: policyNames,
		Recorder:    suiteRecorder(mgr),
		Catalog:     catalog.Builtin(),
		Render:      render.Options{Guard: guard.Guard{Allow: testenv.DocumentationRanges}},
		Addresses:   fakeDNS,
		Workers:     workers,
	}
}
