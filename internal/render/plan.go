/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package render turns a VendorAllowlist and the vendor catalog into NetworkPolicies.
//
// It is pure: no client, no clock, no DNS. Rendering happens in two steps so the
// caller can do its I/O in between: Compile checks the allowlist against the catalog
// and says which hostnames need resolving; Plan.Render takes the resolved addresses
// and returns the policies. The same input always gives byte-identical output.
package render

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/tenancy"
)

// Catalog is the read side of the vendor catalog the renderer needs.
type Catalog interface {
	// View is the vendor named name, shared: rendering only reads it.
	View(name string) (*v1alpha1.Vendor, bool)
	Names() []string
}

// Options are the admin's settings that rendering applies.
type Options struct {
	// Limits bound what an allowlist may open by itself; nil: no limits (the plugin
	// and tests that render what is written).
	Limits *tenancy.Limits
	// Guard classifies addresses: DNS answers it forbids are never rendered, and the
	// networks an allowlist names are checked against the limits with it.
	Guard guard.Guard
	// ClusterDNS is where the cluster DNS runs unless an allowlist may say otherwise;
	// zero: pods labelled k8s-app=kube-dns in kube-system.
	ClusterDNS ClusterDNS
	// EgressBackend enforces the egress hostnames; "" or networkpolicy: their
	// resolved addresses, in the NetworkPolicy. Never auto: the manager and the
	// plugin resolve that first (DetectBackend).
	EgressBackend EgressBackend
}

// ClusterDNS locates the cluster DNS pods.
type ClusterDNS struct {
	Namespace string
	Pods      *metav1.LabelSelector
}

// Plan is a compiled allowlist: the rules to render, with their static addresses
// and the hostnames whose addresses come from DNS.
type Plan struct {
	allowlist  *v1alpha1.VendorAllowlist
	rules      []rule
	opts       Options
	clusterDNS ClusterDNS
	// refused are the entries left out because they go beyond the limits.
	refused field.ErrorList
	// targets are spec.ingressTargets, checked (targets.go).
	targets []compiledTarget
	// backend enforces egress hostnames by name; nil: by their addresses.
	backend NameBackend
}

// rule is one NetworkPolicy rule: one endpoint group of one vendor, or one custom entry.
type rule struct {
	direction v1alpha1.Direction
	origin    string // "workato/opa-gateways" or "custom/name", for messages and ordering
	// prefixes are the catalog's; own are the networks the allowlist wrote itself,
	// and widened those of them that the group's customerCIDRs let be broader
	// (tenancy.Limits.For): each counts toward its own space limit.
	prefixes  []netip.Prefix
	own       []netip.Prefix
	widened   []netip.Prefix
	hostnames []hostname
	ports     []v1alpha1.Port
	allPorts  bool
}

type hostname struct {
	name         string
	published    []netip.Prefix
	allowPrivate bool
	own          bool // written in the allowlist, not in the catalog
}

// Error is an allowlist that cannot be rendered against the catalog. Reason is one
// of the Ready condition reasons in api/v1alpha1; Errors name the fields to fix.
type Error struct {
	Reason string
	Errors field.ErrorList
}

func (e *Error) Error() string { return e.Errors.ToAggregate().Error() }

// Compile checks the allowlist against the catalog and returns the plan to render.
// It fails, naming the field and the fix, on an unknown vendor, endpoint group or
// region, on customer input a group needs and did not get, and on ingress without
// ports.
//
// Entries beyond opts.Limits are not an error: they are left out of the plan, and
// Refused names them.
func Compile(allowlist *v1alpha1.VendorAllowlist, cat Catalog, opts Options) (*Plan, error) {
	c := compiler{cat: cat, opts: opts, allowDNS: allowlist.Spec.DNSAllowed()}
	if err := c.egressBackend(); err != nil {
		return nil, err
	}
	spec := field.NewPath("spec")
	c.selectors(spec, &allowlist.Spec)
	clusterDNS := c.clusterDNS(spec, allowlist.Spec.ClusterDNS)
	for i := range allowlist.Spec.Vendors {
		c.vendor(spec.Child("vendors").Index(i), &allowlist.Spec.Vendors[i])
	}
	for i := range allowlist.Spec.Custom {
		c.custom(spec.Child("custom").Index(i), &allowlist.Spec.Custom[i])
	}
	targets := c.targets(spec, allowlist)
	if c.err != nil {
		return nil, c.err
	}
	c.limitSpace(spec)
	c.limitHostnames(spec)
	slices.SortStableFunc(c.rules, func(a, b rule) int { return strings.Compare(a.origin, b.origin) })
	return &Plan{allowlist: allowlist, rules: c.rules, opts: opts, clusterDNS: clusterDNS, refused: c.refused, targets: targets, backend: c.backend}, nil
}

