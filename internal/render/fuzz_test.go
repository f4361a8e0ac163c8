/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render_test

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// FuzzRender builds an allowlist over the built-in catalog and DNS answers from the
// fuzzer's bytes, and checks that compiling and rendering never panic, that an error
// is a *render.Error naming a reason and a field, and that what renders is
// deterministic and safe: no rule without peers, never the whole address space,
// canonical and non-overlapping prefixes (see checkPolicies).
//
// The seed corpus is in testdata/fuzz/FuzzRender; run the fuzzer with
//
//	go test ./internal/render/ -run '^$' -fuzz FuzzRender -fuzztime 1m
func FuzzRender(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := &fuzzInput{data: data}
		a := in.allowlist()
		plan, err := render.Compile(a, builtin(), opts)
		if err != nil {
			var rerr *render.Error
			if !errors.As(err, &rerr) {
				t.Fatalf("error %T %v, want a *render.Error", err, err)
			}
			if rerr.Reason == "" || len(rerr.Errors) == 0 {
				t.Fatalf("error without reason or fields: %#v", rerr)
			}
			for _, e := range rerr.Errors {
				if e.Field == "" || e.Error() == "" {
					t.Fatalf("error without field: %#v", e)
				}
			}
			return
		}

		hostnames := plan.Hostnames()
		if !slices.IsSorted(hostnames) || len(slices.Compact(slices.Clone(hostnames))) != len(hostnames) {
			t.Fatalf("Hostnames not sorted and unique: %v", hostnames)
		}
		resolved := in.resolved(hostnames)

		policies := plan.Render(resolved)
		checkPolicies(t, a, policies)
		if t.Failed() {
			t.Fatalf("allowlist:\n%s\nresolved: %v\npolicies:\n%s", mustYAML(t, a), resolved, marshalStream(t, policies))
		}

		// Every target holds exactly the ingress addresses, the same twice.
		result := plan.Build(resolved)
		for _, rt := range result.Targets {
			if rt.Addresses != len(result.IngressAddresses) {
				t.Fatalf("%s: %d addresses, the ingress rules have %d", rt.Path(), rt.Addresses, len(result.IngressAddresses))
			}
			for _, o := range rt.Objects {
				got := targetCIDRs(t, o)
				if rt.Addresses == 0 {
					if got != nil || len(o.Object.Object) > 4 {
						t.Fatalf("%s: %s %s has content without an address: %v", rt.Path(), o.Object.GetKind(), o.Object.GetName(), o.Object.Object)
					}
					continue
				}
				if o.Object.GetKind() == "Ingress" && got == nil {
					continue // Traefik's attachment
				}
				if want := prefixStrings(result.IngressAddresses); !slices.Equal(got, want) {
					t.Fatalf("%s: %s %s holds %v, the ingress rules %v", rt.Path(), o.Object.GetKind(), o.Object.GetName(), got, want)
				}
			}
		}
		if a, b := marshalTargets(t, result.Targets), marshalTargets(t, plan.Build(resolved).Targets); !bytes.Equal(a, b) {
			t.Fatalf("targets rendered twice differ:\n%s", cmp.Diff(string(a), string(b)))
		}

		want := marshalStream(t, policies)
		if got := marshalStream(t, plan.Render(resolved)); !bytes.Equal(want, got) {
			t.Fatalf("rendering twice differs:\n%s", cmp.Diff(string(want), string(got)))
		}
		r := rand.New(rand.NewPCG(uint64(len(data)), 7))
		if got := marshalStream(t, plan.Render(shuffled(r, resolved))); !bytes.Equal(want, got) {
			t.Fatalf("shuffled DNS answers render differently:\n%s", cmp.Diff(string(want), string(got)))
		}
		again, err := render.Compile(a.DeepCopy(), builtin(), opts)
		if err != nil {
			t.Fatalf("second Compile: %v", err)
		}
		if got := marshalStream(t, again.Render(resolved)); !bytes.Equal(want, got) {
			t.Fatalf("compiling twice differs:\n%s", cmp.Diff(string(want), string(got)))
		}
		// The bytes left pick a backend, maybe a wildcard, and guard-forbidden answers,
		// so that the seeds written before backends decode as they did.
		fuzzBackend(t, in, a, resolved)
	})
}

var fuzzBackendChoices = []render.EgressBackend{render.BackendNetworkPolicy, render.BackendCilium, render.BackendClusterNetworkPolicy, render.BackendGKE, render.BackendOVN}

