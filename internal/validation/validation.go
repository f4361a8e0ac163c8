// Package validation is a pure Go mirror of the validation the API server applies to
// VendorAllowlist and Vendor objects on create: the OpenAPI schema (enums, maxItems,
// maxLength, required fields, list-type invariants) and the CEL rules
// (x-kubernetes-validations) generated from the markers in api/v1alpha1. It exists for
// the kubectl plugin, which checks manifests without an API server.
//
// The mirror returns the errors the server would return, with the same field paths,
// types and messages, including the server's habit of skipping every CEL rule once
// the schema has found a missing field, an unsupported enum value, or a string or
// list over its limit (MsgRulesNotChecked). The tests run one shared table of
// manifests through both this package and a real kube-apiserver and require the same
// errors from both.
//
// Known differences, all from Go's typed structs not telling an absent field from a
// zero one: a missing spec.podSelector is accepted here (the server requires it); a
// required string or port that is present but empty or 0 is reported here as
// "Required value" (the server reports the rule that the empty value breaks); an
// explicitly empty optional enum such as protocol: "" is taken as its default. Status
// is not validated: the server drops it on create.
package validation

import (
	"net/netip"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// Limits from the schema (+kubebuilder:validation:MaxLength / MaxItems markers).
const (
	maxCIDRLength        = 43 // ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128
	maxHostnameLength    = 253
	maxObjectNameLength  = 63
	maxRegionLength      = 32
	maxDateLength        = 10
	maxVendorNameLength  = 63
	maxDisplayNameLength = 128
	maxDocumentLength    = 256
	maxURLLength         = 2048
	maxTextLength        = 2048 // description, notes
	maxNoteLength        = 1024 // address and hostname notes, deprecation notes

	maxVendors           = 32
	maxCustom            = 32
	maxDirections        = 2
	maxSelEndpoints      = 32
	maxRegions           = 16
	maxPorts             = 32
	maxSelHostnames      = 64
	maxSelCIDRs          = 64
	maxCustomCIDRs       = 256
	maxCustomHostnames   = 64
	maxGroups            = 32
	maxGroupAddresses    = 512
	maxGroupHostnames    = 64
	maxHostnameAddresses = 64
)

// The regular expressions of the CEL rules, compiled by Go's RE2 as cel-go does.
var (
	reObjectName    = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	reRegion        = regexp.MustCompile(`^[A-Za-z0-9][-A-Za-z0-9]*$`)
	reDate          = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	reLongLabel     = regexp.MustCompile(`[^.]{64}`)
	reRFC1123       = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	directionValues = []string{string(v1alpha1.DirectionIngress), string(v1alpha1.DirectionEgress)}
	privateValues   = []string{string(v1alpha1.PrivateAddressesBlock), string(v1alpha1.PrivateAddressesAllow)}
	protocolValues  = []string{string(v1alpha1.ProtocolTCP), string(v1alpha1.ProtocolUDP), string(v1alpha1.ProtocolSCTP)}
	customerValues  = []string{string(v1alpha1.CustomerInputNone), string(v1alpha1.CustomerInputHostnames), string(v1alpha1.CustomerInputCIDRs)}
)

// omit is the bad value the server reports for rules on objects and lists.
var omit = field.OmitValueType{}

// VendorAllowlist returns the errors the API server would return when the allowlist
// is created, or nil when it would be accepted.
func VendorAllowlist(a *v1alpha1.VendorAllowlist) field.ErrorList {
	c := &checker{}
	c.objectName(&a.ObjectMeta)
	if a.Name != "" && utf8.RuneCountInString(a.Name) > allowlistMaxNameLength {
		c.rule(field.NewPath("metadata"), omit, MsgAllowlistName)
	}
	c.allowlistSpec(field.NewPath("spec"), &a.Spec)
	return c.result()
}

// Vendor returns the errors the API server would return when the Vendor is created,
// or nil when it would be accepted.
func Vendor(v *v1alpha1.Vendor) field.ErrorList {
	c := &checker{}
	c.objectName(&v.ObjectMeta)
	if v.Name != "" && !(reObjectName.MatchString(v.Name) && utf8.RuneCountInString(v.Name) <= maxVendorNameLength) {
		c.rule(field.NewPath("metadata"), omit, MsgVendorName)
	}
	c.vendorSpec(field.NewPath("spec"), &v.Spec)
	return c.result()
}

// CIDR returns the first error the API server would report for s as a CIDR (a
// spec.custom[].cidrs entry, for example), or nil when s is accepted. An accepted s
// is canonical: netip.ParsePrefix(s).String() == s, with no host bits set, no zone,
// no IPv4-mapped IPv6 and a prefix length above 0.
func CIDR(path *field.Path, s string) *field.Error {
	c := &checker{}
	c.cidr(path, s)
	return c.first()
}

// Hostname returns the first error the API server would report for s as a hostname,
// or nil when s is accepted: a lower-case RFC 1123 name with no wildcard, no trailing
// dot, labels of at most 63 characters, at most 253 characters, and not an IP address.
func Hostname(path *field.Path, s string) *field.Error {
	c := &checker{}
	c.hostname(path, s)
	return c.first()
}

// checker collects errors in the server's two phases: the schema (OpenAPI, metadata
// and list-type) checks, and the CEL rules, which the server runs only when the
// schema found no blocking error.
type checker struct {
	schema field.ErrorList
	rules  field.ErrorList
}

func blocking(t field.ErrorType) bool {
	switch t {
	case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
		return true
	}
	return false
}

func (c *checker) blocked() bool {
	for _, e := range c.schema {
		if blocking(e.Type) {
			return true
		}
	}
	return false
}

func (c *checker) result() field.ErrorList {
	if c.blocked() {
		return append(c.schema, field.Invalid(nil, nil, MsgRulesNotChecked))
	}
	if len(c.schema)+len(c.rules) == 0 {
		return nil
	}
	return append(c.schema, c.rules...)
}

func (c *checker) first() *field.Error {
	if all := c.result(); len(all) > 0 {
		return all[0]
	}
	return nil
}

func (c *checker) add(e *field.Error) { c.schema = append(c.schema, e) }

// rule records a failed CEL rule: value is the string for rules on strings, omit for
// rules on objects and lists.
func (c *checker) rule(path *field.Path, value any, msg string) {
	c.rules = append(c.rules, field.Invalid(path, value, msg))
}

func (c *checker) maxLength(path *field.Path, s string, max int) bool {
	if utf8.RuneCountInString(s) > max {
		c.add(field.TooLong(path, "", max))
		return false
	}
	return true
}

func (c *checker) maxItems(path *field.Path, n, max int) {
	if n > max {
		c.add(field.TooMany(path, n, max))
	}
}

// required records a missing required string and says whether it is present.
func (c *checker) required(path *field.Path, s string) bool {
	if s == "" {
		c.add(field.Required(path, ""))
		return false
	}
	return true
}

// set reports later repeats in an x-kubernetes-list-type=set list.
func set[T ~string](c *checker, path *field.Path, items []T) {
	seen := make(map[T]bool, len(items))
	for i, item := range items {
		if seen[item] {
			c.add(field.Duplicate(path.Index(i), string(item)))
		}
		seen[item] = true
	}
}

// mapKeys reports later repeats of the key in an x-kubernetes-list-type=map list.
func mapKeys(c *checker, path *field.Path, keyName string, keys []string) {
	seen := make(map[string]bool, len(keys))
	for i, k := range keys {
		if seen[k] {
			c.add(field.Duplicate(path.Index(i), map[string]any{keyName: k}))
		}
		seen[k] = true
	}
}

func (c *checker) objectName(m *metav1.ObjectMeta) {
	path := field.NewPath("metadata", "name")
	if m.Name == "" {
		if m.GenerateName == "" {
			c.add(field.Required(path, msgNameOrGenerateName))
		}
		return
	}
	for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(m.Name, false) {
		c.add(field.Invalid(path, m.Name, msg))
	}
}

// --- scalar types ---------------------------------------------------------------

func parseCIDR(s string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if err != nil || p.Addr().Is4In6() {
		return netip.Prefix{}, false
	}
	return p, true
}

// cidr mirrors api/v1alpha1.CIDR: maxLength and seven rules, each independent.
func (c *checker) cidr(path *field.Path, s string) {
	if !c.maxLength(path, s, maxCIDRLength) {
		return
	}
	hasSlash, hasZone := strings.Contains(s, "/"), strings.Contains(s, "%")
	if s == "" {
		c.rule(path, s, MsgCIDREmpty)
	}
	if s != "" && !hasSlash {
		c.rule(path, s, MsgCIDRNoPrefix)
	}
	if hasZone {
		c.rule(path, s, MsgCIDRZone)
	}
	p, ok := parseCIDR(s)
	if hasSlash && !hasZone && !ok {
		c.rule(path, s, MsgCIDRInvalid)
	}
	if !ok {
		return
	}
	if p.String() != s {
		c.rule(path, s, MsgCIDRCanonical)
	}
	if p != p.Masked() {
		c.rule(path, s, MsgCIDRHostBits)
	}
	if p.Bits() == 0 {
		c.rule(path, s, MsgCIDRAll)
	}
}

func isIP(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Zone() == "" && !a.Is4In6()
}

// lowerASCII is CEL's lowerAscii(): only A-Z change.
func lowerASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// hostname mirrors api/v1alpha1.Hostname: maxLength and seven rules; the last one
// (RFC 1123 syntax) stays quiet when a more specific one applies.
func (c *checker) hostname(path *field.Path, s string) {
	if !c.maxLength(path, s, maxHostnameLength) {
		return
	}
	empty := s == ""
	wildcard := strings.Contains(s, "*")
	trailingDot := strings.HasSuffix(s, ".")
	lower := lowerASCII(s)
	upper := s != lower
	longLabel := reLongLabel.MatchString(s)
	ip := isIP(s)
	if empty {
		c.rule(path, s, MsgHostnameEmpty)
	}
	if wildcard {
		c.rule(path, s, MsgHostnameWildcard)
	}
	if trailingDot {
		c.rule(path, s, MsgHostnameTrailing)
	}
	if upper {
		c.rule(path, s, msgHostnameLowerCaseF+lower)
	}
	if longLabel {
		c.rule(path, s, MsgHostnameLongLabel)
	}
	if ip {
		c.rule(path, s, MsgHostnameIP)
	}
	if !(empty || wildcard || trailingDot || upper || longLabel || ip || reRFC1123.MatchString(s)) {
		c.rule(path, s, MsgHostnameRFC1123)
	}
}

// objectNameValue mirrors api/v1alpha1.ObjectName.
func (c *checker) objectNameValue(path *field.Path, s string) {
	if c.maxLength(path, s, maxObjectNameLength) && !reObjectName.MatchString(s) {
		c.rule(path, s, MsgObjectName)
	}
}

// requiredName is a required ObjectName field.
func (c *checker) requiredName(path *field.Path, s string) {
	if c.required(path, s) {
		c.objectNameValue(path, s)
	}
}

func (c *checker) region(path *field.Path, s string) {
	if c.maxLength(path, s, maxRegionLength) && !reRegion.MatchString(s) {
		c.rule(path, s, MsgRegion)
	}
}

func (c *checker) date(path *field.Path, s string) {
	if c.required(path, s) && c.maxLength(path, s, maxDateLength) && !reDate.MatchString(s) {
		c.rule(path, s, MsgDate)
	}
}

func (c *checker) direction(path *field.Path, d v1alpha1.Direction) {
	if d != v1alpha1.DirectionIngress && d != v1alpha1.DirectionEgress {
		c.add(field.NotSupported(path, string(d), directionValues))
	}
}

func (c *checker) requiredDirection(path *field.Path, d v1alpha1.Direction) {
	if c.required(path, string(d)) {
		c.direction(path, d)
	}
}

func (c *checker) ports(path *field.Path, ports []v1alpha1.Port) {
	c.maxItems(path, len(ports), maxPorts)
	for i := range ports {
		p, pp := &ports[i], path.Index(i)
		// protocol: "" is absent, and the server defaults it to TCP.
		if p.Protocol != "" && p.Protocol != v1alpha1.ProtocolTCP && p.Protocol != v1alpha1.ProtocolUDP && p.Protocol != v1alpha1.ProtocolSCTP {
			c.add(field.NotSupported(pp.Child("protocol"), string(p.Protocol), protocolValues))
		}
		if p.Port < 1 || p.Port > 65535 {
			c.rule(pp, omit, MsgPortRange)
		}
		if p.EndPort != nil && (*p.EndPort < 1 || *p.EndPort > 65535) {
			c.rule(pp, omit, MsgEndPortRange)
		}
		if p.EndPort != nil && *p.EndPort < p.Port {
			c.rule(pp, omit, MsgEndPortOrder)
		}
	}
}

func (c *checker) cidrList(path *field.Path, cidrs []v1alpha1.CIDR, max int, isSet bool) {
	c.maxItems(path, len(cidrs), max)
	if isSet {
		set(c, path, cidrs)
	}
	for i, s := range cidrs {
		c.cidr(path.Index(i), string(s))
	}
}

func (c *checker) hostnameList(path *field.Path, hosts []v1alpha1.Hostname, max int) {
	c.maxItems(path, len(hosts), max)
	set(c, path, hosts)
	for i, s := range hosts {
		c.hostname(path.Index(i), string(s))
	}
}

func (c *checker) text(path *field.Path, s string, max int) {
	c.maxLength(path, s, max)
}

// --- VendorAllowlist -------------------------------------------------------------

func (c *checker) allowlistSpec(path *field.Path, s *v1alpha1.VendorAllowlistSpec) {
	vp := path.Child("vendors")
	c.maxItems(vp, len(s.Vendors), maxVendors)
	names := make([]string, len(s.Vendors))
	for i := range s.Vendors {
		names[i] = string(s.Vendors[i].Name)
		c.vendorSelection(vp.Index(i), &s.Vendors[i])
	}
	mapKeys(c, vp, "name", names)

	cp := path.Child("custom")
	c.maxItems(cp, len(s.Custom), maxCustom)
	names = make([]string, len(s.Custom))
	for i := range s.Custom {
		names[i] = string(s.Custom[i].Name)
		c.customEntry(cp.Index(i), &s.Custom[i])
	}
	mapKeys(c, cp, "name", names)

	if d := s.ClusterDNS; d != nil && d.Namespace != "" {
		np := path.Child("clusterDNS", "namespace")
		if c.maxLength(np, d.Namespace, maxObjectNameLength) && !reObjectName.MatchString(d.Namespace) {
			c.rule(np, d.Namespace, MsgNamespace)
		}
	}

	if r := s.DNSRefresh; r != nil {
		rp := path.Child("dnsRefresh")
		inRange := func(d *metav1.Duration) bool { return d.Duration >= time.Second && d.Duration <= 24*time.Hour }
		if r.MinInterval != nil && !inRange(r.MinInterval) {
			c.rule(rp.Child("minInterval"), r.MinInterval.Duration.String(), MsgMinIntervalRange)
		}
		if r.MaxInterval != nil && !inRange(r.MaxInterval) {
			c.rule(rp.Child("maxInterval"), r.MaxInterval.Duration.String(), MsgMaxIntervalRange)
		}
		if r.MinInterval != nil && r.MaxInterval != nil && r.MinInterval.Duration > r.MaxInterval.Duration {
			c.rule(rp, omit, MsgRefreshOrder)
		}
	}

	if len(s.Vendors) == 0 && len(s.Custom) == 0 {
		c.rule(path, omit, MsgAllowlistEmpty)
	}
}

func (c *checker) privateAddresses(path *field.Path, p v1alpha1.PrivateAddresses) {
	if p != "" && p != v1alpha1.PrivateAddressesBlock && p != v1alpha1.PrivateAddressesAllow {
		c.add(field.NotSupported(path, string(p), privateValues))
	}
}

func (c *checker) vendorSelection(path *field.Path, v *v1alpha1.VendorSelection) {
	c.requiredName(path.Child("name"), string(v.Name))

	dp := path.Child("directions")
	c.maxItems(dp, len(v.Directions), maxDirections)
	set(c, dp, v.Directions)
	for i, d := range v.Directions {
		c.direction(dp.Index(i), d)
	}

	ep := path.Child("endpoints")
	c.maxItems(ep, len(v.Endpoints), maxSelEndpoints)
	set(c, ep, v.Endpoints)
	for i, e := range v.Endpoints {
		c.objectNameValue(ep.Index(i), string(e))
	}

	rp := path.Child("regions")
	c.maxItems(rp, len(v.Regions), maxRegions)
	set(c, rp, v.Regions)
	for i, r := range v.Regions {
		c.region(rp.Index(i), string(r))
	}

	c.ports(path.Child("ports"), v.Ports)
	c.hostnameList(path.Child("hostnames"), v.Hostnames, maxSelHostnames)
	c.cidrList(path.Child("cidrs"), v.CIDRs, maxSelCIDRs, true)
	c.privateAddresses(path.Child("privateAddresses"), v.PrivateAddresses)

	if v.AllPorts && len(v.Ports) > 0 {
		c.rule(path, omit, MsgPortsAndAllPorts)
	}
}

func (c *checker) customEntry(path *field.Path, e *v1alpha1.CustomEntry) {
	c.requiredName(path.Child("name"), string(e.Name))
	c.requiredDirection(path.Child("direction"), e.Direction)
	c.cidrList(path.Child("cidrs"), e.CIDRs, maxCustomCIDRs, true)
	c.hostnameList(path.Child("hostnames"), e.Hostnames, maxCustomHostnames)
	c.ports(path.Child("ports"), e.Ports)
	c.privateAddresses(path.Child("privateAddresses"), e.PrivateAddresses)

	if len(e.CIDRs) == 0 && len(e.Hostnames) == 0 {
		c.rule(path, omit, MsgCustomNoAddresses)
	}
	if !e.AllPorts && len(e.Ports) == 0 {
		c.rule(path, omit, MsgCustomNoPorts)
	}
	if e.AllPorts && len(e.Ports) > 0 {
		c.rule(path, omit, MsgPortsAndAllPorts)
	}
}

// --- Vendor ----------------------------------------------------------------------

func (c *checker) vendorSpec(path *field.Path, s *v1alpha1.VendorSpec) {
	c.text(path.Child("displayName"), s.DisplayName, maxDisplayNameLength)
	if src := s.Source; src != nil {
		sp := path.Child("source")
		// document: "" is reported as Required, so MsgVendorDocument (the server's
		// answer to an explicit document: "") never comes from Go.
		if dp := sp.Child("document"); c.required(dp, src.Document) {
			c.maxLength(dp, src.Document, maxDocumentLength)
		}
		c.text(sp.Child("url"), src.URL, maxURLLength)
		c.date(sp.Child("transcribed"), src.Transcribed)
	}

	ep := path.Child("endpoints")
	if s.Endpoints == nil {
		c.add(field.Required(ep, ""))
		return
	}
	c.maxItems(ep, len(s.Endpoints), maxGroups)
	names := make([]string, len(s.Endpoints))
	for i := range s.Endpoints {
		names[i] = string(s.Endpoints[i].Name)
		c.endpointGroup(ep.Index(i), &s.Endpoints[i])
	}
	mapKeys(c, ep, "name", names)
	if len(s.Endpoints) == 0 {
		c.rule(ep, omit, MsgVendorNoEndpoints)
	}
}

func (c *checker) endpointGroup(path *field.Path, g *v1alpha1.EndpointGroup) {
	c.requiredName(path.Child("name"), string(g.Name))
	c.requiredDirection(path.Child("direction"), g.Direction)
	c.text(path.Child("description"), g.Description, maxTextLength)
	c.ports(path.Child("ports"), g.Ports)

	ap := path.Child("addresses")
	c.maxItems(ap, len(g.Addresses), maxGroupAddresses)
	for i := range g.Addresses {
		a, p := &g.Addresses[i], ap.Index(i)
		if cp := p.Child("cidr"); c.required(cp, string(a.CIDR)) {
			c.cidr(cp, string(a.CIDR))
		}
		if a.Region != "" {
			c.region(p.Child("region"), string(a.Region))
		}
		if d := a.Deprecated; d != nil {
			c.date(p.Child("deprecated", "since"), d.Since)
			c.text(p.Child("deprecated", "note"), d.Note, maxNoteLength)
		}
		c.text(p.Child("note"), a.Note, maxNoteLength)
	}

	hp := path.Child("hostnames")
	c.maxItems(hp, len(g.Hostnames), maxGroupHostnames)
	names := make([]string, len(g.Hostnames))
	for i := range g.Hostnames {
		h, p := &g.Hostnames[i], hp.Index(i)
		names[i] = string(h.Name)
		if np := p.Child("name"); c.required(np, string(h.Name)) {
			c.hostname(np, string(h.Name))
		}
		if h.Region != "" {
			c.region(p.Child("region"), string(h.Region))
		}
		c.cidrList(p.Child("addresses"), h.Addresses, maxHostnameAddresses, false)
		c.text(p.Child("note"), h.Note, maxNoteLength)
	}
	mapKeys(c, hp, "name", names)

	if ci := g.CustomerInput; ci != "" && ci != v1alpha1.CustomerInputNone && ci != v1alpha1.CustomerInputHostnames && ci != v1alpha1.CustomerInputCIDRs {
		c.add(field.NotSupported(path.Child("customerInput"), string(ci), customerValues))
	}
	c.text(path.Child("notes"), g.Notes, maxTextLength)

	customerInput := g.CustomerInput != "" && g.CustomerInput != v1alpha1.CustomerInputNone
	if g.Direction == v1alpha1.DirectionEgress && len(g.Ports) == 0 {
		c.rule(path, omit, MsgEgressGroupNoPorts)
	}
	if g.Direction == v1alpha1.DirectionIngress && len(g.Ports) > 0 {
		c.rule(path, omit, MsgIngressGroupPorts)
	}
	if !customerInput && len(g.Addresses) == 0 && len(g.Hostnames) == 0 {
		c.rule(path, omit, MsgGroupNoAddresses)
	}
	if g.CustomerCIDRs != nil && g.CustomerInput != v1alpha1.CustomerInputCIDRs {
		c.rule(path, omit, MsgCustomerCIDRsInput)
	}
}
