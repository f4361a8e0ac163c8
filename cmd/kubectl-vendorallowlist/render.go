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
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsyaml "sigs.k8s.io/yaml"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/addresses"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/renderflags"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/resolver"
)

// dnsDeadline bounds all the DNS lookups of one render.
const dnsDeadline = time.Minute

// maxParallelLookups bounds the hostnames looked up at once.
const maxParallelLookups = 8

func renderUsage(w io.Writer) {
	fmt.Fprintf(w, `Print the NetworkPolicies that the vendor-allowlist-operator renders for the
VendorAllowlists in FILE, as a YAML stream (to apply it, see the examples below).

An allowlist with spec.ingressTargets also gets what each target renders, after its
policies, each with a comment saying what it is: a SecurityPolicy, AuthorizationPolicy
or Middleware the operator owns, or, for a Service or an Ingress, the server-side apply
patch of the one field the operator sets of it (apply that with
'kubectl apply --server-side', never as a whole object).

Each allowlist is checked as the API server checks it (the plugin carries the CRDs
and runs the server's validation code on them) and as the operator checks it against
the catalog; every problem of every file is reported on stderr, naming the file, the
object and the field, and nothing is printed unless all allowlists are good. Unknown
fields are errors, and an allowlist needs metadata.name, which its policies are named
after.

Vendor hostnames are resolved through DNS, and their addresses rendered together with
the addresses the vendor publishes, the way the manager renders them: answers the
guard forbids (loopback, link-local, the cluster's ranges, anything not globally
reachable) are never rendered, private ones only for entries with
privateAddresses: Allow, at most --dns-max-addresses per hostname, and a name that
does not exist (NXDOMAIN) renders only what the vendor publishes for it; each with a
note. A DNS failure (a timeout, SERVFAIL) is an error: the output would lack what the
manager, which keeps the last answer, still renders.

Usage:
  %[1]s render -f FILE [-f FILE ...] [flags]

Flags:
  -f, --filename FILE      File of VendorAllowlists to render; repeatable. '-' reads
                           standard input; a directory means its .yaml, .yml and .json
                           files. The file may also hold Vendor objects, which are
                           added to the catalog; other kinds are skipped with a note.
      --vendors FILE       File of Vendor objects to lay over the built-in catalog; a
                           Vendor named like a built-in vendor replaces it. Repeatable.
                           A vendor may be defined only once across all files.
      --offline            Render only the addresses vendors publish; send no DNS query
                           and fetch no feed (give feeds with --feed-file).
                           Rules whose hostnames have no published address are left
                           out (a note on stderr says which).
      --feed-file URL=PATH Render the feed-backed groups that read URL (kubectl
                           vendorallowlist feeds lists the presets' URLs) as if URL
                           had returned the file at PATH, for review offline and in
                           CI; repeatable. Without it, render fetches the URL as the
                           manager does (verified HTTPS, from no address the guard
                           forbids, nothing kept); with --offline it fails, naming
                           the URL. Either way, every network passes the guard.
      --feed-ca-bundle FILE
                           PEM certificates to trust, besides the system's, when
                           fetching feeds (the manager's --feed-ca-bundle).
      --dns-server ADDR    DNS server to resolve hostnames with: an IP address with an
                           optional port (53), as the manager's --dns-server and the
                           chart's dns.servers take it; repeatable, tried in order.
                           Default: the nameservers of /etc/resolv.conf.
      --dns-timeout DUR    Timeout of one DNS query (default 2s).
      --handover           Hand the printed policies (and the objects the operator
                           owns of ingress targets) over to the operator: each gets
                           the annotation %[2]s=ALLOWLIST, and the
                           operator adopts it (rewrites it as the allowlist renders
                           it, and owns it) once the allowlist exists. Without it,
                           what you apply stays yours: an allowlist of the same name
                           reports a conflict and leaves it as it is.
      --strict             Fail (exit 1, nothing printed) when a policy would deny all
                           traffic in its direction because no vendor address is known,
                           when a hostname has no address, or when an ingress target is
                           not rendered for want of one. Without it, each is a WARNING
                           on stderr and the policies are printed all the same.
      --policies-only      Print the NetworkPolicies (and the egress backend's objects,
                           which complete them) alone, not what the ingress targets
                           render: the output then takes one field manager.
      --egress-backend NAME
                           What enforces the egress hostnames, as the manager's flag
                           of that name: networkpolicy (the default here: their
                           resolved addresses, in the NetworkPolicy), cilium,
                           clusternetworkpolicy, gke or ovn (the names themselves,
                           in the backend's object, printed after the policies;
                           docs/fqdn.md). auto, the manager's default, picks from
                           the CRDs the cluster serves; the plugin sees no cluster,
                           so it renders networkpolicy, with a note. A wildcard
                           hostname (*.example.com) renders only with a backend
                           that enforces names. For ovn, the one EgressFirewall of
                           each namespace is merged from the allowlists given.

The admin's settings, with the same names, meanings and defaults as the manager's
flags: give the plugin the flags the manager runs with, and it renders what the
manager would apply (kubectl -n vendor-allowlist-system get deploy -o yaml shows them):
      --cluster-cidr CIDR  The cluster's pod or service range; repeatable, or
                           comma-separated as in the chart's ConfigMap.
      --guard-allow-cidr CIDR
                           A range the guard treats as public (a documentation
                           range in a lab, say); repeatable, or comma-separated.
      --tenant-min-prefix-length-ipv4 N, --tenant-min-prefix-length-ipv6 N
      --tenant-max-space-prefix-ipv4 N, --tenant-max-space-prefix-ipv6 N
      --tenant-allow-ranges LIST, --tenant-allow-cluster-dns, --tenant-allow-wildcards
      --max-hostnames-per-allowlist N
                           What an allowlist may open by itself (docs/security.md);
                           what goes beyond is left out, with a warning.
      --cluster-dns-namespace NS, --cluster-dns-selector SELECTOR
                           Where the cluster DNS runs (kube-system, k8s-app=kube-dns).
      --dns-max-addresses N
                           Most addresses kept per hostname (256).
  -n, --namespace NS       Namespace of allowlists that do not name one (default
                           "default").
  -h, --help               Show this help.

Examples:
  # Check a file and print its policies:
  %[1]s render -f allowlist.yaml

  # In CI: fail when an allowlist would deny all traffic or a hostname has no address:
  %[1]s render --strict -f allowlist.yaml > /dev/null

  # Apply the policies the operator would apply, as the operator applies them (it
  # then adopts them), resolving through a chosen server:
  %[1]s render --strict --policies-only -f allowlist.yaml --dns-server 10.96.0.10 |
    kubectl apply --server-side --field-manager=vendor-allowlist-operator -f -

  # What an ingress target renders into a Service or an Ingress is a patch of one
  # field, with a field manager of its own (the comment above it names it): apply
  # each one alone, for example
  #   kubectl apply --server-side --field-manager=vendor-allowlist-operator/ingress-targets/ALLOWLIST -f patch.yaml

  # Review, apply, then let the operator take the policies over once the
  # allowlist is applied:
  %[1]s render -f allowlist.yaml --handover --policies-only > policies.yaml
  kubectl apply --server-side --field-manager=vendor-allowlist-operator -f policies.yaml
  kubectl apply --server-side --field-manager=kubectl -f allowlist.yaml

  # Render an allowlist of GitHub's webhooks from a saved copy of GitHub's list:
  %[1]s render --offline -f ci.yaml \
    --feed-file https://api.github.com/meta=meta.json

  # See the CiliumNetworkPolicy that enforces Workato's gateways by name:
  %[1]s render --egress-backend=cilium -f workato.yaml

  # Render from the catalog alone, with a Vendor of your own, from standard input:
  cat allowlist.yaml | %[1]s render --offline --vendors acme-vendor.yaml -f -

Exit status: 0 when every allowlist rendered, 1 on a problem with the input or DNS
(and, with --strict, on a policy that denies all or a hostname without an address),
2 on a usage error.
`, commandName, v1alpha1.AdoptAnnotation)
}

