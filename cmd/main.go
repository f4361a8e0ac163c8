// Command manager runs the vendor-allowlist-operator: it keeps each VendorAllowlist's
// NetworkPolicies in step with the vendors' published addresses and DNS.
package main

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/controller"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/dnscache"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/scheme"
)

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

type options struct {
	metricsAddr, probeAddr string
	leaderElect            bool
	leaderElectionID       string
	watchNamespaces        string
	dnsServers             stringList
	dnsTimeout             time.Duration
	dns                    dnscache.Options
	clusterCIDRs           stringList
	qps                    float64
	burst                  int
	workers                int
}

func main() {
	var o options
	flag.StringVar(&o.metricsAddr, "metrics-bind-address", ":8080", "Address the Prometheus metrics endpoint binds to; 0 disables it.")
	flag.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address the /healthz and /readyz endpoints bind to.")
	flag.BoolVar(&o.leaderElect, "leader-elect", false, "Elect a leader, so that several replicas can run and only one acts.")
	flag.StringVar(&o.leaderElectionID, "leader-election-id", "vendor-allowlist-operator.networking.vendorallowlist.io", "Name of the leader election lease.")
	flag.StringVar(&o.watchNamespaces, "watch-namespaces", "", "Comma-separated namespaces to watch; empty watches all.")
	flag.Var(&o.dnsServers, "dns-server", "DNS server (host:port) to resolve vendor hostnames with; repeatable. Defaults to the nameservers in /etc/resolv.conf.")
	flag.DurationVar(&o.dnsTimeout, "dns-timeout", 2*time.Second, "Timeout of one DNS query attempt.")
	flag.DurationVar(&o.dns.MinRefresh, "dns-min-refresh", dnscache.DefaultMinRefresh, "Shortest interval between lookups of a hostname, whatever its TTL.")
	flag.DurationVar(&o.dns.MaxRefresh, "dns-max-refresh", dnscache.DefaultMaxRefresh, "Longest interval between lookups of a hostname, whatever its TTL.")
	flag.DurationVar(&o.dns.Retention, "dns-retention", dnscache.DefaultRetention, "How long an address stays in the policies after DNS last returned it (covers round-robin subsets and clients that cache past the TTL).")
	flag.IntVar(&o.dns.MaxAddresses, "dns-max-addresses", dnscache.DefaultMaxAddresses, "Most addresses kept per hostname; the longest unseen are dropped first.")
	flag.Var(&o.clusterCIDRs, "cluster-cidr", "The cluster's pod or service range (CIDR); addresses in it are never rendered from DNS. Repeatable.")
	flag.Float64Var(&o.qps, "kube-api-qps", 50, "Queries per second to the Kubernetes API server.")
	flag.IntVar(&o.burst, "kube-api-burst", 100, "Burst of queries to the Kubernetes API server.")
	flag.IntVar(&o.workers, "workers", 4, "Allowlists reconciled concurrently.")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))

	if err := run(o); err != nil {
		ctrl.Log.Error(err, "Manager stopped")
		os.Exit(1)
	}
}

func run(o options) error {
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = float32(o.qps), o.burst

	cacheOpts := cache.Options{
		// Only the policies the operator manages: a cluster's other NetworkPolicies
		// are none of its business and would cost memory.
		ByObject: map[client.Object]cache.ByObject{
			&networkingv1.NetworkPolicy{}: {Label: labels.SelectorFromSet(labels.Set{v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue})},
		},
	}
	if o.watchNamespaces != "" {
		cacheOpts.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range strings.Split(o.watchNamespaces, ",") {
			cacheOpts.DefaultNamespaces[strings.TrimSpace(ns)] = cache.Config{}
		}
	}

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme.New(),
		Cache:                  cacheOpts,
		Metrics:                metricsserver.Options{BindAddress: o.metricsAddr},
		HealthProbeBindAddress: o.probeAddr,
		LeaderElection:         o.leaderElect,
		LeaderElectionID:       o.leaderElectionID,
		// The manager exits right after losing the lease, so a new leader never
		// races an old one that has not noticed.
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return fmt.Errorf("creating manager: %w", err)
	}

	resolver, err := newResolver(o.dnsServers, o.dnsTimeout)
	if err != nil {
		return err
	}
	for _, c := range o.clusterCIDRs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return fmt.Errorf("--cluster-cidr %q: %w", c, err)
		}
		o.dns.Guard.Cluster = append(o.dns.Guard.Cluster, p.Masked())
	}
	metrics, err := dnscache.NewMetrics(ctrlmetrics.Registry, clock.RealClock{})
	if err != nil {
		return fmt.Errorf("registering DNS metrics: %w", err)
	}
	addresses := dnscache.New(resolver, clock.RealClock{}, o.dns, metrics)
	if err := mgr.Add(addresses); err != nil {
		return err
	}
	reconciler := &controller.VendorAllowlistReconciler{
		Client:         mgr.GetClient(),
		APIReader:      mgr.GetAPIReader(),
		Recorder:       mgr.GetEventRecorder("vendor-allowlist-operator"),
		Catalog:        catalog.Builtin(),
		Addresses:      addresses,
		AddressChanges: addresses.Events(),
		Workers:        o.workers,
	}
	if err := reconciler.SetupWithManager(mgr); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	ctrl.Log.Info("Starting manager", "dns", o.dns.String(), "dnsServers", resolver.Servers)
	return mgr.Start(ctrl.SetupSignalHandler())
}
