/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package feeds

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// Preset is a feed whose document shape the operator knows.
type Preset struct {
	// Name is how a Vendor names the preset, such as github.
	Name string
	// Title is the vendor's name as people write it, such as GitHub.
	Title string
	// URL is the document's address; a template when a filter chooses the document,
	// such as https://ip-ranges.{site}/ for Datadog (see DocumentURL).
	URL string
	// Filters are the filters the preset takes, in the order messages name them.
	Filters []Filter
	// VersionFields names the document's fields that carry its version signal.
	VersionFields []string
	// Groups are the subsets a built-in vendor made from this feed offers.
	Groups []NaturalGroup

	urlFor   func(filterSet) string
	validate func(filterSet) error
	extract  func(io.Reader, filterSet, *collector) (Version, error)
}

// Filter is one way a preset's selection can be narrowed.
type Filter struct {
	// Key is the filter's name, such as service.
	Key string
	// Description says what the filter selects.
	Description string
	// Values are the allowed values when they are a closed set; nil when Pattern
	// says what a value looks like.
	Values []string
	// Pattern is what a value of an open set looks like; Example says it for people.
	Pattern *regexp.Regexp
	Example string
	// Required filters must be given; Default is used when an optional one is not.
	Required bool
	Default  []string
	// ChoosesDocument filters choose the URL rather than entries within a document.
	ChoosesDocument bool
}

// NaturalGroup is an endpoint group a built-in vendor made from a preset offers.
type NaturalGroup struct {
	// Name is the group's name, a DNS label such as hooks.
	Name string
	// Description says what the group is for.
	Description string
	// Direction is seen from the cluster's pods: Ingress when the vendor connects to
	// the pods (webhooks), Egress when the pods connect to the vendor (its API).
	Direction v1alpha1.Direction
	// Ports are the ports the pods connect to, for an Egress group, where the vendor
	// documents them.
	Ports []v1alpha1.Port
	// Filters select the group's entries from the preset's document.
	Filters map[string][]string
}

// Source is the feed source of the group.
func (g NaturalGroup) Source(preset string) Source {
	return Source{Preset: preset, Filters: g.Filters}
}

// DocumentURL is the URL of the document the filters choose.
func (p Preset) DocumentURL(filters map[string][]string) (string, error) {
	f, err := p.checkFilters(filters)
	if err != nil {
		return "", err
	}
	return p.documentURL(f), nil
}

func (p Preset) documentURL(f filterSet) string {
	if p.urlFor != nil {
		return p.urlFor(f)
	}
	return p.URL
}

var presets = map[string]Preset{}

func register(p Preset) Preset {
	presets[p.Name] = p
	return p
}

// Presets lists the presets, sorted by name.
func Presets() []Preset {
	return slices.SortedFunc(maps.Values(presets), func(a, b Preset) int { return strings.Compare(a.Name, b.Name) })
}

// LookupPreset finds a preset by name.
func LookupPreset(name string) (Preset, bool) {
	p, ok := presets[name]
	return p, ok
}

func presetNameList() string {
	return strings.Join(slices.Sorted(maps.Keys(presets)), ", ")
}

// filterSet is a checked filter: key to the set of values to keep; a key that is
// absent keeps everything.
type filterSet map[string]map[string]bool

func (f filterSet) keeps(key, value string) bool {
	set, ok := f[key]
	return !ok || set[value]
}

// keepsAny is for fields that list several values, such as Atlassian's product.
func (f filterSet) keepsAny(key string, values []string) bool {
	set, ok := f[key]
	if !ok {
		return true
	}
	for _, v := range values {
		if set[v] {
			return true
		}
	}
	return false
}

func (f filterSet) has(key string) bool { _, ok := f[key]; return ok }

// only is the single value of a filter that must have exactly one, such as a site.
func (f filterSet) only(key string) string {
	for v := range f[key] {
		return v
	}
	return ""
}

func (p Preset) filter(key string) (Filter, bool) {
	for _, f := range p.Filters {
		if f.Key == key {
			return f, true
		}
	}
	return Filter{}, false
}

