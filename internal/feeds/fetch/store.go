/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fetch

import (
	"context"
	"sync"
)

// Store keeps the last good document of each feed URL across manager restarts, so
// that a restart while a feed is unreachable changes no policy (fail static).
type Store interface {
	// Load returns the stored snapshot of url, and false when there is none.
	Load(ctx context.Context, url string) (Snapshot, bool, error)
	// Save replaces the stored snapshot of url.
	Save(ctx context.Context, url string, s Snapshot) error
}

// MemoryStore is a Store in memory, for tests and for the kubectl plugin, which
// keeps nothing between runs.
type MemoryStore struct {
	mu        sync.Mutex
	snapshots map[string]Snapshot
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{snapshots: map[string]Snapshot{}} }

// Load implements Store.
func (m *MemoryStore) Load(_ context.Context, url string) (Snapshot, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.snapshots[url]
	return s, ok, nil
}

// Save implements Store.
func (m *MemoryStore) Save(_ context.Context, url string, s Snapshot) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s.Body = append([]byte(nil), s.Body...)
	m.snapshots[url] = s
	return nil
}
