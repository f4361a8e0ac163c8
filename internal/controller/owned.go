/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"fmt"
	"sync"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/types"
	networkingv1ac "k8s.io/client-go/applyconfigurations/networking/v1"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// ownedFieldsMemoSize bounds the extractions kept, the oldest going first: enough for
// the policies of the allowlists being reconciled at once (a few per worker), whose
// reconcile reads each policy's owned fields twice (the addresses it rendered, then
// whether it is up to date), and little memory (an extraction is a copy of the
// policy: 512 of them were 1.7 MiB of the live heap at 1,000 allowlists).
const ownedFieldsMemoSize = 64

// ownedFieldsMemo keeps the operator's fields of the policies last read, by UID and
// resource version. Extracting them (ExtractNetworkPolicy) converts the whole policy
// to a typed value and back; at a restart on 1,000 converged allowlists it was more
// than half of what the manager allocated, and its bursts set the manager's peak
// memory. The zero value is ready; a nil memo extracts every time.
type ownedFieldsMemo struct {
	mu      sync.Mutex
	entries map[types.UID]ownedFieldsEntry
	order   []types.UID // a ring of the entries' UIDs, in the order they came
	next    int         // where the next UID goes in order
}

type ownedFieldsEntry struct {
	resourceVersion string
	owned           *networkingv1ac.NetworkPolicyApplyConfiguration
}

// policy returns what the operator's field manager owns of np. The result is
// shared: read it, never change it.
func (m *ownedFieldsMemo) policy(np *networkingv1.NetworkPolicy) (*networkingv1ac.NetworkPolicyApplyConfiguration, error) {
	if m != nil && np.UID != "" && np.ResourceVersion != "" {
		m.mu.Lock()
		e, ok := m.entries[np.UID]
		m.mu.Unlock()
		if ok && e.resourceVersion == np.ResourceVersion {
			return e.owned, nil
		}
	}
	owned, err := networkingv1ac.ExtractNetworkPolicy(np, v1alpha1.FieldOwner)
	if err != nil {
		return nil, fmt.Errorf("reading the operator's fields of NetworkPolicy %s/%s: %w", np.Namespace, np.Name, err)
	}
	if m != nil && np.UID != "" && np.ResourceVersion != "" {
		m.put(np.UID, ownedFieldsEntry{resourceVersion: np.ResourceVersion, owned: owned})
	}
	return owned, nil
}

func (m *ownedFieldsMemo) put(uid types.UID, e ownedFieldsEntry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil {
		m.entries = make(map[types.UID]ownedFieldsEntry, ownedFieldsMemoSize)
		m.order = make([]types.UID, 0, ownedFieldsMemoSize)
	}
	if _, ok := m.entries[uid]; !ok {
		if len(m.order) < ownedFieldsMemoSize {
			m.order = append(m.order, uid)
		} else {
			delete(m.entries, m.order[m.next])
			m.order[m.next] = uid
			m.next = (m.next + 1) % ownedFieldsMemoSize
		}
	}
	m.entries[uid] = e
}
