/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	sigsyaml "sigs.k8s.io/yaml"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/version"
)

// catalog check exits like diff: 0 when the catalog and its documents agree, 1 when
// they differ, 2 when a document could not be read or the command is wrong.
const (
	exitCheckDrift = 1
	exitCheckError = 2
)

const catalogCheckName = "catalog check"

const (
	// documentTimeout bounds one document's fetch, from connecting to the last byte.
	documentTimeout = 30 * time.Second
	// maxDocumentBytes bounds a document: the vendors' pages are some 100 KiB.
	maxDocumentBytes = 8 << 20
	// savedIndexName is the file in a --saved directory that maps URLs to copies.
	savedIndexName = "index.yaml"
)

// runCatalogCommand runs `catalog check`, or `catalog` for anything else.
func runCatalogCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "check" {
		return catalogChecker{client: newDocumentClient()}.run(args[1:], stdin, stdout, stderr)
	}
	return runCatalog(args, stdin, stdout, stderr)
}

// catalogCommandUsage is the catalog command's help, with its check subcommand.
func catalogCommandUsage(w io.Writer) {
	catalogUsage(w)
	fmt.Fprintf(w, `
Subcommands:
  check                    Compare the catalog with the vendors' documents it was
                           transcribed from; its help:
                           %[1]s catalog check -h
`, commandName)
}

func catalogCheckUsage(w io.Writer) {
	fmt.Fprintf(w, `Compare the vendor catalog with the vendors' documents it was transcribed from.

Each endpoint group cites the document it was transcribed from (its source.url, or
its Vendor's source.url) and its section (source.section). For each document, the
check reports the addresses and vendor hostnames on the page that the catalog lacks,
and, for each group, the addresses and hostnames no longer on the page and a
section heading the page no longer has. An HTML page is read as its text.

Usage:
  %[1]s catalog check [VENDOR ...] [flags]

Arguments:
  VENDOR                   Check only these vendors.

Flags:
      --saved DIR          Read saved copies of the documents instead of fetching them:
                           DIR/index.yaml maps each URL to a file in DIR, one
                           'URL: FILE' a line.
      --vendors FILE       File of Vendor objects to lay over the built-in catalog, as
                           'catalog --vendors' does. Repeatable; '-' reads standard
                           input.
  -o, --output FORMAT      text (default) or json.
  -h, --help               Show this help.

Without --saved, each document is fetched over HTTPS (%[2]s at most, %[3]d MiB at
most), with a User-Agent naming the operator and its version.

Exit codes: 0 when the catalog and the documents agree, 1 when they differ (the
report says how), 2 when a document cannot be read or the command is wrong.

Examples:
  # Compare the built-in catalog with the vendors' pages as published now:
  %[1]s catalog check

  # Compare it with the copies the project's tests keep:
  %[1]s catalog check --saved internal/catalog/testdata/seeds

  # Check your own Vendor objects against the documents they cite, as JSON:
  %[1]s catalog check --vendors my-vendors.yaml acme-payments -o json
`, commandName, documentTimeout, maxDocumentBytes>>20)
}

// catalogChecker runs `catalog check`; client fetches the documents.
type catalogChecker struct {
	client *http.Client
}

// checkReport is the check's result, and its JSON output.
type checkReport struct {
	Documents []documentReport `json:"documents"`
}

type documentReport struct {
	catalog.Drift
	// Error says why the document could not be read; it was not compared.
	Error string `json:"error,omitempty"`
}

func (r checkReport) exitCode() int {
	code := exitOK
	for _, d := range r.Documents {
		switch {
		case d.Error != "":
			return exitCheckError
		case !d.None():
			code = exitCheckDrift
		}
	}
	return code
}

func (c catalogChecker) run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet(catalogCheckName)
	var vendorFiles stringList
	fs.Var(&vendorFiles, "vendors", "")
	var saved, output string
	fs.StringVar(&saved, "saved", "", "")
	fs.StringVar(&output, "o", "text", "")
	fs.StringVar(&output, "output", "text", "")
	names, code, done := parseFlags(fs, args, stdout, stderr)
	if done {
		return code
	}
	if output != "text" && output != "json" {
		return usageError(stderr, catalogCheckUsage, "-o %q: the formats are text and json", output)
	}
	if n := countStdin(vendorFiles); n > 1 {
		return usageError(stderr, catalogCheckUsage, "'-' (standard input) is given %d times: standard input can be read only once", n)
	}

	cat, ok := checkedCatalog(vendorFiles, names, stdin, stderr)
	if !ok {
		return exitCheckError
	}
	read := c.fetch
	if saved != "" {
		index, err := readSavedIndex(saved)
		if err != nil {
			fmt.Fprintf(stderr, "error: %v\n", err)
			return exitCheckError
		}
		read = func(_ context.Context, url string) ([]byte, error) { return index.read(url) }
	}

	report := checkSources(context.Background(), catalog.Sources(cat), read)
	if err := writeCheckReport(stdout, report, output); err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return exitCheckError
	}
	return report.exitCode()
}

// checkedCatalog is the built-in catalog under the Vendors of vendorFiles, cut to
// names when there are any.
func checkedCatalog(vendorFiles, names []string, stdin io.Reader, stderr io.Writer) (*catalog.Catalog, bool) {
	probs := &problems{}
	var stdinUsed bool
	var in decoded
	vendorDecoder := &decoder{vendorsOnly: true, notes: stderr, probs: probs, out: &in}
	readInputs(vendorFiles, stdin, &stdinUsed, probs, vendorDecoder.decodeInput)
	cat := buildCatalog(in.vendors, probs)
	if !probs.empty() {
		probs.write(stderr, "")
		return nil, false
	}
	if len(names) == 0 {
		return cat, true
	}
	var chosen []v1alpha1.Vendor
	for _, n := range names {
		v, ok := cat.Get(n)
		if !ok {
			fmt.Fprintf(stderr, "error: no vendor %q in the catalog (known: %s)\n", n, strings.Join(cat.Names(), ", "))
			return nil, false
		}
		chosen = append(chosen, *v)
	}
	return (*catalog.Catalog)(nil).WithOverrides(chosen), true
}

