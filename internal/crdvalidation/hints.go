/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package crdvalidation

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// What the API server does not say, and a person fixing a manifest needs: which field
// was meant by an unknown one, and what a type error usually is.

var listIndex = regexp.MustCompile(`\[[^\]]*\]`)

// unknownFieldHint says what field was probably meant by the last element of p
// (spec.vendors[0].port), from the names the schema has at that place.
func unknownFieldHint(root *structuralschema.Structural, p string) string {
	segs := strings.Split(listIndex.ReplaceAllString(p, ""), ".")
	bad := segs[len(segs)-1]
	parent := "the object"
	if i := strings.LastIndex(p, "."); i > 0 {
		parent = p[:i]
	}
	var known []string
	if len(segs) == 2 && segs[0] == "metadata" {
		// The CRD says nothing of metadata; it is an ObjectMeta.
		known = jsonFields(reflect.TypeFor[metav1.ObjectMeta]())
	} else if s := schemaAt(root, segs[:len(segs)-1]); s != nil {
		for name := range s.Properties {
			known = append(known, name)
		}
		slices.Sort(known)
	}
	if len(known) == 0 {
		return "not a field here: check the spelling and the indentation"
	}
	for _, k := range known {
		if strings.EqualFold(k, bad) {
			return fmt.Sprintf("field names are case-sensitive: write %s", k)
		}
	}
	best, bestDist := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(bad), strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %s? (the fields of %s are %s)", best, parent, strings.Join(known, ", "))
	}
	return fmt.Sprintf("%s has no such field, check the spelling and the indentation: its fields are %s", parent, strings.Join(known, ", "))
}

// schemaAt walks the schema along field names, through list items.
func schemaAt(s *structuralschema.Structural, segs []string) *structuralschema.Structural {
	for _, name := range segs {
		for s != nil && s.Items != nil {
			s = s.Items
		}
		if s == nil {
			return nil
		}
		child, ok := s.Properties[name]
		if !ok {
			return nil
		}
		s = &child
	}
	for s != nil && s.Items != nil {
		s = s.Items
	}
	return s
}

// jsonFields lists the JSON names of struct t's fields, sorted.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && name != "" && name != "-" {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Problems returns the unknown fields and the errors of r, one line each, for a
// person: the server's text, with the path in front where the server left it out,
// and a hint where its text leaves the fix unsaid. The server's word that it did not
// run the CEL rules is left out: see RulesSkipped.
func (r *Result) Problems() []string {
	var out []string
	for _, u := range r.Unknown {
		out = append(out, u.Error())
	}
	for _, e := range r.Errors {
		if e.Field != "<nil>" || e.Detail != RulesNotChecked {
			out = append(out, r.describe(e))
		}
	}
	return out
}

// RulesSkipped reports whether the CEL rules were not run because the schema found a
// missing field, a value of the wrong type, or one over its limit: fixing the
// Problems may bring more to light.
func (r *Result) RulesSkipped() bool {
	return slices.ContainsFunc(r.Errors, func(e *field.Error) bool { return e.Field == "<nil>" && e.Detail == RulesNotChecked })
}

// formatError is how kube-openapi says a number does not fit its format, with no
// field path of its own.
var formatError = regexp.MustCompile(`^Checked value must be of type (\w+) with format (\w+) in (\S+)$`)

var formatRanges = map[string]string{
	"int32": "an int32, which holds whole numbers from -2147483648 to 2147483647",
	"int64": "an int64, which holds whole numbers from -9223372036854775808 to 9223372036854775807",
}

func (r *Result) describe(e *field.Error) string {
	if e.Field != "<nil>" {
		msg := e.Error()
		if e.Type == field.ErrorTypeTypeInvalid {
			// The server names the type it got, not the value: a quoting or
			// indentation slip in YAML, most often.
			if v, ok := ValueAt(r.Object.Object, e.Field); ok {
				msg += fmt.Sprintf(" (the value is %s: check the quoting and the indentation)", jsonString(v))
			} else {
				msg += " (check the quoting and the indentation)"
			}
		}
		return msg
	}
	if m := formatError.FindStringSubmatch(e.Detail); m != nil {
		want := formatRanges[m[2]]
		if want == "" {
			want = "the format " + m[2]
		}
		value := "value"
		if v, ok := ValueAt(r.Object.Object, m[3]); ok {
			value = jsonString(v)
		}
		return fmt.Sprintf("%s: Invalid value: %s: out of range for %s", m[3], value, want)
	}
	return e.Detail
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

var pathPart = regexp.MustCompile(`^([^\[]*)((?:\[\d+\])*)$`)

// ValueAt returns the value of obj at a field path as the server writes them, such
// as spec.custom[0].ports[0].protocol.
func ValueAt(obj map[string]any, path string) (any, bool) {
	var cur any = obj
	for _, part := range strings.Split(path, ".") {
		m := pathPart.FindStringSubmatch(part)
		if m == nil {
			return nil, false
		}
		fields, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = fields[m[1]]; !ok {
			return nil, false
		}
		for _, idx := range listIndex.FindAllString(m[2], -1) {
			i, err := strconv.Atoi(strings.Trim(idx, "[]"))
			l, ok := cur.([]any)
			if err != nil || !ok || i >= len(l) {
				return nil, false
			}
			cur = l[i]
		}
	}
	return cur, true
}
