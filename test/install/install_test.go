/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package install

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// TestHelmLint: `helm lint --strict` passes with the default values and with every
// ci/ values file.
func TestHelmLint(t *testing.T) {
	cases := append([]string{""}, ciValues(t)...)
	for _, f := range cases {
		name := "default values"
		args := []string{"lint", "--strict", chartDir}
		if f != "" {
			name = rel(f)
			args = append(args, "--values", f)
		}
		t.Run(name, func(t *testing.T) {
			out, err := helm(t, args...)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if !bytes.Contains(out, []byte("0 chart(s) failed")) {
				t.Fatalf("helm lint did not pass:\n%s", out)
			}
		})
	}
}

// TestInstallAcceptedByAPIServer applies every install, as rendered, to a real
// kube-apiserver with `kubectl apply --dry-run=server`: the chart with its default
// values and with each ci/ values file, and dist/install.yaml. The API server checks
// every object against its schema (CRDs included, and the ServiceMonitor and the
// PrometheusRule against Prometheus Operator's CRDs) with strict field validation, so an
// unknown or misplaced field fails.
func TestInstallAcceptedByAPIServer(t *testing.T) {
	controlPlane(t)
	for _, r := range allRenderings(t) {
		t.Run(r.name, func(t *testing.T) {
			// Dry-run objects do not exist afterwards, so the namespaces they go in must:
			// the release's, and with watchNamespaces those (the chart binds the
			// manager's role in each; they exist before an install, as here).
			namespaces := map[string]bool{r.namespace: true}
			for _, o := range r.objects {
				if ns := o.GetNamespace(); ns != "" && !namespaces[ns] {
					namespaces[ns] = true
					ensureNamespace(t, ns)
				}
			}
			ensureNamespace(t, r.namespace)
			file := writeFile(t, t.TempDir(), "manifest.yaml", r.manifest)
			out, err := kubectl(t, "apply", "--dry-run=server", "--validate=strict", "-f", file)
			if err != nil {
				t.Fatalf("the API server rejected %s:\n%v\n%s", r.name, err, out)
			}
			// Every object was sent, and none was skipped.
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != len(r.objects) {
				t.Errorf("kubectl reported %d objects, the manifest has %d:\n%s", len(lines), len(r.objects), out)
			}
			for _, l := range lines {
				if !strings.HasSuffix(l, "(server dry run)") {
					t.Errorf("unexpected kubectl output line %q", l)
				}
			}
			t.Logf("accepted: %d objects", len(lines))
		})
	}
}

// TestDistInstallIsCurrent: dist/install.yaml is what config/ builds now (apart from
// the image, which `make build-installer` sets from IMG), so the file the tests check
// is the one users would get.
func TestDistInstallIsCurrent(t *testing.T) {
	dist := distRendering(t)
	fresh := kustomizeBuild(t)
	want := dist.deployment(t).Spec.Template.Spec.Containers[0].Image
	for _, o := range fresh.ofKind("Deployment") {
		path := []string{"spec", "template", "spec", "containers"}
		containers, _, err := unstructured.NestedSlice(o.Object, path...)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range containers {
			c.(map[string]any)["image"] = want
		}
		if err := unstructured.SetNestedSlice(o.Object, containers, path...); err != nil {
			t.Fatal(err)
		}
	}
	if len(dist.objects) != len(fresh.objects) {
		t.Fatalf("dist/ has %d objects, config/crd and config/default build %d: run `make build-installer`", len(dist.objects), len(fresh.objects))
	}
	for i := range dist.objects {
		if diff := cmp.Diff(fresh.objects[i].Object, dist.objects[i].Object); diff != "" {
			t.Fatalf("dist/ is stale (%s %s differs; run `make build-installer`):\n%s",
				dist.objects[i].GetKind(), dist.objects[i].GetName(), diff)
		}
	}
}

