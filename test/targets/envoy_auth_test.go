/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package targets

import (
	"bytes"
	"context"
	"crypto/sha1" //nolint:gosec // htpasswd's {SHA} form, which Envoy Gateway reads
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/thirdpartycrds"
)

// allowAllowlistsAnnotation is how a Gateway's or a route's owner consents to
// allowlists attaching to it.
const allowAllowlistsAnnotation = v1alpha1.AllowAllowlistsAnnotation

// platformOwner is the field manager of what the platform team writes.
const platformOwner = "platform-team"

// TestEnvoyGatewayKeepsPlatformAuthentication: the platform asks for basic auth on
// every route of its Gateway with a Gateway-wide SecurityPolicy. A tenant (bound only
// to the shipped edit role) lists an HTTPRoute of that Gateway as its allowlist's
// Envoy Gateway target, and the operator writes a SecurityPolicy for the route.
// Envoy Gateway applies one SecurityPolicy to a route, the most specific, so a
// route-level policy of authorization alone would switch the platform's basic auth
// off on that route. Fed to Envoy Gateway's own translator (egctl x translate, at
// the version whose CRD the tests install), what the API server holds shows the
// route with both the basic auth and the address filter, and the operator's policy
// merged into the platform's. The same policy without mergeType (as the operator
// wrote it before) loses the basic auth: the check can fail.
func TestEnvoyGatewayKeepsPlatformAuthentication(t *testing.T) {
	egctl := egctlPath(t)
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, "envoy-auth")
	startManager(t, ns)
	tenancy := testenv.InstallShippedTenancy(t, env.Config, k8s)
	mallory := tenancy.Tenant(t, ns, "mallory")

	p := createPlatform(t, ns, "partner")
	al := tenantAllowlist(t, ns, "partner",
		v1alpha1.IngressTarget{EnvoyGateway: &v1alpha1.EnvoyGatewayTarget{TargetRef: v1alpha1.EnvoyGatewayTargetRef{Kind: "HTTPRoute", Name: "web"}}},
		v1alpha1.IngressTarget{EnvoyGateway: &v1alpha1.EnvoyGatewayTarget{TargetRef: v1alpha1.EnvoyGatewayTargetRef{Kind: "TCPRoute", Name: "db"}}})
	g.Expect(mallory.Create(ctx, al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)
	waitReady(t, key, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	var cidrs []string
	g.Eventually(func(g Gomega) {
		st := targetStatus(g, key, "SecurityPolicy", "partner-httproute-web")
		g.Expect(st.State).To(Equal(v1alpha1.IngressTargetApplied), st.Message)
		cidrs = ingressCIDRs(g, ns, "partner")
		sp := getUnstructured(g, render.TargetEnvoyGateway, ns, "partner-httproute-web")
		rules, _, _ := unstructured.NestedSlice(sp.Object, "spec", "authorization", "rules")
		g.Expect(rules).To(HaveLen(1))
		got, _, _ := unstructured.NestedStringSlice(rules[0].(map[string]any), "principal", "clientCIDRs")
		g.Expect(sorted(got)).To(Equal(cidrs))
	}, timeout, poll).Should(Succeed())

	g.Eventually(func(g Gomega) {
		st := targetStatus(g, key, "SecurityPolicy", "partner-tcproute-db")
		g.Expect(st.State).To(Equal(v1alpha1.IngressTargetApplied), st.Message)
	}, timeout, poll).Should(Succeed())

	// Everything as the API server holds it, the operator's policies included.
	objs := p.read(t)
	operatorPolicy := readBack(t, render.SecurityPolicyKind, ns, "partner-httproute-web")
	tcpPolicy := readBack(t, render.SecurityPolicyKind, ns, "partner-tcproute-db")
	objs = append(objs, tcpPolicy)

	out := translate(t, egctl, append(objs, operatorPolicy))
	route := out.route(t, ns, "web")
	g.Expect(route.filters).To(ContainElement(HavePrefix("envoy.filters.http.basic_auth/")),
		"the route lost the platform's basic auth; its filters: %v", route.filters)
	g.Expect(route.filters).To(ContainElement(HavePrefix("envoy.filters.http.rbac")),
		"the route has no address filter; its filters: %v", route.filters)
	g.Expect(route.rbacCIDRs).To(ConsistOf(cidrs), "the address filter's ranges")
	g.Expect(out.policyConditions(ns, "partner-httproute-web")).To(ContainElement(
		SatisfyAll(HaveField("Type", "Merged"), HaveField("Status", metav1.ConditionTrue), HaveField("Message", ContainSubstring(ns+"/platform-auth")))),
		"Envoy Gateway's status of the operator's policy")
	// The platform's policy still holds on the Gateway's other route.
	g.Expect(out.route(t, ns, "other").filters).To(ContainElement(HavePrefix("envoy.filters.http.basic_auth/")))

	// The TCPRoute's policy, unmerged, is accepted and filters the TCP listener with
	// the allowlist's ranges. Merged, Envoy Gateway would refuse it whole (it allows
	// only authorization on TCP, and the Gateway's policy has basic auth).
	g.Expect(out.policyConditions(ns, "partner-tcproute-db")).To(ContainElement(
		SatisfyAll(HaveField("Type", "Accepted"), HaveField("Status", metav1.ConditionTrue))))
	g.Expect(out.policyConditions(ns, "partner-tcproute-db")).NotTo(ContainElement(
		SatisfyAll(HaveField("Type", "Accepted"), HaveField("Status", metav1.ConditionFalse))))
	g.Expect(out.networkRBACCIDRs()).To(ConsistOf(cidrs), "the TCP listener's address filter")
	mergedTCP := tcpPolicy.DeepCopy()
	g.Expect(unstructured.SetNestedField(mergedTCP.Object, render.EnvoyMergeType, "spec", "mergeType")).To(Succeed())
	refused := translate(t, egctl, append(slices.Clone(objs[:len(objs)-1]), operatorPolicy, mergedTCP))
	g.Expect(refused.policyConditions(ns, "partner-tcproute-db")).To(ContainElement(
		SatisfyAll(HaveField("Type", "Accepted"), HaveField("Status", metav1.ConditionFalse), HaveField("Message", ContainSubstring("Only authorization is supported for TCP")))))
	g.Expect(refused.networkRBACCIDRs()).To(BeEmpty())

	// What the merge cannot keep: a Gateway policy's own authorization rules, which
	// the route's replace on the route. The operator writes no policy there
	// (TestEnvoyGatewayNeverSwitchesOffAnotherPolicy).
	withRules := slices.Clone(objs)
	for i, o := range withRules {
		if o.GetKind() == "SecurityPolicy" && o.GetName() == "platform-auth" {
			o = o.DeepCopy()
			g.Expect(unstructured.SetNestedField(o.Object, platformAuthorization(), "spec", "authorization")).To(Succeed())
			withRules[i] = o
		}
	}
	replaced := translate(t, egctl, append(withRules, operatorPolicy))
	g.Expect(replaced.route(t, ns, "other").rbacCIDRs).To(ConsistOf(platformOffice))
	g.Expect(replaced.route(t, ns, "web").rbacCIDRs).To(ConsistOf(cidrs), "the platform's rule is replaced on the merged route")

	// The proof can fail: the operator's policy without mergeType, as it was written
	// before, switches the platform's basic auth off on the route.
	old := operatorPolicy.DeepCopy()
	unstructured.RemoveNestedField(old.Object, "spec", "mergeType")
	before := translate(t, egctl, append(objs, old)).route(t, ns, "web")
	g.Expect(before.filters).To(ContainElement(HavePrefix("envoy.filters.http.rbac")))
	g.Expect(before.filters).NotTo(ContainElement(HavePrefix("envoy.filters.http.basic_auth/")),
		"without mergeType the route should lose the basic auth, which is what the operator's mergeType is for: %v", before.filters)
}

// TestEnvoyGatewayNeverSwitchesOffAnotherPolicy: of two SecurityPolicies on the same
// Gateway or route, Envoy Gateway applies the oldest alone. The operator writes none
// where someone else's is attached at the same level (the route's own policy, or
// the Gateway's, which no merge can keep: Envoy Gateway allows mergeType on routes
// alone), and names it; and the policy a tenant had it write for a route before the
// route's owner wrote one (the older, so the winner) is taken back as soon as the
// owner's appears, and written again once it is gone.
func TestEnvoyGatewayNeverSwitchesOffAnotherPolicy(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, "envoy-conflict")
	startManager(t, ns)
	tenancy := testenv.InstallShippedTenancy(t, env.Config, k8s)
	mallory := tenancy.Tenant(t, ns, "mallory")

	p := createPlatform(t, ns, "partner")
	p.create(t, httpRoute(ns, "api", "partner"), service(ns, "api"), basicAuthPolicy(ns, "platform-api", "HTTPRoute", "api"),
		httpRoute(ns, "later", "partner"), service(ns, "later"))
	target := func(kind, name string) v1alpha1.IngressTarget {
		return v1alpha1.IngressTarget{EnvoyGateway: &v1alpha1.EnvoyGatewayTarget{TargetRef: v1alpha1.EnvoyGatewayTargetRef{Kind: v1alpha1.EnvoyGatewayTargetKind(kind), Name: v1alpha1.ResourceName(name)}}}
	}
	al := tenantAllowlist(t, ns, "partner", target("HTTPRoute", "api"), target("Gateway", "public"), target("HTTPRoute", "later"))
	g.Expect(mallory.Create(ctx, al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)

	exists := func(g Gomega, name string) bool {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(render.SecurityPolicyKind)
		err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, u)
		g.Expect(client.IgnoreNotFound(err)).To(Succeed())
		return err == nil
	}
	conflict := func(g Gomega, name, other string) {
		st := targetStatus(g, key, "SecurityPolicy", name)
		g.Expect(st.State).To(Equal(v1alpha1.IngressTargetFailed), st.Message)
		g.Expect(st.Reason).To(Equal(v1alpha1.TargetReasonConflict), st.Message)
		g.Expect(st.Message).To(ContainSubstring("SecurityPolicy "+other+" (targetRefs)"), st.Message)
		g.Expect(exists(g, name)).To(BeFalse(), "the operator wrote SecurityPolicy %s next to %s", name, other)
	}
	applied := func(g Gomega, name string) {
		st := targetStatus(g, key, "SecurityPolicy", name)
		g.Expect(st.State).To(Equal(v1alpha1.IngressTargetApplied), st.Message)
		g.Expect(exists(g, name)).To(BeTrue())
	}
	g.Eventually(func(g Gomega) {
		conflict(g, "partner-httproute-api", "platform-api")
		conflict(g, "partner-gateway-public", "platform-auth")
		applied(g, "partner-httproute-later")
	}, timeout, poll).Should(Succeed())

	// The route's owner writes a policy for it: the operator's, older, would win and
	// switch it off. It is taken back at once, without any change to the allowlist.
	p.create(t, basicAuthPolicy(ns, "platform-later", "HTTPRoute", "later"))
	g.Eventually(func(g Gomega) { conflict(g, "partner-httproute-later", "platform-later") }, timeout, poll).Should(Succeed())
	g.Consistently(func(g Gomega) { g.Expect(exists(g, "partner-httproute-later")).To(BeFalse()) }, 2*time.Second, poll).Should(Succeed())

	// The owner removes it: the allowlist's policy is written again.
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(render.SecurityPolicyKind)
	u.SetNamespace(ns)
	u.SetName("platform-later")
	g.Expect(k8s.Delete(ctx, u)).To(Succeed())
	g.Eventually(func(g Gomega) { applied(g, "partner-httproute-later") }, timeout, poll).Should(Succeed())

	// The platform adds authorization rules to the Gateway's policy: merged into it,
	// the route's policy would replace them on the route
	// (TestEnvoyGatewayKeepsPlatformAuthentication shows it), so it is taken back.
	g.Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		sp := getUnstructured(g, render.TargetEnvoyGateway, ns, "platform-auth")
		g.Expect(unstructured.SetNestedField(sp.Object, platformAuthorization(), "spec", "authorization")).To(Succeed())
		return k8s.Update(ctx, sp, client.FieldOwner(platformOwner))
	})).To(Succeed())
	g.Eventually(func(g Gomega) {
		st := targetStatus(g, key, "SecurityPolicy", "partner-httproute-later")
		g.Expect(st.Reason).To(Equal(v1alpha1.TargetReasonConflict), st.Message)
		g.Expect(st.Message).To(ContainSubstring("SecurityPolicy platform-auth (authorization rules on Gateway public, which the route's policy would replace"), st.Message)
		g.Expect(exists(g, "partner-httproute-later")).To(BeFalse())
	}, timeout, poll).Should(Succeed())
}