type compiler struct {
	cat     Catalog
	opts    Options
	rules   []rule
	err     *Error
	refused field.ErrorList
	// customerSpace bounds the widened networks, by the groups that widened them.
	customerSpace *tenancy.CustomerSpace
	// backend enforces egress hostnames by name (nil: by address); allowDNS is the
	// allowlist's, which some backends need to see the pods' answers.
	backend  NameBackend
	allowDNS bool
}

// egressBackend finds the backend of opts.EgressBackend. auto is the caller's to
// resolve (DetectBackend) before compiling.
func (c *compiler) egressBackend() error {
	b := c.opts.EgressBackend
	if b == "" || b == BackendNetworkPolicy {
		return nil
	}
	nb, ok := NameBackendFor(b)
	if !ok {
		return fmt.Errorf("egress backend %q cannot render: use networkpolicy or a backend that enforces names (auto is resolved before rendering, with DetectBackend)", b)
	}
	c.backend = nb
	return nil
}

// checkWildcards leaves out of the rule the wildcard hostnames it cannot hold,
// saying why: ownPath is where the allowlist's own hostnames are, catalogPath the
// catalog's.
func (c *compiler) checkWildcards(ownPath, catalogPath *field.Path, r *rule) {
	r.hostnames = slices.DeleteFunc(r.hostnames, func(h hostname) bool {
		if !IsWildcard(h.name) {
			return false
		}
		path := catalogPath
		if h.own {
			path = ownPath
		}
		return !c.wildcardAllowed(path, h, r)
	})
}

// wildcardAllowed fails on a wildcard that cannot be enforced where it is, and
// leaves out one the tenant limits do not allow.
func (c *compiler) wildcardAllowed(path *field.Path, h hostname, r *rule) bool {
	if why := c.wildcardUnenforceable(h.name, r); why != "" {
		c.fail(v1alpha1.ReasonInvalidSpec, field.Invalid(path, h.name, why))
		return false
	}
	if h.own && c.opts.Limits != nil && !c.opts.Limits.AllowWildcards {
		c.refuse(path, h.name, "an allowlist may not name wildcard hostnames itself (--tenant-allow-wildcards): list each hostname, or ask an admin to allow wildcards or to put it in a Vendor")
		return false
	}
	return true
}

// wildcardUnenforceable says why the wildcard cannot be enforced in the rule, as a
// sentence naming the fix; "".
func (c *compiler) wildcardUnenforceable(name string, r *rule) string {
	switch {
	case r.direction == v1alpha1.DirectionIngress:
		return "a wildcard cannot open ingress, since no dataplane enforces names for traffic the vendor sends: list the addresses it sends from in cidrs"
	case c.backend == nil:
		return "the egress backend is networkpolicy, which holds addresses, and a wildcard has none: list each hostname, or run a backend that enforces names: docs/fqdn.md"
	case !c.backend.Wildcards():
		return fmt.Sprintf("the egress backend %s does not enforce a wildcard as one label below the name (its own matches deeper names too): list each hostname", c.backend.Name())
	}
	nr := NameRule{Origin: r.origin, Names: []string{name}, Ports: r.ports, AllPorts: r.allPorts}
	if why := c.backend.Refuses(nr, c.allowDNS); why != "" {
		return "a wildcard has no addresses to fall back to: " + why
	}
	return ""
}

