//go:build bench

/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package bench

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// The workload: nNamespaces namespaces of perNamespace allowlists each, a fixed mix of
// catalog vendors, static entries and hostname entries over nHosts shared hostnames.
const (
	perNamespace = 10
	// addrsPerHost IPv4 and v6PerHost IPv6 addresses make each hostname's full set;
	// the steady state answers round-robin subsets of it.
	addrsPerHost = 4
	v6PerHost    = 2
)

// nNamespaces and nHosts are the size of the scale point being run (setPoint): the
// workload's shape stays the same at every size, ten allowlists per namespace and
// one hostname per five allowlists.
var (
	nNamespaces = 100
	nHosts      = 20
)

// hostsIn192 is how many hostnames' IPv4 sets fit in 192.0.2.0/24; the hostnames
// after them answer from the benchmarking range 198.18.0.0/15 (RFC 2544), which the
// manager is told to allow as it is the documentation ranges.
const hostsIn192 = 63

var benchmarkingRange = netip.MustParsePrefix("198.18.0.0/15")

// workloadLabel marks every allowlist of the benchmark, runLabel its run: run N's
// allowlists live in namespaces cN-000..cN-099 with run=cN, the floor's copies in
// fN-000..fN-099 with run=fN.
const (
	workloadLabel = "bench.vendorallowlist.io/workload"
	runLabel      = "bench.vendorallowlist.io/run"
)

func runOf(prefix string) string { return strings.TrimSuffix(prefix, "-") }

func nsName(prefix string, i int) string { return fmt.Sprintf("%s%03d", prefix, i) }

// hostName is the i-th shared hostname (0-based): h01.bench.example.com ...
// h200.bench.example.com.
func hostName(i int) string { return fmt.Sprintf("h%02d.bench.example.com", i+1) }

func hostNames() []string {
	out := make([]string, nHosts)
	for i := range out {
		out[i] = hostName(i)
	}
	return out
}

// hostAddrs is the full address set of the i-th hostname, from the documentation
// ranges (192.0.2.0/24, 2001:db8::/32): the operator blocks private ranges from DNS.
func hostAddrs(i int) []string {
	var out []string
	for k := 1; k <= addrsPerHost; k++ {
		if i < hostsIn192 {
			out = append(out, fmt.Sprintf("192.0.2.%d", i*addrsPerHost+k))
			continue
		}
		n := (i-hostsIn192)*addrsPerHost + k
		out = append(out, fmt.Sprintf("198.18.%d.%d", n/256, n%256))
	}
	for k := 1; k <= v6PerHost; k++ {
		out = append(out, fmt.Sprintf("2001:db8:0:%x::%x", i+1, k))
	}
	return out
}

// Static entries use 198.51.100.0/24 and 2001:db8:ffff::/56; the propagation phase's
// new addresses come from 203.0.113.0/24, so no static prefix ever contains them.
const (
	staticV4A = "198.51.100.0/26"
	staticV4B = "198.51.100.128/25"
	staticV6  = "2001:db8:ffff::/56" // the broadest IPv6 network an allowlist may name by default
)

func port(p int32) v1alpha1.Port { return v1alpha1.Port{Protocol: v1alpha1.ProtocolTCP, Port: p} }

func hostnames(names ...string) []v1alpha1.Hostname {
	out := make([]v1alpha1.Hostname, len(names))
	for i, n := range names {
		out[i] = v1alpha1.Hostname(n)
	}
	return out
}

