/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package imagebuild

import (
	"bytes"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"path"
	"runtime/debug"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/package-url/packageurl-go"
)

// SBOMMediaType is the media type of the SBOM documents and of their OCI artifacts.
const SBOMMediaType types.MediaType = "application/vnd.cyclonedx+json"

// SBOM is a CycloneDX 1.6 JSON document of the Go modules linked into a binary, as its
// build information lists them (what `go version -m` prints): the main module at the
// build's version, every dependency module (after replace directives) and the Go
// standard library, with the build's settings (GOOS, GOARCH, CGO_ENABLED, flags) as
// properties. Its only time is the source date, so the same binary gives the same
// document.
func SBOM(info *buildinfo.BuildInfo, b Build, p v1.Platform) ([]byte, error) {
	main := cdx.Component{
		Type:       cdx.ComponentTypeApplication,
		Name:       info.Main.Path,
		Version:    b.Version,
		PackageURL: goPURL(info.Main.Path, b.Version),
		Properties: buildProperties(info, p),
	}
	main.BOMRef = main.PackageURL
	components := []cdx.Component{{
		Type:       cdx.ComponentTypeLibrary,
		Name:       "stdlib",
		Version:    info.GoVersion,
		PackageURL: goPURL("stdlib", info.GoVersion),
	}}
	for _, dep := range info.Deps {
		if dep.Replace != nil {
			dep = dep.Replace
		}
		components = append(components, cdx.Component{
			Type:       cdx.ComponentTypeLibrary,
			Name:       dep.Path,
			Version:    dep.Version,
			PackageURL: goPURL(dep.Path, dep.Version),
		})
	}
	refs := make([]string, 0, len(components))
	for i := range components {
		components[i].BOMRef = components[i].PackageURL
		refs = append(refs, components[i].BOMRef)
	}

	bom := cdx.NewBOM()
	bom.Metadata = &cdx.Metadata{
		Timestamp: b.CreatedString(),
		Component: &main,
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication,
			Name: "vendor-allowlist-operator internal/imagebuild (from debug/buildinfo)",
		}}},
	}
	bom.Components = &components
	bom.Dependencies = &[]cdx.Dependency{{Ref: main.BOMRef, Dependencies: &refs}}

	var buf bytes.Buffer
	if err := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON).SetPretty(true).EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return nil, fmt.Errorf("encoding the SBOM: %w", err)
	}
	return buf.Bytes(), nil
}

// goPURL is the package URL of a Go module: pkg:golang/github.com/go-logr/logr@v1.4.3,
// or pkg:golang/stdlib@go1.26.8.
func goPURL(module, version string) string {
	namespace, name := path.Split(module)
	return packageurl.NewPackageURL(packageurl.TypeGolang, strings.TrimSuffix(namespace, "/"), name, version, nil, "").ToString()
}

// buildProperties names the build's settings the way cyclonedx-gomod does.
func buildProperties(info *debug.BuildInfo, p v1.Platform) *[]cdx.Property {
	props := []cdx.Property{{Name: "cdx:gomod:build:env:GOOS", Value: p.OS}, {Name: "cdx:gomod:build:env:GOARCH", Value: p.Architecture}}
	for _, s := range info.Settings {
		switch s.Key {
		case "GOOS", "GOARCH":
			continue
		case "CGO_ENABLED", "GOAMD64", "GOARM64":
			props = append(props, cdx.Property{Name: "cdx:gomod:build:env:" + s.Key, Value: s.Value})
		default:
			props = append(props, cdx.Property{Name: "cdx:gomod:build:setting:" + s.Key, Value: s.Value})
		}
	}
	return &props
}

// emptyConfig is the OCI empty descriptor's content (media type types.OCIEmptyJSON):
// an artifact's config when the artifact has nothing to configure.
var emptyConfig = []byte("{}")

// sbomArtifact is an OCI 1.1 artifact manifest that carries sbom and names subject as
// what it describes, so that registries list it among the image's referrers (or,
// without the referrers API, under the sha256-<digest> tag, as cosign's are).
func sbomArtifact(subject v1.Image, sbom []byte, b Build) (v1.Image, error) {
	subj, err := partial.Descriptor(subject)
	if err != nil {
		return nil, err
	}
	layer := static.NewLayer(sbom, SBOMMediaType)
	layerDesc, err := partial.Descriptor(layer)
	if err != nil {
		return nil, err
	}
	layerDesc.Annotations = map[string]string{LabelTitle: "sbom.cdx.json"}
	configDigest, configSize, err := v1.SHA256(bytes.NewReader(emptyConfig))
	if err != nil {
		return nil, err
	}
	manifest, err := json.Marshal(v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  string(SBOMMediaType),
		Config:        v1.Descriptor{MediaType: types.OCIEmptyJSON, Size: configSize, Digest: configDigest, Data: emptyConfig},
		Layers:        []v1.Descriptor{*layerDesc},
		Subject:       &v1.Descriptor{MediaType: subj.MediaType, Size: subj.Size, Digest: subj.Digest},
		Annotations:   map[string]string{LabelCreated: b.CreatedString()},
	})
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&artifact{manifest: manifest, layer: layer, configDigest: configDigest})
}

// artifact is the core of an artifact manifest that go-containerregistry completes to
// a v1.Image, to write it to a layout or a registry.
type artifact struct {
	manifest     []byte
	layer        v1.Layer
	configDigest v1.Hash
}

func (a *artifact) RawConfigFile() ([]byte, error)      { return emptyConfig, nil }
func (a *artifact) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (a *artifact) RawManifest() ([]byte, error)        { return a.manifest, nil }

func (a *artifact) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if d, err := a.layer.Digest(); err == nil && d == h {
		return a.layer, nil
	}
	if h == a.configDigest {
		return static.NewLayer(emptyConfig, types.OCIEmptyJSON), nil
	}
	return nil, fmt.Errorf("artifact has no blob %s", h)
}
