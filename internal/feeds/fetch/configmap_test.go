/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fetch

import (
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// The ConfigMap store's tests run against a real API server, started by the first
// test that needs one; the fetcher's tests do not.
var (
	apiOnce   sync.Once
	apiEnv    *testenv.Env
	apiClient client.Client
	apiErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if apiEnv != nil {
		_ = apiEnv.Stop()
	}
	os.Exit(code)
}

// apiServer is the package's API server; one that does not start fails the test.
func apiServer(t *testing.T) client.Client {
	t.Helper()
	apiOnce.Do(func() { apiEnv, apiClient, apiErr = testenv.StartSuite() })
	if apiErr != nil {
		t.Fatal(apiErr)
	}
	return apiClient
}

const githubMeta = "https://api.github.com/meta"

func TestConfigMapStoreRoundTrip(t *testing.T) {
	g := NewWithT(t)
	c := apiServer(t)
	ctx := context.Background()
	store := &ConfigMapStore{Client: c, Namespace: testenv.NewNamespace(t, c, "feedstore")}

	_, ok, err := store.Load(ctx, githubMeta)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ok).To(BeFalse())

	snap := lastGood
	snap.LastModified = "Wed, 02 Dec 2026 10:00:00 GMT"
	g.Expect(store.Save(ctx, githubMeta, snap)).To(Succeed())
	got, ok, err := store.Load(ctx, githubMeta)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ok).To(BeTrue())
	g.Expect(got).To(Equal(snap))

	var cm corev1.ConfigMap
	g.Expect(c.Get(ctx, client.ObjectKey{Namespace: store.Namespace, Name: ConfigMapName(githubMeta)}, &cm)).To(Succeed())
	g.Expect(cm.Name).To(MatchRegexp(`^vendorallowlist-feed-[0-9a-f]{20}$`))
	g.Expect(cm.Labels).To(HaveKeyWithValue(v1alpha1.ManagedByLabel, v1alpha1.ManagedByValue))
	g.Expect(cm.Annotations).To(HaveKeyWithValue(URLAnnotation, githubMeta))
	g.Expect(cm.Annotations).To(HaveKeyWithValue(ETagAnnotation, `"old"`))
	g.Expect(cm.Annotations).To(HaveKeyWithValue(FetchedAtAnnotation, "2026-12-01T00:00:00Z"))
	g.Expect(cm.BinaryData).To(HaveKey(BodyKey))
	g.Expect(cm.ManagedFields).To(ContainElement(And(
		HaveField("Manager", v1alpha1.FieldOwner), HaveField("Operation", metav1.ManagedFieldsOperationApply))))

	// A later document replaces the copy.
	newer := Snapshot{Body: []byte(`{"hooks":[]}`), Digest: Digest([]byte(`{"hooks":[]}`)),
		FetchedAt: snap.FetchedAt.Add(time.Hour), ChangedAt: snap.FetchedAt.Add(time.Hour)}
	g.Expect(store.Save(ctx, githubMeta, newer)).To(Succeed())
	got, _, err = store.Load(ctx, githubMeta)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(Equal(newer))
}

// A copy that is not what the manager wrote is refused, not used.
func TestConfigMapStoreRefusesAlteredCopy(t *testing.T) {
	c := apiServer(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		alter   func(*corev1.ConfigMap)
		message string
	}{
		{"body edited", func(cm *corev1.ConfigMap) {
			gz, _ := Gzip([]byte(`{"hooks":["10.0.0.0/8"]}`))
			cm.BinaryData[BodyKey] = gz
		}, "is not the recorded"},
		{"other URL", func(cm *corev1.ConfigMap) { cm.Annotations[URLAnnotation] = "https://example.com/" }, `holds "https://example.com/", not this URL`},
		{"body not gzip", func(cm *corev1.ConfigMap) { cm.BinaryData[BodyKey] = []byte("{}") }, "decompressing body.gz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			store := &ConfigMapStore{Client: c, Namespace: testenv.NewNamespace(t, c, "feedstore")}
			g.Expect(store.Save(ctx, githubMeta, lastGood)).To(Succeed())
			var cm corev1.ConfigMap
			g.Expect(c.Get(ctx, client.ObjectKey{Namespace: store.Namespace, Name: ConfigMapName(githubMeta)}, &cm)).To(Succeed())
			tc.alter(&cm)
			g.Expect(c.Update(ctx, &cm)).To(Succeed())
			_, ok, err := store.Load(ctx, githubMeta)
			g.Expect(ok).To(BeFalse())
			g.Expect(err).To(MatchError(ContainSubstring(tc.message)))
			g.Expect(err.Error()).To(ContainSubstring("ConfigMap " + store.Namespace + "/" + ConfigMapName(githubMeta)))
		})
	}
}

