/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package targets checks the ingress targets against a real kube-apiserver and etcd
// (envtest) with the real CRDs of Envoy Gateway (and the Gateway API kinds its chart
// installs) and Traefik (test/framework/thirdpartycrds: from their published modules, at
// pinned versions), the real manager (manager.New, as the binary builds it) and a
// real DNS server (dnsmasq on loopback): each kind is rendered and accepted by the
// API server, owned, follows a DNS change, and is pruned when removed; of a Service
// or an Ingress the operator owns one field and nothing else. Istio's CRD is
// installed by TestIstioTarget itself, after a manager has started without it, to
// show what an allowlist says meanwhile. What Envoy Gateway makes of the operator's
// SecurityPolicy is shown by its own translator (egctl, EGCTL; hack/egctl.sh).
//
// Every assertion reads the API server directly. The manager's only DNS server is the
// test's dnsmasq, and every address is a documentation address.
package targets

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/dnscache"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/manager"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/renderflags"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/tenancy"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testmanager"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/thirdpartycrds"
)

const (
	timeout = 30 * time.Second
	poll    = 100 * time.Millisecond
)

var (
	k8s client.Client
	env *testenv.Env
)

func TestMain(m *testing.M) {
	crds, err := thirdpartycrds.Load(thirdpartycrds.EnvoyGateway, thirdpartycrds.GatewayAPI, thirdpartycrds.Traefik)
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	testenv.Main(m, func(e *testenv.Env, c client.Client) { env, k8s = e, c }, testenv.WithCRDs(crds...))
}

func newNamespace(t *testing.T, prefix string) string { return testenv.NewNamespace(t, k8s, prefix) }

// partnerHost is the partner's webhook hostname; DNS first answers partnerFirst,
// then partnerMoved.
const partnerHost = "hooks.partner.example.com"

var (
	partnerFirst = "198.51.100.7"
	partnerMoved = "198.51.100.8"
	// partnerNetwork is the partner's static network.
	partnerNetwork = "203.0.113.0/28"
)

// startManager runs the manager with every kind of target enabled (or those given),
// watching ns, with dnsmasq as its DNS server answering partnerHost.
func startManager(t *testing.T, ns string, kinds ...render.TargetKind) (*testdns.Server, *testmanager.Running) {
	t.Helper()
	srv := testdns.Start(t, testdns.WithHost(partnerHost, partnerFirst))
	if kinds == nil {
		kinds = render.TargetKinds
	}
	return srv, startManagerWith(t, srv, ns, kinds)
}

func startManagerWith(t *testing.T, srv *testdns.Server, ns string, kinds []render.TargetKind) *testmanager.Running {
	t.Helper()
	return testmanager.Start(t, env.Config, manager.Options{
		WatchNamespaces: []string{ns},
		DNSServers:      []string{srv.Addr()},
		DNSTimeout:      time.Second,
		DNS:             dnscache.Options{MinRefresh: time.Second, MaxRefresh: 2 * time.Second, Retention: time.Hour},
		Settings:        renderflags.Settings{GuardAllow: testenv.DocumentationRanges, Limits: tenancy.Defaults()},
		Workers:         2,
		IngressTargets:  kinds,
	})
}

// partnerAllowlist opens the partner's network and hostname to app=web on 8080, with
// the targets given.
func partnerAllowlist(ns, name string, targets ...v1alpha1.IngressTarget) *v1alpha1.VendorAllowlist {
	return &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Custom: []v1alpha1.CustomEntry{{
				Name: "partner", Direction: v1alpha1.DirectionIngress,
				CIDRs:     []v1alpha1.CIDR{v1alpha1.CIDR(partnerNetwork)},
				Hostnames: []v1alpha1.Hostname{partnerHost},
				Ports:     []v1alpha1.Port{{Protocol: v1alpha1.ProtocolTCP, Port: 8080}},
			}},
			IngressTargets: targets,
		},
	}
}

func getAllowlist(g Gomega, key types.NamespacedName) *v1alpha1.VendorAllowlist {
	var a v1alpha1.VendorAllowlist
	g.Expect(k8s.Get(context.Background(), key, &a)).To(Succeed())
	return &a
}

// waitReady waits until the allowlist's current generation has Ready with status
// and reason, and returns the allowlist.
func waitReady(t *testing.T, key types.NamespacedName, status metav1.ConditionStatus, reason string) *v1alpha1.VendorAllowlist {
	t.Helper()
	var got *v1alpha1.VendorAllowlist
	NewWithT(t).Eventually(func(g Gomega) {
		a := getAllowlist(g, key)
		c := meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady)
		g.Expect(c).NotTo(BeNil(), "no Ready condition yet")
		g.Expect(c.ObservedGeneration).To(Equal(a.Generation))
		g.Expect(c.Status).To(Equal(status), "Ready: %s %s", c.Reason, c.Message)
		g.Expect(c.Reason).To(Equal(reason), "Ready: %s %s", c.Reason, c.Message)
		got = a
	}, timeout, poll).Should(Succeed())
	return got
}

// targetStatus is the allowlist's status of the object kind/name.
func targetStatus(g Gomega, key types.NamespacedName, kind, name string) v1alpha1.IngressTargetStatus {
	a := getAllowlist(g, key)
	for _, st := range a.Status.IngressTargets {
		if st.Kind == kind && st.Name == name {
			return st
		}
	}
	g.Expect(a.Status.IngressTargets).To(ContainElement(HaveField("Name", name)), "no status of %s %s", kind, name)
	return v1alpha1.IngressTargetStatus{}
}

// ingressCIDRs are the ipBlocks of the allowlist's ingress NetworkPolicy, sorted.
func ingressCIDRs(g Gomega, ns, allowlist string) []string {
	var np networkingv1.NetworkPolicy
	g.Expect(k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: allowlist + "-ingress"}, &np)).To(Succeed())
	var out []string
	for _, r := range np.Spec.Ingress {
		for _, p := range r.From {
			out = append(out, p.IPBlock.CIDR)
		}
	}
	sort.Strings(out)
	return out
}

func sorted(ss []string) []string {
	out := append([]string(nil), ss...)
	sort.Strings(out)
	return out
}

// getUnstructured reads an object of gvk's kind.
func getUnstructured(g Gomega, kind render.TargetKind, ns, name string) *unstructured.Unstructured {
	gvk, _ := kind.OwnedKind()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	g.Expect(k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, u)).To(Succeed())
	return u
}

// managers lists the field managers of an object and the fields each holds.
func managers(o client.Object) map[string]string {
	out := map[string]string{}
	for _, e := range o.GetManagedFields() {
		raw := ""
		if e.FieldsV1 != nil {
			raw = string(e.FieldsV1.Raw)
		}
		out[e.Manager+"/"+string(e.Operation)+subresource(e.Subresource)] = raw
	}
	return out
}

func subresource(s string) string {
	if s == "" {
		return ""
	}
	return "/" + s
}