// Refused names the entries left out because they go beyond the limits, with the
// limit and the fix; empty when none.
func (p *Plan) Refused() field.ErrorList { return p.refused }

// refuse leaves an entry out, and says why (once, however many groups it was for).
func (c *compiler) refuse(path *field.Path, value any, why string) {
	e := field.Forbidden(path, fmt.Sprintf("%v: %s", value, why))
	for _, seen := range c.refused {
		if seen.Error() == e.Error() {
			return
		}
	}
	c.refused = append(c.refused, e)
}

// own parses the networks an allowlist wrote, leaving out those beyond the limits,
// as a catalog group may widen them for its own customer networks (group names it
// in messages). It returns them apart from those the group widened.
func (c *compiler) own(path *field.Path, cidrs []v1alpha1.CIDR, group string, widen *v1alpha1.CustomerCIDRPolicy) (own, widened []netip.Prefix) {
	for i, p := range c.prefixes(path, cidrs...) {
		if c.opts.Limits == nil {
			own = append(own, p)
			continue
		}
		l, wide := c.opts.Limits.For(c.opts.Guard, p, widen)
		if why := l.CheckCIDR(c.opts.Guard, p); why != "" {
			if widen != nil && !wide && (widen.MinPrefixLengthIPv4 != nil || widen.MinPrefixLengthIPv6 != nil) {
				why += fmt.Sprintf("; the broader networks %s takes (customerCIDRs) must lie within %s ranges", group, joinRanges(widen.AllowRanges))
			}
			c.refuse(path.Index(i), cidrs[i], why)
			continue
		}
		if wide {
			if c.customerSpace == nil {
				c.customerSpace = c.opts.Limits.CustomerSpace()
			}
			c.customerSpace.Add(group, widen)
			widened = append(widened, p)
		} else {
			own = append(own, p)
		}
	}
	return own, widened
}

func joinRanges(rs []v1alpha1.AddressRange) string {
	if len(rs) == 0 {
		return "no"
	}
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, " or ")
}

// allowPrivate is whether an entry's privateAddresses: Allow holds under the limits.
func (c *compiler) allowPrivate(path *field.Path, pa v1alpha1.PrivateAddresses) bool {
	if pa != v1alpha1.PrivateAddressesAllow {
		return false
	}
	if c.opts.Limits != nil && !c.opts.Limits.Allows(guard.CategoryPrivate) {
		c.refuse(path, pa, "private addresses are not among the ranges an allowlist may open (--tenant-allow-ranges), so they stay blocked")
		return false
	}
	return true
}

// clusterDNS is where the egress policy lets the pods reach DNS: the admin's choice,
// unless the allowlist may make its own.
func (c *compiler) clusterDNS(spec *field.Path, own *v1alpha1.ClusterDNS) ClusterDNS {
	dns := c.opts.ClusterDNS
	if dns.Namespace == "" {
		dns.Namespace = "kube-system"
	}
	if dns.Pods == nil {
		dns.Pods = &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}}
	}
	if own == nil {
		return dns
	}
	if c.opts.Limits != nil && !c.opts.Limits.AllowClusterDNS {
		c.refuse(spec.Child("clusterDNS"), "clusterDNS", fmt.Sprintf("the cluster DNS is where the admin says (pods %s in namespace %s); an allowlist may not choose it (--tenant-allow-cluster-dns)",
			metav1.FormatLabelSelector(dns.Pods), dns.Namespace))
		return dns
	}
	if own.Namespace != "" {
		dns.Namespace = own.Namespace
	}
	if own.PodSelector != nil {
		dns.Pods = own.PodSelector
	}
	return dns
}

