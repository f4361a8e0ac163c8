/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package install tests the ways the operator is installed: the Helm chart in
// charts/vendor-allowlist-operator (with its default values and every ci/ values file)
// and the kustomize install in config/ that `make build-installer` writes to
// dist/crds.yaml (config/crd: the CRDs and the namespace) and dist/install.yaml
// (config/default: the rest).
//
// The manifests are applied with `kubectl apply --dry-run=server` to a real
// kube-apiserver (envtest), the RBAC they grant is checked against the least-privilege
// list of the install issue, and the manager is run with nothing but that RBAC. The
// tenancy admission policy and the roles for users are applied for real, and checked
// by writing allowlists as an impersonated tenant (admission_test.go).
//
// helm, kustomize and kubectl are found through the HELM, KUSTOMIZE and KUBECTL
// environment variables, which `make test` sets (KUBECTL defaults to the kubectl in
// KUBEBUILDER_ASSETS). A missing binary fails the test: a suite that skips proves
// nothing.
package install

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// Paths, from the repository root.
var (
	repoRoot  = testenv.RepoRoot()
	chartDir  = filepath.Join(repoRoot, "charts", "vendor-allowlist-operator")
	distFile  = filepath.Join(repoRoot, "dist", "install.yaml")
	crdsFile  = filepath.Join(repoRoot, "dist", "crds.yaml")
	configDir = filepath.Join(repoRoot, "config")
)

// scratch holds helm's home directories and other files shared by the tests.
var scratch string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vao-install-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	scratch = dir
	code := m.Run()
	stopControlPlane()
	os.RemoveAll(dir)
	os.Exit(code)
}

// tool returns the path of a binary named by an environment variable, failing the test
// with what to do when it is not set or not there.
func tool(t testing.TB, env, hint string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" && env == "KUBECTL" && os.Getenv("KUBEBUILDER_ASSETS") != "" {
		p = filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
	}
	if p == "" {
		t.Fatalf("%s is not set: run `make test`, or export %s=%s", env, env, hint)
	}
	st, err := os.Stat(p)
	if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		t.Fatalf("%s=%s is not an executable file (%v): run `make test`, or export %s=%s", env, p, err, env, hint)
	}
	return p
}

func helmBin(t testing.TB) string {
	return tool(t, "HELM", "$(hack/tools.sh path helm)")
}

func kustomizeBin(t testing.TB) string {
	return tool(t, "KUSTOMIZE", "$(hack/tools.sh path kustomize)")
}

func kubectlBin(t testing.TB) string {
	return tool(t, "KUBECTL", "$(hack/envtest-binaries.sh)/kubectl")
}

// run runs a command and returns its standard output; on failure, the error carries
// standard error.
func run(name string, args ...string) ([]byte, error) {
	return runIn("", nil, name, args...)
}

func runIn(dir string, env []string, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.Bytes(), fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// helmEnv keeps helm from reading or writing the user's helm configuration.
func helmEnv() []string {
	return []string{
		"HELM_CACHE_HOME=" + filepath.Join(scratch, "helm", "cache"),
		"HELM_CONFIG_HOME=" + filepath.Join(scratch, "helm", "config"),
		"HELM_DATA_HOME=" + filepath.Join(scratch, "helm", "data"),
	}
}

func helm(t testing.TB, args ...string) ([]byte, error) {
	t.Helper()
	return runIn(repoRoot, helmEnv(), helmBin(t), args...)
}

// rendering is one way of installing the operator, rendered to manifests.
type rendering struct {
	name      string // e.g. "helm default values"
	namespace string // where its namespaced objects go
	manifest  []byte
	objects   []*unstructured.Unstructured
}

// ciValues lists the chart's ci/ values files.
func ciValues(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(chartDir, "ci", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no values files in %s/ci (err %v)", chartDir, err)
	}
	sort.Strings(files)
	return files
}

// helmTemplate renders the chart, CRDs included, as release "vao" in namespace.
func helmTemplate(t testing.TB, namespace string, valuesFiles ...string) rendering {
	t.Helper()
	args := []string{"template", "vao", chartDir, "--namespace", namespace, "--include-crds"}
	name := "helm default values"
	for _, f := range valuesFiles {
		args = append(args, "--values", f)
		name = "helm " + rel(f)
	}
	out, err := helm(t, args...)
	if err != nil {
		t.Fatalf("rendering the chart: %v", err)
	}
	return rendering{name: name, namespace: namespace, manifest: out, objects: parseManifest(t, out)}
}

// helmRenderings are the chart with its defaults and with each ci/ values file.
func helmRenderings(t testing.TB) []rendering {
	t.Helper()
	out := []rendering{helmTemplate(t, "vao-helm-default")}
	for _, f := range ciValues(t) {
		ns := "vao-helm-" + strings.TrimSuffix(strings.TrimSuffix(filepath.Base(f), ".yaml"), "-values")
		out = append(out, helmTemplate(t, ns, f))
	}
	return out
}

// distRendering is the whole kustomize install as `make build-installer` writes it:
// dist/crds.yaml, then dist/install.yaml.
func distRendering(t testing.TB) rendering {
	t.Helper()
	var manifest []byte
	for _, f := range []string{crdsFile, distFile} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("reading %s: %v: run `make build-installer` (make test does)", rel(f), err)
		}
		manifest = append(append(manifest, "---\n"...), data...)
	}
	return rendering{name: "dist/crds.yaml + dist/install.yaml", namespace: "vendor-allowlist-system", manifest: manifest, objects: parseManifest(t, manifest)}
}