type renderOptions struct {
	files, vendorFiles []string
	offline, handover  bool
	dnsServers         []string
	dnsTimeout         time.Duration
	namespace          string
	settings           renderflags.Settings
	// strict turns hazards (a deny-all policy, a hostname without an address, a
	// target left unrendered) into errors.
	strict       bool
	policiesOnly bool
	feeds        feedFlags // renderfeeds.go
	// egressBackend enforces the egress hostnames: never auto, which has no
	// cluster to look at here.
	egressBackend render.EgressBackend
}

func runRender(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("render")
	var files, vendorFiles, servers stringList
	fs.Var(&files, "f", "")
	fs.Var(&files, "filename", "")
	fs.Var(&vendorFiles, "vendors", "")
	offline := fs.Bool("offline", false, "")
	handover := fs.Bool("handover", false, "")
	strict := fs.Bool("strict", false, "")
	policiesOnly := fs.Bool("policies-only", false, "")
	egressBackend := fs.String("egress-backend", string(render.BackendNetworkPolicy), "")
	fs.Var(&servers, "dns-server", "")
	rendering := renderflags.Bind(fs)
	timeout := fs.Duration("dns-timeout", resolver.DefaultTimeout, "")
	var namespace string
	fs.StringVar(&namespace, "namespace", "default", "")
	fs.StringVar(&namespace, "n", "default", "")
	var feedOpts feedFlags
	feedOpts.bind(fs)
	rest, code, done := parseFlags(fs, args, stdout, stderr)
	if done {
		return code
	}
	switch {
	case len(rest) > 0:
		return usageError(stderr, renderUsage, "unexpected argument %q: name files with -f FILE", rest[0])
	case feedOpts.check(*offline) != "":
		return usageError(stderr, renderUsage, "%s", feedOpts.check(*offline))
	case len(files) == 0:
		return usageError(stderr, renderUsage, "-f FILE is required: the file of VendorAllowlists to render ('-f -' reads standard input)")
	case *offline && len(servers) > 0:
		return usageError(stderr, renderUsage, "--offline sends no DNS query, so it takes no --dns-server: choose one")
	case *timeout <= 0:
		return usageError(stderr, renderUsage, "--dns-timeout must be positive, for example 2s")
	}
	if n := countStdin(files) + countStdin(vendorFiles); n > 1 {
		return usageError(stderr, renderUsage, "'-' (standard input) is given %d times: standard input can be read only once", n)
	}
	if msgs := validation.IsDNS1123Label(namespace); len(msgs) > 0 {
		return usageError(stderr, renderUsage, "--namespace %q is not a namespace name: %s", namespace, strings.Join(msgs, "; "))
	}
	settings, problems := rendering()
	backend, backendProblems := pluginBackend(*egressBackend, stderr)
	if problems = append(problems, backendProblems...); len(problems) > 0 {
		return usageError(stderr, renderUsage, "%s", strings.Join(problems, "; "))
	}
	opts := renderOptions{
		files: files, vendorFiles: vendorFiles, offline: *offline, handover: *handover,
		dnsTimeout: *timeout, namespace: namespace, settings: settings,
		strict: *strict, policiesOnly: *policiesOnly, feeds: feedOpts, egressBackend: backend,
	}
	for _, s := range servers {
		addr, err := resolver.ParseServer(s)
		if err != nil {
			return usageError(stderr, renderUsage, "--dns-server %q: %v", s, err)
		}
		opts.dnsServers = append(opts.dnsServers, addr)
	}
	return renderFiles(opts, stdin, stdout, stderr)
}

