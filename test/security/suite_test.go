/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package security tries, as a hostile tenant would, to make the operator open more
// than the admin allowed or reach another namespace: against a real kube-apiserver
// and etcd (envtest), the real manager (manager.New, as the binary builds it) and a
// real DNS server (dnsmasq on loopback). A tenant is an impersonated user with rights
// on VendorAllowlists and their status in one namespace, and none on NetworkPolicies.
//
// Every assertion reads the API server directly. No packet leaves loopback: the
// manager's only DNS server is the test's dnsmasq, whose names are under example.com
// (and the vendors' own hostnames), with documentation addresses.
package security

import (
	"context"
	"sort"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/dnscache"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/manager"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/renderflags"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/tenancy"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/vendorchange"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testmanager"
)

const (
	timeout = 30 * time.Second
	poll    = 100 * time.Millisecond
)

// The cluster's own ranges, as the manager is told with --cluster-cidr.
var clusterCIDRs = testenv.ClusterCIDRs

var (
	k8s client.Client
	env *testenv.Env
)

func TestMain(m *testing.M) {
	testenv.Main(m, func(e *testenv.Env, c client.Client) { env, k8s = e, c })
}

func newNamespace(t *testing.T, prefix string) string { return testenv.NewNamespace(t, k8s, prefix) }

// startManager runs the manager as the binary would with its default flags, the
// test's dnsmasq as its DNS server, the cluster's ranges, and documentation ranges
// allowed by the admin (--guard-allow-cidr), since the tests' vendors use them.
func startManager(t *testing.T, srv *testdns.Server, namespaces []string, tune ...func(*manager.Options)) *testmanager.Running {
	t.Helper()
	o := manager.Options{
		WatchNamespaces: namespaces,
		DNSServers:      []string{srv.Addr()},
		DNSTimeout:      time.Second,
		DNS:             dnscache.Options{MinRefresh: time.Second, MaxRefresh: 10 * time.Second, Retention: time.Hour},
		Settings:        renderflags.Settings{ClusterCIDRs: clusterCIDRs, GuardAllow: testenv.DocumentationRanges, Limits: tenancy.Defaults()},
		Workers:         4,
		VendorChanges:   vendorchange.DefaultBounds(), // the flags' defaults
	}
	for _, f := range tune {
		f(&o)
	}
	return testmanager.Start(t, env.Config, o)
}

// tenant returns a client for a user who may do anything with VendorAllowlists and
// their status in ns (as a careless `resources: ["*"]` grant on the group would
// allow), and nothing else.
func tenant(t *testing.T, ns, user string) client.Client {
	t.Helper()
	ctx := context.Background()
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "allowlist-writer"},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{v1alpha1.GroupVersion.Group},
			Resources: []string{"vendorallowlists", "vendorallowlists/status"},
			Verbs:     []string{"*"},
		}},
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "allowlist-writer"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	}
	for _, o := range []client.Object{role, binding} {
		if err := k8s.Create(ctx, o); err != nil {
			t.Fatalf("creating %T: %v", o, err)
		}
	}
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	c, err := client.New(cfg, client.Options{Scheme: testenv.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	// The grant is what the test says it is: no NetworkPolicies.
	err = c.Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "probe"}})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("the tenant could create a NetworkPolicy (%v): the test's grant is wrong", err)
	}
	return c
}

func getAllowlist(g Gomega, key types.NamespacedName) *v1alpha1.VendorAllowlist {
	var a v1alpha1.VendorAllowlist
	g.Expect(k8s.Get(context.Background(), key, &a)).To(Succeed())
	return &a
}

func ready(a *v1alpha1.VendorAllowlist) *metav1.Condition {
	return meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady)
}

// waitCondition waits until the allowlist's current generation has Ready with the
// given status and reason, and returns the condition.
func waitCondition(t *testing.T, key types.NamespacedName, status metav1.ConditionStatus, reason string, within time.Duration) *metav1.Condition {
	t.Helper()
	var got *metav1.Condition
	NewWithT(t).Eventually(func(g Gomega) {
		a := getAllowlist(g, key)
		c := ready(a)
		g.Expect(c).NotTo(BeNil(), "no Ready condition yet")
		g.Expect(c.ObservedGeneration).To(Equal(a.Generation))
		g.Expect(c.Status).To(Equal(status), "Ready: %s %s", c.Reason, c.Message)
		g.Expect(c.Reason).To(Equal(reason), "Ready: %s %s", c.Reason, c.Message)
		got = c
	}, within, poll).Should(Succeed())
	return got
}

func policy(g Gomega, ns, name string) *networkingv1.NetworkPolicy {
	var np networkingv1.NetworkPolicy
	g.Expect(k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &np)).To(Succeed())
	return &np
}

// policyCIDRs lists every ipBlock of every NetworkPolicy in ns, sorted.
func policyCIDRs(g Gomega, ns string) []string {
	var list networkingv1.NetworkPolicyList
	g.Expect(k8s.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
	var out []string
	for _, np := range list.Items {
		out = append(out, cidrs(&np)...)
	}
	sort.Strings(out)
	return out
}

func cidrs(np *networkingv1.NetworkPolicy) []string { return testenv.PolicyCIDRs(np) }

// warnings lists the reasons and notes of the Warning events regarding an object.
func warnings(g Gomega, ns, kind, name string) map[string]string {
	var list eventsv1.EventList
	g.Expect(k8s.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
	out := map[string]string{}
	for _, e := range list.Items {
		if e.Type == corev1.EventTypeWarning && e.Regarding.Kind == kind && e.Regarding.Name == name {
			out[e.Reason] = e.Note
		}
	}
	return out
}

func ports(ps ...int32) []v1alpha1.Port {
	out := make([]v1alpha1.Port, 0, len(ps))
	for _, p := range ps {
		out = append(out, v1alpha1.Port{Protocol: v1alpha1.ProtocolTCP, Port: p})
	}
	return out
}

func cidrList(ss ...string) []v1alpha1.CIDR {
	out := make([]v1alpha1.CIDR, 0, len(ss))
	for _, s := range ss {
		out = append(out, v1alpha1.CIDR(s))
	}
	return out
}

func hostnames(ss ...string) []v1alpha1.Hostname {
	out := make([]v1alpha1.Hostname, 0, len(ss))
	for _, s := range ss {
		out = append(out, v1alpha1.Hostname(s))
	}
	return out
}

func selector(app string) metav1.LabelSelector {
	return metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}
}

func metaCondition(conds []metav1.Condition, typ string) *metav1.Condition {
	return meta.FindStatusCondition(conds, typ)
}
