/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dataplane

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/dataplanetest"
)

// Each LoadBalancer Service of the suite has an address of its own: kube-proxy keeps
// the rules of earlier tests' Services, whose namespaces stay.
var (
	serviceTargetLB = netip.MustParseAddr("203.0.113.201")
	traefikLB       = netip.MustParseAddr("203.0.113.202")
)

// targetsOnly opens docsaas's inbound addresses to the pods labelled app=app on port,
// with no ingress NetworkPolicy: the targets alone check the addresses.
func targetsOnly(ns, name, app string, port int32, targets ...v1alpha1.IngressTarget) *v1alpha1.VendorAllowlist {
	a := ingressAllowlist(ns, name, app, port)
	a.Spec.IngressNetworkPolicy = v1alpha1.IngressNetworkPolicyDisabled
	a.Spec.IngressTargets = targets
	return a
}

// loadBalancer creates a LoadBalancer Service with externalTrafficPolicy Local in
// front of the pods, its EndpointSlice, and its address, as a cloud would.
func loadBalancer(t *testing.T, ns, name string, lb netip.Addr, port, targetPort int32, pods ...*dataplanetest.Pod) *corev1.Service {
	t.Helper()
	ctx := context.Background()
	svc := &corev1.Service{
		// Its owner consents to the allowlists of its namespace setting its ranges.
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{v1alpha1.AllowAllowlistsAnnotation: "*"}},
		Spec: corev1.ServiceSpec{
			Type:                  corev1.ServiceTypeLoadBalancer,
			ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
			Selector:              map[string]string{"app": name},
			Ports:                 []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: port, TargetPort: intstr.FromInt32(targetPort)}},
		},
	}
	if err := dp.CreateService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	if err := dp.WriteEndpointSlice(ctx, svc, pods...); err != nil {
		t.Fatal(err)
	}
	if err := dp.SetLoadBalancerIngress(ctx, svc, lb); err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestServiceTargetOnPackets: with a Service target and no ingress NetworkPolicy, the
// load balancer's own check (kube-proxy's, from spec.loadBalancerSourceRanges) lets the
// vendor through the LoadBalancer address, seen as itself, and drops another host;
// the pod itself stays open to both, so it is that check alone.
func TestServiceTargetOnPackets(t *testing.T) {
	requireDataplane(t)
	ns := newNamespace(t, "svc-target")
	web := dp.NewPod(t, ns, "web", map[string]string{"app": "web"}, 8080)
	vendor := dp.NewHost(t, "svct-vendor", []netip.Addr{vendorIP})
	stranger := dp.NewHost(t, "svct-stranger", []netip.Addr{strangerIP})
	startManager(t, ns, dataplanetest.ManagerConfig{IngressTargets: "service"})
	loadBalancer(t, ns, "web", serviceTargetLB, 80, 8080, web)

	dataplanetest.AwaitReach(t, settle, "through the load balancer, before the allowlist",
		allowedAs(vendor, serviceTargetLB, 80, vendorIP),
		allowedAs(stranger, serviceTargetLB, 80, strangerIP),
	)
	before := loadBalancerCheck(t, serviceTargetLB)

	created := create(t, targetsOnly(ns, "docsaas-lb", "web", 8080, v1alpha1.IngressTarget{Service: &v1alpha1.ServiceTarget{Name: "web"}}))
	took := dataplanetest.AwaitReach(t, settle, "through the load balancer, with the Service target",
		allowedAs(vendor, serviceTargetLB, 80, vendorIP),
		denied(stranger, serviceTargetLB, 80),
		// No NetworkPolicy: the pod itself takes both.
		allowedAs(stranger, web.IP(), 8080, strangerIP),
		allowedAs(vendor, web.IP(), 8080, vendorIP),
	)
	t.Logf("allowlist created to the load balancer's check on packets: %v (%v of it after Ready)", time.Since(created).Round(time.Millisecond), took.Round(time.Millisecond))
	if nps := policies(t, ns, "docsaas-lb"); len(nps) != 0 {
		t.Errorf("ingressNetworkPolicy: Disabled, and the allowlist has %d NetworkPolicies", len(nps))
	}
	var svc corev1.Service
	if err := k8s.Get(context.Background(), clientKey(ns, "web"), &svc); err != nil {
		t.Fatal(err)
	}
	if want := []string{"203.0.113.10/32", "203.0.113.11/32", "203.0.113.12/32"}; !equalStrings(svc.Spec.LoadBalancerSourceRanges, want) {
		t.Errorf("loadBalancerSourceRanges %v, want %v", svc.Spec.LoadBalancerSourceRanges, want)
	}
	// kube-proxy decided: its load balancer chain let the vendor's connections on to
	// the Service and counted the stranger's as traffic it does not accept (which then
	// has nowhere to go: the load balancer's address is on no interface).
	after := loadBalancerCheck(t, serviceTargetLB)
	if after.accepted[vendorIP] <= before.accepted[vendorIP] || after.refused <= before.refused {
		t.Errorf("kube-proxy's load balancer chain for %s: vendor accepted %d then %d, others refused %d then %d; want both to grow", serviceTargetLB,
			before.accepted[vendorIP], after.accepted[vendorIP], before.refused, after.refused)
	}
	t.Logf("kube-proxy's load balancer chain for %s: %d connections of the vendor accepted, %d of others refused", serviceTargetLB,
		after.accepted[vendorIP]-before.accepted[vendorIP], after.refused-before.refused)
}