// platformAuthorization is a platform's own authorization: its office network alone.
func platformAuthorization() map[string]any {
	return map[string]any{
		"defaultAction": "Deny",
		"rules": []any{map[string]any{
			"name": "platform-office", "action": "Allow",
			"principal": map[string]any{"clientCIDRs": []any{platformOffice}},
		}},
	}
}

// platformOffice is the platform's office network.
const platformOffice = "203.0.113.128/25"

// tenantAllowlist is partnerAllowlist as a tenant bound to the shipped edit role may
// write it: the partner as a Vendor the admin published (a tenant may not write
// custom entries), with its network and webhook hostname.
func tenantAllowlist(t *testing.T, ns, name string, targets ...v1alpha1.IngressTarget) *v1alpha1.VendorAllowlist {
	t.Helper()
	vendor := &v1alpha1.Vendor{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-partner"},
		Spec: v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{{
			Name: "webhooks", Direction: v1alpha1.DirectionIngress,
			Addresses: []v1alpha1.PublishedAddress{{CIDR: v1alpha1.CIDR(partnerNetwork)}},
			Hostnames: []v1alpha1.PublishedHostname{{Name: partnerHost}},
		}}},
	}
	if err := k8s.Create(context.Background(), vendor); err != nil {
		t.Fatalf("publishing Vendor %s: %v", vendor.Name, err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), vendor) })
	return &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector:    metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Vendors:        []v1alpha1.VendorSelection{{Name: v1alpha1.ObjectName(vendor.Name), Ports: []v1alpha1.Port{{Protocol: v1alpha1.ProtocolTCP, Port: 8080}}}},
			IngressTargets: targets,
		},
	}
}