// pluginBackend reads --egress-backend, or says what is wrong with it. auto picks
// from the CRDs a cluster serves, and the plugin has none to look at: it renders
// what auto picks where none of them is served, and says so.
func pluginBackend(value string, stderr io.Writer) (render.EgressBackend, []string) {
	b, err := render.ParseEgressBackend(value)
	if err != nil {
		return "", []string{"--egress-backend: " + err.Error()}
	}
	if b == render.BackendAuto {
		fmt.Fprintln(stderr, "note: --egress-backend=auto picks from the CRDs a cluster serves, and the plugin sees no cluster: rendering networkpolicy. Name the backend the manager uses (its log and status.egress say which) to see what it renders")
		return render.BackendNetworkPolicy, nil
	}
	return b, nil
}

// compiled is an allowlist that passed every check, with its plan.
type compiled struct {
	src  sourced[v1alpha1.VendorAllowlist]
	plan *render.Plan
}

// renderFiles checks every input, resolves the hostnames, and prints the policies
// only when nothing is wrong (and, with --strict, nothing hazardous).
func renderFiles(opts renderOptions, stdin io.Reader, stdout, stderr io.Writer) int {
	plans, probs := compileInputs(opts, stdin, stderr)
	if !probs.empty() {
		probs.write(stderr, "nothing was rendered")
		return exitError
	}

	var resolved map[string]lookupResult
	if !opts.offline {
		resolved = lookupAll(newLookuper(opts.dnsServers, opts.dnsTimeout), opts.settings, plans)
	}
	outputs, hazards := buildAll(plans, resolved, opts.offline, probs, stderr)
	if !probs.empty() {
		probs.write(stderr, "nothing was rendered")
		return exitError
	}

	var b strings.Builder
	more, err := writeRendered(&b, outputs, opts)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return exitError
	}
	if !reportHazards(stderr, append(hazards, more...), opts.strict) {
		return exitError
	}
	if _, err := io.WriteString(stdout, b.String()); err != nil {
		fmt.Fprintf(stderr, "error: writing the policies: %v\n", err)
		return exitError
	}
	return exitOK
}

