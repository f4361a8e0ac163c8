/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package monitoring

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

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
		g.Expect(missing(used, scrape(g, "http://"+metricsAddr+"/metrics"))).To(BeEmpty())
	}, 30*time.Second, time.Second).Should(Succeed(), "every metric the rules and the dashboard read is served")
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

// scrape reads the names of the samples in Prometheus' text format.
func scrape(g Gomega, url string) map[string]bool {
	resp, err := http.Get(url)
	g.Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	names := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if i := strings.IndexAny(l, "{ "); i > 0 {
			names[l[:i]] = true
		}
	}
	g.Expect(sc.Err()).NotTo(HaveOccurred())
	return names
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
