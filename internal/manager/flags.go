package manager

import (
	"flag"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/dnscache"
)

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// BindFlags registers the manager's command-line flags on fs. Call the returned
// function after fs.Parse to get the Options; it fails on a malformed value.
func BindFlags(fs *flag.FlagSet) func() (Options, error) {
	var o Options
	var dnsServers, clusterCIDRs stringList
	var watchNamespaces string
	var qps float64
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", ":8080", "Address the Prometheus metrics endpoint binds to; 0 disables it.")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", ":8081", "Address the /healthz and /readyz endpoints bind to.")
	fs.BoolVar(&o.LeaderElect, "leader-elect", false, "Elect a leader, so that several replicas can run and only one acts.")
	fs.StringVar(&o.LeaderElectionID, "leader-election-id", "vendor-allowlist-operator.networking.vendorallowlist.io", "Name of the leader election lease.")
	fs.DurationVar(&o.LeaseDuration, "leader-elect-lease-duration", 15*time.Second, "How long a follower waits, after the leader last renewed the lease, before taking over.")
	fs.DurationVar(&o.RenewDeadline, "leader-elect-renew-deadline", 10*time.Second, "How long the leader keeps trying to renew the lease before it gives up leading (and exits).")
	fs.DurationVar(&o.RetryPeriod, "leader-elect-retry-period", 2*time.Second, "How often candidates try to acquire or renew the lease.")
	fs.StringVar(&watchNamespaces, "watch-namespaces", "", "Comma-separated namespaces to watch; empty watches all.")
	fs.Var(&dnsServers, "dns-server", "DNS server (host:port) to resolve vendor hostnames with; repeatable, tried in order. Defaults to the nameservers in /etc/resolv.conf.")
	fs.DurationVar(&o.DNSTimeout, "dns-timeout", 2*time.Second, "Timeout of one DNS query attempt.")
	fs.DurationVar(&o.DNS.MinRefresh, "dns-min-refresh", dnscache.DefaultMinRefresh, "Shortest interval between lookups of a hostname, however short its TTL.")
	fs.DurationVar(&o.DNS.MaxRefresh, "dns-max-refresh", dnscache.DefaultMaxRefresh, "Longest interval between lookups of a hostname, however long its TTL.")
	fs.DurationVar(&o.DNS.Retention, "dns-retention", dnscache.DefaultRetention, "How long an address stays in the policies after DNS last returned it (covers round-robin subsets and clients that cache past the TTL).")
	fs.IntVar(&o.DNS.MaxAddresses, "dns-max-addresses", dnscache.DefaultMaxAddresses, "Most addresses kept per hostname; the longest unseen are dropped first.")
	fs.Var(&clusterCIDRs, "cluster-cidr", "The cluster's pod or service range (CIDR); addresses in it are never rendered from DNS. Repeatable.")
	fs.Float64Var(&qps, "kube-api-qps", 50, "Queries per second to the Kubernetes API server.")
	fs.IntVar(&o.Burst, "kube-api-burst", 100, "Burst of queries to the Kubernetes API server.")
	fs.IntVar(&o.Workers, "workers", 4, "Allowlists reconciled concurrently.")

	return func() (Options, error) {
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
				return Options{}, fmt.Errorf("--cluster-cidr %q: %w", c, err)
			}
			o.ClusterCIDRs = append(o.ClusterCIDRs, p.Masked())
		}
		return o, nil
	}
}