// platform is what the platform team writes: a GatewayClass of Envoy Gateway, a
// Gateway with an HTTP and a TCP listener, two HTTPRoutes (web, whose owner consents
// to the allowlist, and other), a TCPRoute (db, consenting too), and a Gateway-wide
// SecurityPolicy asking for basic auth, with its htpasswd Secret.
type platform struct {
	ns      string
	objects []*unstructured.Unstructured
}

func createPlatform(t *testing.T, ns, allowlist string) *platform {
	t.Helper()
	// A GatewayClass is cluster-scoped: one per test.
	class := ns + "-eg"
	sum := sha1.Sum([]byte("s3cret")) //nolint:gosec // htpasswd's {SHA} form
	htpasswd := "ops:{SHA}" + base64.StdEncoding.EncodeToString(sum[:]) + "\n"
	p := &platform{ns: ns}
	p.create(t,
		map[string]any{
			"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
			"metadata": map[string]any{"name": class},
			"spec":     map[string]any{"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"},
		},
		map[string]any{
			"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
			// Its owner consents to the allowlist partner, so that what stops a policy
			// on it is the platform's own policy, not a missing consent.
			"metadata": map[string]any{"namespace": ns, "name": "public", "annotations": map[string]any{allowAllowlistsAnnotation: "partner"}},
			"spec": map[string]any{
				"gatewayClassName": class,
				"listeners": []any{
					map[string]any{"name": "http", "protocol": "HTTP", "port": int64(80)},
					map[string]any{"name": "tcp", "protocol": "TCP", "port": int64(5432)},
				},
			},
		},
		map[string]any{
			"apiVersion": "gateway.networking.k8s.io/v1", "kind": "TCPRoute",
			"metadata": map[string]any{"namespace": ns, "name": "db", "annotations": map[string]any{allowAllowlistsAnnotation: allowlist}},
			"spec": map[string]any{
				"parentRefs": []any{map[string]any{"name": "public", "sectionName": "tcp"}},
				"rules":      []any{map[string]any{"backendRefs": []any{map[string]any{"name": "db", "port": int64(8080)}}}},
			},
		},
		service(ns, "db"),
		httpRoute(ns, "web", allowlist),
		httpRoute(ns, "other", ""),
		service(ns, "web"),
		service(ns, "other"),
		map[string]any{
			"apiVersion": "v1", "kind": "Secret",
			"metadata":   map[string]any{"namespace": ns, "name": "platform-htpasswd"},
			"stringData": map[string]any{".htpasswd": htpasswd},
		},
		basicAuthPolicy(ns, "platform-auth", "Gateway", "public"),
	)
	return p
}

