/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package statemetrics

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/scheme"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// prometheusAccept is what Prometheus 3 asks a target for: OpenMetrics first, which
// a registry answers with unless told otherwise.
const prometheusAccept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"

// serve is the metrics endpoint as the manager builds it: controller-runtime's
// registry handler, wrapped by the exposition's filter.
func serve(t *testing.T, e *Exposition, reg *prometheus.Registry) *httptest.Server {
	t.Helper()
	h, err := e.Filter(logr.Discard(), promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// get scrapes url as Prometheus does (its Accept header, gzip accepted).
func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", prometheusAccept)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// parse reads the text format as Prometheus does, which refuses a family given twice
// or a malformed line.
func parse(t *testing.T, body []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	families, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the response is not valid text format: %v\n%s", err, body)
	}
	return families
}

// values are a family's samples by their label values joined with "/".
func values(f *dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	if f == nil {
		return out
	}
	for _, m := range f.Metric {
		var lv []string
		for _, l := range m.Label {
			lv = append(lv, l.GetName()+"="+l.GetValue())
		}
		slices.Sort(lv)
		out[strings.Join(lv, "/")] = m.GetGauge().GetValue()
	}
	return out
}

func fixture() []client.Object {
	held := allowlist("held", 2, ready("False", v1alpha1.ReasonVendorChangeHeld, 2),
		v1alpha1.IngressTargetStatus{Kind: "Service", Name: "web", Reason: v1alpha1.TargetReasonConflict})
	held.Status.Policies = []v1alpha1.RenderedPolicy{{Name: "p1", Direction: v1alpha1.DirectionEgress}, {Name: "p2", Direction: v1alpha1.DirectionEgress}}
	v := &v1alpha1.Vendor{ObjectMeta: metav1.ObjectMeta{Name: "acme"}}
	v.Status.Feeds = []v1alpha1.FeedStatus{{Group: "hooks", Reason: v1alpha1.ReasonFeedCurrent}}
	return []client.Object{allowlist("ok", 1, ready("True", v1alpha1.ReasonReconciled, 1)), held, v}
}

// The leader's /metrics is the registry's metrics and the status gauges, in one
// valid text-format response, whatever format the scrape preferred.
func TestTheLeaderServesTheGaugesAfterTheRegistrysMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	lookups := prometheus.NewCounter(prometheus.CounterOpts{Name: "vendorallowlist_dns_lookups_total", Help: "lookups"})
	reg.MustRegister(lookups)
	lookups.Add(3)
	elected := make(chan struct{})
	reader := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(fixture()...).Build()
	srv := serve(t, &Exposition{Reader: reader, Elected: elected, Timeout: 5 * time.Second}, reg)

	resp, body := get(t, srv.URL)
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("a replica that does not lead answers as the registry would, compressed; got Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	} else if plain := gunzip(t, body); strings.Contains(string(plain), "vendorallowlist_allowlist_ready") || !strings.Contains(string(plain), "vendorallowlist_dns_lookups_total 3") {
		t.Errorf("a replica that does not lead serves the status gauges, or not the registry's metrics:\n%s", plain)
	}

	close(elected)
	resp, body = get(t, srv.URL)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("status %d, Content-Type %q, Content-Encoding %q; want 200, uncompressed text format", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Encoding"))
	}
	families := parse(t, body)
	if got := families["vendorallowlist_dns_lookups_total"].GetMetric()[0].GetCounter().GetValue(); got != 3 {
		t.Errorf("the registry's counter = %v, want 3", got)
	}
	want := map[string]map[string]float64{
		"vendorallowlist_allowlist_ready": {
			"allowlist=held/allowlist_namespace=shop/reason=VendorChangeHeld": 0,
			"allowlist=ok/allowlist_namespace=shop/reason=Reconciled":         1,
		},
		"vendorallowlist_allowlist_networkpolicies":          {"allowlist=held/allowlist_namespace=shop": 2, "allowlist=ok/allowlist_namespace=shop": 0},
		"vendorallowlist_allowlist_ingress_targets_conflict": {"allowlist=held/allowlist_namespace=shop": 1, "allowlist=ok/allowlist_namespace=shop": 0},
		"vendorallowlist_vendor_change_held":                 {"vendor=acme": 0},
		"vendorallowlist_vendor_feeds": {
			"reason=FeedCurrent/vendor=acme": 1, "reason=FeedNotEnabled/vendor=acme": 0, "reason=FeedPending/vendor=acme": 0,
			"reason=FeedStale/vendor=acme": 0, "reason=FeedHeld/vendor=acme": 0, "reason=FeedInvalid/vendor=acme": 0,
		},
	}
	for name, w := range want {
		f := families[name]
		if f.GetType() != dto.MetricType_GAUGE || f.GetHelp() == "" {
			t.Errorf("%s: type %v, help %q; want a gauge with help", name, f.GetType(), f.GetHelp())
		}
		got := values(f)
		for k, v := range w {
			if g, ok := got[k]; !ok || g != v {
				t.Errorf("%s{%s} = %v (served %v), want %v", name, k, g, ok, v)
			}
		}
		if len(got) != len(w) {
			t.Errorf("%s: %v, want %v", name, got, w)
		}
	}
}

