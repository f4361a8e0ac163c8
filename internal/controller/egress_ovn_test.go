package controller

import (
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
	if len(next) != 2 || next["b"].UID != "uid-b" || next["a"].Egress[0].(map[string]any)["to"].(map[string]any)["dnsName"] != "a2.example.com" {
		t.Fatalf("withPart(a) = %v; want a's new part and b's untouched, gone and old dropped", next)
	}
	if next := recorded.withPart("a", "uid-a", nil, exists); len(next) != 1 || next["b"].UID != "uid-b" {
		t.Fatalf("withPart(a, none) = %v; want only b's part", next)
	}

	fw, err := next.firewall("ns")
	if err != nil {
		t.Fatal(err)
	}
	if refs := fw.GetOwnerReferences(); len(refs) != 2 || refs[0].Name != "a" || refs[1].Name != "b" || refs[0].Controller != nil {
		t.Fatalf("owner references %+v; want a and b, neither the controller", refs)
	}
	if fw.GetName() != "default" || fw.GetNamespace() != "ns" || fw.GetAnnotations()[partsAnnotation] == "" {
		t.Fatalf("firewall %s/%s, annotations %v", fw.GetNamespace(), fw.GetName(), fw.GetAnnotations())
	}
}
