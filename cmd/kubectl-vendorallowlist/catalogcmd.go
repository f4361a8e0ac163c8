/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"fmt"
	"io"
	"strings"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
)

func catalogUsage(w io.Writer) {
	fmt.Fprintf(w, `List the vendor catalog: each vendor's endpoint groups, with their direction, the
ports they open, the regions of their addresses, how many addresses and hostnames the
vendor publishes, and what an allowlist must supply itself (CUSTOMER INPUT).

An allowlist names a vendor in spec.vendors[].name, and picks groups, directions and
regions from this list.

Usage:
  %[1]s catalog [VENDOR ...] [flags]

Arguments:
  VENDOR                   Show only these vendors.

Flags:
      --vendors FILE       File of Vendor objects to lay over the built-in catalog, as
                           the cluster's Vendor objects are; a Vendor named like a
                           built-in vendor replaces it. Repeatable; '-' reads standard
                           input.
  -o, --output FORMAT      table (default); yaml: the catalog as Vendor objects, a
                           YAML stream that 'kubectl apply --server-side -f -' takes;
                           values: the chart's vendors: value (name, spec), to paste
                           into your values file.
  -h, --help               Show this help.

Examples:
  # The vendors and endpoint groups an allowlist can name:
  %[1]s catalog

  # Workato's entry in full, with every address and the vendor's notes:
  %[1]s catalog workato -o yaml

  # ThreoBuilder's entry as the chart's vendors: value, a start for an override:
  %[1]s catalog threobuilder -o values

  # The catalog as the operator sees it with your own Vendor objects:
  %[1]s catalog --vendors my-vendors.yaml
`, commandName)
}

func runCatalog(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("catalog")
	var vendorFiles stringList
	fs.Var(&vendorFiles, "vendors", "")
	var output string
	fs.StringVar(&output, "o", "table", "")
	fs.StringVar(&output, "output", "table", "")
	names, code, done := parseFlags(fs, args, stdout, stderr)
	if done {
		return code
	}
	if n := countStdin(vendorFiles); n > 1 {
		return usageError(stderr, catalogUsage, "'-' (standard input) is given %d times: standard input can be read only once", n)
	}
	if output != "table" && output != "yaml" && output != "values" {
		return usageError(stderr, catalogUsage, "-o %q: the formats are table, yaml and values", output)
	}
	probs := &problems{}
	var stdinUsed bool
	var in decoded
	vendorDecoder := &decoder{vendorsOnly: true, notes: stderr, probs: probs, out: &in}
	readInputs(vendorFiles, stdin, &stdinUsed, probs, vendorDecoder.decodeInput)
	cat := buildCatalog(in.vendors, probs)
	if !probs.empty() {
		probs.write(stderr, "")
		return exitError
	}

	if len(names) > 0 {
		var chosen []v1alpha1.Vendor
		for _, n := range names {
			v, ok := cat.Get(n)
			if !ok {
				fmt.Fprintf(stderr, "error: no vendor %q in the catalog (known: %s)\n", n, strings.Join(cat.Names(), ", "))
				return exitError
			}
			chosen = append(chosen, *v)
		}
		cat = (*catalog.Catalog)(nil).WithOverrides(chosen)
	}

	switch output {
	case "yaml":
		var b strings.Builder
		for _, v := range cat.Vendors() {
			y, err := objectYAML(&v)
			if err != nil {
				fmt.Fprintf(stderr, "error: encoding Vendor %s: %v\n", v.Name, err)
				return exitError
			}
			b.WriteString("---\n")
			b.Write(y)
		}
		if _, err := io.WriteString(stdout, b.String()); err != nil {
			fmt.Fprintf(stderr, "error: %v\n", err)
			return exitError
		}
	case "values":
		// The chart's vendors: value takes name, labels, annotations and spec; a
		// built-in vendor has no labels or annotations of its own.
		type entry struct {
			Name string              `json:"name"`
			Spec v1alpha1.VendorSpec `json:"spec"`
		}
		var entries []entry
		for _, v := range cat.Vendors() {
			entries = append(entries, entry{Name: v.Name, Spec: v.Spec})
		}
		y, err := objectYAML(map[string]any{"vendors": entries})
		if err != nil {
			fmt.Fprintf(stderr, "error: encoding the vendors: %v\n", err)
			return exitError
		}
		if _, err := stdout.Write(y); err != nil {
			fmt.Fprintf(stderr, "error: %v\n", err)
			return exitError
		}
	default:
		if err := catalog.WriteTable(stdout, cat); err != nil {
			fmt.Fprintf(stderr, "error: %v\n", err)
			return exitError
		}
	}
	return exitOK
}