// fuzzBackend renders the allowlist again with a backend and checks that it is
// deterministic, safe as the NetworkPolicies are, that no name a backend enforces
// keeps its DNS answers in the NetworkPolicy, and that a name with an answer the
// guard forbids is never enforced by name.
func fuzzBackend(t *testing.T, in *fuzzInput, a *v1alpha1.VendorAllowlist, resolved render.Resolved) {
	o := opts
	o.EgressBackend = pick(in, fuzzBackendChoices)
	a = a.DeepCopy()
	wildcard := in.bit()
	if wildcard {
		a.Spec.Custom = append(a.Spec.Custom, v1alpha1.CustomEntry{Name: "wild", Direction: fuzzDirs[in.n(2)],
			Hostnames: []v1alpha1.Hostname{"*.partner.example.com"}, Ports: in.ports(), AllPorts: in.bit()})
		if len(a.Spec.Custom[len(a.Spec.Custom)-1].Ports) > 0 {
			a.Spec.Custom[len(a.Spec.Custom)-1].AllPorts = false
		} else {
			a.Spec.Custom[len(a.Spec.Custom)-1].AllPorts = true
		}
	}
	if in.bit() {
		resolved = in.namedEntry(a, resolved)
	}
	plan, err := render.Compile(a, builtin(), o)
	if err != nil {
		if !wildcard || !strings.Contains(err.Error(), "*.partner.example.com") {
			t.Fatalf("backend %s: %v", o.EgressBackend, err)
		}
		return
	}
	answers := render.Answers{Resolved: resolved, Blocked: in.blocked(plan.Hostnames())}
	result := plan.BuildAnswers(answers)
	checkPolicies(t, a, result.Policies)
	got := marshalResult(t, result)
	if again := marshalResult(t, plan.BuildAnswers(answers)); !bytes.Equal(got, again) {
		t.Fatalf("backend %s: rendering twice differs:\n%s", o.EgressBackend, cmp.Diff(string(got), string(again)))
	}
	r := rand.New(rand.NewPCG(uint64(len(got)), 11))
	shuffledAnswers := render.Answers{Resolved: shuffled(r, resolved), Blocked: answers.Blocked}
	if again := marshalResult(t, plan.BuildAnswers(shuffledAnswers)); !bytes.Equal(got, again) {
		t.Fatalf("backend %s: shuffled answers render differently:\n%s", o.EgressBackend, cmp.Diff(string(got), string(again)))
	}
	checkNamesLeaveTheNetworkPolicy(t, plan, o.EgressBackend, answers, result)
	if t.Failed() {
		t.Fatalf("backend %s\nallowlist:\n%s\nanswers: %v\nrendered:\n%s", o.EgressBackend, mustYAML(t, a), answers, got)
	}
}

// namedEntry adds an egress entry of hostnames only, which DNS answered with
// public addresses: the shape a name backend takes whole.
func (in *fuzzInput) namedEntry(a *v1alpha1.VendorAllowlist, resolved render.Resolved) render.Resolved {
	e := v1alpha1.CustomEntry{Name: "named", Direction: v1alpha1.DirectionEgress, Hostnames: some(in, fuzzHostnames, 3), Ports: in.ports()}
	if len(e.Hostnames) == 0 {
		e.Hostnames = []v1alpha1.Hostname{fuzzHostnames[0]}
	}
	e.AllPorts = len(e.Ports) == 0
	a.Spec.Custom = append(a.Spec.Custom, e)
	out := render.Resolved{}
	for k, v := range resolved {
		out[k] = v
	}
	for _, h := range e.Hostnames {
		out[string(h)] = append(slices.Clone(out[string(h)]), netip.AddrFrom4([4]byte{203, 0, 113, in.next()}), netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0xff, 15: in.next()}))
	}
	return out
}

// blocked counts forbidden answers for some hostnames, as the address source does.
func (in *fuzzInput) blocked(hostnames []string) map[string]int {
	out := map[string]int{}
	for _, h := range hostnames {
		if in.n(4) == 0 {
			out[h] = 1 + in.n(3)
		}
	}
	return out
}

func marshalResult(t *testing.T, res render.Result) []byte {
	out := marshalStream(t, res.Policies)
	out = append(out, mustMarshal(t, res.EgressRules)...)
	for _, o := range res.EgressObjects {
		out = append(out, mustMarshal(t, o.Object)...)
	}
	return out
}

