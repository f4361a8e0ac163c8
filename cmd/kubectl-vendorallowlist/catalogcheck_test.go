/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
)

const seedsDir = "../../internal/catalog/testdata/seeds"

const threobuilderURL = "https://docs.synthreo.ai/threobuilder/ip_whitelisting"

// TestCatalogCheckSavedPages is the check `make test` runs on the saved pages: the
// built-in catalog matches every document it cites.
func TestCatalogCheckSavedPages(t *testing.T) {
	g := NewWithT(t)
	r := runPlugin(t, "", "catalog", "check", "--saved", seedsDir)
	g.Expect(r.code).To(Equal(exitOK), r.stdout)
	for _, v := range []string{"freshchat", "outsystems", "threobuilder", "workato"} {
		g.Expect(r.stdout).To(MatchRegexp(`(?m)^%s https://\S+: matches the catalog$`, v))
	}
	g.Expect(r.stdout).To(ContainSubstring("4 documents checked: 0 with drift, 0 not read."))
}

// TestCatalogCheckReportsAnAddressAddedAndOneRemoved edits a copy of the saved pages
// as a vendor would change its page.
func TestCatalogCheckReportsAnAddressAddedAndOneRemoved(t *testing.T) {
	g := NewWithT(t)
	dir := copySeeds(t)
	page := filepath.Join(dir, "threobuilder.txt")
	doc, err := os.ReadFile(page)
	g.Expect(err).NotTo(HaveOccurred())
	edited := strings.Replace(string(doc), "- 87.236.195.76/32\n", "", 1)
	edited = strings.Replace(edited, "- 87.236.197.202/32\n", "- 87.236.197.202/32\n- 87.236.197.203/32\n", 1)
	g.Expect(edited).NotTo(Equal(string(doc)))
	g.Expect(os.WriteFile(page, []byte(edited), 0o644)).To(Succeed())

	r := runPlugin(t, "", "catalog", "check", "--saved", dir)
	g.Expect(r.code).To(Equal(exitCheckDrift))
	g.Expect(r.stdout).To(ContainSubstring("threobuilder " + threobuilderURL + ": differs from the catalog\n" +
		"  on the page, not in the catalog: 87.236.197.203/32\n" +
		"  in group agents, no longer on the page: 87.236.195.76/32\n"))
	g.Expect(r.stdout).To(ContainSubstring("4 documents checked: 1 with drift, 0 not read."))
	g.Expect(strings.Count(r.stdout, "matches the catalog")).To(Equal(3))

	r = runPlugin(t, "", "catalog", "check", "--saved", dir, "-o", "json", "threobuilder")
	g.Expect(r.code).To(Equal(exitCheckDrift))
	var report checkReport
	g.Expect(json.Unmarshal([]byte(r.stdout), &report)).To(Succeed())
	g.Expect(report.Documents).To(Equal([]documentReport{{Drift: catalog.Drift{
		Vendor:       "threobuilder",
		URL:          threobuilderURL,
		NotInCatalog: []string{"87.236.197.203/32"},
		Groups:       []catalog.GroupDrift{{Group: "agents", NotOnPage: []string{"87.236.195.76/32"}}},
	}}}))
}

func TestCatalogCheckSavedIndexErrors(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	r := runPlugin(t, "", "catalog", "check", "--saved", dir)
	g.Expect(r.code).To(Equal(exitCheckError))
	g.Expect(r.stderr).To(ContainSubstring("index.yaml"))

	g.Expect(os.WriteFile(filepath.Join(dir, "index.yaml"), []byte(threobuilderURL+": ../threobuilder.txt\n"), 0o644)).To(Succeed())
	r = runPlugin(t, "", "catalog", "check", "--saved", dir, "threobuilder")
	g.Expect(r.code).To(Equal(exitCheckError))
	g.Expect(r.stderr).To(ContainSubstring(`"../threobuilder.txt" is not a file in`))

	g.Expect(os.WriteFile(filepath.Join(dir, "index.yaml"), []byte("{}\n"), 0o644)).To(Succeed())
	r = runPlugin(t, "", "catalog", "check", "--saved", dir, "threobuilder")
	g.Expect(r.code).To(Equal(exitCheckError))
	g.Expect(r.stdout).To(ContainSubstring("no saved copy of " + threobuilderURL + ": add '" + threobuilderURL + ": FILE' to"))

	r = runPlugin(t, "", "catalog", "check", "-o", "yaml")
	g.Expect(r.code).To(Equal(exitUsage))
	g.Expect(r.stderr).To(ContainSubstring(`-o "yaml": the formats are text and json`))
}

