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
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

const (
	kindVendorAllowlist = "VendorAllowlist"
	kindVendor          = "Vendor"
	stdinName           = "stdin"
)

// problems collects what is wrong with the input, one line per problem, each naming
// the file, the object or document, and the field.
//
// Problems are found in several passes (decoding, then validation, then the catalog);
// they are written in the order of the objects they concern, which add takes from
// order: set it to the object's sourced.order before adding.
type problems struct {
	order int
	lines []problem
	files []string // files with at least one problem, in order
}

// newlines are what add folds, so that each problem is one line.
var newlines = regexp.MustCompile(`\s*\n\s*`)

type problem struct {
	order int
	text  string
}

func (p *problems) add(file, where, msg string) {
	line := where + ": " + newlines.ReplaceAllString(strings.TrimSpace(msg), " ")
	if file != "" {
		line = file + ": " + line
		if !slices.Contains(p.files, file) {
			p.files = append(p.files, file)
		}
	}
	p.lines = append(p.lines, problem{order: p.order, text: line})
}

func (p *problems) empty() bool { return len(p.lines) == 0 }

// write prints every problem and a closing summary to w.
func (p *problems) write(w io.Writer, consequence string) {
	slices.SortStableFunc(p.lines, func(a, b problem) int { return cmp.Compare(a.order, b.order) })
	for _, l := range p.lines {
		fmt.Fprintln(w, l.text)
	}
	n := len(p.lines)
	summary := fmt.Sprintf("error: %d problem%s", n, plural(n))
	if len(p.files) > 0 {
		summary += " in " + strings.Join(p.files, ", ")
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
	bad   bool // a problem was found decoding it
}

// decoded is what the input files hold.
type decoded struct {
	allowlists []sourced[v1alpha1.VendorAllowlist]
	vendors    []sourced[v1alpha1.Vendor]
}

// decoder reads documents into objects strictly, recording problems.
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
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
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
		d.decodeAllowlist(file, where, j)
	case kindVendor:
		d.decodeVendor(file, where, j)
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

func (d *decoder) decodeAllowlist(file, where string, j []byte) {
	a := &v1alpha1.VendorAllowlist{}
	strict, err := sigsjson.UnmarshalStrict(j, a)
	ref := refOr(kindVendorAllowlist, j, d.namespace, where)
	if err != nil {
		d.probs.add(file, ref, describeDecodeError(err, j))
		return
	}
	if a.Namespace == "" {
		a.Namespace = d.namespace
	}
	bad := false
	for _, e := range strict {
		d.probs.add(file, ref, describeStrictError(e, reflect.TypeFor[v1alpha1.VendorAllowlist]()))
		bad = true
	}
	d.out.allowlists = append(d.out.allowlists, sourced[v1alpha1.VendorAllowlist]{order: d.probs.order, file: file, ref: ref, obj: a, bad: bad})
}

func (d *decoder) decodeVendor(file, where string, j []byte) {
	v := &v1alpha1.Vendor{}
	strict, err := sigsjson.UnmarshalStrict(j, v)
	ref := refOr(kindVendor, j, "", where)
	if err != nil {
		d.probs.add(file, ref, describeDecodeError(err, j))
		return
	}
	bad := false
	for _, e := range strict {
		d.probs.add(file, ref, describeStrictError(e, reflect.TypeFor[v1alpha1.Vendor]()))
		bad = true
	}
	d.out.vendors = append(d.out.vendors, sourced[v1alpha1.Vendor]{order: d.probs.order, file: file, ref: ref, obj: v, bad: bad})
}

// describeDecodeError explains an error of decoding the JSON document j into a typed
// object, such as a string where a number belongs.
func describeDecodeError(err error, j []byte) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		path := te.Field // without list indexes: spec.vendors.ports.port
		if p := jsonPathAt(j, te.Offset); p != "" && indexSuffix.ReplaceAllString(p, "") == path {
			path = p
		}
		if path == "" {
			path = "(document)"
		}
		want := te.Type.Kind().String()
		switch te.Type.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			want = "a whole number"
		case reflect.String:
			want = "a string"
		case reflect.Bool:
			want = "true or false"
		case reflect.Slice, reflect.Array:
			want = "a list"
		case reflect.Struct, reflect.Map:
			want = "a mapping"
		}
		got := te.Value
		if i := strings.IndexByte(got, ' '); i > 0 { // "number -5"
			got = got[:i]
		}
		return fmt.Sprintf("%s: Invalid value: must be %s, not a %s (check the quoting and the indentation)", path, want, jsonTypeName(got))
	}
	if ok, off := sigsjson.SyntaxErrorOffset(err); ok {
		return fmt.Sprintf("not valid JSON at byte %d: %v", off, err)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func jsonTypeName(v string) string {
	switch v {
	case "object":
		return "mapping"
	case "array":
		return "list"
	}
	return v
}

// describeStrictError explains an unknown or duplicate field, suggesting the field
// that was probably meant.
func describeStrictError(err error, root reflect.Type) string {
	var fe sigsjson.FieldError
	if !errors.As(err, &fe) {
		return err.Error()
	}
	path := fe.FieldPath()
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "duplicate field"):
		return fmt.Sprintf("%s: Duplicate value: the field is given twice in one mapping: keep one", path)
	case strings.HasPrefix(msg, "unknown field"):
		return fmt.Sprintf("%s: Unknown field: %s", path, unknownFieldHint(root, path))
	}
	return fmt.Sprintf("%s: %s", path, msg)
}