// checkNamesLeaveTheNetworkPolicy: every name the backend's objects grant has no
// answer the guard forbids, and (for a backend that adds to the NetworkPolicies) its
// answers are in the NetworkPolicy only where what no DNS answer opens, or the
// answer of a name not granted, puts them.
func checkNamesLeaveTheNetworkPolicy(t *testing.T, plan *render.Plan, backend render.EgressBackend, answers render.Answers, result render.Result) {
	granted := grantedNames(t, result.EgressObjects)
	for name := range granted {
		if answers.Blocked[name] > 0 || slices.ContainsFunc(answers.Resolved[name], isForbidden) {
			t.Errorf("%s is enforced by name although DNS answered it an address the guard forbids", name)
		}
	}
	// OVN is not additive: the answers stay in the NetworkPolicy. A name that falls
	// back in one rule keeps its answers in that rule: the status names each, but
	// not the names of a rule that falls back whole, so renders with such a rule are
	// not checked.
	if backend == render.BackendOVN || slices.ContainsFunc(result.EgressRules, func(st v1alpha1.EgressRuleStatus) bool { return st.Backend != string(backend) }) {
		return
	}
	for _, st := range result.EgressRules {
		maps.DeleteFunc(granted, func(name string, _ bool) bool { return strings.Contains(st.Message, name+" (") })
	}
	static, blocks := egressBlocks(plan.Render(nil)), egressBlocks(result.Policies)
	ungranted := ungrantedAnswers(answers.Resolved, granted)
	for name := range granted {
		for _, a := range answers.Resolved[name] {
			a = a.Unmap().WithZone("")
			if containsAddr(blocks, a) && !containsAddr(static, a) && !ungranted[a] {
				t.Errorf("%s is enforced by name, and its answer %s is in the NetworkPolicy", name, a)
			}
		}
	}
}

func isForbidden(a netip.Addr) bool {
	_, c := opts.Guard.Answer(a)
	return c == guard.Forbidden
}

// grantedNames are the names the backend's objects let the pods reach.
func grantedNames(t *testing.T, objects []*unstructured.Unstructured) map[string]bool {
	granted := map[string]bool{}
	for _, obj := range objects {
		if obj.GetKind() != "EgressFirewall" {
			for _, g := range nameGrants(t, obj) {
				for _, n := range g.names {
					granted[n] = true
				}
			}
			continue
		}
		rules, _, _ := unstructured.NestedSlice(obj.Object, "spec", "egress")
		for _, r := range rules {
			n, _, _ := unstructured.NestedString(r.(map[string]any), "to", "dnsName")
			granted[n] = true
		}
	}
	return granted
}

// ungrantedAnswers are the answers of the names not granted.
func ungrantedAnswers(resolved render.Resolved, granted map[string]bool) map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	for name, as := range resolved {
		for _, a := range as {
			if !granted[name] {
				out[a.Unmap().WithZone("")] = true
			}
		}
	}
	return out
}

func egressBlocks(policies []networkingv1.NetworkPolicy) []netip.Prefix {
	var out []netip.Prefix
	for _, np := range policies {
		for _, r := range np.Spec.Egress {
			for _, p := range r.To {
				if p.IPBlock != nil {
					out = append(out, netip.MustParsePrefix(p.IPBlock.CIDR))
				}
			}
		}
	}
	return out
}

func containsAddr(ps []netip.Prefix, a netip.Addr) bool {
	return slices.ContainsFunc(ps, func(p netip.Prefix) bool { return p.Contains(a) })
}

