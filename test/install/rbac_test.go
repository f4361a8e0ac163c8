/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package install

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// grant is one permission: a verb on a resource of an API group ("" is the core group).
type grant struct{ group, resource, verb string }

func (g grant) String() string {
	group := g.group
	if group == "" {
		group = "core"
	}
	return fmt.Sprintf("%s %s/%s", g.verb, group, g.resource)
}

func grants(group string, resources []string, verbs ...string) map[grant]bool {
	out := map[grant]bool{}
	for _, r := range resources {
		for _, v := range verbs {
			out[grant{group, r, v}] = true
		}
	}
	return out
}

func union(sets ...map[grant]bool) map[grant]bool {
	out := map[grant]bool{}
	for _, s := range sets {
		for g := range s {
			out[g] = true
		}
	}
	return out
}

// The least privilege the install issue allows the manager, cluster-wide: NetworkPolicies
// and the egress backends' kinds; its own CRDs and their status; events. Nothing else: no Secrets, no ConfigMaps, no
// wildcards.
var allowedClusterGrants = union(
	grants("networking.k8s.io", []string{"networkpolicies"}, "get", "list", "watch", "create", "update", "patch", "delete"),
	grants(v1alpha1.GroupVersion.Group, []string{"vendorallowlists", "vendors"}, "get", "list", "watch"),
	grants(v1alpha1.GroupVersion.Group, []string{"vendorallowlists/status", "vendors/status"}, "get", "update", "patch"),
	grants("events.k8s.io", []string{"events"}, "create", "patch"),
	union(slices.Collect(maps.Values(targetGrants))...),
	egressBackendGrants,
)

// egressBackendGrants are the kinds of the name backends that enforce egress to
// hostnames (docs/fqdn.md), granted whatever --egress-backend says: a switch of
// backend deletes what the one before wrote.
var egressBackendGrants = union(
	grants("cilium.io", []string{"ciliumnetworkpolicies"}, "get", "list", "watch", "create", "update", "patch", "delete"),
	grants("policy.networking.k8s.io", []string{"clusternetworkpolicies"}, "get", "list", "watch", "create", "update", "patch", "delete"),
	grants("networking.gke.io", []string{"fqdnnetworkpolicies"}, "get", "list", "watch", "create", "update", "patch", "delete"),
	grants("k8s.ovn.org", []string{"egressfirewalls"}, "get", "list", "watch", "create", "update", "patch", "delete"),
)

// targetGrants are what each kind of ingress target adds (ingress targets issue): of
// the user's Services and Ingresses, reading them and patching the one field the
// operator sets (never create, update or delete); the custom resources it renders,
// like its NetworkPolicies. Traefik attaches its Middleware by an Ingress annotation.
// Every kind reads the consent of the cluster admin on the allowlist's Namespace, and
// those that attach to Gateway API objects read their owners' consent on them.
var targetGrants = map[string]map[grant]bool{
	"service":       union(namespaceConsent, grants("", []string{"services"}, "get", "list", "watch", "patch")),
	"ingress-nginx": union(namespaceConsent, grants("networking.k8s.io", []string{"ingresses"}, "get", "list", "watch", "patch")),
	"envoy-gateway": union(namespaceConsent, grants("gateway.envoyproxy.io", []string{"securitypolicies"}, "get", "list", "watch", "create", "update", "patch", "delete"),
		grants("gateway.networking.k8s.io", []string{"gateways", "httproutes", "grpcroutes", "tcproutes"}, "get")),
	"istio": union(namespaceConsent, grants("security.istio.io", []string{"authorizationpolicies"}, "get", "list", "watch", "create", "update", "patch", "delete"),
		grants("gateway.networking.k8s.io", []string{"gateways"}, "get")),
	"traefik": union(namespaceConsent, grants("traefik.io", []string{"middlewares"}, "get", "list", "watch", "create", "update", "patch", "delete"),
		grants("networking.k8s.io", []string{"ingresses"}, "get", "list", "watch", "patch")),
}

var namespaceConsent = grants("", []string{"namespaces"}, "get")