// limitSpace leaves out every network the allowlist wrote when, merged, they cover
// more than the limits allow: which to keep is not the renderer's to choose. Every
// network counts: those a group's customerCIDRs widened toward their own limit
// (tenancy.CustomerSpace), all others toward the tenant's.
func (c *compiler) limitSpace(spec *field.Path) {
	if c.opts.Limits == nil {
		return
	}
	var own, widened []netip.Prefix
	for _, r := range c.rules {
		own = append(own, r.own...)
		widened = append(widened, r.widened...)
	}
	why := c.opts.Limits.CheckSpace(own)
	if why == "" && c.customerSpace != nil {
		why = c.customerSpace.Check(widened)
	}
	if why != "" {
		c.refuse(spec, "networks", why+" (spec.custom[].cidrs and spec.vendors[].cidrs): every network the allowlist lists itself is left out")
		for i := range c.rules {
			c.rules[i].own, c.rules[i].widened = nil, nil
		}
	}
}

// limitHostnames leaves out the hostnames the allowlist wrote when it has more than
// the limit; the catalog's stay.
func (c *compiler) limitHostnames(spec *field.Path) {
	if c.opts.Limits == nil || c.opts.Limits.MaxHostnames <= 0 {
		return
	}
	names := map[string]bool{}
	for _, r := range c.rules {
		for _, h := range r.hostnames {
			names[h.name] = true
		}
	}
	if len(names) <= c.opts.Limits.MaxHostnames {
		return
	}
	c.refuse(spec, "hostnames", fmt.Sprintf("the allowlist names %d hostnames, more than the %d an allowlist may (--max-hostnames-per-allowlist): the hostnames it lists itself are left out",
		len(names), c.opts.Limits.MaxHostnames))
	for i := range c.rules {
		c.rules[i].hostnames = slices.DeleteFunc(c.rules[i].hostnames, func(h hostname) bool { return h.own })
	}
}

func (c *compiler) fail(reason string, errs ...*field.Error) {
	if c.err == nil {
		c.err = &Error{Reason: reason}
	}
	c.err.Errors = append(c.err.Errors, errs...)
}

// selectors checks the label selectors the CRD schema cannot: a selector the API
// server would refuse in a NetworkPolicy must fail here, before anything is applied.
func (c *compiler) selectors(spec *field.Path, s *v1alpha1.VendorAllowlistSpec) {
	errs := metav1validation.ValidateLabelSelector(&s.PodSelector, metav1validation.LabelSelectorValidationOptions{}, spec.Child("podSelector"))
	if s.ClusterDNS != nil && s.ClusterDNS.PodSelector != nil {
		errs = append(errs, metav1validation.ValidateLabelSelector(s.ClusterDNS.PodSelector, metav1validation.LabelSelectorValidationOptions{}, spec.Child("clusterDNS", "podSelector"))...)
	}
	if len(errs) > 0 {
		c.fail(v1alpha1.ReasonInvalidSpec, errs...)
	}
}

// vendor compiles one vendor selection: it checks the selection against the vendor's
// catalog entry, then builds a rule per endpoint group it opens. The checks of
// customer input and ports come after building, so that an error a rule's networks
// raise keeps its place (and the Reason it sets) ahead of theirs.
func (c *compiler) vendor(path *field.Path, sel *v1alpha1.VendorSelection) {
	vendor, ok := c.lookupVendor(path, sel.Name)
	if !ok {
		return
	}
	groups, ok := c.selectGroups(path, string(sel.Name), sel, vendor.Spec.Endpoints)
	if !ok || !c.checkRegions(path, string(sel.Name), sel, vendor.Spec.Endpoints) {
		return
	}
	allowPrivate := c.allowPrivate(path.Child("privateAddresses"), sel.PrivateAddresses)
	for _, g := range groups {
		c.rules = append(c.rules, c.groupRule(path, sel, g, allowPrivate))
	}
	c.checkCustomerInputTaken(path, sel, groups)
	c.checkVendorPorts(path, sel, groups)
}

func (c *compiler) lookupVendor(path *field.Path, name v1alpha1.ObjectName) (*v1alpha1.Vendor, bool) {
	vendor, ok := c.cat.View(string(name))
	if !ok {
		c.fail(v1alpha1.ReasonUnknownVendor, field.Invalid(path.Child("name"), string(name),
			fmt.Sprintf("no such vendor in the catalog (known: %s); fix the name or add a Vendor object named %s", strings.Join(c.cat.Names(), ", "), name)))
	}
	return vendor, ok
}

