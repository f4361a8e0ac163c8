package catalog

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// The limits and patterns of the Vendor CRD (api/v1alpha1 markers).
const (
	maxDisplayName    = 128
	maxDocument       = 256
	maxURL            = 2048
	maxEndpoints      = 32
	maxGroupText      = 2048 // description, notes
	maxNote           = 1024 // address, hostname and deprecation notes
	maxPorts          = 32
	maxAddresses      = 512
	maxHostnames      = 64
	maxHostAddresses  = 64
	maxHostnameLength = 253
	maxRegionLength   = 32
)

var (
	datePattern     = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	regionPattern   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*$`)
	hostnamePattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?([.][a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$`)
)

// Validate checks v against the validation rules of the Vendor CRD and returns what
// is wrong, with field paths such as spec.endpoints[0].addresses[2].cidr. It does not
// look at apiVersion and kind, which Load checks.
//
// CIDRs are held to a stricter standard than the CRD's isCIDR: they must also be
// written the way net/netip writes them (2001:db8::/32, not 2001:DB8:0::/32), so that
// equal networks are equal strings.
func Validate(v *v1alpha1.Vendor) field.ErrorList {
	var errs field.ErrorList

	meta := field.NewPath("metadata")
	if v.Name == "" {
		errs = append(errs, field.Required(meta.Child("name"), "a vendor needs a name"))
	} else {
		for _, msg := range validation.IsDNS1123Label(v.Name) {
			errs = append(errs, field.Invalid(meta.Child("name"), v.Name, msg))
		}
	}
	if v.Namespace != "" {
		errs = append(errs, field.Forbidden(meta.Child("namespace"), "Vendor is cluster-scoped"))
	}

	spec := field.NewPath("spec")
	errs = append(errs, maxChars(spec.Child("displayName"), v.Spec.DisplayName, maxDisplayName)...)
	if s := v.Spec.Source; s != nil {
		p := spec.Child("source")
		if s.Document == "" {
			errs = append(errs, field.Required(p.Child("document"), "the title of the vendor's document"))
		}
		errs = append(errs, maxChars(p.Child("document"), s.Document, maxDocument)...)
		errs = append(errs, maxChars(p.Child("url"), s.URL, maxURL)...)
		errs = append(errs, validateDate(p.Child("transcribed"), s.Transcribed)...)
	}

	p := spec.Child("endpoints")
	switch {
	case len(v.Spec.Endpoints) == 0:
		errs = append(errs, field.Required(p, "a vendor needs at least one endpoint group"))
	case len(v.Spec.Endpoints) > maxEndpoints:
		errs = append(errs, field.TooMany(p, len(v.Spec.Endpoints), maxEndpoints))
	}
	groups := sets.New[v1alpha1.ObjectName]()
	for i := range v.Spec.Endpoints {
		g := &v.Spec.Endpoints[i]
		gp := p.Index(i)
		if groups.Has(g.Name) {
			errs = append(errs, field.Duplicate(gp.Child("name"), g.Name))
		}
		groups.Insert(g.Name)
		errs = append(errs, validateGroup(gp, g)...)
	}
	return errs
}

