/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package uninstall proves that each documented uninstall leaves every NetworkPolicy
// the operator wrote in place: removing the operator must never open traffic.
//
// Each test starts its own control plane (envtest, without the operator's CRDs) with
// kube-controller-manager's garbage collector, which is what deletes the policies of
// a deleted VendorAllowlist (and of every one, when its CRD is deleted): without it
// nothing would be deleted and the test would prove nothing. It installs the operator
// as docs/install.md says, runs the installed manager in-process (manager.New, with
// the args of the installed Deployment and the rights of its ServiceAccount: there is
// no node to run the pod), creates allowlists, waits for their policies, stops the
// manager and runs the documented uninstall command. Then it shows that the garbage
// collector is working (a NetworkPolicy owned by an allowlist the test deletes goes)
// and that every other policy is still there. A control shows the old way failing
// open: deleting the old dist/install.yaml, which held the CRDs, deletes the policies.
// And removing everything, CRDs included, keeps the policies when the allowlists are
// deleted first with --cascade=orphan, as docs/install.md says.
//
// kube-controller-manager comes from hack/dataplane-binaries.sh
// (VAO_DATAPLANE_ASSETS). As root or in CI (CI set), where `make test` builds it, its
// absence fails the tests; elsewhere they skip, saying so. helm and kubectl come from
// HELM and KUBECTL (default: the kubectl in KUBEBUILDER_ASSETS), as in test/install.
package uninstall

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/manager"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/dataplanetest"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testmanager"
)

// Where both installs put the operator, and the Helm release's name, as the docs give.
const (
	operatorNS = "vendor-allowlist-system"
	release    = "vendor-allowlist-operator"
)

var (
	repoRoot  = testenv.RepoRoot()
	chartDir  = filepath.Join(repoRoot, "charts", "vendor-allowlist-operator")
	crdsFile  = filepath.Join(repoRoot, "dist", "crds.yaml")
	distFile  = filepath.Join(repoRoot, "dist", "install.yaml")
	allowlist = v1alpha1.GroupVersion.WithKind("VendorAllowlist")
)

// TestKustomizeUninstallKeepsPolicies: `kubectl delete -f dist/install.yaml` removes
// the operator and leaves every policy it wrote.
func TestKustomizeUninstallKeepsPolicies(t *testing.T) {
	c := startCluster(t)
	w := c.installWithKustomize(t)

	c.kubectl(t, "delete", "-f", distFile)

	c.waitGone(t, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: operatorNS, Name: release}})
	c.checkKept(t, w)
}

// TestHelmUninstallKeepsPolicies: `helm uninstall` removes the operator and leaves
// every policy it wrote.
func TestHelmUninstallKeepsPolicies(t *testing.T) {
	c := startCluster(t)
	c.helm(t, "install", release, chartDir, "--namespace", operatorNS, "--create-namespace")
	c.waitCRDs(t)
	c.startGC(t)
	w := c.writePolicies(t)

	c.helm(t, "uninstall", release, "--namespace", operatorNS)

	c.waitGone(t, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: operatorNS, Name: release}})
	c.checkKept(t, w)
}

// TestRemovingEverythingCanKeepPolicies: after the uninstall, the documented way to
// remove the CRDs too and keep the policies, as plain NetworkPolicies nothing manages:
// delete every allowlist with --cascade=orphan (the garbage collector takes their
// ownerReferences off the policies), then dist/crds.yaml.
func TestRemovingEverythingCanKeepPolicies(t *testing.T) {
	c := startCluster(t)
	w := c.installWithKustomize(t)
	c.kubectl(t, "delete", "-f", distFile)

	c.kubectl(t, "delete", "vendorallowlists", "--all", "--all-namespaces", "--cascade=orphan")
	c.kubectl(t, "delete", "--wait=false", "-f", crdsFile)

	ctx := context.Background()
	for _, name := range []string{"vendorallowlists.networking.vendorallowlist.io", "vendors.networking.vendorallowlist.io"} {
		c.waitGone(t, &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: name}})
	}
	// The probe's policy, orphaned like the others, stays too.
	time.Sleep(5 * time.Second)
	for _, np := range append(w.policies, *w.probeChild) {
		var got networkingv1.NetworkPolicy
		if err := c.k8s.Get(ctx, client.ObjectKeyFromObject(&np), &got); err != nil {
			t.Errorf("NetworkPolicy %s/%s is gone after removing the allowlists with --cascade=orphan and the CRDs: %v", np.Namespace, np.Name, err)
			continue
		}
		if len(got.OwnerReferences) != 0 {
			t.Errorf("NetworkPolicy %s/%s still has ownerReferences %v", np.Namespace, np.Name, got.OwnerReferences)
		}
	}
}

