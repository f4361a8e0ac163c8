/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/addresses"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// The kinds of every name backend: the chart grants them all, so that a switch of
// backend can delete what the one before wrote (docs/fqdn.md).
// +kubebuilder:rbac:groups=cilium.io,resources=ciliumnetworkpolicies,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=policy.networking.k8s.io,resources=clusternetworkpolicies,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=networking.gke.io,resources=fqdnnetworkpolicies,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=k8s.ovn.org,resources=egressfirewalls,verbs=get;list;watch;create;update;patch;delete

// EgressKind is a kind of object a name backend writes, as the API server serves it.
type EgressKind struct {
	GVK        schema.GroupVersionKind
	Namespaced bool
}

// BackendKinds are the kinds the name backends write.
var BackendKinds = map[render.EgressBackend]schema.GroupVersionKind{
	render.BackendCilium:               render.CiliumNetworkPolicyKind,
	render.BackendGKE:                  render.FQDNNetworkPolicyKind,
	render.BackendClusterNetworkPolicy: render.ClusterNetworkPolicyKind,
	render.BackendOVN:                  render.EgressFirewallKind,
}

// EgressBackend is what enforces the allowlists' egress hostnames, chosen when the
// manager starts (--egress-backend; a restart chooses again).
type EgressBackend struct {
	// Name is the backend; "" or networkpolicy: the hostnames' addresses, in the
	// NetworkPolicies.
	Name render.EgressBackend
	// Served are the name backends' kinds the API server served at start, the
	// chosen one's among them. After a switch, an allowlist's objects of the others
	// are deleted once its NetworkPolicies and the new backend's objects are in place.
	Served []EgressKind
	// Reason says why the backend was chosen, for the log.
	Reason string
}

// kind is the chosen backend's kind; false for networkpolicy.
func (b EgressBackend) kind() (EgressKind, bool) {
	gvk, ok := BackendKinds[b.Name]
	if !ok {
		return EgressKind{}, false
	}
	for _, k := range b.Served {
		if k.GVK == gvk {
			return k, true
		}
	}
	return EgressKind{GVK: gvk, Namespaced: gvk != render.ClusterNetworkPolicyKind}, true
}

// clusterScoped is the served cluster-scoped kind, if any: ClusterNetworkPolicy.
func (b EgressBackend) clusterScoped() (EgressKind, bool) {
	i := slices.IndexFunc(b.Served, func(k EgressKind) bool { return !k.Namespaced })
	if i < 0 {
		return EgressKind{}, false
	}
	return b.Served[i], true
}

// String says what enforces the hostnames, for the start-up log.
func (b EgressBackend) String() string {
	name := b.Name
	if name == "" {
		name = render.BackendNetworkPolicy
	}
	return fmt.Sprintf("%s (%s)", name, b.Reason)
}

// egressObserved is what one reconcile did with the name backend's objects: step 1
// of it (written before the NetworkPolicies), and step 3 (stale ones deleted after).
type egressObserved struct {
	kind      EgressKind
	wanted    map[string]bool
	changed   []string
	conflicts []string
	// err: an object could not be written, or a stale one deleted; unavailable: its
	// kind is no longer served.
	err         error
	unavailable bool
}

// blocked says whether the NetworkPolicies must stay as they are: a backend object
// the allowlist renders is not in place, so the addresses its hostnames had in the
// policies must not go.
func (o *egressObserved) blocked() bool {
	return o != nil && (o.err != nil || len(o.conflicts) > 0)
}

// problem is Ready's reason and message while the backend's objects block.
func (o *egressObserved) problem() (reason, msg string) {
	const kept = "; the NetworkPolicies in place stay as they are, the hostnames' addresses included, until it is"
	switch {
	case o.unavailable:
		return v1alpha1.ReasonEgressBackendUnavailable, fmt.Sprintf("The API server no longer serves %s (%s), which the operator enforces egress hostnames with: reinstall its CRD, or restart the operator so that it chooses its egress backend again (--egress-backend)%s", o.kind.GVK.Kind, o.kind.GVK.GroupVersion(), kept)
	case o.err != nil:
		return v1alpha1.ReasonEgressBackendFailed, fmt.Sprintf("Writing the egress hostnames' %s failed: %v%s", o.kind.GVK.Kind, o.err, kept)
	}
	return v1alpha1.ReasonPolicyConflict, conflictMessage(o.conflicts) + ". The NetworkPolicies in place stay as they are, the hostnames' addresses included, until the name is free"
}

