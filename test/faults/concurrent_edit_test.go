/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
)

// What server-side apply keeps and what it cannot, for a person ("someone-else")
// editing a policy the operator applies with field manager vendor-allowlist-operator
// and ForceOwnership:
//
//   - Keeps: fields the operator never sets, in maps and structs SSA merges key by
//     key. An annotation (the operator sets none) or a label of another key (the
//     operator sets only app.kubernetes.io/managed-by and
//     networking.vendorallowlist.io/allowlist) survives every later apply, because
//     the operator's apply configuration does not mention it and another manager
//     owns it. The same holds for spec.egress added to an ingress-only policy (or
//     spec.ingress to an egress-only one): the operator never sets it, so it stays,
//     but it is inert, because spec.policyTypes, which the operator owns, leaves that
//     direction out.
//   - Replaces: everything the NetworkPolicy API marks atomic, which is every list of
//     its spec (policyTypes, ingress, egress, and within a rule from/to and ports) and
//     the label selectors (spec.podSelector is structType=atomic). An edited ipBlock,
//     an extra peer, an extra rule appended to spec.ingress, or a key added to
//     podSelector.matchLabels makes the editor the owner of that whole list or
//     selector; the operator sees it no longer owns the field, applies again with
//     force, and its version replaces the editor's whole, extra rule included. An
//     editor cannot keep a rule of their own in a managed policy: they must write a
//     NetworkPolicy of their own.
//   - A managed map entry the editor overwrites or removes (an operator label) changes
//     owner or disappears the same way and is put back by the next apply.

const editor = "someone-else"

// editPolicy edits a policy as another field manager, the way a person would: with an
// update of what they read (retried on conflict) or with a JSON patch.
// It returns the resourceVersion the edit made.
func editPolicy(ctx context.Context, c client.Client, key types.NamespacedName, jsonPatch bool, mutate func(*networkingv1.NetworkPolicy), patch []map[string]any) (string, error) {
	np := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
	if jsonPatch {
		raw, err := json.Marshal(patch)
		if err != nil {
			return "", err
		}
		err = c.Patch(ctx, np, client.RawPatch(types.JSONPatchType, raw), client.FieldOwner(editor))
		return np.ResourceVersion, err
	}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(ctx, key, np); err != nil {
			return err
		}
		mutate(np)
		return c.Update(ctx, np, client.FieldOwner(editor))
	})
	return np.ResourceVersion, err
}

// edit is editPolicy failing the test on error.
func edit(g Gomega, ctx context.Context, c client.Client, key types.NamespacedName, jsonPatch bool, mutate func(*networkingv1.NetworkPolicy), patch []map[string]any) string {
	rv, err := editPolicy(ctx, c, key, jsonPatch, mutate, patch)
	g.Expect(err).NotTo(HaveOccurred(), "editing %s", key.Name)
	return rv
}

