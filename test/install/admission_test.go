/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package install

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/admission"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/guard"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/tenancy"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// The cluster's ranges the chart is installed with in these tests (cluster.podCIDRs and
// serviceCIDRs), and that the kustomize install's ConfigMap is given (cluster-cidr).
var testClusterCIDRs = []string{"10.244.0.0/16", "fd00:10:244::/56", "10.96.0.0/12", "fd00:10:96::/112"}

// tenancyInstall is one install's admission policy and roles for users, applied to the
// control plane for real.
type tenancyInstall struct {
	name       string
	objects    []*unstructured.Unstructured // the policy, its binding and ConfigMap, the user roles
	configMap  *unstructured.Unstructured
	rolePrefix string // of the user ClusterRoles, e.g. "vendor-allowlist-"
	// widen applies the ConfigMap with the admin's wider limits: the chart's rendered
	// from values, kustomize's patched as a kustomize user would.
	widen func(t *testing.T)
	// withValues, for the chart only, applies the ConfigMap rendered with these values
	// besides the cluster's ranges.
	withValues func(t *testing.T, values string)
}

// tenancyObjects are a rendering's objects of the tenancy model: the admission policy,
// its binding and ConfigMap, and the ClusterRoles for users. The policy, its binding
// and its ConfigMap get the install's own suffix: the API server does not always
// enforce a policy deleted and created again under the same names together with its
// parameters (kubernetes/kubernetes#133827), which every test after the first would do.
func tenancyObjects(r rendering, suffix string) (objs []*unstructured.Unstructured, cm *unstructured.Unstructured) {
	for _, o := range r.objects {
		switch {
		case o.GetKind() == "ValidatingAdmissionPolicy", o.GetKind() == "ValidatingAdmissionPolicyBinding":
			objs = append(objs, o)
		case o.GetKind() == "ConfigMap" && strings.HasSuffix(o.GetName(), "tenancy"):
			objs, cm = append(objs, o), o
		case o.GetKind() == "ClusterRole" && isUserRole(o.GetName()):
			objs = append(objs, o)
		}
		testenv.RenameTenancyObject(o, suffix) // after it is told apart by its name
	}
	return objs, cm
}

var userRoleSuffixes = []string{"vendorallowlist-admin", "vendorallowlist-edit", "vendorallowlist-view", "vendorallowlist-custom"}

func isUserRole(name string) bool {
	return slices.ContainsFunc(userRoleSuffixes, func(s string) bool { return strings.HasSuffix(name, s) })
}

// wideValues are the admin's wider limits, as chart values; kustomizeWide the same as
// the ConfigMap's data. For spec.vendors[].cidrs, as for a Vendor object of the
// admin's that takes multicast networks as broad as an IPv6 /24, the chart adds these
// to the built-in catalog's customerCIDRs (private).
const wideValues = `
tenancy:
  minPrefixLength: {ipv4: 8, ipv6: 32}
  maxSpacePrefixLength: {ipv4: 8, ipv6: 16}
  allowRanges: [private, link-local]
  allowClusterDNS: true
  customerCIDRs:
    allowRanges: [multicast]
    minPrefixLength: {ipv6: 24}
guard:
  allowCIDRs: [198.18.0.0/16]
`

var kustomizeWide = map[string]any{
	"tenant-min-prefix-length-ipv4": "8", "tenant-min-prefix-length-ipv6": "32",
	"tenant-max-space-prefix-ipv4": "8", "tenant-max-space-prefix-ipv6": "16",
	"tenant-allow-ranges": "private,link-local", "tenant-allow-cluster-dns": "true",
	"customer-cidrs-allow-ranges": "private,multicast", "customer-cidrs-min-prefix-length-ipv6": "24",
	"guard-allow-cidr": "198.18.0.0/16",
}

func chartTenancy(t *testing.T) tenancyInstall {
	dir := t.TempDir()
	cluster := writeFile(t, dir, "cluster.yaml", []byte(fmt.Sprintf("cluster:\n  podCIDRs: [%s, %q]\n  serviceCIDRs: [%s, %q]\n",
		testClusterCIDRs[0], testClusterCIDRs[1], testClusterCIDRs[2], testClusterCIDRs[3])))
	const ns = "vao-tenancy"
	suffix := testenv.TenancySuffix()
	objs, cm := tenancyObjects(helmTemplate(t, ns, cluster), suffix)
	inst := tenancyInstall{
		name: "helm", objects: objs, configMap: cm, rolePrefix: "vao-vendor-allowlist-operator-",
		withValues: func(t *testing.T, values string) {
			_, cm := tenancyObjects(helmTemplate(t, ns, cluster, writeFile(t, t.TempDir(), "values.yaml", []byte(values))), suffix)
			applyObjects(t, cm)
		},
	}
	inst.widen = func(t *testing.T) { inst.withValues(t, wideValues) }
	return inst
}

func kustomizeTenancy(t *testing.T) tenancyInstall {
	objs, cm := tenancyObjects(distRendering(t), testenv.TenancySuffix())
	// As a kustomize user would: set the cluster's ranges in the ConfigMap.
	if err := unstructured.SetNestedField(cm.Object, strings.Join(testClusterCIDRs, ","), "data", "cluster-cidr"); err != nil {
		t.Fatal(err)
	}
	return tenancyInstall{
		name: "dist/install.yaml", objects: objs, configMap: cm, rolePrefix: "vendor-allowlist-operator-",
		widen: func(t *testing.T) {
			patch, _ := json.Marshal(map[string]any{"data": kustomizeWide})
			if out, err := kubectl(t, "patch", "configmap", cm.GetName(), "-n", cm.GetNamespace(), "--type=merge", "-p", string(patch)); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
		},
	}
}

// applyObjects applies objects to the control plane as its admin (server-side).
func applyObjects(t *testing.T, objs ...*unstructured.Unstructured) {
	t.Helper()
	var docs []string
	for _, o := range objs {
		if ns := o.GetNamespace(); ns != "" {
			ensureNamespace(t, ns)
		}
		js, err := o.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(js))
	}
	file := writeFile(t, t.TempDir(), "objects.json", []byte(strings.Join(docs, "\n")))
	if out, err := kubectl(t, "apply", "--server-side", "--force-conflicts", "--field-manager=install-test", "-f", file); err != nil {
		t.Fatalf("applying: %v\n%s", err, out)
	}
}

