/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fetch

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
)

const hooksDoc = `{"hooks":["192.30.252.0/22","185.199.108.0/22"]}`

// A feed is fetched over verified TLS with the operator's User-Agent, and its
// validators are kept for the next, conditional, request.
func TestFetchKeepsDocumentAndValidators(t *testing.T) {
	g := NewWithT(t)
	ca := newTestCA(t)
	var userAgent atomic.Value
	srv := ca.serve(t, func(w http.ResponseWriter, r *http.Request) {
		userAgent.Store(r.Header.Get("User-Agent"))
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Wed, 02 Dec 2026 10:00:00 GMT")
		_, _ = io.WriteString(w, hooksDoc)
	})
	res := newFetcher(t, ca).Fetch(context.Background(), srv.URL+"/meta", Snapshot{})

	g.Expect(res.Err).NotTo(HaveOccurred())
	g.Expect(res.Status).To(Equal(http.StatusOK))
	g.Expect(string(res.Snapshot.Body)).To(Equal(hooksDoc))
	g.Expect(res.Snapshot.ETag).To(Equal(`"v1"`))
	g.Expect(res.Snapshot.LastModified).To(Equal("Wed, 02 Dec 2026 10:00:00 GMT"))
	g.Expect(res.Snapshot.Digest).To(Equal(Digest([]byte(hooksDoc))))
	g.Expect(res.Changed).To(BeTrue())
	g.Expect(res.Snapshot.ChangedAt).To(Equal(res.Snapshot.FetchedAt))
	g.Expect(userAgent.Load()).To(MatchRegexp(`^vendor-allowlist-operator/\S+ \(\+https://github\.com/vendorallowlist/vendor-allowlist-operator\)$`))
}

// A server that says 304 to the stored validators leaves the stored document in place,
// as a success; a server that knows only one of the validators is asked with it.
func TestNotModifiedKeepsStoredDocument(t *testing.T) {
	for _, tc := range []struct {
		name       string
		etag, date string
	}{
		{"ETag", `"v1"`, ""},
		{"Last-Modified", "", "Wed, 02 Dec 2026 10:00:00 GMT"},
		{"both", `"v1"`, "Wed, 02 Dec 2026 10:00:00 GMT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ca := newTestCA(t)
			var conditional atomic.Int64
			srv := ca.serve(t, func(w http.ResponseWriter, r *http.Request) {
				if (tc.etag != "" && r.Header.Get("If-None-Match") == tc.etag) ||
					(tc.etag == "" && tc.date != "" && r.Header.Get("If-Modified-Since") == tc.date) {
					conditional.Add(1)
					w.WriteHeader(http.StatusNotModified)
					return
				}
				if tc.etag != "" {
					w.Header().Set("ETag", tc.etag)
				}
				if tc.date != "" {
					w.Header().Set("Last-Modified", tc.date)
				}
				_, _ = io.WriteString(w, hooksDoc)
			})
			f := newFetcher(t, ca)
			first := f.Fetch(context.Background(), srv.URL, Snapshot{})
			g.Expect(first.Err).NotTo(HaveOccurred())

			second := f.Fetch(context.Background(), srv.URL, first.Snapshot)
			g.Expect(second.Err).NotTo(HaveOccurred())
			g.Expect(conditional.Load()).To(BeEquivalentTo(1), "the second request carried the validators")
			g.Expect(second.NotModified).To(BeTrue())
			g.Expect(second.Status).To(Equal(http.StatusNotModified))
			g.Expect(second.Changed).To(BeFalse())
			g.Expect(string(second.Snapshot.Body)).To(Equal(hooksDoc))
			g.Expect(second.Snapshot.ChangedAt).To(Equal(first.Snapshot.ChangedAt))
			g.Expect(second.Snapshot.FetchedAt).To(BeTemporally(">=", first.Snapshot.FetchedAt))
		})
	}
}

// A body that differs from the last one is Changed, one that is the same is not.
func TestChangedFollowsTheDigest(t *testing.T) {
	g := NewWithT(t)
	ca := newTestCA(t)
	body := atomic.Value{}
	body.Store(hooksDoc)
	srv := ca.serve(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, body.Load().(string)) })
	f := newFetcher(t, ca)
	first := f.Fetch(context.Background(), srv.URL, Snapshot{})
	same := f.Fetch(context.Background(), srv.URL, first.Snapshot)
	g.Expect(same.Changed).To(BeFalse())
	g.Expect(same.Snapshot.ChangedAt).To(Equal(first.Snapshot.ChangedAt))
	body.Store(`{"hooks":["192.30.252.0/22"]}`)
	changed := f.Fetch(context.Background(), srv.URL, same.Snapshot)
	g.Expect(changed.Changed).To(BeTrue())
	g.Expect(string(changed.Snapshot.Body)).To(Equal(`{"hooks":["192.30.252.0/22"]}`))
}