// create creates the objects as the platform team.
func (p *platform) create(t *testing.T, docs ...map[string]any) {
	t.Helper()
	for _, d := range docs {
		u := &unstructured.Unstructured{Object: d}
		if err := k8s.Create(context.Background(), u, client.FieldOwner(platformOwner)); err != nil {
			t.Fatalf("creating %s %s: %v", u.GetKind(), u.GetName(), err)
		}
		if u.GetNamespace() == "" {
			t.Cleanup(func() { _ = k8s.Delete(context.Background(), u) })
		}
		p.objects = append(p.objects, u)
	}
}

// httpRoute is an HTTPRoute of Gateway public to Service name; its owner consents to
// the allowlist named, if any.
func httpRoute(ns, name, allowlist string) map[string]any {
	meta := map[string]any{"namespace": ns, "name": name}
	if allowlist != "" {
		meta["annotations"] = map[string]any{allowAllowlistsAnnotation: allowlist}
	}
	return map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
		"metadata": meta,
		"spec": map[string]any{
			"parentRefs": []any{map[string]any{"name": "public"}},
			"hostnames":  []any{name + ".example.com"},
			"rules": []any{map[string]any{
				"backendRefs": []any{map[string]any{"name": name, "port": int64(8080)}},
			}},
		},
	}
}

