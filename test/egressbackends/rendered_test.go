/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package egressbackends

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// renderedInput is a file of allowlists to render with each backend, and the DNS
// answers to render them with.
type renderedInput struct {
	path     string
	resolved render.Resolved
}

// renderedInputs are every sample users apply, the renderer's own test inputs
// (port ranges, SCTP, allPorts, IPv6, several vendors) and an allowlist with a
// wildcard, so that every shape a backend writes reaches the API server.
func renderedInputs(t *testing.T) []renderedInput {
	t.Helper()
	answers := render.Resolved{
		"sg1.workato.com":         {netip.MustParseAddr("3.210.10.10")},
		"www.workato.com":         {netip.MustParseAddr("3.33.200.1")},
		"api.partner.example.com": {netip.MustParseAddr("203.0.113.10")},
	}
	var out []renderedInput
	for _, pattern := range []string{"../../config/samples/*.yaml", "../../internal/render/testdata/*.yaml", "testdata/*.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if filepath.Base(f) != "kustomization.yaml" {
				out = append(out, renderedInput{path: f, resolved: answers})
			}
		}
	}
	return out
}

// allowlistsOf decodes every VendorAllowlist of a multi-document file strictly, in
// namespace ns.
func allowlistsOf(t *testing.T, path, ns string) []*v1alpha1.VendorAllowlist {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []*v1alpha1.VendorAllowlist
	for _, doc := range strings.Split(string(data), "\n---") {
		var probe struct{ Kind string }
		if yaml.Unmarshal([]byte(doc), &probe) != nil || probe.Kind != "VendorAllowlist" {
			continue
		}
		var a v1alpha1.VendorAllowlist
		if err := yaml.UnmarshalStrict([]byte(doc), &a); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		a.Namespace = ns
		out = append(out, &a)
	}
	return out
}

// renderedObjects are the objects backend writes for the file's allowlists, in a
// fresh namespace. The renderer's inputs answer from documentation ranges, which
// the guard allows here as the renderer's tests do.
func renderedObjects(t *testing.T, in renderedInput, backend render.EgressBackend) []*unstructured.Unstructured {
	t.Helper()
	ns := newNamespace(t, string(backend))
	opts := render.Options{EgressBackend: backend, Guard: guard.Guard{Allow: []netip.Prefix{
		netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32"),
	}}}
	var out []*unstructured.Unstructured
	for _, a := range allowlistsOf(t, in.path, ns) {
		plan, err := render.Compile(a, catalog.Builtin(), opts)
		if err != nil && !mustBackend(t, backend).Wildcards() && strings.Contains(err.Error(), "does not enforce a wildcard") {
			continue // refused, saying why: nothing to write
		}
		if err != nil {
			t.Fatalf("%s: %s: %v", in.path, a.Name, err)
		}
		out = append(out, plan.Build(in.resolved).EgressObjects...)
	}
	return out
}

// TestRenderedObjectsAreAcceptedAndJudgedByEachProject renders every input with
// Cilium, ClusterNetworkPolicy and GKE, writes each object to the API server with
// the project's own CRD and reads it back unchanged; then Cilium's Sanitize judges
// every CiliumNetworkPolicy rule, and network-policy-api's typed API decodes every
// ClusterNetworkPolicy strictly. GKE's is judged by its schema only; OVN's
// EgressFirewall has no CRD here (its goldens are all there is).
func TestRenderedObjectsAreAcceptedAndJudgedByEachProject(t *testing.T) {
	judges := map[render.EgressBackend]func(*testing.T, *unstructured.Unstructured){
		render.BackendCilium:               judgeCilium,
		render.BackendClusterNetworkPolicy: judgeClusterNetworkPolicy,
		render.BackendGKE:                  func(*testing.T, *unstructured.Unstructured) {},
	}
	for _, backend := range []render.EgressBackend{render.BackendCilium, render.BackendClusterNetworkPolicy, render.BackendGKE} {
		written := 0
		for _, in := range renderedInputs(t) {
			t.Run(string(backend)+"/"+filepath.Base(filepath.Dir(in.path))+"/"+filepath.Base(in.path), func(t *testing.T) {
				for _, obj := range renderedObjects(t, in, backend) {
					if obj.GroupVersionKind() != mustBackend(t, backend).Kind() {
						t.Fatalf("%s wrote a %s", backend, obj.GroupVersionKind())
					}
					stored := createAndReadBack(t, obj)
					if !mustBackend(t, backend).Namespaced() {
						t.Cleanup(func() { _ = k8s.Delete(context.Background(), stored) })
					}
					judges[backend](t, stored)
					written++
				}
			})
		}
		// The workato sample alone writes one object for each backend: a run that
		// writes none checked nothing.
		if written == 0 {
			t.Errorf("%s: no object rendered from any input", backend)
		}
	}
}

func mustBackend(t *testing.T, b render.EgressBackend) render.NameBackend {
	t.Helper()
	nb, ok := render.NameBackendFor(b)
	if !ok {
		t.Fatalf("no name backend %s", b)
	}
	return nb
}

func judgeCilium(t *testing.T, stored *unstructured.Unstructured) {
	t.Helper()
	rule, err := sanitizedRule(stored)
	if err != nil {
		t.Fatalf("Cilium's (*api.Rule).Sanitize refused %s: %v", stored.GetName(), err)
	}
	names := 0
	for _, e := range rule.Egress {
		names += len(e.ToFQDNs)
	}
	if names == 0 {
		t.Fatalf("Cilium reads no toFQDNs from %s", stored.GetName())
	}
}

func judgeClusterNetworkPolicy(t *testing.T, stored *unstructured.Unstructured) {
	t.Helper()
	raw, err := json.Marshal(stored.Object)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var cnp npav1beta1.ClusterNetworkPolicy
	if err := dec.Decode(&cnp); err != nil {
		t.Fatalf("network-policy-api's typed API does not decode %s: %v", stored.GetName(), err)
	}
	if cnp.Spec.Tier != npav1beta1.AdminTier || cnp.Spec.Subject.Pods == nil || cnp.Spec.Subject.Pods.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] == "" {
		t.Fatalf("%s is not pinned to its allowlist's namespace in the Admin tier: %+v", stored.GetName(), cnp.Spec)
	}
	for _, r := range cnp.Spec.Egress {
		if r.Action != npav1beta1.ClusterNetworkPolicyRuleActionAccept || len(r.To) == 0 || len(r.To[0].DomainNames) == 0 {
			t.Fatalf("%s: rule %s is not an Accept of domain names: %+v", stored.GetName(), r.Name, r)
		}
	}
}
