/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package manager

import (
	"fmt"
	"runtime/debug"
	"strconv"
)

// The chart passes the container's memory limit (limits.memory through the downward
// API) and the share of it the Go runtime may use; GOMEMLIMIT itself cannot be set
// from a limit there, since the downward API gives a bare number and GOMEMLIMIT
// wants a share of it, not all of it, to leave room for what the runtime does not
// count (the binary's pages).
const (
	memoryLimitEnv        = "VAO_MEMORY_LIMIT_BYTES"
	memoryLimitPercentEnv = "VAO_MEMORY_LIMIT_PERCENT"
)

// SetMemoryLimit sets the Go runtime's soft memory limit to the share of the
// container's memory limit the chart gives, so that the garbage collector works
// harder as the heap nears the limit instead of the container being killed, and
// returns it (0: left as it was). GOMEMLIMIT, when set, wins.
func SetMemoryLimit(getenv func(string) string) (int64, error) {
	if getenv("GOMEMLIMIT") != "" || getenv(memoryLimitEnv) == "" {
		return 0, nil
	}
	limit, err := strconv.ParseInt(getenv(memoryLimitEnv), 10, 64)
	if err != nil || limit <= 0 {
		return 0, fmt.Errorf("%s=%q: want the container's memory limit in bytes (resourceFieldRef limits.memory), or unset", memoryLimitEnv, getenv(memoryLimitEnv))
	}
	percent := int64(90)
	if v := getenv(memoryLimitPercentEnv); v != "" {
		if percent, err = strconv.ParseInt(v, 10, 64); err != nil || percent < 0 || percent > 100 {
			return 0, fmt.Errorf("%s=%q: want a share of the memory limit from 0 (no soft limit) to 100 (chart value goMemoryLimitPercent)", memoryLimitPercentEnv, v)
		}
	}
	if percent == 0 {
		return 0, nil
	}
	soft := limit / 100 * percent
	debug.SetMemoryLimit(soft)
	return soft, nil
}

// DefaultGCPercent is the manager's GOGC when GOGC is not set: the heap may grow by
// a quarter of what is live before a collection, not by all of it (the runtime's
// 100). Nearly all of a converged manager's heap is its cache, which lives as long as
// the manager, so the headroom GOGC gives is spent only in bursts (a cold start, a
// restart's resync, a DNS change under many allowlists), and a manager with nothing
// to converge collects rarely at any setting. In the benchmark, 100 -> 50 cut a
// 10,000-allowlist cold start's peak from 175 to 138 MiB, and 50 -> 25 the restarted
// manager's from 131.9 to 113.5 MiB and a 1,000 cold start's from 50-52 to 46 MiB;
// the price is more collections in those bursts: the manager's CPU per cold start
// rose by 13-22% against the control plane's (docs/performance.md, "Memory"). A
// cluster that restarts the manager often and has memory to spare can set 50.
const DefaultGCPercent = 25

// SetGCPercent sets the garbage collector's target to DefaultGCPercent and returns
// it, unless GOGC is set, which the runtime has read already (0 then).
func SetGCPercent(getenv func(string) string) int {
	if getenv("GOGC") != "" {
		return 0
	}
	debug.SetGCPercent(DefaultGCPercent)
	return DefaultGCPercent
}
