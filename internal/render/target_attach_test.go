/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func TestNotAttachedReadsTheGatewaysAcceptedCondition(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status string // YAML of the object's status; the object is at generation 3
		want   []string
	}{
		{"no status yet", ``, nil},
		{"accepted", `
ancestors:
- ancestorRef: {group: gateway.networking.k8s.io, kind: Gateway, name: eg, sectionName: https}
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
  conditions:
  - {type: Accepted, status: "True", reason: Accepted, message: Policy has been accepted., observedGeneration: 3}
`, nil},
		{"target missing", `
ancestors:
- ancestorRef: {name: eg}
  conditions:
  - {type: Accepted, status: "False", reason: Invalid, message: "  HTTPRoute web not found  ", observedGeneration: 3}
`, []string{"Gateway eg: Invalid: HTTPRoute web not found"}},
		{"one of two gateways, each ancestor said once", `
ancestors:
- ancestorRef: {kind: Gateway, name: b}
  conditions:
  - {type: Accepted, status: "False", reason: Conflicted, message: another SecurityPolicy targets it, observedGeneration: 3}
  - {type: Accepted, status: "False", reason: Conflicted, message: another SecurityPolicy targets it, observedGeneration: 3}
- ancestorRef: {kind: Gateway, name: a}
  conditions:
  - {type: Accepted, status: "True", reason: Accepted, observedGeneration: 3}
`, []string{"Gateway b: Conflicted: another SecurityPolicy targets it"}},
		{"about an older generation: not yet judged", `
ancestors:
- ancestorRef: {name: eg}
  conditions:
  - {type: Accepted, status: "False", reason: Invalid, message: old, observedGeneration: 2}
`, nil},
		{"malformed: ignored, never a panic", `
ancestors:
- just a string
- ancestorRef: 7
  conditions: [1, {type: Accepted, status: false}]
`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &unstructured.Unstructured{Object: map[string]any{}}
			if tc.status != "" {
				var st map[string]any
				if err := yaml.Unmarshal([]byte(tc.status), &st); err != nil {
					t.Fatal(err)
				}
				o.Object["status"] = st
			}
			o.SetGeneration(3)
			if diff := cmp.Diff(tc.want, policyNotAttached(o)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestNotAttachedBoundsTheGatewaysText(t *testing.T) {
	o := &unstructured.Unstructured{Object: map[string]any{"status": map[string]any{"ancestors": []any{
		map[string]any{"ancestorRef": map[string]any{"name": "eg"}, "conditions": []any{
			map[string]any{"type": "Accepted", "status": "False", "reason": "Invalid", "message": strings.Repeat("é", 1000)},
		}},
	}}}}
	got := policyNotAttached(o)
	if len(got) != 1 || len(got[0]) > len("Gateway eg: Invalid: ")+maxAttachNote || !utf8.ValidString(got[0]) {
		t.Errorf("got %d notes, the first %d bytes long (valid UTF-8: %v); want one, at most %d bytes of the message, never half a character",
			len(got), len(got[0]), utf8.ValidString(got[0]), maxAttachNote)
	}
}
