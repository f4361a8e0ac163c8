/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package fetch downloads vendor feeds as a good citizen: HTTPS only, conditional
// requests, one fetch per URL per interval however many Vendors use it, bounded time
// and size, and never from an address the guard forbids. It keeps the last good
// document (Store) so that a feed that fails, or a manager that restarts while the
// feed is unreachable, leaves enforcement as it was.
//
// Fetcher makes one request; Scheduler runs one loop per subscribed URL and tells the
// subscribers after every attempt; Store keeps the last good copy across restarts.
package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"k8s.io/utils/clock"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/version"
)

// Defaults of Options.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxBodyBytes = 16 << 20
	DefaultMaxRedirects = 5
)

// ProjectURL is the address the User-Agent points to, so a vendor seeing the traffic
// knows whose it is.
const ProjectURL = "https://github.com/vendorallowlist/vendor-allowlist-operator"

// UserAgent names the operator and its version.
func UserAgent() string {
	return fmt.Sprintf("vendor-allowlist-operator/%s (+%s)", version.Get().Version, ProjectURL)
}

// Options configure a Fetcher. The zero value fetches with the defaults and a guard
// that allows no internal range.
type Options struct {
	// Guard decides which addresses may be dialled: only those it calls public
	// (Guard.Allow, the admin's --guard-allow-cidr, included).
	Guard guard.Guard
	// Timeout bounds a whole fetch: connection, TLS, redirects and body.
	Timeout time.Duration
	// MaxBodyBytes bounds the (decompressed) body; a longer one is an error, never a
	// truncated document.
	MaxBodyBytes int64
	// MaxRedirects bounds the redirects followed.
	MaxRedirects int
	// CABundle is PEM certificates trusted in addition to the system's, for a proxy
	// that re-signs TLS or a mirror with a private CA.
	CABundle []byte
	// Proxy chooses the proxy for a request; nil: http.ProxyFromEnvironment
	// (HTTPS_PROXY, NO_PROXY).
	Proxy func(*http.Request) (*url.URL, error)
	// Resolver looks up feed hosts; nil: net.DefaultResolver.
	Resolver Resolver
	// Clock stamps fetched-at and changed-at; nil: the real clock.
	Clock clock.PassiveClock
	// UserAgent; empty: UserAgent().
	UserAgent string
}

// LoadCABundle reads a PEM file for Options.CABundle.
func LoadCABundle(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the feed CA bundle: %w", err)
	}
	return b, nil
}

// Snapshot is a feed document as last fetched successfully.
type Snapshot struct {
	Body         []byte
	ETag         string
	LastModified string
	// FetchedAt is the last successful fetch, a 304 included.
	FetchedAt time.Time
	// ChangedAt is when the body last changed (its digest differed).
	ChangedAt time.Time
	// Digest is the hex SHA-256 of Body.
	Digest string
}

// IsZero says whether there is no document.
func (s Snapshot) IsZero() bool { return s.Digest == "" }

// Digest is the hex SHA-256 of a body, as Snapshot.Digest holds it.
func Digest(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// Result is the outcome of one fetch.
type Result struct {
	URL string
	// Snapshot is the document held after the fetch: the new one after a 200, the
	// previous one after a 304 or an error (zero if there was none).
	Snapshot Snapshot
	// Status is the HTTP status; 0 when no answer came.
	Status int
	// NotModified is a 304: the previous document stands, and the fetch counts as a
	// success.
	NotModified bool
	// Changed says the body differs from the previous document's.
	Changed bool
	// AttemptedAt is when the fetch started.
	AttemptedAt time.Time
	// Err is nil or an *Error.
	Err error
	// RetryAfter is how long the server asked to be left alone (Retry-After on a
	// 429 or a 503); zero when it asked nothing.
	RetryAfter time.Duration
}

// Kind is the kind of the fetch's error; empty on success.
func (r Result) Kind() ErrorKind { return KindOf(r.Err) }

// Fetcher fetches feed documents. It is safe for concurrent use.
type Fetcher struct {
	client    *http.Client
	timeout   time.Duration
	maxBody   int64
	userAgent string
	clock     clock.PassiveClock
}

// New builds a Fetcher.
func New(o Options) (*Fetcher, error) {
	o = o.withDefaults()
	roots, err := rootCAs(o.CABundle)
	if err != nil {
		return nil, err
	}
	d := &dialer{
		guard:    o.Guard,
		resolver: o.Resolver,
		net:      net.Dialer{Timeout: o.Timeout},
		proxies:  map[string]bool{},
	}
	transport := &http.Transport{
		Proxy:               d.proxyFunc(o.Proxy),
		DialContext:         d.DialContext,
		TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: o.Timeout,
		ForceAttemptHTTP2:   true,
		// Feeds are fetched once an interval: a connection kept between fetches
		// would be idle for an hour.
		DisableKeepAlives: true,
	}
	return &Fetcher{
		client: &http.Client{
			Transport:     transport,
			CheckRedirect: checkRedirect(o.MaxRedirects),
		},
		timeout:   o.Timeout,
		maxBody:   o.MaxBodyBytes,
		userAgent: o.UserAgent,
		clock:     o.Clock,
	}, nil
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = DefaultMaxRedirects
	}
	if o.Proxy == nil {
		o.Proxy = http.ProxyFromEnvironment
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.UserAgent == "" {
		o.UserAgent = UserAgent()
	}
	return o
}

// rootCAs is the system's roots plus the bundle's certificates; nil (the system's)
// without a bundle.
func rootCAs(bundle []byte) (*x509.CertPool, error) {
	if len(bytes.TrimSpace(bundle)) == 0 {
		return nil, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(bundle) {
		return nil, errors.New("the feed CA bundle holds no PEM certificate: give a file of -----BEGIN CERTIFICATE----- blocks")
	}
	return pool, nil
}

// checkRedirect holds redirects to the first request's rules: https only (the
// dialer checks the new host's addresses), and at most max of them.
func checkRedirect(max int) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" {
			return &redirectError{msg: fmt.Sprintf("refused the redirect from %s to %s: feeds are fetched over https only", via[len(via)-1].URL.Redacted(), req.URL.Redacted())}
		}
		if len(via) > max {
			return &redirectError{msg: fmt.Sprintf("refused the redirect to %s: more than %d redirects", req.URL.Redacted(), max)}
		}
		return nil
	}
}