// installTenancy applies an install's tenancy objects, waits until its policy checks
// allowlists, and, when the test ends, removes them and waits until no policy does, so
// that the next test starts without one.
func installTenancy(t *testing.T, inst tenancyInstall) {
	t.Helper()
	env, _ := controlPlane(t)
	admin, err := client.New(env.Config, client.Options{Scheme: testenv.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	probe := tenant{user: "admin", namespace: "default", c: admin}
	var policy string
	for _, o := range inst.objects {
		if o.GetKind() == "ValidatingAdmissionPolicy" {
			policy = o.GetName()
		}
	}
	applyObjects(t, inst.objects...)
	t.Cleanup(func() {
		// The binding first: without its ConfigMap, a bound policy refuses everything.
		order := slices.Clone(inst.objects)
		slices.SortStableFunc(order, func(a, b *unstructured.Unstructured) int {
			return boolInt(b.GetKind() == "ValidatingAdmissionPolicyBinding") - boolInt(a.GetKind() == "ValidatingAdmissionPolicyBinding")
		})
		deleteObjects(t, order...)
		eventually(t, "no admission policy after removing "+policy, func() string { return probe.create(t, "probe", vendorCIDRs("10.0.0.0/8")) })
	})
	// Wait for this install's parameters, not only for a policy: the API server takes
	// the ConfigMap from an informer, and a test that installs after another one with
	// the same names (and wider values) must not run its cases against those. The
	// broadest network the policy allows in spec.vendors[].cidrs comes from two keys.
	minPrefix := min(dataInt(t, inst.configMap, "tenant-min-prefix-length-ipv4"), dataInt(t, inst.configMap, "customer-cidrs-min-prefix-length-ipv4"))
	probeNet := fmt.Sprintf("10.0.0.0/%d", minPrefix-1)
	want := fmt.Sprintf("%s is broader than /%d,", probeNet, minPrefix)
	eventually(t, "policy "+policy+" refusing "+probeNet+" at its own limits", func() string {
		if msg := probe.create(t, "probe", vendorCIDRs(probeNet)); !strings.Contains(msg, "'"+policy+"'") || !strings.Contains(msg, want) {
			return fmt.Sprintf("%q", msg)
		}
		return ""
	})
}

// dataInt reads a whole number from the ConfigMap's data; a key that is missing or
// empty is the widest value, so that min() ignores it.
func dataInt(t *testing.T, cm *unstructured.Unstructured, key string) int {
	t.Helper()
	v, _, _ := unstructured.NestedString(cm.Object, "data", key)
	if v == "" {
		return 128
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("ConfigMap %s: %s=%q is not a number: %v", cm.GetName(), key, v, err)
	}
	return n
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func deleteObjects(t *testing.T, objs ...*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		args := []string{"delete", "--ignore-not-found", "--wait=false", strings.ToLower(o.GetKind()) + "." + o.GroupVersionKind().Group, o.GetName()}
		if o.GroupVersionKind().Group == "" {
			args[3] = strings.ToLower(o.GetKind())
		}
		if ns := o.GetNamespace(); ns != "" {
			args = append(args, "-n", ns)
		}
		if out, err := kubectl(t, args...); err != nil {
			t.Errorf("%v\n%s", err, out)
		}
	}
}

// tenant is a user with nothing but the install's vendorallowlist-edit role, bound in
// one namespace, and a client that impersonates them.
type tenant struct {
	user, namespace string
	c               client.Client
}

func newTenant(t *testing.T, inst tenancyInstall, user, namespace string) tenant {
	env, _ := controlPlane(t)
	ensureNamespace(t, namespace)
	bind(t, namespace, user+"-edit", inst.rolePrefix+"vendorallowlist-edit", user)
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: []string{"system:authenticated"}}
	c, err := client.New(cfg, client.Options{Scheme: testenv.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	return tenant{user: user, namespace: namespace, c: c}
}

// bind binds the ClusterRole role to user in namespace.
func bind(t *testing.T, namespace, name, role, user string) {
	t.Helper()
	if out, err := kubectl(t, "create", "rolebinding", name, "-n", namespace, "--clusterrole="+role, "--user="+user); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Cleanup(func() { _, _ = kubectl(t, "delete", "rolebinding", name, "-n", namespace, "--ignore-not-found") })
}

// create asks the API server to create the allowlist as the tenant, without storing it,
// and returns its refusal ("" when admitted).
func (tn tenant) create(t *testing.T, name string, spec v1alpha1.VendorAllowlistSpec) string {
	t.Helper()
	if spec.PodSelector.MatchLabels == nil {
		spec.PodSelector = metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}
	}
	al := &v1alpha1.VendorAllowlist{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: tn.namespace}, Spec: spec}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tn.c.Create(ctx, al, client.DryRunAll); err != nil {
		return err.Error()
	}
	return ""
}

// eventually retries f until it returns "" (success) or a minute has passed: the API
// server takes a policy, its binding and its parameters from informers, a moment after
// they are written.
func eventually(t *testing.T, what string, f func() string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		msg := f()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %s after a minute", what, msg)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func vendorCIDRs(cidrs ...string) v1alpha1.VendorAllowlistSpec {
	return v1alpha1.VendorAllowlistSpec{Vendors: []v1alpha1.VendorSelection{{Name: "outsystems", Endpoints: []v1alpha1.ObjectName{"vpn"}, CIDRs: toCIDRs(cidrs)}}}
}

func customCIDRs(cidrs ...string) v1alpha1.VendorAllowlistSpec {
	return v1alpha1.VendorAllowlistSpec{Custom: []v1alpha1.CustomEntry{{Name: "api", Direction: v1alpha1.DirectionEgress,
		CIDRs: toCIDRs(cidrs), Ports: []v1alpha1.Port{{Port: 443}}}}}
}

func toCIDRs(s []string) []v1alpha1.CIDR {
	out := make([]v1alpha1.CIDR, len(s))
	for i, c := range s {
		out[i] = v1alpha1.CIDR(c)
	}
	return out
}

// A tenancyCase is an allowlist a tenant writes, and what the policy says: every
// string of refused in its message, or admitted when refused is empty.
type tenancyCase struct {
	name    string
	spec    v1alpha1.VendorAllowlistSpec
	refused []string
}

func hostnames(n int) []v1alpha1.Hostname {
	var out []v1alpha1.Hostname
	for i := range n {
		out = append(out, v1alpha1.Hostname(fmt.Sprintf("h%d.example.com", i)))
	}
	return out
}

func slash24s(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("52.1.%d.0/24", i))
	}
	return out
}

