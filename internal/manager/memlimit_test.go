/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package manager

import (
	"math"
	"runtime/debug"
	"strings"
	"testing"
)

func TestSetMemoryLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1)) // put back what the test found
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    int64
		wantErr string
	}{
		{"no limit given", nil, 0, ""},
		{"90% by default", map[string]string{memoryLimitEnv: "268435456"}, 241591860, ""},
		{"a share", map[string]string{memoryLimitEnv: "1000", memoryLimitPercentEnv: "50"}, 500, ""},
		{"0: none", map[string]string{memoryLimitEnv: "1000", memoryLimitPercentEnv: "0"}, 0, ""},
		{"GOMEMLIMIT wins", map[string]string{"GOMEMLIMIT": "100MiB", memoryLimitEnv: "1000"}, 0, ""},
		{"not bytes", map[string]string{memoryLimitEnv: "256Mi"}, 0, memoryLimitEnv},
		{"share out of range", map[string]string{memoryLimitEnv: "1000", memoryLimitPercentEnv: "120"}, 0, "goMemoryLimitPercent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetMemoryLimit(math.MaxInt64)
			got, err := SetMemoryLimit(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("set %d, want %d", got, tc.want)
			}
			want := tc.want
			if want == 0 {
				want = math.MaxInt64
			}
			if now := debug.SetMemoryLimit(-1); now != want {
				t.Errorf("the runtime's limit is %d, want %d", now, want)
			}
		})
	}
}

func TestSetGCPercent(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100)) // put back what the test found
	if got := SetGCPercent(func(string) string { return "" }); got != DefaultGCPercent {
		t.Errorf("without GOGC: set %d, want %d", got, DefaultGCPercent)
	}
	if now := debug.SetGCPercent(100); now != DefaultGCPercent {
		t.Errorf("without GOGC the runtime's target is %d, want %d", now, DefaultGCPercent)
	}
	if got := SetGCPercent(func(k string) string { return map[string]string{"GOGC": "200"}[k] }); got != 0 {
		t.Errorf("with GOGC set: set %d, want 0 (GOGC wins)", got)
	}
	if now := debug.SetGCPercent(100); now != 100 {
		t.Errorf("with GOGC set the runtime's target was changed to %d", now)
	}
}
