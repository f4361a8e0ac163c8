// Package thirdpartycrds gives tests the real CRDs of the projects whose objects the
// ingress targets write (Envoy Gateway's SecurityPolicy, Istio's AuthorizationPolicy,
// Traefik's Middleware) or attach to (Gateway API's), never written by hand: each is read from the project's own
// published Go module, at a pinned version, through the Go module cache (outside the
// clone, keyed by version; `go mod download` fetches it from the module proxy the
// first time and locks the cache while it does).
//
// They are not committed: the three files are 0.9 MB together, and a version bump is
// one line here.
package thirdpartycrds

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Source is a file of CRDs in a published Go module.
type Source struct {
	// Project names it in messages.
	Project string
	// Module and Version pin the module; Path is the file in it.
	Module, Version, Path string
	// Names are the CRDs to take from the file; empty takes all.
	Names []string
}

var (
	// EnvoyGateway holds SecurityPolicy (gateway.envoyproxy.io/v1alpha1), as the
	// gateway-helm chart installs it.
	EnvoyGateway = Source{
		Project: "Envoy Gateway", Module: "github.com/envoyproxy/gateway", Version: "v1.9.1",
		Path: "charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_securitypolicies.yaml",
	}
	// GatewayAPI holds the Gateway API kinds the targets of Envoy Gateway and Istio
	// attach to, and whose owners consent on them (a Gateway, its class, HTTPRoutes,
	// GRPCRoutes, TCPRoutes), as Envoy Gateway's chart installs them, so that a test
	// writes them to the API server and feeds what it reads back to Envoy Gateway's
	// translator.
	GatewayAPI = Source{
		Project: "Gateway API (Envoy Gateway's chart)", Module: "github.com/envoyproxy/gateway", Version: EnvoyGateway.Version,
		Path:  "charts/gateway-helm/charts/crds/crds/gatewayapi-crds.yaml",
		Names: []string{"gatewayclasses.gateway.networking.k8s.io", "gateways.gateway.networking.k8s.io", "httproutes.gateway.networking.k8s.io", "grpcroutes.gateway.networking.k8s.io", "tcproutes.gateway.networking.k8s.io"},
	}
	// Istio holds AuthorizationPolicy (security.istio.io/v1), from istio.io/api's
	// generated CRDs, which istio's base chart installs.
	Istio = Source{
		Project: "Istio", Module: "istio.io/api", Version: "v1.32.0",
		Path:  "kubernetes/customresourcedefinitions.gen.yaml",
		Names: []string{"authorizationpolicies.security.istio.io"},
	}
	// Traefik holds every CRD of Traefik's Kubernetes CRD provider (which watches
	// them all, so a Traefik run against the API server needs them all), from the
	// module the dataplane suite's Traefik is built from.
	Traefik = Source{
		Project: "Traefik", Module: "github.com/traefik/traefik/v3", Version: "v3.7.13",
		Path: "docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml",
	}
)

// Load reads the CRDs of the sources, downloading their modules if need be.
func Load(sources ...Source) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var out []*apiextensionsv1.CustomResourceDefinition
	for _, s := range sources {
		crds, err := s.load()
		if err != nil {
			return nil, err
		}
		out = append(out, crds...)
	}
	return out, nil
}

func (s Source) load() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	dir, err := moduleDir(s.Module, s.Version)
	if err != nil {
		return nil, fmt.Errorf("%s's CRDs: %w", s.Project, err)
	}
	// envtest's reader: YAML documents, CustomResourceDefinitions only.
	opts := envtest.CRDInstallOptions{Paths: []string{filepath.Join(dir, s.Path)}, ErrorIfPathMissing: true}
	if err := envtest.ReadCRDFiles(&opts); err != nil {
		return nil, fmt.Errorf("%s's CRDs: %w", s.Project, err)
	}
	crds := opts.CRDs
	if len(crds) == 0 {
		return nil, fmt.Errorf("%s's CRDs: no CustomResourceDefinition in %s@%s/%s", s.Project, s.Module, s.Version, s.Path)
	}
	return filter(crds, s.Names)
}

func filter(crds []*apiextensionsv1.CustomResourceDefinition, names []string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	if len(names) == 0 {
		return crds, nil
	}
	var out []*apiextensionsv1.CustomResourceDefinition
	for _, c := range crds {
		if slices.Contains(names, c.Name) {
			out = append(out, c)
		}
	}
	if len(out) != len(names) {
		return nil, fmt.Errorf("found %d of the CRDs %v", len(out), names)
	}
	return out, nil
}

// moduleDir downloads module@version into the module cache, if it is not there, and
// returns its directory. It runs outside any module, so that nothing of the
// repository's go.mod or go.sum changes.
func moduleDir(module, version string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GO111MODULE=on")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Error != "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", module, version, info.Error)
	}
	if err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w: %s", module, version, err, stderr.String())
	}
	if info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s gave no directory: %s", module, version, out)
	}
	return info.Dir, nil
}
