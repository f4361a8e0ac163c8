package validation

import (
	"net/netip"
	"strings"
	"testing"

	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The seed corpora are in testdata/fuzz/FuzzCIDR and testdata/fuzz/FuzzHostname; the
// envtest test in api/v1alpha1 also sends every seed to a real API server and requires
// it to agree with this package.

// FuzzCIDR checks CIDR against an independent statement of the rule: s is accepted
// exactly when net/netip parses it and prints it back unchanged (canonical), with no
// host bits, no IPv4-mapped IPv6 and a prefix length above 0.
func FuzzCIDR(f *testing.F) {
	path := field.NewPath("spec", "custom").Index(0).Child("cidrs").Index(0)
	f.Fuzz(func(t *testing.T, s string) {
		err := CIDR(path, s)
		p, perr := netip.ParsePrefix(s)
		want := perr == nil && p.String() == s && p.Masked() == p && !p.Addr().Is4In6() && p.Bits() > 0 && len(s) <= maxCIDRLength
		if want != (err == nil) {
			t.Fatalf("CIDR(%q) = %v, want accepted=%v", s, err, want)
		}
		if err == nil {
			if p.Addr().Zone() != "" || strings.ContainsAny(s, "% ") {
				t.Fatalf("CIDR(%q) accepted a zone or a space", s)
			}
			return
		}
		if err.Field != path.String() || err.Detail == "" {
			t.Fatalf("CIDR(%q) = %#v: want an error on %s with a message", s, err, path)
		}
	})
}

// FuzzHostname checks Hostname against apimachinery's RFC 1123 subdomain check plus
// the extra rules: labels of at most 63 characters, no IP addresses.
func FuzzHostname(f *testing.F) {
	path := field.NewPath("spec", "custom").Index(0).Child("hostnames").Index(0)
	f.Fuzz(func(t *testing.T, s string) {
		err := Hostname(path, s)
		want := len(utilvalidation.IsDNS1123Subdomain(s)) == 0 && !isIP(s)
		for _, label := range strings.Split(s, ".") {
			want = want && len(label) <= 63
		}
		if want != (err == nil) {
			t.Fatalf("Hostname(%q) = %v, want accepted=%v", s, err, want)
		}
		if err == nil {
			if s != strings.ToLower(s) || strings.ContainsAny(s, "*_ ") || strings.HasSuffix(s, ".") || len(s) > 253 {
				t.Fatalf("Hostname(%q) accepted a name that is not a lower-case RFC 1123 name", s)
			}
			return
		}
		if err.Field != path.String() || err.Detail == "" {
			t.Fatalf("Hostname(%q) = %#v: want an error on %s with a message", s, err, path)
		}
	})
}