// groupRule is the rule of one selected endpoint group: the catalog's networks and
// hostnames in the selected regions, the customer input the group takes, and its ports.
func (c *compiler) groupRule(path *field.Path, sel *v1alpha1.VendorSelection, g v1alpha1.EndpointGroup, allowPrivate bool) rule {
	name := string(sel.Name)
	r := rule{direction: g.Direction, origin: name + "/" + string(g.Name)}
	if g.Direction == v1alpha1.DirectionIngress {
		r.ports, r.allPorts = sel.Ports, sel.AllPorts
	} else {
		r.ports = g.Ports
	}
	regions := setOf(sel.Regions)
	catalogPath := vendorPath(name, g.Name)
	r.prefixes = c.catalogPrefixes(catalogPath, g, regions, sel.IncludeDeprecated)
	r.hostnames = c.catalogHostnames(catalogPath, g, regions, allowPrivate)
	switch g.CustomerInput {
	case v1alpha1.CustomerInputHostnames:
		r.hostnames = append(r.hostnames, ownHostnames(sel.Hostnames, allowPrivate)...)
	case v1alpha1.CustomerInputCIDRs:
		r.own, r.widened = c.own(path.Child("cidrs"), sel.CIDRs, r.origin, g.CustomerCIDRs)
	}
	c.checkWildcards(path.Child("hostnames"), catalogPath.Child("hostnames"), &r)
	return r
}

// catalogPrefixes are the networks the catalog publishes for the group in the
// regions; path is the group's, for errors.
func (c *compiler) catalogPrefixes(path *field.Path, g v1alpha1.EndpointGroup, regions map[v1alpha1.Region]bool, includeDeprecated bool) []netip.Prefix {
	var out []netip.Prefix
	for _, a := range g.Addresses {
		if (a.Deprecated == nil || includeDeprecated) && inRegion(a.Region, regions) {
			out = c.appendPrefixes(out, path, a.CIDR)
		}
	}
	return out
}

// catalogHostnames are the hostnames the catalog publishes for the group in the
// regions, with the addresses it publishes for them.
func (c *compiler) catalogHostnames(path *field.Path, g v1alpha1.EndpointGroup, regions map[v1alpha1.Region]bool, allowPrivate bool) []hostname {
	var out []hostname
	for _, h := range g.Hostnames {
		if inRegion(h.Region, regions) {
			out = append(out, hostname{name: string(h.Name), published: c.prefixes(path, h.Addresses...), allowPrivate: allowPrivate})
		}
	}
	return out
}

// ownHostnames are the hostnames an allowlist wrote itself.
func ownHostnames(names []v1alpha1.Hostname, allowPrivate bool) []hostname {
	out := make([]hostname, 0, len(names))
	for _, h := range names {
		out = append(out, hostname{name: string(h), allowPrivate: allowPrivate, own: true})
	}
	return out
}

// checkCustomerInputTaken fails on hostnames or CIDRs that no selected group takes:
// they would open nothing.
func (c *compiler) checkCustomerInputTaken(path *field.Path, sel *v1alpha1.VendorSelection, groups []v1alpha1.EndpointGroup) {
	if len(sel.Hostnames) > 0 && !slices.ContainsFunc(groups, takesInput(v1alpha1.CustomerInputHostnames)) {
		c.fail(v1alpha1.ReasonInvalidSpec, field.Invalid(path.Child("hostnames"), sel.Hostnames,
			fmt.Sprintf("no selected endpoint group of %s takes customer hostnames; remove hostnames (the vendor's own hostnames are in the catalog)", sel.Name)))
	}
	if len(sel.CIDRs) > 0 && !slices.ContainsFunc(groups, takesInput(v1alpha1.CustomerInputCIDRs)) {
		c.fail(v1alpha1.ReasonInvalidSpec, field.Invalid(path.Child("cidrs"), sel.CIDRs,
			fmt.Sprintf("no selected endpoint group of %s takes customer CIDRs; use spec.custom for addresses of your own", sel.Name)))
	}
}

