/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds/follow"
)

func feedsUsage(w io.Writer) {
	fmt.Fprintf(w, `List the feed presets: the address lists vendors publish in machine-readable form
whose shape the operator knows. For each: the document's URL, the filters a Vendor's
feed may narrow it with (key, whether it is required, the values it takes), the
document's own version signal, and the groups of the built-in vendor of the same
name (an allowlist names them with no Vendor object, for example
vendors: [{name: github, endpoints: [hooks]}]).

The manager fetches a preset only when the admin enables it (--feeds, the chart
value feeds.enabled); docs/feeds.md says how it guards and holds what it fetches.

Usage:
  %[1]s feeds [PRESET ...] [flags]

Arguments:
  PRESET                   Show only these presets.

Flags:
  -o, --output FORMAT      table (default) or json.
  -h, --help               Show this help.

Examples:
  # Every preset, its filters and groups:
  %[1]s feeds

  # GitHub's, as JSON:
  %[1]s feeds github -o json

  # Render an allowlist of GitHub's hooks from a saved copy of its document:
  %[1]s render --offline --feed-file https://api.github.com/meta=meta.json -f allowlist.yaml
`, commandName)
}

// presetView is a preset as the feeds command shows it.
type presetView struct {
	Name          string       `json:"name"`
	Title         string       `json:"title"`
	URL           string       `json:"url"`
	VersionFields []string     `json:"versionFields"`
	Filters       []filterView `json:"filters"`
	Groups        []groupView  `json:"groups"`
}

type filterView struct {
	Key         string `json:"key"`
	Description string `json:"description"`
	Required    bool   `json:"required"`
	// ChoosesDocument: the filter picks the URL (one value), not entries within it.
	ChoosesDocument bool     `json:"choosesDocument,omitempty"`
	Default         []string `json:"default,omitempty"`
	// Values are the allowed values of a closed set; Example describes an open one.
	Values  []string `json:"values,omitempty"`
	Example string   `json:"example,omitempty"`
}

type groupView struct {
	Name        string              `json:"name"`
	Description string              `json:"description"`
	Direction   v1alpha1.Direction  `json:"direction"`
	Ports       []v1alpha1.Port     `json:"ports,omitempty"`
	Filters     map[string][]string `json:"filters"`
	// URL is the document the group reads, where a filter chooses it.
	URL string `json:"url"`
}

func viewPreset(p feeds.Preset) presetView {
	// Empty lists as [], so that a JSON reader need not tell null from none.
	v := presetView{Name: p.Name, Title: p.Title, URL: p.URL, VersionFields: p.VersionFields, Filters: []filterView{}, Groups: []groupView{}}
	if v.VersionFields == nil {
		v.VersionFields = []string{}
	}
	for _, f := range p.Filters {
		v.Filters = append(v.Filters, filterView{
			Key: f.Key, Description: f.Description, Required: f.Required, ChoosesDocument: f.ChoosesDocument,
			Default: f.Default, Values: f.Values, Example: f.Example,
		})
	}
	for _, g := range p.Groups {
		// A preset's own groups always name a document; an error here is a preset
		// that fails its own tests.
		url, _ := p.DocumentURL(g.Filters)
		v.Groups = append(v.Groups, groupView{Name: g.Name, Description: g.Description, Direction: g.Direction, Ports: g.Ports, Filters: g.Filters, URL: url})
	}
	return v
}

func runFeeds(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("feeds")
	var output string
	fs.StringVar(&output, "o", "table", "")
	fs.StringVar(&output, "output", "table", "")
	names, code, done := parseFlags(fs, args, stdout, stderr)
	if done {
		return code
	}
	if output != "table" && output != "json" {
		return usageError(stderr, feedsUsage, "-o %q: the formats are table and json", output)
	}
	var views []presetView
	if len(names) == 0 {
		for _, p := range feeds.Presets() {
			views = append(views, viewPreset(p))
		}
	}
	for _, n := range names {
		p, ok := feeds.LookupPreset(n)
		if !ok {
			fmt.Fprintf(stderr, "error: no preset %q (known: %s)\n", n, strings.Join(follow.PresetNames(), ", "))
			return exitError
		}
		views = append(views, viewPreset(p))
	}
	var err error
	if output == "json" {
		err = writeFeedsJSON(stdout, views)
	} else {
		err = writeFeedsTable(stdout, views)
	}
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return exitError
	}
	return exitOK
}

func writeFeedsJSON(w io.Writer, views []presetView) error {
	b, err := json.MarshalIndent(views, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// writeFeedsTable writes one block a preset: the document and its version signal, a
// table of its filters, and a table of the built-in vendor's groups.
func writeFeedsTable(w io.Writer, views []presetView) error {
	for i, v := range views {
		if i > 0 {
			fmt.Fprintln(w)
		}
		version := strings.Join(v.VersionFields, ", ")
		if version == "" {
			version = "none (a change shows only in the document's digest)"
		}
		fmt.Fprintf(w, "PRESET %s (%s)\n  URL: %s\n  Version signal: %s\n", v.Name, v.Title, v.URL, version)
		filters := [][]string{{"FILTER", "REQUIRED", "VALUES", "DESCRIPTION"}}
		for _, f := range v.Filters {
			filters = append(filters, []string{f.Key, filterRequired(f), filterValues(f), f.Description})
		}
		if len(v.Filters) == 0 {
			fmt.Fprintln(w, "  Filters: none (the document is one list)")
		} else if err := writeIndentedTable(w, filters); err != nil {
			return err
		}
		groups := [][]string{{"GROUP", "DIRECTION", "PORTS", "SELECTS"}}
		templated := strings.Contains(v.URL, "{")
		if templated {
			groups[0] = append(groups[0], "DOCUMENT")
		}
		for _, g := range v.Groups {
			row := []string{g.Name, string(g.Direction), portList(g.Ports), filterList(g.Filters)}
			if templated {
				row = append(row, g.URL)
			}
			groups = append(groups, row)
		}
		if err := writeIndentedTable(w, groups); err != nil {
			return err
		}
	}
	return nil
}

// writeIndentedTable writes rows as aligned columns, indented, with "-" for an empty
// cell.
func writeIndentedTable(w io.Writer, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, cs := range rows {
		for i, c := range cs {
			if c == "" {
				cs[i] = "-"
			}
		}
		fmt.Fprintln(tw, "  "+strings.Join(cs, "\t"))
	}
	return tw.Flush()
}

func filterRequired(f filterView) string {
	switch {
	case f.Required:
		return "yes"
	case len(f.Default) > 0:
		return "no (default " + strings.Join(f.Default, ",") + ")"
	default:
		return "no"
	}
}

func filterValues(f filterView) string {
	s := f.Example
	if len(f.Values) > 0 {
		s = strings.Join(f.Values, ",")
	}
	if f.ChoosesDocument {
		s = "one of " + s
	}
	return s
}

func portList(ports []v1alpha1.Port) string {
	parts := make([]string, len(ports))
	for i, p := range ports {
		parts[i] = string(p.Protocol) + "/" + strconv.Itoa(int(p.Port))
	}
	return strings.Join(parts, ",")
}

func filterList(filters map[string][]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(filters)) {
		parts = append(parts, k+"="+strings.Join(filters[k], ","))
	}
	return strings.Join(parts, " ")
}
