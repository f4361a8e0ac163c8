/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

// An allowlist's reconcile rewrites its own part of the namespace's EgressFirewall
// and keeps every other allowlist's that exists, reconciled since start or not; only
// the part of an allowlist that is gone (or was replaced by one of the same name)
// goes.
func TestFirewallPartsKeepOthers(t *testing.T) {
	rule := func(name string) []any {
		return []any{map[string]any{"type": "Allow", "to": map[string]any{"dnsName": name}}}
	}
	recorded := firewallParts{
		"a":    {UID: "uid-a", Egress: rule("a.example.com")},
		"b":    {UID: "uid-b", Egress: rule("b.example.com")},
		"gone": {UID: "uid-gone", Egress: rule("gone.example.com")},
		"old":  {UID: "uid-old", Egress: rule("old.example.com")},
	}
	live := map[string]types.UID{"a": "uid-a", "b": "uid-b", "old": "uid-new"}
	exists := func(name string, uid types.UID) bool { return live[name] == uid }

	next := recorded.withPart("a", "uid-a", rule("a2.example.com"), exists)
	if got := partNames(next); got != "a:a2.example.com b:b.example.com" {
		t.Fatalf("withPart(a) = %s; want a's new part and b's untouched, gone and old dropped", got)
	}
	if got := partNames(recorded.withPart("a", "uid-a", nil, exists)); got != "b:b.example.com" {
		t.Fatalf("withPart(a, none) = %s; want only b's part", got)
	}

	fw, err := next.firewall("ns")
	if err != nil {
		t.Fatal(err)
	}
	var owners []string
	for _, ref := range fw.GetOwnerReferences() {
		owners = append(owners, fmt.Sprintf("%s/%s controller=%v", ref.Name, ref.UID, ref.Controller != nil))
	}
	if want := []string{"a/uid-a controller=false", "b/uid-b controller=false"}; !slices.Equal(owners, want) {
		t.Fatalf("owner references %v, want %v", owners, want)
	}
	if fw.GetName() != "default" || fw.GetNamespace() != "ns" || fw.GetAnnotations()[partsAnnotation] == "" {
		t.Fatalf("firewall %s/%s, annotations %v", fw.GetNamespace(), fw.GetName(), fw.GetAnnotations())
	}
}

// partNames is "allowlist:dnsName ...", sorted by allowlist.
func partNames(p firewallParts) string {
	var out []string
	for name, part := range p {
		for _, r := range part.Egress {
			out = append(out, name+":"+r.(map[string]any)["to"].(map[string]any)["dnsName"].(string))
		}
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}
