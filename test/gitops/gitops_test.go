/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package gitops checks that the status the manager writes reads right in the tools
// GitOps users run: kstatus (sigs.k8s.io/cli-utils, which Flux's health checks and
// kpt use), Argo CD's health check (the Lua in config/argocd, run by gopher-lua, the
// interpreter Argo CD embeds), and kubectl wait. The manager is the real one
// (manager.New, as the binary builds it), against envtest and dnsmasq on loopback.
package gitops

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	lua "github.com/yuin/gopher-lua"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	sigsyaml "sigs.k8s.io/yaml"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/dnscache"
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

// state is one allowlist in a state the manager produces, and how each tool must
// read it.
type state struct {
	name      string
	allowlist *v1alpha1.VendorAllowlist
	kstatus   status.Status
	argo      string
}

func TestStatusReadsRightInGitOpsTools(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	srv := testdns.Start(t, testdns.WithArgs("--server=/silent.example/"+blackhole(t)))
	ns := "gitops"
	g.Expect(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	testmanager.Start(t, env.Config, manager.Options{
		WatchNamespaces: []string{ns},
		DNSServers:      []string{srv.Addr()},
		DNSTimeout:      500 * time.Millisecond,
		DNS:             dnscache.Options{MinRefresh: time.Second, MaxRefresh: 10 * time.Second},
		Settings:        renderflags.Settings{GuardAllow: testenv.DocumentationRanges, Limits: tenancy.Defaults()},
		Workers:         4,
	})
	// A NetworkPolicy of someone else's, in the way of "taken"'s policy.
	g.Expect(k8s.Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "taken-ingress"}})).To(Succeed())

	threo := func(name string) *v1alpha1.VendorAllowlist {
		return &v1alpha1.VendorAllowlist{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: v1alpha1.VendorAllowlistSpec{
				PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
				Vendors:     []v1alpha1.VendorSelection{{Name: "threobuilder", Ports: []v1alpha1.Port{{Port: 443}}}},
			},
		}
	}
	unknown := threo("unknown")
	unknown.Spec.Vendors[0].Name = "threobuildr"
	wide := threo("wide")
	wide.Spec.Vendors = nil
	wide.Spec.Custom = []v1alpha1.CustomEntry{{Name: "all", Direction: v1alpha1.DirectionEgress, AllPorts: true, CIDRs: []v1alpha1.CIDR{"0.0.0.0/1", "128.0.0.0/1"}}}
	waiting := threo("waiting")
	waiting.Spec.Vendors = nil
	waiting.Spec.Custom = []v1alpha1.CustomEntry{{Name: "api", Direction: v1alpha1.DirectionIngress, Ports: []v1alpha1.Port{{Port: 8443}}, Hostnames: []v1alpha1.Hostname{"api.silent.example"}}}

	states := []state{
		{"valid", threo("valid"), status.CurrentStatus, "Healthy"},
		{"unknown vendor", unknown, status.FailedStatus, "Degraded"},
		{"policy conflict", threo("taken"), status.FailedStatus, "Degraded"},
		{"tenant limit exceeded", wide, status.FailedStatus, "Degraded"},
		{"waiting for a first DNS answer", waiting, status.InProgressStatus, "Progressing"},
	}
	for _, s := range states {
		g.Expect(k8s.Create(ctx, s.allowlist)).To(Succeed())
	}
	for _, s := range states {
		t.Run(s.name, func(t *testing.T) {
			g := NewWithT(t)
			var u *unstructured.Unstructured
			var took time.Duration
			g.Eventually(func(g Gomega) {
				u = get(g, allowlistGVK, ns, s.allowlist.Name)
				res, err := status.Compute(u)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(res.Status).To(Equal(s.kstatus), "kstatus: %s", res.Message)
				// When the manager first wrote this verdict (status times are whole seconds).
				var a v1alpha1.VendorAllowlist
				g.Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(s.allowlist), &a)).To(Succeed())
				ready := meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady)
				g.Expect(ready).NotTo(BeNil())
				took = ready.LastTransitionTime.Sub(a.CreationTimestamp.Time)
			}, 20*time.Second, 100*time.Millisecond).Should(Succeed())
			// It stays so: a Failed or Current that flips back would fail a GitOps wait.
			g.Consistently(func(g Gomega) {
				res, err := status.Compute(get(g, allowlistGVK, ns, s.allowlist.Name))
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(res.Status).To(Equal(s.kstatus), "kstatus: %s", res.Message)
			}, 2*time.Second, 200*time.Millisecond).Should(Succeed())
			health, msg := argoHealth(t, "vendorallowlist-health.lua", u)
			g.Expect(health).To(Equal(s.argo), "Argo CD health message: %s", msg)
			g.Expect(took).To(BeNumerically("<=", 5*time.Second), "the verdict took %v", took)
			t.Logf("%s: kstatus %s, Ready written %v after creation (whole seconds); Argo CD %s: %s", s.name, s.kstatus, took, health, msg)
		})
	}

	// An allowlist no operator has written status for yet (here: in a namespace the
	// manager does not watch) is in progress, not done: its status.observedGeneration
	// is -1 by default.
	g.Expect(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "gitops-unwatched"}})).To(Succeed())
	fresh := threo("fresh")
	fresh.Namespace = "gitops-unwatched"
	g.Expect(k8s.Create(ctx, fresh)).To(Succeed())
	u := get(g, allowlistGVK, fresh.Namespace, fresh.Name)
	res, err := status.Compute(u)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Status).To(Equal(status.InProgressStatus), "kstatus of an allowlist without status: %s", res.Message)
	health, _ := argoHealth(t, "vendorallowlist-health.lua", u)
	g.Expect(health).To(Equal("Progressing"))

	// A generation the manager has not observed yet is in progress for both, whatever
	// its last status says.
	stale := get(g, allowlistGVK, ns, "unknown")
	stale.SetGeneration(stale.GetGeneration() + 1)
	res, err = status.Compute(stale)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Status).To(Equal(status.InProgressStatus))
	health, _ = argoHealth(t, "vendorallowlist-health.lua", stale)
	g.Expect(health).To(Equal("Progressing"))

	// The spec fixed: Current, Healthy.
	var fixed v1alpha1.VendorAllowlist
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(unknown), &fixed)).To(Succeed())
	fixed.Spec.Vendors[0].Name = "threobuilder"
	g.Expect(k8s.Update(ctx, &fixed)).To(Succeed())
	g.Eventually(func(g Gomega) {
		u := get(g, allowlistGVK, ns, "unknown")
		res, err := status.Compute(u)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Status).To(Equal(status.CurrentStatus), "kstatus: %s", res.Message)
		health, msg := argoHealth(t, "vendorallowlist-health.lua", u)
		g.Expect(health).To(Equal("Healthy"), msg)
	}, 20*time.Second, 100*time.Millisecond).Should(Succeed())

	// kubectl wait --for=condition=Ready returns for the Ready one, and waits out its
	// timeout for the stalled one.
	kc := kubeconfig(t)
	if out, err := kubectl(kc, "wait", "-n", ns, "--for=condition=Ready", "--timeout=20s", "vendorallowlist/valid", "val/unknown"); err != nil {
		t.Fatalf("kubectl wait for Ready allowlists: %v\n%s", err, out)
	}
	if out, err := kubectl(kc, "wait", "-n", ns, "--for=condition=Ready", "--timeout=2s", "val/wide"); err == nil {
		t.Fatalf("kubectl wait returned for a stalled allowlist:\n%s", out)
	}
	if out, err := kubectl(kc, "wait", "-n", ns, "--for=condition=Stalled", "--timeout=20s", "val/wide", "val/taken"); err != nil {
		t.Fatalf("kubectl wait --for=condition=Stalled: %v\n%s", err, out)
	}
}