// awsShaped is a document of the shape of https://ip-ranges.amazonaws.com/ip-ranges.json,
// indented as AWS serves it, of at least size bytes.
func awsShaped(size int) []byte {
	type v4 struct {
		IPPrefix           string `json:"ip_prefix"`
		Region             string `json:"region"`
		Service            string `json:"service"`
		NetworkBorderGroup string `json:"network_border_group"`
	}
	type v6 struct {
		IPv6Prefix         string `json:"ipv6_prefix"`
		Region             string `json:"region"`
		Service            string `json:"service"`
		NetworkBorderGroup string `json:"network_border_group"`
	}
	doc := struct {
		SyncToken    string `json:"syncToken"`
		CreateDate   string `json:"createDate"`
		Prefixes     []v4   `json:"prefixes"`
		IPv6Prefixes []v6   `json:"ipv6_prefixes"`
	}{SyncToken: "1764756789", CreateDate: "2026-12-03-10-13-09"}
	regions := []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1", "eu-north-1",
		"ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "ap-south-1", "sa-east-1", "ca-central-1",
		"me-south-1", "af-south-1", "GLOBAL"}
	services := []string{"AMAZON", "EC2", "S3", "CLOUDFRONT", "ROUTE53", "API_GATEWAY", "DYNAMODB", "CODEBUILD", "EC2_INSTANCE_CONNECT", "KINESIS_VIDEO_STREAMS"}
	r := rand.New(rand.NewPCG(21, 2026))
	for {
		b, _ := json.MarshalIndent(doc, "", "  ")
		if len(b) >= size {
			return b
		}
		for range 500 {
			region := regions[r.IntN(len(regions))]
			ip := netip.AddrFrom4([4]byte{byte(3 + r.IntN(50)), byte(r.IntN(256)), byte(r.IntN(256)), 0})
			doc.Prefixes = append(doc.Prefixes, v4{netip.PrefixFrom(ip, 16+r.IntN(9)).Masked().String(), region, services[r.IntN(len(services))], region})
			ip6 := netip.AddrFrom16([16]byte{0x26, 0x00, 0x1f, byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
			doc.IPv6Prefixes = append(doc.IPv6Prefixes, v6{netip.PrefixFrom(ip6, 40+r.IntN(17)).Masked().String(), region, services[r.IntN(len(services))], region})
		}
	}
}

// A 2 MB document of AWS's shape fits, gzip'd, in one ConfigMap, and comes back whole.
func TestConfigMapStoreKeepsAWSSizedDocument(t *testing.T) {
	g := NewWithT(t)
	c := apiServer(t)
	ctx := context.Background()
	body := awsShaped(2 << 20)
	gz, err := Gzip(body)
	g.Expect(err).NotTo(HaveOccurred())
	t.Logf("AWS-shaped document: %d bytes, %d gzip'd (%.1f%%), limit %d", len(body), len(gz), 100*float64(len(gz))/float64(len(body)), MaxStoredBytes)
	g.Expect(len(gz)).To(BeNumerically("<", MaxStoredBytes))

	store := &ConfigMapStore{Client: c, Namespace: testenv.NewNamespace(t, c, "feedstore")}
	const aws = "https://ip-ranges.amazonaws.com/ip-ranges.json"
	snap := Snapshot{Body: body, Digest: Digest(body), ETag: `"4d9f8c"`, FetchedAt: lastGood.FetchedAt, ChangedAt: lastGood.FetchedAt}
	g.Expect(store.Save(ctx, aws, snap)).To(Succeed())
	got, ok, err := store.Load(ctx, aws)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ok).To(BeTrue())
	g.Expect(got.Digest).To(Equal(snap.Digest))
	g.Expect(got.Body).To(Equal(body))
}

