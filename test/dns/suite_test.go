/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package dns tests the operator against live DNS: a real DNS server (dnsmasq, on
// loopback only, through test/framework/testdns) answers the hostnames of VendorAllowlists,
// a real kube-apiserver and etcd (envtest) hold them, and the manager is built by
// manager.New exactly as the binary builds it.
//
// TestMain starts the control plane once. Every test starts its own dnsmasq and its
// own manager(s), in a namespace of its own which its manager alone watches, so one
// test's allowlists never reach another test's manager or DNS server. Every assertion
// reads the API server directly (never the manager's cache): NetworkPolicy content and
// resourceVersions, allowlist status and conditions, and events.k8s.io/v1 events.
//
// No packet leaves loopback: the manager's only DNS server is the test's dnsmasq on
// 127.0.0.1, which has no upstream, and every hostname is under example.com with
// documentation addresses (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32).
//
// The tests log what they measure (propagation times, queries per refresh, outage
// timings) with t.Logf: run with -v to see the figures.
package dns

import (
	"context"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"
	_ "sigs.k8s.io/controller-runtime/pkg/controller" // holds usedControllerNames

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/dnscache"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/manager"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/renderflags"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/tenancy"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testmanager"
)

const (
	// timeout bounds a wait for something that takes well under a second when all is
	// well (a reconcile, a write); tests with timing claims use tighter bounds.
	timeout = 20 * time.Second
	poll    = 50 * time.Millisecond
)

// The cluster's own ranges, as the manager is told with --cluster-cidr.
var clusterCIDRs = testenv.ClusterCIDRs

var (
	// k8s reads and writes the API server directly, so tests see the truth and not a
	// manager's label-filtered cache.
	k8s client.Client
	env *testenv.Env
)

func TestMain(m *testing.M) {
	testenv.Main(m, func(e *testenv.Env, c client.Client) { env, k8s = e, c })
}

// newNamespace gives each test a namespace of its own.
func newNamespace(t *testing.T, prefix string) string { return testenv.NewNamespace(t, k8s, prefix) }

// managerOptions are what a test varies; everything else is as the binary sets it.
type managerOptions struct {
	Namespaces []string
	DNS        dnscache.Options
	Workers    int
	// Limits: nil, the manager's defaults.
	Limits *tenancy.Limits
}

// startManager builds the manager with manager.New, pointed at srv as its only DNS
// server and watching only the test's namespaces, and starts it. It is stopped (and
// waited for) when the test ends, before the DNS server, whose cleanup was registered
// earlier.
func startManager(t *testing.T, srv *testdns.Server, o managerOptions) *testmanager.Running {
	t.Helper()
	workers := o.Workers
	if workers == 0 {
		workers = 2
	}
	limits := tenancy.Defaults()
	if o.Limits != nil {
		limits = *o.Limits
	}
	return testmanager.Start(t, env.Config, manager.Options{
		WatchNamespaces: o.Namespaces,
		DNSServers:      []string{srv.Addr()},
		DNSTimeout:      500 * time.Millisecond,
		DNS:             o.DNS,
		Settings:        renderflags.Settings{ClusterCIDRs: clusterCIDRs, GuardAllow: testenv.DocumentationRanges, Limits: limits},
		Workers:         workers,
	})
}

// customAllowlist opens the given direction to hostnames on port 443 for pods app=web.
func customAllowlist(ns, name string, d v1alpha1.Direction, private v1alpha1.PrivateAddresses, hostnames ...string) *v1alpha1.VendorAllowlist {
	hs := make([]v1alpha1.Hostname, 0, len(hostnames))
	for _, h := range hostnames {
		hs = append(hs, v1alpha1.Hostname(h))
	}
	return &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Custom: []v1alpha1.CustomEntry{{
				Name:             "saas",
				Direction:        d,
				Hostnames:        hs,
				Ports:            []v1alpha1.Port{{Protocol: v1alpha1.ProtocolTCP, Port: 443}},
				PrivateAddresses: private,
			}},
		},
	}
}

// outsystemsAllowlist opens ingress from an OutSystems environment's front-ends,
// which the customer names by hostname.
func outsystemsAllowlist(ns, name string, frontEnds ...string) *v1alpha1.VendorAllowlist {
	hs := make([]v1alpha1.Hostname, 0, len(frontEnds))
	for _, h := range frontEnds {
		hs = append(hs, v1alpha1.Hostname(h))
	}
	return &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Vendors: []v1alpha1.VendorSelection{{
				Name:      "outsystems",
				Endpoints: []v1alpha1.ObjectName{"front-ends"},
				Hostnames: hs,
				Ports:     []v1alpha1.Port{{Protocol: v1alpha1.ProtocolTCP, Port: 443}},
			}},
		},
	}
}

func create(t *testing.T, obj client.Object) types.NamespacedName {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %s: %v", obj.GetName(), err)
	}
	return client.ObjectKeyFromObject(obj)
}

