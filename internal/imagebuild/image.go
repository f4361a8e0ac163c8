/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package imagebuild builds the manager's container image without a container engine,
// with go-containerregistry: a static Go binary, cross-compiled for each platform, in a
// single layer on an empty base (FROM scratch), run as 65532:65532, under an OCI image
// index. Each platform's image gets a CycloneDX SBOM made from the Go build information
// of its binary, attached as an OCI referrer (an artifact manifest whose subject is the
// image).
//
// The build is reproducible: the binary is built with -trimpath and without VCS
// stamping, every time in the image (config, history, file times, labels) is the
// source date (SOURCE_DATE_EPOCH, the commit's time), the layer's file has fixed owner
// and mode, and so two builds of one commit give one digest.
//
// The image carries no CA certificates: the manager speaks TLS only to the API server,
// whose CA it reads from the service account (/var/run/secrets/kubernetes.io/
// serviceaccount/ca.crt, through rest.InClusterConfig), and sends DNS over plain UDP and
// TCP. It has no shell, no /etc/passwd (the user is numeric) and no time zone data
// (its logs are in UTC).
//
// The Dockerfile at the repository's root builds the same image for users with Docker;
// test/image checks that the two agree on the user, the entrypoint and the labels.
package imagebuild

import (
	"fmt"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// What every image says about itself: its OCI labels (and the index's annotations).
const (
	Title       = "vendor-allowlist-operator"
	Description = "Keeps NetworkPolicies in step with SaaS vendors' published allowlist addresses"
	Source      = "https://github.com/vendorallowlist/vendor-allowlist-operator"
	Licenses    = "Apache-2.0"
)

// How the image runs.
const (
	// BinaryPath is the manager's path in the image, its entrypoint.
	BinaryPath = "/manager"
	// User is the distroless "nonroot" user and group, numeric so that the image needs
	// no /etc/passwd; the chart's and config/manager's securityContext name the same.
	User = "65532:65532"
	// defaultPath is the PATH Docker gives an image built FROM scratch; kept so that
	// both builds give the same environment.
	defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// OCI label (and annotation) keys.
const (
	LabelTitle       = "org.opencontainers.image.title"
	LabelDescription = "org.opencontainers.image.description"
	LabelSource      = "org.opencontainers.image.source"
	LabelLicenses    = "org.opencontainers.image.licenses"
	LabelVersion     = "org.opencontainers.image.version"
	LabelRevision    = "org.opencontainers.image.revision"
	LabelCreated     = "org.opencontainers.image.created"
	// LabelRefName names an image in an OCI layout's index.json.
	LabelRefName = "org.opencontainers.image.ref.name"
)

// DefaultPlatforms are the platforms a release is built for.
var DefaultPlatforms = []v1.Platform{
	{OS: "linux", Architecture: "amd64"},
	{OS: "linux", Architecture: "arm64", Variant: "v8"},
}

// Build describes one build of the image.
type Build struct {
	// ModuleDir is the root of the operator's Go module, where go build runs.
	ModuleDir string
	// Package is the manager's main package, relative to ModuleDir ("./cmd").
	Package string
	// Version (such as v0.1.0) and Commit (the Git commit's full hash) are stamped in
	// the binary, for --version, and in the labels.
	Version string
	Commit  string
	// Created is the source date: the commit's time (SOURCE_DATE_EPOCH). It is the
	// image's creation time, the binary's build date and every file's time.
	Created time.Time
	// Platforms to build for; empty means DefaultPlatforms.
	Platforms []v1.Platform
}

// Validate says what is wrong with b, naming the option and the fix.
func (b Build) Validate() error {
	var errs []string
	for name, v := range map[string]string{"version": b.Version, "commit": b.Commit} {
		switch {
		case v == "":
			errs = append(errs, fmt.Sprintf("%s: must be set (make image sets it from git)", name))
		case strings.ContainsAny(v, " \t\n\"'"):
			errs = append(errs, fmt.Sprintf("%s %q: must not contain spaces or quotes (it is passed in -ldflags)", name, v))
		}
	}
	if b.Created.IsZero() || b.Created.Before(time.Unix(0, 0)) {
		errs = append(errs, "created (SOURCE_DATE_EPOCH): must be set to a time after 1970, such as the commit's: git log -1 --format=%ct")
	}
	for _, p := range b.Platforms {
		if p.OS != "linux" || (p.Architecture != "amd64" && p.Architecture != "arm64") {
			errs = append(errs, fmt.Sprintf("platform %s: only linux/amd64 and linux/arm64 are built", p))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("image build options: %s", strings.Join(errs, "; "))
	}
	return nil
}

// platforms are the build's platforms, arm64 with its usual variant, v8, when none is
// given.
func (b Build) platforms() []v1.Platform {
	if len(b.Platforms) == 0 {
		return DefaultPlatforms
	}
	out := slices.Clone(b.Platforms)
	for i := range out {
		if out[i].Architecture == "arm64" && out[i].Variant == "" {
			out[i].Variant = "v8"
		}
	}
	return out
}

// CreatedString is the source date as the labels and the binary carry it (RFC 3339,
// UTC).
func (b Build) CreatedString() string {
	return b.Created.UTC().Format(time.RFC3339)
}

// Labels are the image's OCI labels, which the index also carries as annotations.
func (b Build) Labels() map[string]string {
	return map[string]string{
		LabelTitle:       Title,
		LabelDescription: Description,
		LabelSource:      Source,
		LabelLicenses:    Licenses,
		LabelVersion:     b.Version,
		LabelRevision:    b.Commit,
		LabelCreated:     b.CreatedString(),
	}
}

// Config is how the image runs: its user, entrypoint, labels and environment.
func (b Build) Config() v1.Config {
	return v1.Config{
		User:       User,
		Entrypoint: []string{BinaryPath},
		WorkingDir: "/",
		Env:        []string{defaultPath},
		Labels:     b.Labels(),
	}
}

// platformSlug names a platform's files: "linux-amd64", "linux-arm64".
func platformSlug(p v1.Platform) string {
	return p.OS + "-" + p.Architecture
}
