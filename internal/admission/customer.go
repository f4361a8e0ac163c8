/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package admission

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/tenancy"
)

// CustomerCIDRs is how far the admission policy widens the tenant limits for the
// networks of spec.vendors[].cidrs. The manager widens them per endpoint group, by the
// group's customerCIDRs (tenancy.Limits.Widened); the policy cannot read the catalog
// (the built-in one is in the manager's binary, Vendor objects are objects its CEL
// cannot fetch), so it widens them for every vendor alike, by its ConfigMap's
// customer-cidrs-* keys.
type CustomerCIDRs struct {
	// AllowRanges are the guard categories added to tenant-allow-ranges, in the order
	// tenancy.Categories lists them.
	AllowRanges []guard.Category
	// MinPrefixLengthIPv4 and MinPrefixLengthIPv6: a network may be as broad as this
	// when the tenant limits are narrower; 0 widens nothing.
	MinPrefixLengthIPv4, MinPrefixLengthIPv6 int
}

// BuiltinCustomerCIDRs is the widest of the built-in catalog's customerCIDRs: every
// range one of its endpoint groups opens, and the broadest prefix lengths. These are
// the defaults of the policy's ConfigMap, so that it admits whatever the manager renders
// for a built-in vendor at the default limits (the OutSystems VPN's private /16).
func BuiltinCustomerCIDRs() CustomerCIDRs { return widestCustomerCIDRs(catalog.Builtin().Vendors()) }

// widestCustomerCIDRs widens nothing by the groups' customerCIDRs, one after the other,
// as the manager widens the tenant limits for one group (tenancy.Limits.Widened).
func widestCustomerCIDRs(vendors []v1alpha1.Vendor) CustomerCIDRs {
	const none4, none6 = 33, 129 // narrower than any prefix: nothing widened yet
	l := tenancy.Limits{MinPrefixLengthIPv4: none4, MinPrefixLengthIPv6: none6}
	for _, v := range vendors {
		for _, g := range v.Spec.Endpoints {
			if g.CustomerInput == v1alpha1.CustomerInputCIDRs {
				l = l.Widened(g.CustomerCIDRs)
			}
		}
	}
	var out CustomerCIDRs
	for _, c := range tenancy.Categories {
		if slices.Contains(l.AllowRanges, c) {
			out.AllowRanges = append(out.AllowRanges, c)
		}
	}
	if l.MinPrefixLengthIPv4 < none4 {
		out.MinPrefixLengthIPv4 = l.MinPrefixLengthIPv4
	}
	if l.MinPrefixLengthIPv6 < none6 {
		out.MinPrefixLengthIPv6 = l.MinPrefixLengthIPv6
	}
	return out
}

// ConfigMap keys of the policy's parameters that hold CustomerCIDRs.
const (
	KeyCustomerAllowRanges = "customer-cidrs-allow-ranges"
	KeyCustomerMinPrefix4  = "customer-cidrs-min-prefix-length-ipv4"
	KeyCustomerMinPrefix6  = "customer-cidrs-min-prefix-length-ipv6"
)

// Data returns c as the policy's ConfigMap holds it: categories comma-separated, a
// prefix length in decimal, "" for nothing widened.
func (c CustomerCIDRs) Data() map[string]string {
	ranges := make([]string, len(c.AllowRanges))
	for i, r := range c.AllowRanges {
		ranges[i] = string(r)
	}
	length := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	return map[string]string{
		KeyCustomerAllowRanges: strings.Join(ranges, ","),
		KeyCustomerMinPrefix4:  length(c.MinPrefixLengthIPv4),
		KeyCustomerMinPrefix6:  length(c.MinPrefixLengthIPv6),
	}
}

// chartYAML returns c as the chart's files/customer-cidrs.yaml holds it, in the shape
// of the values tenancy.customerCIDRs, with which the chart widens it further.
func (c CustomerCIDRs) chartYAML() string {
	ranges := make([]string, len(c.AllowRanges))
	for i, r := range c.AllowRanges {
		ranges[i] = strconv.Quote(string(r))
	}
	length := func(n int) string {
		if n == 0 {
			return "null"
		}
		return strconv.Itoa(n)
	}
	return fmt.Sprintf("allowRanges: [%s]\nminPrefixLength:\n  ipv4: %s\n  ipv6: %s\n",
		strings.Join(ranges, ", "), length(c.MinPrefixLengthIPv4), length(c.MinPrefixLengthIPv6))
}
