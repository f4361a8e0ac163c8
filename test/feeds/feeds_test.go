/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package feeds checks, on a real API server with the real manager, that a Vendor
// whose group follows a feed renders policies from the served document, that the
// policies follow a change of the document within one interval, and that a manager
// restarting while the feed is down renders what was accepted before. The feed is an
// HTTPS server on loopback with its own certificate, trusted through --feed-ca-bundle.
package feeds

import (
	"context"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds/fetch"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/manager"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/renderflags"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/tenancy"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/vendorchange"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testmanager"
)

var (
	env *testenv.Env
	k8s client.Client
)

func TestMain(m *testing.M) {
	testenv.Main(m, func(e *testenv.Env, c client.Client) { env, k8s = e, c })
}

// feedServer serves one document, which the test changes, and counts requests.
type feedServer struct {
	*httptest.Server
	mu       sync.Mutex
	document string
	hits     int
}

func startFeed(t *testing.T, document string) *feedServer {
	fs := &feedServer{document: document}
	fs.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		fs.hits++
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(fs.document))
	}))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *feedServer) serve(document string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.document = document
}

// caBundle writes the server's certificate as the bundle the manager trusts.
func (fs *feedServer) caBundle(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: fs.Certificate().Raw})
	if err := os.WriteFile(path, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const interval = 2 * time.Second

func managerOptions(ns, caBundle string, dns string) manager.Options {
	return manager.Options{
		WatchNamespaces: []string{ns},
		DNSServers:      []string{dns},
		DNSTimeout:      500 * time.Millisecond,
		// The feed server is on loopback: the admin allows it, as --guard-allow-cidr
		// would; the documents name documentation ranges, allowed the same way.
		Settings:      renderflags.Settings{GuardAllow: append([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, testenv.DocumentationRanges...), Limits: tenancy.Defaults()},
		Feeds:         manager.FeedOptions{Enabled: []string{"url"}, Namespace: ns, Interval: interval, CABundle: caBundle},
		VendorChanges: vendorchange.DefaultBounds(),
		Workers:       2,
	}
}

func TestPoliciesFollowAFeedAndSurviveARestartWhileItIsDown(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s, "feeds")
	dns := testdns.Start(t)
	feed := startFeed(t, `{"hooks": ["198.51.100.0/28", "203.0.113.0/28"], "api": ["198.51.100.200/32"]}`)
	url := feed.URL + "/meta"
	ca := feed.caBundle(t)
	first := testmanager.Start(t, env.Config, managerOptions(ns, ca, dns.Addr()))

	vendor := &v1alpha1.Vendor{
		ObjectMeta: metav1.ObjectMeta{Name: "acme-" + ns},
		Spec: v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{{
			Name: "hooks", Direction: v1alpha1.DirectionIngress,
			Feed: &v1alpha1.AddressFeed{URL: url, Format: v1alpha1.FeedFormatJSON, Expression: "self.hooks"},
		}}},
	}
	g.Expect(k8s.Create(ctx, vendor)).To(Succeed())
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), vendor) })
	allowlist := &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ci"},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "ci"}},
			Vendors:     []v1alpha1.VendorSelection{{Name: v1alpha1.ObjectName(vendor.Name), Ports: []v1alpha1.Port{{Port: 8443}}}},
		},
	}
	g.Expect(k8s.Create(ctx, allowlist)).To(Succeed())

	policy := &networkingv1.NetworkPolicy{}
	policyKey := client.ObjectKey{Namespace: ns, Name: "ci-ingress"}
	g.Eventually(func(g Gomega) {
		g.Expect(k8s.Get(ctx, policyKey, policy)).To(Succeed())
		g.Expect(testenv.PolicyCIDRs(policy)).To(Equal([]string{"198.51.100.0/28", "203.0.113.0/28"}))
	}, 30*time.Second, 200*time.Millisecond).Should(Succeed(), "the policy opens what the feed serves, nothing else")

	var copies corev1.ConfigMapList
	g.Expect(k8s.List(ctx, &copies, client.InNamespace(ns), client.HasLabels{fetch.FeedLabel})).To(Succeed())
	g.Expect(copies.Items).To(HaveLen(1), "the accepted document is kept in the operator's namespace")
	g.Expect(copies.Items[0].Annotations).To(HaveKeyWithValue(fetch.URLAnnotation, url))

	g.Eventually(func(g Gomega) {
		var v v1alpha1.Vendor
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(vendor), &v)).To(Succeed())
		g.Expect(v.Status.Feeds).To(ConsistOf(And(HaveField("Reason", v1alpha1.ReasonFeedCurrent), HaveField("Networks", BeEquivalentTo(2)), HaveField("URL", url))))
		g.Expect(meta.IsStatusConditionTrue(v.Status.Conditions, v1alpha1.ConditionFeedsCurrent)).To(BeTrue())
	}, 20*time.Second, 200*time.Millisecond).Should(Succeed())

	// The vendor adds a network, within the bounds: the policy follows within an interval.
	feed.serve(`{"hooks": ["198.51.100.0/28", "198.51.100.32/28", "203.0.113.0/28"]}`)
	changed := time.Now()
	g.Eventually(func(g Gomega) {
		g.Expect(k8s.Get(ctx, policyKey, policy)).To(Succeed())
		g.Expect(testenv.PolicyCIDRs(policy)).To(Equal([]string{"198.51.100.0/28", "198.51.100.32/28", "203.0.113.0/28"}))
	}, 30*time.Second, 100*time.Millisecond).Should(Succeed())
	t.Logf("the policy followed the served document %v after it changed (interval %v, jitter up to %v)", time.Since(changed).Round(10*time.Millisecond), interval, interval/10)
	g.Expect(time.Since(changed)).To(BeNumerically("<", 3*interval), "within one interval, its jitter and a reconcile")

	// The manager stops; the feed goes down; a new manager starts.
	first.Stop()
	feed.Close()
	testmanager.Start(t, env.Config, managerOptions(ns, ca, dns.Addr()))
	// Its policy goes missing: the new manager must put back what was accepted,
	// although the feed answers nothing.
	g.Expect(k8s.Delete(ctx, policy)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(k8s.Get(ctx, policyKey, policy)).To(Succeed())
		g.Expect(testenv.PolicyCIDRs(policy)).To(Equal([]string{"198.51.100.0/28", "198.51.100.32/28", "203.0.113.0/28"}))
	}, 30*time.Second, 200*time.Millisecond).Should(Succeed(), "a restart while the feed is down keeps the accepted list")
	g.Eventually(func(g Gomega) {
		var v v1alpha1.Vendor
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(vendor), &v)).To(Succeed())
		g.Expect(v.Status.Feeds).To(ConsistOf(And(HaveField("Reason", v1alpha1.ReasonFeedStale), HaveField("Message", ContainSubstring("last fetch failed")))))
	}, 30*time.Second, 200*time.Millisecond).Should(Succeed(), "status says the feed is down and the accepted list stays")
}