// lastGood is a document an earlier fetch kept.
var lastGood = Snapshot{Body: []byte(hooksDoc), ETag: `"old"`, Digest: Digest([]byte(hooksDoc)),
	FetchedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), ChangedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}

// Every failure keeps the last good document and names its kind.
func TestFailuresKeepLastGood(t *testing.T) {
	huge := strings.Repeat("x", 2<<20)
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		options func(*Options)
		kind    ErrorKind
		status  int // -1: either
		message string
	}{
		{name: "server that does not answer", kind: KindTimeout, status: -1,
			handler: func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			options: func(o *Options) { o.Timeout = 300 * time.Millisecond }},
		{name: "body that stalls", kind: KindTimeout, status: -1,
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, `{"hooks":[`)
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			},
			options: func(o *Options) { o.Timeout = 300 * time.Millisecond }},
		{name: "huge body with a length", kind: KindTooLarge, status: http.StatusOK, message: "longer than the limit of 1048576 bytes",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", fmt.Sprint(len(huge)))
				_, _ = io.WriteString(w, huge)
			},
			options: func(o *Options) { o.MaxBodyBytes = 1 << 20 }},
		{name: "huge body streamed", kind: KindTooLarge, status: http.StatusOK, message: "longer than the limit of 1048576 bytes",
			handler: func(w http.ResponseWriter, r *http.Request) {
				for range 4 {
					_, _ = io.WriteString(w, huge[:1<<19])
					w.(http.Flusher).Flush()
				}
			},
			options: func(o *Options) { o.MaxBodyBytes = 1 << 20 }},
		{name: "server error", kind: KindHTTPStatus, status: http.StatusServiceUnavailable, message: "503 Service Unavailable",
			handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }},
		{name: "not found", kind: KindHTTPStatus, status: http.StatusNotFound, message: "404 Not Found",
			handler: func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ca := newTestCA(t)
			srv := ca.serve(t, tc.handler)
			opts := []func(*Options){}
			if tc.options != nil {
				opts = append(opts, tc.options)
			}
			res := newFetcher(t, ca, opts...).Fetch(context.Background(), srv.URL, lastGood)
			g.Expect(res.Err).To(HaveOccurred(), "body %q after %v", res.Snapshot.Body, time.Since(res.AttemptedAt))
			g.Expect(res.Kind()).To(Equal(tc.kind), "error: %v", res.Err)
			if tc.status >= 0 { // a timeout may come before or after the status line
				g.Expect(res.Status).To(Equal(tc.status))
			}
			g.Expect(res.Err.Error()).To(ContainSubstring(tc.message))
			g.Expect(res.Snapshot).To(Equal(lastGood))
			g.Expect(res.Changed).To(BeFalse())
		})
	}
}

// A fetcher that does not trust the server's CA refuses it; given the CA bundle it
// fetches.
func TestTLSFailure(t *testing.T) {
	g := NewWithT(t)
	ca := newTestCA(t)
	srv := ca.serve(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, hooksDoc) })

	res := newFetcher(t, ca, func(o *Options) { o.CABundle = nil }).Fetch(context.Background(), srv.URL, lastGood)
	g.Expect(res.Kind()).To(Equal(KindTLS), "error: %v", res.Err)
	g.Expect(res.Snapshot).To(Equal(lastGood))

	other := newTestCA(t)
	res = newFetcher(t, other).Fetch(context.Background(), srv.URL, lastGood)
	g.Expect(res.Kind()).To(Equal(KindTLS), "a bundle of another CA: %v", res.Err)

	g.Expect(newFetcher(t, ca).Fetch(context.Background(), srv.URL, lastGood).Err).NotTo(HaveOccurred())
}

func TestCABundleWithoutCertificateIsRefused(t *testing.T) {
	_, err := New(Options{CABundle: []byte("not a certificate")})
	NewWithT(t).Expect(err).To(MatchError(ContainSubstring("holds no PEM certificate")))
}

// Only https URLs are fetched, and nothing is sent for another.
func TestInvalidURLs(t *testing.T) {
	ca := newTestCA(t)
	srv := ca.serve(t, func(w http.ResponseWriter, r *http.Request) {})
	for _, u := range []string{strings.Replace(srv.URL, "https", "http", 1), "https://", "file:///etc/passwd", "::"} {
		res := newFetcher(t, ca).Fetch(context.Background(), u, lastGood)
		NewWithT(t).Expect(res.Kind()).To(Equal(KindInvalidURL), "%s: %v", u, res.Err)
	}
	NewWithT(t).Expect(srv.hits.Load()).To(BeZero())
}