// TestOldUninstallFailedOpen is the control: the old dist/install.yaml held the CRDs
// (it was dist/crds.yaml and dist/install.yaml in one file), and deleting it, the old
// documented uninstall, deleted every allowlist and so, through the garbage collector,
// every policy. Without this, the tests above could pass because nothing deletes
// anything.
func TestOldUninstallFailedOpen(t *testing.T) {
	c := startCluster(t)
	old := filepath.Join(t.TempDir(), "install.yaml")
	var both []byte
	for _, f := range []string{crdsFile, distFile} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("%v: run `make build-installer`", err)
		}
		both = append(append(both, "---\n"...), data...)
	}
	if err := os.WriteFile(old, both, 0o644); err != nil {
		t.Fatal(err)
	}
	c.kubectl(t, "apply", "--server-side", "-f", old)
	c.waitCRDs(t)
	c.startGC(t)
	w := c.writePolicies(t)

	c.kubectl(t, "delete", "--wait=false", "-f", old)

	ctx := context.Background()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		left := 0
		for _, np := range w.policies {
			var got networkingv1.NetworkPolicy
			if err := c.k8s.Get(ctx, client.ObjectKeyFromObject(&np), &got); err == nil {
				left++
			}
		}
		if left == 0 {
			t.Logf("the old uninstall deleted all %d policies: the pods they selected lost their isolation", len(w.policies))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d policies still there 3 minutes after deleting the old install: the garbage collector did not run, so the control proves nothing\n%s",
				left, len(w.policies), c.gc.Tail(30))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// cluster is a control plane with a garbage collector, and the files and tools to
// install into it.
type cluster struct {
	env        *testenv.Env
	k8s        client.Client
	kubeconfig string
	gcAssets   string
	gc         *dataplanetest.Process
	dir        string
}

// startCluster starts etcd and kube-apiserver without the operator's CRDs; they stop
// when the test ends.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	kcm := gcBinary(t)
	kubectlBin(t)
	helmBin(t)
	env, err := testenv.Start(testenv.WithoutOperatorCRDs())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	c := &cluster{env: env, dir: t.TempDir()}
	scheme := testenv.Scheme()
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if c.k8s, err = client.New(env.Config, client.Options{Scheme: scheme}); err != nil {
		t.Fatal(err)
	}
	user, err := env.AddUser(envtest.User{Name: "uninstall-test-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	c.kubeconfig = filepath.Join(c.dir, "admin.kubeconfig")
	if err := os.WriteFile(c.kubeconfig, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	c.gcAssets = filepath.Dir(kcm)
	return c
}

// startGC starts kube-controller-manager's garbage collector, once the CRDs are
// installed. In a cluster it has watched VendorAllowlists long before any uninstall;
// started earlier, it would learn of them only at its next discovery (every 30
// seconds), and until then would not see an allowlist's deletion, only, much later,
// find its policies' owner gone.
func (c *cluster) startGC(t *testing.T) {
	t.Helper()
	var err error
	c.gc, err = dataplanetest.StartGarbageCollector(c.gcAssets, c.kubeconfig, c.dir, t.Logf)
	if c.gc != nil {
		t.Cleanup(func() { c.gc.Stop(10 * time.Second) })
	}
	if err != nil {
		t.Fatal(err)
	}
}

// gcBinary returns kube-controller-manager from VAO_DATAPLANE_ASSETS. Its absence
// fails the test as root or in CI, where `make test` builds it, and skips it elsewhere.
func gcBinary(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(dataplanetest.AssetsEnv)
	bin := filepath.Join(dir, "kube-controller-manager")
	st, err := os.Stat(bin)
	if dir != "" && err == nil && st.Mode()&0o111 != 0 {
		return bin
	}
	msg := fmt.Sprintf("kube-controller-manager (its garbage collector deletes the policies of deleted allowlists) is not in %s=%q: export %s=$(hack/dataplane-binaries.sh), as `make test` does as root or in CI",
		dataplanetest.AssetsEnv, dir, dataplanetest.AssetsEnv)
	if os.Geteuid() == 0 || os.Getenv("CI") != "" {
		t.Fatal(msg + " (root or CI: a failure, not a skip)")
	}
	t.Skip(msg)
	return ""
}

func TestMain(m *testing.M) {
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))
	os.Exit(m.Run())
}

