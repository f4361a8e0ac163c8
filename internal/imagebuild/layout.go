/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package imagebuild

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The files Write puts in its directory.
const (
	// LayoutDir is the OCI image layout: the index (named by its version in
	// index.json) and the SBOM artifacts.
	LayoutDir = "oci"
	// ManifestFile is BuildManifest as JSON, for scripts (the release workflow).
	ManifestFile = "build.json"
)

// BuildManifest says what Write wrote: the digests and where each file is.
type BuildManifest struct {
	// Tag is the name the archives load as (docker load, kind load image-archive).
	Tag string `json:"tag"`
	// Digest is the image index's.
	Digest    string             `json:"digest"`
	Version   string             `json:"version"`
	Commit    string             `json:"commit"`
	Created   string             `json:"created"`
	Platforms []PlatformManifest `json:"platforms"`
}

// PlatformManifest is one platform's image in a BuildManifest.
type PlatformManifest struct {
	Platform string `json:"platform"`
	Digest   string `json:"digest"`
	// Archive is the image as a docker archive (docker save format), relative to the
	// directory.
	Archive string `json:"archive"`
	// SBOM is the CycloneDX document, relative to the directory, and SBOMDigest the
	// digest of the artifact that carries it.
	SBOM       string `json:"sbom"`
	SBOMDigest string `json:"sbomDigest"`
}

// Write replaces dir with: the OCI layout (LayoutDir), one docker archive per platform
// tagged tag (linux-amd64.tar, ...), the SBOMs (sbom-linux-amd64.cdx.json, ...) and
// build.json.
func Write(dir string, res *Result, tag name.Tag) (*BuildManifest, error) {
	partialDir := dir + ".partial"
	if err := os.RemoveAll(partialDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(partialDir, 0o755); err != nil {
		return nil, err
	}
	digest, err := res.Index.Digest()
	if err != nil {
		return nil, err
	}
	bm := &BuildManifest{Tag: tag.String(), Digest: digest.String(), Version: res.Build.Version,
		Commit: res.Build.Commit, Created: res.Build.CreatedString()}

	lp, err := layout.Write(filepath.Join(partialDir, LayoutDir), empty.Index)
	if err != nil {
		return nil, fmt.Errorf("writing the OCI layout: %w", err)
	}
	if err := lp.AppendIndex(res.Index, layout.WithAnnotations(map[string]string{LabelRefName: res.Build.Version})); err != nil {
		return nil, fmt.Errorf("writing the image index to the OCI layout: %w", err)
	}
	for _, pi := range res.Platforms {
		slug := platformSlug(pi.Platform)
		pm := PlatformManifest{Platform: pi.Platform.String(), Archive: slug + ".tar", SBOM: "sbom-" + slug + ".cdx.json"}
		d, err := pi.Image.Digest()
		if err != nil {
			return nil, err
		}
		pm.Digest = d.String()
		if d, err = pi.SBOMArtifact.Digest(); err != nil {
			return nil, err
		}
		pm.SBOMDigest = d.String()
		if err := lp.AppendImage(pi.SBOMArtifact); err != nil {
			return nil, fmt.Errorf("writing the SBOM of %s to the OCI layout: %w", pi.Platform, err)
		}
		if err := tarball.WriteToFile(filepath.Join(partialDir, pm.Archive), tag, pi.Image); err != nil {
			return nil, fmt.Errorf("writing the archive of %s: %w", pi.Platform, err)
		}
		if err := os.WriteFile(filepath.Join(partialDir, pm.SBOM), pi.SBOM, 0o644); err != nil {
			return nil, err
		}
		bm.Platforms = append(bm.Platforms, pm)
	}
	js, err := json.MarshalIndent(bm, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(partialDir, ManifestFile), append(js, '\n'), 0o644); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	return bm, os.Rename(partialDir, dir)
}

// Push pushes the image index of the OCI layout in dir (as Write left it) to ref, a tag
// or a repository, and then each SBOM artifact by digest, and returns the index's
// digest in ref's repository.
func Push(ctx context.Context, dir string, ref name.Reference, opts ...remote.Option) (name.Digest, error) {
	lp := layout.Path(filepath.Join(dir, LayoutDir))
	top, err := lp.ImageIndex()
	if err != nil {
		return name.Digest{}, fmt.Errorf("reading the OCI layout in %s (run make image first): %w", dir, err)
	}
	im, err := top.IndexManifest()
	if err != nil {
		return name.Digest{}, err
	}
	var index v1.ImageIndex
	var artifacts []v1.Image
	for _, desc := range im.Manifests {
		switch desc.MediaType {
		case types.OCIImageIndex:
			if index != nil {
				return name.Digest{}, fmt.Errorf("the OCI layout in %s holds more than one image index: rebuild it with make image", dir)
			}
			if index, err = top.ImageIndex(desc.Digest); err != nil {
				return name.Digest{}, err
			}
		case types.OCIManifestSchema1:
			img, err := top.Image(desc.Digest)
			if err != nil {
				return name.Digest{}, err
			}
			artifacts = append(artifacts, img)
		}
	}
	if index == nil {
		return name.Digest{}, fmt.Errorf("the OCI layout in %s holds no image index: rebuild it with make image", dir)
	}
	digest, err := index.Digest()
	if err != nil {
		return name.Digest{}, err
	}
	opts = append([]remote.Option{remote.WithContext(ctx), remote.WithReferrersTagFallback(true)}, opts...)
	if err := remote.WriteIndex(ref, index, opts...); err != nil {
		return name.Digest{}, fmt.Errorf("pushing the image index to %s: %w", ref, err)
	}
	for _, a := range artifacts {
		d, err := a.Digest()
		if err != nil {
			return name.Digest{}, err
		}
		if err := remote.Write(ref.Context().Digest(d.String()), a, opts...); err != nil {
			return name.Digest{}, fmt.Errorf("pushing the SBOM artifact %s: %w", d, err)
		}
	}
	return ref.Context().Digest(digest.String()), nil
}