// A Vendor change held for an admin is Failed and Degraded; approved, Current and
// Healthy.
func TestVendorStatusReadsRight(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	srv := testdns.Start(t)
	testmanager.Start(t, env.Config, manager.Options{
		WatchNamespaces: []string{"default"},
		DNSServers:      []string{srv.Addr()},
		Settings:        renderflags.Settings{GuardAllow: testenv.DocumentationRanges, Limits: tenancy.Defaults()},
	})
	v := &v1alpha1.Vendor{
		ObjectMeta: metav1.ObjectMeta{Name: "gitops-acme"},
		Spec: v1alpha1.VendorSpec{Endpoints: []v1alpha1.EndpointGroup{{
			Name: "hooks", Direction: v1alpha1.DirectionIngress,
			Addresses: []v1alpha1.PublishedAddress{{CIDR: "198.51.100.1/32"}, {CIDR: "198.51.100.2/32"}},
		}}},
	}
	g.Expect(k8s.Create(ctx, v)).To(Succeed())
	expect := func(want status.Status, argo string) {
		t.Helper()
		expectVendor(t, g, v.Name, want, argo)
	}
	expect(status.CurrentStatus, "Healthy")
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(v), v)).To(Succeed())
	v.Spec.Endpoints[0].Addresses = append(v.Spec.Endpoints[0].Addresses, v1alpha1.PublishedAddress{CIDR: "0.0.0.0/1"})
	g.Expect(k8s.Update(ctx, v)).To(Succeed())
	expect(status.FailedStatus, "Degraded")
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(v), v)).To(Succeed())
	v.Annotations = map[string]string{v1alpha1.ApproveGenerationAnnotation: strconv.FormatInt(v.Generation, 10)}
	g.Expect(k8s.Update(ctx, v)).To(Succeed())
	expect(status.CurrentStatus, "Healthy")
}