// lbCounts are the packet counters of kube-proxy's load balancer chain (KUBE-FW-*, nat
// table, which sees the first packet of each connection) for one address.
type lbCounts struct {
	accepted map[netip.Addr]int // by source range
	refused  int                // "other traffic ... will be dropped"
}

var savedRule = regexp.MustCompile(`^\[(\d+):\d+\] -A (\S+) (.*)$`)

// loadBalancerCheck reads kube-proxy's load balancer chain for lb from the node's nat
// table, with its counters.
func loadBalancerCheck(t *testing.T, lb netip.Addr) lbCounts {
	t.Helper()
	out, err := dp.Node.Netns().Run("iptables-save", "-c", "-t", "nat")
	if err != nil {
		t.Fatalf("iptables-save in the node: %v\n%s", err, out)
	}
	lines := strings.Split(out, "\n")
	chain := ""
	for _, l := range lines {
		if m := savedRule.FindStringSubmatch(l); m != nil && m[2] == "KUBE-SERVICES" && strings.Contains(m[3], "-d "+lb.String()+"/32") {
			if i := strings.Index(m[3], "-j KUBE-FW-"); i >= 0 {
				chain = strings.TrimPrefix(m[3][i:], "-j ")
			}
		}
	}
	c := lbCounts{accepted: map[netip.Addr]int{}}
	if chain == "" {
		return c // no source ranges (yet)
	}
	for _, l := range lines {
		m := savedRule.FindStringSubmatch(l)
		if m == nil || m[2] != chain {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		f := strings.Fields(m[3])
		switch {
		case len(f) > 1 && f[0] == "-s":
			if p, err := netip.ParsePrefix(f[1]); err == nil {
				c.accepted[p.Addr()] += n
			}
		case strings.Contains(m[3], "will be dropped"):
			c.refused += n
		}
	}
	return c
}

// TestTraefikTargetOnHTTP: a real Traefik, run in a pod with its Kubernetes CRD and
// Ingress providers against the API server, serves an Ingress behind a LoadBalancer
// with externalTrafficPolicy Local. With a Traefik target on that Ingress (and no
// ingress NetworkPolicy), the vendor's requests get through the route, the backend
// seeing the vendor as the client, and another host's get 403 from Traefik.
func TestTraefikTargetOnHTTP(t *testing.T) {
	requireDataplane(t)
	ctx := context.Background()
	ns := newNamespace(t, "traefik-target")
	web := dp.NewPod(t, ns, "web", map[string]string{"app": "web"})
	serveHTTP(t, web, 8080)
	proxy := dp.NewPod(t, ns, "traefik", map[string]string{"app": "traefik"})
	vendor := dp.NewHost(t, "trf-vendor", []netip.Addr{vendorIP})
	stranger := dp.NewHost(t, "trf-stranger", []netip.Addr{strangerIP})

	backend := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "web"},
			Ports:    []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}
	if err := dp.CreateService(ctx, backend); err != nil {
		t.Fatal(err)
	}
	if err := dp.WriteEndpointSlice(ctx, backend, web); err != nil {
		t.Fatal(err)
	}
	loadBalancer(t, ns, "traefik", traefikLB, 80, 8000, proxy)
	ingress := &networkingv1.Ingress{
		// Its owner consents to the allowlists of its namespace attaching a Middleware.
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web", Annotations: map[string]string{v1alpha1.AllowAllowlistsAnnotation: "*"}},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Path: "/", PathType: ptr.To(networkingv1.PathTypePrefix),
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}},
			}}}},
		}}},
	}
	if err := k8s.Create(ctx, ingress); err != nil {
		t.Fatal(err)
	}

	kubeconfig, err := dp.KubeconfigIn(proxy.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	dp.NewProcessEnv(t, proxy.Endpoint, "traefik", []string{"KUBECONFIG=" + kubeconfig}, filepath.Join(dp.Assets(), "traefik"),
		"--entryPoints.web.address=:8000",
		"--providers.kubernetescrd=true",
		"--providers.kubernetescrd.namespaces="+ns,
		"--providers.kubernetesingress=true",
		"--providers.kubernetesingress.namespaces="+ns,
		"--global.checkNewVersion=false",
		"--global.sendAnonymousUsage=false",
		"--log.level=DEBUG",
	)
	startManager(t, ns, dataplanetest.ManagerConfig{IngressTargets: "traefik"})

	url := "http://" + traefikLB.String() + "/"
	start := time.Now()
	awaitHTTP(t, 60*time.Second, "Traefik serving the Ingress, before the allowlist",
		httpWant{vendor, url, http.StatusOK, vendorIP}, httpWant{stranger, url, http.StatusOK, strangerIP})
	t.Logf("Traefik served the route %v after it started", time.Since(start).Round(time.Millisecond))

	created := create(t, targetsOnly(ns, "docsaas-traefik", "web", 8080, v1alpha1.IngressTarget{Traefik: &v1alpha1.TraefikTarget{IngressName: "web"}}))
	awaitHTTP(t, settle, "through Traefik, with the Traefik target",
		httpWant{vendor, url, http.StatusOK, vendorIP}, httpWant{stranger, url, http.StatusForbidden, netip.Addr{}})
	t.Logf("allowlist created to Traefik's 403 for the stranger: %v", time.Since(created).Round(time.Millisecond))
}