// writeEgress creates or updates the objects of the name backend the allowlist
// renders (step 1 of a reconcile, before the NetworkPolicies drop the addresses of
// the hostnames those objects enforce by name), as the NetworkPolicies are: server-
// side apply with the operator's field owner, owned by the allowlist, never over an
// object of the name that is someone else's. It stops at the first failure.
func (r *VendorAllowlistReconciler) writeEgress(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, objs []*unstructured.Unstructured) *egressObserved {
	kind, named := r.Egress.kind()
	obs := &egressObserved{kind: kind, wanted: map[string]bool{}}
	if !named {
		return obs
	}
	if kind.GVK == render.EgressFirewallKind {
		return r.writeFirewall(ctx, allowlist, objs, obs)
	}
	for _, o := range objs {
		obs.wanted[o.GetName()] = true
		did, conflict, err := r.writeEgressObject(ctx, allowlist, kind, o)
		if err != nil {
			obs.err, obs.unavailable = err, kindGone(err)
			return obs
		}
		if conflict != "" {
			obs.conflicts = append(obs.conflicts, conflict)
		}
		if did != "" {
			obs.changed = append(obs.changed, did)
		}
	}
	return obs
}

// kindGone says whether err means the API server no longer serves the kind.
func kindGone(err error) bool {
	// An apply creates what is missing: NotFound is the resource itself.
	return meta.IsNoMatchError(err) || apierrors.IsNotFound(err)
}

// writeEgressObject writes one object; conflict says why an object of its name is
// left alone.
func (r *VendorAllowlistReconciler) writeEgressObject(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, kind EgressKind, obj *unstructured.Unstructured) (did, conflictMsg string, err error) {
	desired, err := egressDesired(allowlist, kind, obj)
	if err != nil {
		return "", "", err
	}
	key := client.ObjectKeyFromObject(desired)
	act, found, err := r.egressOwnership(ctx, allowlist, kind, key, desired)
	switch {
	case err != nil:
		return "", "", err
	case act == conflict:
		return "", egressConflictDetail(kind, found, allowlist), nil
	case act == upToDate:
		return "", "", nil
	}
	if err := r.writeDesired(ctx, desired, act); err != nil {
		return "", "", fmt.Errorf("applying %s %s: %w", kind.GVK.Kind, objectRef(key), err)
	}
	logf.FromContext(ctx).Info("Applied an egress backend's object", "kind", kind.GVK.Kind, "name", key.Name, "action", act.String())
	return fmt.Sprintf("%s %s %s", pastTense(act), kind.GVK.Kind, key.Name), "", nil
}

func objectRef(key client.ObjectKey) string {
	if key.Namespace == "" {
		return key.Name
	}
	return key.Namespace + "/" + key.Name
}

// egressOwnership is ownership for an object of the backend: by the controller
// reference for a namespaced kind, by the labels for the cluster-scoped one.
func (r *VendorAllowlistReconciler) egressOwnership(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, kind EgressKind, key client.ObjectKey, desired *unstructured.Unstructured) (action, client.Object, error) {
	existing := &unstructured.Unstructured{}
	existing.SetGroupVersionKind(kind.GVK)
	holds := func(e *unstructured.Unstructured) (bool, error) { return ownedContentEqual(e, desired), nil }
	if kind.Namespaced {
		return ownership(ctx, allowlist, kind.GVK, key, r.TargetObjects, r.APIReader, existing, holds)
	}
	return labelOwnership(ctx, allowlist, kind.GVK, key, r.TargetObjects, r.APIReader, existing, holds)
}