var (
	allowlistGVK = v1alpha1.GroupVersion.WithKind("VendorAllowlist")
	vendorGVK    = v1alpha1.GroupVersion.WithKind("Vendor")
)

func get(g Gomega, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	g.Expect(k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, u)).To(Succeed())
	return u
}

// argoHealth runs an Argo CD health check on obj the way Argo CD does: the script is
// the body of a function with obj as a global, and returns a table with status and
// message.
func argoHealth(t *testing.T, script string, obj *unstructured.Unstructured) (string, string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "argocd", script))
	if err != nil {
		t.Fatal(err)
	}
	L := lua.NewState(lua.Options{SkipOpenLibs: false})
	defer L.Close()
	L.SetGlobal("obj", toLua(L, obj.Object))
	fn, err := L.LoadString(string(src))
	if err != nil {
		t.Fatalf("%s: %v", script, err)
	}
	L.Push(fn)
	if err := L.PCall(0, 1, nil); err != nil {
		t.Fatalf("%s: %v", script, err)
	}
	ret, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("%s returned %v, want a table", script, L.Get(-1))
	}
	return ret.RawGetString("status").String(), ret.RawGetString("message").String()
}

// toLua converts decoded JSON to Lua values as Argo CD does: objects to tables,
// arrays to sequences from 1.
func toLua(L *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case map[string]any:
		t := L.NewTable()
		for k, e := range v {
			t.RawSetString(k, toLua(L, e))
		}
		return t
	case []any:
		t := L.NewTable()
		for _, e := range v {
			t.Append(toLua(L, e))
		}
		return t
	case string:
		return lua.LString(v)
	case bool:
		return lua.LBool(v)
	case int64:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case nil:
		return lua.LNil
	default:
		panic(fmt.Sprintf("unexpected %T", v))
	}
}

// blackhole is a DNS "server" on loopback that reads every query and never answers.
func blackhole(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	return "127.0.0.1#" + strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)
}

func kubeconfig(t *testing.T) string {
	t.Helper()
	cfg := env.Config
	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
	kc.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "admin"}
	kc.CurrentContext = "envtest"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func kubectl(kubeconfig string, args ...string) ([]byte, error) {
	bin := os.Getenv("KUBECTL")
	if bin == "" {
		bin = filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
	}
	return exec.Command(bin, append([]string{"--kubeconfig", kubeconfig}, args...)...).CombinedOutput()
}

// The health checks in docs/gitops.md (for the argo-cd Helm chart) are the files the
// tests run, word for word, and the kustomize component merges those files into
// argocd-cm under the keys Argo CD reads.
func TestArgoCDHealthChecksAreShippedAsTested(t *testing.T) {
	g := NewWithT(t)
	root := testenv.RepoRoot()
	doc, err := os.ReadFile(filepath.Join(root, "docs", "gitops.md"))
	g.Expect(err).NotTo(HaveOccurred())
	keys := map[string]string{
		"resource.customizations.health.networking.vendorallowlist.io_VendorAllowlist": "vendorallowlist-health.lua",
		"resource.customizations.health.networking.vendorallowlist.io_Vendor":          "vendor-health.lua",
	}
	scripts := map[string]string{}
	for key, file := range keys {
		src, err := os.ReadFile(filepath.Join(root, "config", "argocd", file))
		g.Expect(err).NotTo(HaveOccurred())
		scripts[key] = string(src)
		var indented strings.Builder
		for _, line := range strings.SplitAfter(string(src), "\n") {
			if strings.TrimSpace(line) != "" {
				indented.WriteString("      ")
			}
			indented.WriteString(line)
		}
		g.Expect(string(doc)).To(ContainSubstring("    "+key+": |\n"+indented.String()), "docs/gitops.md's %s differs from config/argocd/%s", key, file)
	}

	kustomize := os.Getenv("KUSTOMIZE")
	if kustomize == "" {
		t.Fatal("KUSTOMIZE is not set: run `make test` (it installs kustomize with hack/tools.sh)")
	}
	dir := t.TempDir()
	// As Argo CD's install.yaml has it (no namespace), in a kustomization that sets one.
	g.Expect(os.WriteFile(filepath.Join(dir, "argocd-cm.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\ndata:\n  url: https://argocd.example.com\n"), 0o600)).To(Succeed())
	component, err := filepath.Rel(dir, filepath.Join(root, "config", "argocd"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte("namespace: argocd\nresources: [argocd-cm.yaml]\ncomponents: ["+component+"]\n"), 0o600)).To(Succeed())
	out, err := exec.Command(kustomize, "build", dir).CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), "%s", out)
	var cm corev1.ConfigMap
	g.Expect(sigsyaml.UnmarshalStrict(out, &cm)).To(Succeed())
	g.Expect(cm.Name).To(Equal("argocd-cm"), "the component must merge into argocd-cm, not make another")
	g.Expect(cm.Namespace).To(Equal("argocd"))
	g.Expect(cm.Data).To(HaveKeyWithValue("url", "https://argocd.example.com"))
	for key, src := range scripts {
		g.Expect(cm.Data).To(HaveKeyWithValue(key, src))
	}
}