func TestAShrinkingListIsHeldUntilAnAdminApprovesItOnTheCopy(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s, "feeds-hold")
	dns := testdns.Start(t)
	feed := startFeed(t, "198.51.100.0/28\n198.51.100.32/28\n203.0.113.0/28\n")
	url := feed.URL + "/ips.txt"
	testmanager.Start(t, env.Config, managerOptions(ns, feed.caBundle(t), dns.Addr()))

	vendor := createTextFeedVendor(t, "acme-"+ns, url)
	g.Expect(k8s.Create(ctx, &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "payments"},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "payments"}},
			Vendors:     []v1alpha1.VendorSelection{{Name: v1alpha1.ObjectName(vendor.Name)}},
		},
	})).To(Succeed())
	policyKey := client.ObjectKey{Namespace: ns, Name: "payments-egress"}
	all := []string{"198.51.100.0/28", "198.51.100.32/28", "203.0.113.0/28"}
	cidrs := func(g Gomega) []string {
		var p networkingv1.NetworkPolicy
		g.Expect(k8s.Get(ctx, policyKey, &p)).To(Succeed())
		return testenv.PolicyCIDRs(&p)
	}
	g.Eventually(cidrs, 30*time.Second, 200*time.Millisecond).Should(Equal(all))

	// Two of three networks vanish: more than half of the group, so an admin decides.
	feed.serve("203.0.113.0/28\n")
	var held v1alpha1.FeedStatus
	g.Eventually(func(g Gomega) {
		var v v1alpha1.Vendor
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(vendor), &v)).To(Succeed())
		g.Expect(v.Status.Feeds).To(HaveLen(1))
		held = v.Status.Feeds[0]
		g.Expect(held.Reason).To(Equal(v1alpha1.ReasonFeedHeld))
		g.Expect(meta.FindStatusCondition(v.Status.Conditions, v1alpha1.ConditionFeedsCurrent)).To(HaveField("Reason", v1alpha1.ReasonFeedHeld))
	}, 30*time.Second, 200*time.Millisecond).Should(Succeed())
	g.Expect(held.HeldDigest).NotTo(BeEmpty())
	g.Expect(held.Message).To(ContainSubstring("annotate configmap " + fetch.ConfigMapName(url)))
	g.Consistently(cidrs, 3*interval, 500*time.Millisecond).Should(Equal(all), "the held list opens and closes nothing")

	var copyCM corev1.ConfigMap
	g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: fetch.ConfigMapName(url)}, &copyCM)).To(Succeed())
	copyCM.Annotations[v1alpha1.FeedApproveAnnotation] = held.HeldDigest
	g.Expect(k8s.Update(ctx, &copyCM)).To(Succeed())
	g.Eventually(cidrs, 30*time.Second, 200*time.Millisecond).Should(Equal([]string{"203.0.113.0/28"}), "the approved list is in force")
}

