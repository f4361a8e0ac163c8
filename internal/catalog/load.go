/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package catalog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

const vendorKind = "Vendor"

// Load reads a stream of Vendors: YAML documents separated by "---" lines, or JSON
// objects one after another. Documents that are empty or hold only comments are
// skipped.
//
// Decoding is strict, as the API server's is when asked to be: unknown fields,
// duplicate fields and field names in the wrong case are errors. A document that is
// not a networking.vendorallowlist.io/v1alpha1 Vendor is an error naming its index
// (the first document is document 0). Load reports every error of every document,
// one per line; it returns no vendors when there is any error. It does not validate
// the vendors against the CRD's rules (see the package documentation).
func Load(r io.Reader) ([]v1alpha1.Vendor, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading vendors: %w", err)
	}
	docs, err := splitDocuments(data)
	if err != nil {
		return nil, err
	}
	var (
		vendors []v1alpha1.Vendor
		errs    []error
	)
	for i, doc := range docs {
		v, derrs := decodeVendor(doc)
		for _, err := range derrs {
			errs = append(errs, fmt.Errorf("document %d: %w", i, err))
		}
		if len(derrs) == 0 {
			vendors = append(vendors, *v)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return vendors, nil
}

// splitDocuments returns the non-empty documents of a YAML or JSON stream, as JSON.
//
// Like YAMLOrJSONDecoder, it takes input that starts with "{" for a stream of JSON
// objects, and falls back to YAML when the JSON decoder fails on the first object
// (a YAML flow mapping) or on a "---" after a JSON object.
func splitDocuments(data []byte) ([]json.RawMessage, error) {
	if !utilyaml.IsJSONBuffer(data) {
		return splitYAML(data)
	}
	docs, rest, err := splitJSON(data)
	if err == nil {
		return docs, nil
	}
	if len(docs) == 0 || bytes.HasPrefix(bytes.TrimLeft(rest, " \t\r\n"), []byte("---")) {
		if yamlDocs, yamlErr := splitYAML(data); yamlErr == nil {
			return yamlDocs, nil
		}
	}
	return nil, err
}

// splitJSON returns the non-empty JSON values of data, and on an error what follows
// the last value it decoded.
func splitJSON(data []byte) (docs []json.RawMessage, rest []byte, err error) {
	d := json.NewDecoder(bytes.NewReader(data))
	for {
		offset := d.InputOffset()
		var raw json.RawMessage
		if err := d.Decode(&raw); err == io.EOF {
			return docs, nil, nil
		} else if err != nil {
			return docs, data[offset:], fmt.Errorf("document %d: %w", len(docs), err)
		}
		if !isEmpty(raw) {
			docs = append(docs, raw)
		}
	}
}

func splitYAML(data []byte) ([]json.RawMessage, error) {
	var docs []json.RawMessage
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if err == io.EOF {
			return docs, nil
		} else if err != nil {
			return nil, fmt.Errorf("document %d: %w", len(docs), err)
		}
		// YAMLToJSONStrict refuses duplicate keys, which YAMLToJSON lets the last win.
		j, err := sigsyaml.YAMLToJSONStrict(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", len(docs), err)
		}
		if isEmpty(j) {
			continue
		}
		docs = append(docs, j)
	}
}

func isEmpty(j []byte) bool {
	return len(bytes.TrimSpace(j)) == 0 || string(bytes.TrimSpace(j)) == "null"
}

// decodeVendor decodes one JSON document strictly into a Vendor.
func decodeVendor(doc json.RawMessage) (*v1alpha1.Vendor, []error) {
	var tm metav1.TypeMeta
	if err := json.Unmarshal(doc, &tm); err != nil {
		return nil, []error{fmt.Errorf("not a Vendor object: %w", err)}
	}
	if tm.APIVersion != v1alpha1.GroupVersion.String() || tm.Kind != vendorKind {
		return nil, []error{fmt.Errorf("apiVersion %q, kind %q: want apiVersion %q, kind %q",
			tm.APIVersion, tm.Kind, v1alpha1.GroupVersion.String(), vendorKind)}
	}
	v := &v1alpha1.Vendor{}
	strict, err := sigsjson.UnmarshalStrict(doc, v)
	if err != nil {
		return nil, []error{fmt.Errorf("Vendor %q: %w", nameOf(doc), err)}
	}
	errs := make([]error, 0, len(strict))
	for _, err := range strict {
		errs = append(errs, fmt.Errorf("Vendor %q: %w", v.Name, err))
	}
	return v, errs
}

// nameOf is metadata.name of a document that does not decode as a Vendor, for errors.
func nameOf(doc json.RawMessage) string {
	var m struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	_ = json.Unmarshal(doc, &m)
	return m.Metadata.Name
}
