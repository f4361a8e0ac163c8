/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testca"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds/fetch"
)

const (
	feedsTestdata  = "../../internal/feeds/testdata"
	githubMetaURL  = "https://api.github.com/meta"
	stripeHooksURL = "https://stripe.com/files/ips/ips_webhooks.json"
	feedSamplesDir = "../../config/samples/feeds"
)

// noFetch makes any feed fetch of the plugin fail the test, for the test's duration.
func noFetch(t *testing.T) {
	old := newFeedFetcher
	newFeedFetcher = func(fetch.Options) (documentFetcher, error) { return failingFetcher{t}, nil }
	t.Cleanup(func() { newFeedFetcher = old })
}

type failingFetcher struct{ t *testing.T }

func (f failingFetcher) Fetch(_ context.Context, u string, _ fetch.Snapshot) fetch.Result {
	f.t.Errorf("fetched %s, which the test forbids", u)
	return fetch.Result{URL: u, Err: &fetch.Error{Kind: fetch.KindTransport, Err: io.EOF}}
}

// jsonList reads the list of strings at key of a saved feed document, the way a
// reader of the vendor's documentation would, without the plugin's code.
func jsonList(t *testing.T, file, key string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(feedsTestdata, file))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	if err := json.Unmarshal(doc[key], &out); err != nil {
		t.Fatalf("%s: %s: %v", file, key, err)
	}
	return out
}

// asCIDRs writes bare addresses as host networks, as policies carry them.
func asCIDRs(entries []string) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		switch {
		case strings.Contains(e, "/"):
			out[i] = e
		case strings.Contains(e, ":"):
			out[i] = e + "/128"
		default:
			out[i] = e + "/32"
		}
	}
	slices.Sort(out)
	return out
}

func sortedCIDRs(r rule) []string {
	out := slices.Clone(r.cidrs)
	slices.Sort(out)
	return out
}

// ingressRule is the one ingress rule of the policy name, which must be the output's
// only policy.
func ingressRule(t *testing.T, got map[string]networkingv1.NetworkPolicy, name string) rule {
	t.Helper()
	if !slices.Equal(names(got), []string{name}) {
		t.Fatalf("policies %v, want [%s]", names(got), name)
	}
	rs := rules(got[name])
	if len(rs) != 1 || len(got[name].Spec.Egress) != 0 {
		t.Fatalf("policy %s has rules %+v, want one ingress rule", name, rs)
	}
	return rs[0]
}

// TestRenderFeedSamplesFromSavedDocuments: the feed samples, rendered offline with
// saved copies of GitHub's meta document and Stripe's webhooks list, open exactly the
// networks the documents list for GitHub's hooks and Stripe's webhooks, on the port
// the sample names, and nothing is fetched and no DNS asked.
func TestRenderFeedSamplesFromSavedDocuments(t *testing.T) {
	noDNS(t)
	noFetch(t)
	cases := []struct {
		sample, url, file, key, policy string
		port                           string
	}{
		{"github-webhooks.yaml", githubMetaURL, "github-meta.json", "hooks", "ci-github-webhooks-ingress", "TCP/8080"},
		{"stripe-webhooks.yaml", stripeHooksURL, "stripe-webhooks.json", "WEBHOOKS", "payments-stripe-webhooks-ingress", "TCP/8443"},
	}
	for _, c := range cases {
		t.Run(c.sample, func(t *testing.T) {
			got, r := mustRender(t, "", "render", "--offline", "--policies-only", "-f", filepath.Join(feedSamplesDir, c.sample),
				"--feed-file", c.url+"="+filepath.Join(feedsTestdata, c.file))
			in := ingressRule(t, got, c.policy)
			if want := asCIDRs(jsonList(t, c.file, c.key)); !slices.Equal(sortedCIDRs(in), want) {
				t.Errorf("ingress from %v, want the document's %s list %v", sortedCIDRs(in), c.key, want)
			}
			if !slices.Equal(in.ports, []string{c.port}) {
				t.Errorf("ports %v, want [%s]", in.ports, c.port)
			}
			wantContains(t, "stderr", r.stderr, "networks in force from "+c.url)
		})
	}
}