// checkVendorPorts fails on ingress without ports, and on ports where every group is
// egress (their ports come from the catalog).
func (c *compiler) checkVendorPorts(path *field.Path, sel *v1alpha1.VendorSelection, groups []v1alpha1.EndpointGroup) {
	ingress := slices.ContainsFunc(groups, func(g v1alpha1.EndpointGroup) bool { return g.Direction == v1alpha1.DirectionIngress })
	portsGiven := len(sel.Ports) > 0 || sel.AllPorts
	switch {
	case ingress && !portsGiven:
		c.fail(v1alpha1.ReasonPortsRequired, field.Required(path.Child("ports"),
			fmt.Sprintf("%s sends Ingress traffic to the selected pods: list the pod ports that receive it (for example [{port: 443}]), or set allPorts: true to open every port", sel.Name)))
	case !ingress && portsGiven:
		c.fail(v1alpha1.ReasonInvalidSpec, field.Invalid(path.Child("ports"), portsString(sel.Ports, sel.AllPorts),
			fmt.Sprintf("ports and allPorts apply to Ingress only, and every selected endpoint group of %s is Egress (their ports come from the catalog); remove them", sel.Name)))
	}
}

func takesInput(in v1alpha1.CustomerInput) func(v1alpha1.EndpointGroup) bool {
	return func(g v1alpha1.EndpointGroup) bool { return g.CustomerInput == in }
}

// selectGroups applies directions and endpoints to the vendor's groups. A group that
// needs customer input is left out when the input is missing and the group was not
// asked for by name; asked for by name, the missing input is an error.
func (c *compiler) selectGroups(path *field.Path, name string, sel *v1alpha1.VendorSelection, all []v1alpha1.EndpointGroup) ([]v1alpha1.EndpointGroup, bool) {
	ok := c.checkDirections(path, sel, all)
	if len(sel.Endpoints) == 0 {
		return c.groupsInDirections(path, name, sel, all, ok)
	}
	groups, named := c.groupsByName(path, name, sel, all)
	return groups, ok && named
}

// checkDirections fails on a direction the vendor publishes no group for.
func (c *compiler) checkDirections(path *field.Path, sel *v1alpha1.VendorSelection, all []v1alpha1.EndpointGroup) bool {
	ok := true
	for i, d := range sel.Directions {
		if !slices.ContainsFunc(all, func(g v1alpha1.EndpointGroup) bool { return g.Direction == d }) {
			c.fail(v1alpha1.ReasonUnknownEndpoint, field.NotSupported(path.Child("directions").Index(i), d, directionsOf(all)))
			ok = false
		}
	}
	return ok
}

// groupsInDirections are, when the selection names no endpoints, the groups in its
// directions that have the customer input they need; none at all is an error, which
// says what each group left out needs. directionsOK is whether the directions passed
// their check (which has said what is wrong already).
func (c *compiler) groupsInDirections(path *field.Path, name string, sel *v1alpha1.VendorSelection, all []v1alpha1.EndpointGroup, directionsOK bool) ([]v1alpha1.EndpointGroup, bool) {
	var groups []v1alpha1.EndpointGroup
	var skipped []string
	for _, g := range all {
		if !inDirections(g, sel.Directions) {
			continue
		}
		if in := missingInput(g, sel); in != "" {
			skipped = append(skipped, fmt.Sprintf("%s needs %s", g.Name, path.Child(in)))
			continue
		}
		groups = append(groups, g)
	}
	if len(groups) > 0 || !directionsOK {
		return groups, directionsOK
	}
	msg := fmt.Sprintf("nothing of %s to open in the chosen directions", name)
	if len(skipped) > 0 {
		msg = fmt.Sprintf("nothing of %s to open: %s", name, strings.Join(skipped, "; "))
	}
	c.fail(v1alpha1.ReasonMissingInput, field.Required(path, msg))
	return nil, false
}