// compileInputs reads the Vendors and the allowlists, and compiles the allowlists
// against the catalog; probs says what is wrong with any of them, and that there is
// nothing to render when no file holds an allowlist.
func compileInputs(opts renderOptions, stdin io.Reader, stderr io.Writer) ([]compiled, *problems) {
	probs := &problems{}
	var stdinUsed bool
	var in decoded
	vendorDecoder := &decoder{vendorsOnly: true, notes: stderr, probs: probs, out: &in}
	readInputs(opts.vendorFiles, stdin, &stdinUsed, probs, vendorDecoder.decodeInput)
	fileDecoder := &decoder{namespace: opts.namespace, notes: stderr, probs: probs, out: &in}
	names := readInputs(opts.files, stdin, &stdinUsed, probs, fileDecoder.decodeInput)

	cat := buildCatalog(in.vendors, probs)
	fed := loadFeeds(opts, &in, cat, stderr, probs) // renderfeeds.go
	ropts := opts.settings.Options()
	ropts.EgressBackend = opts.egressBackend
	plans := compileAllowlists(&in, cat, fed, ropts, probs)
	if probs.empty() && len(plans) == 0 {
		probs.order++
		probs.add("", "nothing to render", fmt.Sprintf("no VendorAllowlist (apiVersion: %s, kind: %s) in %s", v1alpha1.GroupVersion, kindVendorAllowlist, strings.Join(names, ", ")))
	}
	if probs.empty() {
		fed.note(stderr, cat, plans)
	}
	return plans, probs
}

// rendered is one allowlist rendered, with where it came from.
type rendered struct {
	src    sourced[v1alpha1.VendorAllowlist]
	result render.Result
}