// labelOwnership is ownership for a cluster-scoped object, which cannot carry an
// owner reference to a namespaced allowlist: the operator's labels naming the
// allowlist, with the UID label that only the operator writes, stand for it. An
// object with the labels but without the UID label was applied by someone else
// (the plugin's rendering, by hand): adopted only with the AdoptAnnotation naming
// the allowlist as namespace/name.
func labelOwnership(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, gvk schema.GroupVersionKind, key client.ObjectKey,
	managed, names client.Reader, existing *unstructured.Unstructured, holdsDesired func(*unstructured.Unstructured) (bool, error)) (action, client.Object, error) {
	var found client.Object = existing
	err := managed.Get(ctx, key, existing)
	inCache := err == nil
	if apierrors.IsNotFound(err) {
		m := partialMetadata(gvk, key)
		if err = names.Get(ctx, key, m); apierrors.IsNotFound(err) {
			return create, nil, nil
		}
		found = m
	}
	if err != nil {
		return upToDate, nil, fmt.Errorf("reading %s %s: %w", gvk.Kind, key.Name, err)
	}
	switch {
	case labelledFor(found, allowlist) && inCache:
		if equal, err := holdsDesired(existing); err != nil || equal {
			return upToDate, existing, err
		}
		return update, nil, nil
	case labelledFor(found, allowlist):
		return update, nil, nil
	case adoptableClusterObject(found, allowlist):
		return adopt, nil, nil
	}
	return conflict, found, nil
}

// labelledFor: the operator wrote o for the allowlist of that namespace and name (or
// for an earlier allowlist of the same namespace and name, whose object it takes
// over as the garbage collector would have removed it).
func labelledFor(o metav1.Object, allowlist *v1alpha1.VendorAllowlist) bool {
	l := o.GetLabels()
	return l[v1alpha1.ManagedByLabel] == v1alpha1.ManagedByValue && l[v1alpha1.AllowlistUIDLabel] != "" &&
		l[v1alpha1.AllowlistNamespaceLabel] == allowlist.Namespace && l[v1alpha1.AllowlistLabel] == allowlist.Name
}

// adoptableClusterObject is adoptableObject for a cluster-scoped object: the labels
// naming the allowlist, and the AdoptAnnotation naming it as namespace/name.
func adoptableClusterObject(o metav1.Object, allowlist *v1alpha1.VendorAllowlist) bool {
	l := o.GetLabels()
	return l[v1alpha1.ManagedByLabel] == v1alpha1.ManagedByValue && l[v1alpha1.AllowlistUIDLabel] == "" &&
		l[v1alpha1.AllowlistNamespaceLabel] == allowlist.Namespace && l[v1alpha1.AllowlistLabel] == allowlist.Name &&
		o.GetAnnotations()[v1alpha1.AdoptAnnotation] == allowlist.Namespace+"/"+allowlist.Name
}

// egressConflictDetail is conflictDetail for the backend's kind.
func egressConflictDetail(kind EgressKind, o client.Object, allowlist *v1alpha1.VendorAllowlist) string {
	resource := strings.ToLower(kind.GVK.Kind) + "." + kind.GVK.Group
	if kind.Namespaced {
		return conflictDetail(kind.GVK.Kind, resource, o, allowlist)
	}
	return fmt.Sprintf("%s %s exists and was not created by the operator for this VendorAllowlist, so it is left as it is: remove or rename it, or, if its writer (a cluster admin) means to hand it over, label it as the operator would and annotate it: kubectl label %s %s %s=%s %s=%s %s=%s && kubectl annotate %s %s %s=%s/%s",
		kind.GVK.Kind, o.GetName(), resource, o.GetName(), v1alpha1.ManagedByLabel, v1alpha1.ManagedByValue, v1alpha1.AllowlistNamespaceLabel, allowlist.Namespace, v1alpha1.AllowlistLabel, allowlist.Name,
		resource, o.GetName(), v1alpha1.AdoptAnnotation, allowlist.Namespace, allowlist.Name)
}

// egressDesired is the apply request of a backend object: what render made, with
// the digest of the content, and the allowlist's ownership: the controller
// reference, or for a cluster-scoped object the labels that stand for it.
func egressDesired(allowlist *v1alpha1.VendorAllowlist, kind EgressKind, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	typed := obj.DeepCopy()
	typed.SetGroupVersionKind(kind.GVK)
	u, err := withRenderedHash(typed)
	if err != nil {
		return nil, err
	}
	labels := maps.Clone(u.GetLabels())
	if labels == nil {
		labels = map[string]string{}
	}
	labels[v1alpha1.ManagedByLabel], labels[v1alpha1.AllowlistLabel] = v1alpha1.ManagedByValue, allowlist.Name
	if kind.Namespaced {
		u.SetNamespace(allowlist.Namespace)
		u.SetOwnerReferences([]metav1.OwnerReference{*metav1.NewControllerRef(allowlist, allowlistKind)})
	} else {
		u.SetNamespace("")
		labels[v1alpha1.AllowlistNamespaceLabel], labels[v1alpha1.AllowlistUIDLabel] = allowlist.Namespace, string(allowlist.UID)
	}
	u.SetLabels(labels)
	return u, nil
}

