/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package fqdn checks the operator's egress backends end to end: the real manager
// (manager.New, as the binary builds it), a real kube-apiserver and etcd (envtest)
// with each dataplane project's own CRD, read from its published module at a pinned
// version (test/framework/thirdpartycrds: Cilium's CiliumNetworkPolicy,
// network-policy-api's ClusterNetworkPolicy, GKE's FQDNNetworkPolicy), and a real DNS
// server (dnsmasq on loopback): which backend --egress-backend=auto picks, the
// backend's objects written from config/samples/workato.yaml, owned, updated,
// pruned, never written over someone else's, and a switch of backend that never
// leaves a hostname unallowed. OVN-Kubernetes' EgressFirewall CRD cannot be had
// here: its test installs a stand-in CRD of its own (ovn_test.go).
//
// Every assertion reads the API server directly. envtest runs no garbage collector:
// a namespaced object's deletion with its allowlist is shown by its controller
// reference, which is what the garbage collector follows.
package fqdn

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
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
	env *testenv.Env
	k8s client.Client
)

// nameCRDs are the dataplanes' CRDs that can be had here.
var nameCRDs = []thirdpartycrds.Source{thirdpartycrds.Cilium, thirdpartycrds.ClusterNetworkPolicy, thirdpartycrds.GKEFQDNNetworkPolicy}

func TestMain(m *testing.M) {
	crds, err := thirdpartycrds.Load(nameCRDs...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	testenv.Main(m, func(e *testenv.Env, c client.Client) { env, k8s = e, c }, testenv.WithCRDs(crds...))
}

func newNamespace(t *testing.T, prefix string) string { return testenv.NewNamespace(t, k8s, prefix) }

// The DNS answers of the sample's hostnames (Workato's OPA gateways, US).
var gatewayAnswers = map[string]string{
	"sg1.workato.com": "198.51.100.11",
	"sg2.workato.com": "198.51.100.12",
	"sg.workato.com":  "198.51.100.13",
}

// partnerHost is the custom egress hostname tests add to the sample.
const (
	partnerHost    = "api.partner.example.com"
	partnerAddress = "203.0.113.20"
)

func startDNS(t *testing.T) *testdns.Server {
	t.Helper()
	opts := []testdns.Option{testdns.WithHost(partnerHost, partnerAddress)}
	for name, addr := range gatewayAnswers {
		opts = append(opts, testdns.WithHost(name, addr))
	}
	return testdns.Start(t, opts...)
}

// managerOptions are a manager's with backend, asking srv; namespaces empty: all
// (ClusterNetworkPolicy is not used with --watch-namespaces).
func managerOptions(srv *testdns.Server, backend render.EgressBackend, namespaces ...string) manager.Options {
	return manager.Options{
		WatchNamespaces: namespaces,
		DNSServers:      []string{srv.Addr()},
		DNSTimeout:      time.Second,
		DNS:             dnscache.Options{MinRefresh: time.Second, MaxRefresh: 2 * time.Second, Retention: time.Hour},
		Settings:        renderflags.Settings{GuardAllow: testenv.DocumentationRanges, Limits: tenancy.Defaults()},
		Workers:         2,
		EgressBackend:   backend,
	}
}

func startManager(t *testing.T, cfg *rest.Config, srv *testdns.Server, backend render.EgressBackend, namespaces ...string) *testmanager.Running {
	t.Helper()
	return testmanager.Start(t, cfg, managerOptions(srv, backend, namespaces...))
}

// sample is workato-opa of config/samples/workato.yaml, in ns: Workato's OPA
// gateways, by hostname, on TCP 443.
func sample(t *testing.T, ns string) *v1alpha1.VendorAllowlist {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "samples", "workato.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var a v1alpha1.VendorAllowlist
		if err := dec.Decode(&a); err != nil {
			t.Fatalf("no workato-opa in config/samples/workato.yaml: %v", err)
		}
		if a.Name == "workato-opa" {
			a.Namespace = ns
			return &a
		}
	}
}

// withPartner adds a custom egress entry naming partnerHost on TCP 443.
func withPartner(a *v1alpha1.VendorAllowlist) {
	a.Spec.Custom = append(a.Spec.Custom, v1alpha1.CustomEntry{
		Name: "partner", Direction: v1alpha1.DirectionEgress,
		Hostnames: []v1alpha1.Hostname{partnerHost},
		Ports:     []v1alpha1.Port{{Protocol: v1alpha1.ProtocolTCP, Port: 443}},
	})
}

func create(t *testing.T, a *v1alpha1.VendorAllowlist) types.NamespacedName {
	t.Helper()
	if err := k8s.Create(context.Background(), a); err != nil {
		t.Fatalf("creating VendorAllowlist %s/%s: %v", a.Namespace, a.Name, err)
	}
	key := client.ObjectKeyFromObject(a)
	// A later test's manager watches every namespace: leave it nothing to do here.
	t.Cleanup(func() {
		_ = client.IgnoreNotFound(k8s.Delete(context.Background(), &v1alpha1.VendorAllowlist{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}))
	})
	return key
}

