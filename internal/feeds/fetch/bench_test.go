/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fetch

import (
	"context"
	"net/http"
	"strconv"
	"testing"
)

// The memory one fetch of an AWS-sized document takes (the issue's "memory for the
// AWS document"): the body is read once into a buffer of its size, plus the
// transport's and TLS's buffers.
func BenchmarkFetchAWSSizedDocument(b *testing.B) {
	body := awsShaped(2 << 20)
	ca := newTestCA(b)
	srv := ca.serve(b, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/with-length" {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		_, _ = w.Write(body)
	})
	f := newFetcher(b, ca)
	for _, path := range []string{"/chunked", "/with-length"} {
		b.Run(path[1:], func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if res := f.Fetch(context.Background(), srv.URL+path, Snapshot{}); res.Err != nil {
					b.Fatal(res.Err)
				}
			}
		})
	}
}

// The cost of keeping an AWS-sized document in the ConfigMap store: gzip at the best
// compression, once per fetch that succeeded.
func BenchmarkGzipAWSSizedDocument(b *testing.B) {
	body := awsShaped(2 << 20)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Gzip(body); err != nil {
			b.Fatal(err)
		}
	}
}