// pruneEgress is step 3 of a reconcile, once the backend's objects and the
// NetworkPolicies are in place: it deletes the allowlist's objects of the backend's
// kind that it no longer renders and, once after the manager starts (a switch of
// backend happens at a restart), its objects of every other name backend's kind the
// cluster serves. Not while a hostname awaits its first address: the NetworkPolicy
// would not hold it yet, and the old backend's object is what lets it through.
func (r *VendorAllowlistReconciler) pruneEgress(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, obs *egressObserved, awaitingDNS bool) error {
	var errs []error
	if kind, named := r.Egress.kind(); named {
		deleted, err := r.deleteEgressObjects(ctx, allowlist, kind, r.TargetObjects, obs.wanted)
		obs.changed = append(obs.changed, deleted...)
		errs = append(errs, err)
	}
	key := types.NamespacedName{Namespace: allowlist.Namespace, Name: allowlist.Name}
	if _, done := r.swept.Load(key); done || awaitingDNS {
		return errors.Join(errs...)
	}
	chosen, _ := r.Egress.kind()
	var otherErrs []error
	swept := false
	for _, kind := range r.Egress.Served {
		if kind.GVK == chosen.GVK || !r.leftovers.mayHave(ctx, r.APIReader, kind, key) {
			continue
		}
		deleted, err := r.deleteOtherEgress(ctx, allowlist, kind)
		obs.changed = append(obs.changed, deleted...)
		otherErrs = append(otherErrs, err)
		swept = true
	}
	if err := errors.Join(otherErrs...); err != nil {
		return errors.Join(append(errs, err)...)
	}
	if swept {
		r.swept.Store(key, true)
	}
	return errors.Join(errs...)
}

// sweptAllowlists records the allowlists whose objects of the other backends' kinds
// were deleted since the manager started. One the leftover index clears needs no
// record (asking the index again is a map lookup): without a switch of backend,
// which is nearly always, it stays empty, where it was a 3 MB map at 10,000
// allowlists.
type sweptAllowlists struct{ sync.Map }

// leftoverIndex is, for each other backend's kind, which allowlists had objects of
// it when the manager first looked: one label-selected list per kind at start
// instead of one per allowlist. Nothing adds to them meanwhile: only a manager run
// with that backend writes them, and a switch is a restart.
type leftoverIndex struct {
	mu    sync.Mutex
	kinds map[schema.GroupVersionKind]map[types.NamespacedName]bool
}

// mayHave says whether the allowlist key may have objects of kind; true when the
// kind could not be listed whole (a manager bound to some namespaces), so that the
// allowlist's own namespace is asked.
func (x *leftoverIndex) mayHave(ctx context.Context, reader client.Reader, kind EgressKind, key types.NamespacedName) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	keys, listed := x.kinds[kind.GVK]
	if !listed {
		var err error
		if keys, err = listLeftovers(ctx, reader, kind); err != nil {
			logf.FromContext(ctx).V(1).Info("Listing an egress backend's kind whole failed; each allowlist's namespace is asked instead", "kind", kind.GVK.Kind, "error", err.Error())
			return true
		}
		if x.kinds == nil {
			x.kinds = map[schema.GroupVersionKind]map[types.NamespacedName]bool{}
		}
		x.kinds[kind.GVK] = keys
	}
	return keys[key]
}

// listLeftovers lists the operator's objects of kind, cluster-wide, and says whose
// allowlists they are: by their labels, or for an EgressFirewall by its parts.
func listLeftovers(ctx context.Context, reader client.Reader, kind EgressKind) (map[types.NamespacedName]bool, error) {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(kind.GVK.GroupVersion().WithKind(kind.GVK.Kind + "List"))
	if err := reader.List(ctx, list, client.MatchingLabels{v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue}); err != nil {
		return nil, err
	}
	keys := map[types.NamespacedName]bool{}
	for _, o := range list.Items {
		ns := o.GetNamespace()
		if !kind.Namespaced {
			ns = o.GetLabels()[v1alpha1.AllowlistNamespaceLabel]
		}
		if name := o.GetLabels()[v1alpha1.AllowlistLabel]; name != "" {
			keys[types.NamespacedName{Namespace: ns, Name: name}] = true
		}
		var parts firewallParts
		if raw, ok := o.GetAnnotations()[partsAnnotation]; ok && json.Unmarshal([]byte(raw), &parts) == nil {
			for name := range parts {
				keys[types.NamespacedName{Namespace: ns, Name: name}] = true
			}
		}
	}
	return keys, nil
}

