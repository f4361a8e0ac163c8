/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package logging

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	crzap "sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// fixedTime makes two loggers' lines comparable.
func fixedTime(_ time.Time, enc zapcore.PrimitiveArrayEncoder) { enc.AppendString("T") }

// stacktraces are where two loggers' lines may differ: each names its own caller.
var stacktraces = regexp.MustCompile(`(?s)("stacktrace":"[^"]*")|(\n\S+\.\w+\n\t[^\n]*)+`)

func writeLines(log logr.Logger) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "web"}}
	log.Info("Applied NetworkPolicy", "policy", "vao-web", "object", pod)
	log.V(1).Info("a debug line")
	log.WithName("dns").WithValues("hostname", "sg1.workato.com").Error(errors.New("timeout"), "Lookup failed")
}

func TestNewWritesWhatControllerRuntimesLoggerWrites(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts func() crzap.Options
	}{
		{"production", func() crzap.Options { return crzap.Options{TimeEncoder: fixedTime} }},
		{"development", func() crzap.Options { return crzap.Options{Development: true, TimeEncoder: fixedTime} }},
		{"info level in development", func() crzap.Options {
			return crzap.Options{Development: true, TimeEncoder: fixedTime, Level: zapcore.InfoLevel}
		}},
		{"console encoder in production", func() crzap.Options {
			// An encoder given whole brings its own time encoding.
			o := crzap.Options{}
			crzap.ConsoleEncoder(func(c *zapcore.EncoderConfig) { c.EncodeTime = fixedTime })(&o)
			return o
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ours, theirs bytes.Buffer
			o := tc.opts()
			o.DestWriter = &ours
			writeLines(New(o))
			writeLines(crzap.New(crzap.UseFlagOptions(&crzap.Options{}), func(c *crzap.Options) {
				*c = tc.opts()
				c.DestWriter = &theirs
			}))
			if ours.Len() == 0 {
				t.Fatal("no line written")
			}
			if !strings.Contains(ours.String(), "timeout") || !stacktraces.MatchString(ours.String()) {
				t.Errorf("the error line or its stack trace is missing:\n%s", ours.String())
			}
			got, want := stacktraces.ReplaceAllString(ours.String(), "<stack>"), stacktraces.ReplaceAllString(theirs.String(), "<stack>")
			if got != want {
				t.Errorf("lines differ from controller-runtime's logger's\nours:\n%s\ntheirs:\n%s", got, want)
			}
		})
	}
}

func TestNoLineIsSampledAway(t *testing.T) {
	const n = 300
	var ours, theirs bytes.Buffer
	log := New(crzap.Options{DestWriter: &ours})
	sampled := crzap.New(crzap.WriteTo(&theirs))
	for i := range n {
		log.Info("Applied NetworkPolicy", "i", i)
		sampled.Info("Applied NetworkPolicy", "i", i)
	}
	if got := strings.Count(ours.String(), "\n"); got != n {
		t.Errorf("%d lines written of %d", got, n)
	}
	// What the sampler did, so that this test shows the difference it makes.
	if got := strings.Count(theirs.String(), "\n"); got >= n {
		t.Errorf("controller-runtime's production logger wrote %d of %d lines in one second; the premise of New is gone", got, n)
	}
}
