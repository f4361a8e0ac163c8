/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// zapLogger writes JSON lines, with the caller, to out; verbosity is zap's debug
// level count (V(1) is enabled when verbosity is 1).
func zapLogger(out *bytes.Buffer, verbosity int) logr.Logger {
	enc := zap.NewProductionEncoderConfig()
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(out), zapcore.Level(-verbosity))
	return zapr.NewLogger(zap.New(core, zap.AddCaller()))
}

func lines(t *testing.T, out *bytes.Buffer) []map[string]any {
	t.Helper()
	var got []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if l == "" {
			continue
		}
		m := map[string]any{}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		got = append(got, m)
	}
	return got
}

func TestDeferredWritesWhatTheLoggerWould(t *testing.T) {
	var direct, deferred bytes.Buffer
	write := func(log logr.Logger) {
		log = log.WithName("controller").WithValues("VendorAllowlist", "team-a/github", "reconcileID", "r1")
		log.Info("Applied NetworkPolicy", "NetworkPolicy", "vao-github-ingress")
		log.V(1).Info("not written at verbosity 0")
		log.WithValues("attempt", 2).Error(errors.New("conflict"), "Apply failed")
	}
	write(zapLogger(&direct, 0))
	write(Deferred(zapLogger(&deferred, 0)))

	want, got := lines(t, &direct), lines(t, &deferred)
	if len(got) != 2 || len(want) != 2 {
		t.Fatalf("lines: deferred %d, direct %d; want 2 each:\n%s", len(got), len(want), deferred.String())
	}
	for i := range want {
		// Both loggers wrote from the same lines of write(): the caller must be that
		// line, not the deferring sink.
		if got[i]["caller"] != want[i]["caller"] {
			t.Errorf("line %d caller = %v, want %v", i, got[i]["caller"], want[i]["caller"])
		}
		for _, k := range []string{"ts", "stacktrace"} {
			delete(want[i], k)
			delete(got[i], k)
		}
		a, _ := json.Marshal(want[i])
		b, _ := json.Marshal(got[i])
		if !bytes.Equal(a, b) {
			t.Errorf("line %d:\n deferred %s\n direct   %s", i, b, a)
		}
	}
}

// countingSink counts the WithValues that reach it.
type countingSink struct {
	logr.LogSink
	withValues *int
}

func (c countingSink) WithValues(kv ...any) logr.LogSink {
	*c.withValues++
	return countingSink{c.LogSink.WithValues(kv...), c.withValues}
}

func TestDeferredEncodesNothingUntilALineIsWritten(t *testing.T) {
	var out bytes.Buffer
	n := 0
	base := zapLogger(&out, 0)
	log := Deferred(logr.New(countingSink{base.GetSink(), &n}))

	for i := range 100 {
		quiet := log.WithValues("VendorAllowlist", i).WithValues("reconcileID", i)
		quiet.V(1).Info("skipped at verbosity 0")
	}
	if n != 0 || out.Len() != 0 {
		t.Fatalf("100 reconciles that wrote nothing reached the sink's WithValues %d times and wrote %q", n, out.String())
	}

	loud := log.WithValues("VendorAllowlist", "team-a/github")
	loud.Info("one")
	loud.Info("two")
	if n != 1 {
		t.Errorf("two lines from one logger encoded its values %d times, want once", n)
	}
	if got := lines(t, &out); len(got) != 2 || got[1]["VendorAllowlist"] != "team-a/github" {
		t.Errorf("lines = %v", got)
	}
}
