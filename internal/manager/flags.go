package manager

import (
	"flag"
	"fmt"
	"net/netip"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/dnscache"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/tenancy"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/vendorchange"
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
	var vendorAddedV4, vendorAddedV6 int
	var guardAllow stringList
	var tenantRanges, clusterDNSSelector string
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", ":8080", "Address the Prometheus metrics endpoint binds to; 0 disables it.")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", ":8081", "Address the /healthz and /readyz endpoints bind to.")
	fs.BoolVar(&o.LeaderElect, "leader-elect", false, "Elect a leader, so that several replicas can run and only one acts.")
	fs.StringVar(&o.LeaderElectionID, "leader-election-id", "vendor-allowlist-operator.networking.vendorallowlist.io", "Name of the leader election lease.")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", "", "Namespace of the leader election lease; empty: the pod's own namespace (outside a cluster it must be given).")
	fs.DurationVar(&o.LeaseDuration, "leader-elect-lease-duration", 15*time.Second, "How long a follower waits, after the leader last renewed the lease, before taking over.")
	fs.DurationVar(&o.RenewDeadline, "leader-elect-renew-deadline", 10*time.Second, "How long the leader keeps trying to renew the lease before it gives up leading (and exits).")
	fs.DurationVar(&o.RetryPeriod, "leader-elect-retry-period", 2*time.Second, "How often candidates try to acquire or renew the lease.")
	fs.StringVar(&watchNamespaces, "watch-namespaces", "", "Comma-separated namespaces to watch; empty watches all.")
	fs.Var(&dnsServers, "dns-server", "DNS server (host:port) to resolve vendor hostnames with; repeatable, tried in order. Defaults to the nameservers in /etc/resolv.conf.")
	fs.DurationVar(&o.DNSTimeout, "dns-timeout", 2*time.Second, "Timeout of one DNS query attempt.")
	fs.DurationVar(&o.DNS.MinRefresh, "dns-min-refresh", dnscache.DefaultMinRefresh, "Shortest interval between lookups of a hostname, however short its TTL.")
	fs.DurationVar(&o.DNS.MaxRefresh, "dns-max-refresh", dnscache.DefaultMaxRefresh, "Longest interval between lookups of a hostname, however long its TTL.")
	fs.DurationVar(&o.DNS.Retention, "dns-retention", dnscache.DefaultRetention, "How long an address stays in the policies after DNS last returned it (covers round-robin subsets and clients that cache past the TTL).")
	fs.IntVar(&o.DNS.MaxAddresses, "dns-max-addresses", dnscache.DefaultMaxAddresses, "Most addresses kept per hostname; the longest unseen are dropped first (status, Ready and a metric say how many).")
	fs.IntVar(&o.DNS.LookupsPerNamespace, "dns-lookups-per-namespace", dnscache.DefaultLookupsPerNS, "First lookups of new hostnames in flight at once for the allowlists of one namespace, so that one namespace's silent DNS cannot hold the others.")
	fs.DurationVar(&o.DNS.ReconcileWait, "dns-reconcile-wait", dnscache.DefaultReconcileWait, "How long a reconcile waits for the first answers of new hostnames; what has not answered by then is rendered when it does.")
	fs.IntVar(&o.VendorChanges.MaxRemovedPercent, "vendor-change-max-removed-percent", 50, "A Vendor change that removes more than this share of an endpoint group's entries (or empties or removes a group) is held until an admin approves it.")
	fs.IntVar(&vendorAddedV4, "vendor-change-max-added-space-prefix-ipv4", 24, "A Vendor change that adds more IPv4 space to an endpoint group than one prefix of this length is held until an admin approves it.")
	fs.IntVar(&vendorAddedV6, "vendor-change-max-added-space-prefix-ipv6", 48, "A Vendor change that adds more IPv6 space to an endpoint group than one prefix of this length is held until an admin approves it.")
	fs.Var(&clusterCIDRs, "cluster-cidr", "The cluster's pod or service range (CIDR); addresses in it are never rendered from DNS, nor named by an allowlist unless --tenant-allow-ranges has cluster. Repeatable.")
	fs.Var(&guardAllow, "guard-allow-cidr", "A range the guard treats as public although the IANA registries say it is not globally reachable (a documentation range in a lab, say): DNS answers in it are rendered, and allowlists may name it. Never overrides --cluster-cidr. Repeatable.")
	limits := tenancy.Defaults()
	fs.IntVar(&limits.MinPrefixLengthIPv4, "tenant-min-prefix-length-ipv4", limits.MinPrefixLengthIPv4, "An IPv4 network an allowlist names may be no broader than this prefix length (24: a /24 at most). Vendors in the catalog are not limited.")
	fs.IntVar(&limits.MinPrefixLengthIPv6, "tenant-min-prefix-length-ipv6", limits.MinPrefixLengthIPv6, "An IPv6 network an allowlist names may be no broader than this prefix length.")
	fs.IntVar(&limits.MaxSpacePrefixLengthIPv4, "tenant-max-space-prefix-ipv4", limits.MaxSpacePrefixLengthIPv4, "The IPv4 networks one allowlist names, merged, may cover at most as many addresses as one prefix of this length (20: 4,096).")
	fs.IntVar(&limits.MaxSpacePrefixLengthIPv6, "tenant-max-space-prefix-ipv6", limits.MaxSpacePrefixLengthIPv6, "The IPv6 networks one allowlist names, merged, may cover at most as many addresses as one prefix of this length.")
	fs.StringVar(&tenantRanges, "tenant-allow-ranges", "", "Comma-separated ranges besides public ones that an allowlist may name: private (also lets privateAddresses: Allow through), loopback, link-local, multicast, cluster, reserved. Empty: none.")
	fs.BoolVar(&limits.AllowClusterDNS, "tenant-allow-cluster-dns", false, "Let an allowlist say where the cluster DNS runs (spec.clusterDNS); otherwise --cluster-dns-namespace and --cluster-dns-selector are used, and spec.clusterDNS is refused.")
	fs.IntVar(&limits.MaxHostnames, "max-hostnames-per-allowlist", limits.MaxHostnames, "Most hostnames one allowlist may name, the catalog's included.")
	fs.StringVar(&o.ClusterDNS.Namespace, "cluster-dns-namespace", "kube-system", "Namespace of the cluster DNS pods that allowDNS opens.")
	fs.StringVar(&clusterDNSSelector, "cluster-dns-selector", "k8s-app=kube-dns", "Label selector of the cluster DNS pods that allowDNS opens.")
	fs.Float64Var(&qps, "kube-api-qps", 50, "Queries per second to the Kubernetes API server.")
	fs.IntVar(&o.Burst, "kube-api-burst", 100, "Burst of queries to the Kubernetes API server.")
	fs.IntVar(&o.Workers, "workers", 4, "Allowlists reconciled concurrently.")

	return func() (Options, error) {
		if err := validate(fs, qps, o, limits, vendorAddedV4, vendorAddedV6); err != nil {
			return Options{}, err
		}
		o.QPS = float32(qps)
		ranges, err := tenancy.ParseCategories(tenantRanges)
		if err != nil {
			return Options{}, fmt.Errorf("--tenant-allow-ranges %q: %w", tenantRanges, err)
		}
		limits.AllowRanges = ranges
		o.Limits = &limits
		sel, err := metav1.ParseToLabelSelector(clusterDNSSelector)
		if err != nil {
			return Options{}, fmt.Errorf("--cluster-dns-selector %q: %w", clusterDNSSelector, err)
		}
		o.ClusterDNS.Pods = sel
		for _, c := range guardAllow {
			p, err := netip.ParsePrefix(c)
			if err != nil {
				return Options{}, fmt.Errorf("--guard-allow-cidr %q: %w", c, err)
			}
			o.GuardAllow = append(o.GuardAllow, p.Masked())
		}
		o.VendorChanges = vendorchange.BoundsFromPrefixLengths(o.VendorChanges.MaxRemovedPercent, vendorAddedV4, vendorAddedV6)
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

// validate refuses values that would leave the operator silently misbehaving: a
// zero or negative QPS, for one, would have client-go fall back to its own default.
func validate(fs *flag.FlagSet, qps float64, o Options, limits tenancy.Limits, vendorAddedV4, vendorAddedV6 int) error {
	var errs []string
	check := func(ok bool, flag, fix string) {
		if !ok {
			errs = append(errs, fmt.Sprintf("--%s=%s: %s", flag, fs.Lookup(flag).Value, fix))
		}
	}
	check(qps > 0, "kube-api-qps", "must be above 0 (the API server's priority and fairness still protects it at high values)")
	check(o.Burst >= 1 && float64(o.Burst) >= qps, "kube-api-burst", "must be at least 1 and at least --kube-api-qps")
	check(o.Workers >= 1, "workers", "must be at least 1")
	check(o.DNSTimeout > 0, "dns-timeout", "must be above 0, for example 2s")
	check(o.DNS.MinRefresh > 0, "dns-min-refresh", "must be above 0, for example 30s")
	check(o.DNS.MaxRefresh >= o.DNS.MinRefresh, "dns-max-refresh", "must be at least --dns-min-refresh")
	check(o.DNS.Retention > 0, "dns-retention", "must be above 0, for example 1h")
	check(o.DNS.MaxAddresses >= 1, "dns-max-addresses", "must be at least 1")
	check(o.DNS.LookupsPerNamespace >= 1, "dns-lookups-per-namespace", "must be at least 1")
	check(o.DNS.ReconcileWait > 0, "dns-reconcile-wait", "must be above 0, for example 2s")
	check(limits.MinPrefixLengthIPv4 >= 1 && limits.MinPrefixLengthIPv4 <= 32, "tenant-min-prefix-length-ipv4", "must be a prefix length between 1 and 32, for example 24")
	check(limits.MinPrefixLengthIPv6 >= 1 && limits.MinPrefixLengthIPv6 <= 128, "tenant-min-prefix-length-ipv6", "must be a prefix length between 1 and 128, for example 56")
	check(limits.MaxSpacePrefixLengthIPv4 >= 1 && limits.MaxSpacePrefixLengthIPv4 <= limits.MinPrefixLengthIPv4, "tenant-max-space-prefix-ipv4", "must be a prefix length between 1 and --tenant-min-prefix-length-ipv4, for example 20")
	check(limits.MaxSpacePrefixLengthIPv6 >= 1 && limits.MaxSpacePrefixLengthIPv6 <= limits.MinPrefixLengthIPv6, "tenant-max-space-prefix-ipv6", "must be a prefix length between 1 and --tenant-min-prefix-length-ipv6, for example 48")
	check(limits.MaxHostnames >= 1, "max-hostnames-per-allowlist", "must be at least 1")
	check(o.ClusterDNS.Namespace != "", "cluster-dns-namespace", "must name a namespace, for example kube-system")
	check(o.VendorChanges.MaxRemovedPercent >= 0 && o.VendorChanges.MaxRemovedPercent <= 100, "vendor-change-max-removed-percent", "must be between 0 and 100")
	check(vendorAddedV4 >= 0 && vendorAddedV4 <= 32, "vendor-change-max-added-space-prefix-ipv4", "must be a prefix length between 0 and 32, for example 24")
	check(vendorAddedV6 >= 0 && vendorAddedV6 <= 128, "vendor-change-max-added-space-prefix-ipv6", "must be a prefix length between 0 and 128, for example 48")
	check(o.LeaseDuration > o.RenewDeadline && o.RenewDeadline > o.RetryPeriod && o.RetryPeriod > 0,
		"leader-elect-lease-duration", "must exceed --leader-elect-renew-deadline, which must exceed --leader-elect-retry-period, which must be above 0")
	if len(errs) > 0 {
		return fmt.Errorf("invalid flags:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}