// managerGrantsFor is what the manager's ClusterRole must grant for a deployment's
// --ingress-targets: the generated role (every kind) less what no enabled kind needs.
func managerGrantsFor(t testing.TB, generated map[grant]bool, args map[string][]string) map[grant]bool {
	t.Helper()
	value := "none" // the manager's default
	if v := args["ingress-targets"]; len(v) > 0 {
		value = v[len(v)-1]
	}
	var enabled []string
	switch value {
	case "all":
		enabled = slices.Collect(maps.Keys(targetGrants))
	case "none":
	default:
		enabled = strings.Split(value, ",")
	}
	want := map[grant]bool{}
	for g := range generated {
		want[g] = true
	}
	for _, kind := range slices.Collect(maps.Keys(targetGrants)) {
		for g := range targetGrants[kind] {
			delete(want, g)
		}
	}
	// OVN's EgressFirewall needs the admin's consent on the Namespace, as targets do.
	if v := args["egress-backend"]; len(v) > 0 && v[len(v)-1] == "ovn" {
		for g := range namespaceConsent {
			want[g] = true
		}
	}
	for _, kind := range enabled {
		if targetGrants[kind] == nil {
			t.Fatalf("--ingress-targets names %q, which the test does not know", kind)
		}
		for g := range targetGrants[kind] {
			want[g] = true
		}
	}
	return want
}

// And in the operator's own namespace only, for leader election: the Lease (client-go's
// lease lock gets, creates and updates it), and the core/v1 event that records a new
// leader (controller-runtime's leader election still records it with the old API).
var allowedLeaderElectionGrants = union(
	grants("coordination.k8s.io", []string{"leases"}, "get", "create", "update"),
	grants("", []string{"events"}, "create", "patch"),
)

// rulesToGrants expands rules, failing on anything that is not a plain list of groups,
// resources and verbs.
func rulesToGrants(t testing.TB, where string, rules []rbacv1.PolicyRule) map[grant]bool {
	t.Helper()
	out := map[grant]bool{}
	for i, r := range rules {
		if len(r.NonResourceURLs) > 0 {
			t.Errorf("%s rule %d grants non-resource URLs %v", where, i, r.NonResourceURLs)
		}
		for _, list := range [][]string{r.APIGroups, r.Resources, r.Verbs, r.ResourceNames} {
			for _, s := range list {
				if strings.Contains(s, "*") {
					t.Errorf("%s rule %d has a wildcard: %+v", where, i, r)
				}
			}
		}
		if len(r.ResourceNames) > 0 {
			t.Errorf("%s rule %d names resources %v; the manager's rules are by type", where, i, r.ResourceNames)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					out[grant{g, res, v}] = true
				}
			}
		}
	}
	return out
}