// TestConcurrentEditManagedContentWins changes the allowlist and, while the reconcile
// it causes is under way, edits both of its policies from another field manager:
// an ipBlock replaced in each (managed content) and an annotation and a label added
// (unrelated fields). Each round the edit lands at a different moment after the
// allowlist change, by Update or JSON patch. The operator's content must win, the
// editor's annotation and label must survive, and the allowlist must end Ready.
func TestConcurrentEditManagedContentWins(t *testing.T) {
	c := shared(t)
	ns := c.namespace(t, "edit")
	dns := testdns.Start(t)
	mgr := startManager(t, c, "edit", childConfig{Namespaces: []string{ns}, DNSServers: []string{dns.Addr()}, DNSTimeout: time.Second})
	ctx := context.Background()
	g := NewWithT(t)

	al := staticAllowlist(ns, "edit")
	g.Expect(c.client.Create(ctx, al)).To(Succeed())
	key := client.ObjectKeyFromObject(al)
	waitAll(t, c.client, ns, 60*time.Second, "allowlist Ready", readyAndCurrent)
	ingressKey := types.NamespacedName{Namespace: ns, Name: "edit-ingress"}
	egressKey := types.NamespacedName{Namespace: ns, Name: "edit-egress"}

	for i, round := range []struct {
		delay     time.Duration
		jsonPatch bool
	}{
		{0, false}, {0, true}, {2 * time.Millisecond, false}, {10 * time.Millisecond, true},
		{30 * time.Millisecond, false}, {100 * time.Millisecond, true}, {300 * time.Millisecond, false},
	} {
		port := int32(8000 + i)
		team := fmt.Sprintf("x%d", i)
		// The allowlist changes: the ingress policy's ports must follow.
		g.Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
			if err := c.client.Get(ctx, key, al); err != nil {
				return err
			}
			al.Spec.Vendors[0].Ports = ports(port)
			return c.client.Update(ctx, al)
		})).To(Succeed())
		time.Sleep(round.delay)

		// Meanwhile someone edits both policies.
		for _, k := range []types.NamespacedName{ingressKey, egressKey} {
			ingress := k == ingressKey
			dir := "egress"
			peers := "to"
			if ingress {
				dir, peers = "ingress", "from"
			}
			// The last rule of each policy holds the vendor's ipBlocks (the first egress
			// rule opens the cluster DNS).
			_, err := editPolicy(ctx, c.client, k, round.jsonPatch, func(np *networkingv1.NetworkPolicy) {
				if ingress {
					np.Spec.Ingress[len(np.Spec.Ingress)-1].From[0].IPBlock.CIDR = "192.0.2.66/32"
				} else {
					np.Spec.Egress[len(np.Spec.Egress)-1].To[0].IPBlock.CIDR = "192.0.2.66/32"
				}
				if np.Annotations == nil {
					np.Annotations = map[string]string{}
				}
				np.Annotations["team"] = team
				np.Labels["owner"] = "team-" + team
			}, []map[string]any{
				{"op": "replace", "path": fmt.Sprintf("/spec/%s/%d/%s/0/ipBlock/cidr", dir, lastRule(ctx, c.client, k, ingress), peers), "value": "192.0.2.66/32"},
				{"op": "add", "path": "/metadata/annotations", "value": map[string]string{"team": team}},
				{"op": "add", "path": "/metadata/labels/owner", "value": "team-" + team},
			})
			g.Expect(err).NotTo(HaveOccurred(), "round %d: editing %s", i, k.Name)
		}

		g.Eventually(func(g Gomega) {
			var a v1alpha1.VendorAllowlist
			g.Expect(c.client.Get(ctx, key, &a)).To(Succeed())
			g.Expect(readyAndCurrent(&a)).To(BeEmpty())
			want, err := renderExpected(&a, nil)
			g.Expect(err).NotTo(HaveOccurred())
			for _, k := range []types.NamespacedName{ingressKey, egressKey} {
				var np networkingv1.NetworkPolicy
				g.Expect(c.client.Get(ctx, k, &np)).To(Succeed())
				g.Expect(np.Spec).To(Equal(want[k.Name]), "%s: the operator's content did not win", k.Name)
				g.Expect(np.Annotations).To(HaveKeyWithValue("team", team), "%s: the editor's annotation was destroyed", k.Name)
				g.Expect(np.Labels).To(HaveKeyWithValue("owner", "team-"+team), "%s: the editor's label was destroyed", k.Name)
				g.Expect(np.Labels).To(HaveKeyWithValue(v1alpha1.ManagedByLabel, v1alpha1.ManagedByValue))
				g.Expect(np.Labels).To(HaveKeyWithValue(v1alpha1.AllowlistLabel, "edit"))
				g.Expect(metav1.IsControlledBy(&np, &a)).To(BeTrue())
			}
		}, 30*time.Second, poll).Should(Succeed(), "round %d (edit %v after the allowlist change, JSON patch %v)", i, round.delay, round.jsonPatch)
	}

	// Once settled, the operator and nobody else writes: no fight, nothing moves.
	before, err := policyVersions(ctx, c.client, ns)
	g.Expect(err).NotTo(HaveOccurred())
	g.Consistently(func() (map[string]string, error) { return policyVersions(ctx, c.client, ns) }, 3*time.Second, 300*time.Millisecond).
		Should(Equal(before), "the policies keep changing after the edits stopped")

	t.Run("an extra rule appended to the atomic ingress list is replaced", func(t *testing.T) {
		g := NewWithT(t)
		edited := edit(g, ctx, c.client, ingressKey, false, func(np *networkingv1.NetworkPolicy) {
			tcp := np.Spec.Ingress[0].Ports[0].Protocol
			np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{
				From:  []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "192.0.2.0/24"}}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: tcp}},
			})
			np.Annotations["extra-rule"] = "mine"
		}, nil)
		expectManaged(g, ctx, c.client, edited, key, ingressKey, map[string]string{"extra-rule": "mine"})
	})

	t.Run("an operator label the editor removes is put back", func(t *testing.T) {
		// Without app.kubernetes.io/managed-by the policy leaves the manager's
		// label-selected cache: the operator must still find it and put the label back.
		g := NewWithT(t)
		edited := edit(g, ctx, c.client, egressKey, true, nil, []map[string]any{
			{"op": "remove", "path": "/metadata/labels/app.kubernetes.io~1managed-by"},
		})
		expectManaged(g, ctx, c.client, edited, key, egressKey, nil)
	})

	t.Run("an operator label the editor changes is put back", func(t *testing.T) {
		g := NewWithT(t)
		edited := edit(g, ctx, c.client, egressKey, false, func(np *networkingv1.NetworkPolicy) {
			np.Labels[v1alpha1.AllowlistLabel] = "someone-elses"
		}, nil)
		expectManaged(g, ctx, c.client, edited, key, egressKey, nil)
	})

	t.Run("a key added to the atomic podSelector is removed", func(t *testing.T) {
		// A narrowed selector is not an unrelated field: pods the allowlist selects
		// would lose the policy.
		g := NewWithT(t)
		edited := edit(g, ctx, c.client, ingressKey, false, func(np *networkingv1.NetworkPolicy) {
			np.Spec.PodSelector.MatchLabels["tier"] = "canary"
		}, nil)
		expectManaged(g, ctx, c.client, edited, key, ingressKey, nil)
	})

	t.Run("matchExpressions added to the atomic podSelector are removed", func(t *testing.T) {
		g := NewWithT(t)
		edited := edit(g, ctx, c.client, egressKey, true, nil, []map[string]any{
			{"op": "add", "path": "/spec/podSelector/matchExpressions", "value": []map[string]any{
				{"key": "tier", "operator": "In", "values": []string{"canary"}},
			}},
		})
		expectManaged(g, ctx, c.client, edited, key, egressKey, nil)
	})

	t.Run("policyTypes widened by the editor are put back", func(t *testing.T) {
		g := NewWithT(t)
		edited := edit(g, ctx, c.client, ingressKey, false, func(np *networkingv1.NetworkPolicy) {
			np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
		}, nil)
		expectManaged(g, ctx, c.client, edited, key, ingressKey, nil)
	})

	t.Run("egress rules added to the ingress policy stay inert", func(t *testing.T) {
		// SSA keeps spec.egress, which the operator never sets on its ingress policy;
		// what matters is that the managed spec.policyTypes ([Ingress]) stays, so the
		// network plugin ignores them. The managed fields must be untouched.
		g := NewWithT(t)
		edit(g, ctx, c.client, ingressKey, false, func(np *networkingv1.NetworkPolicy) {
			np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
				To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "192.0.2.0/24"}}},
			}}
		}, nil)
		g.Consistently(func(g Gomega) {
			var a v1alpha1.VendorAllowlist
			g.Expect(c.client.Get(ctx, key, &a)).To(Succeed())
			want, err := renderExpected(&a, nil)
			g.Expect(err).NotTo(HaveOccurred())
			var np networkingv1.NetworkPolicy
			g.Expect(c.client.Get(ctx, ingressKey, &np)).To(Succeed())
			g.Expect(np.Spec.PolicyTypes).To(Equal([]networkingv1.PolicyType{networkingv1.PolicyTypeIngress}))
			g.Expect(np.Spec.PodSelector).To(Equal(want[ingressKey.Name].PodSelector))
			g.Expect(np.Spec.Ingress).To(Equal(want[ingressKey.Name].Ingress))
		}, 2*time.Second, 250*time.Millisecond).Should(Succeed())
		var np networkingv1.NetworkPolicy
		g.Expect(c.client.Get(ctx, ingressKey, &np)).To(Succeed())
		t.Logf("spec.egress the editor added to the ingress-only policy: %d rules kept (inert: policyTypes %v)", len(np.Spec.Egress), np.Spec.PolicyTypes)
	})

	mgr.requireRunning()
	if err := mgr.Stop(30 * time.Second); err != nil {
		t.Errorf("manager did not stop cleanly on SIGTERM: %v", err)
	}
}