// TestImageFlowsFromMakefile: the Makefile's default IMG is the chart's default image
// (values.yaml image.repository and image.tag, and Chart.yaml appVersion) and
// config/manager's, and dist/install.yaml runs the IMG it was built with.
func TestImageFlowsFromMakefile(t *testing.T) {
	makefile, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^IMG \?= (\S+)$`).FindSubmatch(makefile)
	if m == nil {
		t.Fatal("no `IMG ?= ...` line in the Makefile")
	}
	img := string(m[1])
	repo, tag := img[:strings.LastIndex(img, ":")], img[strings.LastIndex(img, ":")+1:]
	fix := "run `make set-image IMG=" + img + "`"

	var values struct {
		Image struct{ Repository, Tag, Digest string }
	}
	readYAML(t, filepath.Join(chartDir, "values.yaml"), &values)
	if values.Image.Repository != repo || values.Image.Tag != tag || values.Image.Digest != "" {
		t.Errorf("chart values image = %s:%s (digest %q), Makefile IMG = %s: %s",
			values.Image.Repository, values.Image.Tag, values.Image.Digest, img, fix)
	}
	var chart struct{ AppVersion string }
	readYAML(t, filepath.Join(chartDir, "Chart.yaml"), &chart)
	if chart.AppVersion != tag {
		t.Errorf("Chart.yaml appVersion = %q, Makefile IMG tag = %q: %s", chart.AppVersion, tag, fix)
	}
	var kust struct {
		Images []struct{ Name, NewName, NewTag string }
	}
	readYAML(t, filepath.Join(configDir, "manager", "kustomization.yaml"), &kust)
	if len(kust.Images) != 1 || kust.Images[0].NewName+":"+kust.Images[0].NewTag != img {
		t.Errorf("config/manager/kustomization.yaml images = %+v, Makefile IMG = %s: %s", kust.Images, img, fix)
	}
	if got := helmTemplate(t, "vao-image").deployment(t).Spec.Template.Spec.Containers[0].Image; got != img {
		t.Errorf("the chart renders image %s, want %s", got, img)
	}

	// dist/install.yaml is built with IMG, which `make test` passes on (it may be
	// overridden on make's command line).
	want := img
	if env := os.Getenv("IMG"); env != "" {
		want = env
	}
	if got := distRendering(t).deployment(t).Spec.Template.Spec.Containers[0].Image; got != want {
		t.Errorf("dist/install.yaml runs image %s, want %s: run `make build-installer`", got, want)
	}
}

// TestChartCRDsMatchGenerated: the chart's crds/ are the CRDs controller-gen generates
// into config/crd/bases, byte for byte (`make chart-crds` copies them).
func TestChartCRDsMatchGenerated(t *testing.T) {
	generated, _ := filepath.Glob(filepath.Join(configDir, "crd", "bases", "*.yaml"))
	inChart, _ := filepath.Glob(filepath.Join(chartDir, "crds", "*.yaml"))
	base := func(files []string) []string {
		var out []string
		for _, f := range files {
			out = append(out, filepath.Base(f))
		}
		return out
	}
	if diff := cmp.Diff(base(generated), base(inChart)); diff != "" || len(generated) == 0 {
		t.Fatalf("chart crds/ and config/crd/bases hold different files (-generated +chart): run `make chart-crds`\n%s", diff)
	}
	for _, g := range generated {
		a, _ := os.ReadFile(g)
		b, _ := os.ReadFile(filepath.Join(chartDir, "crds", filepath.Base(g)))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from %s: run `make chart-crds`", rel(filepath.Join(chartDir, "crds", filepath.Base(g))), rel(g))
		}
	}
}

// TestChartNotes: `helm install --dry-run=server` against the control plane passes,
// and the notes it prints tell the next step: wait for the rollout, create the
// namespace and apply a first allowlist, check its status, remove it; and the caveats,
// as docs/caveats.md tells them.
func TestChartNotes(t *testing.T) {
	_, kc := controlPlane(t)
	ensureNamespace(t, "vao-notes")
	out, err := helm(t, "install", "vao", chartDir, "--namespace", "vao-notes", "--dry-run=server", "--kubeconfig", kc)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	notes := string(out[bytes.Index(out, []byte("NOTES:")):])
	for _, want := range []string{
		"kubectl -n vao-notes rollout status deployment/vao-vendor-allowlist-operator",
		"kubectl create namespace integrations", // the namespace it applies into
		"kind: VendorAllowlist",
		"kubectl get vendorallowlists -n integrations",
		"kubectl describe vendorallowlist workato-opa -n integrations",
		"kubectl delete vendorallowlist workato-opa -n integrations",
		"CNI",
		"externalTrafficPolicy: Local",
		// Behind a proxy, as docs/caveats.md says: the proxy enforces, not the pods.
		"name the proxy in spec.ingressTargets",
		"ingressNetworkPolicy: Disabled",
		"allowDNS",
		"lag of up to one refresh",
		"WARNING: cluster.podCIDRs and cluster.serviceCIDRs are empty",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("NOTES lack %q:\n%s", want, notes)
		}
	}
	// The allowlist in the notes is valid: the API server takes it.
	yamlStart := strings.Index(notes, "apiVersion: networking.vendorallowlist.io/v1alpha1")
	yamlEnd := strings.Index(notes, "     YAML")
	if yamlStart < 0 || yamlEnd < yamlStart {
		t.Fatalf("no allowlist in the NOTES:\n%s", notes)
	}
	var lines []string
	for _, l := range strings.Split(notes[yamlStart:yamlEnd], "\n") {
		lines = append(lines, strings.TrimPrefix(l, "     "))
	}
	ensureNamespace(t, "integrations")
	file := writeFile(t, t.TempDir(), "allowlist.yaml", []byte(strings.Join(lines, "\n")))
	if out, err := kubectl(t, "apply", "--dry-run=server", "--validate=strict", "-f", file); err != nil {
		t.Fatalf("the NOTES' allowlist is rejected: %v\n%s\n%s", err, out, strings.Join(lines, "\n"))
	}
}

func readYAML(t testing.TB, path string, into any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, into); err != nil {
		t.Fatalf("%s: %v", rel(path), err)
	}
}

// TestKustomizeBuildIsDeterministic: `kustomize build config/default` prints the same
// bytes every time, so a committed or published install.yaml changes only when
// config/ does. kustomize prints maps in go-yaml v2's key order, from Go maps in random
// order; keys that order has no single order for (the guard ConfigMap's guard.ipv6.6xxx,
// 7xxx and 64 were) came out differently from run to run. Five builds, because two
// could agree by chance.
func TestKustomizeBuildIsDeterministic(t *testing.T) {
	for _, dir := range []string{"default", "crd"} {
		var first []byte
		for i := range 5 {
			out, err := run(kustomizeBin(t), "build", filepath.Join(configDir, dir))
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = out
				continue
			}
			if !bytes.Equal(first, out) {
				t.Fatalf("kustomize build config/%s printed different bytes on build %d:\n%s", dir, i+1, firstDiff(first, out))
			}
		}
	}
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n- %.200s\n+ %.200s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("one has %d lines, the other %d", len(al), len(bl))
}

// TestUninstallLeavesCRDs: what each documented uninstall deletes holds no CRD and no
// namespace, so it deletes no VendorAllowlist and, through the garbage collector, no
// NetworkPolicy (test/uninstall proves it on a cluster). dist/install.yaml (`kubectl
// delete -f dist/install.yaml`) has neither; they are in dist/crds.yaml, which holds
// nothing else. The chart keeps its CRDs in crds/, which helm uninstall never deletes,
// and marks its Vendor objects resource-policy keep.
func TestUninstallLeavesCRDs(t *testing.T) {
	kinds := func(file string) map[string]int {
		out := map[string]int{}
		for _, o := range parseFile(t, file) {
			out[o.GetKind()]++
		}
		return out
	}
	install, crds := kinds(distFile), kinds(crdsFile)
	for _, k := range []string{"CustomResourceDefinition", "Namespace"} {
		if install[k] != 0 {
			t.Errorf("dist/install.yaml holds %d %s: `kubectl delete -f dist/install.yaml` would delete it, and every allowlist with it", install[k], k)
		}
	}
	if diff := cmp.Diff(map[string]int{"CustomResourceDefinition": 2, "Namespace": 1}, crds); diff != "" {
		t.Errorf("dist/crds.yaml holds (-want +got):\n%s", diff)
	}
	full := helmTemplate(t, "vao-uninstall", filepath.Join(chartDir, "ci", "full-values.yaml"))
	args := []string{"template", "vao", chartDir, "--namespace", "vao-uninstall", "--values", filepath.Join(chartDir, "ci", "full-values.yaml")}
	out, err := helm(t, args...) // without --include-crds: what helm uninstall deletes
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range parseManifest(t, out) {
		if k := o.GetKind(); k == "CustomResourceDefinition" || k == "Namespace" {
			t.Errorf("the chart's templates render %s %s: helm uninstall would delete it", k, o.GetName())
		}
	}
	vendors := full.ofKind("Vendor")
	if len(vendors) == 0 {
		t.Fatal("ci/full-values.yaml renders no Vendor")
	}
	for _, v := range vendors {
		if got := v.GetAnnotations()["helm.sh/resource-policy"]; got != "keep" {
			t.Errorf("Vendor %s: helm.sh/resource-policy %q, want keep: helm uninstall would delete it while a manager may still render the allowlists that name it", v.GetName(), got)
		}
	}
}

// TestKustomizeNamesMatchChart: the kustomize install names every object as the chart
// does when released as vendor-allowlist-operator in vendor-allowlist-system, so the
// names the docs and the admission policy's messages give are true for both.
func TestKustomizeNamesMatchChart(t *testing.T) {
	out, err := helm(t, "template", "vendor-allowlist-operator", chartDir, "--namespace", "vendor-allowlist-system")
	if err != nil {
		t.Fatal(err)
	}
	ids := func(objs []*unstructured.Unstructured) []string {
		var out []string
		for _, o := range objs {
			if k := o.GetKind(); k != "CustomResourceDefinition" && k != "Namespace" {
				out = append(out, k+" "+o.GetNamespace()+"/"+o.GetName())
			}
		}
		slices.Sort(out)
		return out
	}
	if diff := cmp.Diff(ids(parseManifest(t, out)), ids(parseFile(t, distFile))); diff != "" {
		t.Errorf("object names (-helm release vendor-allowlist-operator +dist/install.yaml):\n%s", diff)
	}
}

// TestExampleOverlaySetsClusterCIDRs: config/example-overlay, the documented way to
// give a kustomize install the cluster's ranges, sets them in both places that need
// them, the manager's --cluster-cidr and the admission ConfigMap's cluster-cidr, the
// same ranges, and changes nothing else of config/default.
func TestExampleOverlaySetsClusterCIDRs(t *testing.T) {
	out, err := run(kustomizeBin(t), "build", filepath.Join(configDir, "example-overlay"))
	if err != nil {
		t.Fatal(err)
	}
	overlay := rendering{name: "config/example-overlay", objects: parseManifest(t, out)}
	base, err := run(kustomizeBin(t), "build", filepath.Join(configDir, "default"))
	if err != nil {
		t.Fatal(err)
	}
	def := rendering{name: "config/default", objects: parseManifest(t, base)}

	var flags []string
	for _, a := range overlay.deployment(t).Spec.Template.Spec.Containers[0].Args {
		if v, ok := strings.CutPrefix(a, "--cluster-cidr="); ok {
			flags = append(flags, v)
		}
	}
	var data string
	for _, cm := range overlay.ofKind("ConfigMap") {
		if cm.GetName() == "vendor-allowlist-operator-tenancy" {
			data, _, _ = unstructured.NestedString(cm.Object, "data", "cluster-cidr")
		}
	}
	if len(flags) != 2 || data != strings.Join(flags, ",") {
		t.Errorf("the overlay sets --cluster-cidr %v and the ConfigMap's cluster-cidr %q: want two ranges, the same in both", flags, data)
	}

	// Everything else is config/default's.
	if len(overlay.objects) != len(def.objects) {
		t.Fatalf("the overlay builds %d objects, config/default %d", len(overlay.objects), len(def.objects))
	}
	for i, o := range overlay.objects {
		d := def.objects[i]
		switch o.GetKind() {
		case "ConfigMap":
			unstructured.RemoveNestedField(o.Object, "data", "cluster-cidr")
			unstructured.RemoveNestedField(d.Object, "data", "cluster-cidr")
		case "Deployment":
			path := []string{"spec", "template", "spec", "containers"}
			for _, obj := range []*unstructured.Unstructured{o, d} {
				cs, _, _ := unstructured.NestedSlice(obj.Object, path...)
				c := cs[0].(map[string]any)
				var args []any
				for _, a := range c["args"].([]any) {
					if !strings.HasPrefix(a.(string), "--cluster-cidr=") {
						args = append(args, a)
					}
				}
				c["args"] = args
				_ = unstructured.SetNestedSlice(obj.Object, cs, path...)
			}
		}
		if diff := cmp.Diff(d.Object, o.Object); diff != "" {
			t.Errorf("the overlay changes %s %s beyond the cluster's ranges (-default +overlay):\n%s", o.GetKind(), o.GetName(), diff)
		}
	}
}