func validateGroup(p *field.Path, g *v1alpha1.EndpointGroup) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateObjectName(p.Child("name"), string(g.Name))...)

	switch g.Direction {
	case v1alpha1.DirectionIngress:
		if len(g.Ports) > 0 {
			errs = append(errs, field.Forbidden(p.Child("ports"), "an Ingress endpoint group takes no ports: each allowlist names the pod ports that receive the traffic"))
		}
	case v1alpha1.DirectionEgress:
		if len(g.Ports) == 0 {
			errs = append(errs, field.Required(p.Child("ports"), "an Egress endpoint group must list the ports the pods connect to"))
		}
	case "":
		errs = append(errs, field.Required(p.Child("direction"), "Ingress or Egress"))
	default:
		errs = append(errs, field.NotSupported(p.Child("direction"), g.Direction, []v1alpha1.Direction{v1alpha1.DirectionIngress, v1alpha1.DirectionEgress}))
	}
	errs = append(errs, maxChars(p.Child("description"), g.Description, maxGroupText)...)
	errs = append(errs, maxChars(p.Child("notes"), g.Notes, maxGroupText)...)

	if len(g.Ports) > maxPorts {
		errs = append(errs, field.TooMany(p.Child("ports"), len(g.Ports), maxPorts))
	}
	for i := range g.Ports {
		errs = append(errs, validatePort(p.Child("ports").Index(i), &g.Ports[i])...)
	}

	switch g.CustomerInput {
	case "", v1alpha1.CustomerInputNone, v1alpha1.CustomerInputHostnames, v1alpha1.CustomerInputCIDRs:
	default:
		errs = append(errs, field.NotSupported(p.Child("customerInput"), g.CustomerInput,
			[]v1alpha1.CustomerInput{v1alpha1.CustomerInputNone, v1alpha1.CustomerInputHostnames, v1alpha1.CustomerInputCIDRs}))
	}
	if len(g.Addresses) == 0 && len(g.Hostnames) == 0 && (g.CustomerInput == "" || g.CustomerInput == v1alpha1.CustomerInputNone) {
		errs = append(errs, field.Required(p, "an endpoint group needs addresses, hostnames, or customerInput"))
	}

	ap := p.Child("addresses")
	if len(g.Addresses) > maxAddresses {
		errs = append(errs, field.TooMany(ap, len(g.Addresses), maxAddresses))
	}
	for i := range g.Addresses {
		a := &g.Addresses[i]
		p := ap.Index(i)
		errs = append(errs, validateCIDR(p.Child("cidr"), string(a.CIDR))...)
		errs = append(errs, validateRegion(p.Child("region"), a.Region)...)
		errs = append(errs, maxChars(p.Child("note"), a.Note, maxNote)...)
		if d := a.Deprecated; d != nil {
			errs = append(errs, validateDate(p.Child("deprecated", "since"), d.Since)...)
			errs = append(errs, maxChars(p.Child("deprecated", "note"), d.Note, maxNote)...)
		}
	}

	hp := p.Child("hostnames")
	if len(g.Hostnames) > maxHostnames {
		errs = append(errs, field.TooMany(hp, len(g.Hostnames), maxHostnames))
	}
	hostnames := sets.New[v1alpha1.Hostname]()
	for i := range g.Hostnames {
		h := &g.Hostnames[i]
		p := hp.Index(i)
		if hostnames.Has(h.Name) {
			errs = append(errs, field.Duplicate(p.Child("name"), h.Name))
		}
		hostnames.Insert(h.Name)
		errs = append(errs, validateHostname(p.Child("name"), string(h.Name))...)
		errs = append(errs, validateRegion(p.Child("region"), h.Region)...)
		errs = append(errs, maxChars(p.Child("note"), h.Note, maxNote)...)
		if len(h.Addresses) > maxHostAddresses {
			errs = append(errs, field.TooMany(p.Child("addresses"), len(h.Addresses), maxHostAddresses))
		}
		for j, c := range h.Addresses {
			errs = append(errs, validateCIDR(p.Child("addresses").Index(j), string(c))...)
		}
	}
	return errs
}

func validatePort(p *field.Path, port *v1alpha1.Port) field.ErrorList {
	var errs field.ErrorList
	switch port.Protocol {
	case "", v1alpha1.ProtocolTCP, v1alpha1.ProtocolUDP, v1alpha1.ProtocolSCTP:
	default:
		errs = append(errs, field.NotSupported(p.Child("protocol"), port.Protocol,
			[]v1alpha1.Protocol{v1alpha1.ProtocolTCP, v1alpha1.ProtocolUDP, v1alpha1.ProtocolSCTP}))
	}
	if port.Port < 1 || port.Port > 65535 {
		errs = append(errs, field.Invalid(p.Child("port"), port.Port, "must be between 1 and 65535"))
	}
	if e := port.EndPort; e != nil {
		switch {
		case *e < 1 || *e > 65535:
			errs = append(errs, field.Invalid(p.Child("endPort"), *e, "must be between 1 and 65535"))
		case *e < port.Port:
			errs = append(errs, field.Invalid(p.Child("endPort"), *e, "endPort must be greater than or equal to port"))
		}
	}
	return errs
}

// validateCIDR checks that s is a network in canonical CIDR notation: what
// netip.ParsePrefix accepts, with no host bits, no zone, no IPv4-mapped IPv6, not the
// whole address space, and written as netip writes it.
func validateCIDR(p *field.Path, s string) field.ErrorList {
	if s == "" {
		return field.ErrorList{field.Required(p, "a CIDR such as 52.1.37.96/32 or 2001:db8::/48")}
	}
	if msg := cidrProblem(s); msg != "" {
		return field.ErrorList{field.Invalid(p, s, msg)}
	}
	return nil
}