// allowlists returns the workload's allowlists in namespaces prefix000..: ten kinds,
// one of each per namespace. Kinds 0-4 are static (catalog vendors and static
// entries), 5-9 name one to three of the shared hostnames, handed out round-robin so
// that every hostname has about the same number of users.
func allowlists(prefix string) []*v1alpha1.VendorAllowlist {
	var out []*v1alpha1.VendorAllowlist
	next := 0
	host := func() string { h := hostName(next % nHosts); next++; return h }
	for n := range nNamespaces {
		for k := range perNamespace {
			a := &v1alpha1.VendorAllowlist{
				ObjectMeta: metav1.ObjectMeta{
					Namespace: nsName(prefix, n),
					Labels:    map[string]string{workloadLabel: "true", runLabel: runOf(prefix)},
				},
				Spec: v1alpha1.VendorAllowlistSpec{
					PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": fmt.Sprintf("app-%d", k)}},
				},
			}
			s := &a.Spec
			switch k {
			case 0:
				a.Name = "workato-webhooks"
				s.Vendors = []v1alpha1.VendorSelection{{Name: "workato", Endpoints: []v1alpha1.ObjectName{"inbound"}, Ports: []v1alpha1.Port{port(8443)}}}
			case 1:
				a.Name = "freshchat-eu"
				s.Vendors = []v1alpha1.VendorSelection{{Name: "freshchat", Endpoints: []v1alpha1.ObjectName{"webhooks"}, Regions: []v1alpha1.Region{"EU"}, Ports: []v1alpha1.Port{port(443)}}}
			case 2:
				a.Name = "threobuilder-agents"
				s.Vendors = []v1alpha1.VendorSelection{{Name: "threobuilder", Endpoints: []v1alpha1.ObjectName{"agents"}, Ports: []v1alpha1.Port{port(443)}}}
			case 3:
				a.Name = "outsystems-vpn"
				s.Vendors = []v1alpha1.VendorSelection{{Name: "outsystems", Endpoints: []v1alpha1.ObjectName{"vpn"}, CIDRs: []v1alpha1.CIDR{staticV4B}, Ports: []v1alpha1.Port{port(443)}}}
			case 4:
				a.Name = "partner-static"
				s.Custom = []v1alpha1.CustomEntry{{Name: "settlement", Direction: v1alpha1.DirectionEgress, CIDRs: []v1alpha1.CIDR{staticV4A, staticV6}, Ports: []v1alpha1.Port{port(443), port(22)}}}
			case 5:
				a.Name = "outsystems-frontends"
				s.Vendors = []v1alpha1.VendorSelection{{Name: "outsystems", Endpoints: []v1alpha1.ObjectName{"front-ends"}, Hostnames: hostnames(host(), host()), Ports: []v1alpha1.Port{port(443)}}}
			case 6:
				a.Name = "api-egress"
				s.Custom = []v1alpha1.CustomEntry{{Name: "apis", Direction: v1alpha1.DirectionEgress, Hostnames: hostnames(host(), host(), host()), Ports: []v1alpha1.Port{port(443)}}}
			case 7:
				a.Name = "partner-both"
				s.Custom = []v1alpha1.CustomEntry{
					{Name: "callbacks", Direction: v1alpha1.DirectionIngress, Hostnames: hostnames(host()), Ports: []v1alpha1.Port{port(8080)}},
					{Name: "uploads", Direction: v1alpha1.DirectionEgress, CIDRs: []v1alpha1.CIDR{staticV4A}, Ports: []v1alpha1.Port{port(22)}},
				}
			case 8:
				a.Name = "workato-and-api"
				s.Vendors = []v1alpha1.VendorSelection{{Name: "workato", Endpoints: []v1alpha1.ObjectName{"inbound"}, Ports: []v1alpha1.Port{port(8443)}}}
				s.Custom = []v1alpha1.CustomEntry{{Name: "api", Direction: v1alpha1.DirectionEgress, Hostnames: hostnames(host()), Ports: []v1alpha1.Port{port(443)}}}
			case 9:
				a.Name = "freshchat-and-apis"
				s.Vendors = []v1alpha1.VendorSelection{{Name: "freshchat", Endpoints: []v1alpha1.ObjectName{"webhooks"}, Ports: []v1alpha1.Port{port(443)}}}
				s.Custom = []v1alpha1.CustomEntry{
					{Name: "apis", Direction: v1alpha1.DirectionEgress, Hostnames: hostnames(host(), host()), Ports: []v1alpha1.Port{port(443)}},
					{Name: "static", Direction: v1alpha1.DirectionEgress, CIDRs: []v1alpha1.CIDR{staticV6}, Ports: []v1alpha1.Port{port(443)}},
				}
			}
			out = append(out, a)
		}
	}
	return out
}

// resolvedFull is what DNS answers when every hostname returns its full set.
func resolvedFull() render.Resolved {
	out := render.Resolved{}
	for i := range nHosts {
		for _, s := range hostAddrs(i) {
			out[hostName(i)] = append(out[hostName(i)], netip.MustParseAddr(s))
		}
	}
	return out
}

// expectedPolicies renders an allowlist with the same code as the operator, for the
// given DNS answers.
func expectedPolicies(a *v1alpha1.VendorAllowlist, resolved render.Resolved) ([]networkingv1.NetworkPolicy, error) {
	allow := append(slices.Clone(testenv.DocumentationRanges), benchmarkingRange)
	plan, err := render.Compile(a, catalog.Builtin(), render.Options{Guard: guard.Guard{Allow: allow}})
	if err != nil {
		return nil, fmt.Errorf("rendering %s/%s: %w", a.Namespace, a.Name, err)
	}
	return plan.Render(resolved), nil
}

// usesHostname reports whether the allowlist names host.
func usesHostname(a *v1alpha1.VendorAllowlist, host string) bool {
	for _, v := range a.Spec.Vendors {
		if slices.Contains(v.Hostnames, v1alpha1.Hostname(host)) {
			return true
		}
	}
	for _, c := range a.Spec.Custom {
		if slices.Contains(c.Hostnames, v1alpha1.Hostname(host)) {
			return true
		}
	}
	return false
}

// policyHasCIDR reports whether any rule of the policy has the ipBlock cidr.
func policyHasCIDR(np *networkingv1.NetworkPolicy, cidr string) bool {
	for _, r := range np.Spec.Ingress {
		for _, p := range r.From {
			if p.IPBlock != nil && p.IPBlock.CIDR == cidr {
				return true
			}
		}
	}
	for _, r := range np.Spec.Egress {
		for _, p := range r.To {
			if p.IPBlock != nil && p.IPBlock.CIDR == cidr {
				return true
			}
		}
	}
	return false
}