// groupsByName are the groups the selection names in endpoints; a name the vendor
// does not publish, a group outside the directions, or one without the customer input
// it needs is an error.
func (c *compiler) groupsByName(path *field.Path, name string, sel *v1alpha1.VendorSelection, all []v1alpha1.EndpointGroup) ([]v1alpha1.EndpointGroup, bool) {
	byName := map[v1alpha1.ObjectName]v1alpha1.EndpointGroup{}
	var names []string
	for _, g := range all {
		byName[g.Name] = g
		names = append(names, string(g.Name))
	}
	var groups []v1alpha1.EndpointGroup
	ok := true
	for i, n := range sel.Endpoints {
		g, found := byName[n]
		if reason, err := checkNamedGroup(path, i, name, sel, g, found, names); err != nil {
			c.fail(reason, err)
			ok = false
			continue
		}
		groups = append(groups, g)
	}
	return groups, ok
}

// checkNamedGroup says what is wrong with endpoints[i], the group g (found: whether
// the vendor publishes it; names: those it does), with the Reason to report; a nil
// error when nothing is.
func checkNamedGroup(path *field.Path, i int, vendor string, sel *v1alpha1.VendorSelection, g v1alpha1.EndpointGroup, found bool, names []string) (string, *field.Error) {
	p := path.Child("endpoints").Index(i)
	n := sel.Endpoints[i]
	switch {
	case !found:
		return v1alpha1.ReasonUnknownEndpoint, field.NotSupported(p, n, names)
	case !inDirections(g, sel.Directions):
		return v1alpha1.ReasonUnknownEndpoint, field.Invalid(p, n,
			fmt.Sprintf("%s/%s is %s, which spec directions leaves out; add %s to directions or remove the group", vendor, n, g.Direction, g.Direction))
	}
	if in := missingInput(g, sel); in != "" {
		return v1alpha1.ReasonMissingInput, field.Required(path.Child(in),
			fmt.Sprintf("%s/%s is specific to each customer: %s", vendor, n, inputHint(g, in)))
	}
	return "", nil
}

// inDirections is whether the group is in the directions selected; none selected
// means all.
func inDirections(g v1alpha1.EndpointGroup, directions []v1alpha1.Direction) bool {
	return len(directions) == 0 || slices.Contains(directions, g.Direction)
}

// missingInput is the field of customer input the group needs and the selection
// lacks ("hostnames" or "cidrs"), or "".
func missingInput(g v1alpha1.EndpointGroup, sel *v1alpha1.VendorSelection) string {
	switch {
	case g.CustomerInput == v1alpha1.CustomerInputHostnames && len(sel.Hostnames) == 0:
		return "hostnames"
	case g.CustomerInput == v1alpha1.CustomerInputCIDRs && len(sel.CIDRs) == 0:
		return "cidrs"
	}
	return ""
}

func inputHint(g v1alpha1.EndpointGroup, in string) string {
	hint := "list yours in " + in
	if g.Notes != "" {
		hint += " (" + firstSentence(g.Notes) + ")"
	}
	return hint
}

func (c *compiler) checkRegions(path *field.Path, name string, sel *v1alpha1.VendorSelection, all []v1alpha1.EndpointGroup) bool {
	if len(sel.Regions) == 0 {
		return true
	}
	known := map[v1alpha1.Region]bool{}
	for _, g := range all {
		for _, a := range g.Addresses {
			known[a.Region] = true
		}
		for _, h := range g.Hostnames {
			known[h.Region] = true
		}
	}
	delete(known, "")
	var names []string
	for r := range known {
		names = append(names, string(r))
	}
	slices.Sort(names)
	ok := true
	for i, r := range sel.Regions {
		if known[r] {
			continue
		}
		ok = false
		if len(names) == 0 {
			c.fail(v1alpha1.ReasonUnknownRegion, field.Invalid(path.Child("regions").Index(i), r,
				fmt.Sprintf("%s publishes no regions; remove regions", name)))
			continue
		}
		c.fail(v1alpha1.ReasonUnknownRegion, field.NotSupported(path.Child("regions").Index(i), r, names))
	}
	return ok
}