func tool(t *testing.T, env, hint string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" && env == "KUBECTL" && os.Getenv("KUBEBUILDER_ASSETS") != "" {
		p = filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
	}
	st, err := os.Stat(p)
	if p == "" || err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		t.Fatalf("%s=%q is not an executable file: run `make test`, or export %s=%s", env, p, env, hint)
	}
	return p
}

func kubectlBin(t *testing.T) string {
	return tool(t, "KUBECTL", "$(hack/envtest-binaries.sh)/kubectl")
}
func helmBin(t *testing.T) string { return tool(t, "HELM", "$(hack/tools.sh path helm)") }

func (c *cluster) run(t *testing.T, env []string, bin string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out.String())
	}
	t.Logf("%s %s:\n%s", filepath.Base(bin), strings.Join(args, " "), strings.TrimSpace(out.String()))
}

func (c *cluster) kubectl(t *testing.T, args ...string) {
	t.Helper()
	c.run(t, nil, kubectlBin(t), append([]string{"--kubeconfig", c.kubeconfig}, args...)...)
}

// helm runs helm with a home of its own, never the user's.
func (c *cluster) helm(t *testing.T, args ...string) {
	t.Helper()
	home := filepath.Join(c.dir, "helm")
	c.run(t, []string{"HELM_CACHE_HOME=" + home + "/cache", "HELM_CONFIG_HOME=" + home + "/config", "HELM_DATA_HOME=" + home + "/data"},
		helmBin(t), append(args, "--kubeconfig", c.kubeconfig)...)
}

// waitCRDs waits until the installed CRDs are served.
func (c *cluster) waitCRDs(t *testing.T) {
	t.Helper()
	for _, name := range []string{"vendorallowlists.networking.vendorallowlist.io", "vendors.networking.vendorallowlist.io"} {
		c.eventually(t, "CRD "+name+" established", time.Minute, func() error {
			var crd apiextensionsv1.CustomResourceDefinition
			if err := c.k8s.Get(context.Background(), client.ObjectKey{Name: name}, &crd); err != nil {
				return err
			}
			for _, cond := range crd.Status.Conditions {
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					return nil
				}
			}
			return fmt.Errorf("not established")
		})
	}
	c.eventually(t, "VendorAllowlists served", time.Minute, func() error {
		return c.k8s.List(context.Background(), &v1alpha1.VendorAllowlistList{})
	})
}

// written is what writePolicies made: the allowlists, the policies the operator wrote
// for them, and one more allowlist with a policy of its own, which the test deletes to
// see the garbage collector work.
type written struct {
	allowlists []v1alpha1.VendorAllowlist
	policies   []networkingv1.NetworkPolicy
	probe      *v1alpha1.VendorAllowlist
	probeChild *networkingv1.NetworkPolicy
}