// kustomizeBuild builds config/crd and config/default as they are now.
func kustomizeBuild(t testing.TB) rendering {
	t.Helper()
	var manifest []byte
	for _, dir := range []string{"crd", "default"} {
		out, err := run(kustomizeBin(t), "build", filepath.Join(configDir, dir))
		if err != nil {
			t.Fatalf("kustomize build config/%s: %v", dir, err)
		}
		manifest = append(append(manifest, "---\n"...), out...)
	}
	return rendering{name: "kustomize build config/crd, config/default", namespace: "vendor-allowlist-system", manifest: manifest, objects: parseManifest(t, manifest)}
}

// allRenderings are every install: the chart's and the kustomize one.
func allRenderings(t testing.TB) []rendering {
	return append(helmRenderings(t), distRendering(t))
}

func parseManifest(t testing.TB, data []byte) []*unstructured.Unstructured {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []*unstructured.Unstructured
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("parsing manifest: %v", err)
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			t.Fatalf("parsing manifest: %v\n%s", err, doc)
		}
		if s := strings.TrimSpace(string(js)); s == "null" || s == "{}" {
			continue // an empty document, or one of comments only
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(js); err != nil {
			t.Fatalf("parsing manifest: %v\n%s", err, doc)
		}
		objs = append(objs, u)
	}
}

func parseFile(t testing.TB, path string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseManifest(t, data)
}

func (r rendering) ofKind(kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range r.objects {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// deployment returns the rendering's only Deployment.
func (r rendering) deployment(t testing.TB) *appsv1.Deployment {
	t.Helper()
	objs := r.ofKind("Deployment")
	if len(objs) != 1 {
		t.Fatalf("%s: %d Deployments, want 1", r.name, len(objs))
	}
	var d appsv1.Deployment
	convert(t, objs[0], &d)
	return &d
}

func (r rendering) clusterRoles(t testing.TB) []rbacv1.ClusterRole {
	t.Helper()
	var out []rbacv1.ClusterRole
	for _, o := range r.ofKind("ClusterRole") {
		var cr rbacv1.ClusterRole
		convert(t, o, &cr)
		out = append(out, cr)
	}
	return out
}

func (r rendering) roles(t testing.TB) []rbacv1.Role {
	t.Helper()
	var out []rbacv1.Role
	for _, o := range r.ofKind("Role") {
		var role rbacv1.Role
		convert(t, o, &role)
		out = append(out, role)
	}
	return out
}

func convert(t testing.TB, u *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, into, true); err != nil {
		t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
	}
}

func rel(path string) string {
	if r, err := filepath.Rel(repoRoot, path); err == nil {
		return r
	}
	return path
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The control plane is started once, by the first test that needs it, and stopped by
// TestMain.
var (
	cpOnce       sync.Once
	cpEnv        *testenv.Env
	cpKubeconfig string
	cpErr        error
)

// controlPlane returns a running kube-apiserver with the operator's CRDs and Prometheus
// Operator's ServiceMonitor and PrometheusRule CRDs, and an admin kubeconfig file for it.
func controlPlane(t testing.TB) (*testenv.Env, string) {
	t.Helper()
	cpOnce.Do(func() {
		start := time.Now()
		env, err := testenv.Start()
		if err != nil {
			cpErr = err
			return
		}
		cpEnv = env
		if _, err := envtest.InstallCRDs(env.Config, envtest.CRDInstallOptions{
			Paths: []string{
				filepath.Join(repoRoot, "test", "install", "testdata", "monitoring.coreos.com_servicemonitors.yaml"),
				filepath.Join(repoRoot, "test", "install", "testdata", "monitoring.coreos.com_prometheusrules.yaml"),
			},
			ErrorIfPathMissing: true,
		}); err != nil {
			cpErr = fmt.Errorf("installing the ServiceMonitor and PrometheusRule CRDs: %w", err)
			return
		}
		user, err := env.AddUser(envtest.User{Name: "install-test-admin", Groups: []string{"system:masters"}}, nil)
		if err != nil {
			cpErr = fmt.Errorf("adding an admin user: %w", err)
			return
		}
		kc, err := user.KubeConfig()
		if err != nil {
			cpErr = fmt.Errorf("admin kubeconfig: %w", err)
			return
		}
		cpKubeconfig = filepath.Join(scratch, "admin.kubeconfig")
		cpErr = os.WriteFile(cpKubeconfig, kc, 0o600)
		fmt.Fprintf(os.Stderr, "install tests: control plane up in %v\n", time.Since(start).Round(time.Millisecond))
	})
	if cpErr != nil {
		t.Fatalf("control plane: %v", cpErr)
	}
	return cpEnv, cpKubeconfig
}

func stopControlPlane() {
	if cpEnv != nil {
		if err := cpEnv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the control plane:", err)
		}
	}
}

// kubectl runs kubectl as the control plane's admin.
func kubectl(t testing.TB, args ...string) ([]byte, error) {
	t.Helper()
	_, kc := controlPlane(t)
	return run(kubectlBin(t), append([]string{"--kubeconfig", kc}, args...)...)
}

// ensureNamespace creates namespace ns unless it exists.
func ensureNamespace(t testing.TB, ns string) {
	t.Helper()
	if _, err := kubectl(t, "get", "namespace", ns); err == nil {
		return
	}
	if _, err := kubectl(t, "create", "namespace", ns); err != nil {
		t.Fatal(err)
	}
}

// Building the manager once for every test that runs it.
var (
	managerOnce sync.Once
	managerPath string
	managerErr  error
)

func managerBinary(t testing.TB) string {
	t.Helper()
	managerOnce.Do(func() {
		managerPath = filepath.Join(scratch, "manager")
		_, managerErr = runIn(repoRoot, nil, "go", "build", "-o", managerPath, "./cmd")
	})
	if managerErr != nil {
		t.Fatalf("building the manager: %v", managerErr)
	}
	return managerPath
}
