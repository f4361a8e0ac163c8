/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package feeds

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// The presets read their documents token by token and decode only what they select,
// so that AWS's 2 MB ip-ranges.json never sits in memory as a tree of maps.

// walkObject reads one JSON object, calling fn with each key; fn consumes the value,
// by decoding it or with skipValue.
func walkObject(dec *json.Decoder, what string, fn func(key string) error) error {
	if err := expectDelim(dec, '{', what); err != nil {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return notJSON(err)
		}
		key, ok := tok.(string)
		if !ok {
			return parseError(nil, "%s: want a key, found %v", what, tok)
		}
		if err := fn(key); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	return notJSON(err)
}

// walkArray reads one JSON array, calling fn with the index of each element; fn
// consumes the element.
func walkArray(dec *json.Decoder, what string, fn func(i int) error) error {
	if err := expectDelim(dec, '[', what); err != nil {
		return err
	}
	for i := 0; dec.More(); i++ {
		if err := fn(i); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	return notJSON(err)
}

// decodeValue decodes the next value into v, naming where it is on a mismatch.
func decodeValue(dec *json.Decoder, at position, v any) error {
	err := dec.Decode(v)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		where := at.String()
		if typeErr.Field != "" {
			where += "." + typeErr.Field
		}
		return parseError(err, "%s is a JSON %s, not what the feed publishes there", where, typeErr.Value)
	}
	return notJSON(err)
}

func skipValue(dec *json.Decoder) error {
	var raw json.RawMessage
	return notJSON(dec.Decode(&raw))
}

func expectDelim(dec *json.Decoder, want json.Delim, what string) error {
	tok, err := dec.Token()
	if err != nil {
		return notJSON(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		kind := "an object"
		if want == '[' {
			kind = "a list"
		}
		return parseError(nil, "%s is %s, want %s", what, describeToken(tok), kind)
	}
	return nil
}

// expectEOF refuses data after the document: two documents glued together are not
// what any feed publishes.
func expectEOF(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		return parseError(err, "the document goes on after its end; the feed sent something other than one JSON document")
	}
	return nil
}

func notJSON(err error) error {
	switch {
	case err == nil:
		return nil
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return parseError(err, "the document ends early: it is cut off or empty")
	}
	var fe *Error
	if errors.As(err, &fe) {
		return err
	}
	return parseError(err, "the document is not JSON: %v", err)
}

func describeToken(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return "a list"
		}
		return "an object"
	case string:
		return fmt.Sprintf("the string %q", truncate(t, 32))
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%v", t)
	}
}

// decodeScalar reads a version field, which feeds write as a string (AWS's syncToken)
// or a number (Atlassian's), as text.
func decodeScalar(dec *json.Decoder, at position) (string, error) {
	var v any
	if err := decodeValue(dec, at, &v); err != nil {
		return "", err
	}
	switch t := v.(type) {
	case string:
		return truncate(t, 128), nil
	case json.Number:
		return truncate(t.String(), 128), nil
	case nil:
		return "", nil
	}
	return "", parseError(nil, "%s is %T, want a string or a number", at, v)
}