// The allowlists of the attacks, and some more, refused at the default limits;
// and what a tenant may supply to a catalog vendor, in spec.vendors[].cidrs, with the
// limits widened by the built-in catalog's customerCIDRs (private, /16, /48: the
// OutSystems VPN group's), admitted.
func defaultLimitCases(cmRef string) []tenancyCase {
	allowPrivate := vendorCIDRs()
	allowPrivate.Vendors[0].Endpoints = []v1alpha1.ObjectName{"front-ends"}
	allowPrivate.Vendors[0].Hostnames = []v1alpha1.Hostname{"env.outsystemsenterprise.com"}
	allowPrivate.Vendors[0].PrivateAddresses = v1alpha1.PrivateAddressesAllow
	clusterDNS := v1alpha1.VendorAllowlistSpec{Vendors: []v1alpha1.VendorSelection{{Name: "workato"}},
		ClusterDNS: &v1alpha1.ClusterDNS{Namespace: "kube-system", PodSelector: &metav1.LabelSelector{}}}
	wildcard := v1alpha1.VendorAllowlistSpec{Vendors: []v1alpha1.VendorSelection{{Name: "outsystems", Endpoints: []v1alpha1.ObjectName{"front-ends"},
		Hostnames: []v1alpha1.Hostname{"*.outsystemsenterprise.com"}, Ports: []v1alpha1.Port{{Port: 443}}}}}
	manyHosts := vendorCIDRs()
	manyHosts.Vendors[0].Endpoints = []v1alpha1.ObjectName{"front-ends"}
	manyHosts.Vendors[0].Hostnames = hostnames(64)
	manyHosts.Vendors = append(manyHosts.Vendors, v1alpha1.VendorSelection{Name: "workato", Hostnames: hostnames(1)})
	vendorsOnly := "neither tenant-allow-ranges nor customer-cidrs-allow-ranges in " + cmRef + " includes "
	return []tenancyCase{
		{"two IPv4 halves", vendorCIDRs("0.0.0.0/1", "128.0.0.0/1"),
			[]string{"spec.vendors[0].cidrs[0]: 0.0.0.0/1 is broader than /24, the broadest IPv4 network a tenant may supply to a vendor " +
				"outside the ranges of customer-cidrs-allow-ranges (private), which alone customer-cidrs-min-prefix-length-ipv4 widens " +
				"(tenant-min-prefix-length-ipv4 in " + cmRef + "): split it into /24 networks or narrower", "1 more networks are too broad"}},
		{"two IPv6 halves", vendorCIDRs("::/1", "8000::/1"),
			[]string{"spec.vendors[0].cidrs[0]: ::/1 is broader than /56, the broadest IPv6 network a tenant may supply to a vendor outside"}},
		{"a /8", vendorCIDRs("52.0.0.0/8"), []string{"spec.vendors[0].cidrs[0]: 52.0.0.0/8 is broader than /24"}},
		{"a public /15", vendorCIDRs("52.2.0.0/15"), []string{"spec.vendors[0].cidrs[0]: 52.2.0.0/15 is broader than /24"}},
		// The attack: the VPN group's customerCIDRs widens private networks only.
		{"a public /16", vendorCIDRs("8.0.0.0/16"), []string{"spec.vendors[0].cidrs[0]: 8.0.0.0/16 is broader than /24, the broadest IPv4 network a tenant may supply to a vendor outside"}},
		{"a public IPv6 /48", vendorCIDRs("2a00:1450::/48"), []string{"spec.vendors[0].cidrs[0]: 2a00:1450::/48 is broader than /56"}},
		{"a private /12", vendorCIDRs("172.16.0.0/12"), []string{"spec.vendors[0].cidrs[0]: 172.16.0.0/12 is broader than /16, the broadest IPv4 network a tenant may supply to a vendor " +
			"(the broader of tenant-min-prefix-length-ipv4 and customer-cidrs-min-prefix-length-ipv4 in " + cmRef + ")",
			"ask your cluster admin to widen customer-cidrs-min-prefix-length-ipv4 in " + cmRef + " to match (with Helm, the value tenancy.customerCIDRs.minPrefixLength.ipv4)"}},
		{"cloud metadata", vendorCIDRs("52.1.37.96/32", "169.254.169.254/32"),
			[]string{"spec.vendors[0].cidrs[1]: 169.254.169.254/32 overlaps 169.254.0.0/16, a link-local range, which tenants may not name (" + vendorsOnly + "link-local)",
				"ask your cluster admin to add link-local to customer-cidrs-allow-ranges in " + cmRef + " (with Helm, the value tenancy.customerCIDRs.allowRanges)"}},
		{"loopback /8", vendorCIDRs("127.0.0.0/8"), []string{"127.0.0.0/8 is broader than /24"}},
		{"loopback /24", vendorCIDRs("127.0.0.0/24"), []string{"spec.vendors[0].cidrs[0]: 127.0.0.0/24 overlaps 127.0.0.0/8, a loopback range, which tenants may not name (" + vendorsOnly + "loopback)"}},
		{"loopback /16", vendorCIDRs("127.0.0.0/16"), []string{"spec.vendors[0].cidrs[0]: 127.0.0.0/16 is broader than /24"}},
		{"loopback", vendorCIDRs("127.0.0.1/32"), []string{"127.0.0.1/32 overlaps 127.0.0.0/8, a loopback range"}},
		{"IPv6 loopback", vendorCIDRs("::1/128"), []string{"::1/128 overlaps ::1/128, a loopback range"}},
		{"customer 10/8", vendorCIDRs("10.0.0.0/8"), []string{"10.0.0.0/8 is broader than /16", "tenancy.customerCIDRs.minPrefixLength.ipv4"}},
		{"customer 172.16/12", vendorCIDRs("172.16.0.0/12"), []string{"172.16.0.0/12 is broader than /16"}},
		{"the OutSystems VPN's private /16", vendorCIDRs("10.20.0.0/16"), nil},
		{"customer private /24, /17 and IPv6 /48", vendorCIDRs("10.1.0.0/24", "192.168.0.0/17", "fd12:3456:789a::/48"), nil},
		{"pod range", vendorCIDRs("10.244.3.0/24"), []string{"10.244.3.0/24 overlaps 10.244.0.0/16, the cluster's own pod or service range, " +
			"which tenants may not name (cluster-cidr in " + cmRef + "; neither tenant-allow-ranges nor customer-cidrs-allow-ranges includes cluster)",
			"ask your cluster admin to add cluster to customer-cidrs-allow-ranges in " + cmRef + " (with Helm, the value tenancy.customerCIDRs.allowRanges)"}},
		{"a /24 of the pod range", vendorCIDRs("10.244.0.0/24"), []string{"10.244.0.0/24 overlaps 10.244.0.0/16, the cluster's own pod or service range"}},
		{"IPv6 service range", vendorCIDRs("fd00:10:96::/120"), []string{"fd00:10:96::/120 overlaps fd00:10:96::/112, the cluster's own pod or service range"}},
		{"metadata through NAT64", vendorCIDRs("64:ff9b::a9fe:a9fe/128"), []string{"64:ff9b::a9fe:a9fe/128 overlaps 64:ff9b::a9fe:0/112, a link-local range"}},
		{"reserved benchmarking", vendorCIDRs("198.18.7.0/24"), []string{"198.18.7.0/24 overlaps 198.18.0.0/15, a reserved range"}},
		{"privateAddresses: Allow", allowPrivate, []string{"spec.vendors[0].privateAddresses: Allow renders the private addresses", "does not include private"}},
		{"clusterDNS", clusterDNS, []string{"spec.clusterDNS: only the cluster admin chooses the pods that allowDNS opens (tenant-allow-cluster-dns is false in " + cmRef + ")"}},
		{"custom entry", customCIDRs("52.1.37.96/32"), []string{"spec.custom: adding or changing a custom entry needs the permission create on vendorallowlists/custom in namespace"}},
		{"a wildcard hostname", wildcard, []string{"spec: wildcard hostnames (*.example.com) in spec.custom[].hostnames or spec.vendors[].hostnames are not allowed (tenant-allow-wildcards is not true in " + cmRef + ")"}},
		{"65 hostnames", manyHosts, []string{"spec: 65 hostnames in spec.custom[].hostnames and spec.vendors[].hostnames, more than 64 (max-hostnames-per-allowlist in " + cmRef + ")"}},
		// Every network counts: public ones toward the tenant's /20, those within
		// customer-cidrs-allow-ranges toward one /16 of their own.
		{"16 /24s and a /16 supplied to a vendor", vendorCIDRs(slices.Concat(slash24s(16), []string{"10.20.0.0/16"})...), nil},
		{"17 /24s supplied to a vendor", vendorCIDRs(slash24s(17)...), []string{"spec: the IPv4 networks in spec.custom[].cidrs and spec.vendors[].cidrs add up to 4352 addresses, more than a /20 holds " +
			"(4096, tenant-max-space-prefix-ipv4 in " + cmRef + "; admission adds the networks up without merging overlaps"}},
		{"two private /16s supplied to a vendor", vendorCIDRs("10.20.0.0/16", "10.21.0.0/16"), []string{"spec: the IPv4 networks in spec.vendors[].cidrs within customer-cidrs-allow-ranges (private) " +
			"add up to 131072 addresses, more than a /16 holds (65536, the broader of customer-cidrs-min-prefix-length-ipv4 and tenant-max-space-prefix-ipv4 in " + cmRef}},
		{"two private IPv6 /48s supplied to a vendor", vendorCIDRs("fd12:3456:789a::/48", "fd12:3456:789b::/48"), []string{"spec: the IPv6 networks in spec.vendors[].cidrs within customer-cidrs-allow-ranges (private) " +
			"add up to more addresses than a /48 holds"}},
		{"a catalog vendor", v1alpha1.VendorAllowlistSpec{Vendors: []v1alpha1.VendorSelection{{Name: "workato", Endpoints: []v1alpha1.ObjectName{"opa-gateways"}}}}, nil},
		{"public networks", vendorCIDRs(slices.Concat(slash24s(16), []string{"2a00:1450:4001::/56"})...), nil},
		{"public IPv6 networks", vendorCIDRs("2a00:1450:4001::/56", "2a00:1450:4002::/56"), nil},
	}
}