// update changes the allowlist with change, retrying on a conflict.
func update(t *testing.T, key types.NamespacedName, change func(*v1alpha1.VendorAllowlist)) {
	t.Helper()
	updateOn(t, k8s, key, change)
}

// updateOn is update through c.
func updateOn(t *testing.T, c client.Client, key types.NamespacedName, change func(*v1alpha1.VendorAllowlist)) {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		var a v1alpha1.VendorAllowlist
		if err := c.Get(context.Background(), key, &a); err != nil {
			return err
		}
		change(&a)
		return c.Update(context.Background(), &a)
	}, timeout, poll).Should(Succeed())
}

func getAllowlist(g Gomega, c client.Client, key types.NamespacedName) *v1alpha1.VendorAllowlist {
	var a v1alpha1.VendorAllowlist
	g.Expect(c.Get(context.Background(), key, &a)).To(Succeed())
	return &a
}

// waitReady waits until the allowlist's current generation has Ready with status
// and reason, and returns the allowlist.
func waitReady(t *testing.T, c client.Client, key types.NamespacedName, status metav1.ConditionStatus, reason string) *v1alpha1.VendorAllowlist {
	t.Helper()
	var got *v1alpha1.VendorAllowlist
	NewWithT(t).Eventually(func(g Gomega) {
		a := getAllowlist(g, c, key)
		cond := meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady)
		g.Expect(cond).NotTo(BeNil(), "no Ready condition yet")
		g.Expect(cond.ObservedGeneration).To(Equal(a.Generation))
		g.Expect(cond.Status).To(Equal(status), "Ready: %s %s", cond.Reason, cond.Message)
		g.Expect(cond.Reason).To(Equal(reason), "Ready: %s %s", cond.Reason, cond.Message)
		got = a
	}, timeout, poll).Should(Succeed())
	return got
}

// egressRule is the allowlist's status.egress entry of rule.
func egressRule(a *v1alpha1.VendorAllowlist, rule string) (v1alpha1.EgressRuleStatus, bool) {
	for _, r := range a.Status.Egress {
		if r.Rule == rule {
			return r, true
		}
	}
	return v1alpha1.EgressRuleStatus{}, false
}

func object(gvk schema.GroupVersionKind, key types.NamespacedName) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	u.SetNamespace(key.Namespace)
	u.SetName(key.Name)
	return u
}

// getObject reads an object of gvk; nil when there is none.
func getObject(g Gomega, c client.Client, gvk schema.GroupVersionKind, key types.NamespacedName) *unstructured.Unstructured {
	u := object(gvk, types.NamespacedName{})
	err := c.Get(context.Background(), key, u)
	if client.IgnoreNotFound(err) != nil {
		g.Expect(err).NotTo(HaveOccurred())
	}
	if err != nil {
		return nil
	}
	return u
}

// ciliumNames are the names a CiliumNetworkPolicy's toFQDNs allow, matchName and
// matchPattern alike.
func ciliumNames(u *unstructured.Unstructured) []string {
	var out []string
	rules, _, _ := unstructured.NestedSlice(u.Object, "spec", "egress")
	for _, r := range rules {
		fqdns, _, _ := unstructured.NestedSlice(r.(map[string]any), "toFQDNs")
		for _, f := range fqdns {
			for _, k := range []string{"matchName", "matchPattern"} {
				if n, ok := f.(map[string]any)[k].(string); ok {
					out = append(out, n)
				}
			}
		}
	}
	return out
}

// egressPolicy is the allowlist's egress NetworkPolicy; nil when there is none.
func egressPolicy(g Gomega, c client.Client, key types.NamespacedName) *networkingv1.NetworkPolicy {
	var np networkingv1.NetworkPolicy
	err := c.Get(context.Background(), types.NamespacedName{Namespace: key.Namespace, Name: render.PolicyName(key.Name, v1alpha1.DirectionEgress)}, &np)
	if client.IgnoreNotFound(err) != nil {
		g.Expect(err).NotTo(HaveOccurred())
	}
	if err != nil {
		return nil
	}
	return &np
}

// controlledBy says whether o's controller reference is the allowlist, as the
// garbage collector reads it.
func controlledBy(g Gomega, o metav1.Object, a *v1alpha1.VendorAllowlist) {
	ref := metav1.GetControllerOf(o)
	g.Expect(ref).NotTo(BeNil(), "%s has no controller reference", o.GetName())
	g.Expect(ref.Kind).To(Equal("VendorAllowlist"))
	g.Expect(ref.Name).To(Equal(a.Name))
	g.Expect(ref.UID).To(Equal(a.UID))
	g.Expect(ref.BlockOwnerDeletion).To(HaveValue(BeTrue()))
}

// runtimeConvert converts unstructured content into a typed value.
func runtimeConvert(in any, out any) error {
	m, ok := in.(map[string]any)
	if !ok {
		return fmt.Errorf("not an object: %v", in)
	}
	return runtime.DefaultUnstructuredConverter.FromUnstructured(m, out)
}