// A host that resolves to loopback (localhost, from /etc/hosts) or a loopback
// literal is not dialled by default, and is once the admin allows 127.0.0.0/8.
func TestGuardRefusesLoopbackUnlessAllowed(t *testing.T) {
	ca := newTestCA(t)
	srv := ca.serve(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, hooksDoc) })
	for _, host := range []string{"localhost", "127.0.0.1"} {
		t.Run(host, func(t *testing.T) {
			g := NewWithT(t)
			u := srv.at(host, "/meta")
			before := srv.hits.Load()
			res := newFetcher(t, ca, func(o *Options) { o.Guard = guard.Guard{} }).Fetch(context.Background(), u, lastGood)
			g.Expect(res.Kind()).To(Equal(KindForbiddenAddress), "error: %v", res.Err)
			g.Expect(res.Err.Error()).To(ContainSubstring(host + " resolves to 127.0.0.1 (loopback) only"))
			g.Expect(res.Err.Error()).To(ContainSubstring("--guard-allow-cidr"))
			g.Expect(res.Snapshot).To(Equal(lastGood))
			g.Expect(srv.hits.Load()).To(Equal(before), "no request reached the server")

			res = newFetcher(t, ca, func(o *Options) { o.Guard = guard.Guard{Allow: []netip.Prefix{loopback}} }).Fetch(context.Background(), u, lastGood)
			g.Expect(res.Err).NotTo(HaveOccurred())
			g.Expect(srv.hits.Load()).To(Equal(before + 1))
		})
	}
}

// The cluster's own ranges stay forbidden even inside a range the admin allowed.
func TestGuardKeepsClusterRangesForbidden(t *testing.T) {
	g := NewWithT(t)
	ca := newTestCA(t)
	srv := ca.serve(t, func(w http.ResponseWriter, r *http.Request) {})
	f := newFetcher(t, ca, func(o *Options) {
		o.Guard = guard.Guard{Allow: []netip.Prefix{loopback}, Cluster: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/24")}}
	})
	res := f.Fetch(context.Background(), srv.URL, lastGood)
	g.Expect(res.Kind()).To(Equal(KindForbiddenAddress), "error: %v", res.Err)
	g.Expect(res.Err.Error()).To(ContainSubstring("(cluster)"))
	g.Expect(srv.hits.Load()).To(BeZero())
}

// Redirects are held to the rules of the first request: https, an address the guard
// allows, and a bounded count.
func TestRedirects(t *testing.T) {
	ca := newTestCA(t)
	var srv *feedServer
	srv = ca.serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-http":
			http.Redirect(w, r, strings.Replace(srv.URL, "https", "http", 1)+"/doc", http.StatusFound)
		case "/to-metadata":
			http.Redirect(w, r, "https://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/to-other-loopback":
			http.Redirect(w, r, srv.at("127.0.0.2", "/doc"), http.StatusMovedPermanently)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/to-doc":
			http.Redirect(w, r, "/doc", http.StatusFound)
		case "/doc":
			_, _ = io.WriteString(w, hooksDoc)
		}
	})
	// The admin allowed the test server's address, not the rest of loopback.
	onlyServer := func(o *Options) { o.Guard = guard.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}} }
	for _, tc := range []struct {
		path    string
		kind    ErrorKind
		message string
		hits    int64
	}{
		{"/to-http", KindRedirectRefused, "https only", 1},
		{"/to-metadata", KindForbiddenAddress, "169.254.169.254 resolves to 169.254.169.254 (link-local) only", 1},
		{"/to-other-loopback", KindForbiddenAddress, "127.0.0.2 (loopback)", 1},
		{"/loop", KindRedirectRefused, "more than 5 redirects", 6},
		{"/to-doc", "", "", 2},
	} {
		t.Run(tc.path, func(t *testing.T) {
			g := NewWithT(t)
			before := srv.hits.Load()
			res := newFetcher(t, ca, onlyServer).Fetch(context.Background(), srv.URL+tc.path, lastGood)
			g.Expect(res.Kind()).To(Equal(tc.kind), "error: %v", res.Err)
			if tc.kind != "" {
				g.Expect(res.Err.Error()).To(ContainSubstring(tc.message))
				g.Expect(res.Snapshot).To(Equal(lastGood))
			} else {
				g.Expect(string(res.Snapshot.Body)).To(Equal(hooksDoc))
			}
			g.Expect(srv.hits.Load() - before).To(Equal(tc.hits))
		})
	}
}

