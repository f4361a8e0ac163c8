/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package version tells which build of the operator is running: the release version,
// the Git commit and the build date. The manager and the kubectl plugin print it for
// --version, and the manager logs it at start.
//
// Release builds set the three variables with the linker:
//
//	go build -ldflags "-X github.com/vendorallowlist/vendor-allowlist-operator/internal/version.version=v0.1.0
//	  -X github.com/vendorallowlist/vendor-allowlist-operator/internal/version.commit=0123abc...
//	  -X github.com/vendorallowlist/vendor-allowlist-operator/internal/version.date=2026-01-31T12:00:00Z" ./cmd
//
// (`make image`, `make build` and the Dockerfile do). A plain `go build` or `go install`
// leaves them empty, and Get falls back to what the Go toolchain records in the binary:
// the module version of `go install ...@v0.1.0`, or the VCS revision and commit time of
// a build from a Git checkout.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Package is this package's import path, which -ldflags -X names.
const Package = "github.com/vendorallowlist/vendor-allowlist-operator/internal/version"

// Set by -ldflags -X (see the package comment).
var (
	version = ""
	commit  = ""
	date    = ""
)

// Unknown stands for a field neither the linker nor the build information set.
const Unknown = "unknown"

// Info is one build's identity.
type Info struct {
	// Version is the release, such as v0.1.0, or "(devel)" for a build from source.
	Version string
	// Commit is the Git commit the binary was built from, with "-dirty" appended when
	// the work tree had uncommitted changes (known only from the build information).
	Commit string
	// Date is when the binary was built, in RFC 3339 (for a release, the commit's time,
	// so that rebuilding gives the same binary).
	Date string
	// GoVersion and Platform (GOOS/GOARCH) are those of the running binary.
	GoVersion string
	Platform  string
}

// Get returns the running binary's build identity.
func Get() Info {
	info, _ := debug.ReadBuildInfo()
	return get(version, commit, date, info)
}

// get fills the fields the linker did not set from the build information (which may be
// nil).
func get(version, commit, date string, info *debug.BuildInfo) Info {
	out := Info{Version: version, Commit: commit, Date: date,
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if info != nil {
		settings := map[string]string{}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		if out.Version == "" && info.Main.Version != "" {
			out.Version = info.Main.Version
		}
		if out.Commit == "" && settings["vcs.revision"] != "" {
			out.Commit = settings["vcs.revision"]
			if settings["vcs.modified"] == "true" {
				out.Commit += "-dirty"
			}
		}
		if out.Date == "" {
			out.Date = settings["vcs.time"]
		}
	}
	if out.Version == "" {
		out.Version = "(devel)"
	}
	if out.Commit == "" {
		out.Commit = Unknown
	}
	if out.Date == "" {
		out.Date = Unknown
	}
	return out
}

// String is the one-line form --version prints after the program's name:
// "v0.1.0 (commit 0123abc..., built 2026-01-31T12:00:00Z, go1.26.8 linux/amd64)".
func (i Info) String() string {
	return fmt.Sprintf("%s (commit %s, built %s, %s %s)", i.Version, i.Commit, i.Date, i.GoVersion, i.Platform)
}

// LDFlags returns the -X flags that set version, commit and date, for a build's
// -ldflags. The values must not contain spaces (the go command splits -ldflags on
// them).
func LDFlags(version, commit, date string) string {
	return fmt.Sprintf("-X %[1]s.version=%[2]s -X %[1]s.commit=%[3]s -X %[1]s.date=%[4]s", Package, version, commit, date)
}
