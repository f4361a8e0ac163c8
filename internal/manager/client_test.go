/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package manager

import (
	"testing"

	"k8s.io/client-go/rest"
)

func TestClientConfig(t *testing.T) {
	in := &rest.Config{Host: "https://api.example.com", QPS: 5, Burst: 10}
	got := Options{QPS: 500, Burst: 1000}.clientConfig(in)
	if !got.DisableCompression {
		t.Error("the manager's client accepts gzip: the API server would compress every watch-list stream for it")
	}
	if got.QPS != 500 || got.Burst != 1000 {
		t.Errorf("rate limit %v/%d, want the options' 500/1000", got.QPS, got.Burst)
	}
	if in.DisableCompression || in.QPS != 5 {
		t.Errorf("the config given was changed: %+v", in)
	}
	if kept := (Options{}).clientConfig(in); kept.QPS != 5 || kept.Burst != 10 {
		t.Errorf("without a rate limit in the options: %v/%d, want the config's 5/10", kept.QPS, kept.Burst)
	}
}
