/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package install

import (
	"path/filepath"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// grantsConfigMaps reports whether any Role or ClusterRole of r grants anything on
// ConfigMaps.
func grantsConfigMaps(t *testing.T, r rendering) bool {
	t.Helper()
	var rules [][]rbacv1.PolicyRule
	for _, role := range r.roles(t) {
		rules = append(rules, role.Rules)
	}
	for _, cr := range r.clusterRoles(t) {
		rules = append(rules, cr.Rules)
	}
	for _, rs := range rules {
		for _, rule := range rs {
			if slices.Contains(rule.APIGroups, "") && slices.Contains(rule.Resources, "configmaps") {
				return true
			}
		}
	}
	return false
}

// TestFeedsRoleOnlyWithFeeds: an install without feeds (the chart's defaults,
// config/default) passes no --feeds and may touch no ConfigMap; one with feeds (the
// chart's feeds.enabled, the config/feeds component) passes --feeds and
// --feed-namespace naming the operator's own namespace, and gets one Role there for
// the feed copies' ConfigMaps, bound to the manager, and nothing wider.
func TestFeedsRoleOnlyWithFeeds(t *testing.T) {
	overlay := t.TempDir()
	rel := func(dir string) string {
		p, err := filepath.Rel(overlay, filepath.Join(configDir, dir))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	writeFile(t, overlay, "kustomization.yaml", []byte("resources:\n- "+rel("default")+"\ncomponents:\n- "+rel("feeds")+"\n"))
	withComponent, err := run(kustomizeBin(t), "build", overlay)
	if err != nil {
		t.Fatalf("kustomize build of an overlay with config/feeds: %v\n%s", err, withComponent)
	}
	values := writeFile(t, t.TempDir(), "feeds.yaml", []byte("feeds:\n  enabled: [github]\n"))

	off := []rendering{helmTemplate(t, "vao-feeds-off"), kustomizeBuild(t)}
	on := []rendering{
		helmTemplate(t, "vao-feeds-on", values),
		{name: "config/default with the config/feeds component", namespace: "vendor-allowlist-system", manifest: withComponent, objects: parseManifest(t, withComponent)},
	}
	for _, r := range off {
		t.Run(r.name, func(t *testing.T) {
			args, _ := argsOf(t, r.deployment(t))
			if len(args["feeds"]) > 0 || len(args["feed-namespace"]) > 0 {
				t.Errorf("passes --feeds %v --feed-namespace %v; without feeds it must fetch nothing", args["feeds"], args["feed-namespace"])
			}
			if grantsConfigMaps(t, r) {
				t.Error("grants ConfigMaps without feeds")
			}
		})
	}
	for _, r := range on {
		t.Run(r.name, func(t *testing.T) {
			args, _ := argsOf(t, r.deployment(t))
			if len(args["feeds"]) != 1 || args["feeds"][0] == "" {
				t.Errorf("--feeds %v, want one list", args["feeds"])
			}
			if !slices.Equal(args["feed-namespace"], []string{r.namespace}) {
				t.Errorf("--feed-namespace %v, want the operator's namespace %q", args["feed-namespace"], r.namespace)
			}
			roles := r.roles(t)
			role := takeFeedsRole(t, r, &roles)
			for _, cr := range r.clusterRoles(t) {
				if g := rulesToGrants(t, "ClusterRole "+cr.Name, cr.Rules); g[grant{"", "configmaps", "get"}] {
					t.Errorf("ClusterRole %s grants ConfigMaps: the feed copies need them in one namespace only", cr.Name)
				}
			}
			sa := r.deployment(t).Spec.Template.Spec.ServiceAccountName
			checkBindings(t, r, "RoleBinding", rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
				rbacv1.Subject{Kind: "ServiceAccount", Name: sa, Namespace: r.namespace}, r.namespace)
		})
	}
}
