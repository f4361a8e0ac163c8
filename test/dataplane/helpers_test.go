/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dataplane

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/dataplanetest"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
)

// The suite's addresses, all documentation addresses (see testdata/docsaas-vendor.yaml).
var (
	// vendorIP is one of the addresses docsaas's inbound group publishes.
	vendorIP = netip.MustParseAddr("203.0.113.10")
	// strangerIP is an outside host no allowlist names.
	strangerIP = netip.MustParseAddr("198.51.100.20")
	// gatewayPublished is the address docsaas publishes for its gateway hostname,
	// rendered whatever DNS says.
	gatewayPublished = netip.MustParseAddr("203.0.113.40")
	// gatewayDNS is where DNS sends the gateway hostname at first, and gatewayMoved
	// where a DNS change moves it.
	gatewayDNS   = netip.MustParseAddr("203.0.113.41")
	gatewayMoved = netip.MustParseAddr("203.0.113.42")
	// unpublishedIP is an outside host the vendor does not publish.
	unpublishedIP = netip.MustParseAddr("198.51.100.50")
	// loadBalancerIP is a LoadBalancer Service's address.
	loadBalancerIP = netip.MustParseAddr("203.0.113.200")
)

// gatewayHost is docsaas's gateway hostname.
const gatewayHost = "sg1.docsaas.example.com"

const (
	// settle bounds a wait for the dataplane to follow a change that takes well
	// under a second when all is well (a reconcile, a policy write, kube-router's sync).
	settle = 30 * time.Second
	poll   = 100 * time.Millisecond
)

// allowed and denied build probes.
func allowed(from *dataplanetest.Endpoint, to netip.Addr, port uint16) dataplanetest.Probe {
	return dataplanetest.Probe{From: from, To: to, Port: port, Want: dataplanetest.Allowed}
}

func denied(from *dataplanetest.Endpoint, to netip.Addr, port uint16) dataplanetest.Probe {
	return dataplanetest.Probe{From: from, To: to, Port: port, Want: dataplanetest.Denied}
}

// allowedAs is allowed, where the server must see the client as seenAs.
func allowedAs(from *dataplanetest.Endpoint, to netip.Addr, port uint16, seenAs netip.Addr) dataplanetest.Probe {
	p := allowed(from, to, port)
	p.SeenAs = seenAs
	return p
}

func dnsWorks(from *dataplanetest.Endpoint) dataplanetest.DNSProbe {
	return dataplanetest.DNSProbe{From: from, Want: dataplanetest.Allowed}
}

func dnsFails(from *dataplanetest.Endpoint) dataplanetest.DNSProbe {
	return dataplanetest.DNSProbe{From: from, Want: dataplanetest.Denied}
}

func ports(ps ...int32) []v1alpha1.Port {
	out := make([]v1alpha1.Port, 0, len(ps))
	for _, p := range ps {
		out = append(out, v1alpha1.Port{Protocol: v1alpha1.ProtocolTCP, Port: p})
	}
	return out
}

// ingressAllowlist opens docsaas's inbound addresses to the pods labelled app=app on
// port.
func ingressAllowlist(ns, name, app string, port int32) *v1alpha1.VendorAllowlist {
	return &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
			Vendors: []v1alpha1.VendorSelection{
				{Name: "docsaas", Endpoints: []v1alpha1.ObjectName{"inbound"}, Ports: ports(port)},
			},
		},
	}
}

// egressAllowlist opens docsaas's gateways (TCP 443) to the pods labelled app=app,
// as the README's workato-opa example does; allowDNS nil leaves the default (on).
func egressAllowlist(ns, name, app string, allowDNS *bool) *v1alpha1.VendorAllowlist {
	return &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
			Vendors: []v1alpha1.VendorSelection{
				{Name: "docsaas", Endpoints: []v1alpha1.ObjectName{"opa-gateways"}},
			},
			AllowDNS: allowDNS,
		},
	}
}

var noDNS = ptr.To(false)

// startManager starts a dnsmasq and the manager binary for a test: the manager
// watches only ns and asks only that dnsmasq. Both stop when the test ends, the
// manager first.
func startManager(t *testing.T, ns string, mc dataplanetest.ManagerConfig, dnsOpts ...testdns.Option) (*testdns.Server, *dataplanetest.Process) {
	t.Helper()
	srv := testdns.Start(t, dnsOpts...)
	mc.DNSServer = srv.Addr()
	mc.WatchNamespaces = []string{ns}
	return srv, dp.NewManager(t, ns, managerBin, mc)
}

// create creates an allowlist and waits until the manager reports it Ready; it
// returns when it created it.
func create(t *testing.T, a *v1alpha1.VendorAllowlist) time.Time {
	t.Helper()
	created := time.Now()
	if err := k8s.Create(context.Background(), a); err != nil {
		t.Fatalf("creating VendorAllowlist %s/%s: %v", a.Namespace, a.Name, err)
	}
	waitCondition(t, a.Namespace, a.Name, v1alpha1.ConditionReady, metav1.ConditionTrue, settle)
	return created
}

// waitCondition waits until the allowlist's condition typ has status, for its current
// generation.
func waitCondition(t *testing.T, ns, name, typ string, status metav1.ConditionStatus, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := "not read yet"
	for {
		var a v1alpha1.VendorAllowlist
		err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &a)
		switch c := meta.FindStatusCondition(a.Status.Conditions, typ); {
		case err != nil:
			last = err.Error()
		case c == nil:
			last = "no " + typ + " condition"
		case c.ObservedGeneration != a.Generation:
			last = fmt.Sprintf("%s describes generation %d, spec is at %d", typ, c.ObservedGeneration, a.Generation)
		case c.Status != status:
			last = fmt.Sprintf("%s=%s %s: %s", typ, c.Status, c.Reason, c.Message)
		default:
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("VendorAllowlist %s/%s: %s=%s not reached within %v: %s", ns, name, typ, status, timeout, last)
		}
		time.Sleep(poll)
	}
}

// policies lists the NetworkPolicies of an allowlist, by the label the operator puts
// on them.
func policies(t *testing.T, ns, allowlist string) []networkingv1.NetworkPolicy {
	t.Helper()
	var list networkingv1.NetworkPolicyList
	if err := k8s.List(context.Background(), &list, client.InNamespace(ns), client.MatchingLabels{v1alpha1.AllowlistLabel: allowlist}); err != nil {
		t.Fatalf("listing the NetworkPolicies of %s/%s: %v", ns, allowlist, err)
	}
	return list.Items
}