func getPolicy(g Gomega, ns, name string) *networkingv1.NetworkPolicy {
	var np networkingv1.NetworkPolicy
	g.Expect(k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &np)).To(Succeed())
	return &np
}

// cidrs lists every ipBlock of the policy's rules, both directions, sorted.
func cidrs(np *networkingv1.NetworkPolicy) []string { return testenv.PolicyCIDRs(np) }

// hostCIDRs writes addresses as the single-address CIDRs a policy holds, sorted.
func hostCIDRs(addrs ...string) []string {
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, netip.PrefixFrom(netip.MustParseAddr(a), netip.MustParseAddr(a).BitLen()).String())
	}
	sort.Strings(out)
	return out
}

func getAllowlist(g Gomega, key types.NamespacedName) *v1alpha1.VendorAllowlist {
	var a v1alpha1.VendorAllowlist
	g.Expect(k8s.Get(context.Background(), key, &a)).To(Succeed())
	return &a
}

func condition(a *v1alpha1.VendorAllowlist, typ string) *metav1.Condition {
	return meta.FindStatusCondition(a.Status.Conditions, typ)
}

func hostnameStatus(a *v1alpha1.VendorAllowlist, name string) *v1alpha1.HostnameStatus {
	for i := range a.Status.Hostnames {
		if string(a.Status.Hostnames[i].Hostname) == name {
			return &a.Status.Hostnames[i]
		}
	}
	return nil
}

// waitReady waits until the allowlist's current generation is Ready.
func waitReady(t *testing.T, key types.NamespacedName) {
	t.Helper()
	NewWithT(t).Eventually(func(g Gomega) {
		a := getAllowlist(g, key)
		c := condition(a, v1alpha1.ConditionReady)
		g.Expect(c).NotTo(BeNil(), "no Ready condition yet")
		g.Expect(c.ObservedGeneration).To(Equal(a.Generation))
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue), "Ready: %s %s", c.Reason, c.Message)
	}, timeout, poll).Should(Succeed())
}

// events lists the events.k8s.io/v1 events regarding the named object.
func events(g Gomega, ns, name string) []eventsv1.Event {
	var list eventsv1.EventList
	g.Expect(k8s.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Name == name && e.Regarding.Kind == "VendorAllowlist" {
			out = append(out, e)
		}
	}
	return out
}

// findEvent returns the first event of that type and reason, or nil.
func findEvent(evs []eventsv1.Event, typ, reason string) *eventsv1.Event {
	for i := range evs {
		if evs[i].Type == typ && evs[i].Reason == reason {
			return &evs[i]
		}
	}
	return nil
}

// policyVersions maps each NetworkPolicy of the namespace to its resourceVersion.
func policyVersions(g Gomega, ns string) map[string]string {
	var list networkingv1.NetworkPolicyList
	g.Expect(k8s.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
	out := make(map[string]string, len(list.Items))
	for _, np := range list.Items {
		out[np.Name] = np.ResourceVersion
	}
	return out
}

// policyApplies is the API server's count of server-side applies of NetworkPolicies
// (apiserver_request_total): an apply that changes nothing leaves every resource
// version as it was, and is a write all the same.
func policyApplies(g Gomega) float64 {
	cs, err := kubernetes.NewForConfig(env.Config)
	g.Expect(err).NotTo(HaveOccurred())
	raw, err := cs.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	g.Expect(err).NotTo(HaveOccurred())
	total := 0.0
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "apiserver_request_total{") || !strings.Contains(line, `resource="networkpolicies"`) || !strings.Contains(line, `verb="APPLY"`) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
		g.Expect(err).NotTo(HaveOccurred(), line)
		total += v
	}
	return total
}

// queries counts the A and AAAA queries the manager sent for name.
func queries(srv *testdns.Server, name string) (a, aaaa int) {
	return srv.QueryCount(name, "A"), srv.QueryCount(name, "AAAA")
}

// waitRefresh waits until the manager has asked for name again, A and AAAA, since
// the counts given: one refresh, whose answer is what dnsmasq serves now.
func waitRefresh(t *testing.T, srv *testdns.Server, name string, a0, aaaa0 int, within time.Duration) {
	t.Helper()
	NewWithT(t).Eventually(func() bool {
		a, aaaa := queries(srv, name)
		return a > a0 && aaaa > aaaa0
	}, within, 10*time.Millisecond).Should(BeTrue(), "no refresh of %s within %v", name, within)
}

// metricValue is the value of the registry's metric with the given labels (counter
// or gauge), and whether it exists.
func metricValue(g Gomega, reg *prometheus.Registry, name string, labels map[string]string) (float64, bool) {
	families, err := reg.Gather()
	g.Expect(err).NotTo(HaveOccurred())
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if !labelsMatch(m, labels) {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue(), true
			case m.Gauge != nil:
				return m.Gauge.GetValue(), true
			}
		}
	}
	return 0, false
}

func labelsMatch(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if v, ok := want[l.GetName()]; ok {
			if v != l.GetValue() {
				return false
			}
			n++
		}
	}
	return n == len(want)
}
