/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Command image builds the manager's container image without a container engine, and
// pushes it: `make image` and `make image-push` run it, and so does the release
// workflow.
//
//	go run ./hack/image build --out dist/image --tag IMG --version V --commit SHA --source-date-epoch N
//	go run ./hack/image push --dir dist/image --image REPO[:TAG]
//
// build writes an OCI layout (the index for linux/amd64 and linux/arm64, and a CycloneDX
// SBOM per platform as an OCI referrer), a docker archive per platform tagged IMG (for
// docker load, kind load image-archive, k3d image import), the SBOMs as files, and
// build.json with the digests. push sends the index and the SBOMs to a registry with the
// credentials of ~/.docker/config.json (docker login, or DOCKER_CONFIG), and prints the
// pushed REPO@sha256:... on standard output. internal/imagebuild says what the image
// holds.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/imagebuild"
)

const usage = `usage:
  image build --out DIR --tag IMAGE --version VERSION --commit SHA --source-date-epoch SECONDS [--platform linux/amd64,linux/arm64] [--package ./cmd]
  image push --dir DIR --image IMAGE [--insecure]
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "build":
		err = build(ctx, os.Args[2:])
	case "push":
		err = push(ctx, os.Args[2:])
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func build(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	out := fs.String("out", "dist/image", "Directory to write (replaced).")
	tag := fs.String("tag", "", "Name the docker archives load as, such as ghcr.io/vendorallowlist/vendor-allowlist-operator:v0.1.0.")
	b := imagebuild.Build{ModuleDir: ".", Package: "./cmd"}
	fs.StringVar(&b.Version, "version", "", "Version stamped in the binary and the labels, such as v0.1.0.")
	fs.StringVar(&b.Commit, "commit", "", "Git commit stamped in the binary and the labels.")
	fs.StringVar(&b.Package, "package", b.Package, "The manager's main package.")
	epoch := fs.String("source-date-epoch", os.Getenv("SOURCE_DATE_EPOCH"), "The source date, in seconds since 1970 (the commit's time: git log -1 --format=%ct).")
	platforms := fs.String("platform", "", "Comma-separated platforms, such as linux/amd64 (default: every platform a release is built for, linux/amd64 and linux/arm64).")
	if err := fs.Parse(args); err != nil {
		return err
	}
	secs, err := strconv.ParseInt(*epoch, 10, 64)
	if err != nil {
		return fmt.Errorf("--source-date-epoch %q: must be whole seconds since 1970, such as $(git log -1 --format=%%ct)", *epoch)
	}
	b.Created = time.Unix(secs, 0).UTC()
	for _, p := range strings.FieldsFunc(*platforms, func(r rune) bool { return r == ',' }) {
		pl, err := v1.ParsePlatform(strings.TrimSpace(p))
		if err != nil {
			return fmt.Errorf("--platform %q: %w", p, err)
		}
		b.Platforms = append(b.Platforms, *pl)
	}
	t, err := name.NewTag(*tag)
	if err != nil {
		return fmt.Errorf("--tag %q: %w (give a name such as ghcr.io/vendorallowlist/vendor-allowlist-operator:v0.1.0)", *tag, err)
	}

	res, err := imagebuild.Run(ctx, b, os.Stderr)
	if err != nil {
		return err
	}
	bm, err := imagebuild.Write(*out, res, t)
	if err != nil {
		return err
	}
	fmt.Printf("image %s (version %s, commit %s, created %s)\n", bm.Digest, bm.Version, bm.Commit, bm.Created)
	for _, p := range bm.Platforms {
		fmt.Printf("  %-14s %s  %s/%s  sbom %s\n", p.Platform, p.Digest, *out, p.Archive, p.SBOMDigest)
	}
	fmt.Printf("wrote %s (OCI layout %s/%s; load an archive with: kind load image-archive %s/%s)\n",
		*out, *out, imagebuild.LayoutDir, *out, bm.Platforms[0].Archive)
	return nil
}

func push(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("push", flag.ContinueOnError)
	dir := fs.String("dir", "dist/image", "Directory that build wrote.")
	image := fs.String("image", "", "Where to push: REPO:TAG, or REPO to push by digest only.")
	insecure := fs.Bool("insecure", false, "Allow plain HTTP (a local registry).")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var nameOpts []name.Option
	if *insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	ref, err := name.ParseReference(*image, nameOpts...)
	if err != nil {
		return fmt.Errorf("--image %q: %w (give REPO:TAG, such as ghcr.io/you/vendor-allowlist-operator:v0.1.0)", *image, err)
	}
	d, err := imagebuild.Push(ctx, *dir, ref, remote.WithAuthFromKeychain(authn.DefaultKeychain))
	if err != nil {
		return err
	}
	fmt.Println(d.String())
	return nil
}