// TestRenderFeedOfflineNeedsFile: offline, a feed-backed group with no --feed-file for
// its URL fails the render, naming the group, the URL and the flag that fixes it, and
// prints nothing.
func TestRenderFeedOfflineNeedsFile(t *testing.T) {
	noDNS(t)
	noFetch(t)
	r := runPlugin(t, "", "render", "--offline", "-f", filepath.Join(feedSamplesDir, "github-webhooks.yaml"))
	if r.code != exitError || r.stdout != "" {
		t.Fatalf("exit %d with stdout %q, want exit 1 and nothing printed", r.code, r.stdout)
	}
	wantContains(t, "stderr", r.stderr, "vendor github group hooks", githubMetaURL, "--feed-file "+githubMetaURL+"=PATH")

	// A file for another URL does not stand in for it, and says it is not read.
	r = runPlugin(t, "", "render", "--offline", "-f", filepath.Join(feedSamplesDir, "github-webhooks.yaml"),
		"--feed-file", stripeHooksURL+"="+filepath.Join(feedsTestdata, "stripe-webhooks.json"))
	if r.code != exitError {
		t.Fatalf("exit %d, want 1", r.code)
	}
	wantContains(t, "stderr", r.stderr, "--feed-file "+githubMetaURL+"=PATH", "no allowlist selects a group that reads "+stripeHooksURL)
}

// TestRenderFeedGuard: networks of a feed document in private, loopback, link-local or
// the cluster's ranges are never rendered, whatever the document says; a note names
// them.
func TestRenderFeedGuard(t *testing.T) {
	noDNS(t)
	noFetch(t)
	meta := `{"hooks": ["140.82.112.0/20", "10.0.0.0/8", "127.0.0.1", "169.254.169.254/32", "100.64.7.0/24", "2606:50c0::/32"]}`
	doc := writeFile(t, t.TempDir(), "meta.json", meta)
	got, r := mustRender(t, "", "render", "--offline", "--policies-only", "--cluster-cidr", "100.64.0.0/16",
		"-f", filepath.Join(feedSamplesDir, "github-webhooks.yaml"), "--feed-file", githubMetaURL+"="+doc)
	in := ingressRule(t, got, "ci-github-webhooks-ingress")
	if want := []string{"140.82.112.0/20", "2606:50c0::/32"}; !slices.Equal(sortedCIDRs(in), want) {
		t.Errorf("ingress from %v, want only the public %v", sortedCIDRs(in), want)
	}
	wantContains(t, "stderr", r.stderr, "2 networks in force", "4 networks the guard forbids are left out", "10.0.0.0/8", "169.254.169.254/32")

	// A document that selects nothing public renders nothing.
	doc = writeFile(t, t.TempDir(), "meta.json", `{"hooks": ["10.0.0.0/8"]}`)
	r = runPlugin(t, "", "render", "--offline", "-f", filepath.Join(feedSamplesDir, "github-webhooks.yaml"), "--feed-file", githubMetaURL+"="+doc)
	if r.code != exitError || r.stdout != "" {
		t.Fatalf("exit %d with stdout %q, want exit 1 and nothing printed", r.code, r.stdout)
	}
	wantContains(t, "stderr", r.stderr, "vendor github group hooks", "range the guard forbids")
}

// feedVendor is a Vendor whose group follows a JSON feed at url.
func feedVendor(url string) string {
	return `apiVersion: networking.vendorallowlist.io/v1alpha1
kind: Vendor
metadata:
  name: acme
spec:
  displayName: Acme
  endpoints:
    - name: hooks
      direction: Ingress
      feed:
        url: ` + url + `
        format: JSON
        expression: self.hooks
---
apiVersion: networking.vendorallowlist.io/v1alpha1
kind: VendorAllowlist
metadata:
  name: acme-hooks
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: receiver
  vendors:
    - name: acme
      ports:
        - port: 8443
`
}

