/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// maxAttachNote bounds what is quoted from a gateway controller's condition: it is
// someone else's text, copied into the allowlist's status and events.
const maxAttachNote = 256

// policyNotAttached reads what a gateway controller wrote in the status of a
// policy the operator owns (Gateway API's policy status, as Envoy Gateway writes it on a
// SecurityPolicy: status.ancestors[].conditions) and returns, for each ancestor
// whose Accepted condition is False for the object's current generation, the
// ancestor and the controller's reason and message. A policy that is not attached
// filters nothing, whatever addresses it holds. No status, or a condition about an
// older generation, says nothing yet.
func policyNotAttached(o *unstructured.Unstructured) []string {
	ancestors, _, _ := unstructured.NestedSlice(o.Object, "status", "ancestors")
	var out []string
	for _, a := range ancestors {
		ancestor, ok := a.(map[string]any)
		if !ok {
			continue
		}
		kind, _, _ := unstructured.NestedString(ancestor, "ancestorRef", "kind")
		name, _, _ := unstructured.NestedString(ancestor, "ancestorRef", "name")
		if kind == "" {
			kind = "Gateway" // the Gateway API default for a ParentReference
		}
		conditions, _, _ := unstructured.NestedSlice(ancestor, "conditions")
		for _, c := range conditions {
			cond, ok := c.(map[string]any)
			if !ok || cond["type"] != "Accepted" || cond["status"] != "False" {
				continue
			}
			if gen, found := cond["observedGeneration"]; found && NormalizeNumber(gen) != NormalizeNumber(o.GetGeneration()) {
				continue
			}
			reason, _, _ := unstructured.NestedString(cond, "reason")
			message, _, _ := unstructured.NestedString(cond, "message")
			out = append(out, fmt.Sprintf("%s %s: %s: %s", kind, name, reason, Truncate(strings.TrimSpace(message), maxAttachNote)))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// NormalizeNumber makes the int64 of a rendered object and the int64 or float64 of a
// decoded one compare equal.
func NormalizeNumber(v any) any {
	switch n := v.(type) {
	case int64:
		return float64(n)
	case int32:
		return float64(n)
	case int:
		return float64(n)
	}
	return v
}
