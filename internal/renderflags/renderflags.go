/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package renderflags binds the admin's rendering settings to command-line flags: the
// cluster's ranges, the guard's exceptions, the tenant limits, where the cluster DNS
// runs and how many addresses a hostname keeps. The manager and the kubectl plugin
// bind the same flags from here, so that the plugin, given the flags the manager runs
// with, renders what the manager would apply.
package renderflags

import (
	"flag"
	"fmt"
	"net/netip"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/addresses"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/tenancy"
)

// Settings are the admin's rendering settings.
type Settings struct {
	// ClusterCIDRs are the cluster's pod and service ranges (--cluster-cidr).
	ClusterCIDRs []netip.Prefix
	// GuardAllow are the ranges the guard treats as public (--guard-allow-cidr).
	GuardAllow []netip.Prefix
	// Limits bound what an allowlist may open by itself (--tenant-*).
	Limits tenancy.Limits
	// ClusterDNS is where the cluster DNS runs (--cluster-dns-*).
	ClusterDNS render.ClusterDNS
	// MaxAddresses is how many addresses a hostname keeps (--dns-max-addresses).
	MaxAddresses int
}

// Guard is the guard these settings make.
func (s Settings) Guard() guard.Guard {
	return guard.Guard{Cluster: s.ClusterCIDRs, Allow: s.GuardAllow}
}

// Options are the render options these settings make.
func (s Settings) Options() render.Options {
	limits := s.Limits
	return render.Options{Limits: &limits, Guard: s.Guard(), ClusterDNS: s.ClusterDNS}
}

// List is a repeatable string flag.
type List []string

func (l *List) String() string     { return strings.Join(*l, ",") }
func (l *List) Set(v string) error { *l = append(*l, v); return nil }

// CIDRList is a repeatable flag of networks that also takes them comma-separated,
// the form the chart's ConfigMap (read by the admission policy) writes them in.
type CIDRList []string

func (l *CIDRList) String() string { return strings.Join(*l, ",") }
func (l *CIDRList) Set(v string) error {
	for _, c := range strings.Split(v, ",") {
		if c = strings.TrimSpace(c); c == "" {
			return fmt.Errorf("%q has an empty network: write networks such as 10.96.0.0/12,fd00::/108", v)
		}
		*l = append(*l, c)
	}
	return nil
}

