/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package feeds reads the machine-readable address lists vendors publish (GitHub's
// meta API, AWS's ip-ranges.json, Stripe's webhook list, ...) and selects the networks
// one endpoint group opens. It parses and selects only: fetching is package
// feeds/fetch's, guarding the addresses is the caller's, with package guard, and so is
// keeping the last good list when a selection fails.
//
// A Source says what to select: a preset with its filters (Presets lists them), a
// generic JSON document with a CEL expression over it, or plain text with one prefix
// a line. Select returns the networks, canonical and merged, and the feed's own
// version signal; its errors carry a Kind, so that the caller can keep its last good
// list and name the reason in status.
package feeds