// connectProxy is an HTTPS proxy on loopback (CONNECT), counting the tunnels it opens.
func connectProxy(t *testing.T) (*url.URL, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	var tunnels atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer func() { _ = c.Close() }()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil || req.Method != http.MethodConnect {
					return
				}
				up, err := net.Dial("tcp", req.Host)
				if err != nil {
					_, _ = io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
					return
				}
				defer func() { _ = up.Close() }()
				tunnels.Add(1)
				_, _ = io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
				go func() { _, _ = io.Copy(up, c) }()
				_, _ = io.Copy(c, up)
			}()
		}
	}()
	return &url.URL{Scheme: "http", Host: ln.Addr().String()}, &tunnels
}

// Through a proxy the connection is to the proxy, so the target host is resolved
// and checked before the request is sent: a forbidden target never reaches the proxy.
// The proxy's own address (here loopback) is the admin's choice and is not checked.
func TestProxyChecksTheTarget(t *testing.T) {
	g := NewWithT(t)
	ca := newTestCA(t)
	srv := ca.serve(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, hooksDoc) })
	proxy, tunnels := connectProxy(t)
	viaProxy := func(o *Options) { o.Proxy = http.ProxyURL(proxy) }

	res := newFetcher(t, ca, viaProxy, func(o *Options) { o.Guard = guard.Guard{} }).Fetch(context.Background(), srv.URL, lastGood)
	g.Expect(res.Kind()).To(Equal(KindForbiddenAddress), "error: %v", res.Err)
	g.Expect(tunnels.Load()).To(BeZero())
	g.Expect(srv.hits.Load()).To(BeZero())

	res = newFetcher(t, ca, viaProxy).Fetch(context.Background(), srv.URL, lastGood)
	g.Expect(res.Err).NotTo(HaveOccurred())
	g.Expect(tunnels.Load()).To(BeEquivalentTo(1))
	g.Expect(srv.hits.Load()).To(BeEquivalentTo(1))
}

// answers is a resolver with fixed answers.
type answers map[string][]netip.Addr

func (a answers) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if addrs, ok := a[host]; ok {
		return addrs, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// Of a DNS answer mixing allowed and forbidden addresses, only the allowed ones are
// dialled; an answer of forbidden addresses only is refused, naming them.
func TestGuardFiltersTheDNSAnswer(t *testing.T) {
	g := NewWithT(t)
	ca := newTestCA(t)
	srv := ca.serve(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, hooksDoc) })
	dns := answers{
		"feed.test":          {netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("::ffff:127.0.0.1")},
		"internal.feed.test": {netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("10.0.0.1")},
	}
	f := newFetcher(t, ca, func(o *Options) { o.Resolver = dns })

	res := f.Fetch(context.Background(), srv.at("feed.test", "/meta"), lastGood)
	g.Expect(res.Err).NotTo(HaveOccurred())
	g.Expect(srv.hits.Load()).To(BeEquivalentTo(1))

	res = f.Fetch(context.Background(), srv.at("internal.feed.test", "/meta"), lastGood)
	g.Expect(res.Kind()).To(Equal(KindForbiddenAddress))
	g.Expect(res.Err.Error()).To(ContainSubstring("resolves to 169.254.169.254 (link-local), 10.0.0.1 (private) only"))

	res = f.Fetch(context.Background(), srv.at("missing.feed.test", "/meta"), lastGood)
	g.Expect(res.Kind()).To(Equal(KindTransport))
	g.Expect(res.Err.Error()).To(ContainSubstring("resolving missing.feed.test"))
}

func TestRetryAfterHeader(t *testing.T) {
	g := NewWithT(t)
	now := time.Date(2026, 12, 3, 11, 0, 0, 0, time.UTC)
	g.Expect(retryAfter("", now)).To(BeZero())
	g.Expect(retryAfter("120", now)).To(Equal(2 * time.Minute))
	g.Expect(retryAfter("-5", now)).To(BeZero())
	g.Expect(retryAfter("soon", now)).To(BeZero())
	g.Expect(retryAfter("Thu, 03 Dec 2026 10:00:00 GMT", now)).To(BeZero(), "a date in the past")
	g.Expect(retryAfter("Thu, 03 Dec 2026 11:30:00 GMT", now)).To(Equal(30 * time.Minute))
	g.Expect(retryAfter("99999999999999999", now)).To(Equal(maxRetryAfter), "no overflow")
}