// What a tenant with the custom role may write in spec.custom at the default limits:
// the tenant limits alone. The built-in catalog's customerCIDRs widen spec.vendors[].cidrs
// only, and spec.custom and the public networks of spec.vendors share one total space.
func customDefaultCases(cmRef string) []tenancyCase {
	vpnAndCustom := customCIDRs(slash24s(16)...)
	vpnAndCustom.Vendors = vendorCIDRs("10.20.0.0/16").Vendors
	customPlusVendor24 := customCIDRs(slash24s(16)...)
	customPlusVendor24.Vendors = vendorCIDRs("52.2.0.0/24").Vendors
	sameInBoth := customCIDRs("10.20.0.0/16")
	sameInBoth.Vendors = vendorCIDRs("10.20.0.0/16").Vendors
	return []tenancyCase{
		{"custom public networks", customCIDRs("52.1.37.0/24", "2a00:1450:4001::/56"), nil},
		{"custom private /24", customCIDRs("10.1.0.0/24"), []string{"spec.custom[0].cidrs[0]: 10.1.0.0/24 overlaps 10.0.0.0/8, a private range, which tenants may not name " +
			"(tenant-allow-ranges in " + cmRef + " does not include private): remove it, or ask your cluster admin to publish the vendor as a Vendor object"}},
		{"custom IPv6 private /56", customCIDRs("fd12:3456:789a::/56"), []string{"fd12:3456:789a::/56 overlaps fc00::/7, a private range"}},
		{"custom public /23", customCIDRs("52.1.36.0/23"), []string{"spec.custom[0].cidrs[0]: 52.1.36.0/23 is broader than /24, the broadest IPv4 network a tenant may name " +
			"(tenant-min-prefix-length-ipv4 in " + cmRef + ")"}},
		{"custom pod range", customCIDRs("10.244.3.0/24"), []string{"10.244.3.0/24 overlaps 10.0.0.0/8, a private range"}},
		{"the VPN's /16 in spec.custom", sameInBoth, []string{"spec.custom[0].cidrs[0]: 10.20.0.0/16 is broader than /24, the broadest IPv4 network a tenant may name"}},
		{"17 custom /24s", customCIDRs(slash24s(17)...), []string{"spec: the IPv4 networks in spec.custom[].cidrs and spec.vendors[].cidrs add up to 4352 addresses, more than a /20 holds " +
			"(4096, tenant-max-space-prefix-ipv4 in " + cmRef + "; admission adds the networks up without merging overlaps"}},
		{"16 custom /24s beside the VPN's /16", vpnAndCustom, nil},
		{"16 custom /24s beside a public /24 supplied to a vendor", customPlusVendor24, []string{"spec: the IPv4 networks in spec.custom[].cidrs and spec.vendors[].cidrs add up to 4352 addresses"}},
	}
}

