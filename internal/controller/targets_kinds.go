/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// TargetKinds says which kinds of ingress target the manager handles: those the admin
// enabled (--ingress-targets, which the chart's RBAC follows) and, for the custom
// resources of Envoy Gateway, Istio and Traefik, whose CRD was installed when the
// manager started. It watches only those; a CRD installed later is used after a
// restart of the manager, and until then an allowlist naming the kind says so.
type TargetKinds struct {
	// Enabled are the kinds the admin enabled.
	Enabled []render.TargetKind
	// Installed are the enabled kinds whose objects the API server serves.
	Installed []render.TargetKind
}

// ParseTargetKinds reads --ingress-targets: a comma-separated list of kinds, "all" or
// "none".
func ParseTargetKinds(s string) ([]render.TargetKind, error) {
	var known []render.TargetKind
	for _, k := range render.RegisteredKinds() {
		known = append(known, k.Name())
	}
	switch strings.TrimSpace(s) {
	case "all":
		return known, nil
	case "none", "":
		return nil, nil
	}
	var out []render.TargetKind
	for _, f := range strings.Split(s, ",") {
		k := render.TargetKind(strings.TrimSpace(f))
		if !slices.Contains(known, k) {
			return nil, fmt.Errorf("unknown ingress target kind %q: want all, none, or a comma-separated list of %s", f, joinKinds(known))
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out, nil
}

func joinKinds(kinds []render.TargetKind) string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// String says what the manager handles, for its start-up log.
func (k TargetKinds) String() string {
	var missing []render.TargetKind
	for _, e := range k.Enabled {
		if !k.installed(e) {
			missing = append(missing, e)
		}
	}
	s := "watching [" + joinKinds(k.Installed) + "]"
	if len(missing) > 0 {
		s += ", enabled but not installed [" + joinKinds(missing) + "]"
	}
	return s
}

func (k TargetKinds) installed(kind render.TargetKind) bool {
	return slices.Contains(k.Installed, kind)
}

// usable says whether targets of kind can be written, and if not, why, as a target
// status reason and message.
func (k TargetKinds) usable(kind render.TargetKind) (reason, msg string, ok bool) {
	if !slices.Contains(k.Enabled, kind) {
		return v1alpha1.TargetReasonKindNotEnabled, fmt.Sprintf("The operator does not handle %s targets: the admin has not enabled them (chart value ingressTargets.%s, manager flag --ingress-targets)", kind, chartValue(kind)), false
	}
	if !k.installed(kind) {
		gvk, _ := kind.OwnedKind()
		return v1alpha1.TargetReasonKindNotInstalled, fmt.Sprintf("%s (%s) was not installed in the cluster when the operator started: install its CRDs, then restart the operator (kubectl rollout restart deployment of vendor-allowlist-operator); what was written before stays", gvk.Kind, gvk.GroupVersion()), false
	}
	return "", "", true
}

// chartValue is the chart value that enables a kind: its member's name.
func chartValue(k render.TargetKind) string {
	if kind, ok := render.LookupKind(k); ok {
		return kind.Member()
	}
	return ""
}

// installedKinds are the installed kinds, in the order they are registered, so that
// what is watched and released comes in one order whatever the flag's.
func (k TargetKinds) installedKinds() []render.Kind {
	var out []render.Kind
	for _, kind := range render.RegisteredKinds() {
		if k.installed(kind.Name()) {
			out = append(out, kind)
		}
	}
	return out
}

// fieldObjects are the kinds of user object whose field the installed kinds set.
func (k TargetKinds) fieldObjects() []render.FieldObject {
	var out []render.FieldObject
	for _, kind := range k.installedKinds() {
		for _, f := range kind.Fields() {
			i := slices.IndexFunc(out, func(o render.FieldObject) bool { return o.Kind == f.Kind })
			if i < 0 {
				out = append(out, f)
				continue
			}
			out[i].SpecMatters = out[i].SpecMatters || f.SpecMatters
		}
	}
	return out
}

// ownedKinds are the installed kinds whose objects the operator creates.
func (k TargetKinds) ownedKinds() []render.TargetKind {
	var out []render.TargetKind
	for _, kind := range k.Installed {
		if _, owned := kind.OwnedKind(); owned {
			out = append(out, kind)
		}
	}
	return out
}

// ownedObject is an empty object of the custom resource a kind creates.
func ownedObject(kind render.TargetKind) *unstructured.Unstructured {
	gvk, _ := kind.OwnedKind()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	return u
}

// AddToCache makes the cache hold, of the custom resources the targets create, only
// those the operator manages (label-selected, as its NetworkPolicies). Services and
// Ingresses are watched all, since an allowlist may name any of them, but cached
// whole (the part a target reads, with every managed fields entry: who else set a
// field decides whether the operator may) only when an allowlist names them, as
// names says, or holds a field of them; of the others the cache keeps a stub
// (userObjectTransform).
func (k TargetKinds) AddToCache(opts *cache.Options, scheme *runtime.Scheme, names *TargetNames) error {
	if opts.ByObject == nil {
		opts.ByObject = map[client.Object]cache.ByObject{}
	}
	for _, kind := range k.ownedKinds() {
		opts.ByObject[ownedObject(kind)] = cache.ByObject{Label: labels.SelectorFromSet(labels.Set{v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue})}
	}
	for _, f := range k.fieldObjects() {
		obj, err := newObject(scheme, f.Kind)
		if err != nil {
			return err
		}
		opts.ByObject[obj] = cache.ByObject{Transform: userObjectTransform(f.Kind.Kind, names)}
	}
	return nil
}
