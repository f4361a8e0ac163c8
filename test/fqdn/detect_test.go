/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fqdn

import (
	"context"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/manager"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/thirdpartycrds"
)

// --egress-backend=auto, on a control plane of its own that starts with none of the
// dataplanes' CRDs, which the test then installs one by one, each preferred to the
// ones before (ClusterNetworkPolicy, then GKE, then Cilium): a manager started after
// each install picks the backend of the kind the cluster serves that it prefers,
// and the sample's status.egress says so; with none, networkpolicy. A backend named
// explicitly whose kind is not served stops the manager with an error naming the
// flag and the fix.
func TestAutoDetection(t *testing.T) {
	g := NewWithT(t)
	own, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = own.Stop() })
	c, err := client.New(own.Config, client.Options{Scheme: testenv.Scheme()})
	g.Expect(err).NotTo(HaveOccurred())
	srv := startDNS(t)

	detected := func(step string) string {
		ns := testenv.NewNamespace(t, c, "fqdn-detect-"+step)
		running := startManager(t, own.Config, srv, render.BackendAuto)
		key := client.ObjectKeyFromObject(sample(t, ns))
		g.Expect(c.Create(context.Background(), sample(t, ns))).To(Succeed())
		a := waitReady(t, c, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
		running.Stop()
		st, ok := egressRule(a, "workato/opa-gateways")
		g.Expect(ok).To(BeTrue(), "status.egress: %+v", a.Status.Egress)
		return st.Backend
	}

	g.Expect(detected("none")).To(Equal("networkpolicy"))
	_, err = manager.New(own.Config, manager.Options{EgressBackend: render.BackendCilium, MetricsRegistry: prometheus.NewRegistry(), SkipControllerNameValidation: true})
	g.Expect(err).To(MatchError(And(
		ContainSubstring("--egress-backend=cilium"),
		ContainSubstring("does not serve cilium.io/v2 CiliumNetworkPolicy"),
		ContainSubstring("--egress-backend=auto"))))

	for _, step := range []struct {
		crd  thirdpartycrds.Source
		want string
	}{
		{thirdpartycrds.ClusterNetworkPolicy, "clusternetworkpolicy"},
		{thirdpartycrds.GKEFQDNNetworkPolicy, "gke"},
		{thirdpartycrds.Cilium, "cilium"},
	} {
		crds, err := thirdpartycrds.Load(step.crd)
		g.Expect(err).NotTo(HaveOccurred())
		_, err = envtest.InstallCRDs(own.Config, envtest.CRDInstallOptions{CRDs: crds})
		g.Expect(err).NotTo(HaveOccurred(), "installing %s's CRD", step.crd.Project)
		g.Expect(detected(step.want)).To(Equal(step.want), "with %s's CRD installed", step.crd.Project)
	}

	t.Log("with --watch-namespaces, the cluster-scoped ClusterNetworkPolicy is refused by name")
	_, err = manager.New(own.Config, manager.Options{EgressBackend: render.BackendClusterNetworkPolicy, WatchNamespaces: []string{"x"}, MetricsRegistry: prometheus.NewRegistry(), SkipControllerNameValidation: true})
	g.Expect(err).To(MatchError(ContainSubstring("--egress-backend=clusternetworkpolicy: ClusterNetworkPolicy is cluster-scoped")))
	g.Expect(strings.Contains(err.Error(), "watchNamespaces")).To(BeTrue(), err.Error())
}