// buildAll renders each plan with the addresses DNS gave, and notes on stderr what
// was left out. A failed lookup is a problem of the allowlist; a hostname without an
// address is a hazard, returned.
func buildAll(plans []compiled, resolved map[string]lookupResult, offline bool, probs *problems, stderr io.Writer) ([]rendered, []string) {
	var outputs []rendered
	var hazards []string
	for _, c := range plans {
		probs.order = c.src.order
		result := c.plan.Build(knownAddresses(c, resolved, probs))
		hazards = append(hazards, noteAddresses(stderr, c, result, resolved, offline)...)
		for _, e := range c.plan.Refused() {
			fmt.Fprintf(stderr, "warning: %s: %s: left out, beyond the tenant limits: %s\n", c.src.file, c.src.ref, e.Error())
		}
		for _, st := range result.EgressRules {
			if st.Message != "" {
				fmt.Fprintf(stderr, "note: %s: %s: egress rule %s: %s\n", c.src.file, c.src.ref, st.Rule, st.Message)
			}
		}
		outputs = append(outputs, rendered{src: c.src, result: result})
	}
	return outputs, hazards
}

// knownAddresses are the addresses DNS gave for the plan's hostnames (none offline);
// a lookup that failed is a problem of the allowlist.
func knownAddresses(c compiled, resolved map[string]lookupResult, probs *problems) render.Resolved {
	known := render.Resolved{}
	for _, h := range c.plan.Hostnames() {
		res, ok := resolved[h]
		if !ok {
			continue // offline
		}
		if res.err != nil {
			probs.add(c.src.file, c.src.ref, fmt.Sprintf("hostname %s: %v: fix the name or the DNS server (--dns-server), or render the published addresses only with --offline", h, res.err))
			continue
		}
		known[h] = res.addrs
	}
	return known
}

// writeRendered writes each allowlist's policies (handed over with --handover) and,
// unless --policies-only, what its ingress targets render. It returns the hazards of
// what it wrote: policies that deny all, targets not rendered.
func writeRendered(b *strings.Builder, outputs []rendered, opts renderOptions) (_ []string, err error) {
	var hazards []string
	defer func() {
		if opts.egressBackend == render.BackendOVN && err == nil {
			err = writeEgressFirewalls(b, outputs)
		}
	}()
	for _, o := range outputs {
		if opts.handover {
			handOver(o.src.obj.Name, o.result)
		}
		hazards = append(hazards, emptyPolicies(o.src, o.result)...)
		if err := writePolicies(b, o); err != nil {
			return nil, err
		}
		if opts.egressBackend != render.BackendOVN {
			if err := writeEgressObjects(b, o.src, o.result.EgressObjects, opts.egressBackend); err != nil {
				return nil, err
			}
		}
		if opts.policiesOnly {
			continue
		}
		unrendered, err := writeTargets(b, o.src, o.result) // targets.go
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", o.src.file, o.src.ref, err)
		}
		hazards = append(hazards, unrendered...)
	}
	return hazards, nil
}

// writeEgressObjects writes what the name backend writes for one allowlist.
func writeEgressObjects(b *strings.Builder, src sourced[v1alpha1.VendorAllowlist], objects []*unstructured.Unstructured, backend render.EgressBackend) error {
	for _, obj := range objects {
		y, err := sigsyaml.Marshal(obj.Object)
		if err != nil {
			return fmt.Errorf("%s: %s: encoding %s %s: %w", src.file, src.ref, obj.GetKind(), obj.GetName(), err)
		}
		fmt.Fprintf(b, "---\n# Rendered from %s (%s): its egress hostnames by name (--egress-backend=%s)\n%s", src.ref, src.file, backend, y)
	}
	return nil
}