// After the admin widened the limits (wideValues), the allowed subset passes.
func wideLimitCases() []tenancyCase {
	allowPrivate := vendorCIDRs()
	allowPrivate.Vendors[0].Endpoints = []v1alpha1.ObjectName{"front-ends"}
	allowPrivate.Vendors[0].Hostnames = []v1alpha1.Hostname{"env.outsystemsenterprise.com"}
	allowPrivate.Vendors[0].PrivateAddresses = v1alpha1.PrivateAddressesAllow
	clusterDNS := v1alpha1.VendorAllowlistSpec{Vendors: []v1alpha1.VendorSelection{{Name: "workato"}},
		ClusterDNS: &v1alpha1.ClusterDNS{Namespace: "kube-system", PodSelector: &metav1.LabelSelector{}}}
	return []tenancyCase{
		{"two IPv4 halves", vendorCIDRs("0.0.0.0/1", "128.0.0.0/1"), []string{"0.0.0.0/1 is broader than /8"}},
		{"customer 10/8, around the pod range", vendorCIDRs("10.0.0.0/8"), []string{"10.0.0.0/8 overlaps 10.244.0.0/16, the cluster's own pod or service range"}},
		{"customer 10.1/16", vendorCIDRs("10.1.0.0/16"), nil},
		{"customer 10/12", vendorCIDRs("10.0.0.0/12"), nil},
		{"cloud metadata", vendorCIDRs("169.254.169.254/32"), nil},
		{"metadata through NAT64", vendorCIDRs("64:ff9b::a9fe:a9fe/128"), nil},
		{"loopback", vendorCIDRs("127.0.0.1/32"), []string{"127.0.0.1/32 overlaps 127.0.0.0/8, a loopback range"}},
		{"pod range", vendorCIDRs("10.244.3.0/24"), []string{"10.244.3.0/24 overlaps 10.244.0.0/16, the cluster's own pod or service range, which tenants may not name (cluster-cidr in"}},
		{"the pod range through NAT64", vendorCIDRs("64:ff9b::af4:300/120"), []string{"64:ff9b::af4:300/120 overlaps 64:ff9b::af4:0/112, the cluster's own pod or service range"}},
		{"the service range through 6to4", vendorCIDRs("2002:a60::/32"), []string{"the cluster's own pod or service range"}},
		{"IPv6 service range", vendorCIDRs("fd00:10:96::/120"), []string{"fd00:10:96::/120 overlaps fd00:10:96::/112, the cluster's own pod or service range"}},
		{"a private /24 beside the pod range", vendorCIDRs("10.245.0.0/24"), nil},
		{"benchmarking within guard-allow-cidr", vendorCIDRs("198.18.7.0/24"), nil},
		{"benchmarking outside guard-allow-cidr", vendorCIDRs("198.19.7.0/24"), []string{"198.19.7.0/24 overlaps 198.18.0.0/15, a reserved range"}},
		{"IPv6 multicast /24 supplied to a vendor", vendorCIDRs("ff0e::/24"), nil},
		{"IPv6 /20 supplied to a vendor", vendorCIDRs("2a00::/20"), []string{"2a00::/20 is broader than /32, the broadest IPv6 network a tenant may supply to a vendor outside the ranges of customer-cidrs-allow-ranges (private, multicast)"}},
		{"IPv4 multicast supplied to a vendor", vendorCIDRs("224.1.0.0/16"), nil},
		{"privateAddresses: Allow", allowPrivate, nil},
		{"clusterDNS", clusterDNS, nil},
		{"custom entry", customCIDRs("52.1.37.96/32"), []string{"spec.custom: adding or changing a custom entry needs the permission"}},
	}
}

func checkCases(t *testing.T, tn tenant, cases []tenancyCase) {
	t.Helper()
	for i, c := range cases {
		got := tn.create(t, fmt.Sprintf("case-%d", i), c.spec)
		switch {
		case len(c.refused) == 0 && got != "":
			t.Errorf("%s: refused, want admitted: %s", c.name, got)
		case len(c.refused) > 0 && got == "":
			t.Errorf("%s: admitted, want refused saying %q", c.name, c.refused)
		case len(c.refused) > 0:
			for _, want := range c.refused {
				if !strings.Contains(got, want) {
					t.Errorf("%s: refused, but the message does not say %q:\n%s", c.name, want, got)
				}
			}
			if !strings.Contains(got, "ValidatingAdmissionPolicy") {
				t.Errorf("%s: refused, but not by the admission policy: %s", c.name, got)
			}
		}
	}
}

// TestAdmissionPolicyHoldsTenantsToLimits installs the chart's and dist/install.yaml's
// admission policy, ConfigMap and user roles on the real API server, and writes
// allowlists as a tenant: a user with nothing but the install's vendorallowlist-edit
// role in one namespace, impersonated. At the default limits the policy refuses, with a
// message naming the field, the limit and the fix, each of the attacks (two
// /1 halves, a /8, link-local, loopback, the cluster's ranges, privateAddresses: Allow,
// clusterDNS, a custom entry without the pseudo-permission) and admits catalog vendors,
// public networks, and the private networks as broad as a /16 that the built-in
// catalog's customerCIDRs let a tenant supply to a vendor (the OutSystems VPN's
// 10.20.0.0/16); a tenant with the custom role may not name those in spec.custom, which
// keeps the plain limits. After the admin widens the limits, the allowed subset passes
// and the rest is still refused; bound the vendorallowlist-custom role, the tenant may
// write spec.custom. kubectl auth can-i answers for the tenant as docs/security.md says.
func TestAdmissionPolicyHoldsTenantsToLimits(t *testing.T) {
	controlPlane(t)
	for i, inst := range []func(*testing.T) tenancyInstall{chartTenancy, kustomizeTenancy} {
		inst := inst(t)
		t.Run(inst.name, func(t *testing.T) {
			installTenancy(t, inst)
			cmRef := "ConfigMap " + inst.configMap.GetNamespace() + "/" + inst.configMap.GetName()
			alice := newTenant(t, inst, "tenant-alice", fmt.Sprintf("tenancy-%d", i))

			checkCanI(t, alice, inst, map[string]bool{
				"create vendorallowlists.networking.vendorallowlist.io":                      true,
				"delete vendorallowlists.networking.vendorallowlist.io":                      true,
				"patch vendorallowlists.networking.vendorallowlist.io --subresource=status":  false,
				"update vendorallowlists.networking.vendorallowlist.io --subresource=status": false,
				"create vendorallowlists.networking.vendorallowlist.io --subresource=custom": false,
				"create networkpolicies.networking.k8s.io":                                   false,
				"create vendors.networking.vendorallowlist.io":                               false,
				"update vendors.networking.vendorallowlist.io":                               false,
			})
			checkCases(t, alice, defaultLimitCases(cmRef))
			// docs/security.md's dry run, as the tenant, is refused with the message.
			out, err := kubectl(t, "apply", "--dry-run=server", "--as", alice.user, "-n", alice.namespace, "-f", writeFile(t, t.TempDir(), "probe.yaml", docProbe(t)))
			if err == nil || !strings.Contains(err.Error(), "169.254.169.254/32 overlaps 169.254.0.0/16, a link-local range") {
				t.Errorf("docs/security.md's dry run: %v\n%s", err, out)
			}
			bob := newTenant(t, inst, "tenant-bob", alice.namespace)
			bind(t, bob.namespace, "tenant-bob-custom", inst.rolePrefix+"vendorallowlist-custom", bob.user)
			eventually(t, "spec.custom admitted with the custom role", func() string { return bob.create(t, "custom", customCIDRs("52.1.37.96/32")) })
			checkCases(t, bob, customDefaultCases(cmRef))

			inst.widen(t)
			eventually(t, "the wider limits admitting 10.0.0.0/12", func() string { return alice.create(t, "probe", vendorCIDRs("10.0.0.0/12")) })
			checkCases(t, alice, wideLimitCases())

			bind(t, alice.namespace, "tenant-alice-custom", inst.rolePrefix+"vendorallowlist-custom", alice.user)
			checkCanI(t, alice, inst, map[string]bool{"create vendorallowlists.networking.vendorallowlist.io --subresource=custom": true})
			eventually(t, "spec.custom admitted with the custom role", func() string { return alice.create(t, "custom", customCIDRs("52.1.37.96/32")) })
			checkCases(t, alice, []tenancyCase{
				{"custom private entry", customCIDRs("10.1.0.0/24"), nil},
				{"custom loopback entry", customCIDRs("127.0.0.1/32"), []string{"spec.custom[0].cidrs[0]: 127.0.0.1/32 overlaps 127.0.0.0/8, a loopback range"}},
			})
			// docs/install.md's commands for alice, who now has both roles, answer as it says.
			checkDocCanI(t, alice, inst)
		})
	}
}

