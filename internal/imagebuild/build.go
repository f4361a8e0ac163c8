/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package imagebuild

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/buildinfo"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/version"
)

// Result is a built image: the index and, per platform, its image and SBOM.
type Result struct {
	Build     Build
	Index     v1.ImageIndex
	Platforms []PlatformImage
}

// PlatformImage is one platform's image and its SBOM.
type PlatformImage struct {
	Platform v1.Platform
	Image    v1.Image
	// SBOM is the CycloneDX JSON document of the image's binary, and SBOMArtifact the
	// OCI artifact that carries it, with the image as its subject.
	SBOM         []byte
	SBOMArtifact v1.Image
}

// Run builds the manager for every platform and assembles the image index. Progress
// and the go command's output go to log.
func Run(ctx context.Context, b Build, log io.Writer) (*Result, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "vao-imagebuild-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	res := &Result{Build: b}
	var adds []mutate.IndexAddendum
	for _, p := range b.platforms() {
		bin := filepath.Join(tmp, "manager-"+platformSlug(p))
		fmt.Fprintf(log, "imagebuild: go build %s for %s\n", b.Package, p)
		if err := goBuild(ctx, b, p, bin, log); err != nil {
			return nil, err
		}
		pi, err := platformImage(b, p, bin)
		if err != nil {
			return nil, fmt.Errorf("image for %s: %w", p, err)
		}
		res.Platforms = append(res.Platforms, *pi)
		adds = append(adds, mutate.IndexAddendum{Add: pi.Image, Descriptor: v1.Descriptor{Platform: &pi.Platform}})
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	idx = mutate.AppendManifests(idx, adds...)
	res.Index = mutate.Annotations(idx, b.Labels()).(v1.ImageIndex)
	return res, nil
}

// goBuild cross-compiles a static manager for p into out. The environment is pinned so
// that the machine's settings (GOFLAGS, GOAMD64, CGO) cannot change the binary.
func goBuild(ctx context.Context, b Build, p v1.Platform, out string, log io.Writer) error {
	ldflags := "-s -w " + version.LDFlags(b.Version, b.Commit, b.CreatedString())
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", out, b.Package)
	cmd.Dir = b.ModuleDir
	cmd.Env = append(os.Environ(),
		"CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture,
		"GOAMD64=v1", "GOARM64=v8.0", "GOFLAGS=-mod=readonly", "GOEXPERIMENT=",
	)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s for %s: %w", b.Package, p, err)
	}
	return nil
}

// platformImage wraps the binary at bin in p's image, and makes its SBOM.
func platformImage(b Build, p v1.Platform, bin string) (*PlatformImage, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	layer, err := binaryLayer(data, b)
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: b.Created.UTC()},
			CreatedBy: fmt.Sprintf("COPY manager %s # go build -trimpath %s (GOOS=%s GOARCH=%s CGO_ENABLED=0)", BinaryPath, b.Package, p.OS, p.Architecture),
		},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Created = v1.Time{Time: b.Created.UTC()}
	cf.Config = b.Config()
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, err
	}

	info, err := buildinfo.Read(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("reading the build information of %s: %w", bin, err)
	}
	sbom, err := SBOM(info, b, p)
	if err != nil {
		return nil, err
	}
	artifact, err := sbomArtifact(img, sbom, b)
	if err != nil {
		return nil, err
	}
	return &PlatformImage{Platform: p, Image: img, SBOM: sbom, SBOMArtifact: artifact}, nil
}

// binaryLayer is a layer with the one file BinaryPath: owned by root, read and execute
// only, timed at the source date, so that the same binary always gives the same layer.
func binaryLayer(bin []byte, b Build) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     strings.TrimPrefix(BinaryPath, "/"),
		Mode:     0o555,
		Size:     int64(len(bin)),
		ModTime:  b.Created.UTC(),
		Format:   tar.FormatPAX,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(bin); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	content := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(content)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
}