// noise is n incompressible bytes.
func noise(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// A document whose gzip'd form is just under MaxStoredBytes is accepted by the API
// server; one that does not fit is refused with an error that says so, and nothing is
// written.
func TestConfigMapStoreSizeLimit(t *testing.T) {
	g := NewWithT(t)
	c := apiServer(t)
	ctx := context.Background()
	store := &ConfigMapStore{Client: c, Namespace: testenv.NewNamespace(t, c, "feedstore")}

	largest := noise(MaxStoredBytes - 1024)
	gz, _ := Gzip(largest)
	g.Expect(len(gz)).To(BeNumerically("<=", MaxStoredBytes))
	g.Expect(len(gz)).To(BeNumerically(">", MaxStoredBytes-1024))
	g.Expect(store.Save(ctx, "https://example.com/largest", Snapshot{Body: largest, Digest: Digest(largest)})).To(Succeed())

	tooLarge := noise(1536 << 10)
	err := store.Save(ctx, githubMeta, Snapshot{Body: tooLarge, Digest: Digest(tooLarge)})
	g.Expect(err).To(MatchError(ErrTooLargeToStore))
	g.Expect(err.Error()).To(ContainSubstring("over the 1015808 a ConfigMap can hold"))
	var cm corev1.ConfigMap
	err = c.Get(ctx, client.ObjectKey{Namespace: store.Namespace, Name: ConfigMapName(githubMeta)}, &cm)
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "got %v", err)
}

// A manager that restarts while the feed is down serves the copy the last one kept,
// and keeps it when the first fetch fails.
func TestRestartWhileFeedIsDownKeepsLastGood(t *testing.T) {
	c := apiServer(t)
	ca := newTestCA(t)
	srv := ca.serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		_, _ = io.WriteString(w, hooksDoc)
	})
	feedURL := srv.URL + "/meta"
	namespace := testenv.NewNamespace(t, c, "feedstore")
	clk := clocktesting.NewFakeClock(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))

	run := func(t *testing.T) *updates {
		var got updates
		s := NewScheduler(newFetcher(t, ca, func(o *Options) { o.Clock = clk }), SchedulerOptions{
			Clock: clk, Jitter: -1, Store: &ConfigMapStore{Client: c, Namespace: namespace}, OnUpdate: got.record,
		})
		s.Subscribe(feedURL, Subscriber{Name: "github"})
		startScheduler(t, s)
		return &got
	}

	t.Run("first manager", func(t *testing.T) {
		g := NewWithT(t)
		got := run(t)
		g.Eventually(got.list).Should(HaveLen(1))
		g.Expect(got.list()[0].State.Last.Err).NotTo(HaveOccurred())
	})
	srv.Close()
	clk.Step(2 * time.Hour)

	t.Run("restarted manager", func(t *testing.T) {
		g := NewWithT(t)
		got := run(t)
		g.Eventually(got.list).Should(HaveLen(2))
		loaded, failed := got.list()[0].State, got.list()[1].State
		g.Expect(string(loaded.Snapshot.Body)).To(Equal(hooksDoc), "the stored copy is served before any fetch")
		g.Expect(loaded.Snapshot.ETag).To(Equal(`"v1"`))
		g.Expect(failed.Last.Kind()).To(Equal(KindTransport), "error: %v", failed.Last.Err)
		g.Expect(string(failed.Snapshot.Body)).To(Equal(hooksDoc), "the failed fetch keeps it")
	})
}