// Bind registers the flags on fs. Call the returned function after fs.Parse: it
// returns the settings, or the problems with the values, one per flag, each naming
// the flag, its value and the fix.
func Bind(fs *flag.FlagSet) func() (Settings, []string) {
	var clusterCIDRs, guardAllow CIDRList
	var ranges, dnsSelector string
	s := Settings{Limits: tenancy.Defaults()}
	l := &s.Limits
	fs.Var(&clusterCIDRs, "cluster-cidr", "The cluster's pod or service range (CIDR); addresses in it are never rendered from DNS, nor named by an allowlist unless --tenant-allow-ranges has cluster. Repeatable, or comma-separated.")
	fs.Var(&guardAllow, "guard-allow-cidr", "A range the guard treats as public although the IANA registries say it is not globally reachable (a documentation range in a lab, say): DNS answers in it are rendered, and allowlists may name it. Never overrides --cluster-cidr. Repeatable, or comma-separated.")
	fs.IntVar(&l.MinPrefixLengthIPv4, "tenant-min-prefix-length-ipv4", l.MinPrefixLengthIPv4, "An IPv4 network an allowlist names may be no broader than this prefix length (24: a /24 at most). Vendors in the catalog are not limited.")
	fs.IntVar(&l.MinPrefixLengthIPv6, "tenant-min-prefix-length-ipv6", l.MinPrefixLengthIPv6, "An IPv6 network an allowlist names may be no broader than this prefix length.")
	fs.IntVar(&l.MaxSpacePrefixLengthIPv4, "tenant-max-space-prefix-ipv4", l.MaxSpacePrefixLengthIPv4, "The IPv4 networks one allowlist names, merged, may cover at most as many addresses as one prefix of this length (20: 4,096).")
	fs.IntVar(&l.MaxSpacePrefixLengthIPv6, "tenant-max-space-prefix-ipv6", l.MaxSpacePrefixLengthIPv6, "The IPv6 networks one allowlist names, merged, may cover at most as many addresses as one prefix of this length.")
	fs.StringVar(&ranges, "tenant-allow-ranges", "", "Comma-separated ranges besides public ones that an allowlist may name: private (also lets privateAddresses: Allow through), loopback, link-local, multicast, cluster, reserved. Empty: none.")
	fs.BoolVar(&l.AllowClusterDNS, "tenant-allow-cluster-dns", false, "Let an allowlist say where the cluster DNS runs (spec.clusterDNS); otherwise --cluster-dns-namespace and --cluster-dns-selector are used, and spec.clusterDNS is refused.")
	fs.BoolVar(&l.AllowWildcards, "tenant-allow-wildcards", false, "Let an allowlist name wildcard hostnames (*.example.com) of its own, in custom entries and customer hostnames; they render only with an --egress-backend that enforces names, and the operator never resolves them, so the guard never sees what they reach. A Vendor's wildcards need no leave.")
	fs.IntVar(&l.MaxHostnames, "max-hostnames-per-allowlist", l.MaxHostnames, "Most hostnames one allowlist may name, the catalog's included.")
	fs.StringVar(&s.ClusterDNS.Namespace, "cluster-dns-namespace", "kube-system", "Namespace of the cluster DNS pods that allowDNS opens.")
	fs.StringVar(&dnsSelector, "cluster-dns-selector", "k8s-app=kube-dns", "Label selector of the cluster DNS pods that allowDNS opens.")
	fs.IntVar(&s.MaxAddresses, "dns-max-addresses", addresses.DefaultMaxAddresses, "Most addresses kept per hostname; the longest unseen are dropped first (status, Ready and a metric say how many).")

	return func() (Settings, []string) {
		var problems []string
		check := func(ok bool, name, fix string) {
			if !ok {
				problems = append(problems, fmt.Sprintf("--%s=%s: %s", name, fs.Lookup(name).Value, fix))
			}
		}
		check(l.MinPrefixLengthIPv4 >= 1 && l.MinPrefixLengthIPv4 <= 32, "tenant-min-prefix-length-ipv4", "must be a prefix length between 1 and 32, for example 24")
		check(l.MinPrefixLengthIPv6 >= 1 && l.MinPrefixLengthIPv6 <= 128, "tenant-min-prefix-length-ipv6", "must be a prefix length between 1 and 128, for example 56")
		check(l.MaxSpacePrefixLengthIPv4 >= 1 && l.MaxSpacePrefixLengthIPv4 <= l.MinPrefixLengthIPv4, "tenant-max-space-prefix-ipv4", "must be a prefix length between 1 and --tenant-min-prefix-length-ipv4, for example 20")
		check(l.MaxSpacePrefixLengthIPv6 >= 1 && l.MaxSpacePrefixLengthIPv6 <= l.MinPrefixLengthIPv6, "tenant-max-space-prefix-ipv6", "must be a prefix length between 1 and --tenant-min-prefix-length-ipv6, for example 48")
		check(l.MaxHostnames >= 1, "max-hostnames-per-allowlist", "must be at least 1")
		check(s.ClusterDNS.Namespace != "", "cluster-dns-namespace", "must name a namespace, for example kube-system")
		check(s.MaxAddresses >= 1, "dns-max-addresses", "must be at least 1")
		var err error
		if l.AllowRanges, err = tenancy.ParseCategories(ranges); err != nil {
			problems = append(problems, fmt.Sprintf("--tenant-allow-ranges=%s: %v", ranges, err))
		}
		if s.ClusterDNS.Pods, err = metav1.ParseToLabelSelector(dnsSelector); err != nil {
			problems = append(problems, fmt.Sprintf("--cluster-dns-selector=%s: %v: write a label selector such as k8s-app=kube-dns", dnsSelector, err))
		}
		s.ClusterCIDRs = prefixes("cluster-cidr", clusterCIDRs, &problems)
		s.GuardAllow = prefixes("guard-allow-cidr", guardAllow, &problems)
		return s, problems
	}
}

func prefixes(name string, values []string, problems *[]string) []netip.Prefix {
	var out []netip.Prefix
	for _, v := range values {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			*problems = append(*problems, fmt.Sprintf("--%s=%s: %v: write a network such as 10.96.0.0/12", name, v, err))
			continue
		}
		out = append(out, p.Masked())
	}
	return out
}
