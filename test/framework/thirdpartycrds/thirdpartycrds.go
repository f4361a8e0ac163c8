/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package thirdpartycrds gives tests the real CRDs of the projects whose objects the
// ingress targets write (Envoy Gateway's SecurityPolicy, Istio's AuthorizationPolicy,
// Traefik's Middleware) or attach to (Gateway API's), and of the dataplanes that
// enforce egress by name (Cilium, network-policy-api's ClusterNetworkPolicy, GKE),
// never written by hand: each is read from the project's own published Go module, at
// a pinned version, through the Go module cache (outside the clone, keyed by version;
// `go mod download` fetches it from the module proxy the first time and locks the
// cache while it does).
//
// They are not committed: the files are 1.5 MB together, and a version bump is one
// line here.
//
// OVN-Kubernetes' EgressFirewall is missing: the module proxy reachable here serves
// no module that holds its CRD (neither github.com/ovn-org/ovn-kubernetes nor its
// go-controller module), and its chart is in no registry reachable here.
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
	// Cilium holds CiliumNetworkPolicy (cilium.io/v2), whose egress toFQDNs Cilium's
	// DNS proxy enforces by name. Its version is the one go.mod requires, so that the
	// schema and the policy validator the tests run ((*api.Rule).Sanitize) are of one
	// release.
	Cilium = Source{
		Project: "Cilium", Module: "github.com/cilium/cilium", Version: "v1.20.2",
		Path: "pkg/k8s/apis/cilium.io/client/crds/v2/ciliumnetworkpolicies.yaml",
	}
	// ClusterNetworkPolicy holds ClusterNetworkPolicy (policy.networking.k8s.io) of
	// the experimental channel, the only one with egress domainNames. Its version is
	// the one go.mod requires, whose typed API the tests write it with.
	ClusterNetworkPolicy = Source{
		Project: "network-policy-api (experimental channel)", Module: "sigs.k8s.io/network-policy-api", Version: "v0.3.0",
		Path: "config/crd/experimental/policy.networking.k8s.io_clusternetworkpolicies.yaml",
	}
	// GKEFQDNNetworkPolicy holds FQDNNetworkPolicy (networking.gke.io/v1alpha1),
	// which GKE Dataplane V2 enforces, from GKE's published networking API (not the
	// older open-source controller's v1alpha3 kind of the same name).
	GKEFQDNNetworkPolicy = Source{
		Project: "GKE networking API", Module: "github.com/GoogleCloudPlatform/gke-networking-api", Version: "v0.2.11",
		Path: "config/crds/networking.gke.io_fqdnnetworkpolicies.yaml",
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
