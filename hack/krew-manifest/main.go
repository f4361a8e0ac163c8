/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Command krew-manifest writes the krew plugin manifest of a release from its plugin
// archives (hack/plugin-archives.sh), so that `kubectl krew install vendorallowlist`
// (from krew-index, or --manifest-url on the release's copy) installs the binary that
// was released, checked against the archive's sha256.
//
//	go run ./hack/krew-manifest -version v0.2.0 -archives dist/plugin -o dist/plugin/vendorallowlist.yaml
//
// Each archive is kubectl-vendorallowlist_VERSION_OS_ARCH.tar.gz (.zip on Windows)
// with one directory of that name inside, holding the binary and LICENSE.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// PluginName is what users type: kubectl krew install vendorallowlist, then kubectl
// vendorallowlist.
const PluginName = "vendorallowlist"

const (
	binary      = "kubectl-vendorallowlist"
	homepage    = "https://github.com/vendorallowlist/vendor-allowlist-operator"
	downloadURL = homepage + "/releases/download/"
)

// manifest is krew's Plugin (krew.googlecontainertools.github.com/v1alpha2), the
// fields a plugin uses.
type manifest struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   metadata `json:"metadata"`
	Spec       spec     `json:"spec"`
}

type metadata struct {
	Name string `json:"name"`
}

type spec struct {
	Version          string     `json:"version"`
	Homepage         string     `json:"homepage"`
	ShortDescription string     `json:"shortDescription"`
	Description      string     `json:"description"`
	Caveats          string     `json:"caveats,omitempty"`
	Platforms        []platform `json:"platforms"`
}

type platform struct {
	Selector selector   `json:"selector"`
	URI      string     `json:"uri"`
	Sha256   string     `json:"sha256"`
	Files    []fileCopy `json:"files"`
	Bin      string     `json:"bin"`
}

type selector struct {
	MatchLabels map[string]string `json:"matchLabels"`
}

type fileCopy struct {
	From string `json:"from"`
	To   string `json:"to"`
}

const description = `Renders the NetworkPolicies that vendor-allowlist-operator would apply for a
VendorAllowlist, without a cluster; lists and checks the vendor catalog and its
feeds; shows an allowlist's ingress targets. Use it to review an allowlist in a pull
request, or to see what a Vendor or a feed change would open.
`

func main() {
	version := flag.String("version", "", "the release tag, vX.Y.Z")
	dir := flag.String("archives", "dist/plugin", "the directory holding the plugin archives")
	out := flag.String("o", "", "where to write the manifest (krew wants it named "+PluginName+".yaml); empty: stdout")
	flag.Parse()
	m, err := build(*version, *dir)
	if err == nil {
		err = write(m, *out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "krew-manifest:", err)
		os.Exit(1)
	}
}

var tag = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)

// build reads the archives of version in dir into the manifest.
func build(version, dir string) (*manifest, error) {
	if !tag.MatchString(version) {
		return nil, fmt.Errorf("-version %q is not a release tag: give vX.Y.Z", version)
	}
	archive := regexp.MustCompile(`^` + regexp.QuoteMeta(binary+"_"+version+"_") + `([a-z0-9]+)_([a-z0-9]+)\.(tar\.gz|zip)$`)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the archives: %w", err)
	}
	var platforms []platform
	for _, e := range entries {
		m := archive.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		sum, err := sha256File(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		platforms = append(platforms, newPlatform(version, e.Name(), m[1], m[2], sum))
	}
	if len(platforms) == 0 {
		return nil, fmt.Errorf("no archive %s_%s_OS_ARCH.tar.gz or .zip in %s: run make plugin-archives VERSION=%s first", binary, version, dir, version)
	}
	sort.Slice(platforms, func(i, j int) bool { return platforms[i].URI < platforms[j].URI })
	return &manifest{
		APIVersion: "krew.googlecontainertools.github.com/v1alpha2",
		Kind:       "Plugin",
		Metadata:   metadata{Name: PluginName},
		Spec: spec{
			Version:          version,
			Homepage:         homepage,
			ShortDescription: "Render and check vendor allowlists offline",
			Description:      description,
			Platforms:        platforms,
		},
	}, nil
}

func newPlatform(version, name, goos, goarch, sum string) platform {
	dir := strings.TrimSuffix(strings.TrimSuffix(name, ".tar.gz"), ".zip")
	bin := binary
	if goos == "windows" {
		bin += ".exe"
	}
	return platform{
		Selector: selector{MatchLabels: map[string]string{"os": goos, "arch": goarch}},
		URI:      downloadURL + version + "/" + name,
		Sha256:   sum,
		Files:    []fileCopy{{From: dir + "/" + bin, To: "."}, {From: dir + "/LICENSE", To: "."}},
		Bin:      bin,
	}
}

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func write(m *manifest, path string) error {
	raw, err := yaml.Marshal(m)
	if err != nil {
		return err
	}
	if path == "" {
		_, err = os.Stdout.Write(raw)
		return err
	}
	return os.WriteFile(path, raw, 0o644)
}