// writePolicies runs the installed manager until it has written the policies of four
// allowlists in two namespaces, then stops it, as the uninstall would.
func (c *cluster) writePolicies(t *testing.T) written {
	t.Helper()
	ctx := context.Background()
	mgr := c.startInstalledManager(t)
	var w written
	for _, prefix := range []string{"payments", "reports"} {
		ns := testenv.NewNamespace(t, c.k8s, prefix)
		for i, dir := range []v1alpha1.Direction{v1alpha1.DirectionEgress, v1alpha1.DirectionIngress} {
			a := v1alpha1.VendorAllowlist{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("vendor-%d", i)},
				Spec: v1alpha1.VendorAllowlistSpec{
					PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": prefix}},
					Custom: []v1alpha1.CustomEntry{{Name: "partner", Direction: dir,
						CIDRs: []v1alpha1.CIDR{"52.1.37.96/28"}, Ports: []v1alpha1.Port{{Protocol: v1alpha1.ProtocolTCP, Port: 443}}}},
				},
			}
			if err := c.k8s.Create(ctx, &a); err != nil {
				t.Fatalf("creating allowlist %s/%s: %v", ns, a.Name, err)
			}
			w.allowlists = append(w.allowlists, a)
		}
	}
	for _, a := range w.allowlists {
		c.eventually(t, "the policies of "+a.Namespace+"/"+a.Name, time.Minute, func() error {
			owned := c.ownedPolicies(t, &a)
			if len(owned) == 0 {
				return fmt.Errorf("none yet")
			}
			return nil
		})
		w.policies = append(w.policies, c.ownedPolicies(t, &a)...)
	}
	mgr.Stop()

	// The probe: an allowlist the manager never saw, owning a policy of the test's.
	ns := testenv.NewNamespace(t, c.k8s, "gc-probe")
	w.probe = &v1alpha1.VendorAllowlist{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "probe"},
		Spec: v1alpha1.VendorAllowlistSpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "probe"}},
			Custom: []v1alpha1.CustomEntry{{Name: "partner", Direction: v1alpha1.DirectionEgress,
				CIDRs: []v1alpha1.CIDR{"52.1.37.96/28"}, Ports: []v1alpha1.Port{{Protocol: v1alpha1.ProtocolTCP, Port: 443}}}},
		},
	}
	if err := c.k8s.Create(ctx, w.probe); err != nil {
		t.Fatalf("creating the probe allowlist: %v", err)
	}
	w.probeChild = &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "probe-child", OwnerReferences: []metav1.OwnerReference{{
			APIVersion: allowlist.GroupVersion().String(), Kind: allowlist.Kind, Name: w.probe.Name, UID: w.probe.UID,
			BlockOwnerDeletion: ptr.To(true),
		}}},
		Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}},
	}
	if err := c.k8s.Create(ctx, w.probeChild); err != nil {
		t.Fatalf("creating the probe's policy: %v", err)
	}
	t.Logf("the manager wrote %d policies for %d allowlists", len(w.policies), len(w.allowlists))
	return w
}

// ownedPolicies are the NetworkPolicies of a's namespace that a controls.
func (c *cluster) ownedPolicies(t *testing.T, a *v1alpha1.VendorAllowlist) []networkingv1.NetworkPolicy {
	t.Helper()
	var cur v1alpha1.VendorAllowlist
	if err := c.k8s.Get(context.Background(), client.ObjectKeyFromObject(a), &cur); err != nil {
		t.Fatal(err)
	}
	var list networkingv1.NetworkPolicyList
	if err := c.k8s.List(context.Background(), &list, client.InNamespace(a.Namespace)); err != nil {
		t.Fatal(err)
	}
	var out []networkingv1.NetworkPolicy
	for _, np := range list.Items {
		if ref := metav1.GetControllerOf(&np); ref != nil && ref.UID == cur.UID {
			out = append(out, np)
		}
	}
	return out
}