// TestTurningFeedsOffKeepsThePoliciesAndSaysWhy: an admin who removes --feeds after
// lists were in force changes no policy; the allowlist and the Vendor say that the
// feed is no longer followed, and which flag follows it again.
func TestTurningFeedsOffKeepsThePoliciesAndSaysWhy(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s, "feeds-offafter")
	dns := testdns.Start(t)
	feed := startFeed(t, "198.51.100.0/28\n203.0.113.0/28\n")
	url := feed.URL + "/ips.txt"
	withFeeds := managerOptions(ns, feed.caBundle(t), dns.Addr())
	first := testmanager.Start(t, env.Config, withFeeds)

	vendor := createTextFeedVendor(t, "acme-"+ns, url)
	allowlist := client.ObjectKey{Namespace: ns, Name: "payments"}
	g.Expect(k8s.Create(ctx, &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: allowlist.Name},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "payments"}},
			Vendors:     []v1alpha1.VendorSelection{{Name: v1alpha1.ObjectName(vendor.Name)}},
		},
	})).To(Succeed())
	policyKey := client.ObjectKey{Namespace: ns, Name: "payments-egress"}
	cidrs := func(g Gomega) []string {
		var p networkingv1.NetworkPolicy
		g.Expect(k8s.Get(ctx, policyKey, &p)).To(Succeed())
		return testenv.PolicyCIDRs(&p)
	}
	inForce := []string{"198.51.100.0/28", "203.0.113.0/28"}
	g.Eventually(cidrs, 30*time.Second, 200*time.Millisecond).Should(Equal(inForce))

	first.Stop()
	withoutFeeds := withFeeds
	withoutFeeds.Feeds = manager.FeedOptions{}
	testmanager.Start(t, env.Config, withoutFeeds)
	g.Eventually(func(g Gomega) {
		var a v1alpha1.VendorAllowlist
		g.Expect(k8s.Get(ctx, allowlist, &a)).To(Succeed())
		g.Expect(meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady)).To(And(
			HaveField("Reason", v1alpha1.ReasonFeedNotEnabled), HaveField("Message", ContainSubstring("stay as they are"))))
	}, 30*time.Second, 200*time.Millisecond).Should(Succeed())
	g.Eventually(func(g Gomega) {
		var v v1alpha1.Vendor
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(vendor), &v)).To(Succeed())
		g.Expect(v.Status.Feeds).To(ConsistOf(And(HaveField("Reason", v1alpha1.ReasonFeedNotEnabled), HaveField("Message", ContainSubstring("--feeds=url")))))
		g.Expect(meta.FindStatusCondition(v.Status.Conditions, v1alpha1.ConditionFeedsCurrent)).To(HaveField("Status", metav1.ConditionFalse))
	}, 30*time.Second, 200*time.Millisecond).Should(Succeed(), "the Vendor does not say current for a feed no one follows")
	g.Consistently(cidrs, 2*time.Second, 200*time.Millisecond).Should(Equal(inForce), "the policies rendered from the last list stay")
}

