/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"bufio"
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
)

// objectsOf decodes every object of the plugin's output, by kind and name.
func objectsOf(t *testing.T, stream string) map[string]*unstructured.Unstructured {
	t.Helper()
	out := map[string]*unstructured.Unstructured{}
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
		obj := &unstructured.Unstructured{}
		if err := sigsyaml.Unmarshal(doc, &obj.Object); err != nil {
			t.Fatalf("output document: %v\n%s", err, doc)
		}
		out[obj.GetKind()+"/"+obj.GetName()] = obj
	}
}

func mustObject(t *testing.T, objs map[string]*unstructured.Unstructured, key string) *unstructured.Unstructured {
	t.Helper()
	obj, ok := objs[key]
	if !ok {
		t.Fatalf("no %s printed; printed: %v", key, slices.Sorted(mapsKeys(objs)))
	}
	return obj
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// egressBlocks are the ipBlock CIDRs of an unstructured NetworkPolicy's egress rules.
func egressBlocks(t *testing.T, np *unstructured.Unstructured) []string {
	t.Helper()
	rules, _, _ := unstructured.NestedSlice(np.Object, "spec", "egress")
	var out []string
	for _, r := range rules {
		to, _, _ := unstructured.NestedSlice(r.(map[string]any), "to")
		for _, p := range to {
			if cidr, ok, _ := unstructured.NestedString(p.(map[string]any), "ipBlock", "cidr"); ok {
				out = append(out, cidr)
			}
		}
	}
	return out
}

// With Cilium, the OPA gateways are enforced by name: a CiliumNetworkPolicy with
// toFQDNs for sg, sg1 and sg2 on 443 after the NetworkPolicy, which keeps what
// Workato publishes and leaves out what DNS answered.
func TestRenderCiliumEnforcesTheOPAGatewaysByName(t *testing.T) {
	srv := testdns.Start(t,
		testdns.WithHost("sg1.workato.com", "50.16.101.13", "198.51.100.50"),
		testdns.WithHost("sg2.workato.com", "34.204.129.29"),
		testdns.WithHost("sg.workato.com", "34.192.94.13"),
	)
	r := runPlugin(t, "", "render", "--egress-backend=cilium", "--dns-server", srv.Addr(), "--guard-allow-cidr", "198.51.100.0/24", "-f", sample("workato.yaml"))
	if r.code != 0 {
		t.Fatalf("exit %d, want 0", r.code)
	}
	objs := objectsOf(t, r.stdout)
	cnp := mustObject(t, objs, "CiliumNetworkPolicy/workato-opa-egress-fqdn")
	egress, _, _ := unstructured.NestedSlice(cnp.Object, "spec", "egress")
	var names []string
	var ports []any
	for _, e := range egress {
		fqdns, _, _ := unstructured.NestedSlice(e.(map[string]any), "toFQDNs")
		for _, f := range fqdns {
			names = append(names, f.(map[string]any)["matchName"].(string))
		}
		if len(fqdns) > 0 {
			ports, _, _ = unstructured.NestedSlice(e.(map[string]any), "toPorts")
		}
	}
	if want := []string{"sg.workato.com", "sg1.workato.com", "sg2.workato.com"}; !slices.Equal(names, want) {
		t.Errorf("toFQDNs %v, want %v", names, want)
	}
	if !strings.Contains(mustYAMLString(t, ports), `port: "443"`) {
		t.Errorf("toPorts %v, want 443", ports)
	}
	blocks := egressBlocks(t, mustObject(t, objs, "NetworkPolicy/workato-opa-egress"))
	if slices.Contains(blocks, "198.51.100.50/32") || !slices.Contains(blocks, "54.84.241.116/32") {
		t.Errorf("NetworkPolicy blocks %v: want Workato's published addresses and not the DNS answer 198.51.100.50", blocks)
	}
	if strings.Index(r.stdout, "kind: NetworkPolicy") > strings.Index(r.stdout, "kind: CiliumNetworkPolicy") {
		t.Errorf("the CiliumNetworkPolicy is printed before the NetworkPolicies")
	}
}

// With ClusterNetworkPolicy, the gateways are domainNames of an Admin-tier Accept,
// pinned to the allowlist's namespace.
func TestRenderClusterNetworkPolicyHasDomainNames(t *testing.T) {
	r := runPlugin(t, "", "render", "--offline", "--egress-backend=clusternetworkpolicy", "-n", "integrations", "-f", sample("workato.yaml"))
	if r.code != 0 {
		t.Fatalf("exit %d, want 0", r.code)
	}
	cnp := mustObject(t, objectsOf(t, r.stdout), "ClusterNetworkPolicy/vendorallowlist.integrations.workato-opa")
	egress, _, _ := unstructured.NestedSlice(cnp.Object, "spec", "egress")
	names, _, _ := unstructured.NestedStringSlice(egress[0].(map[string]any)["to"].([]any)[0].(map[string]any), "domainNames")
	if want := []string{"sg.workato.com", "sg1.workato.com", "sg2.workato.com"}; !slices.Equal(names, want) {
		t.Errorf("domainNames %v, want %v", names, want)
	}
	if ns, _, _ := unstructured.NestedString(cnp.Object, "spec", "subject", "pods", "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"); ns != "integrations" {
		t.Errorf("subject namespace %q, want integrations", ns)
	}
}

const wildcardAllowlist = `apiVersion: networking.vendorallowlist.io/v1alpha1
kind: VendorAllowlist
metadata: {name: cdn}
spec:
  podSelector: {}
  custom:
    - name: partner-cdn
      direction: Egress
      hostnames: ["*.cdn.partner.example.com"]
      ports: [{port: 443}]
`

// A wildcard renders with a backend that enforces names, and is refused, with the
// fix, by networkpolicy.
func TestRenderWildcardNeedsANameBackend(t *testing.T) {
	r := runPlugin(t, wildcardAllowlist, "render", "--offline", "-f", "-")
	if r.code != exitError || !strings.Contains(r.stderr, `spec.custom[0].hostnames: Invalid value: "*.cdn.partner.example.com"`) ||
		!strings.Contains(r.stderr, "run a backend that enforces names: docs/fqdn.md") || r.stdout != "" {
		t.Fatalf("networkpolicy: exit %d, stdout %q: want exit 1 naming the field and the fix, nothing printed", r.code, r.stdout)
	}
	r = runPlugin(t, wildcardAllowlist, "render", "--offline", "--egress-backend=gke", "-f", "-")
	if !strings.Contains(r.stderr, "--tenant-allow-wildcards") || strings.Contains(r.stdout, "FQDNNetworkPolicy") {
		t.Fatalf("gke under the default tenant limits: want the wildcard left out, naming --tenant-allow-wildcards")
	}
	r = runPlugin(t, wildcardAllowlist, "render", "--offline", "--egress-backend=gke", "--tenant-allow-wildcards", "-f", "-")
	if r.code != 0 || !strings.Contains(r.stdout, "pattern: '*.cdn.partner.example.com'") {
		t.Fatalf("gke: exit %d, want 0 and the wildcard as a pattern:\n%s", r.code, r.stdout)
	}
	if strings.Contains(r.stderr, "no address for") {
		t.Errorf("a name enforced by name is reported as having no address")
	}
}

func TestRenderEgressBackendValues(t *testing.T) {
	r := runPlugin(t, "", "render", "--offline", "--egress-backend=calico", "-f", sample("workato.yaml"))
	if r.code != exitUsage || !strings.Contains(r.stderr, `unknown egress backend "calico": use one of auto, networkpolicy, cilium, clusternetworkpolicy, gke, ovn`) {
		t.Fatalf("exit %d: want a usage error naming the values", r.code)
	}
	r = runPlugin(t, "", "render", "--offline", "--egress-backend=auto", "-f", sample("workato.yaml"))
	if r.code != 0 || !strings.Contains(r.stderr, "the plugin sees no cluster: rendering networkpolicy") || strings.Contains(r.stdout, "CiliumNetworkPolicy") {
		t.Fatalf("auto: exit %d: want networkpolicy with a note", r.code)
	}
}

// OVN's EgressFirewall is one per namespace: the plugin prints it once, merged.
func TestRenderOVNMergesTheNamespacesEgressFirewall(t *testing.T) {
	second := strings.ReplaceAll(wildcardAllowlist, "name: cdn", "name: cdn2")
	second = strings.ReplaceAll(second, "*.cdn.partner", "api.partner")
	r := runPlugin(t, wildcardAllowlist+"---\n"+second, "render", "--offline", "--egress-backend=ovn", "--tenant-allow-wildcards", "-f", "-")
	if r.code != 0 || strings.Count(r.stdout, "kind: EgressFirewall") != 1 {
		t.Fatalf("exit %d: want one EgressFirewall:\n%s", r.code, r.stdout)
	}
	ef := mustObject(t, objectsOf(t, r.stdout), "EgressFirewall/default")
	rules, _, _ := unstructured.NestedSlice(ef.Object, "spec", "egress")
	if len(rules) != 2 {
		t.Fatalf("%d rules, want one per allowlist's name: %v", len(rules), rules)
	}
}

func mustYAMLString(t *testing.T, v any) string {
	t.Helper()
	out, err := sigsyaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
