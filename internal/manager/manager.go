/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package manager wires the operator together: the controller-runtime manager with
// its label-selected cache, the shared DNS cache and the reconciler. The manager
// binary and the integration tests build it the same way.
package manager

import (
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/controller"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/dnscache"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/eventrecorder"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/renderflags"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/resolver"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/scheme"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/statemetrics"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/vendorchange"
)

// Options are the manager's settings; cmd/main.go binds them to flags.
type Options struct {
	// PprofAddr is where Go's profiling endpoints are served; "0" or empty: nowhere.
	PprofAddr              string
	MetricsAddr, ProbeAddr string
	LeaderElect            bool
	LeaderElectionID       string
	// LeaderElectionNamespace is where the lease lives; empty: the pod's namespace.
	LeaderElectionNamespace string
	// LeaseDuration, RenewDeadline and RetryPeriod tune leader election; zero: defaults.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	WatchNamespaces                           []string
	DNSServers                                []string
	DNSTimeout                                time.Duration
	// DNS tunes the DNS cache; its Guard and MaxAddresses come from Settings.
	DNS dnscache.Options
	// Settings are the rendering settings the kubectl plugin binds too, used as the
	// plugin uses them, so that both render alike. Their Limits are used as they
	// are: start from renderflags' defaults (testmanager.Options) or set them.
	renderflags.Settings
	// VendorChanges bounds the Vendor changes that reach allowlists without an admin.
	VendorChanges vendorchange.Bounds
	// IngressTargets are the kinds of ingress target the admin enables
	// (--ingress-targets); nil: none. Those whose CRD is not installed at start are
	// not watched.
	IngressTargets []render.TargetKind
	// EgressBackend enforces the egress hostnames (--egress-backend); "" or auto:
	// detected from the kinds the API server serves at start.
	EgressBackend render.EgressBackend
	QPS           float32
	Burst         int
	Workers       int
	// Feeds are the vendor feeds the manager follows.
	Feeds FeedOptions
	// MetricsRegistry defaults to controller-runtime's registry; tests that run
	// several managers in one process give each its own.
	MetricsRegistry prometheus.Registerer
	// SkipControllerNameValidation lets one process build the manager more than
	// once (controller names are otherwise unique per process); for tests.
	SkipControllerNameValidation bool
}

// New builds the manager with everything registered; Start it to run.
func New(cfg *rest.Config, o Options) (ctrl.Manager, error) {
	cfg = o.clientConfig(cfg)
	targets, err := discoverTargetKinds(cfg, o.IngressTargets)
	if err != nil {
		return nil, err
	}
	egress, err := chooseEgressBackend(cfg, o.EgressBackend, o.WatchNamespaces) // egress.go
	if err != nil {
		return nil, err
	}
	// The status gauges follow the registry's metrics on /metrics; they read the
	// cache, which exists once the manager does.
	state := &statemetrics.Exposition{Timeout: 5 * time.Second}
	// Which Services and Ingresses the cache keeps whole depends on the allowlists
	// in it; it answers once it exists.
	targetNames := &controller.TargetNames{}
	mgrOpts, err := o.managerOptions(targets, targetNames, state.Filter)
	if err != nil {
		return nil, err
	}
	egress.AddToCache(&mgrOpts.Cache)
	mgr, err := ctrl.NewManager(cfg, mgrOpts)
	if err != nil {
		return nil, fmt.Errorf("creating manager: %w", err)
	}
	targetNames.Use(mgr.GetCache())
	res, err := o.dnsResolver()
	if err != nil {
		return nil, err
	}
	o.DNS.Guard, o.DNS.MaxAddresses = o.Guard(), o.MaxAddresses
	addresses, err := addDNSCache(mgr, res, o)
	if err != nil {
		return nil, err
	}
	if err := addControllers(mgr, o, targets, egress, addresses); err != nil {
		return nil, err
	}
	state.Reader, state.Elected = mgr.GetCache(), mgr.Elected()
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, err
	}
	ctrl.Log.Info("Manager configured", "dns", o.DNS.String(), "dnsServers", res.Servers, "clusterCIDRs", o.DNS.Guard.Cluster,
		"guardAllow", o.DNS.Guard.Allow, "tenantLimits", fmt.Sprintf("%+v", o.Limits), "ingressTargets", targets.String(), "egressBackend", egress.String())
	return mgr, nil
}

// clientConfig is cfg, copied, with the manager's rate limit and without compressed
// responses. The API server gzips a response over 128 KB, and the whole stream of a
// watch that starts with a list (WatchListCompression, on by default since 1.37) for
// as long as it stays open, when the client accepts gzip, which Go's HTTP/2 transport
// does unless told not to. Every status the operator wrote then came back on its own
// watch compressed by the API server and decompressed by the manager, which also kept
// a decompressor per stream (160 KB live at 1,000 allowlists). The manager talks to
// its API server over the cluster's network, where the bytes saved are not worth the
// CPU of both.
func (o Options) clientConfig(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	if o.QPS > 0 {
		cfg.QPS, cfg.Burst = o.QPS, o.Burst
	}
	cfg.DisableCompression = true
	return cfg
}

