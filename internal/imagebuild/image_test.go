/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package imagebuild

import (
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestValidateNamesTheOptionAndTheFix(t *testing.T) {
	good := Build{Version: "v0.1.0", Commit: "0123abc", Created: time.Unix(1767225600, 0)}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid options refused: %v", err)
	}
	tests := []struct {
		name   string
		change func(*Build)
		want   string
	}{
		{"no version", func(b *Build) { b.Version = "" }, "version: must be set (make image sets it from git)"},
		{"a space in the commit", func(b *Build) { b.Commit = "abc def" }, `commit "abc def": must not contain spaces or quotes`},
		{"no source date", func(b *Build) { b.Created = time.Time{} }, "created (SOURCE_DATE_EPOCH): must be set"},
		{"a platform the release does not build", func(b *Build) { b.Platforms = []v1.Platform{{OS: "windows", Architecture: "amd64"}} },
			"platform windows/amd64: only linux/amd64 and linux/arm64 are built"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := good
			tt.change(&b)
			err := b.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
