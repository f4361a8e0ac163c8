/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package catalog

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"k8s.io/apimachinery/pkg/util/sets"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// GroupSummary is one endpoint group of a vendor, as a row of a catalog listing.
type GroupSummary struct {
	// Vendor is the vendor's name, Group the endpoint group's.
	Vendor string `json:"vendor"`
	Group  string `json:"group"`
	// DisplayName is the vendor's display name.
	DisplayName string             `json:"displayName,omitempty"`
	Direction   v1alpha1.Direction `json:"direction"`
	// Ports are the group's ports, comma-joined, such as "TCP/443" or "UDP/8000-8100".
	Ports string `json:"ports,omitempty"`
	// Regions are the regions of the group's addresses and hostnames, sorted and
	// comma-joined, such as "AU,EU,IN,US".
	Regions string `json:"regions,omitempty"`
	// Addresses is the number of distinct CIDRs the vendor publishes for the group,
	// hostnames' addresses included and deprecated addresses excluded.
	Addresses int `json:"addresses"`
	// Deprecated is the number of deprecated addresses, which Addresses leaves out.
	Deprecated int `json:"deprecated,omitempty"`
	// Hostnames is the number of hostnames the vendor publishes for the group.
	Hostnames int `json:"hostnames"`
	// CustomerInput is what an allowlist must supply; None when unset.
	CustomerInput v1alpha1.CustomerInput `json:"customerInput"`
	// Feed names the feed the group's addresses come from: its preset, or "url".
	Feed string `json:"feed,omitempty"`
}

// Summary returns one row per endpoint group of every vendor of c: vendors sorted by
// name, each vendor's groups in the order it lists them.
func Summary(c *Catalog) []GroupSummary {
	var rows []GroupSummary
	for _, v := range c.Vendors() {
		for i := range v.Spec.Endpoints {
			rows = append(rows, summarize(&v, &v.Spec.Endpoints[i]))
		}
	}
	return rows
}

func summarize(v *v1alpha1.Vendor, g *v1alpha1.EndpointGroup) GroupSummary {
	s := GroupSummary{
		Vendor:        v.Name,
		Group:         string(g.Name),
		DisplayName:   v.Spec.DisplayName,
		Direction:     g.Direction,
		Hostnames:     len(g.Hostnames),
		CustomerInput: g.CustomerInput,
	}
	if s.CustomerInput == "" {
		s.CustomerInput = v1alpha1.CustomerInputNone
	}
	if g.Feed != nil {
		s.Feed = g.Feed.Preset
		if s.Feed == "" {
			s.Feed = "url"
		}
	}

	ports := make([]string, 0, len(g.Ports))
	for _, p := range g.Ports {
		ports = append(ports, formatPort(p))
	}
	s.Ports = strings.Join(ports, ",")

	cidrs := sets.New[v1alpha1.CIDR]()
	regions := sets.New[string]()
	for _, a := range g.Addresses {
		if a.Deprecated != nil {
			s.Deprecated++
			continue
		}
		cidrs.Insert(a.CIDR)
		if a.Region != "" {
			regions.Insert(string(a.Region))
		}
	}
	for _, h := range g.Hostnames {
		cidrs.Insert(h.Addresses...)
		if h.Region != "" {
			regions.Insert(string(h.Region))
		}
	}
	s.Addresses = cidrs.Len()
	s.Regions = strings.Join(sets.List(regions), ",")
	return s
}

// formatPort writes a port as PROTOCOL/PORT or PROTOCOL/PORT-ENDPORT, with TCP for an
// unset protocol as the CRD defaults it.
func formatPort(p v1alpha1.Port) string {
	proto := p.Protocol
	if proto == "" {
		proto = v1alpha1.ProtocolTCP
	}
	if p.EndPort != nil && *p.EndPort != p.Port {
		return fmt.Sprintf("%s/%d-%d", proto, p.Port, *p.EndPort)
	}
	return fmt.Sprintf("%s/%d", proto, p.Port)
}

// WriteTable writes Summary(c) to w as an aligned table with a header row. Empty
// cells are written as "-".
func WriteTable(w io.Writer, c *Catalog) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	cells := func(cs ...string) {
		for i, c := range cs {
			if c == "" {
				cs[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(cs, "\t"))
	}
	cells("VENDOR", "GROUP", "DIRECTION", "PORTS", "REGIONS", "ADDRESSES", "HOSTNAMES", "CUSTOMER INPUT")
	for _, r := range Summary(c) {
		addresses := strconv.Itoa(r.Addresses)
		if r.Feed != "" {
			addresses = "feed:" + r.Feed // the accepted list, which the catalog does not hold
		}
		cells(r.Vendor, r.Group, string(r.Direction), r.Ports, r.Regions,
			addresses, strconv.Itoa(r.Hostnames), string(r.CustomerInput))
	}
	return tw.Flush()
}