// writeEgressFirewalls writes OVN's one EgressFirewall per namespace, merged from
// the allowlists given: the operator merges every allowlist of the namespace.
func writeEgressFirewalls(b *strings.Builder, outputs []rendered) error {
	byNamespace := map[string][]*unstructured.Unstructured{}
	for _, o := range outputs {
		for _, obj := range o.result.EgressObjects {
			byNamespace[obj.GetNamespace()] = append(byNamespace[obj.GetNamespace()], obj)
		}
	}
	for _, ns := range slices.Sorted(maps.Keys(byNamespace)) {
		y, err := sigsyaml.Marshal(render.MergeEgressFirewalls(byNamespace[ns]).Object)
		if err != nil {
			return fmt.Errorf("encoding the EgressFirewall of namespace %s: %w", ns, err)
		}
		fmt.Fprintf(b, "---\n# The EgressFirewall of namespace %s, merged from the allowlists given here (--egress-backend=ovn): the operator merges every allowlist of the namespace\n%s", ns, y)
	}
	return nil
}

func writePolicies(b *strings.Builder, o rendered) error {
	for i := range o.result.Policies {
		np := &o.result.Policies[i]
		y, err := objectYAML(np)
		if err != nil {
			return fmt.Errorf("%s: %s: encoding NetworkPolicy %s: %w", o.src.file, o.src.ref, np.Name, err)
		}
		fmt.Fprintf(b, "---\n# Rendered from %s (%s)\n%s", o.src.ref, o.src.file, y)
	}
	return nil
}

// reportHazards says each hazard, as a WARNING or, with --strict, as an error, and
// reports whether the policies may still be printed.
func reportHazards(stderr io.Writer, hazards []string, strict bool) bool {
	if len(hazards) == 0 {
		return true
	}
	level := "WARNING"
	if strict {
		level = "error"
	}
	for _, h := range hazards {
		fmt.Fprintf(stderr, "%s: %s\n", level, h)
	}
	if strict {
		fmt.Fprintf(stderr, "error: --strict: %d of the above; nothing was rendered. Give the hostnames your own (a sample's example.com names resolve to nothing), or render without --strict to see the policies\n", len(hazards))
		return false
	}
	fmt.Fprintf(stderr, "WARNING: %d of the above: the policies printed are not what the allowlist is for; --strict makes this an error\n", len(hazards))
	return true
}

// handOver marks what the operator would create for the allowlist as handed over to
// it (v1alpha1.AdoptAnnotation): its NetworkPolicies and the objects it owns of
// ingress targets, not the fields it sets of the user's Services and Ingresses.
func handOver(allowlist string, result render.Result) {
	mark := func(annotations map[string]string) map[string]string {
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations[v1alpha1.AdoptAnnotation] = allowlist
		return annotations
	}
	for i := range result.Policies {
		result.Policies[i].Annotations = mark(result.Policies[i].Annotations)
	}
	for _, rt := range result.Targets {
		for _, o := range rt.Objects {
			if o.Owned {
				o.Object.SetAnnotations(mark(o.Object.GetAnnotations()))
			}
		}
	}
	for _, obj := range result.EgressObjects {
		obj.SetAnnotations(mark(obj.GetAnnotations()))
	}
}

// buildCatalog lays the Vendors of the input, checked when they were decoded, over
// the built-in catalog. A vendor defined twice in the input is a problem.
func buildCatalog(vendors []sourced[v1alpha1.Vendor], probs *problems) *catalog.Catalog {
	seen := map[string]sourced[v1alpha1.Vendor]{}
	var layer []v1alpha1.Vendor
	for _, v := range vendors {
		probs.order = v.order
		if first, dup := seen[v.obj.Name]; dup && v.obj.Name != "" {
			probs.add(v.file, v.ref, fmt.Sprintf("metadata.name: Duplicate value: %q: also defined in %s; define each vendor once", v.obj.Name, first.file))
			continue
		}
		seen[v.obj.Name] = v
		// A Vendor with problems (reported already) still names its groups, so that
		// the allowlists using it are not also told it does not exist.
		layer = append(layer, *v.obj)
	}
	return catalog.Builtin().WithOverrides(layer)
}