// A reason is the operator's word, but the format is kept whatever a status holds.
func TestLabelValuesAreEscaped(t *testing.T) {
	odd := "Odd\"quote\\back\nline"
	reader := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(allowlist("a", 1, ready("False", odd, 1))).Build()
	var out bytes.Buffer
	if err := (&Exposition{Reader: reader, Timeout: 5 * time.Second}).WriteText(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	m := parse(t, out.Bytes())["vendorallowlist_allowlist_ready"].GetMetric()
	if len(m) != 1 || m[0].Label[2].GetValue() != odd {
		t.Errorf("served %v, want reason %q", m, odd)
	}
}

// A registry that fails answers with its error alone; a kind that cannot be read
// leaves its gauges out (no zeros that would resolve an alert) and the rest served.
func TestFailuresServeNothingFalse(t *testing.T) {
	elected := make(chan struct{})
	close(elected)
	reader := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(fixture()...).Build()
	broken := prometheus.NewRegistry()
	broken.MustRegister(failing{prometheus.NewDesc("broken", "a collector that fails", nil, nil)})
	resp, body := get(t, serve(t, &Exposition{Reader: reader, Elected: elected, Timeout: 5 * time.Second}, broken).URL)
	if resp.StatusCode != http.StatusInternalServerError || strings.Contains(string(body), "vendorallowlist_") {
		t.Errorf("a failing registry: status %d, body:\n%s\nwant 500 and its error alone", resp.StatusCode, body)
	}

	noAllowlists := interceptor.NewClient(reader.(client.WithWatch), interceptor.Funcs{
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			if _, ok := list.(*v1alpha1.VendorAllowlistList); ok {
				return errors.New("cache unavailable")
			}
			return c.List(ctx, list, opts...)
		},
	})
	var out bytes.Buffer
	err := (&Exposition{Reader: noAllowlists, Timeout: 5 * time.Second}).WriteText(context.Background(), &out)
	if err == nil || !strings.Contains(err.Error(), "listing VendorAllowlists: cache unavailable") {
		t.Errorf("error %v, want the failed list named", err)
	}
	families := parse(t, out.Bytes())
	if _, ok := families["vendorallowlist_allowlist_ready"]; ok || families["vendorallowlist_vendor_change_held"] == nil {
		t.Errorf("served %v; want the Vendor gauges and no allowlist gauges", families)
	}
}

type failing struct{ desc *prometheus.Desc }

func (f failing) Describe(ch chan<- *prometheus.Desc) { ch <- f.desc }
func (f failing) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.NewInvalidMetric(f.desc, errors.New("collector failed"))
}

// The manager's cache is read from its informers' stores, as the objects are, sorted.
func TestGaugesFromTheManagersCache(t *testing.T) {
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	c, err := client.New(env.Config, client.Options{Scheme: testenv.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var names []string
	for _, ns := range []string{testenv.NewNamespace(t, c, "b"), testenv.NewNamespace(t, c, "a")} {
		for _, name := range []string{"second", "first"} {
			a := &v1alpha1.VendorAllowlist{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
				Spec: v1alpha1.VendorAllowlistSpec{Custom: []v1alpha1.CustomEntry{{Name: "x", Direction: v1alpha1.DirectionEgress,
					CIDRs: []v1alpha1.CIDR{"203.0.113.0/24"}, Ports: []v1alpha1.Port{{Port: 443}}}}}}
			if err := c.Create(ctx, a); err != nil {
				t.Fatal(err)
			}
			a.Status.Policies = []v1alpha1.RenderedPolicy{{Name: "p", Direction: v1alpha1.DirectionEgress}}
			if err := c.Status().Update(ctx, a); err != nil {
				t.Fatal(err)
			}
			names = append(names, ns+"/"+name)
		}
	}
	cc, err := cache.New(env.Config, cache.Options{Scheme: testenv.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	e := &Exposition{Reader: cc, Timeout: 30 * time.Second}
	if err := e.WriteText(ctx, &out); err == nil || !strings.Contains(err.Error(), "has not synced") {
		t.Errorf("before the cache synced: %v, want it said", err)
	}
	if strings.Contains(out.String(), "vendorallowlist_allowlist_") {
		t.Errorf("before the cache synced, served:\n%s", out.String())
	}
	go func() { _ = cc.Start(ctx) }()
	if !cc.WaitForCacheSync(ctx) {
		t.Fatal("cache did not sync")
	}
	out.Reset()
	if err := e.WriteText(ctx, &out); err != nil {
		t.Fatal(err)
	}
	var served []string
	for _, m := range parse(t, out.Bytes())["vendorallowlist_allowlist_networkpolicies"].GetMetric() {
		if m.GetGauge().GetValue() != 1 {
			t.Errorf("%v: want 1 policy", m)
		}
		served = append(served, m.Label[0].GetValue()+"/"+m.Label[1].GetValue())
	}
	slices.Sort(names)
	if !slices.Equal(served, names) {
		t.Errorf("served %v, want %v in this order", served, names)
	}
}