// TestOneFetchPerIntervalForAHundredVendors: a hundred Vendors reading one URL cost
// its server one request per interval, not a hundred.
func TestOneFetchPerIntervalForAHundredVendors(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s, "feeds-many")
	dns := testdns.Start(t)
	feed := startFeed(t, "198.51.100.0/28\n")
	url := feed.URL + "/shared.txt"
	testmanager.Start(t, env.Config, managerOptions(ns, feed.caBundle(t), dns.Addr()))
	const vendors = 100
	for i := range vendors {
		v := &v1alpha1.Vendor{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("shared-%d-%s", i, ns)},
			Spec: v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{{
				Name: "hooks", Direction: v1alpha1.DirectionIngress,
				Feed: &v1alpha1.AddressFeed{URL: url, Format: v1alpha1.FeedFormatText},
			}}},
		}
		g.Expect(k8s.Create(ctx, v)).To(Succeed())
		t.Cleanup(func() { _ = k8s.Delete(context.Background(), v) })
	}
	g.Eventually(func(g Gomega) {
		var list v1alpha1.VendorList
		g.Expect(k8s.List(ctx, &list)).To(Succeed())
		current := 0
		for _, v := range list.Items {
			if len(v.Status.Feeds) == 1 && v.Status.Feeds[0].Reason == v1alpha1.ReasonFeedCurrent && v.Status.Feeds[0].URL == url {
				current++
			}
		}
		g.Expect(current).To(Equal(vendors))
	}, 60*time.Second, 500*time.Millisecond).Should(Succeed())
	feed.mu.Lock()
	start := feed.hits
	feed.mu.Unlock()
	const intervals = 5
	time.Sleep(intervals * interval)
	feed.mu.Lock()
	hits := feed.hits - start
	feed.mu.Unlock()
	t.Logf("%d Vendors on one URL: %d requests in %d intervals of %v", vendors, hits, intervals, interval)
	g.Expect(hits).To(BeNumerically("<=", intervals+1), "one fetch per interval (jitter makes them a little rarer, never more often)")
	g.Expect(hits).To(BeNumerically(">=", intervals-2), "and the feed is still followed")
}

// TestByDefaultNoFeedIsFetchedAndTheAllowlistSaysWhy: with the binary's defaults the
// manager fetches nothing; an allowlist naming a built-in feed vendor says which
// flag enables it, and is Stalled, since only an admin can.
func TestByDefaultNoFeedIsFetchedAndTheAllowlistSaysWhy(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s, "feeds-off")
	dns := testdns.Start(t)
	o := testmanager.Options(t, "--dns-server="+dns.Addr(), "--watch-namespaces="+ns)
	g.Expect(o.Feeds.Enabled).To(BeEmpty())
	testmanager.Start(t, env.Config, o)
	g.Expect(k8s.Create(ctx, &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ci"},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "ci"}},
			Vendors:     []v1alpha1.VendorSelection{{Name: "github", Endpoints: []v1alpha1.ObjectName{"hooks"}, Ports: []v1alpha1.Port{{Port: 8080}}}},
		},
	})).To(Succeed())
	g.Eventually(func(g Gomega) {
		var a v1alpha1.VendorAllowlist
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "ci"}, &a)).To(Succeed())
		ready := meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady)
		g.Expect(ready).NotTo(BeNil())
		g.Expect(ready.Reason).To(Equal(v1alpha1.ReasonFeedNotEnabled))
		g.Expect(ready.Message).To(ContainSubstring("--feeds=github"))
		g.Expect(meta.IsStatusConditionTrue(a.Status.Conditions, v1alpha1.ConditionStalled)).To(BeTrue())
	}, 30*time.Second, 200*time.Millisecond).Should(Succeed())
	var policies networkingv1.NetworkPolicyList
	g.Expect(k8s.List(ctx, &policies, client.InNamespace(ns))).To(Succeed())
	g.Expect(policies.Items).To(BeEmpty(), "nothing is opened for a feed that is not followed")
}

