package v1alpha1_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// TestEveryReasonIsInTheTable: a reason constant left out of v1alpha1.Reasons would
// be told as Normal and never Stalled, whatever it means; the table must say.
func TestEveryReasonIsInTheTable(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	seen := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Reason") && !strings.HasPrefix(name.Name, "TargetReason") || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				seen++
				v, _ := strconv.Unquote(lit.Value)
				if _, ok := v1alpha1.Reasons[v]; !ok {
					t.Errorf("v1alpha1.%s (%q) is not in v1alpha1.Reasons: give it its severity, and say whether it is Stalled", name.Name, v)
				}
			}
			return true
		})
	}
	if seen < 30 {
		t.Fatalf("%d reason constants found: is the parse still right?", seen)
	}
}

func TestEventTypeAndStalledReadTheTable(t *testing.T) {
	for _, tc := range []struct {
		reason, eventType string
		stalled           bool
	}{
		{v1alpha1.ReasonPolicyConflict, "Warning", true},
		{v1alpha1.ReasonApplyFailed, "Warning", false},
		{v1alpha1.ReasonAwaitingDNS, "Normal", false},
		{v1alpha1.TargetReasonConsentMissing, "Warning", true},
		{v1alpha1.TargetReasonNotFound, "Warning", false},
		{"NoSuchReason", "Normal", false},
	} {
		if got := v1alpha1.EventType(tc.reason); got != tc.eventType {
			t.Errorf("EventType(%s) = %s, want %s", tc.reason, got, tc.eventType)
		}
		if got := v1alpha1.IsStalled(tc.reason); got != tc.stalled {
			t.Errorf("IsStalled(%s) = %v, want %v", tc.reason, got, tc.stalled)
		}
		if got := v1alpha1.TargetReasonsStalled[tc.reason]; got != tc.stalled {
			t.Errorf("TargetReasonsStalled[%s] = %v, want %v", tc.reason, got, tc.stalled)
		}
	}
}