// TestCatalogCheckFetchesOverHTTPS serves the saved Workato page from a TLS server on
// loopback, cited by a Vendor that replaces the built-in workato.
func TestCatalogCheckFetchesOverHTTPS(t *testing.T) {
	g := NewWithT(t)
	saved, err := os.ReadFile(filepath.Join(seedsDir, "workato.txt"))
	g.Expect(err).NotTo(HaveOccurred())

	var mu sync.Mutex
	page, status := saved, http.StatusOK
	var userAgents []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		userAgents = append(userAgents, r.UserAgent())
		if r.URL.Path != "/security/ip-whitelists.html" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
		_, _ = w.Write(page)
	}))
	t.Cleanup(srv.Close)
	serve := func(p []byte, code int) {
		mu.Lock()
		defer mu.Unlock()
		page, status = p, code
	}

	v, ok := catalog.Builtin().Get("workato")
	g.Expect(ok).To(BeTrue())
	v.Spec.Source.URL = srv.URL + "/security/ip-whitelists.html"
	y, err := objectYAML(v)
	g.Expect(err).NotTo(HaveOccurred())
	vendors := filepath.Join(t.TempDir(), "workato.yaml")
	g.Expect(os.WriteFile(vendors, y, 0o644)).To(Succeed())

	check := func(c catalogChecker) result {
		var out, errOut bytes.Buffer
		code := c.run([]string{"--vendors", vendors, "workato"}, strings.NewReader(""), &out, &errOut)
		t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
		return result{code: code, stdout: out.String(), stderr: errOut.String()}
	}
	trusting := catalogChecker{client: srv.Client()}

	r := check(trusting)
	g.Expect(r.code).To(Equal(exitOK))
	g.Expect(r.stdout).To(ContainSubstring("workato " + v.Spec.Source.URL + ": matches the catalog"))
	g.Expect(userAgents).To(HaveLen(1), "one fetch for the four groups citing the page")
	g.Expect(userAgents[0]).To(HavePrefix("vendor-allowlist-operator/"))

	// The page gives each address twice: in its list and in an example.
	serve(bytes.ReplaceAll(saved, []byte("52.54.43.157"), []byte("52.54.43.158")), http.StatusOK)
	r = check(trusting)
	g.Expect(r.code).To(Equal(exitCheckDrift))
	g.Expect(r.stdout).To(ContainSubstring("  on the page, not in the catalog: 52.54.43.158/32\n"))
	g.Expect(r.stdout).To(ContainSubstring("  in group inbound, no longer on the page: 52.54.43.157/32\n"))

	serve(saved, http.StatusServiceUnavailable)
	r = check(trusting)
	g.Expect(r.code).To(Equal(exitCheckError))
	g.Expect(r.stdout).To(ContainSubstring("the server answered 503 Service Unavailable"))

	serve(bytes.Repeat([]byte("52.5.142.59\n"), maxDocumentBytes/12+1), http.StatusOK)
	r = check(trusting)
	g.Expect(r.code).To(Equal(exitCheckError))
	g.Expect(r.stdout).To(ContainSubstring("the document is larger than 8 MiB"))

	// The plugin's own client trusts only the system's CAs, not the test server's.
	serve(saved, http.StatusOK)
	r = check(catalogChecker{client: newDocumentClient()})
	g.Expect(r.code).To(Equal(exitCheckError))
	g.Expect(r.stdout).To(ContainSubstring("certificate"))
}

// copySeeds copies the saved pages and their index into a temporary directory.
func copySeeds(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(seedsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(seedsDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