// expectManaged waits until the policy's spec and operator labels are the rendered
// ones again, with the editor's annotations still there.
func expectManaged(g Gomega, ctx context.Context, c client.Client, editedRV string, allowlist, policy types.NamespacedName, annotations map[string]string) {
	g.Eventually(func(g Gomega) {
		var a v1alpha1.VendorAllowlist
		g.Expect(c.Get(ctx, allowlist, &a)).To(Succeed())
		want, err := renderExpected(&a, nil)
		g.Expect(err).NotTo(HaveOccurred())
		var np networkingv1.NetworkPolicy
		g.Expect(c.Get(ctx, policy, &np)).To(Succeed())
		g.Expect(np.ResourceVersion).NotTo(Equal(editedRV), "%s: not written since the edit", policy.Name)
		g.Expect(np.Spec).To(Equal(want[policy.Name]), "%s: the operator's content did not win", policy.Name)
		g.Expect(np.Labels).To(HaveKeyWithValue(v1alpha1.ManagedByLabel, v1alpha1.ManagedByValue))
		g.Expect(np.Labels).To(HaveKeyWithValue(v1alpha1.AllowlistLabel, allowlist.Name))
		for k, v := range annotations {
			g.Expect(np.Annotations).To(HaveKeyWithValue(k, v), "the editor's annotation was destroyed")
		}
		g.Expect(readyAndCurrent(&a)).To(BeEmpty())
	}, 30*time.Second, poll).Should(Succeed())
}

// lastRule is the index of the policy's last rule, for a JSON patch path.
func lastRule(ctx context.Context, c client.Client, key types.NamespacedName, ingress bool) int {
	var np networkingv1.NetworkPolicy
	if err := c.Get(ctx, key, &np); err != nil {
		return 0
	}
	if ingress {
		return len(np.Spec.Ingress) - 1
	}
	return len(np.Spec.Egress) - 1
}