// checkWithin fails for every grant not in allowed, and names Secrets and ConfigMaps.
func checkWithin(t testing.TB, where string, got, allowed map[grant]bool) {
	t.Helper()
	var extra []string
	for g := range got {
		if !allowed[g] {
			extra = append(extra, g.String())
		}
		if g.group == "" && (g.resource == "secrets" || g.resource == "configmaps") {
			t.Errorf("%s grants %s: the operator must not read %s", where, g, g.resource)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("%s grants more than the least-privilege list allows: %s", where, strings.Join(extra, ", "))
	}
}

func sortedGrants(m map[grant]bool) []string {
	var out []string
	for g := range m {
		out = append(out, g.String())
	}
	sort.Strings(out)
	return out
}

// TestClusterRoleLeastPrivilege reads the RBAC every install renders (the chart with its
// default and ci/ values, dist/install.yaml, and config/rbac/role.yaml that
// controller-gen generates from the controller's markers) and fails if any of it grants
// anything beyond the list: NetworkPolicies; the operator's CRDs and their
// status; events; and, in a namespaced Role, the leader-election Lease. It also fails if
// the chart's hand-written ClusterRole and the generated one differ, so they cannot
// drift, and if a binding binds anything but the operator's ServiceAccount to them.
func TestClusterRoleLeastPrivilege(t *testing.T) {
	var generated []rbacv1.ClusterRole
	for _, o := range parseFile(t, filepath.Join(configDir, "rbac", "role.yaml")) {
		var cr rbacv1.ClusterRole
		convert(t, o, &cr)
		generated = append(generated, cr)
	}
	if len(generated) != 1 {
		t.Fatalf("config/rbac/role.yaml holds %d ClusterRoles, want 1", len(generated))
	}
	generatedGrants := rulesToGrants(t, "config/rbac/role.yaml", generated[0].Rules)
	checkWithin(t, "config/rbac/role.yaml (generated from the +kubebuilder:rbac markers)", generatedGrants, allowedClusterGrants)

	renderings := allRenderings(t)
	for _, r := range renderings {
		t.Run(r.name, func(t *testing.T) {
			// The roles for users grant what TestUserRoles checks, and are bound to no one.
			crs := slices.DeleteFunc(r.clusterRoles(t), func(cr rbacv1.ClusterRole) bool { return isUserRole(cr.Name) })
			roles := r.roles(t)
			if len(crs) == 0 && len(roles) == 0 && len(r.ofKind("ClusterRoleBinding")) == 0 {
				// rbac.create: false (ci/single-replica-values.yaml): nothing to check.
				if len(r.ofKind("RoleBinding")) > 0 {
					t.Fatal("a RoleBinding without a Role")
				}
				t.Log("renders no RBAC (rbac.create: false)")
				return
			}
			// With --watch-namespaces the manager's ClusterRole is bound in those
			// namespaces only, and a second ClusterRole reads the cluster-scoped Vendors.
			var watched []string
			if args, _ := argsOf(t, r.deployment(t)); len(args["watch-namespaces"]) > 0 {
				watched = strings.Split(args["watch-namespaces"][0], ",")
			}
			var cr, vendorsCR *rbacv1.ClusterRole
			for i := range crs {
				got := rulesToGrants(t, "ClusterRole "+crs[i].Name, crs[i].Rules)
				checkWithin(t, "ClusterRole "+crs[i].Name, got, allowedClusterGrants)
				if len(watched) > 0 && cmp.Equal(sortedGrants(got), sortedGrants(vendorReadGrants)) {
					vendorsCR = &crs[i]
					continue
				}
				if cr != nil {
					t.Fatalf("ClusterRoles %s and %s: want one for the manager (and with watchNamespaces one reading Vendors)", cr.Name, crs[i].Name)
				}
				cr = &crs[i]
				// Every kind of ingress target on, the generated role; with some off, it
				// less what they alone need.
				args, _ := argsOf(t, r.deployment(t))
				if diff := cmp.Diff(sortedGrants(managerGrantsFor(t, generatedGrants, args)), sortedGrants(got)); diff != "" {
					t.Errorf("ClusterRole %s differs from config/rbac/role.yaml, which is generated from the controller's markers, for --ingress-targets=%v (-generated +rendered): update charts/vendor-allowlist-operator/templates/rbac.yaml\n%s", cr.Name, args["ingress-targets"], diff)
				}
			}
			if cr == nil || (len(watched) > 0) != (vendorsCR != nil) {
				t.Fatalf("%d ClusterRoles; want the manager's, and with watchNamespaces %v one that only reads Vendors", len(crs), watched)
			}

			// With watchNamespaces, events about Vendors need a Role of their own in
			// "default", where events about cluster-scoped objects go.
			var vendorEvents *rbacv1.Role
			if len(watched) > 0 && !slices.Contains(watched, metav1.NamespaceDefault) {
				i := slices.IndexFunc(roles, func(r rbacv1.Role) bool { return r.Namespace == metav1.NamespaceDefault })
				if i < 0 {
					t.Fatalf("no Role in %q for events about Vendors, with watchNamespaces %v", metav1.NamespaceDefault, watched)
				}
				vendorEvents = &roles[i]
				got := rulesToGrants(t, "Role "+vendorEvents.Name, vendorEvents.Rules)
				if diff := cmp.Diff(sortedGrants(vendorEventGrants), sortedGrants(got)); diff != "" {
					t.Errorf("Role %s/%s grants more or less than events (-want +got):\n%s", vendorEvents.Namespace, vendorEvents.Name, diff)
				}
				roles = slices.Delete(slices.Clone(roles), i, i+1)
			}
			// With --feeds, the feed copies' ConfigMaps need a Role in the operator's
			// own namespace; without, no Role grants them (TestFeedsRoleOnlyWithFeeds).
			args, _ := argsOf(t, r.deployment(t))
			var feedsRole *rbacv1.Role
			if len(args["feeds"]) > 0 {
				feedsRole = takeFeedsRole(t, r, &roles)
			}
			if len(roles) != 1 {
				t.Fatalf("%d Roles, want 1 (leader election)", len(roles))
			}
			role := roles[0]
			if role.Namespace != r.namespace {
				t.Errorf("leader-election Role %s is in namespace %q, want the operator's, %q", role.Name, role.Namespace, r.namespace)
			}
			checkWithin(t, "Role "+role.Name, rulesToGrants(t, "Role "+role.Name, role.Rules), allowedLeaderElectionGrants)

			sa := r.deployment(t).Spec.Template.Spec.ServiceAccountName
			want := rbacv1.Subject{Kind: "ServiceAccount", Name: sa, Namespace: r.namespace}
			managerRef := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: cr.Name}
			if len(watched) == 0 {
				checkBindings(t, r, "ClusterRoleBinding", managerRef, want, "")
			} else {
				checkBindings(t, r, "ClusterRoleBinding", rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: vendorsCR.Name}, want, "")
				checkBindings(t, r, "RoleBinding", managerRef, want, watched...)
			}
			checkBindings(t, r, "RoleBinding", rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name}, want, r.namespace)
			wantRoleBindings := 1 + len(watched)
			if vendorEvents != nil {
				checkBindings(t, r, "RoleBinding", rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: vendorEvents.Name}, want, metav1.NamespaceDefault)
				wantRoleBindings++
			}
			if feedsRole != nil {
				checkBindings(t, r, "RoleBinding", rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: feedsRole.Name}, want, r.namespace)
				wantRoleBindings++
			}
			// Nothing else is bound: a binding to any other role would grant more.
			if n, m := len(r.ofKind("ClusterRoleBinding")), len(r.ofKind("RoleBinding")); n != 1 || m != wantRoleBindings {
				t.Errorf("%d ClusterRoleBindings and %d RoleBindings, want 1 and %d", n, m, wantRoleBindings)
			}
		})
	}
}