// createTextFeedVendor creates, as the admin, a Vendor whose one Egress group (api,
// TCP 443) follows the text feed at url; it is deleted when the test ends.
func createTextFeedVendor(t *testing.T, name, url string) *v1alpha1.Vendor {
	t.Helper()
	vendor := &v1alpha1.Vendor{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{{
			Name: "api", Direction: v1alpha1.DirectionEgress, Ports: []v1alpha1.Port{{Port: 443}},
			Feed: &v1alpha1.AddressFeed{URL: url, Format: v1alpha1.FeedFormatText},
		}}},
	}
	if err := k8s.Create(context.Background(), vendor); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), vendor) })
	return vendor
}

// TestATenantCannotPointTheOperatorAtAFeedNorApproveOne: a user bound only to the
// shipped vendorallowlist-edit role can name a feed-backed vendor in an allowlist,
// and gets what the admin's feed holds; it cannot create a Vendor with a feed of its
// own, write a Vendor's status.feeds, or read or approve the feed's copy.
func TestATenantCannotPointTheOperatorAtAFeedNorApproveOne(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := testenv.NewNamespace(t, k8s, "feeds-tenant")
	operatorNS := testenv.NewNamespace(t, k8s, "feeds-operator")
	dns := testdns.Start(t)
	feed := startFeed(t, "198.51.100.0/28\n")
	url := feed.URL + "/ips.txt"
	o := managerOptions(ns, feed.caBundle(t), dns.Addr())
	o.Feeds.Namespace = operatorNS
	testmanager.Start(t, env.Config, o)
	vendor := createTextFeedVendor(t, "acme-"+ns, url)

	st := testenv.InstallShippedTenancy(t, env.Config, k8s)
	mallory := st.Tenant(t, ns, "mallory")

	own := &v1alpha1.Vendor{
		ObjectMeta: metav1.ObjectMeta{Name: "mallory-" + ns},
		Spec: v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{{
			Name: "all", Direction: v1alpha1.DirectionEgress, Ports: []v1alpha1.Port{{Port: 443}},
			Feed: &v1alpha1.AddressFeed{URL: "https://mallory.example/everything.txt", Format: v1alpha1.FeedFormatText},
		}}},
	}
	g.Expect(apierrors.IsForbidden(mallory.Create(ctx, own))).To(BeTrue(), "a tenant cannot name a URL for the operator to fetch")

	g.Expect(mallory.Create(ctx, &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "payments"},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "payments"}},
			Vendors:     []v1alpha1.VendorSelection{{Name: v1alpha1.ObjectName(vendor.Name)}},
		},
	})).To(Succeed(), "a tenant names the admin's feed-backed vendor like any other")
	g.Eventually(func(g Gomega) {
		var p networkingv1.NetworkPolicy
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "payments-egress"}, &p)).To(Succeed())
		g.Expect(testenv.PolicyCIDRs(&p)).To(Equal([]string{"198.51.100.0/28"}))
	}, 30*time.Second, 200*time.Millisecond).Should(Succeed())

	var v v1alpha1.Vendor
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(vendor), &v)).To(Succeed())
	v.Status.Feeds = []v1alpha1.FeedStatus{{Group: "api", Reason: v1alpha1.ReasonFeedCurrent, Digest: "forged"}}
	g.Expect(apierrors.IsForbidden(mallory.Status().Update(ctx, &v))).To(BeTrue(), "a tenant cannot write a Vendor's status")

	copyKey := client.ObjectKey{Namespace: operatorNS, Name: fetch.ConfigMapName(url)}
	var copyCM corev1.ConfigMap
	g.Eventually(func() error { return k8s.Get(ctx, copyKey, &copyCM) }, 20*time.Second, 200*time.Millisecond).Should(Succeed(), "the copy is in the operator's namespace")
	g.Expect(apierrors.IsForbidden(mallory.Get(ctx, copyKey, &corev1.ConfigMap{}))).To(BeTrue(), "a tenant cannot read the feed's copy")
	patch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"`+v1alpha1.FeedApproveAnnotation+`":"anything"}}}`))
	g.Expect(apierrors.IsForbidden(mallory.Patch(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: operatorNS, Name: copyKey.Name}}, patch))).To(BeTrue(),
		"a tenant cannot approve a held list")
	var copies corev1.ConfigMapList
	g.Expect(k8s.List(ctx, &copies, client.InNamespace(ns), client.HasLabels{fetch.FeedLabel})).To(Succeed())
	g.Expect(copies.Items).To(BeEmpty(), "the operator writes no copy into the tenant's namespace")
}
