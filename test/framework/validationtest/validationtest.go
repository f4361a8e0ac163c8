/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package validationtest holds the table of manifests that the offline validator
// (internal/crdvalidation) and the real API server (api/v1alpha1's envtest test) must
// judge the same way, error for error.
//
// cases.yaml lists invalid manifests, each with the error fragments both must report
// and the unknown fields both must find, and valid manifests, each with values both
// must show on the object they would store (its defaults). Manifests are Go templates
// (text/template) with the functions repeat, seq and printf, so that "a label of 64
// characters" or "33 vendors" can be written in one line; apiVersion and
// metadata.name (the case name) are filled in when absent.
package validationtest

import (
	"bytes"
	_ "embed"
	"fmt"
	"regexp"
	"strings"
	"text/template"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

//go:embed cases.yaml
var casesYAML []byte

// Case is one manifest of the table.
type Case struct {
	// Name names the case, and the object when the manifest names none.
	Name string `json:"name"`
	// Manifest is the object, a YAML Go template.
	Manifest string `json:"manifest"`
	// Want are fragments that the errors of the server and of the offline validator
	// must both contain (invalid cases only).
	Want []string `json:"want,omitempty"`
	// Unknown are the paths of the fields the CRD does not have, which both must
	// report (the server when asked for strict field validation).
	Unknown []string `json:"unknown,omitempty"`
	// Expect maps paths (spec.custom[0].ports[0].protocol) to the values the stored
	// object must hold (valid cases only).
	Expect map[string]any `json:"expect,omitempty"`

	// Rendered is Manifest with the template executed.
	Rendered string `json:"-"`
}

// Table is the whole table.
type Table struct {
	Invalid []Case `json:"invalid"`
	Valid   []Case `json:"valid"`
}

var funcs = template.FuncMap{
	"repeat": strings.Repeat,
	"seq": func(n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = i
		}
		return s
	},
}

var caseName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Load reads and renders the table.
func Load() (*Table, error) {
	var t Table
	if err := yaml.UnmarshalStrict(casesYAML, &t); err != nil {
		return nil, fmt.Errorf("cases.yaml: %w", err)
	}
	seen := map[string]bool{}
	for _, list := range [][]Case{t.Invalid, t.Valid} {
		for i := range list {
			c := &list[i]
			if !caseName.MatchString(c.Name) || len(c.Name) > 63 {
				return nil, fmt.Errorf("cases.yaml: case name %q must be a DNS label", c.Name)
			}
			if seen[c.Name] {
				return nil, fmt.Errorf("cases.yaml: case %q appears twice", c.Name)
			}
			seen[c.Name] = true
			tpl, err := template.New(c.Name).Funcs(funcs).Option("missingkey=error").Parse(c.Manifest)
			if err != nil {
				return nil, fmt.Errorf("cases.yaml: case %s: %w", c.Name, err)
			}
			var b bytes.Buffer
			if err := tpl.Execute(&b, nil); err != nil {
				return nil, fmt.Errorf("cases.yaml: case %s: %w", c.Name, err)
			}
			c.Rendered = b.String()
			if _, err := c.Object(); err != nil {
				return nil, fmt.Errorf("cases.yaml: case %s: %w", c.Name, err)
			}
		}
	}
	return &t, nil
}

// Object is the manifest as the server gets it, with apiVersion and metadata.name
// filled in when absent, and numbers decoded as JSON decodes them for the server
// (whole numbers as int64).
func (c *Case) Object() (*unstructured.Unstructured, error) {
	j, err := yaml.YAMLToJSONStrict([]byte(c.Rendered))
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(j, &u.Object); err != nil {
		return nil, err
	}
	if u.Object == nil {
		return nil, fmt.Errorf("empty manifest")
	}
	if k := u.GetKind(); k != "VendorAllowlist" && k != "Vendor" {
		return nil, fmt.Errorf("kind %q: want VendorAllowlist or Vendor", k)
	}
	if u.GetAPIVersion() == "" {
		u.SetAPIVersion(v1alpha1.GroupVersion.String())
	}
	if u.GetName() == "" && u.GetGenerateName() == "" {
		u.SetName(c.Name)
	}
	return u, nil
}

// Key renders a field error the way the server's status causes carry it, for
// comparing the offline validator with the server: "field | type | body".
func Key(fieldPath string, typ string, body string) string {
	return fieldPath + " | " + typ + " | " + body
}

// Keys renders field errors as Keys, with the cause types the server uses.
func Keys(errs field.ErrorList) []string {
	keys := make([]string, 0, len(errs))
	for _, e := range errs {
		keys = append(keys, Key(e.Field, string(e.Type), e.ErrorBody()))
	}
	return keys
}
