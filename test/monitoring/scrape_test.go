/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package monitoring

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// TestEveryMetricTheRulesAndDashboardReadIsServed builds the manager binary, runs it
// against a control plane with leader election, DNS (dnsmasq) and a feed server, lets
// it reconcile an allowlist, a Vendor with a feed and a feed that fails, and scrapes
// /metrics: every metric an alert or a panel reads must be there. A metric renamed in
// the manager, or misspelt in a rule, fails it.
func TestEveryMetricTheRulesAndDashboardReadIsServed(t *testing.T) {
	logf.SetLogger(logr.Discard()) // the manager logs to its own file
	used := usedMetrics(parseAll(t))

	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	k8s, err := client.New(env.Config, client.Options{Scheme: testenv.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ns := testenv.NewNamespace(t, k8s, "monitoring")
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, env.KubeConfig, 0o600); err != nil {
		t.Fatal(err)
	}
	dns := testdns.Start(t, testdns.WithHost("api.acme.test", "198.51.100.7", "198.51.100.8"))
	feed := startFeed(t, dir)
	metricsAddr := freeLoopbackAddr(t)

	bin := filepath.Join(dir, "manager")
	if out, err := goBuild(bin); err != nil {
		t.Fatalf("go build ./cmd: %v\n%s", err, out)
	}
	stop := startManager(t, bin, kubeconfig, dir,
		"--leader-elect=true", "--leader-election-namespace="+ns,
		"--metrics-bind-address="+metricsAddr, "--health-probe-bind-address=0",
		"--dns-server="+dns.Addr(), "--watch-namespaces="+ns,
		"--feeds=url", "--feed-namespace="+ns, "--feed-interval=2s", "--feed-ca-bundle="+feed.caBundle,
		"--guard-allow-cidr=127.0.0.1/32", "--guard-allow-cidr=198.51.100.0/24", "--guard-allow-cidr=203.0.113.0/24")
	defer stop()

	ctx := context.Background()
	vendor := &v1alpha1.Vendor{
		ObjectMeta: metav1.ObjectMeta{Name: "acme-" + ns},
		Spec: v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{
			{Name: "api", Direction: v1alpha1.DirectionEgress, Ports: []v1alpha1.Port{{Port: 443}},
				Feed: &v1alpha1.AddressFeed{URL: feed.URL + "/ips.txt", Format: v1alpha1.FeedFormatText}},
			// A feed that answers 404: the fetch errors are counted by reason.
			{Name: "hooks", Direction: v1alpha1.DirectionEgress, Ports: []v1alpha1.Port{{Port: 443}},
				Feed: &v1alpha1.AddressFeed{URL: feed.URL + "/missing.txt", Format: v1alpha1.FeedFormatText}},
		}},
	}
	if err := k8s.Create(ctx, vendor); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), vendor) })
	allowlist := &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "payments"},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "payments"}},
			Vendors:     []v1alpha1.VendorSelection{{Name: v1alpha1.ObjectName(vendor.Name), Endpoints: []v1alpha1.ObjectName{"api"}}},
			Custom: []v1alpha1.CustomEntry{{Name: "acme-api", Direction: v1alpha1.DirectionEgress,
				Hostnames: []v1alpha1.Hostname{"api.acme.test"}, Ports: []v1alpha1.Port{{Port: 443}}},
				// A name DNS does not know (NXDOMAIN): its failures are counted by hostname.
				{Name: "retired", Direction: v1alpha1.DirectionEgress,
					Hostnames: []v1alpha1.Hostname{"retired.acme.test"}, Ports: []v1alpha1.Port{{Port: 443}}}},
		},
	}
	if err := k8s.Create(ctx, allowlist); err != nil {
		t.Fatal(err)
	}

	g := NewWithT(t)
	g.Eventually(func(g Gomega) {
		var a v1alpha1.VendorAllowlist
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(allowlist), &a)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(a.Status.Conditions, v1alpha1.ConditionReady)).To(BeTrue(), "Ready: %v", a.Status.Conditions)
	}, 60*time.Second, 250*time.Millisecond).Should(Succeed(), "the manager reconciles the allowlist")

	g.Eventually(func(g Gomega) {
		families := scrape(g, "http://"+metricsAddr+"/metrics")
		g.Expect(missing(used, sampleNames(families))).To(BeEmpty())
		ready, ok := gauge(families, "vendorallowlist_allowlist_ready", map[string]string{"allowlist_namespace": ns, "allowlist": "payments", "reason": v1alpha1.ReasonReconciled})
		g.Expect(ok).To(BeTrue(), "the allowlist's Ready gauge is served")
		g.Expect(ready).To(Equal(1.0))
	}, 30*time.Second, time.Second).Should(Succeed(), "every metric the rules and the dashboard read is served, the allowlist's state among them")
	t.Logf("the manager serves all %d metrics the rules and the dashboard read", len(used))
}

func missing(used, served map[string]bool) []string {
	var out []string
	for m := range used {
		if !served[m] {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}

// scrape reads /metrics as Prometheus does (its Accept header) and parses it as
// Prometheus's text parser does, which refuses a malformed line or a family given twice.
func scrape(g Gomega, url string) map[string]*dto.MetricFamily {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	g.Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2")
	resp, err := http.DefaultClient.Do(req)
	g.Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	g.Expect(err).NotTo(HaveOccurred())
	return families
}

// sampleNames are the names of the samples the families hold, as a query names them
// (a histogram's _bucket, _sum and _count).
func sampleNames(families map[string]*dto.MetricFamily) map[string]bool {
	names := map[string]bool{}
	for name, f := range families {
		names[name] = true
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM:
			names[name+"_bucket"], names[name+"_sum"], names[name+"_count"] = true, true, true
		case dto.MetricType_SUMMARY:
			names[name+"_sum"], names[name+"_count"] = true, true
		}
	}
	return names
}

// gauge is the value of the family's series with exactly these labels.
func gauge(families map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	for _, m := range families[name].GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if maps.Equal(got, labels) {
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

func goBuild(bin string) ([]byte, error) {
	cmd := exec.Command("go", "build", "-o", bin, "./cmd")
	cmd.Dir = repoRoot
	return cmd.CombinedOutput()
}

// startManager runs the manager binary; the returned func stops it (SIGTERM, then
// SIGKILL) and prints its log's end if the test failed.
func startManager(t *testing.T, bin, kubeconfig, dir string, args ...string) func() {
	t.Helper()
	logPath := filepath.Join(dir, "manager.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	return func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		_ = logFile.Close()
		if t.Failed() {
			t.Logf("manager log (end):\n%s", testenv.LogTail(logPath, 40))
		}
	}
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

type feedServer struct {
	*httptest.Server
	caBundle string
}

// startFeed serves a text feed at /ips.txt over TLS on loopback, 404 elsewhere, and
// writes its certificate as the CA bundle the manager trusts.
func startFeed(t *testing.T, dir string) *feedServer {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ips.txt" {
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, "203.0.113.0/28\n203.0.113.32/28\n")
	}))
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	path := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &feedServer{Server: srv, caBundle: path}
}
