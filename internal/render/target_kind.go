/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package render

import (
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// Kind is one kind of ingress target: everything the operator knows of it that needs
// no I/O. The renderer asks it what an entry writes; the controller asks it which
// objects to watch (the same identities), whether what is there is up to date, who
// must consent, and what to say once it is written. Each kind is one file
// (target_*.go) and one line of builtinKinds; a test registers its own with
// RegisterTargetKind.
type Kind interface {
	// Name is the kind as --ingress-targets and the Namespace's consent annotation
	// name it.
	Name() TargetKind
	// Member is the IngressTarget member that makes an entry of this kind, as its JSON
	// names it ("service"); the chart value that enables the kind has the same name.
	Member() string
	// Of says whether the entry is of this kind (its member is set).
	Of(t v1alpha1.IngressTarget) bool
	// Owned is the custom resource the kind creates and owns; false for a kind that
	// only sets a field of the user's objects.
	Owned() (schema.GroupVersionKind, bool)
	// Fields are the kinds of user object whose field the kind sets: the manager
	// caches and watches them whole.
	Fields() []FieldObject
	// Check finds what the CRD schema cannot in the entry at path.
	Check(path *field.Path, t v1alpha1.IngressTarget) field.ErrorList
	// Objects are what the entry writes, in the order they are written, with cidrs
	// (the allowlist's ingress addresses) in their content. With no cidrs they still
	// name the objects: those are the target's identities.
	Objects(allowlist *v1alpha1.VendorAllowlist, t v1alpha1.IngressTarget, cidrs []string) []KindObject
	// Consent is whose consent the entry needs before it is written.
	Consent(allowlist *v1alpha1.VendorAllowlist, t v1alpha1.IngressTarget) Consent
	// Restriction says why the kind's field is not set of existing, a user object:
	// a target status reason and what it says; "" when it may be set. With reason
	// Restricted, detail names who else restricts the object's sources (whatever
	// the allowlist set there before is then released). manager is the allowlist's
	// field manager.
	Restriction(existing runtime.Object, manager string) (reason, detail string)
	// FieldUpToDate says whether manager holds, of existing, exactly the field
	// desired sets, with desired's values.
	FieldUpToDate(existing runtime.Object, desired *unstructured.Unstructured, manager string) bool
	// NotAttached is what the gateway controller says, in the status of existing (an
	// object the kind owns, as read), of where it has not attached it: it then
	// filters nothing. Empty when it has attached it or says nothing yet.
	NotAttached(existing *unstructured.Unstructured) []string
	// Applied is the status of an object of the entry once written: its message and,
	// when it is in place but may not filter as meant, the reason of a warning.
	// existing is the user object a field was set of; nil for an owned object.
	Applied(t v1alpha1.IngressTarget, written *unstructured.Unstructured, existing runtime.Object, addresses int) (message, warning string)
}

// Consent is whose consent an entry needs before the operator writes it.
type Consent struct {
	// Needed: false for an entry that writes into or attaches to nothing of anyone
	// else's by itself.
	Needed bool
	// Kind and Name are the object the entry writes into or attaches to: its owner
	// consents (or the cluster admin, for the whole namespace).
	Kind schema.GroupKind
	Name string
	// AdminOnly, when there is no such object, says why only the cluster admin can
	// consent; Otherwise, what the user can do instead.
	AdminOnly, Otherwise string
}

// FieldObject is a kind of user object whose field a target kind sets.
type FieldObject struct {
	Kind schema.GroupVersionKind
	// SpecMatters: a change of the object's spec can change the target's status (a
	// Service's type), so it reconciles the allowlists that name the object.
	SpecMatters bool
}

// KindObject is one object of an entry as its kind renders it; the renderer sets its
// namespace and, when owned, the operator's labels.
type KindObject struct {
	Kind    schema.GroupVersionKind
	Name    string
	Owned   bool
	Content map[string]any
}

// builtinKinds are the kinds the operator ships, in the order the flag lists them.
var builtinKinds = []Kind{serviceKind{}, ingressNginxKind{}, envoyGatewayKind{}, istioKind{}, traefikKind{}}

var (
	kindsMu sync.RWMutex
	kinds   = slices.Clone(builtinKinds)
)

// RegisterTargetKind adds k to the kinds the renderer and the controller know, in
// place of a kind of the same name or member (the API has no member a kind of a test
// could claim alone). It returns what puts the kinds back as they were.
func RegisterTargetKind(k Kind) (restore func()) {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	before := kinds
	kinds = slices.DeleteFunc(slices.Clone(kinds), func(o Kind) bool { return o.Name() == k.Name() || o.Member() == k.Member() })
	kinds = append(kinds, k)
	return func() {
		kindsMu.Lock()
		defer kindsMu.Unlock()
		kinds = before
	}
}

// RegisteredKinds are the kinds known, built-in first.
func RegisteredKinds() []Kind {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	return kinds
}

// LookupKind is the kind of that name.
func LookupKind(name TargetKind) (Kind, bool) {
	for _, k := range RegisteredKinds() {
		if k.Name() == name {
			return k, true
		}
	}
	return nil, false
}

// kindsOf are the kinds whose member the entry sets.
func kindsOf(t v1alpha1.IngressTarget) []Kind {
	var out []Kind
	for _, k := range RegisteredKinds() {
		if k.Of(t) {
			out = append(out, k)
		}
	}
	return out
}

// memberList names the members an entry may set, for messages: "a, b or c".
func memberList() string {
	var members []string
	for _, k := range RegisteredKinds() {
		members = append(members, k.Member())
	}
	if len(members) < 2 {
		return strings.Join(members, "")
	}
	return strings.Join(members[:len(members)-1], ", ") + " or " + members[len(members)-1]
}

// OwnedKind is the custom resource a target kind creates and owns; false for the
// kinds that set a field of the user's own object.
func (k TargetKind) OwnedKind() (schema.GroupVersionKind, bool) {
	if kind, ok := LookupKind(k); ok {
		return kind.Owned()
	}
	return schema.GroupVersionKind{}, false
}

// anys is cidrs as the items of an unstructured list.
func anys(cidrs []string) []any {
	out := make([]any, len(cidrs))
	for i, c := range cidrs {
		out[i] = c
	}
	return out
}