// checkCanI runs `kubectl auth can-i VERB RESOURCE [--subresource=...] -n NS --as USER`,
// the commands docs/security.md gives, and compares the answers.
func checkCanI(t *testing.T, tn tenant, inst tenancyInstall, want map[string]bool) {
	t.Helper()
	for q, allowed := range want {
		args := append([]string{"auth", "can-i"}, strings.Fields(q)...)
		args = append(args, "-n", tn.namespace, "--as", tn.user)
		out, err := kubectl(t, args...)
		got := strings.TrimSpace(string(out))
		if (got == "yes") != allowed || (got != "yes" && got != "no") || (err == nil) != allowed {
			t.Errorf("%s: kubectl auth can-i %s -n %s --as %s says %q (%v), want %v", inst.name, q, tn.namespace, tn.user, got, err, allowed)
		}
	}
}

// largest returns the largest allowlist the CRD allows: 32 custom entries of 256
// networks and 32 vendor selections of 64, each network made by addr from a counter.
func largest(addr func(i int) string) v1alpha1.VendorAllowlistSpec {
	var spec v1alpha1.VendorAllowlistSpec
	n := 0
	for i := range 32 {
		var cidrs []string
		for range 256 {
			cidrs, n = append(cidrs, addr(n)), n+1
		}
		spec.Custom = append(spec.Custom, v1alpha1.CustomEntry{Name: v1alpha1.ObjectName(fmt.Sprintf("c%d", i)),
			Direction: v1alpha1.DirectionEgress, CIDRs: toCIDRs(cidrs), AllPorts: true})
	}
	for i := range 32 {
		var cidrs []string
		for range 64 {
			cidrs, n = append(cidrs, addr(n)), n+1
		}
		spec.Vendors = append(spec.Vendors, v1alpha1.VendorSelection{Name: v1alpha1.ObjectName(fmt.Sprintf("v%d", i)), CIDRs: toCIDRs(cidrs)})
	}
	return spec
}

// TestAdmissionPolicyCostOfTheLargestAllowlist: the largest allowlist the CRD allows
// (10,240 networks) is checked in full within kube-apiserver's CEL cost limits (a
// million per expression, ten million per evaluation), IPv4 and IPv6: the refusal is
// the policy's own message about the total space of the 10,240 networks, which
// comes after the checks of every network, not a cost error; with the space limit
// raised, it is admitted. Networks
// packed into the one /16 of IPv6 where the guard has the most ranges (NAT64) cost more
// than the limit: the policy then refuses, it does not admit.
func TestAdmissionPolicyCostOfTheLargestAllowlist(t *testing.T) {
	controlPlane(t)
	inst := chartTenancy(t)
	installTenancy(t, inst)
	carol := newTenant(t, inst, "tenant-carol", "tenancy-cost")
	bind(t, carol.namespace, "tenant-carol-custom", inst.rolePrefix+"vendorallowlist-custom", carol.user)

	v4 := largest(func(i int) string { return fmt.Sprintf("52.%d.%d.%d/32", i>>16, (i>>8)&255, i&255) })
	v6 := largest(func(i int) string { return fmt.Sprintf("2a00:1450::%x/128", i+1) })
	nat64 := largest(func(i int) string { return fmt.Sprintf("64:ff9b::3400:%x/128", i+1) })
	eventually(t, "the largest IPv4 allowlist refused for its total space", func() string {
		msg := carol.create(t, "largest-v4", v4)
		if strings.Contains(msg, "spec.custom[].cidrs and spec.vendors[].cidrs add up to 10240 addresses, more than a /20 holds") {
			return ""
		}
		return fmt.Sprintf("%.300q", msg)
	})
	start := time.Now()
	if msg := carol.create(t, "largest-v6", v6); msg != "" {
		t.Errorf("the largest IPv6 allowlist (10,240 public /128s) is refused: %.500s", msg)
	}
	t.Logf("the largest IPv6 allowlist admitted in %v", time.Since(start).Round(time.Millisecond))
	msg := carol.create(t, "largest-nat64", nat64)
	if msg == "" {
		t.Error("10,240 NAT64 networks admitted; want refused (their check costs more than the API server allows)")
	}
	t.Logf("10,240 NAT64 networks: %.400s", msg)

	inst.widen(t)
	eventually(t, "the largest IPv4 allowlist admitted with a /8 of space", func() string {
		return fmt.Sprintf("%.300s", carol.create(t, "largest-v4", v4))
	})
}

