package validation

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// crdRules returns every x-kubernetes-validations rule of the generated CRDs.
func crdRules(t *testing.T) []apiextensionsv1.ValidationRule {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "config", "crd", "bases", "*.yaml"))
	if err != nil || len(files) != 2 {
		t.Fatalf("want the two generated CRDs in config/crd/bases, found %v (%v)", files, err)
	}
	var rules []apiextensionsv1.ValidationRule
	var walk func(s *apiextensionsv1.JSONSchemaProps)
	walk = func(s *apiextensionsv1.JSONSchemaProps) {
		if s == nil {
			return
		}
		rules = append(rules, s.XValidations...)
		for _, p := range s.Properties {
			walk(&p)
		}
		if s.Items != nil {
			walk(s.Items.Schema)
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(data, &crd); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, v := range crd.Spec.Versions {
			walk(v.Schema.OpenAPIV3Schema)
		}
	}
	return rules
}

// TestMessagesMatchCRDs requires the mirror's messages and the CRDs' rule messages to
// be the same set, so that a marker edit without a mirror edit (or the reverse) fails.
func TestMessagesMatchCRDs(t *testing.T) {
	var inCRDs []string
	for _, r := range crdRules(t) {
		if r.Message == "" {
			t.Errorf("rule %q has no message", r.Rule)
		}
		inCRDs = append(inCRDs, r.Message)
		if r.MessageExpression != "" && r.MessageExpression != "'"+msgHostnameLowerCaseF+"' + self.lowerAscii()" {
			t.Errorf("rule %q has messageExpression %q, which the mirror does not reproduce", r.Rule, r.MessageExpression)
		}
	}
	inCRDs = slices.Compact(slices.Sorted(slices.Values(inCRDs)))
	inGo := slices.Compact(slices.Sorted(slices.Values(ruleMessages)))
	for _, m := range inCRDs {
		if _, ok := slices.BinarySearch(inGo, m); !ok {
			t.Errorf("the CRDs have a message the mirror lacks: %q", m)
		}
	}
	for _, m := range inGo {
		if _, ok := slices.BinarySearch(inCRDs, m); !ok {
			t.Errorf("the mirror has a message no CRD rule has: %q", m)
		}
	}
}

// TestMessagesAreActionable requires each message to show an example of what to write.
func TestMessagesAreActionable(t *testing.T) {
	for _, m := range ruleMessages {
		if !strings.Contains(m, "for example") && !strings.Contains(m, "such as") && !strings.Contains(m, "write ") && !strings.Contains(m, "remove ") && !strings.Contains(m, "instead") {
			t.Errorf("message gives no example or fix: %q", m)
		}
	}
}
