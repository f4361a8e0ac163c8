/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package manager

import (
	"net/http"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// rememberedMappingsLimit bounds the mappings remembered. The manager maps the few
// kinds it reads and writes (its own, NetworkPolicy, the target and egress kinds), so
// the limit is never reached in practice; past it, lookups go to the mapper as before.
const rememberedMappingsLimit = 256

// newRESTMapper is controller-runtime's dynamic REST mapper, with the mappings it found
// remembered. Every write the operator makes (the apply of a policy, the patch of a
// status) and every owner-reference event asks the mapper for the kind's mapping; the
// dynamic mapper answers from a list of every API group the cluster serves, building a
// no-match error for each group that is not the one asked for. That was 10% of what a
// cold start of 1,000 allowlists allocated, for the same three answers again and again.
func newRESTMapper(cfg *rest.Config, httpClient *http.Client) (meta.RESTMapper, error) {
	m, err := apiutil.NewDynamicRESTMapper(cfg, httpClient)
	if err != nil {
		return nil, err
	}
	return remember(m), nil
}

func remember(m meta.RESTMapper) *rememberingMapper {
	return &rememberingMapper{RESTMapper: m, mappings: map[mappingKey]*meta.RESTMapping{}}
}

// rememberingMapper remembers the RESTMapping of a kind at one version (or at the
// preferred version, asked with none). Only mappings found are remembered: a kind not
// served yet (a CRD installed later) is asked of the mapper again next time, which
// discovers it. A kind's scope and resource name never change while it is served (a
// CRD's scope and names are immutable); a version that stops being served makes the
// API server answer 404, the same outcome a fresh lookup's no-match would give.
type rememberingMapper struct {
	meta.RESTMapper

	mu       sync.RWMutex
	mappings map[mappingKey]*meta.RESTMapping
}

type mappingKey struct {
	gk      schema.GroupKind
	version string
}

// RESTMapping answers from the remembered mappings, or asks the mapper and remembers
// its answer. A caller gets its own copy, so no caller can change another's.
func (m *rememberingMapper) RESTMapping(gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error) {
	if len(versions) > 1 {
		return m.RESTMapper.RESTMapping(gk, versions...)
	}
	key := mappingKey{gk: gk}
	if len(versions) == 1 {
		key.version = versions[0]
	}
	m.mu.RLock()
	found, ok := m.mappings[key]
	m.mu.RUnlock()
	if ok {
		mapping := *found
		return &mapping, nil
	}
	mapping, err := m.RESTMapper.RESTMapping(gk, versions...)
	if err != nil {
		return nil, err
	}
	remembered := *mapping
	m.mu.Lock()
	if len(m.mappings) < rememberedMappingsLimit {
		m.mappings[key] = &remembered
	}
	m.mu.Unlock()
	return mapping, nil
}

// Reset forgets the remembered mappings along with the mapper's own, for callers that
// know the cluster's APIs changed.
func (m *rememberingMapper) Reset() {
	m.mu.Lock()
	clear(m.mappings)
	m.mu.Unlock()
	if r, ok := m.RESTMapper.(meta.ResettableRESTMapper); ok {
		r.Reset()
	}
}