func service(ns, name string) map[string]any {
	return map[string]any{
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"namespace": ns, "name": name},
		"spec": map[string]any{
			"selector": map[string]any{"app": name},
			"ports":    []any{map[string]any{"name": "http", "port": int64(8080), "protocol": "TCP"}},
		},
	}
}

// basicAuthPolicy is the platform's SecurityPolicy asking for basic auth on the
// Gateway or route kind/name, with the users of Secret platform-htpasswd.
func basicAuthPolicy(ns, name, kind, target string) map[string]any {
	return map[string]any{
		"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "SecurityPolicy",
		"metadata": map[string]any{"namespace": ns, "name": name},
		"spec": map[string]any{
			"targetRefs": []any{map[string]any{"group": "gateway.networking.k8s.io", "kind": kind, "name": target}},
			"basicAuth":  map[string]any{"users": map[string]any{"name": "platform-htpasswd"}},
		},
	}
}

// read reads the platform's objects back from the API server.
func (p *platform) read(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, o := range p.objects {
		out = append(out, readBack(t, o.GroupVersionKind(), o.GetNamespace(), o.GetName()))
	}
	return out
}

// readBack reads an object from the API server, as Envoy Gateway would see it.
func readBack(t *testing.T, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, u); err != nil {
		t.Fatalf("reading %s %s/%s: %v", gvk.Kind, ns, name, err)
	}
	u.SetManagedFields(nil)
	return u
}

// egctlPath is Envoy Gateway's egctl, built by hack/egctl.sh at the version whose CRD
// the tests install. Missing, the test fails: the proof is its translator.
func egctlPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv("EGCTL")
	if path == "" {
		t.Fatalf("EGCTL is not set: it is Envoy Gateway's egctl %s, whose translator this test runs; build it with `hack/egctl.sh` and run with EGCTL=$(hack/egctl.sh) (make test does)", thirdpartycrds.EnvoyGateway.Version)
	}
	out, err := exec.Command(path, "version", "--remote=false").CombinedOutput()
	if err != nil {
		t.Fatalf("%s version: %v: %s", path, err, out)
	}
	if !strings.Contains(string(out), thirdpartycrds.EnvoyGateway.Version) {
		t.Fatalf("EGCTL=%s is not Envoy Gateway %s, whose CRD the tests install: %s; rebuild it with hack/egctl.sh", path, thirdpartycrds.EnvoyGateway.Version, out)
	}
	return path
}

// translation is what Envoy Gateway's translator makes of a set of objects: the
// xDS configuration, and the Gateway API objects with the status it gives them.
type translation struct {
	xds       map[string]any
	resources map[string]any
}