// managerOptions are controller-runtime's: the label-selected cache with the target
// kinds served, metrics (their handler wrapped by metricsFilter), probes and leader
// election.
func (o *Options) managerOptions(targets controller.TargetKinds, targetNames *controller.TargetNames, metricsFilter metricsserver.Filter) (ctrl.Options, error) {
	sch := scheme.Manager()
	cacheOpts := controller.CacheOptions(o.WatchNamespaces)
	if err := targets.AddToCache(&cacheOpts, sch, targetNames); err != nil {
		return ctrl.Options{}, err
	}
	if err := o.Feeds.feedCache(&cacheOpts); err != nil {
		return ctrl.Options{}, err
	}
	mgrOpts := ctrl.Options{
		Scheme:         sch,
		MapperProvider: newRESTMapper,  // restmapper.go
		NewCache:       newPromptCache, // promptsync.go
		Cache:          cacheOpts,
		Metrics: metricsserver.Options{BindAddress: o.MetricsAddr,
			FilterProvider: func(*rest.Config, *http.Client) (metricsserver.Filter, error) { return metricsFilter, nil }},
		HealthProbeBindAddress:  o.ProbeAddr,
		PprofBindAddress:        o.PprofAddr,
		LeaderElection:          o.LeaderElect,
		LeaderElectionID:        o.LeaderElectionID,
		LeaderElectionNamespace: o.LeaderElectionNamespace,
		// The manager exits right after losing the lease, so a new leader never
		// races an old one that has not noticed.
		LeaderElectionReleaseOnCancel: true,
		Controller:                    config.Controller{SkipNameValidation: ptr.To(o.SkipControllerNameValidation)},
	}
	if o.LeaseDuration > 0 {
		mgrOpts.LeaseDuration = ptr.To(o.LeaseDuration)
	}
	if o.RenewDeadline > 0 {
		mgrOpts.RenewDeadline = ptr.To(o.RenewDeadline)
	}
	if o.RetryPeriod > 0 {
		mgrOpts.RetryPeriod = ptr.To(o.RetryPeriod)
	}
	return mgrOpts, nil
}

// dnsResolver asks the servers given, or else those of /etc/resolv.conf; with
// neither the manager cannot run.
func (o *Options) dnsResolver() (*resolver.Resolver, error) {
	res := &resolver.Resolver{Servers: o.DNSServers, Timeout: o.DNSTimeout}
	if len(res.Servers) > 0 {
		return res, nil
	}
	servers, err := resolver.ServersFromResolvConf(resolver.DefaultResolvConf)
	if err != nil {
		return nil, fmt.Errorf("no DNS server given and %s unreadable: %w", resolver.DefaultResolvConf, err)
	}
	res.Servers = servers
	return res, nil
}

// addDNSCache adds the DNS cache the allowlists share, with its metrics, to run with
// the manager.
func addDNSCache(mgr ctrl.Manager, res *resolver.Resolver, o Options) (*dnscache.Cache, error) {
	metrics, err := dnscache.NewMetrics(o.metricsRegistry(), clock.RealClock{})
	if err != nil {
		return nil, fmt.Errorf("registering DNS metrics: %w", err)
	}
	addresses := dnscache.New(res, clock.RealClock{}, o.DNS, metrics)
	if err := mgr.Add(addresses); err != nil {
		return nil, err
	}
	return addresses, nil
}

// addControllers sets up the VendorAllowlist and Vendor reconcilers, with the caches
// of policy names and foreign policies the first one reads.
func addControllers(mgr ctrl.Manager, o Options, targets controller.TargetKinds, egress controller.EgressBackend, addresses *dnscache.Cache) error {
	policyNames, err := controller.AddPolicyNameCache(mgr, o.WatchNamespaces)
	if err != nil {
		return err
	}
	foreignPolicies, err := controller.AddForeignPolicyCache(mgr, targets, o.WatchNamespaces)
	if err != nil {
		return err
	}
	recorder, err := addEventRecorder(mgr, o)
	if err != nil {
		return err
	}
	feeds, err := o.addFeeds(mgr, o.metricsRegistry(), catalog.Builtin(), recorder) // feeds.go
	if err != nil {
		return err
	}
	reconciler := &controller.VendorAllowlistReconciler{
		Client:               mgr.GetClient(),
		PolicyNames:          policyNames,
		Recorder:             recorder,
		Catalog:              catalog.Builtin(),
		Render:               o.Options(),
		Addresses:            addresses,
		AddressChanges:       addresses.Events(),
		Workers:              o.Workers,
		StatusTimeResolution: addresses.StatusResolution(),
		Targets:              targets,
		ForeignPolicies:      foreignPolicies,
		Egress:               egress,
	}
	reconciler.Render.EgressBackend = egress.Name
	if feeds != nil {
		reconciler.Feeds, reconciler.FeedChanges = feeds.feeds, feeds.allowlistFeeds
	}
	if err := reconciler.SetupWithManager(mgr); err != nil {
		return err
	}
	vendors := &controller.VendorReconciler{
		Client:   mgr.GetClient(),
		Recorder: recorder,
		Builtin:  catalog.Builtin(),
		Bounds:   o.VendorChanges,
		Guard:    o.Guard(),
	}
	if feeds != nil {
		vendors.Feeds, vendors.FeedChanges = feeds.feeds, feeds.vendorFeeds
	}
	return vendors.SetupWithManager(mgr)
}

// addEventRecorder adds the recorder of the manager's events (internal/eventrecorder:
// controller-runtime's keeps a copy of every event sent for minutes).
func addEventRecorder(mgr ctrl.Manager, o Options) (*eventrecorder.Recorder, error) {
	recorder, err := eventrecorder.New(mgr.GetClient(), mgr.GetScheme(), eventReporter, eventrecorder.DefaultQueue,
		o.metricsRegistry(), mgr.GetLogger().WithName("events"))
	if err != nil {
		return nil, fmt.Errorf("registering event metrics: %w", err)
	}
	return recorder, mgr.Add(recorder)
}

// eventReporter is the reportingController of the manager's events.
const eventReporter = "vendor-allowlist-operator"

// metricsRegistry is where the manager's own metrics go.
func (o Options) metricsRegistry() prometheus.Registerer {
	if o.MetricsRegistry == nil {
		return ctrlmetrics.Registry
	}
	return o.MetricsRegistry
}
