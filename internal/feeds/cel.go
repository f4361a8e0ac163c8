/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package feeds

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"
)

// DefaultCostLimit bounds a CEL expression's evaluation, as the Kubernetes API
// server's per-expression limit does (k8s.io/apiserver/pkg/apis/cel.PerCallLimit):
// filtering both of AWS's lists, 16,000 prefixes, costs about 60,000 of it.
const DefaultCostLimit uint64 = 1_000_000

// expression is a compiled CEL selection.
type expression struct {
	prg   cel.Program
	limit uint64
}

// celEnv is the language a feed expression is written in: CEL with the string, list
// and set extensions the admission policy's CEL has too, over one variable, self, the
// document as JSON decodes it.
func celEnv() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("self", cel.DynType),
		ext.Strings(),
		ext.Lists(),
		ext.Sets(),
	)
}

func compileExpression(src string, limit uint64) (*expression, error) {
	if strings.TrimSpace(src) == "" {
		return nil, invalidSource("expression", "a JSON feed needs an expression that selects a list of strings from the document, such as self.hooks")
	}
	env, err := celEnv()
	if err != nil {
		return nil, fmt.Errorf("building the CEL environment: %w", err)
	}
	ast, iss := env.Compile(src)
	if iss.Err() != nil {
		return nil, &Error{Kind: KindInvalidSource, Field: "expression",
			Message: "does not compile: " + iss.Err().Error(), Err: iss.Err()}
	}
	if !resultMayBeStringList(ast.OutputType()) {
		return nil, invalidSource("expression", "gives a %s, but must give a list of strings, such as self.hooks or self.prefixes.map(p, p.ip_prefix)",
			ast.OutputType())
	}
	prg, err := env.Program(ast, cel.CostLimit(limit))
	if err != nil {
		return nil, &Error{Kind: KindInvalidSource, Field: "expression", Message: err.Error(), Err: err}
	}
	return &expression{prg: prg, limit: limit}, nil
}

// resultMayBeStringList is false for an expression whose type is known and is not a
// list of strings: self.hooks is dyn, ['a'] a list of strings, size(self) an int.
func resultMayBeStringList(t *cel.Type) bool {
	switch t.Kind() {
	case types.DynKind, types.AnyKind:
		return true
	case types.ListKind:
		e := t.Parameters()[0].Kind()
		return e == types.StringKind || e == types.DynKind || e == types.AnyKind
	}
	return false
}

func (e *expression) collect(r io.Reader, c *collector) error {
	var doc any
	dec := json.NewDecoder(r)
	if err := dec.Decode(&doc); err != nil {
		return parseError(err, "the document is not JSON: %v", err)
	}
	if err := expectEOF(dec); err != nil {
		return err
	}
	out, _, err := e.prg.ContextEval(context.Background(), map[string]any{"self": doc})
	if err != nil {
		if strings.Contains(err.Error(), "cost limit exceeded") {
			return &Error{Kind: KindParse, Field: "expression", Err: err, Message: fmt.Sprintf(
				"costs more than its limit of %s on this document; select with fewer steps, such as self.hooks rather than a filter over every element",
				thousands(int(e.limit)))}
		}
		return &Error{Kind: KindParse, Field: "expression", Err: err,
			Message: "failed on this document: " + err.Error()}
	}
	return collectStrings(out, c)
}

func collectStrings(out ref.Val, c *collector) error {
	list, ok := out.(traits.Lister)
	if !ok || out.Type() != types.ListType {
		return &Error{Kind: KindParse, Field: "expression", Message: fmt.Sprintf(
			"gave a %s on this document, not a list of strings; select a list, such as self.hooks", out.Type().TypeName())}
	}
	i := 0
	for it := list.Iterator(); it.HasNext() == types.True; i++ {
		v := it.Next()
		s, ok := v.(types.String)
		if !ok {
			return &Error{Kind: KindParse, Field: "expression", Message: fmt.Sprintf(
				"element %d of the result is a %s, not a string; map the elements to their addresses, such as .map(p, p.ip_prefix)", i, v.Type().TypeName())}
		}
		if err := c.add(string(s), position{list: "element", index: i}); err != nil {
			return err
		}
	}
	return nil
}