// TestGitOpsExampleSyncsHealthy: the chart's worked GitOps example,
// ci/full-values.yaml, installs Vendor objects the real manager accepts at once, with
// the example's vendorChanges bounds: Argo CD shows them Healthy, kstatus Current. Its
// ThreoBuilder pin (2 of 6 addresses) carries its approval; the same pin without it is
// held and Degraded, which is what a user of the example saw before.
func TestGitOpsExampleSyncsHealthy(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	var values struct {
		VendorChanges struct {
			MaxRemovedPercent         int
			MaxAddedSpacePrefixLength struct{ IPv4, IPv6 int }
		} `json:"vendorChanges"`
		Vendors []struct {
			Name        string
			Labels      map[string]string
			Annotations map[string]string
			Spec        v1alpha1.VendorSpec
		}
	}
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "charts", "vendor-allowlist-operator", "ci", "full-values.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(sigsyaml.Unmarshal(data, &values)).To(Succeed())
	g.Expect(values.Vendors).NotTo(BeEmpty())
	vc := values.VendorChanges
	srv := testdns.Start(t)
	testmanager.Start(t, env.Config, manager.Options{
		WatchNamespaces: []string{"default"},
		DNSServers:      []string{srv.Addr()},
		Settings:        renderflags.Settings{GuardAllow: testenv.DocumentationRanges, Limits: tenancy.Defaults()},
		VendorChanges:   vendorchange.BoundsFromPrefixLengths(vc.MaxRemovedPercent, vc.MaxAddedSpacePrefixLength.IPv4, vc.MaxAddedSpacePrefixLength.IPv6),
	})
	expect := func(name string, want status.Status, argo string) {
		t.Helper()
		expectVendor(t, g, name, want, argo)
	}
	create := func(name string, labels, annotations map[string]string, spec v1alpha1.VendorSpec) {
		t.Helper()
		v := &v1alpha1.Vendor{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: annotations}, Spec: spec}
		g.Expect(k8s.Create(ctx, v)).To(Succeed())
		t.Cleanup(func() { _ = k8s.Delete(context.Background(), v) })
	}
	var pinned *v1alpha1.VendorSpec
	for _, v := range values.Vendors {
		create(v.Name, v.Labels, v.Annotations, v.Spec)
		if v.Name == "threobuilder" {
			pinned = &v.Spec
		}
	}
	for _, v := range values.Vendors {
		expect(v.Name, status.CurrentStatus, "Healthy")
	}

	// Without the approval, the same pin is held from the first sync. It is written
	// under another name that replaces no built-in vendor, so compare it the way the
	// operator compares a new generation: create the built-in ThreoBuilder's entry,
	// then change it to the pin.
	g.Expect(pinned).NotTo(BeNil(), "the example pins no ThreoBuilder")
	builtin, ok := catalog.Builtin().Get("threobuilder")
	g.Expect(ok).To(BeTrue())
	create("gitops-threobuilder-copy", nil, nil, builtin.Spec)
	expect("gitops-threobuilder-copy", status.CurrentStatus, "Healthy")
	v := &v1alpha1.Vendor{}
	g.Expect(k8s.Get(ctx, client.ObjectKey{Name: "gitops-threobuilder-copy"}, v)).To(Succeed())
	v.Spec = *pinned
	g.Expect(k8s.Update(ctx, v)).To(Succeed())
	expect("gitops-threobuilder-copy", status.FailedStatus, "Degraded")
}

// expectVendor waits until kstatus and Argo CD read the Vendor as want and argo.
func expectVendor(t *testing.T, g *WithT, name string, want status.Status, argo string) {
	t.Helper()
	g.Eventually(func(g Gomega) {
		u := get(g, vendorGVK, "", name)
		res, err := status.Compute(u)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Status).To(Equal(want), "kstatus: %s", res.Message)
		health, msg := argoHealth(t, "vendor-health.lua", u)
		g.Expect(health).To(Equal(argo), msg)
	}, 20*time.Second, 100*time.Millisecond).Should(Succeed())
}