// startInstalledManager runs the manager as the installed Deployment would: with its
// args (read back from the API server) and the rights of its ServiceAccount. Outside a
// pod, leader election needs its namespace named.
func (c *cluster) startInstalledManager(t *testing.T) *testmanager.Running {
	t.Helper()
	var d appsv1.Deployment
	if err := c.k8s.Get(context.Background(), client.ObjectKey{Namespace: operatorNS, Name: release}, &d); err != nil {
		t.Fatalf("the installed Deployment: %v", err)
	}
	pod := d.Spec.Template.Spec
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	options := manager.BindFlags(fs)
	(&zap.Options{}).BindFlags(fs)
	args := append(pod.Containers[0].Args, "--leader-election-namespace="+operatorNS)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("the installed manager's args %v: %v", args, err)
	}
	o, err := options()
	if err != nil {
		t.Fatalf("the installed manager's args %v: %v", args, err)
	}
	sa := "system:serviceaccount:" + operatorNS + ":" + pod.ServiceAccountName
	cfg := rest.CopyConfig(c.env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: sa, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + operatorNS, "system:authenticated"}}
	t.Logf("running the installed manager as %s with %v", sa, args)
	return testmanager.Start(t, cfg, o)
}

// checkKept: the garbage collector works (the probe's policy goes with the probe), and
// every policy the operator wrote, and its allowlist, is still there, the same object.
func (c *cluster) checkKept(t *testing.T, w written) {
	t.Helper()
	ctx := context.Background()
	for _, name := range []string{"vendorallowlists.networking.vendorallowlist.io", "vendors.networking.vendorallowlist.io"} {
		if err := c.k8s.Get(ctx, client.ObjectKey{Name: name}, &apiextensionsv1.CustomResourceDefinition{}); err != nil {
			t.Errorf("CRD %s after the uninstall: %v", name, err)
		}
	}
	if err := c.k8s.Delete(ctx, w.probe); err != nil {
		t.Fatalf("deleting the probe allowlist: %v", err)
	}
	c.waitGone(t, w.probeChild)
	// The collector has handled an allowlist's deletion made after the uninstall; give
	// it a little longer for anything else it might still delete.
	time.Sleep(5 * time.Second)
	for _, np := range w.policies {
		var got networkingv1.NetworkPolicy
		err := c.k8s.Get(ctx, client.ObjectKeyFromObject(&np), &got)
		switch {
		case err != nil:
			t.Errorf("NetworkPolicy %s/%s is gone after the uninstall (%v): its pods lost their isolation", np.Namespace, np.Name, err)
		case got.UID != np.UID:
			t.Errorf("NetworkPolicy %s/%s was replaced after the uninstall", np.Namespace, np.Name)
		}
	}
	for _, a := range w.allowlists {
		if err := c.k8s.Get(ctx, client.ObjectKeyFromObject(&a), &v1alpha1.VendorAllowlist{}); err != nil {
			t.Errorf("VendorAllowlist %s/%s after the uninstall: %v", a.Namespace, a.Name, err)
		}
	}
	if !t.Failed() {
		t.Logf("all %d policies and %d allowlists are still there", len(w.policies), len(w.allowlists))
	}
}

// waitGone waits until obj no longer exists.
func (c *cluster) waitGone(t *testing.T, obj client.Object) {
	t.Helper()
	key := client.ObjectKeyFromObject(obj)
	c.eventually(t, fmt.Sprintf("%T %s gone", obj, key), 2*time.Minute, func() error {
		err := c.k8s.Get(context.Background(), key, obj.DeepCopyObject().(client.Object))
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("still there (%v)", err)
	})
}

func (c *cluster) eventually(t *testing.T, what string, within time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tail := "(not started)"
			if c.gc != nil {
				tail = c.gc.Tail(20)
			}
			t.Fatalf("waiting for %s: %v\nend of the garbage collector's log:\n%s", what, err, tail)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// installWithKustomize installs the CRDs and the operator as the README's kustomize
// steps do, with the garbage collector running, and has the operator write policies.
func (c *cluster) installWithKustomize(t *testing.T) written {
	t.Helper()
	c.kubectl(t, "apply", "--server-side", "-f", crdsFile)
	c.waitCRDs(t)
	c.startGC(t)
	c.kubectl(t, "apply", "--server-side", "-f", distFile)
	return c.writePolicies(t)
}
