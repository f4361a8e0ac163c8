/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package apiconst reads the string constants of a Go package from its source, for
// tests that check every reason the API declares is documented and classified.
package apiconst

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
)

// Strings returns the string constants of the package in dir whose names start with
// one of prefixes, name to value; test and generated (zz_) files are left out.
func Strings(dir string, prefixes ...string) (map[string]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		if base := filepath.Base(f); strings.HasSuffix(base, "_test.go") || strings.HasPrefix(base, "zz_") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", f, err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			if vs, ok := n.(*ast.ValueSpec); ok {
				collect(vs, prefixes, out)
			}
			return true
		})
	}
	return out, nil
}

func collect(vs *ast.ValueSpec, prefixes []string, out map[string]string) {
	for i, name := range vs.Names {
		if i >= len(vs.Values) || !hasPrefix(name.Name, prefixes) {
			continue
		}
		if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			out[name.Name], _ = strconv.Unquote(lit.Value)
		}
	}
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