// serveHTTP runs an HTTP server in the pod that tells each client what it saw: the
// connection's source and X-Forwarded-For.
func serveHTTP(t *testing.T, p *dataplanetest.Pod, port uint16) {
	t.Helper()
	l, err := p.Listen(port)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s saw %s forwarded-for %s\n", p.Name, r.RemoteAddr, r.Header.Get("X-Forwarded-For"))
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
}

// httpWant is an HTTP GET from a host and what it should get: the status and, for a
// 200, the client address the backend saw forwarded.
type httpWant struct {
	from   *dataplanetest.Endpoint
	url    string
	status int
	client netip.Addr
}

func (h httpWant) check() string {
	resp, err := h.from.HTTPClient(2 * time.Second).Get(h.url)
	if err != nil {
		return fmt.Sprintf("%s GET %s: %v", h.from.Name, h.url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != h.status {
		return fmt.Sprintf("%s GET %s: %d %q, want %d", h.from.Name, h.url, resp.StatusCode, body, h.status)
	}
	if h.client.IsValid() && !strings.Contains(string(body), "forwarded-for "+h.client.String()) {
		return fmt.Sprintf("%s GET %s: the backend saw %q, want the client forwarded as %s", h.from.Name, h.url, body, h.client)
	}
	return ""
}

// awaitHTTP waits until every request gets what it wants, at once.
func awaitHTTP(t *testing.T, timeout time.Duration, what string, wants ...httpWant) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var failed []string
		for _, w := range wants {
			if msg := w.check(); msg != "" {
				failed = append(failed, msg)
			}
		}
		if len(failed) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v:\n  %s", what, timeout, strings.Join(failed, "\n  "))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func clientKey(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
