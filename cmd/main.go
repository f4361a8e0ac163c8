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

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/dnscache"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/manager"
)

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	var o manager.Options
	var dnsServers, clusterCIDRs stringList
	var watchNamespaces string
	var qps float64
	flag.StringVar(&o.MetricsAddr, "metrics-bind-address", ":8080", "Address the Prometheus metrics endpoint binds to; 0 disables it.")
	flag.StringVar(&o.ProbeAddr, "health-probe-bind-address", ":8081", "Address the /healthz and /readyz endpoints bind to.")
	flag.BoolVar(&o.LeaderElect, "leader-elect", false, "Elect a leader, so that several replicas can run and only one acts.")
	flag.StringVar(&o.LeaderElectionID, "leader-election-id", "vendor-allowlist-operator.networking.vendorallowlist.io", "Name of the leader election lease.")
	flag.DurationVar(&o.LeaseDuration, "leader-elect-lease-duration", 15*time.Second, "How long a follower waits, after the leader last renewed the lease, before taking over.")
	flag.DurationVar(&o.RenewDeadline, "leader-elect-renew-deadline", 10*time.Second, "How long the leader keeps trying to renew the lease before it gives up leading (and exits).")
	flag.DurationVar(&o.RetryPeriod, "leader-elect-retry-period", 2*time.Second, "How often candidates try to acquire or renew the lease.")
	flag.StringVar(&watchNamespaces, "watch-namespaces", "", "Comma-separated namespaces to watch; empty watches all.")
	flag.Var(&dnsServers, "dns-server", "DNS server (host:port) to resolve vendor hostnames with; repeatable, tried in order. Defaults to the nameservers in /etc/resolv.conf.")
	flag.DurationVar(&o.DNSTimeout, "dns-timeout", 2*time.Second, "Timeout of one DNS query attempt.")
	flag.DurationVar(&o.DNS.MinRefresh, "dns-min-refresh", dnscache.DefaultMinRefresh, "Shortest interval between lookups of a hostname, however short its TTL.")
	flag.DurationVar(&o.DNS.MaxRefresh, "dns-max-refresh", dnscache.DefaultMaxRefresh, "Longest interval between lookups of a hostname, however long its TTL.")
	flag.DurationVar(&o.DNS.Retention, "dns-retention", dnscache.DefaultRetention, "How long an address stays in the policies after DNS last returned it (covers round-robin subsets and clients that cache past the TTL).")
	flag.IntVar(&o.DNS.MaxAddresses, "dns-max-addresses", dnscache.DefaultMaxAddresses, "Most addresses kept per hostname; the longest unseen are dropped first.")
	flag.Var(&clusterCIDRs, "cluster-cidr", "The cluster's pod or service range (CIDR); addresses in it are never rendered from DNS. Repeatable.")
	flag.Float64Var(&qps, "kube-api-qps", 50, "Queries per second to the Kubernetes API server.")
	flag.IntVar(&o.Burst, "kube-api-burst", 100, "Burst of queries to the Kubernetes API server.")
	flag.IntVar(&o.Workers, "workers", 4, "Allowlists reconciled concurrently.")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))

	o.QPS = float32(qps)
	o.DNSServers = dnsServers
	for _, ns := range strings.Split(watchNamespaces, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			o.WatchNamespaces = append(o.WatchNamespaces, ns)
		}
	}
	for _, c := range clusterCIDRs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			fmt.Fprintf(os.Stderr, "--cluster-cidr %q: %v\n", c, err)
			os.Exit(2)
		}
		o.ClusterCIDRs = append(o.ClusterCIDRs, p.Masked())
	}

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
