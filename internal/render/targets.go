/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// TargetKind is a kind of ingress target, as the manager's --ingress-targets flag
// names it: what an admin enables, and what the manager needs RBAC and, for a custom
// resource, an installed CRD for.
type TargetKind string

// TargetKinds are the built-in kinds (builtinKinds), in the order the flag lists
// them.
var TargetKinds = kindNames(builtinKinds)

func kindNames(kinds []Kind) []TargetKind {
	out := make([]TargetKind, len(kinds))
	for i, k := range kinds {
		out[i] = k.Name()
	}
	return out
}

// IngressKind is the kind of user object more than one kind writes into.
var IngressKind = schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"}

// gatewayAPIGroup is the group of the Gateway API objects targets attach to.
const gatewayAPIGroup = "gateway.networking.k8s.io"

// TargetObject is one object an ingress target writes.
type TargetObject struct {
	// Object is what to apply. Owned, it is the whole object (without the owner
	// reference, which only the manager knows); otherwise it is the one field the
	// operator sets of someone else's object, named by kind and name.
	Object *unstructured.Unstructured
	// Owned: the operator creates the object, owns it and deletes it when no longer
	// rendered. Otherwise the object is the user's: it must exist, the operator never
	// creates or deletes it, and pruning it means releasing the field.
	Owned bool
}

// RenderedTarget is one entry of spec.ingressTargets, rendered.
type RenderedTarget struct {
	// Index is the entry's position in spec.ingressTargets.
	Index int
	Kind  TargetKind
	// Objects are what the entry writes. When Addresses is 0 (no ingress address is
	// known), they name the objects but carry no content: nothing is to be written,
	// and what was written before stays, since an empty allowlist in these fields
	// would open the target to every address.
	Objects []TargetObject
	// Addresses counts the address blocks each object enforces.
	Addresses int
}

// Path is the field path of the entry, for messages.
func (t RenderedTarget) Path() *field.Path {
	return field.NewPath("spec", "ingressTargets").Index(t.Index)
}

// compiledTarget is a target checked by Compile.
type compiledTarget struct {
	index  int
	kind   Kind
	target v1alpha1.IngressTarget
}

// targets checks spec.ingressTargets: one member each, no two writing the same
// object, what each kind checks of its entry, and an ingress direction to take
// addresses from.
func (c *compiler) targets(spec *field.Path, a *v1alpha1.VendorAllowlist) []compiledTarget {
	path := spec.Child("ingressTargets")
	if len(a.Spec.IngressTargets) == 0 {
		if !a.Spec.IngressNetworkPolicyEnabled() {
			c.fail(v1alpha1.ReasonInvalidSpec, field.Required(path,
				"ingressNetworkPolicy: Disabled leaves the ingress addresses to the ingress targets, and none is listed: add one (for example {service: {name: web}}), or remove ingressNetworkPolicy"))
		}
		return nil
	}
	ingress := slices.ContainsFunc(c.rules, func(r rule) bool { return r.direction == v1alpha1.DirectionIngress })
	if !ingress && c.err == nil {
		c.fail(v1alpha1.ReasonInvalidSpec, field.Invalid(path, fmt.Sprintf("%d targets", len(a.Spec.IngressTargets)),
			"ingress targets enforce the allowlist's Ingress addresses, and it opens none: select a vendor's Ingress group (or a custom entry with direction: Ingress), or remove ingressTargets"))
	}
	var out []compiledTarget
	written := map[string]int{} // kind/name of each object -> entry
	for i, t := range a.Spec.IngressTargets {
		p := path.Index(i)
		kinds := kindsOf(t)
		if len(kinds) != 1 {
			c.fail(v1alpha1.ReasonInvalidSpec, field.Invalid(p, fmt.Sprintf("%d members set", len(kinds)),
				"set exactly one of "+memberList()+", for example {service: {name: web}}; list several targets as several entries"))
			continue
		}
		ct := compiledTarget{index: i, kind: kinds[0], target: t}
		if errs := ct.kind.Check(p, t); len(errs) > 0 {
			c.fail(v1alpha1.ReasonInvalidSpec, errs...)
		}
		for _, o := range ct.kind.Objects(a, t, nil) {
			key := o.Kind.Kind + "/" + o.Name
			if first, dup := written[key]; dup {
				e := field.Duplicate(p, fmt.Sprintf("%s %s", o.Kind.Kind, o.Name))
				e.Detail = fmt.Sprintf("spec.ingressTargets[%d] already writes %s %s: name each object in one target only", first, o.Kind.Kind, o.Name)
				c.fail(v1alpha1.ReasonInvalidSpec, e)
				continue
			}
			written[key] = i
		}
		out = append(out, ct)
	}
	return out
}

// TargetIdentities are the objects the targets of the allowlist write, of their
// entries that name one kind each: what the renderer writes, and what the
// controller watches.
func TargetIdentities(a *v1alpha1.VendorAllowlist) []KindObject {
	var out []KindObject
	for _, t := range a.Spec.IngressTargets {
		if kinds := kindsOf(t); len(kinds) == 1 {
			out = append(out, kinds[0].Objects(a, t, nil)...)
		}
	}
	return out
}

// TargetKindOf is the kind of the entry; false unless it sets exactly one member.
func TargetKindOf(t v1alpha1.IngressTarget) (Kind, bool) {
	kinds := kindsOf(t)
	if len(kinds) != 1 {
		return nil, false
	}
	return kinds[0], true
}

// maxObjectName is the longest name of the objects the targets create.
const maxObjectName = 253

// TargetObjectName is the name of an object the operator creates for a target: the
// allowlist's name and the parts, joined with '-'; when that is longer than a name
// may be, cut short and ended with a hash of the whole, so it stays unique.
func TargetObjectName(allowlist string, parts ...string) string {
	name := strings.Join(append([]string{allowlist}, parts...), "-")
	if len(name) <= maxObjectName {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	suffix := "-" + hex.EncodeToString(sum[:])[:10]
	return strings.TrimRight(name[:maxObjectName-len(suffix)], "-.") + suffix
}

// buildTargets renders every target with the ingress addresses.
func (p *Plan) buildTargets(ingress []netip.Prefix) []RenderedTarget {
	cidrs := make([]string, len(ingress))
	for i, pfx := range ingress {
		cidrs[i] = pfx.String()
	}
	out := make([]RenderedTarget, 0, len(p.targets))
	for _, ct := range p.targets {
		rt := RenderedTarget{Index: ct.index, Kind: ct.kind.Name(), Addresses: len(ingress)}
		for _, o := range ct.kind.Objects(p.allowlist, ct.target, cidrs) {
			rt.Objects = append(rt.Objects, p.targetObject(o, len(ingress) > 0))
		}
		out = append(out, rt)
	}
	return out
}

// targetObject is one object of a target, with its content when there are
// addresses.
func (p *Plan) targetObject(o KindObject, withContent bool) TargetObject {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	if withContent {
		u.Object = o.Content
	}
	u.SetGroupVersionKind(o.Kind)
	u.SetNamespace(p.allowlist.Namespace)
	u.SetName(o.Name)
	if o.Owned {
		// Set after the content, which may hold annotations but never labels.
		u.SetLabels(map[string]string{v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue, v1alpha1.AllowlistLabel: p.allowlist.Name})
	}
	return TargetObject{Object: u, Owned: o.Owned}
}