// translate runs `egctl x translate --from gateway-api --to gateway-api,xds` on the
// objects.
func translate(t *testing.T, egctl string, objs []*unstructured.Unstructured) *translation {
	t.Helper()
	var in bytes.Buffer
	for _, o := range objs {
		raw, err := yaml.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		in.WriteString("---\n")
		in.Write(raw)
	}
	file := filepath.Join(t.TempDir(), "in.yaml")
	if err := os.WriteFile(file, in.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(egctl, "x", "translate", "--from", "gateway-api", "--to", "gateway-api,xds", "--type", "all", "--output", "json", "--file", file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("egctl x translate: %v: %s\ninput:\n%s", err, stderr.String(), in.String())
	}
	// The Gateway API objects (gateways, httpRoutes, securityPolicies, ...) and, under
	// xds, the configuration of each Gateway.
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("egctl x translate printed no JSON (%v): %.2000s", err, raw)
	}
	xds, _ := out["xds"].(map[string]any)
	if len(xds) == 0 {
		t.Fatalf("egctl x translate made no xDS configuration: %.4000s", raw)
	}
	delete(out, "xds")
	return &translation{xds: xds, resources: out}
}

// xdsRoute is one route of the xDS route configuration.
type xdsRoute struct {
	// filters are the names of the HTTP filters configured for the route
	// (typed_per_filter_config): Envoy Gateway adds its authentication and
	// authorization filters to the listener disabled, and enables them per route.
	filters []string
	// rbacCIDRs are the ranges the route's RBAC filter allows.
	rbacCIDRs []string
}

// route finds the xDS route Envoy Gateway made of the HTTPRoute ns/name.
func (tr *translation) route(t *testing.T, ns, name string) xdsRoute {
	t.Helper()
	prefix := fmt.Sprintf("httproute/%s/%s/", ns, name)
	var found []xdsRoute
	walk(tr.xds, func(m map[string]any) {
		n, _ := m["name"].(string)
		if !strings.HasPrefix(n, prefix) || m["match"] == nil {
			return
		}
		var r xdsRoute
		per, _ := m["typedPerFilterConfig"].(map[string]any)
		for filter, cfg := range per {
			r.filters = append(r.filters, filter)
			if strings.HasPrefix(filter, "envoy.filters.http.rbac") {
				r.rbacCIDRs = append(r.rbacCIDRs, cidrsIn(cfg)...)
			}
		}
		slices.Sort(r.filters)
		found = append(found, r)
	})
	if len(found) != 1 {
		raw, _ := json.MarshalIndent(tr.xds, "", " ")
		t.Fatalf("want one xDS route of HTTPRoute %s/%s, found %d in:\n%.20000s", ns, name, len(found), raw)
	}
	return found[0]
}

// networkRBACCIDRs are the ranges of every network (TCP) RBAC filter.
func (tr *translation) networkRBACCIDRs() []string {
	var out []string
	walk(tr.xds, func(m map[string]any) {
		if m["name"] == "envoy.filters.network.rbac" {
			out = append(out, cidrsIn(m)...)
		}
	})
	return out
}

// cidrsIn are the ranges of the IP matchers in v.
func cidrsIn(v any) []string {
	var out []string
	walk(v, func(m map[string]any) {
		if p, ok := m["addressPrefix"].(string); ok {
			out = append(out, fmt.Sprintf("%s/%v", p, m["prefixLen"]))
		}
	})
	return out
}

// policyConditions are the conditions Envoy Gateway gives the SecurityPolicy ns/name.
func (tr *translation) policyConditions(ns, name string) []metav1.Condition {
	var out []metav1.Condition
	policies, _ := tr.resources["securityPolicies"].([]any)
	for _, p := range policies {
		u := &unstructured.Unstructured{Object: p.(map[string]any)}
		if u.GetNamespace() != ns || u.GetName() != name {
			continue
		}
		ancestors, _, _ := unstructured.NestedSlice(u.Object, "status", "ancestors")
		for _, a := range ancestors {
			conds, _, _ := unstructured.NestedSlice(a.(map[string]any), "conditions")
			for _, c := range conds {
				raw, _ := json.Marshal(c)
				var cond metav1.Condition
				_ = json.Unmarshal(raw, &cond)
				out = append(out, cond)
			}
		}
	}
	return out
}

// walk calls f on every map in v, depth first.
func walk(v any, f func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		f(x)
		for _, c := range x {
			walk(c, f)
		}
	case []any:
		for _, c := range x {
			walk(c, f)
		}
	}
}