// compileAllowlists checks each allowlist against the catalog (the CRD's rules were
// checked when it was decoded), and returns the plans of the good ones.
func compileAllowlists(in *decoded, cat *catalog.Catalog, fed *renderFeeds, ropts render.Options, probs *problems) []compiled {
	var out []compiled
	seen := map[string]string{} // namespace/name -> file
	for _, a := range in.allowlists {
		probs.order = a.order
		bad := a.bad
		key := a.obj.Namespace + "/" + a.obj.Name
		if first, dup := seen[key]; dup && a.obj.Name != "" {
			probs.add(a.file, a.ref, fmt.Sprintf("metadata.name: Duplicate value: %q: %s also defines a VendorAllowlist %s, and both would render the same NetworkPolicies; rename one", a.obj.Name, first, key))
			bad = true
		}
		seen[key] = a.file

		plan, err := render.Compile(a.obj, fed.catalogFor(cat, a, probs), ropts)
		var rerr *render.Error
		switch {
		case errors.As(err, &rerr):
			for _, e := range rerr.Errors {
				if coveredBy(e, a.refused) {
					continue
				}
				probs.add(a.file, a.ref, e.Error())
			}
			bad = true
		case err != nil:
			probs.add(a.file, a.ref, err.Error())
			bad = true
		}
		if !bad {
			out = append(out, compiled{src: a, plan: plan})
		}
	}
	return out
}

// coveredBy reports whether validation already spoke of e's field, of a field that
// contains it, or of an item of e's list, so that e would say the same thing again.
func coveredBy(e *field.Error, refused []string) bool {
	for _, f := range refused {
		if e.Field == f || strings.HasPrefix(e.Field, f+".") || strings.HasPrefix(e.Field, f+"[") ||
			strings.HasPrefix(f, e.Field+"[") {
			return true
		}
	}
	return false
}

