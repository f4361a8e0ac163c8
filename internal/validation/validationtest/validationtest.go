// Package validationtest holds the one table of manifests that both the Go mirror
// (internal/validation) and the real API server (api/v1alpha1's envtest test) must
// judge the same way, so the two cannot drift apart.
//
// cases.yaml lists invalid manifests, each with the error fragments both must report,
// and valid manifests, each with values the server must show on the created object
// (its defaults). Manifests are Go templates (text/template) with the functions
// repeat, seq and printf, so that "a label of 64 characters" or "33 vendors" can be
// written in one line; apiVersion and metadata.name (the case name) are filled in
// when absent.
package validationtest

import (
	"bytes"
	_ "embed"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/validation"
)

//go:embed cases.yaml
var casesYAML []byte

// Case is one manifest of the table.
type Case struct {
	// Name names the case, and the object when the manifest names none.
	Name string `json:"name"`
	// Manifest is the object, a YAML Go template.
	Manifest string `json:"manifest"`
	// Want are fragments that the error of the server and the errors of the Go mirror
	// must both contain (invalid cases only).
	Want []string `json:"want,omitempty"`
	// Mirror, when set, says why the Go mirror cannot report what the server reports
	// for this manifest; GoWant then replaces Want for the mirror, and the exact
	// comparison of the two error lists is skipped.
	Mirror string   `json:"mirror,omitempty"`
	GoWant []string `json:"goWant,omitempty"`
	// Expect maps paths (spec.custom[0].ports[0].protocol) to the values the created
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
// filled in when absent.
func (c *Case) Object() (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(c.Rendered), &u.Object); err != nil {
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

// Typed decodes the manifest strictly (an unknown field is an error, so a typo in
// the table cannot make a case pass) into a VendorAllowlist or a Vendor.
func (c *Case) Typed() (client.Object, error) {
	u, err := c.Object()
	if err != nil {
		return nil, err
	}
	data, err := yaml.Marshal(u.Object)
	if err != nil {
		return nil, err
	}
	var obj client.Object = &v1alpha1.Vendor{}
	if u.GetKind() == "VendorAllowlist" {
		obj = &v1alpha1.VendorAllowlist{}
	}
	if err := yaml.UnmarshalStrict(data, obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// Validate runs the Go mirror on a decoded case.
func Validate(obj client.Object) field.ErrorList {
	switch o := obj.(type) {
	case *v1alpha1.VendorAllowlist:
		return validation.VendorAllowlist(o)
	case *v1alpha1.Vendor:
		return validation.Vendor(o)
	}
	panic(fmt.Sprintf("unexpected %T", obj))
}

// Lookup finds a value in an object by a path such as spec.custom[0].ports[0].protocol.
func Lookup(obj map[string]any, path string) (any, bool) {
	var cur any = obj
	for _, part := range strings.Split(path, ".") {
		name, idx := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 && strings.HasSuffix(part, "]") {
			n, err := strconv.Atoi(part[i+1 : len(part)-1])
			if err != nil {
				return nil, false
			}
			name, idx = part[:i], n
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[name]; !ok {
			return nil, false
		}
		if idx >= 0 {
			l, ok := cur.([]any)
			if !ok || idx >= len(l) {
				return nil, false
			}
			cur = l[idx]
		}
	}
	return cur, true
}

// Key renders a field error the way the server's status causes carry it, for
// comparing the mirror with the server: "field|type|body".
func Key(fieldPath string, typ string, body string) string {
	return fieldPath + " | " + typ + " | " + body
}

// GoKeys renders the mirror's errors as Keys, with the cause types the server uses.
func GoKeys(errs field.ErrorList) []string {
	keys := make([]string, 0, len(errs))
	for _, e := range errs {
		keys = append(keys, Key(e.Field, string(e.Type), e.ErrorBody()))
	}
	return keys
}