// TestRenderFeedFetched: without --offline, the plugin fetches a feed as the manager
// does, over verified HTTPS, from an in-process server on loopback with a CA of the
// test's own: with the CA (--feed-ca-bundle) and loopback allowed by the admin
// (--guard-allow-cidr) it renders what the server serves, once per URL; without the
// CA the TLS check fails, and without the allowance the guard refuses the address,
// each naming the URL and --feed-file.
func TestRenderFeedFetched(t *testing.T) {
	noDNS(t)
	caFile, srv, hits := feedTLSServer(t, `{"hooks": ["140.82.112.0/20", "185.199.108.0/22"]}`)
	url := srv.URL + "/meta"
	input := writeFile(t, t.TempDir(), "acme.yaml", feedVendor(url))

	got, _ := mustRender(t, "", "render", "-f", input, "--feed-ca-bundle", caFile, "--guard-allow-cidr", "127.0.0.1/32")
	in := ingressRule(t, got, "acme-hooks-ingress")
	if want := []string{"140.82.112.0/20", "185.199.108.0/22"}; !slices.Equal(sortedCIDRs(in), want) {
		t.Errorf("ingress from %v, want the served %v", sortedCIDRs(in), want)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("the server answered %d requests, want 1", n)
	}

	r := runPlugin(t, "", "render", "-f", input, "--guard-allow-cidr", "127.0.0.1/32")
	if r.code != exitError || r.stdout != "" {
		t.Fatalf("without the CA: exit %d with stdout %q, want exit 1 and nothing printed", r.code, r.stdout)
	}
	wantContains(t, "stderr", r.stderr, "vendor acme group hooks", url, "certificate", "--feed-file "+url+"=PATH")

	before := hits.Load()
	r = runPlugin(t, "", "render", "-f", input, "--feed-ca-bundle", caFile)
	if r.code != exitError || r.stdout != "" {
		t.Fatalf("loopback not allowed: exit %d with stdout %q, want exit 1 and nothing printed", r.code, r.stdout)
	}
	wantContains(t, "stderr", r.stderr, url, "guard forbids", "--guard-allow-cidr")
	if hits.Load() != before {
		t.Error("the server was reached though the guard forbids its address")
	}

	// --offline fetches nothing, so a CA bundle is a usage error.
	if r := runPlugin(t, "", "render", "--offline", "-f", input, "--feed-ca-bundle", caFile); r.code != exitUsage {
		t.Errorf("--offline --feed-ca-bundle: exit %d, want 2", r.code)
	}
}

// feedTLSServer serves body over HTTPS on 127.0.0.1 with a certificate of a CA of the
// test's own, whose PEM it writes to a file; it counts the requests it answers.
func feedTLSServer(t *testing.T, body string) (caFile string, srv *httptest.Server, hits *atomic.Int64) {
	t.Helper()
	ca := testca.New(t)
	hits = &atomic.Int64{}
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Server}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake of the no-CA case
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return ca.WritePEM(t), srv, hits
}

// TestFeedsCommand: the feeds command lists every preset with its URL, filters and
// groups, as a table and as JSON.
func TestFeedsCommand(t *testing.T) {
	r := runPlugin(t, "", "feeds")
	if r.code != exitOK {
		t.Fatalf("exit %d", r.code)
	}
	for _, want := range []string{"github", "atlassian", "stripe", "aws", "google", "cloudflare", "datadog"} {
		wantContains(t, "the table", r.stdout, "PRESET "+want+" ")
	}
	wantContains(t, "the table", r.stdout, githubMetaURL, stripeHooksURL, "service=hooks", "syncToken")

	r = runPlugin(t, "", "feeds", "github", "stripe", "-o", "json")
	if r.code != exitOK {
		t.Fatalf("exit %d", r.code)
	}
	var views []presetView
	if err := json.Unmarshal([]byte(r.stdout), &views); err != nil {
		t.Fatalf("-o json is not JSON: %v\n%s", err, r.stdout)
	}
	if len(views) != 2 || views[0].Name != "github" || views[1].Name != "stripe" {
		t.Fatalf("presets %+v, want github and stripe", views)
	}
	gh := views[0]
	if gh.URL != githubMetaURL || len(gh.Filters) != 1 || gh.Filters[0].Key != "service" || !gh.Filters[0].Required || !slices.Contains(gh.Filters[0].Values, "hooks") {
		t.Errorf("github: %+v", gh)
	}
	i := slices.IndexFunc(gh.Groups, func(g groupView) bool { return g.Name == "hooks" })
	if i < 0 || gh.Groups[i].Direction != "Ingress" || !slices.Equal(gh.Groups[i].Filters["service"], []string{"hooks"}) {
		t.Errorf("github groups: %+v, want hooks, Ingress, service=hooks", gh.Groups)
	}
	if i := slices.IndexFunc(views[1].Groups, func(g groupView) bool { return g.Name == "webhooks" }); i < 0 || views[1].Groups[i].URL != stripeHooksURL {
		t.Errorf("stripe groups: %+v, want webhooks reading %s", views[1].Groups, stripeHooksURL)
	}

	if r := runPlugin(t, "", "feeds", "nosuch"); r.code != exitError || !strings.Contains(r.stderr, "github") {
		t.Errorf("an unknown preset: exit %d, stderr %q; want exit 1 naming the presets", r.code, r.stderr)
	}
}