func (c *compiler) custom(path *field.Path, e *v1alpha1.CustomEntry) {
	if len(e.Ports) == 0 && !e.AllPorts {
		c.fail(v1alpha1.ReasonPortsRequired, field.Required(path.Child("ports"),
			"list the ports to open (for example [{port: 443}]), or set allPorts: true to open every port"))
		return
	}
	r := rule{
		direction: e.Direction,
		origin:    "custom/" + string(e.Name),
		ports:     e.Ports,
		allPorts:  e.AllPorts,
	}
	r.own, _ = c.own(path.Child("cidrs"), e.CIDRs, r.origin, nil)
	allowPrivate := c.allowPrivate(path.Child("privateAddresses"), e.PrivateAddresses)
	for _, h := range e.Hostnames {
		r.hostnames = append(r.hostnames, hostname{name: string(h), allowPrivate: allowPrivate, own: true})
	}
	c.checkWildcards(path.Child("hostnames"), nil, &r)
	c.rules = append(c.rules, r)
}

// Hostnames returns every hostname the plan renders, sorted and de-duplicated: the
// names to resolve before calling Render. Wildcards are not among them: no DNS
// answers one, and only a backend that enforces names renders them.
func (p *Plan) Hostnames() []string {
	var names []string
	for _, r := range p.rules {
		for _, h := range r.hostnames {
			if !IsWildcard(h.name) {
				names = append(names, h.name)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func inRegion(r v1alpha1.Region, wanted map[v1alpha1.Region]bool) bool {
	return r == "" || len(wanted) == 0 || wanted[r]
}

func setOf[T comparable](items []T) map[T]bool {
	m := make(map[T]bool, len(items))
	for _, i := range items {
		m[i] = true
	}
	return m
}

func directionsOf(groups []v1alpha1.EndpointGroup) []string {
	var out []string
	for _, g := range groups {
		out = append(out, string(g.Direction))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// prefixes parses CIDRs that the API server or the catalog loader has validated
// already; one that slipped through is reported, never rendered.
func (c *compiler) prefixes(path *field.Path, cidrs ...v1alpha1.CIDR) []netip.Prefix {
	return c.appendPrefixes(make([]netip.Prefix, 0, len(cidrs)), path, cidrs...)
}

// appendPrefixes appends the networks cidrs to out, failing on any that cannot be
// rendered (at path).
func (c *compiler) appendPrefixes(out []netip.Prefix, path *field.Path, cidrs ...v1alpha1.CIDR) []netip.Prefix {
	for _, s := range cidrs {
		p, err := netip.ParsePrefix(string(s))
		if err != nil || p.Bits() == 0 {
			c.fail(v1alpha1.ReasonInvalidSpec, field.Invalid(path, s, "not a CIDR that can be rendered; write it like 52.1.37.96/32"))
			continue
		}
		out = append(out, p.Masked())
	}
	return out
}

func vendorPath(vendor string, group v1alpha1.ObjectName) *field.Path {
	return field.NewPath("vendor", vendor).Child("spec", "endpoints").Key(string(group))
}

func portsString(ports []v1alpha1.Port, all bool) string {
	if all {
		return "allPorts: true"
	}
	var s []string
	for _, p := range ports {
		proto := p.Protocol
		if proto == "" {
			proto = v1alpha1.ProtocolTCP
		}
		if p.EndPort != nil && *p.EndPort != p.Port {
			s = append(s, fmt.Sprintf("%s/%d-%d", proto, p.Port, *p.EndPort))
		} else {
			s = append(s, fmt.Sprintf("%s/%d", proto, p.Port))
		}
	}
	return strings.Join(s, ",")
}

func firstSentence(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\n", " "))
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i]
	}
	return strings.TrimSuffix(s, ".")
}
