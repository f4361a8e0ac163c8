/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fetch

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testca"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
)

// testCA is a certificate authority of the test's own, and a server certificate it
// signed for localhost, feed.test, 127.0.0.1 and 127.0.0.2.
type testCA struct {
	pem    []byte
	server tls.Certificate
}

func newTestCA(t testing.TB) testCA {
	ca := testca.New(t)
	return testCA{pem: ca.PEM, server: ca.Server}
}

// feedServer is an HTTPS server on 127.0.0.1 with the CA's certificate, counting the
// requests it answers.
type feedServer struct {
	*httptest.Server
	hits atomic.Int64
}

func (ca testCA) serve(t testing.TB, h http.HandlerFunc) *feedServer {
	t.Helper()
	s := &feedServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	s.TLS = &tls.Config{Certificates: []tls.Certificate{ca.server}}
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the TLS tests' refused handshakes
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// port is the server's port.
func (s *feedServer) port() string {
	u, _ := url.Parse(s.URL)
	return u.Port()
}

// at is the server's URL with host instead of 127.0.0.1.
func (s *feedServer) at(host, path string) string {
	return "https://" + net.JoinHostPort(host, s.port()) + path
}

var loopback = netip.MustParsePrefix("127.0.0.0/8")

// loopbackAllowed is the guard of an admin who allowed 127.0.0.0/8, which the tests'
// servers need: by default the guard forbids loopback.
func loopbackAllowed() guard.Guard { return guard.Guard{Allow: []netip.Prefix{loopback}} }

func noProxy(*http.Request) (*url.URL, error) { return nil, nil }

// newFetcher trusts the test CA, ignores the environment's proxy and allows loopback,
// unless change says otherwise.
func newFetcher(t testing.TB, ca testCA, change ...func(*Options)) *Fetcher {
	t.Helper()
	o := Options{Guard: loopbackAllowed(), CABundle: ca.pem, Proxy: noProxy, Timeout: 5 * time.Second}
	for _, c := range change {
		c(&o)
	}
	f, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
