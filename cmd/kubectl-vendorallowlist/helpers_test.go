/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

const samplesDir = "../../config/samples"

func sample(name string) string { return filepath.Join(samplesDir, name) }

// result is what one run of the plugin did.
type result struct {
	code           int
	stdout, stderr string
}

// runPlugin runs the plugin as main does, with stdin as standard input.
func runPlugin(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	t.Logf("kubectl-vendorallowlist %s\nexit %d\nstderr:\n%s", strings.Join(args, " "), code, errOut.String())
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// mustRender runs the plugin and fails the test unless it exits 0, returning the
// policies it printed, by name.
func mustRender(t *testing.T, stdin string, args ...string) (map[string]networkingv1.NetworkPolicy, result) {
	t.Helper()
	r := runPlugin(t, stdin, args...)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	return decodePolicies(t, r.stdout), r
}

// decodePolicies decodes a YAML stream of NetworkPolicies strictly.
func decodePolicies(t *testing.T, stream string) map[string]networkingv1.NetworkPolicy {
	t.Helper()
	out := map[string]networkingv1.NetworkPolicy{}
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(stream)))
	for {
		doc, err := r.Read()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("reading the output: %v", err)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		var np networkingv1.NetworkPolicy
		if err := sigsyaml.UnmarshalStrict(doc, &np); err != nil {
			t.Fatalf("output document is not a NetworkPolicy: %v\n%s", err, doc)
		}
		if np.APIVersion != "networking.k8s.io/v1" || np.Kind != "NetworkPolicy" {
			t.Errorf("policy %s: apiVersion %q kind %q, want networking.k8s.io/v1 NetworkPolicy", np.Name, np.APIVersion, np.Kind)
		}
		if _, dup := out[np.Name]; dup {
			t.Errorf("policy %s printed twice", np.Name)
		}
		out[np.Name] = np
	}
}

func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for _, l := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(l); len(t) > 0 && t[0] == '#' {
			continue
		}
		b.Write(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func names(m map[string]networkingv1.NetworkPolicy) []string {
	var out []string
	for n := range m {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// rule is one rule of a policy, flattened: its peers' CIDRs and its ports as
// PROTOCOL/PORT.
type rule struct {
	cidrs []string
	ports []string
}

func rules(np networkingv1.NetworkPolicy) []rule {
	var out []rule
	flatten := func(peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort) {
		var r rule
		for _, p := range peers {
			if p.IPBlock != nil {
				r.cidrs = append(r.cidrs, p.IPBlock.CIDR)
			}
		}
		for _, p := range ports {
			s := string(*p.Protocol) + "/" + p.Port.String()
			if p.EndPort != nil {
				s += "-" + strconv.Itoa(int(*p.EndPort))
			}
			r.ports = append(r.ports, s)
		}
		out = append(out, r)
	}
	for _, in := range np.Spec.Ingress {
		flatten(in.From, in.Ports)
	}
	for _, e := range np.Spec.Egress {
		flatten(e.To, e.Ports)
	}
	return out
}

// allCIDRs is every ipBlock CIDR of a policy.
func allCIDRs(np networkingv1.NetworkPolicy) []string {
	var out []string
	for _, r := range rules(np) {
		out = append(out, r.cidrs...)
	}
	return out
}

// ruleWith returns the rule of np that opens cidr.
func ruleWith(t *testing.T, np networkingv1.NetworkPolicy, cidr string) rule {
	t.Helper()
	for _, r := range rules(np) {
		if slices.Contains(r.cidrs, cidr) {
			return r
		}
	}
	t.Fatalf("policy %s opens no rule to %s; rules: %+v", np.Name, cidr, rules(np))
	return rule{}
}

func policy(t *testing.T, got map[string]networkingv1.NetworkPolicy, name string) networkingv1.NetworkPolicy {
	t.Helper()
	np, ok := got[name]
	if !ok {
		t.Fatalf("no policy %s in the output; got %v", name, names(got))
	}
	return np
}

// writeFile writes content to name in a fresh temporary directory and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func wantContains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not contain %q:\n%s", what, sub, s)
		}
	}
}

func wantNotContains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			t.Errorf("%s contains %q, which it must not:\n%s", what, sub, s)
		}
	}
}
