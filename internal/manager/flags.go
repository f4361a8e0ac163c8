/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package manager

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds/fetch"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds/follow"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/controller"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/dnscache"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/renderflags"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/resolver"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/vendorchange"
)

// BindFlags registers the manager's command-line flags on fs. Call the returned
// function after fs.Parse to get the Options; it fails on a malformed value.
func BindFlags(fs *flag.FlagSet) func() (Options, error) {
	var o Options
	var dnsServers renderflags.List
	var watchNamespaces string
	var qps float64
	var vendorAddedV4, vendorAddedV6 int
	var ingressTargets string
	egressBackend := string(render.BackendAuto)
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", ":8080", "Address the Prometheus metrics endpoint binds to; 0 disables it.")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", ":8081", "Address the /healthz and /readyz endpoints bind to.")
	fs.StringVar(&o.PprofAddr, "pprof-bind-address", "0", "Address Go's profiling endpoints (/debug/pprof/) bind to, to find where memory or CPU goes; 0 disables them. They expose the process's internals: bind to loopback (127.0.0.1:8082) and port-forward.")
	fs.BoolVar(&o.LeaderElect, "leader-elect", false, "Elect a leader, so that several replicas can run and only one acts.")
	fs.StringVar(&o.LeaderElectionID, "leader-election-id", "vendor-allowlist-operator.networking.vendorallowlist.io", "Name of the leader election lease.")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", "", "Namespace of the leader election lease; empty: the pod's own namespace (outside a cluster it must be given).")
	fs.DurationVar(&o.LeaseDuration, "leader-elect-lease-duration", 15*time.Second, "How long a follower waits, after the leader last renewed the lease, before taking over.")
	fs.DurationVar(&o.RenewDeadline, "leader-elect-renew-deadline", 10*time.Second, "How long the leader keeps trying to renew the lease before it gives up leading (and exits).")
	fs.DurationVar(&o.RetryPeriod, "leader-elect-retry-period", 2*time.Second, "How often candidates try to acquire or renew the lease.")
	fs.StringVar(&watchNamespaces, "watch-namespaces", "", "Comma-separated namespaces to watch; empty watches all.")
	fs.Var(&dnsServers, "dns-server", "DNS server to resolve vendor hostnames with: an IP address with an optional port (53), such as 10.96.0.10 or [fd00::a]:53; repeatable, tried in order. Defaults to the nameservers in /etc/resolv.conf.")
	fs.DurationVar(&o.DNSTimeout, "dns-timeout", 2*time.Second, "Timeout of one DNS query attempt.")
	fs.DurationVar(&o.DNS.MinRefresh, "dns-min-refresh", dnscache.DefaultMinRefresh, "Shortest interval between lookups of a hostname, however short its TTL.")
	fs.DurationVar(&o.DNS.MaxRefresh, "dns-max-refresh", dnscache.DefaultMaxRefresh, "Longest interval between lookups of a hostname, however long its TTL.")
	fs.DurationVar(&o.DNS.Retention, "dns-retention", dnscache.DefaultRetention, "How long an address stays in the policies after DNS last returned it (covers round-robin subsets and clients that cache past the TTL).")
	fs.IntVar(&o.DNS.LookupsPerNamespace, "dns-lookups-per-namespace", dnscache.DefaultLookupsPerNS, "First lookups of new hostnames in flight at once for the allowlists of one namespace, so that one namespace's silent DNS cannot hold the others.")
	fs.DurationVar(&o.DNS.ReconcileWait, "dns-reconcile-wait", dnscache.DefaultReconcileWait, "How long a reconcile waits for the first answers of new hostnames; what has not answered by then is rendered when it does.")
	fs.IntVar(&o.VendorChanges.MaxRemovedPercent, "vendor-change-max-removed-percent", 50, "A Vendor change that removes more than this share of an endpoint group's entries or addresses (or empties or removes a group) is held until an admin approves it.")
	fs.IntVar(&vendorAddedV4, "vendor-change-max-added-space-prefix-ipv4", 24, "A Vendor change that adds more IPv4 addresses an endpoint group did not have than one prefix of this length (whatever it removes) is held until an admin approves it; so is one that adds any address the guard forbids.")
	fs.IntVar(&vendorAddedV6, "vendor-change-max-added-space-prefix-ipv6", 48, "A Vendor change that adds more IPv6 addresses an endpoint group did not have than one prefix of this length (whatever it removes) is held until an admin approves it.")
	rendering := renderflags.Bind(fs)
	fs.StringVar(&ingressTargets, "ingress-targets", "none", "Kinds of ingress target allowlists may name, comma-separated: service (a Service's loadBalancerSourceRanges), ingress-nginx, envoy-gateway, istio, traefik; all or none. None by default: each writes into or attaches to objects the operator did not create, and only with the consent of their owner (docs/ingress-targets.md). Give the operator RBAC for each (the chart's ingressTargets values do both). A kind whose CRD is not installed when the manager starts is not watched.")
	fs.StringVar(&egressBackend, "egress-backend", egressBackend, "What enforces egress to hostnames: auto (detect at start: Cilium's CiliumNetworkPolicy, GKE's FQDNNetworkPolicy, then ClusterNetworkPolicy, whichever the cluster serves first, else networkpolicy), networkpolicy (the addresses DNS returns, in the NetworkPolicies), cilium, gke, clusternetworkpolicy, or ovn (OpenShift's EgressFirewall, only in namespaces whose admin consents). A name backend enforces the names at the answer each pod gets; detection runs at start only (docs/fqdn.md).")
	fs.Func("feeds", "Vendor feeds to fetch, comma-separated: preset names ("+strings.Join(follow.PresetNames(), ", ")+"), "+follow.AllPresets+" for every preset, "+follow.URLFeeds+" for the feeds Vendor objects give by URL. None by default: a cluster without internet access neither fetches nor logs errors (docs/feeds.md).", func(v string) error {
		o.Feeds.Enabled = append(o.Feeds.Enabled, strings.Split(v, ",")...)
		_, err := follow.ParseEnabled(o.Feeds.Enabled)
		return err
	})
	fs.StringVar(&o.Feeds.Namespace, "feed-namespace", "", "Namespace the accepted feed copies are kept in (ConfigMaps only the manager and admins can write); empty: the pod's own namespace.")
	fs.DurationVar(&o.Feeds.Interval, "feed-interval", fetch.DefaultInterval, "Minimum time between two fetches of one feed URL (each waits up to a tenth more, at random).")
	fs.StringVar(&o.Feeds.CABundle, "feed-ca-bundle", "", "PEM file of certificates trusted, besides the system's, for fetching feeds (a proxy that re-signs TLS).")
	fs.Float64Var(&qps, "kube-api-qps", 50, "Queries per second to the Kubernetes API server.")
	fs.IntVar(&o.Burst, "kube-api-burst", 100, "Burst of queries to the Kubernetes API server.")
	fs.IntVar(&o.Workers, "workers", 4, "Allowlists reconciled concurrently.")

	return func() (Options, error) {
		settings, problems := rendering()
		var err error
		if o.EgressBackend, err = render.ParseEgressBackend(egressBackend); err != nil {
			problems = append(problems, fmt.Sprintf("--egress-backend=%s: %v", egressBackend, err))
		}
		if o.IngressTargets, err = controller.ParseTargetKinds(ingressTargets); err != nil {
			problems = append(problems, fmt.Sprintf("--ingress-targets=%s: %v", ingressTargets, err))
		}
		for _, s := range dnsServers {
			addr, err := resolver.ParseServer(s)
			if err != nil {
				problems = append(problems, fmt.Sprintf("--dns-server=%s: %v", s, err))
				continue
			}
			o.DNSServers = append(o.DNSServers, addr)
		}
		if err := validate(fs, qps, o, vendorAddedV4, vendorAddedV6, problems); err != nil {
			return Options{}, err
		}
		o.QPS = float32(qps)
		o.Settings = settings
		o.VendorChanges = vendorchange.BoundsFromPrefixLengths(o.VendorChanges.MaxRemovedPercent, vendorAddedV4, vendorAddedV6)
		for _, ns := range strings.Split(watchNamespaces, ",") {
			if ns = strings.TrimSpace(ns); ns != "" {
				o.WatchNamespaces = append(o.WatchNamespaces, ns)
			}
		}
		return o, nil
	}
}

// validate refuses values that would leave the operator silently misbehaving: a
// zero or negative QPS, for one, would have client-go fall back to its own default.
func validate(fs *flag.FlagSet, qps float64, o Options, vendorAddedV4, vendorAddedV6 int, errs []string) error {
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
	check(o.DNS.LookupsPerNamespace >= 1, "dns-lookups-per-namespace", "must be at least 1")
	check(o.DNS.ReconcileWait > 0, "dns-reconcile-wait", "must be above 0, for example 2s")
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
