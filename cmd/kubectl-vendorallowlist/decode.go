/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	sigsyaml "sigs.k8s.io/yaml"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/crdvalidation"
)

const (
	kindVendorAllowlist = "VendorAllowlist"
	kindVendor          = "Vendor"
	stdinName           = "stdin"
)

// problems collects what is wrong with the input, one line per problem, each naming
// the file, the object or document, and the field.
//
// Problems are found in several passes (decoding and validation, then the catalog);
// they are written in the order of the objects they concern, which add takes from
// order: set it to the object's sourced.order before adding.
type problems struct {
	order int
	lines []problem
}

// newlines are what add folds, so that each problem is one line.
var newlines = regexp.MustCompile(`\s*\n\s*`)

type problem struct {
	order int
	file  string
	text  string
	note  bool // said with the problems, and not counted as one
}

func (p *problems) add(file, where, msg string) {
	p.lines = append(p.lines, p.line(file, where, msg))
}

// note adds a remark about an object's problems, written with them.
func (p *problems) note(file, where, msg string) {
	l := p.line(file, where, "note: "+msg)
	l.note = true
	p.lines = append(p.lines, l)
}

func (p *problems) line(file, where, msg string) problem {
	line := where + ": " + newlines.ReplaceAllString(strings.TrimSpace(msg), " ")
	if file != "" {
		line = file + ": " + line
	}
	return problem{order: p.order, file: file, text: line}
}

func (p *problems) empty() bool {
	return !slices.ContainsFunc(p.lines, func(l problem) bool { return !l.note })
}

// write prints every problem and a closing summary to w.
func (p *problems) write(w io.Writer, consequence string) {
	slices.SortStableFunc(p.lines, func(a, b problem) int { return cmp.Compare(a.order, b.order) })
	n := 0
	var files []string // with at least one problem, in order
	for _, l := range p.lines {
		fmt.Fprintln(w, l.text)
		if l.note {
			continue
		}
		n++
		if l.file != "" && !slices.Contains(files, l.file) {
			files = append(files, l.file)
		}
	}
	summary := fmt.Sprintf("error: %d problem%s", n, plural(n))
	if len(files) > 0 {
		summary += " in " + strings.Join(files, ", ")
	}
	if consequence != "" {
		summary += "; " + consequence
	}
	fmt.Fprintln(w, summary)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// input is one file read whole.
type input struct {
	name string // the path as given, or "stdin"
	data []byte
}

// readInputs reads each path: a file, "-" for standard input (at most once in all),
// or a directory, whose *.yaml, *.yml and *.json files are read in name order. It
// calls each with every file as soon as it is read, and records problems in probs.
// It returns the names of the files read.
func readInputs(paths []string, stdin io.Reader, stdinUsed *bool, probs *problems, each func(input)) []string {
	var names []string
	emit := func(in input) {
		names = append(names, in.name)
		each(in)
	}
	for _, p := range paths {
		probs.order++
		if p == "-" {
			if *stdinUsed {
				probs.add("", "-", "standard input can be read only once: pass - to one flag, once")
				continue
			}
			*stdinUsed = true
			data, err := io.ReadAll(stdin)
			if err != nil {
				probs.add(stdinName, "reading", err.Error())
				continue
			}
			emit(input{name: stdinName, data: data})
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			probs.add(p, "cannot read", describeFSError(err))
			continue
		}
		if !st.IsDir() {
			data, err := os.ReadFile(p)
			if err != nil {
				probs.add(p, "cannot read", describeFSError(err))
				continue
			}
			emit(input{name: p, data: data})
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			probs.add(p, "cannot read directory", describeFSError(err))
			continue
		}
		found := false
		for _, e := range entries {
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if e.IsDir() || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
				continue
			}
			found = true
			path := filepath.Join(p, e.Name())
			data, err := os.ReadFile(path)
			if err != nil {
				probs.add(path, "cannot read", describeFSError(err))
				continue
			}
			emit(input{name: path, data: data})
		}
		if !found {
			probs.add(p, "directory", "holds no .yaml, .yml or .json file")
		}
	}
	return names
}