// TestAdmissionPolicyAgreesWithReference: for networks in, around and across every
// range of the guard and the cluster, the policy refuses exactly those that overlap a
// range tenants may not name, as worked out here in Go (net/netip) from the guard's
// ranges, the cluster's and their IPv4-embedding IPv6 forms: in spec.custom at the
// default limits (public only); supplied to a vendor at the default limits (and the
// built-in catalog's customerCIDRs: private too); and supplied to a vendor with the
// wider limits (private, link-local, multicast, and an exception in guard-allow-cidr).
func TestAdmissionPolicyAgreesWithReference(t *testing.T) {
	controlPlane(t)
	inst := chartTenancy(t)
	installTenancy(t, inst)
	dave := newTenant(t, inst, "tenant-dave", "tenancy-reference")
	bind(t, dave.namespace, "tenant-dave-custom", inst.rolePrefix+"vendorallowlist-custom", dave.user)
	entries, err := admission.Entries()
	if err != nil {
		t.Fatal(err)
	}
	var cluster []netip.Prefix
	for _, c := range testClusterCIDRs {
		p := netip.MustParsePrefix(c)
		cluster = append(cluster, p)
		for _, img := range guard.IPv4Images(p) {
			if !img.Addr().Is4In6() { // the CRD refuses IPv4-mapped networks
				cluster = append(cluster, img)
			}
		}
	}
	probes := referenceProbes(entries, cluster)
	check := func(spec func(...string) v1alpha1.VendorAllowlistSpec, allowed map[string]bool, guardAllow []netip.Prefix) {
		mismatches := 0
		for i, p := range probes {
			want := ""
			for _, e := range entries {
				if !allowed[e.Category] && e.Prefix.Overlaps(p) && !slices.ContainsFunc(guardAllow, func(a netip.Prefix) bool {
					inner := p
					if e.Prefix.Bits() >= p.Bits() {
						inner = e.Prefix
					}
					return a.Contains(inner.Addr()) && a.Bits() <= inner.Bits()
				}) {
					want = e.String()
					break
				}
			}
			for _, c := range cluster {
				if want == "" && c.Overlaps(p) {
					want = c.String() + " cluster"
				}
			}
			got := dave.create(t, fmt.Sprintf("ref-%d", i), spec(p.String()))
			if (got == "") != (want == "") {
				mismatches++
				t.Errorf("%v: the policy says %q, the reference says it overlaps %q", p, got, want)
			}
		}
		t.Logf("%d networks checked against the reference (allowed %v), %d mismatches", len(probes), slices.Sorted(mapsKeys(allowed)), mismatches)
	}
	eventually(t, "spec.custom admitted with the custom role", func() string { return dave.create(t, "probe", customCIDRs("52.1.37.96/32")) })
	check(customCIDRs, nil, nil)
	check(vendorCIDRs, map[string]bool{"private": true}, nil)
	checkWidening(t, dave)
	inst.widen(t)
	eventually(t, "the wider limits admitting 10.0.0.0/12", func() string { return dave.create(t, "probe", vendorCIDRs("10.0.0.0/12")) })
	check(vendorCIDRs, map[string]bool{"private": true, "link-local": true, "multicast": true}, []netip.Prefix{netip.MustParsePrefix("198.18.0.0/16")})
}

// checkWidening: networks broader than the tenant's /24 and /56, supplied to the
// OutSystems VPN group, are admitted exactly when the manager renders them at the
// default limits (tenancy.Limits.For with the group's customerCIDRs, from the built-in
// catalog): a /16 of every public /8 is refused, and only what lies within a private
// range, as broad as a /16 or /48, passes.
func checkWidening(t *testing.T, tn tenant) {
	t.Helper()
	vendor, _ := catalog.Builtin().Get("outsystems")
	var vpn *v1alpha1.CustomerCIDRPolicy
	for _, g := range vendor.Spec.Endpoints {
		if g.Name == "vpn" {
			vpn = g.CustomerCIDRs
		}
	}
	if vpn == nil {
		t.Fatal("the built-in catalog's outsystems/vpn has no customerCIDRs")
	}
	var gd guard.Guard
	for _, c := range testClusterCIDRs {
		gd.Cluster = append(gd.Cluster, netip.MustParsePrefix(c))
	}
	var probes []netip.Prefix
	for octet := 1; octet < 224; octet++ {
		probes = append(probes, netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(octet)}), 16))
	}
	for _, s := range []string{"10.20.0.0/16", "10.0.0.0/8", "10.0.0.0/12", "10.244.0.0/16", "100.64.0.0/10", "100.64.0.0/16", "100.128.0.0/16",
		"172.16.0.0/12", "172.31.0.0/16", "172.32.0.0/16", "192.168.0.0/16", "192.168.0.0/17", "192.169.0.0/16", "169.254.0.0/16", "198.18.0.0/16",
		"fd12:3456:789a::/48", "fc00::/48", "fd00:10:244::/48", "fe00::/48", "2a00:1450::/48", "2001:4860::/48", "64:ff9b::a00:0/104",
		"64:ff9b::a14:0/112", "2002:a14::/32", "2002:a14::/48"} {
		probes = append(probes, netip.MustParsePrefix(s))
	}
	mismatches := 0
	for i, p := range probes {
		l, wide := tenancy.Defaults().For(gd, p, vpn)
		why := l.CheckCIDR(gd, p)
		if why == "" && wide {
			cs := tenancy.Defaults().CustomerSpace()
			cs.Add("outsystems/vpn", vpn)
			why = cs.Check([]netip.Prefix{p})
		} else if why == "" {
			why = l.CheckSpace([]netip.Prefix{p})
		}
		got := tn.create(t, fmt.Sprintf("widen-%d", i), vendorCIDRs(p.String()))
		if (got == "") != (why == "") {
			mismatches++
			t.Errorf("%v supplied to outsystems/vpn: the policy says %q, the manager %q", p, got, why)
		}
	}
	t.Logf("%d networks supplied to outsystems/vpn checked against the manager's limits, %d mismatches", len(probes), mismatches)
}

func mapsKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// referenceProbes are tenant networks (of /24 or /56 and longer, which the default
// limits allow) at the edges of every range: its first and last address, the addresses
// just outside, and the range itself or a part of it.
func referenceProbes(entries []admission.Entry, cluster []netip.Prefix) []netip.Prefix {
	seen := map[netip.Prefix]bool{}
	var out []netip.Prefix
	add := func(p netip.Prefix) {
		p = p.Masked()
		if !p.IsValid() || p.Addr().Is4In6() || seen[p] {
			return
		}
		seen[p] = true
		out = append(out, p)
	}
	ranges := slices.Clone(cluster)
	for _, e := range entries {
		ranges = append(ranges, e.Prefix)
	}
	for _, r := range ranges {
		a := r.Addr()
		host := a.BitLen()
		widest := 24
		if a.Is6() {
			widest = 56
		}
		last := lastAddress(r)
		add(netip.PrefixFrom(a, host))
		add(netip.PrefixFrom(last, host))
		if prev := a.Prev(); prev.IsValid() && prev.Is4() == a.Is4() {
			add(netip.PrefixFrom(prev, host))
		}
		if next := last.Next(); next.IsValid() && next.Is4() == a.Is4() {
			add(netip.PrefixFrom(next, host))
		}
		add(netip.PrefixFrom(a, max(r.Bits(), widest)))
		add(netip.PrefixFrom(last, max(r.Bits(), widest)))
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	return out
}

func lastAddress(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// docProbe is the allowlist of docs/security.md's dry run.
func docProbe(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "docs", "security.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	start := strings.Index(doc, "<<'YAML'\n")
	end := strings.Index(doc, "\nYAML\n")
	if start < 0 || end < start {
		t.Fatal("docs/security.md has no dry run (<<'YAML' ... YAML)")
	}
	return []byte(doc[start+len("<<'YAML'\n") : end])
}

// checkDocCanI runs docs/install.md's `kubectl auth can-i ... --as alice  # yes|no`
// lines for the tenant, and compares each answer with the line's comment.
func checkDocCanI(t *testing.T, tn tenant, inst tenancyInstall) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "docs", "install.md"))
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`(?m)^kubectl auth can-i (.+?)( -n integrations)? --as alice\s+# (yes|no)$`)
	matches := line.FindAllStringSubmatch(string(data), -1)
	if len(matches) < 5 {
		t.Fatalf("docs/install.md has %d `kubectl auth can-i ... --as alice  # yes|no` lines, want 5 or more", len(matches))
	}
	for _, m := range matches {
		args := append([]string{"auth", "can-i"}, strings.Fields(m[1])...)
		if m[2] != "" {
			args = append(args, "-n", tn.namespace)
		}
		args = append(args, "--as", tn.user)
		out, _ := kubectl(t, args...)
		if got := strings.TrimSpace(string(out)); got != m[3] {
			t.Errorf("%s: docs/install.md says `kubectl auth can-i %s` answers %s, it answers %q", inst.name, m[1], m[3], got)
		}
	}
}

// TestAdmissionPolicyOnUpdate: an update is checked when it writes the spec. An
// allowlist written before the policy (beyond the limits) can still be labelled, but
// not edited without fixing it; spec.custom needs the custom role only to add or change
// an entry, not to edit the rest of an allowlist that has one, nor to remove entries.
func TestAdmissionPolicyOnUpdate(t *testing.T) {
	env, _ := controlPlane(t)
	inst := chartTenancy(t)
	const ns = "tenancy-update"
	ensureNamespace(t, ns)
	admin, err := client.New(env.Config, client.Options{Scheme: testenv.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Written by the admin before the policy is installed.
	old := &v1alpha1.VendorAllowlist{ObjectMeta: metav1.ObjectMeta{Name: "before-the-policy", Namespace: ns}, Spec: vendorCIDRs("10.0.0.0/8")}
	old.Spec.PodSelector = metav1.LabelSelector{MatchLabels: map[string]string{"app": "vpn"}}
	shared := &v1alpha1.VendorAllowlist{ObjectMeta: metav1.ObjectMeta{Name: "with-custom", Namespace: ns}, Spec: customCIDRs("52.1.37.96/32")}
	shared.Spec.PodSelector = metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}}
	shared.Spec.Vendors = []v1alpha1.VendorSelection{{Name: "workato", Endpoints: []v1alpha1.ObjectName{"opa-gateways"}}}
	for _, al := range []*v1alpha1.VendorAllowlist{old, shared} {
		if err := admin.Create(ctx, al); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = admin.Delete(ctx, al) })
	}

	installTenancy(t, inst)
	alice := newTenant(t, inst, "tenant-erin", ns)

	update := func(name string, edit func(*v1alpha1.VendorAllowlist)) string {
		var al v1alpha1.VendorAllowlist
		if err := alice.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &al); err != nil {
			t.Fatal(err)
		}
		edit(&al)
		if err := alice.c.Update(ctx, &al, client.DryRunAll); err != nil {
			return err.Error()
		}
		return ""
	}
	cases := []struct {
		name, allowlist string
		edit            func(*v1alpha1.VendorAllowlist)
		refused         string
	}{
		{"label an allowlist beyond the limits", old.Name, func(al *v1alpha1.VendorAllowlist) { al.Labels = map[string]string{"team": "payments"} }, ""},
		{"edit its spec", old.Name, func(al *v1alpha1.VendorAllowlist) { al.Spec.PodSelector.MatchLabels["app"] = "vpn-2" },
			"spec.vendors[0].cidrs[0]: 10.0.0.0/8 is broader than /16"},
		{"fix it", old.Name, func(al *v1alpha1.VendorAllowlist) { al.Spec.Vendors[0].CIDRs = toCIDRs([]string{"52.1.38.0/24"}) }, ""},
		{"edit the vendors beside a custom entry", shared.Name, func(al *v1alpha1.VendorAllowlist) {
			al.Spec.Vendors = append(al.Spec.Vendors, v1alpha1.VendorSelection{Name: "freshchat", Regions: []v1alpha1.Region{"EU"}})
		}, ""},
		{"change the custom entry", shared.Name, func(al *v1alpha1.VendorAllowlist) { al.Spec.Custom[0].Ports[0].Port = 8443 },
			"spec.custom: adding or changing a custom entry needs the permission create on vendorallowlists/custom in namespace " + ns + ", which tenant-erin does not have"},
		{"add a custom entry", shared.Name, func(al *v1alpha1.VendorAllowlist) {
			al.Spec.Custom = append(al.Spec.Custom, customCIDRs("52.1.39.0/24").Custom[0])
			al.Spec.Custom[1].Name = "more"
		}, "spec.custom: adding or changing a custom entry"},
		{"remove the custom entry", shared.Name, func(al *v1alpha1.VendorAllowlist) { al.Spec.Custom = nil }, ""},
	}
	for _, c := range cases {
		got := update(c.allowlist, c.edit)
		switch {
		case c.refused == "" && got != "":
			t.Errorf("%s: refused, want admitted: %s", c.name, got)
		case c.refused != "" && !strings.Contains(got, c.refused):
			t.Errorf("%s: %q, want refused saying %q", c.name, got, c.refused)
		}
	}
}