func cidrProblem(s string) string {
	if strings.Contains(s, "%") {
		return "must not have an IPv6 zone"
	}
	prefix, err := netip.ParsePrefix(s)
	if err != nil {
		if !strings.Contains(s, "/") {
			if a, err := netip.ParseAddr(s); err == nil {
				return fmt.Sprintf("a single address needs a prefix length; write %s", netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			}
		}
		return "must be a CIDR such as 52.1.37.96/32 or 2001:db8::/48 (no leading zeros, no zone, no IPv4-mapped IPv6; a single address needs /32 or /128): " + parseReason(err)
	}
	addr := prefix.Addr()
	if addr.Is4In6() {
		if prefix.Bits() > 96 {
			return fmt.Sprintf("is an IPv4-mapped IPv6 network; write %s", netip.PrefixFrom(addr.Unmap(), prefix.Bits()-96).Masked())
		}
		return "is an IPv4-mapped IPv6 network; write the IPv4 network"
	}
	if prefix.Bits() == 0 {
		return "0.0.0.0/0 and ::/0 would open every address; list the vendor's networks instead"
	}
	if masked := prefix.Masked(); masked != prefix {
		return fmt.Sprintf("host bits set; write %s", masked)
	}
	if canonical := prefix.String(); canonical != s {
		return fmt.Sprintf("not in canonical form; write %s", canonical)
	}
	return ""
}

// parseReason is the innermost part of a net/netip parse error, which repeats the
// input at every level.
func parseReason(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "): "); i >= 0 {
		return msg[i+3:]
	}
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

// validateHostname checks that s is a lower-case RFC 1123 hostname without a wildcard
// or a trailing dot.
func validateHostname(p *field.Path, s string) field.ErrorList {
	var msg string
	switch {
	case s == "":
		return field.ErrorList{field.Required(p, "a hostname such as sg1.workato.com")}
	case strings.HasPrefix(s, "*"):
		msg = "wildcard hostnames are not supported; list each hostname, for example sg1.workato.com"
	case len(s) > maxHostnameLength:
		return field.ErrorList{field.TooLongCharacters(p, s, maxHostnameLength)}
	case hostnamePattern.MatchString(s):
		return nil
	case strings.HasSuffix(s, ".") && hostnamePattern.MatchString(strings.TrimSuffix(s, ".")):
		msg = fmt.Sprintf("must not end with a dot; write %s", strings.TrimSuffix(s, "."))
	case s != strings.ToLower(s) && hostnamePattern.MatchString(strings.ToLower(s)):
		msg = fmt.Sprintf("must be lower case; write %s", strings.ToLower(s))
	default:
		msg = "must be a lower-case RFC 1123 hostname such as sg1.workato.com: letters, digits, '-' and '.', each label at most 63 characters, no trailing dot"
		for label := range strings.SplitSeq(s, ".") {
			if len(label) > 63 {
				msg = fmt.Sprintf("label %q is longer than 63 characters; %s", label, msg)
				break
			}
		}
	}
	return field.ErrorList{field.Invalid(p, s, msg)}
}

func validateObjectName(p *field.Path, s string) field.ErrorList {
	if s == "" {
		return field.ErrorList{field.Required(p, "a DNS label such as opa-gateways")}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(s) {
		errs = append(errs, field.Invalid(p, s, msg))
	}
	return errs
}

func validateRegion(p *field.Path, r v1alpha1.Region) field.ErrorList {
	switch {
	case r == "":
		return nil
	case len(r) > maxRegionLength:
		return field.ErrorList{field.TooLongCharacters(p, r, maxRegionLength)}
	case !regionPattern.MatchString(string(r)):
		return field.ErrorList{field.Invalid(p, r, "must be a region code such as US or eu-west: letters, digits and '-'")}
	}
	return nil
}

func validateDate(p *field.Path, s string) field.ErrorList {
	if s == "" {
		return field.ErrorList{field.Required(p, "a date such as 2026-11-23")}
	}
	if !datePattern.MatchString(s) {
		return field.ErrorList{field.Invalid(p, s, "must be a date such as 2026-11-23 (YYYY-MM-DD)")}
	}
	return nil
}

// maxChars checks a length limit of the CRD, which counts characters, not bytes.
func maxChars(p *field.Path, s string, limit int) field.ErrorList {
	if n := utf8.RuneCountInString(s); n > limit {
		return field.ErrorList{field.TooLongCharacters(p, s, limit)}
	}
	return nil
}

// vendorErrors returns a vendor's validation errors, each naming the vendor:
// Vendor "acme": spec.endpoints[0].name: Required value: ...
func vendorErrors(name string, errs field.ErrorList) []error {
	out := make([]error, 0, len(errs))
	for _, e := range errs {
		out = append(out, fmt.Errorf("Vendor %q: %w", name, e))
	}
	return out
}