// deleteEgressObjects deletes the allowlist's objects of kind, read from reader,
// that are not in wanted. A kind the operator may not list (a cluster-scoped one,
// to a manager bound to some namespaces only) is passed over.
func (r *VendorAllowlistReconciler) deleteEgressObjects(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, kind EgressKind, reader client.Reader, wanted map[string]bool) ([]string, error) {
	list, err := listEgressObjects(ctx, reader, kind, allowlist.Namespace, allowlist.Name)
	if apierrors.IsForbidden(err) {
		logf.FromContext(ctx).V(1).Info("Not allowed to list an egress backend's kind; its objects are left", "kind", kind.GVK.Kind, "error", err.Error())
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var done []string
	for i := range list {
		o := &list[i]
		if wanted[o.GetName()] || !ownedEgressObject(o, kind, allowlist) {
			continue
		}
		if err := deleteObject(ctx, r.Client, o); err != nil {
			return done, fmt.Errorf("deleting %s %s the allowlist no longer renders: %w", kind.GVK.Kind, objectRef(client.ObjectKeyFromObject(o)), err)
		}
		logf.FromContext(ctx).Info("Deleted an egress backend's object the allowlist no longer renders", "kind", kind.GVK.Kind, "name", o.GetName())
		done = append(done, fmt.Sprintf("deleted %s %s", kind.GVK.Kind, o.GetName()))
	}
	return done, nil
}

// ownedEgressObject: the allowlist owns o, by its controller reference or, for a
// cluster-scoped kind, its labels.
func ownedEgressObject(o metav1.Object, kind EgressKind, allowlist *v1alpha1.VendorAllowlist) bool {
	if kind.Namespaced {
		return metav1.IsControlledBy(o, allowlist)
	}
	return labelledFor(o, allowlist)
}

// listEgressObjects lists the objects of kind labelled for the allowlist
// namespace/name.
func listEgressObjects(ctx context.Context, reader client.Reader, kind EgressKind, namespace, name string) ([]unstructured.Unstructured, error) {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(kind.GVK.GroupVersion().WithKind(kind.GVK.Kind + "List"))
	labels := client.MatchingLabels{v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue, v1alpha1.AllowlistLabel: name}
	opts := []client.ListOption{labels, client.InNamespace(namespace)}
	if !kind.Namespaced {
		labels[v1alpha1.AllowlistNamespaceLabel] = namespace
		opts = []client.ListOption{labels}
	}
	if err := reader.List(ctx, list, opts...); err != nil {
		return nil, fmt.Errorf("listing the %ss of allowlist %s/%s: %w", kind.GVK.Kind, namespace, name, err)
	}
	return list.Items, nil
}

// deleteObject deletes o, only if it is still the object read.
func deleteObject(ctx context.Context, c client.Client, o *unstructured.Unstructured) error {
	uid := o.GetUID()
	return client.IgnoreNotFound(c.Delete(ctx, o, client.Preconditions{UID: &uid}))
}

// egressNotes adds to the Ready message what enforces the egress hostnames.
func egressNotes(backend render.EgressBackend, rules []v1alpha1.EgressRuleStatus) string {
	var byName, fellBack []string
	for _, r := range rules {
		if r.Backend == string(render.BackendNetworkPolicy) || r.Backend == "" {
			if r.Message != "" {
				fellBack = append(fellBack, r.Rule)
			}
			continue
		}
		byName = append(byName, r.Rule)
	}
	out := ""
	if len(byName) > 0 {
		out += fmt.Sprintf("; %s enforces the hostnames of %s by name", backend, strings.Join(byName, ", "))
	}
	if len(fellBack) > 0 {
		out += fmt.Sprintf("; the hostnames of %s stay on addresses (status.egress says why)", strings.Join(fellBack, ", "))
	}
	return out
}

// backend names the backend for the Ready message.
func (o *egressObserved) backend() render.EgressBackend {
	if o == nil || o.kind.GVK.Empty() {
		return render.BackendNetworkPolicy
	}
	for b, gvk := range BackendKinds {
		if gvk == o.kind.GVK {
			return b
		}
	}
	return render.BackendNetworkPolicy
}

// blockedAnswers counts, for each hostname, the addresses of its last answer that the
// guard forbids: a name backend would let the pods reach them, so render keeps such a
// hostname on its addresses.
func blockedAnswers(known map[string]addresses.Host) map[string]int {
	out := map[string]int{}
	for name, h := range known {
		if h.Blocked > 0 {
			out[name] = h.Blocked
		}
	}
	return out
}

// writeFirewall writes the allowlist's part of its namespace's EgressFirewall (OVN):
// its one object, or none, which takes its part out.
func (r *VendorAllowlistReconciler) writeFirewall(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, objs []*unstructured.Unstructured, obs *egressObserved) *egressObserved {
	var part *unstructured.Unstructured
	if len(objs) > 0 {
		part = objs[0]
	}
	did, conflictMsg, err := r.writeFirewallPart(ctx, allowlist, part, r.TargetObjects)
	switch {
	case err != nil:
		obs.err, obs.unavailable = err, kindGone(err)
	case conflictMsg != "":
		obs.conflicts = append(obs.conflicts, conflictMsg)
	case did != "":
		obs.changed = append(obs.changed, did)
	}
	return obs
}

// deleteOtherEgress deletes the allowlist's objects of a backend kind the manager
// does not use (after a switch); of an EgressFirewall, which other allowlists share,
// it takes out the allowlist's part.
func (r *VendorAllowlistReconciler) deleteOtherEgress(ctx context.Context, allowlist *v1alpha1.VendorAllowlist, kind EgressKind) ([]string, error) {
	if kind.GVK == render.EgressFirewallKind {
		did, err := r.releaseFirewallPart(ctx, types.NamespacedName{Namespace: allowlist.Namespace, Name: allowlist.Name}, r.APIReader)
		if did == "" {
			return nil, err
		}
		return []string{did}, err
	}
	return r.deleteEgressObjects(ctx, allowlist, kind, r.APIReader, nil)
}

// writeDesired applies desired. Not forced on creation, as for NetworkPolicies: an
// object of that name made since the cache looked makes the apply fail instead of
// being taken over. An object handed over is replaced whole: a server-side apply
// would leave its writer's other fields beside what the allowlist renders (a
// ClusterNetworkPolicy subject of every namespace beside the allowlist's pods, say).
func (r *VendorAllowlistReconciler) writeDesired(ctx context.Context, desired *unstructured.Unstructured, act action) error {
	if act != adopt {
		return r.applyUnstructured(ctx, desired, v1alpha1.FieldOwner, act != create)
	}
	key := client.ObjectKeyFromObject(desired)
	m := partialMetadata(desired.GroupVersionKind(), key)
	if err := r.APIReader.Get(ctx, key, m); err != nil {
		return err
	}
	whole := desired.DeepCopy()
	whole.SetResourceVersion(m.ResourceVersion)
	return r.Update(ctx, whole, client.FieldOwner(v1alpha1.FieldOwner))
}

// maxEgressStatus is status.egress's bound in the CRD: an allowlist of 32 vendors
// and 32 custom entries can have more egress rules with hostnames, and a status
// over the bound would be refused whole.
const maxEgressStatus = 64

// egressStatus is status.egress: the rules in order, the last place saying how
// many more there are, and that the plugin's render lists them all.
func egressStatus(rules []v1alpha1.EgressRuleStatus) []v1alpha1.EgressRuleStatus {
	if len(rules) <= maxEgressStatus {
		return rules
	}
	out := slices.Clone(rules[:maxEgressStatus-1])
	rest := rules[maxEgressStatus-1:]
	backends := map[string]int{}
	for _, r := range rest {
		backends[r.Backend]++
	}
	var counts []string
	for _, b := range slices.Sorted(maps.Keys(backends)) {
		counts = append(counts, fmt.Sprintf("%d by %s", backends[b], b))
	}
	return append(out, v1alpha1.EgressRuleStatus{
		Rule:    fmt.Sprintf("(%d more)", len(rest)),
		Backend: rest[0].Backend,
		Message: fmt.Sprintf("%d egress rules with hostnames are not listed, as status.egress holds %d (%s): kubectl vendorallowlist render lists each rule's backend", len(rest), maxEgressStatus, strings.Join(counts, ", ")),
	})
}