// feedGrants is all the manager may do with feeds on, in its own namespace only: keep
// each feed's accepted copy in a ConfigMap (server-side apply), watch the copies for
// an admin's approval, and record events about them.
var feedGrants = union(
	grants("", []string{"configmaps"}, "get", "list", "watch", "create", "patch", "update"),
	grants("events.k8s.io", []string{"events"}, "create", "patch"),
)

// takeFeedsRole removes the feeds Role from roles and returns it, failing unless there
// is exactly one, in the operator's namespace, granting feedGrants.
func takeFeedsRole(t *testing.T, r rendering, roles *[]rbacv1.Role) *rbacv1.Role {
	t.Helper()
	var found []int
	for i, role := range *roles {
		if rulesToGrants(t, "Role "+role.Name, role.Rules)[grant{"", "configmaps", "get"}] {
			found = append(found, i)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d Roles grant ConfigMaps with --feeds, want 1 (the feed copies)", len(found))
	}
	role := (*roles)[found[0]]
	if role.Namespace != r.namespace {
		t.Errorf("the feeds Role %s is in namespace %q, want the operator's, %q", role.Name, role.Namespace, r.namespace)
	}
	if diff := cmp.Diff(sortedGrants(feedGrants), sortedGrants(rulesToGrants(t, "Role "+role.Name, role.Rules))); diff != "" {
		t.Errorf("Role %s/%s grants more or less than the feed copies need (-want +got):\n%s", role.Namespace, role.Name, diff)
	}
	*roles = slices.Delete(slices.Clone(*roles), found[0], found[0]+1)
	return &role
}

// vendorReadGrants is all the cluster-wide access a namespaced install keeps: reading
// the cluster-scoped Vendors, and recording in their status which change is accepted.
var vendorReadGrants = union(
	grants(v1alpha1.GroupVersion.Group, []string{"vendors"}, "get", "list", "watch"),
	grants(v1alpha1.GroupVersion.Group, []string{"vendors/status"}, "get", "update", "patch"),
)

// vendorEventGrants is all the manager may do in "default" when it watches other
// namespaces only: record events about Vendors.
var vendorEventGrants = grants("events.k8s.io", []string{"events"}, "create", "patch")

// checkBindings fails unless the bindings of kind to ref are exactly one per namespace
// given ("" for a ClusterRoleBinding), each binding only subject.
func checkBindings(t *testing.T, r rendering, kind string, ref rbacv1.RoleRef, subject rbacv1.Subject, namespaces ...string) {
	t.Helper()
	var got []string
	for _, o := range r.ofKind(kind) {
		var b rbacv1.RoleBinding // a ClusterRoleBinding has the same roleRef and subjects
		u := o.DeepCopy()
		u.SetKind("RoleBinding")
		convert(t, u, &b)
		if len(b.Subjects) != 1 || b.Subjects[0] != subject {
			t.Errorf("%s %s/%s binds %+v, want only %+v", kind, b.Namespace, b.Name, b.Subjects, subject)
		}
		if b.RoleRef == ref {
			got = append(got, b.Namespace)
		}
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(namespaces))
	if !slices.Equal(got, want) {
		t.Errorf("%ss to %s %s in namespaces %q, want %q", kind, ref.Kind, ref.Name, got, want)
	}
}

// TestRBACSufficesForManager is the other half of least privilege: the RBAC the chart
// grants is enough. It applies the chart's ServiceAccount, roles and bindings to the
// control plane, runs the manager as that ServiceAccount (impersonated), and checks that
// an allowlist becomes Ready with its NetworkPolicy and an event, that the manager logged
// no "forbidden" error, and (leader election cannot run outside a pod) that the
// ServiceAccount may get, create and update Leases and record events in its own
// namespace, and may not read Secrets or ConfigMaps anywhere.
//
// With watchNamespaces, the same, and the ServiceAccount may write NetworkPolicies in
// the watched namespace only.
func TestRBACSufficesForManager(t *testing.T) {
	t.Run("cluster-wide", func(t *testing.T) { runUnderChartRBAC(t, "vao-rbac", "rbac-check", false) })
	t.Run("watchNamespaces", func(t *testing.T) { runUnderChartRBAC(t, "vao-rbac-ns", "rbac-check-ns", true) })
}

// runUnderChartRBAC installs the chart's RBAC in ns and runs the manager under it,
// with allowlists in appNS; namespaced: with watchNamespaces [appNS].
func runUnderChartRBAC(t *testing.T, ns, appNS string, namespaced bool) {
	env, adminKubeconfig := controlPlane(t)
	const otherNS = "rbac-unwatched"
	for _, n := range []string{ns, appNS, otherNS} {
		ensureNamespace(t, n)
	}

	// Every kind of ingress target on (the defaults have none), so that their RBAC is
	// checked too.
	values := []string{writeFile(t, t.TempDir(), "targets.yaml", []byte("ingressTargets: {service: true, ingressNginx: true, envoyGateway: true, istio: true, traefik: true}\n"))}
	managerArgs := []string{"--leader-elect=false", "--metrics-bind-address=0", "--health-probe-bind-address=0",
		"--dns-server=127.0.0.1:9", "--zap-log-level=debug", "--zap-encoder=console", "--ingress-targets=all"}
	if namespaced {
		values = append(values, writeFile(t, t.TempDir(), "values.yaml", []byte("watchNamespaces: ["+appNS+"]\n")))
		managerArgs = append(managerArgs, "--watch-namespaces="+appNS)
	}
	r := helmTemplate(t, ns, values...)
	var rbacDocs [][]byte
	for _, o := range r.objects {
		switch o.GetKind() {
		case "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding":
			js, err := o.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			rbacDocs = append(rbacDocs, js)
		}
	}
	file := writeFile(t, t.TempDir(), "rbac.json", bytes.Join(rbacDocs, []byte("\n")))
	if out, err := kubectl(t, "apply", "-f", file); err != nil {
		t.Fatalf("applying the chart's RBAC: %v\n%s", err, out)
	}
	sa := r.deployment(t).Spec.Template.Spec.ServiceAccountName
	username := "system:serviceaccount:" + ns + ":" + sa
	groups := []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}

	// A kubeconfig that impersonates the ServiceAccount.
	kc, err := clientcmd.LoadFromFile(adminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range kc.AuthInfos {
		a.Impersonate, a.ImpersonateGroups = username, groups
	}
	saKubeconfig := filepath.Join(t.TempDir(), "sa.kubeconfig")
	if err := clientcmd.WriteToFile(*kc, saKubeconfig); err != nil {
		t.Fatal(err)
	}

	// The manager, as the ServiceAccount. Its args are the chart's, except leader
	// election (it needs the pod's namespace file) and the listeners.
	var log bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, managerBinary(t), managerArgs...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+saKubeconfig)
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			_ = cmd.Wait()
		}
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("manager log:\n%s", log.String())
		}
	})

	c, err := client.New(env.Config, client.Options{Scheme: testenv.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	allowlist := &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Name: "threobuilder-agents", Namespace: appNS},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": "public-api"}},
			Vendors:     []v1alpha1.VendorSelection{{Name: "threobuilder", Ports: []v1alpha1.Port{{Port: 443}}}},
		},
	}
	if err := c.Create(context.Background(), allowlist); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(60 * time.Second)
	for {
		var got v1alpha1.VendorAllowlist
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(allowlist), &got); err != nil {
			t.Fatal(err)
		}
		ready := metaCondition(got.Status.Conditions, v1alpha1.ConditionReady)
		if ready == "True" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the allowlist did not become Ready within 60s as the ServiceAccount; status: %+v", got.Status)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var np networkingv1.NetworkPolicy
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: appNS, Name: "threobuilder-agents-ingress"}, &np); err != nil {
		t.Fatalf("the NetworkPolicy the manager should have created: %v", err)
	}
	// A change to a policy in place is told in an event (an allowlist's first policies
	// are not): change the port, so that the manager updates the policy and records
	// the event as the ServiceAccount.
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(allowlist), allowlist); err != nil {
			return err
		}
		allowlist.Spec.Vendors[0].Ports = []v1alpha1.Port{{Port: 8443}}
		return c.Update(context.Background(), allowlist)
	}); err != nil {
		t.Fatal(err)
	}
	// Events are sent asynchronously: wait for one about the allowlist.
	cs := kubernetes.NewForConfigOrDie(env.Config)
	for {
		evs, err := cs.EventsV1().Events(appNS).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range evs.Items {
			if e.Regarding.Name == allowlist.Name {
				found = true
			}
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no event about the allowlist was recorded as the ServiceAccount")
		}
		time.Sleep(200 * time.Millisecond)
	}
	// A held Vendor change is told in a Warning event about the Vendor; a
	// cluster-scoped object's events go to the "default" namespace, watched or not.
	deadline = time.Now().Add(60 * time.Second)
	vendor := &v1alpha1.Vendor{
		ObjectMeta: metav1.ObjectMeta{Name: "rbac-check-" + appNS},
		Spec: v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{{
			Name: "hooks", Direction: v1alpha1.DirectionIngress,
			Addresses: []v1alpha1.PublishedAddress{{CIDR: "198.51.100.1/32"}},
		}}},
	}
	if err := c.Create(context.Background(), vendor); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), vendor) })
	waitFor(t, deadline, "the new Vendor accepted", func() bool {
		return c.Get(context.Background(), client.ObjectKeyFromObject(vendor), vendor) == nil && vendor.Status.AcceptedGeneration == vendor.Generation
	})
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(vendor), vendor); err != nil {
			return err
		}
		vendor.Spec.Endpoints[0].Addresses = append(vendor.Spec.Endpoints[0].Addresses,
			v1alpha1.PublishedAddress{CIDR: "198.51.100.0/24"}, v1alpha1.PublishedAddress{CIDR: "203.0.113.0/24"})
		return c.Update(context.Background(), vendor)
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, deadline, "a Warning event about the held Vendor change, recorded as the ServiceAccount", func() bool {
		evs, err := cs.EventsV1().Events(metav1.NamespaceDefault).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(evs.Items, func(e eventsv1.Event) bool {
			return e.Regarding.Name == vendor.Name && e.Reason == v1alpha1.ReasonChangeHeld
		})
	})
	stop()
	if strings.Contains(strings.ToLower(log.String()), "forbidden") {
		t.Errorf("the manager was forbidden something running with the chart's RBAC:\n%s", grepLines(log.String(), "forbidden"))
	}

	// Leader election and the things the operator must never do, asked of the API
	// server's authorizer.
	checks := []struct {
		ns, group, resource, verb string
		allowed                   bool
	}{
		{ns, "coordination.k8s.io", "leases", "get", true},
		{ns, "coordination.k8s.io", "leases", "create", true},
		{ns, "coordination.k8s.io", "leases", "update", true},
		{ns, "", "events", "create", true},
		{ns, "", "events", "patch", true},
		{appNS, "events.k8s.io", "events", "create", true},
		{appNS, "networking.k8s.io", "networkpolicies", "delete", true},
		{appNS, v1alpha1.GroupVersion.Group, "vendorallowlists/status", "patch", true},
		{appNS, "coordination.k8s.io", "leases", "create", false},
		{"kube-system", "coordination.k8s.io", "leases", "update", false},
		{ns, "coordination.k8s.io", "leases", "delete", false},
		{ns, "", "secrets", "get", false},
		{ns, "", "secrets", "list", false},
		{appNS, "", "secrets", "get", false},
		{"", "", "secrets", "list", false},
		{ns, "", "configmaps", "get", false},
		{"", "", "configmaps", "list", false},
		{appNS, v1alpha1.GroupVersion.Group, "vendorallowlists", "update", false},
		{"", v1alpha1.GroupVersion.Group, "vendors", "create", false},
		{appNS, "", "pods", "list", false},
		{"", "rbac.authorization.k8s.io", "clusterroles", "escalate", false},
		{"", v1alpha1.GroupVersion.Group, "vendors", "list", true},
		// Ingress targets: of the user's Services and Ingresses, one field by patch;
		// never created, replaced or deleted.
		{appNS, "", "services", "patch", true},
		{appNS, "", "services", "create", false},
		{appNS, "", "services", "update", false},
		{appNS, "", "services", "delete", false},
		{appNS, "networking.k8s.io", "ingresses", "patch", true},
		{appNS, "networking.k8s.io", "ingresses", "delete", false},
		{appNS, "gateway.envoyproxy.io", "securitypolicies", "create", true},
		{otherNS, "", "services", "patch", !namespaced},
		// Consent: the allowlist's own Namespace (a RoleBinding in it grants get of
		// the Namespace itself), and the Gateway API objects targets attach to, read.
		{appNS, "", "namespaces", "get", true},
		{otherNS, "", "namespaces", "get", !namespaced},
		{"", "", "namespaces", "list", false},
		{appNS, "gateway.networking.k8s.io", "gateways", "get", true},
		{appNS, "gateway.networking.k8s.io", "gateways", "patch", false},
		// Outside the watched namespaces, nothing but reading Vendors.
		{otherNS, "networking.k8s.io", "networkpolicies", "create", !namespaced},
		{otherNS, "networking.k8s.io", "networkpolicies", "delete", !namespaced},
		{otherNS, v1alpha1.GroupVersion.Group, "vendorallowlists/status", "patch", !namespaced},
		{otherNS, "events.k8s.io", "events", "create", !namespaced},
		// Events about Vendors go to "default"; nothing else is granted there.
		{metav1.NamespaceDefault, "events.k8s.io", "events", "create", true},
		{metav1.NamespaceDefault, "networking.k8s.io", "networkpolicies", "create", !namespaced},
		{"", "networking.k8s.io", "networkpolicies", "list", !namespaced},
	}
	for _, ch := range checks {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User:   username,
			Groups: groups,
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: ch.ns, Group: ch.group, Resource: ch.resource, Verb: ch.verb,
			},
		}}
		if sub := strings.SplitN(ch.resource, "/", 2); len(sub) == 2 {
			sar.Spec.ResourceAttributes.Resource, sar.Spec.ResourceAttributes.Subresource = sub[0], sub[1]
		}
		res, err := cs.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), sar, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status.Allowed != ch.allowed {
			where := ch.ns
			if where == "" {
				where = "all namespaces"
			}
			t.Errorf("%s may %s: %v, want %v", username, grant{ch.group, ch.resource, ch.verb}.String()+" in "+where, res.Status.Allowed, ch.allowed)
		}
	}

	// Clean up what this test created for real.
	if err := c.Delete(context.Background(), allowlist); err != nil && !apierrors.IsNotFound(err) {
		t.Error(err)
	}
	for _, o := range r.objects {
		switch o.GetKind() {
		case "ClusterRole", "ClusterRoleBinding":
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(o.GroupVersionKind())
			u.SetName(o.GetName())
			_ = c.Delete(context.Background(), u)
		}
	}
}