// checkFilters validates filters against the preset and fills in defaults.
func (p Preset) checkFilters(filters map[string][]string) (filterSet, error) {
	for _, key := range slices.Sorted(maps.Keys(filters)) {
		if _, ok := p.filter(key); !ok {
			return nil, invalidSource("filters", "%s takes no filter %q; it takes %s", p.Title, key, p.filterKeys())
		}
	}
	out := filterSet{}
	for _, f := range p.Filters {
		set, err := f.values(filters)
		if err != nil {
			return nil, err
		}
		if set != nil {
			out[f.Key] = set
		}
	}
	if p.validate != nil {
		if err := p.validate(out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// values checks the values filters give f, or f's default: nil when there are none.
func (f Filter) values(filters map[string][]string) (map[string]bool, error) {
	values, given := filters[f.Key]
	field := "filters." + f.Key
	switch {
	case given && len(values) == 0:
		return nil, invalidSource(field, "is empty: give at least one value, such as %s, or remove the filter", f.example())
	case !given && f.Required:
		return nil, invalidSource(field, "is required: %s; give one, such as %s", f.Description, f.example())
	case !given && f.Default == nil:
		return nil, nil
	case !given:
		values = f.Default
	}
	if f.ChoosesDocument && len(values) != 1 {
		return nil, invalidSource(field, "chooses the document to read, so it takes exactly one value, such as %s", f.example())
	}
	set := make(map[string]bool, len(values))
	for _, v := range values {
		if err := f.check(v); err != nil {
			return nil, invalidSource(field, "%v", err)
		}
		set[v] = true
	}
	return set, nil
}

func (p Preset) filterKeys() string {
	keys := make([]string, len(p.Filters))
	for i, f := range p.Filters {
		keys[i] = f.Key
	}
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(keys, ", ")
}

func (f Filter) check(v string) error {
	if f.Values != nil {
		if !slices.Contains(f.Values, v) {
			return fmt.Errorf("%q is not one of %s", truncate(v, 64), strings.Join(f.Values, ", "))
		}
		return nil
	}
	if len(v) > 128 || !f.Pattern.MatchString(v) {
		return fmt.Errorf("%q is not %s", truncate(v, 64), f.Example)
	}
	return nil
}

func (f Filter) example() string {
	if len(f.Values) > 0 {
		return f.Values[0]
	}
	return f.Example
}

// describe names a selection for messages, such as "AWS service EC2, region all".
func (p Preset) describe(f filterSet) string {
	parts := []string{p.Title}
	for _, flt := range p.Filters {
		if flt.ChoosesDocument {
			parts = append(parts, flt.Key+" "+f.only(flt.Key))
			continue
		}
		values := "all"
		if set, ok := f[flt.Key]; ok {
			values = strings.Join(slices.Sorted(maps.Keys(set)), ",")
		}
		parts = append(parts, flt.Key+" "+values)
	}
	if len(parts) == 1 {
		return p.Title
	}
	return parts[0] + " " + strings.Join(parts[1:], ", ")
}

// narrowing names the filters that could narrow a selection: those not given, or
// failing that, those given more than one value.
func (p Preset) narrowing(f filterSet) string {
	var open, wide []string
	for _, flt := range p.Filters {
		switch {
		case flt.ChoosesDocument:
		case !f.has(flt.Key):
			open = append(open, flt.Key)
		case len(f[flt.Key]) > 1:
			wide = append(wide, "fewer values of "+flt.Key)
		}
	}
	if len(open) > 0 {
		return strings.Join(open, " or ")
	}
	return strings.Join(wide, " or ")
}

// readDocument runs a preset's reader over one JSON document and refuses trailing
// data.
func readDocument(r io.Reader, read func(*json.Decoder) error) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := read(dec); err != nil {
		return err
	}
	return expectEOF(dec)
}

func tcp(ports ...int32) []v1alpha1.Port {
	out := make([]v1alpha1.Port, len(ports))
	for i, p := range ports {
		out[i] = v1alpha1.Port{Protocol: v1alpha1.ProtocolTCP, Port: p}
	}
	return out
}
