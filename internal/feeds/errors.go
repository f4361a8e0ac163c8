/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package feeds

import (
	"errors"
	"fmt"
)

// Kind is why a selection failed, for the status reason the caller sets.
type Kind string

const (
	// KindInvalidSource is the admin's mistake: an unknown preset or filter, a filter
	// value of the wrong shape, a CEL expression that does not compile. Fetching again
	// does not help; changing the Vendor does.
	KindInvalidSource Kind = "InvalidSource"
	// KindParse is a document that is not what the source expects: not JSON, not the
	// preset's shape, or a CEL expression that failed on it.
	KindParse Kind = "ParseError"
	// KindInvalidEntry is a selected entry that is not an address or a network.
	KindInvalidEntry Kind = "InvalidEntry"
	// KindEmptySelection is a selection that found no network.
	KindEmptySelection Kind = "EmptySelection"
	// KindTooManyNetworks is a selection larger than the bound, even after merging.
	KindTooManyNetworks Kind = "TooManyNetworks"
)

// Sentinels for errors.Is: errors.Is(err, feeds.ErrEmptySelection) holds for every
// *Error of that Kind.
var (
	ErrInvalidSource   = &Error{Kind: KindInvalidSource}
	ErrParse           = &Error{Kind: KindParse}
	ErrInvalidEntry    = &Error{Kind: KindInvalidEntry}
	ErrEmptySelection  = &Error{Kind: KindEmptySelection}
	ErrTooManyNetworks = &Error{Kind: KindTooManyNetworks}
)

// Error is a failed selection.
type Error struct {
	Kind Kind
	// Field names the part of the source at fault, relative to the source: "preset",
	// "filters.region", "expression"; empty when the document is at fault.
	Field string
	// Message says what is wrong and how to fix it.
	Message string
	// Err is the underlying error, if any.
	Err error
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel of the same Kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Field == "" && t.Err == nil && t.Kind == e.Kind
}

// KindOf is the Kind of err, or "" when err is not a selection error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

func invalidSource(field, format string, args ...any) *Error {
	return &Error{Kind: KindInvalidSource, Field: field, Message: fmt.Sprintf(format, args...)}
}

func parseError(err error, format string, args ...any) *Error {
	return &Error{Kind: KindParse, Message: fmt.Sprintf(format, args...), Err: err}
}
