/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package logging

import (
	"os"

	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	crzap "sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// New is the logger controller-runtime's zap package builds from o (and so from its
// flags: --zap-devel, --zap-encoder, --zap-log-level, --zap-stacktrace-level,
// --zap-time-encoding), line for line, except that no line is sampled away.
//
// In production mode controller-runtime wraps the core in zap's sampler, which writes
// the first 100 lines of a message in each second and one in 100 after. The lines the
// manager writes at info are each one change it made ("Applied NetworkPolicy") or one
// failure, and those are already bounded by the API client's rate limit and the work
// queue's backoff; in a cold start of 1,000 allowlists the sampler dropped about half
// of the record of what the operator changed. Its counters are also a fixed table of
// 448 KiB, 6% of the whole live heap of a manager of 1,000 allowlists.
func New(o crzap.Options) logr.Logger {
	if o.DestWriter == nil {
		o.DestWriter = os.Stderr
	}
	// controller-runtime's own encoders, the console one in development mode.
	defaultEncoder, level, stacktrace := crzap.JSONEncoder, zapcore.InfoLevel, zapcore.ErrorLevel
	if o.Development {
		defaultEncoder, level, stacktrace = crzap.ConsoleEncoder, zapcore.DebugLevel, zapcore.WarnLevel
		o.ZapOpts = append(o.ZapOpts, zap.Development())
	}
	if o.Level == nil {
		o.Level = zap.NewAtomicLevelAt(level)
	}
	if o.StacktraceLevel == nil {
		o.StacktraceLevel = zap.NewAtomicLevelAt(stacktrace)
	}
	if o.TimeEncoder == nil {
		o.TimeEncoder = zapcore.RFC3339TimeEncoder
	}
	if o.Encoder == nil {
		// The time encoder goes first, so that an option given may replace it.
		setTime := func(c *zapcore.EncoderConfig) { c.EncodeTime = o.TimeEncoder }
		opts := append([]crzap.EncoderConfigOption{setTime}, o.EncoderConfigOptions...)
		if o.NewEncoder != nil { // --zap-encoder
			o.Encoder = o.NewEncoder(opts...)
		} else {
			defaultEncoder(opts...)(&o)
		}
	}
	sink := zapcore.AddSync(o.DestWriter)
	o.ZapOpts = append(o.ZapOpts, zap.AddStacktrace(o.StacktraceLevel), zap.ErrorOutput(sink))
	core := zapcore.NewCore(&crzap.KubeAwareEncoder{Encoder: o.Encoder, Verbose: o.Development}, sink, o.Level)
	return zapr.NewLogger(zap.New(core).WithOptions(o.ZapOpts...))
}
