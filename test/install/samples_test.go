/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package install

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds/follow"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/renderflags"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/tenancy"
)

// documentationRanges are the networks set aside for examples (RFC 5737, RFC 3849).
// The guard takes them as reserved, so samples name public networks instead.
var documentationRanges = []string{"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"}

// A sample is one VendorAllowlist of config/samples.
type sample struct {
	file string
	obj  *unstructured.Unstructured
	al   v1alpha1.VendorAllowlist
}

func (s sample) String() string { return rel(s.file) + " " + s.al.Name }

func samples(t *testing.T) []sample {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(configDir, "samples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []sample
	for _, f := range files {
		for _, o := range parseFile(t, f) {
			if o.GetKind() != "VendorAllowlist" {
				continue
			}
			s := sample{file: f, obj: o}
			convert(t, o, &s.al)
			out = append(out, s)
		}
	}
	if len(out) < 5 {
		t.Fatalf("%d VendorAllowlists in config/samples, want 5 or more", len(out))
	}
	return out
}

// namesDocumentationRange reports whether the allowlist writes a network that
// overlaps a documentation range.
func namesDocumentationRange(al *v1alpha1.VendorAllowlist) bool {
	var cidrs []v1alpha1.CIDR
	for _, c := range al.Spec.Custom {
		cidrs = append(cidrs, c.CIDRs...)
	}
	for _, v := range al.Spec.Vendors {
		cidrs = append(cidrs, v.CIDRs...)
	}
	for _, c := range cidrs {
		p := netip.MustParsePrefix(string(c))
		for _, d := range documentationRanges {
			if netip.MustParsePrefix(d).Overlaps(p) {
				return true
			}
		}
	}
	return false
}

// TestSamplesAdmittedAtDefaults: the samples and the admission policy stay in step.
// Each VendorAllowlist of config/samples, written by a tenant with the edit and the
// custom roles through the chart's admission policy at the default values (a
// server-side dry run of `kubectl apply`), is admitted (the OutSystems VPN's private
// /16 among them, and custom.yaml's public networks), and the manager's renderer, at
// the same limits and with no --guard-allow-cidr, leaves out nothing of it: a sample
// applied to a real cluster opens what it says, not only DNS.
func TestSamplesAdmittedAtDefaults(t *testing.T) {
	controlPlane(t)
	inst := chartTenancy(t)
	installTenancy(t, inst)
	sam := newTenant(t, inst, "tenant-sam", "tenancy-samples")
	bind(t, sam.namespace, "tenant-sam-custom", inst.rolePrefix+"vendorallowlist-custom", sam.user)
	eventually(t, "spec.custom admitted with the custom role", func() string { return sam.create(t, "probe", customCIDRs("52.1.37.96/32")) })

	apply := func(s sample) string {
		js, err := s.obj.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		file := writeFile(t, t.TempDir(), "sample.json", js)
		if out, err := kubectl(t, "apply", "--dry-run=server", "--as", sam.user, "-n", sam.namespace, "-f", file); err != nil {
			return fmt.Sprintf("%v\n%s", err, out)
		}
		return ""
	}
	var cluster []netip.Prefix
	for _, c := range testClusterCIDRs {
		cluster = append(cluster, netip.MustParsePrefix(c))
	}
	leftOut := func(s sample) []string {
		limits := tenancy.Defaults()
		al := s.al.DeepCopy()
		al.Namespace = sam.namespace
		plan, err := render.Compile(al, catalog.Builtin(), render.Options{Limits: &limits, Guard: guard.Guard{Cluster: cluster}})
		if err != nil {
			t.Fatalf("%s: the renderer refuses it: %v", s, err)
		}
		var out []string
		for _, e := range plan.Refused() {
			out = append(out, e.Error())
		}
		return out
	}

	all := samples(t)
	for _, s := range all {
		if namesDocumentationRange(&s.al) {
			t.Errorf("%s names a documentation range, which the guard refuses on a default install: name public example networks", s)
		}
		if got := apply(s); got != "" {
			t.Errorf("%s: refused at the default values: %s", s, got)
		}
		if rendered := leftOut(s); len(rendered) > 0 {
			t.Errorf("%s: the renderer leaves out %q at the default settings", s, rendered)
		}
	}
	if !slices.ContainsFunc(all, func(s sample) bool {
		return s.al.Name == "outsystems-vpn" && len(s.al.Spec.Vendors) == 1 && slices.Contains(s.al.Spec.Vendors[0].Endpoints, "vpn")
	}) {
		t.Error("no sample outsystems-vpn with the OutSystems vpn group: the VPN's private /16 is not checked")
	}
	if !slices.ContainsFunc(all, func(s sample) bool { return len(s.al.Spec.Custom) > 0 && len(s.al.Spec.Custom[0].CIDRs) > 0 }) {
		t.Error("no sample with networks in spec.custom: the tenant limits on them are not checked")
	}
}

// needsInputMarker is the line a sample's own comment carries when the sample cannot
// render what it is for until the user edits it (hostnames of their own under
// example.com, say): `# needs-input: WHAT TO EDIT`. Such a sample renders, as it
// stands, a policy that would deny all, or a target left unwritten, and the plugin's
// --strict refuses it; every other sample renders in full.
var needsInputMarker = regexp.MustCompile(`(?m)^# needs-input: (\S.*)$`)

// sampleDocument is one VendorAllowlist of a samples file, with its text.
type sampleDocument struct {
	file, text string
	al         v1alpha1.VendorAllowlist
}

// sampleDocuments reads every VendorAllowlist of config/samples and
// config/samples/ingress-targets with the text of its own YAML document.
func sampleDocuments(t *testing.T) []sampleDocument {
	t.Helper()
	var files []string
	for _, dir := range []string{"samples", filepath.Join("samples", "ingress-targets"), filepath.Join("samples", "feeds")} {
		f, err := filepath.Glob(filepath.Join(configDir, dir, "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f...)
	}
	var out []sampleDocument
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range regexp.MustCompile(`(?m)^---[ \t]*$`).Split(string(data), -1) {
			var meta struct{ Kind string }
			if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
				t.Fatalf("%s: %v", rel(f), err)
			}
			if meta.Kind != "VendorAllowlist" {
				continue
			}
			d := sampleDocument{file: f, text: doc}
			if err := yaml.UnmarshalStrict([]byte(doc), &d.al); err != nil {
				t.Fatalf("%s: %v", rel(f), err)
			}
			out = append(out, d)
		}
	}
	if len(out) < 10 {
		t.Fatalf("%d VendorAllowlists in config/samples and its ingress-targets, want 10 or more", len(out))
	}
	return out
}

// savedFeedDocuments are the saved copies (internal/feeds/testdata) of the feed
// documents the samples' feed-backed groups read, by URL.
var savedFeedDocuments = map[string]string{
	"https://api.github.com/meta":                    "github-meta.json",
	"https://stripe.com/files/ips/ips_webhooks.json": "stripe-webhooks.json",
}

// savedFeeds is the built-in catalog with the feed-backed groups al selects filled as
// the manager fills them once the feed is enabled, from the saved documents.
func savedFeeds(t *testing.T, name string, al *v1alpha1.VendorAllowlist, s renderflags.Settings) (*catalog.Catalog, []follow.Pending) {
	t.Helper()
	cat := catalog.Builtin()
	docs := map[string][]byte{}
	for _, g := range follow.Selected(cat, al.Spec.Vendors) {
		file, ok := savedFeedDocuments[g.URL]
		if g.Err != nil || !ok {
			t.Fatalf("%s: group %s of vendor %s reads %q (%v), which has no saved copy: add one to internal/feeds/testdata and to savedFeedDocuments", name, g.Group, g.Vendor, g.URL, g.Err)
		}
		body, err := os.ReadFile(filepath.Join(repoRoot, "internal", "feeds", "testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		docs[g.URL] = body
	}
	if len(docs) == 0 {
		return cat, nil
	}
	return follow.FromDocuments(t.Context(), cat, al.Spec.Vendors, docs, s.Guard()).Fill(cat, al.Spec.Vendors)
}

// TestSamplesRenderWhatTheySay: every sample, rendered at the manager's default
// settings with what vendors publish (no DNS; a feed-backed group with a saved copy
// of its feed's document, as the manager fills it once the feed is enabled), opens
// what it is for: no direction
// without an address (a policy that would deny all), no hostname without one, no
// ingress target left unwritten, and nothing left out by the tenant limits. A
// sample whose comment says `# needs-input:` is the exception, and must be one: its
// comment is true, and the plugin's --strict fails on it. A sample that names
// documentation ranges is rendered with them allowed, as its comment tells an admin
// to do (the admission test checks that they are refused otherwise).
func TestSamplesRenderWhatTheySay(t *testing.T) {
	fs := flag.NewFlagSet("defaults", flag.ContinueOnError)
	settings, problems := renderflags.Bind(fs)()
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	var documentation []netip.Prefix
	for _, d := range documentationRanges {
		documentation = append(documentation, netip.MustParsePrefix(d))
	}
	var marked int
	for _, d := range sampleDocuments(t) {
		name := rel(d.file) + " " + d.al.Name
		s := settings
		if namesDocumentationRange(&d.al) {
			s.GuardAllow = documentation
		}
		al := d.al.DeepCopy()
		al.Namespace = "samples"
		cat, pending := savedFeeds(t, name, al, s)
		if len(pending) > 0 {
			t.Errorf("%s: its feed-backed groups are not filled from the saved documents: %s", name, follow.PendingMessage(pending))
			continue
		}
		plan, err := render.Compile(al, cat, s.Options())
		if err != nil {
			t.Errorf("%s: does not render at the default settings: %v", name, err)
			continue
		}
		res := plan.Build(render.Resolved{})
		var hazards []string
		for _, e := range plan.Refused() {
			hazards = append(hazards, "left out by the tenant limits: "+e.Error())
		}
		for _, dir := range res.Empty {
			if dir == v1alpha1.DirectionIngress && !al.Spec.IngressNetworkPolicyEnabled() {
				continue // the targets below say it
			}
			hazards = append(hazards, fmt.Sprintf("the %s policy has no rule: it would deny all", dir))
		}
		for _, h := range res.Hostnames {
			if len(h.Addresses) == 0 {
				hazards = append(hazards, "hostname "+h.Name+" has no address")
			}
		}
		for _, tg := range res.Targets {
			if tg.Addresses == 0 {
				hazards = append(hazards, "ingress target "+tg.Path().String()+" has no address: not written")
			}
		}
		m := needsInputMarker.FindStringSubmatch(d.text)
		switch {
		case m == nil && len(hazards) > 0:
			t.Errorf("%s: %s; make it render in full, or say so in its comment with a line `# needs-input: WHAT TO EDIT`", name, strings.Join(hazards, "; "))
		case m != nil && len(hazards) == 0:
			t.Errorf("%s: its comment says needs-input (%s), but it renders in full: drop the line", name, m[1])
		case m != nil:
			marked++
			t.Logf("%s: needs input (%s): %s", name, m[1], strings.Join(hazards, "; "))
		}
	}
	if marked == 0 {
		t.Error("no sample says needs-input: the OutSystems front-ends sample (example.com hostnames) should")
	}
}