// noteAddresses says, per hostname, what the render left out and why: answers the
// guard forbids, private answers no entry keeps, and answers beyond the cap. It
// returns the hazard of hostnames with no address at all (--offline, or NXDOMAIN, and
// nothing published), whose rules are left out.
func noteAddresses(stderr io.Writer, c compiled, result render.Result, resolved map[string]lookupResult, offline bool) []string {
	note := func(level, format string, args ...any) {
		fmt.Fprintf(stderr, "%s: %s: %s: %s\n", level, c.src.file, c.src.ref, fmt.Sprintf(format, args...))
	}
	var none []string
	for _, h := range result.Hostnames {
		res := resolved[h.Name]
		if len(h.Addresses) == 0 && !h.ByName {
			none = append(none, h.Name)
		}
		if res.notFound != nil {
			note("note", "hostname %s: %v; rendered as the manager renders it, with only what the vendor publishes for it", h.Name, res.notFound)
		}
		if len(res.forbidden) > 0 {
			note("note", "hostname %s: not rendering the internal addresses DNS returned: %s", h.Name, joinAddrs(res.forbidden))
		}
		if h.Private > 0 {
			note("note", "hostname %s: not rendering %d private addresses DNS returned: no entry naming it has privateAddresses: Allow", h.Name, h.Private)
		}
		if res.dropped > 0 {
			note("warning", "hostname %s: DNS returned %d addresses; the operator keeps %d per hostname, so %d are not rendered", h.Name, len(res.addrs)+res.dropped, len(res.addrs), res.dropped)
		}
	}
	if len(none) == 0 {
		return nil
	}
	why := "DNS gave no address it may render"
	if offline {
		why = "--offline: DNS is not asked"
	}
	return []string{fmt.Sprintf("%s: %s: no address for %s (%s, and the vendor publishes none), so the rule for %s is left out",
		c.src.file, c.src.ref, strings.Join(none, ", "), why, pronoun(len(none)))}
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// emptyPolicies are the hazards of policies that open no vendor traffic: applied,
// such a policy only isolates the selected pods in its direction (the manager applies
// one only while it waits for DNS, and reports NothingToRender otherwise).
func emptyPolicies(src sourced[v1alpha1.VendorAllowlist], result render.Result) []string {
	var out []string
	for _, d := range result.Empty {
		name := render.PolicyName(src.obj.Name, d)
		var what string
		switch {
		case d == v1alpha1.DirectionIngress && !src.obj.Spec.IngressNetworkPolicyEnabled():
			continue // no ingress policy: the targets' hazards say what is not rendered
		case d == v1alpha1.DirectionIngress:
			what = fmt.Sprintf("NetworkPolicy %s has no ingress rule (no vendor address is known): applied as it is, it denies all ingress to the selected pods", name)
		case src.obj.Spec.DNSAllowed():
			what = fmt.Sprintf("NetworkPolicy %s has no egress rule to a vendor (no vendor address is known): applied as it is, it denies the selected pods all egress but DNS", name)
		default:
			what = fmt.Sprintf("NetworkPolicy %s has no egress rule (no vendor address is known, and allowDNS is false): applied as it is, it denies the selected pods all egress, DNS included", name)
		}
		out = append(out, fmt.Sprintf("%s: %s: %s", src.file, src.ref, what))
	}
	return out
}

// objectYAML encodes an object as YAML, without the empty fields of an object that
// was never stored (creationTimestamp, status).
func objectYAML(obj any) ([]byte, error) {
	j, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(j, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	return sigsyaml.Marshal(m)
}

// lookupResult is what DNS said of one hostname, decided as the manager decides it.
type lookupResult struct {
	addrs     []netip.Addr // kept: private ones included, for the render to keep or not
	forbidden []netip.Addr // what the guard forbids
	dropped   int          // beyond the cap
	notFound  error        // NXDOMAIN or NODATA: no address, and not an error
	err       error        // no authoritative answer
}

type lookuper interface {
	Lookup(ctx context.Context, host string) (resolver.Answer, error)
}

// newLookuper returns the DNS client of a render; tests replace it to prove that
// --offline sends no query.
var newLookuper = func(servers []string, timeout time.Duration) lookuper {
	return &resolver.Resolver{Servers: servers, Timeout: timeout}
}

func countStdin(paths []string) int {
	n := 0
	for _, p := range paths {
		if p == "-" {
			n++
		}
	}
	return n
}

// lookupAll resolves every hostname of the plans once, a few at a time.
func lookupAll(r lookuper, settings renderflags.Settings, plans []compiled) map[string]lookupResult {
	var hosts []string
	for _, c := range plans {
		hosts = append(hosts, c.plan.Hostnames()...)
	}
	slices.Sort(hosts)
	hosts = slices.Compact(hosts)

	ctx, cancel := context.WithTimeout(context.Background(), dnsDeadline)
	defer cancel()
	g := settings.Guard()
	out := make(map[string]lookupResult, len(hosts))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxParallelLookups)
	for _, h := range hosts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ans, err := r.Lookup(ctx, h)
			var res lookupResult
			switch {
			case !addresses.Authoritative(err):
				res.err = err
			case err != nil:
				res.notFound = err
			default:
				res.addrs, res.forbidden = addresses.Keep(ans.Addrs(), g)
				res.addrs, res.dropped = capped(res.addrs, settings.MaxAddresses)
			}
			mu.Lock()
			out[h] = res
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// capped keeps what the manager keeps of one answer: at most max addresses, dropped
// the way it drops them.
func capped(addrs []netip.Addr, max int) ([]netip.Addr, int) {
	seen := make(map[netip.Addr]time.Time, len(addrs))
	for _, a := range addrs {
		seen[a] = time.Time{}
	}
	dropped := addresses.Cap(seen, max)
	kept := slices.Collect(maps.Keys(seen))
	slices.SortFunc(kept, netip.Addr.Compare)
	return kept, dropped
}

func joinAddrs(addrs []netip.Addr) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}