var indexSuffix = regexp.MustCompile(`\[[^\]]*\]`)

// unknownFieldHint says what field was probably meant by the last element of path.
func unknownFieldHint(root reflect.Type, path string) string {
	segs := strings.Split(indexSuffix.ReplaceAllString(path, ""), ".")
	t := root
	for _, s := range segs[:len(segs)-1] {
		t = fieldType(t, s)
		if t == nil {
			return "not a field here: check the spelling and the indentation"
		}
	}
	parent := "the object"
	if i := strings.LastIndex(path, "."); i > 0 {
		parent = path[:i]
	}
	bad := segs[len(segs)-1]
	known := jsonFields(t)
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

func deref(t reflect.Type) reflect.Type {
	for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		t = t.Elem()
	}
	return t
}

// fieldType is the type of the field of struct t whose JSON name is name.
func fieldType(t reflect.Type, name string) reflect.Type {
	t = deref(t)
	if t == nil || t.Kind() != reflect.Struct {
		if t != nil && t.Kind() == reflect.Map {
			return deref(t.Elem())
		}
		return nil
	}
	for i := range t.NumField() {
		f := t.Field(i)
		jn, inline := jsonName(f)
		if inline {
			if ft := fieldType(f.Type, name); ft != nil {
				return ft
			}
			continue
		}
		if jn == name {
			return deref(f.Type)
		}
	}
	return nil
}

// jsonFields lists the JSON field names of struct t, sorted.
func jsonFields(t reflect.Type) []string {
	t = deref(t)
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		jn, inline := jsonName(f)
		switch {
		case inline:
			out = append(out, jsonFields(f.Type)...)
		case jn != "":
			out = append(out, jn)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func jsonName(f reflect.StructField) (name string, inline bool) {
	if !f.IsExported() {
		return "", false
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false
	}
	name, opts, _ := strings.Cut(tag, ",")
	if f.Anonymous && (name == "" || strings.Contains(","+opts+",", ",inline,")) {
		return "", true
	}
	if name == "" {
		name = f.Name
	}
	return name, false
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

// fieldErrors formats field errors, one message each.
func fieldErrors(errs field.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

// jsonPathAt returns the path (spec.vendors[0].ports[1].port) of the value of the JSON
// document data that ends at byte offset off, or "" when there is none.
func jsonPathAt(data []byte, off int64) string {
	type frame struct {
		array   bool
		index   int
		key     string
		wantKey bool
	}
	var stack []*frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.array {
				fmt.Fprintf(&b, "[%d]", f.index)
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		}
		return b.String()
	}
	valueDone := func() {
		if n := len(stack); n > 0 && !stack[n-1].array {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		var top *frame
		if n := len(stack); n > 0 {
			top = stack[n-1]
		}
		if delim, ok := tok.(json.Delim); ok && (delim == '}' || delim == ']') {
			if dec.InputOffset() >= off {
				return path()
			}
			stack = stack[:len(stack)-1]
			valueDone()
			continue
		}
		if top != nil && !top.array && top.wantKey {
			top.key, _ = tok.(string)
			top.wantKey = false
			continue
		}
		if top != nil && top.array {
			top.index++
		}
		if delim, ok := tok.(json.Delim); ok {
			stack = append(stack, &frame{array: delim == '[', index: -1, wantKey: delim == '{'})
			continue
		}
		if dec.InputOffset() >= off {
			return path()
		}
		valueDone()
	}
}
