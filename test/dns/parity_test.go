/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dns

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	. "github.com/onsi/gomega"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	sigsyaml "sigs.k8s.io/yaml"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/dnscache"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// The plugin renders what the manager applies: the same allowlists, the same DNS
// server and the same admin flags give the same policies, with answers that exercise
// every rule on the way (NXDOMAIN, more than the cap, private, forbidden and embedded
// IPv4 answers, the catalog's published addresses, entries beyond the tenant limits).
// And the plugin's output, rendered with --handover and applied by hand first, is
// adopted by the allowlists.
func TestPluginRendersWhatTheManagerApplies(t *testing.T) {
	g := NewWithT(t)
	plugin := buildPlugin(t)
	var big []string
	for i := range 300 {
		big = append(big, fmt.Sprintf("198.51.%d.%d", 100+i/256, i%256))
	}
	const (
		bigHost   = "big.parity.example.com"
		mixedHost = "mixed.parity.example.com"
		nxHost    = "nx.parity.example.com"
		feHost    = "fe1.parity.example.com"
	)
	srv := testdns.Start(t,
		testdns.WithHost(bigHost, big...),
		testdns.WithHost(mixedHost, "203.0.113.5", "10.1.2.3", "127.0.0.1", "169.254.169.254", "10.244.1.1", "64:ff9b::a00:1", "2001:db8::5", "fd00::5"),
		testdns.WithHost(feHost, "198.51.100.9"),
		testdns.WithHost("sg1.workato.com", "203.0.113.1", "50.16.101.13"),
		testdns.WithHost("sg2.workato.com", "203.0.113.2"),
		testdns.WithHost("sg.workato.com", "10.0.0.9"))
	ns := newNamespace(t, "parity")
	custom := func(name string, private v1alpha1.PrivateAddresses, cidrs []v1alpha1.CIDR, hosts ...string) *v1alpha1.VendorAllowlist {
		a := customAllowlist(ns, name, v1alpha1.DirectionEgress, private, hosts...)
		a.Spec.Custom[0].CIDRs = cidrs
		return a
	}
	allowlists := []*v1alpha1.VendorAllowlist{
		custom("big", "", nil, bigHost, nxHost),
		custom("mixed", v1alpha1.PrivateAddressesBlock, []v1alpha1.CIDR{"52.1.37.96/32", "0.0.0.0/1"}, mixedHost),
		custom("mixed-private", v1alpha1.PrivateAddressesAllow, nil, mixedHost),
		outsystemsAllowlist(ns, "frontends", feHost, nxHost),
		{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gateways"},
			Spec: v1alpha1.VendorAllowlistSpec{
				PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "opa"}},
				Vendors:     []v1alpha1.VendorSelection{{Name: "workato", Endpoints: []v1alpha1.ObjectName{"opa-gateways"}}},
			},
		},
	}

	// The plugin first, with the flags the manager below runs with.
	file := filepath.Join(t.TempDir(), "allowlists.yaml")
	var docs []string
	for _, a := range allowlists {
		a.TypeMeta = metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "VendorAllowlist"}
		y, err := sigsyaml.Marshal(a)
		g.Expect(err).NotTo(HaveOccurred())
		docs = append(docs, string(y))
	}
	g.Expect(os.WriteFile(file, []byte(strings.Join(docs, "---\n")), 0o600)).To(Succeed())
	args := []string{"render", "--handover", "-f", file, "--dns-server", srv.Addr()}
	for _, c := range clusterCIDRs {
		args = append(args, "--cluster-cidr", c.String())
	}
	for _, c := range testenv.DocumentationRanges {
		args = append(args, "--guard-allow-cidr", c.String())
	}
	cmd := exec.Command(plugin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	g.Expect(cmd.Run()).To(Succeed(), "the plugin failed:\n%s", stderr.String())
	t.Logf("plugin notes:\n%s", stderr.String())
	rendered := decodePolicyStream(t, stdout.Bytes())
	g.Expect(rendered).To(HaveLen(5))

	// Applied by hand before the allowlists exist, as a user trying the plugin would.
	for _, np := range rendered {
		np := np.DeepCopy()
		g.Expect(k8s.Create(context.Background(), np)).To(Succeed())
	}

	startManager(t, srv, managerOptions{Namespaces: []string{ns}, DNS: dnscache.Options{
		MinRefresh: time.Second, MaxRefresh: 10 * time.Second, Retention: time.Hour,
	}})
	for _, a := range allowlists {
		a := a.DeepCopy()
		a.ResourceVersion = ""
		g.Expect(k8s.Create(context.Background(), a)).To(Succeed())
	}
	g.Eventually(func(g Gomega) {
		for _, a := range allowlists {
			got := getAllowlist(g, client.ObjectKeyFromObject(a))
			c := condition(got, v1alpha1.ConditionReady)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).NotTo(Equal(v1alpha1.ReasonPolicyConflict), "%s: %s", a.Name, c.Message)
			g.Expect(c.ObservedGeneration).To(Equal(got.Generation))
		}
	}, timeout, poll).Should(Succeed())

	g.Eventually(func(g Gomega) {
		for name, want := range rendered {
			np := getPolicy(g, ns, name)
			g.Expect(metav1.GetControllerOf(np)).NotTo(BeNil(), "%s was not adopted", name)
			g.Expect(cmp.Diff(want.Spec, np.Spec)).To(BeEmpty(), "policy %s: the manager's (+) differs from the plugin's (-)", name)
			g.Expect(np.Labels).To(Equal(want.Labels))
		}
	}, timeout, poll).Should(Succeed())
	var list networkingv1.NetworkPolicyList
	g.Expect(k8s.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
	g.Expect(list.Items).To(HaveLen(len(rendered)), "the manager rendered a policy the plugin did not")

	// What the comparison covered.
	big0 := getAllowlist(g, client.ObjectKeyFromObject(allowlists[0]))
	g.Expect(hostnameStatus(big0, bigHost).DroppedAddresses).To(BeEquivalentTo(44))
	g.Expect(stderr.String()).To(ContainSubstring("hostname " + nxHost + ": "))
	g.Expect(stderr.String()).To(ContainSubstring("NXDOMAIN"))
	g.Expect(stderr.String()).To(ContainSubstring("so 44 are not rendered"))
	g.Expect(stderr.String()).To(ContainSubstring("left out, beyond the tenant limits: spec.custom[0].cidrs[1]"))
	g.Expect(condition(getAllowlist(g, client.ObjectKeyFromObject(allowlists[1])), v1alpha1.ConditionReady).Reason).To(Equal(v1alpha1.ReasonTenantLimitExceeded))
}

// buildPlugin builds the kubectl plugin into the test's temporary directory.
func buildPlugin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kubectl-vendorallowlist")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/kubectl-vendorallowlist")
	cmd.Dir = testenv.RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the plugin: %v\n%s", err, out)
	}
	return bin
}

func decodePolicyStream(t *testing.T, stream []byte) map[string]*networkingv1.NetworkPolicy {
	t.Helper()
	out := map[string]*networkingv1.NetworkPolicy{}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	for {
		doc, err := r.Read()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		var np networkingv1.NetworkPolicy
		if err := sigsyaml.UnmarshalStrict(doc, &np); err != nil {
			t.Fatalf("decoding %q: %v", doc, err)
		}
		if np.Name != "" {
			out[np.Name] = &np
		}
	}
}