// checkSources reads each document once and compares it with the groups that cite
// it.
func checkSources(ctx context.Context, sources []catalog.Source, read func(context.Context, string) ([]byte, error)) checkReport {
	type document struct {
		text string
		err  error
	}
	documents := map[string]document{}
	var report checkReport
	for _, src := range sources {
		d := documentReport{Drift: catalog.Drift{Vendor: src.Vendor, URL: src.URL}}
		if src.URL == "" {
			var groups []string
			for _, g := range src.Groups {
				groups = append(groups, string(g.Name))
			}
			d.Error = fmt.Sprintf("groups %s cite no document: set the Vendor's spec.source.url or the group's source.url", strings.Join(groups, ", "))
			report.Documents = append(report.Documents, d)
			continue
		}
		doc, ok := documents[src.URL]
		if !ok {
			body, err := read(ctx, src.URL)
			doc = document{text: catalog.DocumentText(body), err: err}
			documents[src.URL] = doc
		}
		if doc.err != nil {
			d.Error = doc.err.Error()
		} else {
			d.Drift = catalog.Compare(src, doc.text)
		}
		report.Documents = append(report.Documents, d)
	}
	return report
}

func writeCheckReport(w io.Writer, r checkReport, output string) error {
	if output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	var b strings.Builder
	differ, failed := 0, 0
	for _, d := range r.Documents {
		fmt.Fprintf(&b, "%s %s: ", d.Vendor, d.URL)
		switch {
		case d.Error != "":
			failed++
			fmt.Fprintf(&b, "not checked\n  error: %s\n", d.Error)
			continue
		case d.None():
			b.WriteString("matches the catalog\n")
			continue
		}
		differ++
		b.WriteString("differs from the catalog\n")
		if len(d.NotInCatalog) > 0 {
			fmt.Fprintf(&b, "  on the page, not in the catalog: %s\n", strings.Join(d.NotInCatalog, ", "))
		}
		for _, g := range d.Groups {
			if len(g.NotOnPage) > 0 {
				fmt.Fprintf(&b, "  in group %s, no longer on the page: %s\n", g.Group, strings.Join(g.NotOnPage, ", "))
			}
			if g.SectionNotOnPage != "" {
				fmt.Fprintf(&b, "  group %s cites the section %q, no longer a heading on the page\n", g.Group, g.SectionNotOnPage)
			}
		}
	}
	fmt.Fprintf(&b, "\n%d document%s checked: %d with drift, %d not read.\n", len(r.Documents), plural(len(r.Documents)), differ, failed)
	_, err := io.WriteString(w, b.String())
	return err
}

func newDocumentClient() *http.Client {
	return &http.Client{Timeout: documentTimeout, CheckRedirect: httpsRedirectsOnly}
}

// httpsRedirectsOnly follows a redirect only to another https URL, and at most 10.
func httpsRedirectsOnly(req *http.Request, via []*http.Request) error {
	if req.URL.Scheme != "https" {
		return fmt.Errorf("redirected to %s: the check fetches https only", req.URL.Redacted())
	}
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return nil
}

// userAgent names the operator and its build, so that a vendor seeing the fetch in
// its logs knows what it is.
func userAgent() string {
	return "vendor-allowlist-operator/" + version.Get().Version +
		" (catalog check; +https://github.com/vendorallowlist/vendor-allowlist-operator)"
}

// fetch reads the document at url over HTTPS.
func (c catalogChecker) fetch(ctx context.Context, url string) ([]byte, error) {
	if !strings.HasPrefix(url, "https://") {
		return nil, fmt.Errorf("fetching %s: the check fetches https URLs only", url)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", url, err)
	}
	req.Header.Set("User-Agent", userAgent())
	req.Header.Set("Accept", "text/html, text/plain;q=0.9, */*;q=0.1")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: the server answered %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", url, err)
	}
	if len(body) > maxDocumentBytes {
		return nil, fmt.Errorf("fetching %s: the document is larger than %d MiB", url, maxDocumentBytes>>20)
	}
	return body, nil
}

// savedIndex maps document URLs to saved copies in dir.
type savedIndex struct {
	dir   string
	files map[string]string
}

func readSavedIndex(dir string) (savedIndex, error) {
	path := filepath.Join(dir, savedIndexName)
	data, err := os.ReadFile(path)
	if err != nil {
		return savedIndex{}, fmt.Errorf("--saved %s: %s: %s", dir, savedIndexName, describeFSError(err))
	}
	idx := savedIndex{dir: dir}
	if err := sigsyaml.UnmarshalStrict(data, &idx.files); err != nil {
		return savedIndex{}, fmt.Errorf("%s: %w: write one 'URL: FILE' a line", path, err)
	}
	for url, file := range idx.files {
		if !filepath.IsLocal(file) {
			return savedIndex{}, fmt.Errorf("%s: %s: %q is not a file in %s: name it relative to the directory, without '..'", path, url, file, dir)
		}
	}
	return idx, nil
}

func (idx savedIndex) read(url string) ([]byte, error) {
	file, ok := idx.files[url]
	if !ok {
		return nil, fmt.Errorf("no saved copy of %s: add '%s: FILE' to %s", url, url, filepath.Join(idx.dir, savedIndexName))
	}
	path := filepath.Join(idx.dir, file)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the saved copy of %s: %s: %s", url, path, describeFSError(err))
	}
	return data, nil
}