func metaCondition(conds []metav1.Condition, typ string) string {
	for _, c := range conds {
		if c.Type == typ {
			return string(c.Status)
		}
	}
	return ""
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(strings.ToLower(l), substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// managerClusterRole returns the rendering's ClusterRole for the manager: the one that
// is not a role for users or, with watchNamespaces, the one that reads Vendors.
func managerClusterRole(t testing.TB, r rendering) rbacv1.ClusterRole {
	t.Helper()
	var out []rbacv1.ClusterRole
	for _, cr := range r.clusterRoles(t) {
		if !isUserRole(cr.Name) && !strings.HasSuffix(cr.Name, "-vendors") {
			out = append(out, cr)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%s: %d ClusterRoles for the manager, want 1", r.name, len(out))
	}
	return out[0]
}

// userRole returns the rendering's ClusterRole for users whose name ends in suffix.
func userRole(t testing.TB, r rendering, suffix string) rbacv1.ClusterRole {
	t.Helper()
	for _, cr := range r.clusterRoles(t) {
		if strings.HasSuffix(cr.Name, "-"+suffix) {
			return cr
		}
	}
	t.Fatalf("%s: no ClusterRole ...-%s", r.name, suffix)
	return rbacv1.ClusterRole{}
}

// aggregationLabels are the rbac.authorization.k8s.io/aggregate-to-* labels of labels.
func aggregationLabels(labels map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range labels {
		if strings.HasPrefix(k, "rbac.authorization.k8s.io/aggregate-to-") {
			out[k] = v
		}
	}
	return out
}

// The roles for users, by the end of their names: exactly what each grants, and which
// built-in roles (admin, edit, view) take its rules.
var userRoleWants = []struct {
	suffix     string
	grants     map[grant]bool
	aggregated []string
}{
	{"vendorallowlist-admin", grants(v1alpha1.GroupVersion.Group, []string{"vendorallowlists"},
		"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"), []string{"admin"}},
	{"vendorallowlist-edit", grants(v1alpha1.GroupVersion.Group, []string{"vendorallowlists"},
		"create", "delete", "get", "list", "patch", "update", "watch"), []string{"admin", "edit"}},
	{"vendorallowlist-view", union(
		grants(v1alpha1.GroupVersion.Group, []string{"vendorallowlists", "vendorallowlists/status", "vendors"}, "get", "list", "watch")),
		[]string{"admin", "edit", "view"}},
	{"vendorallowlist-custom", grants(v1alpha1.GroupVersion.Group, []string{"vendorallowlists/custom"}, "create"), nil},
}

// TestUserRoles: every install with rbac.userRoles (the chart's default and full values,
// and dist/install.yaml) has the four roles for users, each granting exactly its list:
// none may write an allowlist's status (the operator's output) or a Vendor (the cluster
// admin's), and only vendorallowlist-custom grants the pseudo-permission that spec.custom
// needs. The built-in admin, edit and view ClusterRoles of a real API server select
// them by their labels as intended: view's rules go into all three, edit's into edit and
// admin, admin's into admin, and custom's into none.
func TestUserRoles(t *testing.T) {
	env, _ := controlPlane(t)
	cs := kubernetes.NewForConfigOrDie(env.Config)
	builtin := map[string]labels.Selector{}
	for _, name := range []string{"admin", "edit", "view"} {
		cr, err := cs.RbacV1().ClusterRoles().Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if cr.AggregationRule == nil || len(cr.AggregationRule.ClusterRoleSelectors) != 1 {
			t.Fatalf("the built-in ClusterRole %s aggregates %+v, want one selector", name, cr.AggregationRule)
		}
		sel, err := metav1.LabelSelectorAsSelector(&cr.AggregationRule.ClusterRoleSelectors[0])
		if err != nil {
			t.Fatal(err)
		}
		builtin[name] = sel
	}
	for _, r := range allRenderings(t) {
		t.Run(r.name, func(t *testing.T) {
			var users []rbacv1.ClusterRole
			for _, cr := range r.clusterRoles(t) {
				if isUserRole(cr.Name) {
					users = append(users, cr)
				}
			}
			if len(users) == 0 {
				t.Log("renders no roles for users (rbac.userRoles.enabled: false)")
				return
			}
			if len(users) != len(userRoleWants) {
				t.Fatalf("%d roles for users, want %d", len(users), len(userRoleWants))
			}
			for _, want := range userRoleWants {
				cr := userRole(t, r, want.suffix)
				got := rulesToGrants(t, "ClusterRole "+cr.Name, cr.Rules)
				if diff := cmp.Diff(sortedGrants(want.grants), sortedGrants(got)); diff != "" {
					t.Errorf("ClusterRole %s grants (-want +got):\n%s", cr.Name, diff)
				}
				for g := range got {
					write := g.verb != "get" && g.verb != "list" && g.verb != "watch"
					if write && (g.resource == "vendorallowlists/status" || g.resource == "vendors") {
						t.Errorf("ClusterRole %s lets its holder %s", cr.Name, g)
					}
				}
				var aggregated []string
				for name, sel := range builtin {
					if sel.Matches(labels.Set(cr.Labels)) {
						aggregated = append(aggregated, name)
					}
				}
				slices.Sort(aggregated)
				if !slices.Equal(aggregated, want.aggregated) {
					t.Errorf("ClusterRole %s is aggregated into the built-in %v, want %v (labels %v)", cr.Name, aggregated, want.aggregated, cr.Labels)
				}
			}
		})
	}
}

// waitFor polls cond until it holds, failing the test at deadline with what it was
// waiting for.
func waitFor(t *testing.T, deadline time.Time, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