func mustYAML(t testing.TB, a *v1alpha1.VendorAllowlist) string {
	out, err := yaml.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// fuzzInput hands out the fuzzer's bytes; once they run out it hands out zeros.
type fuzzInput struct {
	data []byte
}

func (in *fuzzInput) next() byte {
	if len(in.data) == 0 {
		return 0
	}
	b := in.data[0]
	in.data = in.data[1:]
	return b
}

func (in *fuzzInput) n(limit int) int { return int(in.next()) % limit }

func (in *fuzzInput) bit() bool { return in.next()&1 == 1 }

func (in *fuzzInput) u16() uint16 { return uint16(in.next())<<8 | uint16(in.next()) }

func pick[T any](in *fuzzInput, pool []T) T { return pool[in.n(len(pool))] }

// some picks up to limit items of pool, without repeats (the API's lists are sets).
func some[T comparable](in *fuzzInput, pool []T, limit int) []T {
	var out []T
	for range in.n(limit + 1) {
		v := pick(in, pool)
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

var (
	fuzzVendors   = append(builtinNames(), "nosuch")
	fuzzEndpoints = append(builtinGroups(), "nosuch")
	fuzzRegions   = []v1alpha1.Region{"US", "EU", "IN", "AU", "XX"}
	fuzzDirs      = []v1alpha1.Direction{v1alpha1.DirectionIngress, v1alpha1.DirectionEgress}
	fuzzProtocols = []v1alpha1.Protocol{"", v1alpha1.ProtocolTCP, v1alpha1.ProtocolUDP, v1alpha1.ProtocolSCTP}
	fuzzHostnames = []v1alpha1.Hostname{
		"fe1.acme.example.com", "fe2.acme.example.com", "api.partner.example.com",
		"sg1.workato.com", "www.workato.com", "v6.partner.example.com",
	}
)

func builtinNames() []v1alpha1.ObjectName {
	var out []v1alpha1.ObjectName
	for _, n := range builtin().Names() {
		out = append(out, v1alpha1.ObjectName(n))
	}
	return out
}

func builtinGroups() []v1alpha1.ObjectName {
	var out []v1alpha1.ObjectName
	for _, n := range builtin().Names() {
		v, _ := builtin().View(n)
		for _, g := range v.Spec.Endpoints {
			out = append(out, g.Name)
		}
	}
	return out
}

func (in *fuzzInput) allowlist() *v1alpha1.VendorAllowlist {
	a := &v1alpha1.VendorAllowlist{ObjectMeta: metav1.ObjectMeta{Name: "fuzz", Namespace: "ns"}}
	if in.bit() {
		a.Spec.PodSelector.MatchLabels = map[string]string{"app": "fuzz"}
	}
	for range in.n(4) {
		flags := in.next()
		sel := v1alpha1.VendorSelection{Name: pick(in, fuzzVendors)}
		if flags&1 != 0 {
			sel.Directions = some(in, fuzzDirs, 2)
		}
		if flags&2 != 0 {
			sel.Endpoints = some(in, fuzzEndpoints, 3)
		}
		if flags&4 != 0 {
			sel.Regions = some(in, fuzzRegions, 3)
		}
		if flags&8 != 0 {
			sel.Ports = in.ports()
		}
		sel.AllPorts = flags&16 != 0
		if flags&32 != 0 {
			sel.Hostnames = some(in, fuzzHostnames, 3)
		}
		if flags&64 != 0 {
			sel.CIDRs = in.cidrs(3)
		}
		sel.IncludeDeprecated = flags&128 != 0
		if !slices.ContainsFunc(a.Spec.Vendors, func(v v1alpha1.VendorSelection) bool { return v.Name == sel.Name }) {
			a.Spec.Vendors = append(a.Spec.Vendors, sel)
		}
	}
	for i := range in.n(4) {
		flags := in.next()
		e := v1alpha1.CustomEntry{
			Name:      v1alpha1.ObjectName(fmt.Sprintf("c%d", i)),
			Direction: fuzzDirs[flags&1],
		}
		if flags&2 != 0 {
			e.Hostnames = some(in, fuzzHostnames, 2)
		}
		if flags&4 != 0 || len(e.Hostnames) == 0 {
			e.CIDRs = in.cidrs(4)
		}
		if flags&8 != 0 {
			e.AllPorts = true
		} else {
			e.Ports = in.ports()
		}
		a.Spec.Custom = append(a.Spec.Custom, e)
	}
	switch in.n(3) {
	case 1:
		a.Spec.AllowDNS = ptr(true)
	case 2:
		a.Spec.AllowDNS = ptr(false)
	}
	switch in.n(4) {
	case 1:
		a.Spec.ClusterDNS = &v1alpha1.ClusterDNS{Namespace: "dns"}
	case 2:
		a.Spec.ClusterDNS = &v1alpha1.ClusterDNS{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "coredns"}}}
	case 3:
		a.Spec.ClusterDNS = &v1alpha1.ClusterDNS{Namespace: "dns", PodSelector: &metav1.LabelSelector{}}
	}
	// Ingress targets last, so that the seeds written before them decode as they did.
	for range in.n(4) {
		a.Spec.IngressTargets = append(a.Spec.IngressTargets, in.target())
	}
	if in.bit() {
		a.Spec.IngressNetworkPolicy = v1alpha1.IngressNetworkPolicyDisabled
	}
	return a
}

// target is an ingress target of any kind, with names that repeat (so that two
// targets may write one object), and sometimes no member or two.
func (in *fuzzInput) target() v1alpha1.IngressTarget {
	names := []string{"web", "api", "web"}
	name := names[in.n(len(names))]
	var t v1alpha1.IngressTarget
	switch in.n(6) {
	case 0:
		t.Service = &v1alpha1.ServiceTarget{Name: v1alpha1.ServiceName(name)}
	case 1:
		t.IngressNginx = &v1alpha1.IngressNginxTarget{IngressName: v1alpha1.ResourceName(name)}
	case 2:
		kinds := []v1alpha1.EnvoyGatewayTargetKind{"Gateway", "HTTPRoute", "GRPCRoute", "TCPRoute"}
		t.EnvoyGateway = &v1alpha1.EnvoyGatewayTarget{TargetRef: v1alpha1.EnvoyGatewayTargetRef{Kind: kinds[in.n(4)], Name: v1alpha1.ResourceName(name)}}
	case 3:
		t.Istio = &v1alpha1.IstioTarget{}
		if in.bit() {
			t.Istio.GatewayName = v1alpha1.ResourceName(name)
		}
		if in.bit() {
			t.Istio.Selector = &v1alpha1.IstioWorkloadSelector{MatchLabels: map[string]string{"istio": name}}
		}
	case 4:
		t.Traefik = &v1alpha1.TraefikTarget{}
		if in.bit() {
			t.Traefik.IngressName = v1alpha1.ResourceName(name)
		}
		if in.bit() {
			t.Traefik.IPStrategy = &v1alpha1.TraefikIPStrategy{Depth: int32(in.n(3))}
		}
	case 5:
		t.Service = &v1alpha1.ServiceTarget{Name: v1alpha1.ServiceName(name)}
		t.IngressNginx = &v1alpha1.IngressNginxTarget{IngressName: v1alpha1.ResourceName(name)}
	}
	return t
}

// ports are valid as the API server would have them (1-65535, endPort >= port), in
// any protocol, including none (TCP).
func (in *fuzzInput) ports() []v1alpha1.Port {
	var out []v1alpha1.Port
	for range in.n(4) {
		p := v1alpha1.Port{Protocol: pick(in, fuzzProtocols), Port: int32(in.u16()%65535) + 1}
		if in.bit() {
			end := p.Port + int32(in.u16())%(65536-p.Port)
			p.EndPort = &end
		}
		out = append(out, p)
	}
	return out
}

// cidrs are mostly canonical networks of any length, including /0, plus the odd
// one that is not a CIDR at all or has host bits set.
func (in *fuzzInput) cidrs(limit int) []v1alpha1.CIDR {
	var out []v1alpha1.CIDR
	for range in.n(limit + 1) {
		var s string
		switch kind := in.n(8); kind {
		case 0:
			s = "not-a-cidr"
		case 1:
			s = in.addr().String() + "/8" // may have host bits set, or be IPv6 /8
		default:
			a := in.addr()
			bits := in.n(a.BitLen() + 1)
			if kind < 4 {
				bits = a.BitLen()
			}
			s = netip.PrefixFrom(a, bits).Masked().String()
		}
		if c := v1alpha1.CIDR(s); !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// addr is an IPv4 or IPv6 address from a small space, so that addresses repeat and
// contain each other.
func (in *fuzzInput) addr() netip.Addr {
	if in.bit() {
		return netip.AddrFrom4([4]byte{10 + in.next()%4, in.next() % 4, in.next() % 4, in.next()})
	}
	var b [16]byte
	b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8
	b[5], b[15] = in.next()%4, in.next()
	return netip.AddrFrom16(b)
}

// resolved answers for some of the hostnames, and for one the plan does not name;
// the answers may repeat, be IPv4-mapped IPv6 or carry a zone.
func (in *fuzzInput) resolved(hostnames []string) render.Resolved {
	out := render.Resolved{}
	for _, h := range append(slices.Clone(hostnames), "unrelated.example.com") {
		if !in.bit() {
			continue
		}
		var as []netip.Addr
		for range in.n(5) {
			a := in.addr()
			switch in.n(6) {
			case 0:
				if a.Is4() {
					a = netip.AddrFrom16(a.As16())
				}
			case 1:
				if a.Is6() {
					a = a.WithZone("eth0")
				}
			}
			as = append(as, a)
		}
		out[h] = as
	}
	return out
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