func describeFSError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "no such file or directory: check the path given to -f or --vendors"
	case errors.Is(err, os.ErrPermission):
		return "permission denied"
	}
	return err.Error()
}

// rawDoc is one YAML document of a file.
type rawDoc struct {
	text  []byte
	start int // line of the document's first line of text (1-based)
}

// splitDocuments splits a YAML stream at its "---" lines. A separator line may carry
// a comment; the text before the first separator is a document too.
func splitDocuments(data []byte) []rawDoc {
	var docs []rawDoc
	cur := rawDoc{start: 1}
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			line, data = data, nil
		}
		if isSeparator(line) {
			docs = append(docs, cur)
			cur = rawDoc{start: lineNo + 1}
			continue
		}
		cur.text = append(cur.text, line...)
	}
	return append(docs, cur)
}

func isSeparator(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := bytes.TrimSpace(line[3:])
	return len(rest) == 0 || rest[0] == '#'
}

// firstContentLine is the line of a document's first line that is not blank or a
// comment, for messages.
func (d rawDoc) firstContentLine() int {
	for i, l := range bytes.Split(d.text, []byte("\n")) {
		t := bytes.TrimSpace(l)
		if len(t) > 0 && t[0] != '#' {
			return d.start + i
		}
	}
	return d.start
}

var yamlLine = regexp.MustCompile(`\bline (\d+)\b`)

// fixYAMLLines rewrites the document-relative line numbers of a YAML error as lines
// of the file.
func fixYAMLLines(msg string, start int) string {
	return yamlLine.ReplaceAllStringFunc(msg, func(m string) string {
		n, err := strconv.Atoi(strings.TrimPrefix(m, "line "))
		if err != nil {
			return m
		}
		return "line " + strconv.Itoa(n+start-1)
	})
}

// sourced is an object with where it came from.
type sourced[T any] struct {
	order int // position of the object among all the input's documents
	file  string
	ref   string // "VendorAllowlist default/acme", "Vendor acme"
	obj   *T
	bad   bool // a problem was found decoding or validating it
	// refused are the paths of the fields that decoding and validation found wrong,
	// so that the renderer's checks do not report them again.
	refused []string
}

// decoded is what the input files hold.
type decoded struct {
	allowlists []sourced[v1alpha1.VendorAllowlist]
	vendors    []sourced[v1alpha1.Vendor]
}

// decoder reads documents into objects, checked as the API server checks them on
// create (internal/crdvalidation), recording problems.
type decoder struct {
	namespace   string // for allowlists without one
	vendorsOnly bool   // a --vendors file: anything but a Vendor is a problem
	notes       io.Writer
	probs       *problems
	out         *decoded
}

func (d *decoder) decodeInput(in input) {
	n := 0
	for _, doc := range splitDocuments(in.data) {
		d.probs.order++
		j, err := sigsyaml.YAMLToJSONStrict(doc.text)
		if err != nil {
			n++
			d.probs.add(in.name, fmt.Sprintf("document %d (line %d)", n, doc.firstContentLine()),
				"not valid YAML: "+fixYAMLLines(strings.TrimPrefix(err.Error(), "error converting YAML to JSON: "), doc.start))
			continue
		}
		if isEmptyJSON(j) {
			continue
		}
		n++
		d.decodeDocument(in.name, fmt.Sprintf("document %d (line %d)", n, doc.firstContentLine()), j, schema.GroupVersionKind{})
	}
}

func isEmptyJSON(j []byte) bool {
	t := bytes.TrimSpace(j)
	return len(t) == 0 || string(t) == "null"
}

type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

type nameMeta struct {
	Metadata struct {
		Name         string `json:"name"`
		GenerateName string `json:"generateName"`
		Namespace    string `json:"namespace"`
	} `json:"metadata"`
}

