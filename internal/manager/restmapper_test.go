/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package manager

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// countingMapper is a DefaultRESTMapper that counts the mappings asked of it.
type countingMapper struct {
	*meta.DefaultRESTMapper
	asked int
	reset int
}

func (c *countingMapper) RESTMapping(gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error) {
	c.asked++
	return c.DefaultRESTMapper.RESTMapping(gk, versions...)
}

func (c *countingMapper) Reset() { c.reset++ }

var (
	policyGVK    = schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy"}
	allowlistGVK = schema.GroupVersionKind{Group: "networking.vendorallowlist.io", Version: "v1alpha1", Kind: "VendorAllowlist"}
)

// mustMap asks m for a mapping that must be found.
func mustMap(t *testing.T, m meta.RESTMapper, gk schema.GroupKind, versions ...string) {
	t.Helper()
	if _, err := m.RESTMapping(gk, versions...); err != nil {
		t.Fatal(err)
	}
}

func newCounting(gvks ...schema.GroupVersionKind) *countingMapper {
	m := meta.NewDefaultRESTMapper([]schema.GroupVersion{policyGVK.GroupVersion()})
	for _, gvk := range gvks {
		m.Add(gvk, meta.RESTScopeNamespace)
	}
	return &countingMapper{DefaultRESTMapper: m}
}

func TestMappingsFoundAreAskedOnce(t *testing.T) {
	under := newCounting(policyGVK)
	m := remember(under)
	want, err := under.DefaultRESTMapper.RESTMapping(policyGVK.GroupKind(), "v1")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		got, err := m.RESTMapping(policyGVK.GroupKind(), "v1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Resource != want.Resource || got.GroupVersionKind != want.GroupVersionKind || got.Scope.Name() != meta.RESTScopeNameNamespace {
			t.Fatalf("mapping %+v, want %+v", got, want)
		}
		// A caller changing its copy changes nothing for the next.
		got.Resource.Resource = "changed"
	}
	if under.asked != 1 {
		t.Errorf("the mapper was asked %d times for one kind at one version, want 1", under.asked)
	}
	// The preferred version (none given) is a lookup of its own.
	mustMap(t, m, policyGVK.GroupKind())
	mustMap(t, m, policyGVK.GroupKind())
	if under.asked != 2 {
		t.Errorf("the mapper was asked %d times, want 2 (v1, then the preferred version)", under.asked)
	}
}

func TestAKindNotServedYetIsAskedAgain(t *testing.T) {
	under := newCounting(policyGVK)
	m := remember(under)
	if _, err := m.RESTMapping(allowlistGVK.GroupKind(), "v1alpha1"); !meta.IsNoMatchError(err) {
		t.Fatalf("a kind the cluster does not serve: error %v, want no match", err)
	}
	// The CRD is installed: the next lookup must find it, not a remembered failure.
	under.Add(allowlistGVK, meta.RESTScopeNamespace)
	got, err := m.RESTMapping(allowlistGVK.GroupKind(), "v1alpha1")
	if err != nil {
		t.Fatalf("after the kind is served: %v", err)
	}
	if got.Resource.Resource != "vendorallowlists" {
		t.Errorf("resource %q, want vendorallowlists", got.Resource.Resource)
	}
}

func TestResetForgets(t *testing.T) {
	under := newCounting(policyGVK)
	m := remember(under)
	mustMap(t, m, policyGVK.GroupKind(), "v1")
	m.Reset()
	if under.reset != 1 {
		t.Errorf("the mapper's own Reset ran %d times, want 1", under.reset)
	}
	mustMap(t, m, policyGVK.GroupKind(), "v1")
	if under.asked != 2 {
		t.Errorf("after Reset the mapper was asked %d times in all, want 2", under.asked)
	}
}

func TestSeveralVersionsAreNotRemembered(t *testing.T) {
	under := newCounting(policyGVK)
	m := remember(under)
	for range 2 {
		mustMap(t, m, policyGVK.GroupKind(), "v1beta1", "v1")
	}
	if under.asked != 2 || len(m.mappings) != 0 {
		t.Errorf("asked %d times, %d remembered; want 2 and 0", under.asked, len(m.mappings))
	}
}

func TestRememberedMappingsAreBounded(t *testing.T) {
	under := newCounting()
	m := remember(under)
	for i := range rememberedMappingsLimit + 10 {
		gvk := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Kind" + string(rune('A'+i%26)) + string(rune('a'+i/26))}
		under.Add(gvk, meta.RESTScopeNamespace)
		mustMap(t, m, gvk.GroupKind(), "v1")
	}
	if len(m.mappings) != rememberedMappingsLimit {
		t.Errorf("%d mappings remembered, want the limit %d", len(m.mappings), rememberedMappingsLimit)
	}
}