// Fetch gets rawURL, conditionally on last's ETag and Last-Modified when last holds a
// document. It never returns a partial document: on any error the Result holds last.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string, last Snapshot) Result {
	now := f.clock.Now()
	res := Result{URL: rawURL, Snapshot: last, AttemptedAt: now}
	// The deadline is the request's context rather than http.Client.Timeout: a body
	// cut by Client.Timeout can end in a clean io.EOF (seen with a chunked body that
	// stalled), which would pass a truncated document as whole. Checking ctx after
	// the read tells the two apart.
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := f.request(ctx, rawURL, last)
	if err != nil {
		res.Err = &Error{Kind: KindInvalidURL, Err: err}
		return res
	}
	resp, err := f.client.Do(req)
	if err != nil {
		res.Err = &Error{Kind: classify(err), Err: err}
		return res
	}
	defer func() { _ = resp.Body.Close() }()
	res.Status = resp.StatusCode
	switch {
	case resp.StatusCode == http.StatusNotModified && !last.IsZero():
		res.NotModified = true
		res.Snapshot.FetchedAt = now
		return res
	case resp.StatusCode != http.StatusOK:
		res.Err = &Error{Kind: KindHTTPStatus, Status: resp.StatusCode,
			Err: fmt.Errorf("GET %s answered %s", req.URL.Redacted(), resp.Status)}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			res.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), now)
		}
		return res
	}
	body, err := f.readBody(resp)
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("the fetch did not finish within %s: %w", f.timeout, ctx.Err())
	}
	if err != nil {
		res.Err = &Error{Kind: classify(err), Err: fmt.Errorf("reading %s: %w", req.URL.Redacted(), err)}
		return res
	}
	res.Snapshot = Snapshot{
		Body:         body,
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		FetchedAt:    now,
		ChangedAt:    last.ChangedAt,
		Digest:       Digest(body),
	}
	if res.Snapshot.Digest != last.Digest {
		res.Changed = true
		res.Snapshot.ChangedAt = now
	}
	return res
}

func (f *Fetcher) request(ctx context.Context, rawURL string, last Snapshot) (*http.Request, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parsing the feed URL: %w", err)
	}
	if u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("the feed URL %s is not https://host/...: feeds are fetched over verified TLS only", u.Redacted())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", "application/json, text/plain;q=0.9, */*;q=0.5")
	if !last.IsZero() {
		if last.ETag != "" {
			req.Header.Set("If-None-Match", last.ETag)
		}
		if last.LastModified != "" {
			req.Header.Set("If-Modified-Since", last.LastModified)
		}
	}
	return req, nil
}

// readBody reads at most maxBody bytes, and fails rather than truncate.
func (f *Fetcher) readBody(resp *http.Response) ([]byte, error) {
	if resp.ContentLength > f.maxBody {
		return nil, &tooLargeError{limit: f.maxBody}
	}
	limited := io.LimitReader(resp.Body, f.maxBody+1)
	var body []byte
	var err error
	if resp.ContentLength > 0 {
		// One allocation of the announced size, where io.ReadAll would grow to
		// about twice it; one byte more to see a body longer than announced.
		buf := bytes.NewBuffer(make([]byte, 0, resp.ContentLength+1))
		_, err = buf.ReadFrom(limited)
		body = buf.Bytes()
	} else {
		body, err = io.ReadAll(limited)
	}
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > f.maxBody {
		return nil, &tooLargeError{limit: f.maxBody}
	}
	return body, nil
}

// retryAfter reads a Retry-After header, in seconds or as an HTTP date; zero when it
// is absent, unreadable or in the past.
func retryAfter(value string, now time.Time) time.Duration {
	if value == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	}
	if at, err := http.ParseTime(value); err == nil && at.After(now) {
		return min(at.Sub(now), maxRetryAfter)
	}
	return 0
}

// maxRetryAfter bounds what a server's Retry-After can ask, so that a huge value
// cannot overflow the duration; the scheduler bounds it again by its interval.
const maxRetryAfter = 7 * 24 * time.Hour
