/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package version

import (
	"runtime/debug"
	"testing"
)

func TestGet(t *testing.T) {
	fromGit := &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/vendorallowlist/vendor-allowlist-operator", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-01-31T12:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	goInstalled := &debug.BuildInfo{Main: debug.Module{Version: "v0.3.1"}}
	tests := []struct {
		name                  string
		version, commit, date string
		info                  *debug.BuildInfo
		want                  Info
	}{
		{"linker flags win over the build information", "v0.2.0", "abc", "2026-02-01T00:00:00Z", fromGit,
			Info{Version: "v0.2.0", Commit: "abc", Date: "2026-02-01T00:00:00Z"}},
		{"a build from a dirty Git checkout", "", "", "", fromGit,
			Info{Version: "(devel)", Commit: "0123456789abcdef0123456789abcdef01234567-dirty", Date: "2026-01-31T12:00:00Z"}},
		{"go install module@version", "", "", "", goInstalled,
			Info{Version: "v0.3.1", Commit: Unknown, Date: Unknown}},
		{"no build information", "", "", "", nil,
			Info{Version: "(devel)", Commit: Unknown, Date: Unknown}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := get(tt.version, tt.commit, tt.date, tt.info)
			got.GoVersion, got.Platform = "", ""
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	i := Info{Version: "v0.1.0", Commit: "abc", Date: "2026-01-31T12:00:00Z", GoVersion: "go1.26.8", Platform: "linux/arm64"}
	if got, want := i.String(), "v0.1.0 (commit abc, built 2026-01-31T12:00:00Z, go1.26.8 linux/arm64)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