// decodeDocument decodes one object, or the items of a list. itemGVK is the kind of a
// typed list's items, used when an item has no apiVersion and kind of its own.
func (d *decoder) decodeDocument(file, where string, j []byte, itemGVK schema.GroupVersionKind) {
	var tm typeMeta
	if err := json.Unmarshal(j, &tm); err != nil {
		d.probs.add(file, where, "not a Kubernetes object: a document must be a mapping with apiVersion, kind, metadata and spec")
		return
	}
	if tm.APIVersion == "" && tm.Kind == "" && !itemGVK.Empty() {
		tm.APIVersion, tm.Kind = itemGVK.GroupVersion().String(), itemGVK.Kind
		j = withTypeMeta(j, tm)
	}
	if tm.APIVersion == "" || tm.Kind == "" {
		d.probs.add(file, where, fmt.Sprintf("apiVersion and kind are required: a VendorAllowlist starts with apiVersion: %s and kind: %s", v1alpha1.GroupVersion, kindVendorAllowlist))
		return
	}
	gv, err := schema.ParseGroupVersion(tm.APIVersion)
	if err != nil {
		d.probs.add(file, where, fmt.Sprintf("apiVersion: Invalid value: %q: %v", tm.APIVersion, err))
		return
	}

	if strings.HasSuffix(tm.Kind, "List") {
		d.decodeList(file, where, j, gv, tm.Kind)
		return
	}

	if gv.Group != v1alpha1.GroupVersion.Group {
		d.skip(file, where, j, tm)
		return
	}
	if gv.Version != v1alpha1.GroupVersion.Version {
		d.probs.add(file, refOr(tm.Kind, j, d.namespace, where), fmt.Sprintf("apiVersion: Unsupported value: %q: this plugin reads %s; write apiVersion: %s", tm.APIVersion, v1alpha1.GroupVersion, v1alpha1.GroupVersion))
		return
	}
	switch tm.Kind {
	case kindVendorAllowlist:
		if d.vendorsOnly {
			d.probs.add(file, refOr(tm.Kind, j, "", where), "a --vendors file holds only Vendor objects: pass this file to -f instead")
			return
		}
		if a, ok := decodeObject[v1alpha1.VendorAllowlist](d, file, where, j, tm.Kind); ok {
			d.out.allowlists = append(d.out.allowlists, a)
		}
	case kindVendor:
		if v, ok := decodeObject[v1alpha1.Vendor](d, file, where, j, tm.Kind); ok {
			d.out.vendors = append(d.out.vendors, v)
		}
	default:
		d.probs.add(file, where, fmt.Sprintf("kind: Unsupported value: %q: the kinds of %s are %s and %s", tm.Kind, v1alpha1.GroupVersion.Group, kindVendorAllowlist, kindVendor))
	}
}

func (d *decoder) skip(file, where string, j []byte, tm typeMeta) {
	if d.vendorsOnly {
		d.probs.add(file, where, fmt.Sprintf("%s %s: a --vendors file holds only Vendor objects (apiVersion: %s, kind: %s)", tm.APIVersion, describeRef(tm.Kind, j, ""), v1alpha1.GroupVersion, kindVendor))
		return
	}
	fmt.Fprintf(d.notes, "note: %s: %s: skipping %s %s: not a VendorAllowlist or Vendor\n", file, where, tm.APIVersion, describeRef(tm.Kind, j, ""))
}

// decodeList decodes the items of a v1 List or of a VendorAllowlistList or VendorList.
func (d *decoder) decodeList(file, where string, j []byte, gv schema.GroupVersion, kind string) {
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(j, &list); err != nil {
		d.probs.add(file, where, fmt.Sprintf("%s: items: %v", kind, err))
		return
	}
	var itemGVK schema.GroupVersionKind
	if gv.Group == v1alpha1.GroupVersion.Group && (kind == kindVendorAllowlist+"List" || kind == kindVendor+"List") {
		itemGVK = gv.WithKind(strings.TrimSuffix(kind, "List"))
	}
	for i, item := range list.Items {
		d.decodeDocument(file, fmt.Sprintf("%s items[%d]", where, i), item, itemGVK)
	}
}

