/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// What the kinds that set a field of the user's objects share: reading who holds a
// field, from the object's managed fields.

// otherHolders names the field managers other than manager that hold the field at
// path, or "someone who is not recorded" when no manager holds it, not even
// manager: "" when manager alone does.
func otherHolders(o metav1.Object, manager string, path ...string) string {
	holders := fieldManagers(o, path...)
	others := slices.DeleteFunc(slices.Clone(holders), func(m string) bool { return m == manager })
	switch {
	case len(others) > 0:
		return "field manager " + strings.Join(others, ", ")
	case len(holders) == 0:
		return "a writer the object's managed fields do not record"
	}
	return ""
}

func setBy(o metav1.Object, manager string, path ...string) string {
	if others := otherHolders(o, manager, path...); others != "" {
		return " (set by " + others + ")"
	}
	return ""
}

// fieldManagers are the managers whose managed fields hold the field at path (each
// element "f:<name>", as in FieldsV1).
func fieldManagers(o metav1.Object, path ...string) []string {
	var out []string
	for _, e := range o.GetManagedFields() {
		if e.FieldsV1 == nil || e.Subresource != "" {
			continue
		}
		var fields map[string]any
		if json.Unmarshal(e.FieldsV1.Raw, &fields) != nil {
			continue
		}
		var node any = fields
		for _, p := range path {
			m, _ := node.(map[string]any)
			node = m[p]
		}
		if node != nil && !slices.Contains(out, e.Manager) {
			out = append(out, e.Manager)
		}
	}
	return out
}

// Truncate is at most n bytes of s, cut at a character, for a message that quotes
// someone else's value or must fit a field.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut-- // never half a character: the text may be someone else's, in any script
	}
	return s[:cut] + "..."
}

func annotation(key, value string) map[string]any {
	return map[string]any{"metadata": map[string]any{"annotations": map[string]any{key: value}}}
}
