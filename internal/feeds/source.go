/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package feeds

import (
	"bytes"
	"io"
)

// Format is the shape of a document that no preset describes.
type Format string

const (
	// FormatJSON is a JSON document from which a CEL expression selects a list of
	// strings.
	FormatJSON Format = "JSON"
	// FormatText is plain text, one address or network a line; blank lines and
	// everything after a '#' are ignored.
	FormatText Format = "Text"
)

// Source says what to select from a feed's document.
type Source struct {
	// Preset names a built-in feed shape (see Presets); empty for Format.
	Preset string
	// Filters narrow a preset's selection: filter key to the values to keep. Values
	// of one key are alternatives; keys are all required to match.
	Filters map[string][]string
	// Format is the shape of a document no preset describes; empty with Preset.
	Format Format
	// Expression is, for FormatJSON, a CEL expression over the document (self) that
	// gives a list of strings, such as self.hooks.
	Expression string
	// MaxNetworks bounds the networks the selection may give after merging;
	// 0 means DefaultMaxNetworks.
	MaxNetworks int
	// MaxEntries bounds the entries collected before merging; 0 means
	// DefaultMaxEntries.
	MaxEntries int
	// CostLimit bounds a CEL expression's evaluation cost; 0 means DefaultCostLimit.
	CostLimit uint64
}

// Selector selects from documents of one source; it is safe for concurrent use.
type Selector struct {
	src    Source
	preset *Preset
	filter filterSet
	expr   *expression
}

// Compile checks a source: its preset and filters, or its format and expression.
// Its errors are of KindInvalidSource and name the field at fault.
func Compile(src Source) (*Selector, error) {
	if src.MaxNetworks <= 0 {
		src.MaxNetworks = DefaultMaxNetworks
	}
	if src.MaxEntries <= 0 {
		src.MaxEntries = DefaultMaxEntries
	}
	if src.CostLimit == 0 {
		src.CostLimit = DefaultCostLimit
	}
	s := &Selector{src: src}
	if src.Preset != "" {
		return s, s.compilePreset()
	}
	if len(src.Filters) > 0 {
		return nil, invalidSource("filters", "filters apply to a preset only; with format %s, select in the expression instead", src.Format)
	}
	switch src.Format {
	case FormatJSON:
		expr, err := compileExpression(src.Expression, src.CostLimit)
		if err != nil {
			return nil, err
		}
		s.expr = expr
	case FormatText:
		if src.Expression != "" {
			return nil, invalidSource("expression", "a Text feed has no expression: each line is an address or a network; remove it, or use format JSON")
		}
	case "":
		return nil, invalidSource("preset", "name a preset (%s) or a format (JSON with an expression, or Text)", presetNameList())
	default:
		return nil, invalidSource("format", "unknown format %q: use JSON (with an expression) or Text", src.Format)
	}
	return s, nil
}

func (s *Selector) compilePreset() error {
	p, ok := LookupPreset(s.src.Preset)
	if !ok {
		return invalidSource("preset", "unknown preset %q: use one of %s", s.src.Preset, presetNameList())
	}
	if s.src.Format != "" || s.src.Expression != "" {
		return invalidSource("format", "a preset knows its document's shape: remove format and expression, or remove the preset")
	}
	f, err := p.checkFilters(s.src.Filters)
	if err != nil {
		return err
	}
	s.preset, s.filter = &p, f
	return nil
}

// Source is the source s was compiled from, with its defaults filled in.
func (s *Selector) Source() Source { return s.src }

// URL is the document a preset source reads, such as Datadog's for the chosen site;
// empty for the generic formats, whose URL the Vendor gives.
func (s *Selector) URL() string {
	if s.preset == nil {
		return ""
	}
	return s.preset.documentURL(s.filter)
}

// Select compiles src and selects from doc.
func Select(doc []byte, src Source) (Selection, error) {
	s, err := Compile(src)
	if err != nil {
		return Selection{}, err
	}
	return s.Select(doc)
}

// Select selects from doc.
func (s *Selector) Select(doc []byte) (Selection, error) {
	return s.SelectReader(bytes.NewReader(doc))
}

// SelectReader selects from a document read from r. Presets stream the document and
// keep only the selected entries; a JSON source reads the whole document, since its
// expression may look anywhere in it.
func (s *Selector) SelectReader(r io.Reader) (Selection, error) {
	c := &collector{maxEntries: s.src.MaxEntries}
	var (
		v        Version
		err      error
		describe string
		narrow   string
	)
	switch {
	case s.preset != nil:
		v, err = s.preset.extract(r, s.filter, c)
		describe, narrow = s.preset.describe(s.filter), s.preset.narrowing(s.filter)
	case s.expr != nil:
		err = s.expr.collect(r, c)
		describe = "the expression " + truncate(s.src.Expression, 80)
	default:
		err = collectText(r, c)
		describe = "the list"
	}
	if err != nil {
		return Selection{}, err
	}
	sel, err := c.finish(s.src.MaxNetworks, describe, narrow)
	if err != nil {
		return Selection{}, err
	}
	sel.Version = v
	return sel, nil
}
