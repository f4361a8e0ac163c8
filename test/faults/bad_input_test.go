/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package faults

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
)

// badInput is an allowlist that the API server accepts and the reconciler must refuse.
// The row's good spec is created first and must become Ready with its policies; then
// the bad change is made (to the allowlist, or to a Vendor it uses) and the allowlist
// must turn Ready=False with the reason and a message naming the problem, while the
// policies already in place stay exactly as they were.
type badInput struct {
	name string
	// good and bad are specs in YAML; podSelector {app: <row>} is added unless given.
	good, bad string
	// vendor, when set, is a Vendor object created before the good allowlist (its
	// name is made unique per run: "VENDOR" in good, bad and says stands for it), and
	// badVendor changes it instead of the allowlist (bad is then empty).
	vendor    *v1alpha1.VendorSpec
	badVendor func(ctx context.Context, c client.Client, v *v1alpha1.Vendor) error
	reason    string
	says      []string // fragments the Ready message must hold
}

func badInputs() []badInput {
	acme := &v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{
		{Name: "api", Direction: v1alpha1.DirectionEgress, Ports: ports(443),
			Addresses: []v1alpha1.PublishedAddress{{CIDR: "203.0.113.0/28"}}},
		{Name: "admin", Direction: v1alpha1.DirectionEgress, Ports: ports(8443),
			Addresses: []v1alpha1.PublishedAddress{{CIDR: "198.51.100.0/28"}}},
	}}
	updateVendor := func(mutate func(*v1alpha1.Vendor)) func(context.Context, client.Client, *v1alpha1.Vendor) error {
		return func(ctx context.Context, c client.Client, v *v1alpha1.Vendor) error {
			return retry.RetryOnConflict(retry.DefaultRetry, func() error {
				if err := c.Get(ctx, client.ObjectKeyFromObject(v), v); err != nil {
					return err
				}
				mutate(v)
				return c.Update(ctx, v)
			})
		}
	}
	const (
		threo       = `vendors: [{name: threobuilder, ports: [{port: 443}]}]`
		workatoAPIM = `vendors: [{name: workato, endpoints: [apim-custom-domains]}]`
		freshchatEU = `vendors: [{name: freshchat, regions: [EU], ports: [{port: 443}]}]`
		osVPN       = `vendors: [{name: outsystems, endpoints: [vpn], cidrs: [10.20.0.0/16], ports: [{port: 443}]}]`
		osFrontEnds = `vendors: [{name: outsystems, endpoints: [front-ends], hostnames: [fe1.faults.example], ports: [{port: 443}]}]`
	)
	return []badInput{
		{
			name: "unknown vendor", good: threo,
			bad:    `vendors: [{name: threobuiler, ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonUnknownVendor,
			says:   []string{"spec.vendors[0].name", `"threobuiler"`, "no such vendor in the catalog", "add a Vendor object named threobuiler"},
		},
		{
			name: "unknown endpoint group", good: workatoAPIM,
			bad:    `vendors: [{name: workato, endpoints: [apim-custom-domain]}]`,
			reason: v1alpha1.ReasonUnknownEndpoint,
			says:   []string{"spec.vendors[0].endpoints[0]", `"apim-custom-domain"`, `supported values: "inbound", "opa-gateways", "apim-custom-domains", "web"`},
		},
		{
			name: "unknown region", good: freshchatEU,
			bad:    `vendors: [{name: freshchat, regions: [EU, MARS], ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonUnknownRegion,
			says:   []string{"spec.vendors[0].regions[1]", `"MARS"`, `"AU", "EU", "IN", "US"`},
		},
		{
			name: "region on a vendor without regions", good: threo,
			bad:    `vendors: [{name: threobuilder, regions: [US], ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonUnknownRegion,
			says:   []string{"spec.vendors[0].regions[0]", "threobuilder publishes no regions", "remove regions"},
		},
		{
			name: "direction the vendor does not publish", good: threo,
			bad:    `vendors: [{name: threobuilder, directions: [Egress], ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonUnknownEndpoint,
			says:   []string{"spec.vendors[0].directions[0]", `"Egress"`, `supported values: "Ingress"`},
		},
		{
			name: "endpoint group excluded by directions", good: `vendors: [{name: workato, endpoints: [inbound], ports: [{port: 443}]}]`,
			bad:    `vendors: [{name: workato, directions: [Egress], endpoints: [inbound], ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonUnknownEndpoint,
			says:   []string{"spec.vendors[0].endpoints[0]", "workato/inbound is Ingress", "add Ingress to directions"},
		},
		{
			name: "outsystems front-ends without hostnames", good: osVPN,
			bad:    `vendors: [{name: outsystems, endpoints: [vpn, front-ends], cidrs: [10.20.0.0/16], ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonMissingInput,
			says:   []string{"spec.vendors[0].hostnames", "outsystems/front-ends is specific to each customer", "list yours in hostnames"},
		},
		{
			name: "outsystems vpn without cidrs", good: osFrontEnds,
			bad:    `vendors: [{name: outsystems, endpoints: [front-ends, vpn], hostnames: [fe1.faults.example], ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonMissingInput,
			says:   []string{"spec.vendors[0].cidrs", "outsystems/vpn is specific to each customer", "list yours in cidrs"},
		},
		{
			name: "outsystems with neither input", good: osVPN,
			bad:    `vendors: [{name: outsystems, ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonMissingInput,
			says:   []string{"front-ends needs spec.vendors[0].hostnames", "vpn needs spec.vendors[0].cidrs"},
		},
		{
			name: "ingress without ports", good: threo,
			bad:    `vendors: [{name: threobuilder}]`,
			reason: v1alpha1.ReasonPortsRequired,
			says:   []string{"spec.vendors[0].ports", "threobuilder sends Ingress traffic", "allPorts: true"},
		},
		{
			name: "ingress without ports, by the vendor's default directions", good: freshchatEU,
			bad:    `vendors: [{name: freshchat, regions: [EU]}]`,
			reason: v1alpha1.ReasonPortsRequired,
			says:   []string{"spec.vendors[0].ports", "freshchat sends Ingress traffic"},
		},
		{
			name: "ports on an egress-only selection", good: workatoAPIM,
			bad:    `vendors: [{name: workato, endpoints: [apim-custom-domains], ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonInvalidSpec,
			says:   []string{"spec.vendors[0].ports", `"TCP/443"`, "apply to Ingress only", "remove them"},
		},
		{
			name: "allPorts on an egress-only selection", good: workatoAPIM,
			bad:    `vendors: [{name: workato, directions: [Egress], allPorts: true}]`,
			reason: v1alpha1.ReasonInvalidSpec,
			says:   []string{"spec.vendors[0].ports", "allPorts: true", "apply to Ingress only"},
		},
		{
			name: "hostnames on a vendor that takes none", good: threo,
			bad:    `vendors: [{name: threobuilder, hostnames: [agents.faults.example], ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonInvalidSpec,
			says:   []string{"spec.vendors[0].hostnames", "no selected endpoint group of threobuilder takes customer hostnames"},
		},
		{
			name: "hostnames on the outsystems group that takes cidrs", good: osVPN,
			bad:    `vendors: [{name: outsystems, endpoints: [vpn], cidrs: [10.20.0.0/16], hostnames: [fe1.faults.example], ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonInvalidSpec,
			says:   []string{"spec.vendors[0].hostnames", "no selected endpoint group of outsystems takes customer hostnames"},
		},
		{
			name: "cidrs on a vendor that takes none", good: freshchatEU,
			bad:    `vendors: [{name: freshchat, regions: [EU], cidrs: [192.0.2.0/24], ports: [{port: 443}]}]`,
			reason: v1alpha1.ReasonInvalidSpec,
			says:   []string{"spec.vendors[0].cidrs", "no selected endpoint group of freshchat takes customer CIDRs", "spec.custom"},
		},
		{
			name: "podSelector label key with a space and a bang", good: threo,
			bad:    "podSelector: {matchLabels: {'bad key!': x}}\n" + threo,
			reason: v1alpha1.ReasonInvalidSpec,
			says:   []string{"spec.podSelector.matchLabels", `"bad key!"`},
		},
		{
			name: "podSelector label value that is not a label value", good: threo,
			bad:    "podSelector: {matchLabels: {app: 'two words'}}\n" + threo,
			reason: v1alpha1.ReasonInvalidSpec,
			says:   []string{"spec.podSelector.matchLabels", `"two words"`},
		},
		{
			name: "podSelector operator In without values", good: threo,
			bad:    "podSelector: {matchExpressions: [{key: app, operator: In}]}\n" + threo,
			reason: v1alpha1.ReasonInvalidSpec,
			says:   []string{"spec.podSelector.matchExpressions[0].values", "must be specified when `operator` is 'In' or 'NotIn'"},
		},
		{
			name: "podSelector operator Exists with values", good: threo,
			bad:    "podSelector: {matchExpressions: [{key: app, operator: Exists, values: [x]}]}\n" + threo,
			reason: v1alpha1.ReasonInvalidSpec,
			says:   []string{"spec.podSelector.matchExpressions[0].values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"},
		},
		{
			name: "podSelector unknown operator", good: threo,
			bad:    "podSelector: {matchExpressions: [{key: app, operator: Equals, values: [x]}]}\n" + threo,
			reason: v1alpha1.ReasonInvalidSpec,
			says:   []string{"spec.podSelector.matchExpressions[0].operator", `"Equals"`},
		},
		{
			name: "clusterDNS podSelector with a bad label key", good: workatoAPIM,
			bad:    "clusterDNS: {podSelector: {matchLabels: {'k8s app': kube-dns}}}\n" + workatoAPIM,
			reason: v1alpha1.ReasonInvalidSpec,
			says:   []string{"spec.clusterDNS.podSelector.matchLabels", `"k8s app"`},
		},
		{
			name: "every error reported, with the first one's reason",
			good: `vendors: [{name: threobuilder, ports: [{port: 443}]}, {name: workato, endpoints: [apim-custom-domains]}]`,
			bad:  `vendors: [{name: threobuilder}, {name: workato, endpoints: [apim-custom-domains, opa]}]`,
			// Endpoints are checked before ports within a vendor, vendor by vendor.
			reason: v1alpha1.ReasonPortsRequired,
			says:   []string{"spec.vendors[0].ports", "spec.vendors[1].endpoints[1]", `"opa"`},
		},
		// A Vendor change that removes or turns around a group is held for an admin
		// before it can break the allowlists that use it.
		{
			name: "a Vendor override removes a group the allowlist uses", vendor: acme,
			good: `vendors: [{name: VENDOR, endpoints: [api, admin]}]`,
			badVendor: updateVendor(func(v *v1alpha1.Vendor) {
				v.Spec.Endpoints = v.Spec.Endpoints[:1]
			}),
			reason: v1alpha1.ReasonVendorChangeHeld,
			says:   []string{"Vendor VENDOR is held: group admin was removed (it had 1 entries)", "approve-generation=2"},
		},
		{
			name: "a Vendor override turns an egress group the allowlist uses into ingress", vendor: acme,
			good: `vendors: [{name: VENDOR, endpoints: [api]}]`,
			badVendor: updateVendor(func(v *v1alpha1.Vendor) {
				v.Spec.Endpoints[0].Direction = v1alpha1.DirectionIngress
				v.Spec.Endpoints[0].Ports = nil
			}),
			reason: v1alpha1.ReasonVendorChangeHeld,
			says:   []string{"Vendor VENDOR is held: group api was removed (it had 1 entries)"},
		},
		{
			name: "the Vendor the allowlist uses is deleted", vendor: acme,
			good: `vendors: [{name: VENDOR}]`,
			badVendor: func(ctx context.Context, c client.Client, v *v1alpha1.Vendor) error {
				return c.Delete(ctx, v)
			},
			reason: v1alpha1.ReasonUnknownVendor,
			says:   []string{"spec.vendors[0].name", `"VENDOR"`, "no such vendor in the catalog"},
		},
	}
}

// parseSpec reads a spec written in YAML, refusing unknown fields.
func parseSpec(t testing.TB, row, s string) v1alpha1.VendorAllowlistSpec {
	t.Helper()
	if !strings.HasPrefix(s, "podSelector:") {
		s = "podSelector: {matchLabels: {app: " + row + "}}\n" + s
	}
	var spec v1alpha1.VendorAllowlistSpec
	if err := yaml.UnmarshalStrict([]byte(s), &spec); err != nil {
		t.Fatalf("spec %q: %v", s, err)
	}
	return spec
}

// TestBadInputThroughReconciler: each row's bad change is accepted by the API server
// (the 95 cases the server refuses are in test/framework/validationtest), and the
// reconciler refuses it with the row's reason and message, before anything is applied:
// the policies of the good version stay exactly as they were.
func TestBadInputThroughReconciler(t *testing.T) {
	c := shared(t)
	rows := badInputs()
	if len(rows) < 15 {
		t.Fatalf("only %d rows", len(rows))
	}
	dns := testdns.Start(t, testdns.WithHost("fe1.faults.example", "203.0.113.10"))
	dnsAnswers := map[string][]string{"fe1.faults.example": {"203.0.113.10"}}
	ctx := context.Background()

	type rowState struct {
		badInput
		ns, vendor string
		allowlist  *v1alpha1.VendorAllowlist
		before     map[string]string
	}
	states := make([]*rowState, len(rows))
	var namespaces []string
	suffix := fmt.Sprint(time.Now().UnixNano() % 1000000)
	for i, r := range rows {
		s := &rowState{badInput: r, ns: c.namespace(t, fmt.Sprintf("bad%02d", i))}
		if r.vendor != nil {
			s.vendor = fmt.Sprintf("faults-acme-%s-%d", suffix, i)
			sub := func(x string) string { return strings.ReplaceAll(x, "VENDOR", s.vendor) }
			s.good, s.bad = sub(r.good), sub(r.bad)
			s.says = nil
			for _, f := range r.says {
				s.says = append(s.says, sub(f))
			}
		}
		states[i] = s
		namespaces = append(namespaces, s.ns)
	}
	mgr := startManager(t, c, "bad-input", childConfig{Namespaces: namespaces, DNSServers: []string{dns.Addr()}, DNSTimeout: time.Second})

	// The good versions, all at once.
	for i, s := range states {
		if s.vendor != "" {
			v := &v1alpha1.Vendor{ObjectMeta: metav1.ObjectMeta{Name: s.vendor}, Spec: *s.badInput.vendor.DeepCopy()}
			if err := c.client.Create(ctx, v); err != nil {
				t.Fatalf("row %q: creating Vendor %s: %v", s.name, s.vendor, err)
			}
			t.Cleanup(func() { _ = c.client.Delete(context.Background(), v) })
		}
		s.allowlist = &v1alpha1.VendorAllowlist{
			ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: fmt.Sprintf("row%02d", i)},
			Spec:       parseSpec(t, fmt.Sprintf("row%02d", i), s.good),
		}
		if err := c.client.Create(ctx, s.allowlist); err != nil {
			t.Fatalf("row %q: the good version was refused: %v", s.name, err)
		}
	}
	for _, s := range states {
		waitAll(t, c.client, s.ns, 90*time.Second, "row "+s.name+": good version Ready", readyAndCurrent)
		if s.vendor == "" {
			got, err := policySpecs(ctx, c.client, s.ns, s.allowlist.Name)
			if err != nil {
				t.Fatal(err)
			}
			if d := specDiff(expectedPolicies(t, s.allowlist, dnsAnswers), got); d != "" {
				t.Fatalf("row %q: good version's policies (-want +got):\n%s", s.name, d)
			}
		}
		var err error
		if s.before, err = policyVersions(ctx, c.client, s.ns); err != nil {
			t.Fatal(err)
		}
		if len(s.before) == 0 {
			t.Fatalf("row %q: the good version rendered no policy", s.name)
		}
	}

	// The bad versions, all at once: each must be accepted by the API server.
	for _, s := range states {
		var err error
		if s.badVendor != nil {
			v := &v1alpha1.Vendor{ObjectMeta: metav1.ObjectMeta{Name: s.vendor}}
			err = s.badVendor(ctx, c.client, v)
		} else {
			bad := parseSpec(t, s.allowlist.Name, s.bad)
			err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
				if err := c.client.Get(ctx, client.ObjectKeyFromObject(s.allowlist), s.allowlist); err != nil {
					return err
				}
				s.allowlist.Spec = bad
				return c.client.Update(ctx, s.allowlist)
			})
		}
		if err != nil {
			t.Fatalf("row %q: the API server refused the bad change, so this row belongs in the API-server table: %v", s.name, err)
		}
	}

	for _, s := range states {
		t.Run(s.name, func(t *testing.T) {
			g := NewWithT(t)
			key := client.ObjectKeyFromObject(s.allowlist)
			g.Eventually(func(g Gomega) {
				var a v1alpha1.VendorAllowlist
				g.Expect(c.client.Get(ctx, key, &a)).To(Succeed())
				cond := condition(&a, v1alpha1.ConditionReady)
				g.Expect(cond).NotTo(BeNil())
				g.Expect(cond.ObservedGeneration).To(Equal(a.Generation), "Ready describes an older generation")
				g.Expect(a.Status.ObservedGeneration).To(Equal(a.Generation))
				g.Expect(cond.Status).To(Equal(metav1.ConditionFalse), "Ready: %s %s", cond.Reason, cond.Message)
				if s.badVendor != nil {
					// The allowlist did not change: wait for the reconcile the Vendor caused.
					g.Expect(cond.Reason).NotTo(Equal(v1alpha1.ReasonReconciled))
				}
				g.Expect(cond.Reason).To(Equal(s.reason), "message: %s", cond.Message)
				for _, f := range s.says {
					g.Expect(cond.Message).To(ContainSubstring(f))
				}
			}, 60*time.Second, poll).Should(Succeed())
			g.Eventually(func() []string { return eventReasons(ctx, c.client, s.ns, s.allowlist.Name) }, 30*time.Second, poll).
				Should(ContainElement(s.reason), "no Warning event with the reason")
		})
	}

	// Nothing was applied for any row: every policy of every good version is as it was,
	// for a while after the refusals.
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		for _, s := range states {
			now, err := policyVersions(ctx, c.client, s.ns)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(now) != fmt.Sprint(s.before) {
				t.Errorf("row %q: policies changed after the bad change: before %v, now %v", s.name, s.before, now)
				s.before = now // report each change once
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	mgr.requireRunning()
	if err := mgr.Stop(30 * time.Second); err != nil {
		t.Errorf("manager did not stop cleanly on SIGTERM: %v", err)
	}
}

// eventReasons lists the reasons of the events about an allowlist.
func eventReasons(ctx context.Context, c client.Client, ns, name string) []string {
	var events eventsv1.EventList
	if err := c.List(ctx, &events, client.InNamespace(ns)); err != nil {
		return nil
	}
	var reasons []string
	for _, e := range events.Items {
		if e.Regarding.Name == name {
			reasons = append(reasons, e.Reason)
		}
	}
	return reasons
}
