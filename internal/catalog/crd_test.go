/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package catalog

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/crdvalidation"
)

// crdProblems checks every Vendor of a stream with the Vendor CRD, as the API server
// would check it on create, and returns what it refuses.
func crdProblems(t *testing.T, stream []byte) []string {
	t.Helper()
	docs, err := splitDocuments(stream)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatal("no documents")
	}
	var problems []string
	for i, doc := range docs {
		res, err := crdvalidation.Default().ValidateJSON(doc, "")
		if err != nil {
			problems = append(problems, fmt.Sprintf("document %d: %v", i, err))
			continue
		}
		for _, p := range res.Problems() {
			problems = append(problems, fmt.Sprintf("document %d: Vendor %q: %s", i, res.Object.GetName(), p))
		}
	}
	return problems
}

// TestBuiltinPassesTheVendorCRD: the manager loads the embedded vendors.yaml without
// validating it (it does not carry the CRD validator), so every vendor in it must be
// one the API server would accept as a Vendor object.
func TestBuiltinPassesTheVendorCRD(t *testing.T) {
	if problems := crdProblems(t, builtinYAML); len(problems) > 0 {
		t.Errorf("vendors.yaml breaks the Vendor CRD's rules:\n%s", strings.Join(problems, "\n"))
	}

	// The check sees a mistake the Go copy of the rules let through: an IP address
	// written as a hostname.
	broken := bytes.Replace(builtinYAML, []byte("name: sg1.workato.com"), []byte("name: 52.1.37.96"), 1)
	if bytes.Equal(broken, builtinYAML) {
		t.Fatal("vendors.yaml no longer names sg1.workato.com: change the mistake this test makes")
	}
	got := strings.Join(crdProblems(t, broken), "\n")
	if want := `Vendor "workato": spec.endpoints[1].hostnames[0].name: Invalid value: "52.1.37.96": is an IP address, not a hostname`; !strings.Contains(got, want) {
		t.Errorf("problems %q, want %q", got, want)
	}
}