func withTypeMeta(j []byte, tm typeMeta) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(j, &m); err != nil {
		return j
	}
	m["apiVersion"], _ = json.Marshal(tm.APIVersion)
	m["kind"], _ = json.Marshal(tm.Kind)
	out, err := json.Marshal(m)
	if err != nil {
		return j
	}
	return out
}

// describeRef names an object of a document for messages: "VendorAllowlist ns/name",
// or the kind alone when it has no name.
func describeRef(kind string, j []byte, defaultNamespace string) string {
	var m nameMeta
	_ = json.Unmarshal(j, &m)
	name, ns := m.Metadata.Name, m.Metadata.Namespace
	if name == "" {
		return kind
	}
	if ns == "" {
		ns = defaultNamespace
	}
	if ns != "" {
		return kind + " " + ns + "/" + name
	}
	return kind + " " + name
}

// refOr names an object by kind and name, or, when it has no name, by where it is:
// "document 2 (line 14) (VendorAllowlist)".
func refOr(kind string, j []byte, defaultNamespace, where string) string {
	var m nameMeta
	_ = json.Unmarshal(j, &m)
	if m.Metadata.Name == "" {
		return where + " (" + kind + ")"
	}
	return describeRef(kind, j, defaultNamespace)
}

// decodeObject checks one object with the CRD of its kind, records its problems, and
// decodes it as the API server would store it (defaults filled in). It returns false
// when the object cannot be decoded into a T at all.
func decodeObject[T any](d *decoder, file, where string, j []byte, kind string) (sourced[T], bool) {
	namespace := ""
	if kind == kindVendorAllowlist {
		namespace = d.namespace
	}
	src := sourced[T]{order: d.probs.order, file: file, ref: refOr(kind, j, namespace, where), obj: new(T)}
	res, err := crdvalidation.Default().ValidateJSON(j, namespace)
	if err != nil {
		d.probs.add(file, src.ref, err.Error())
		return src, false
	}
	for _, u := range res.Unknown {
		src.refused = append(src.refused, u.Path)
	}
	for _, e := range res.Errors {
		src.refused = append(src.refused, e.Field)
	}
	for _, p := range res.Problems() {
		d.probs.add(file, src.ref, p)
		src.bad = true
	}
	if res.RulesSkipped() {
		d.probs.note(file, src.ref, "the CRD's rules (x-kubernetes-validations) were not checked, because of a missing field, or a value of the wrong type or over its limit: fix those and run again to see the rest")
	}
	if msg := nameRequired(kind, j); msg != "" {
		d.probs.add(file, src.ref, msg)
		src.refused = append(src.refused, "metadata.name")
		src.bad = true
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(res.Object.Object, src.obj); err != nil {
		if !src.bad {
			d.probs.add(file, src.ref, err.Error())
		}
		return src, false
	}
	return src, true
}

// nameRequired explains why an object with generateName and no name cannot be
// rendered offline: the API server would make up a name when it creates the object,
// and what the plugin prints must carry the real one.
func nameRequired(kind string, j []byte) string {
	var m nameMeta
	if err := json.Unmarshal(j, &m); err != nil || m.Metadata.Name != "" || m.Metadata.GenerateName == "" {
		return ""
	}
	why := fmt.Sprintf("the NetworkPolicies are named after the allowlist (NAME-egress, NAME-ingress), and the name the API server would make from generateName %q is not known until it creates the allowlist", m.Metadata.GenerateName)
	if kind == kindVendor {
		why = fmt.Sprintf("allowlists name a Vendor in spec.vendors[].name, and the name the API server would make from generateName %q is not known until it creates the Vendor", m.Metadata.GenerateName)
	}
	return "metadata.name: Required value: " + why + ": set metadata.name"
}
