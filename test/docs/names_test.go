/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package docs

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// oldNamesReason starts the skip reason of a block that names the objects of an
// earlier build on purpose, to delete them.
const oldNamesReason = "names the objects of earlier builds"

// install is what one install path creates, read from its rendered manifests.
type install struct {
	name        string
	deployments map[string]bool
	leases      map[string]bool // from --leader-election-id
	namespaces  map[string]bool
	roles       map[string]bool // ClusterRoles
}

func newInstall(t *testing.T, name string, manifest []byte, namespace string) install {
	t.Helper()
	in := install{name: name, deployments: map[string]bool{}, leases: map[string]bool{}, namespaces: map[string]bool{namespace: true}, roles: map[string]bool{}}
	for _, r := range builtinClusterRoles {
		in.roles[r] = true
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(manifest)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var obj struct {
			Kind     string
			Metadata struct{ Name, Namespace string }
			Spec     struct {
				Template struct {
					Spec struct {
						Containers []struct{ Args []string }
					}
				}
			}
		}
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		switch obj.Kind {
		case "Namespace":
			in.namespaces[obj.Metadata.Name] = true
		case "ClusterRole":
			in.roles[obj.Metadata.Name] = true
		case "Deployment":
			in.deployments[obj.Metadata.Name] = true
			if obj.Metadata.Namespace != "" {
				in.namespaces[obj.Metadata.Namespace] = true
			}
			for _, c := range obj.Spec.Template.Spec.Containers {
				for _, a := range c.Args {
					if id, ok := strings.CutPrefix(a, "--leader-election-id="); ok {
						in.leases[id] = true
					}
				}
			}
		}
	}
	if len(in.deployments) == 0 || len(in.leases) == 0 {
		t.Fatalf("%s renders no Deployment with --leader-election-id", name)
	}
	return in
}

// installs renders the Helm chart as the docs install it (release
// vendor-allowlist-operator in vendor-allowlist-system) and reads dist/install.yaml.
func installs(t *testing.T) (helm, kustomize install) {
	t.Helper()
	bin := os.Getenv("HELM")
	if bin == "" {
		t.Fatal("HELM is not set: run `make test`, or export HELM=$(hack/tools.sh path helm)")
	}
	cmd := exec.Command(bin, "template", "vendor-allowlist-operator", "charts/vendor-allowlist-operator", "--namespace", "vendor-allowlist-system")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, stderr.String())
	}
	dist, err := os.ReadFile(filepath.Join(repoRoot, "dist", "install.yaml"))
	if err != nil {
		t.Fatalf("%v: run `make build-installer` (make test does)", err)
	}
	return newInstall(t, "the Helm chart", out, "vendor-allowlist-system"), newInstall(t, "dist/install.yaml", dist, "")
}

// builtinClusterRoles are Kubernetes' own user-facing roles, which the docs bind too.
var builtinClusterRoles = []string{"admin", "edit", "view", "cluster-admin"}

var (
	clusterRoleRef = regexp.MustCompile(`(?:--clusterrole=|\bclusterroles?/)([a-z0-9][a-z0-9.:-]*)`)
	deploymentRef  = regexp.MustCompile(`\bdeploy(?:ment)?/([a-z0-9][a-z0-9.-]*)`)
	leaseRef       = regexp.MustCompile(`\bget lease ([a-z0-9][a-z0-9.-]*)`)
	namespaceRef   = regexp.MustCompile(`(?:^|\s)(?:-n|--namespace)[ =](vendor-allowlist-[a-z0-9-]+)`)
)

// TestObjectNames: a Deployment, the leader election Lease, a ClusterRole or the
// operator's namespace that a command of the docs names exists in the install the
// command is written for: a line or block about dist/install.yaml or kustomize names
// what dist/install.yaml creates, one about helm what the chart renders, and any other
// one what either does.
// Names are read from the rendered manifests, so a rename in the chart or in config/
// fails here until the docs follow.
func TestObjectNames(t *testing.T) {
	helm, kustomize := installs(t)
	pathOf := func(text string) []install {
		l := strings.ToLower(text)
		var out []install
		if strings.Contains(l, "helm") {
			out = append(out, helm)
		}
		if strings.Contains(l, "dist/install.yaml") || strings.Contains(l, "kustomize") || strings.Contains(l, "apply -k") || strings.Contains(l, "build-installer") {
			out = append(out, kustomize)
		}
		return out
	}
	var n int
	check := func(where, text string, paths []install) {
		if p := pathOf(text); p != nil {
			paths = p // a line that says which install it is about
		}
		for _, ref := range []struct {
			re   *regexp.Regexp
			what string
			in   func(install) map[string]bool
		}{
			{deploymentRef, "Deployment", func(i install) map[string]bool { return i.deployments }},
			{leaseRef, "leader election Lease", func(i install) map[string]bool { return i.leases }},
			{namespaceRef, "namespace", func(i install) map[string]bool { return i.namespaces }},
			{clusterRoleRef, "ClusterRole", func(i install) map[string]bool { return i.roles }},
		} {
			for _, m := range ref.re.FindAllStringSubmatch(text, -1) {
				n++
				var names []string
				found := false
				for _, p := range paths {
					found = found || ref.in(p)[m[1]]
					names = append(names, p.name)
				}
				if !found {
					t.Errorf("%s: %s %s is not in %s: %s", where, ref.what, m[1], strings.Join(names, " or "), strings.TrimSpace(text))
				}
			}
		}
	}
	both := []install{helm, kustomize}
	for _, p := range pages(t) {
		for _, b := range p.blocks {
			if strings.HasPrefix(b.skip, oldNamesReason) {
				continue // a migration step that deletes what earlier builds named
			}
			paths := both
			if pp := pathOf(strings.Join(b.body, "\n")); pp != nil {
				paths = pp
			}
			for _, l := range joinContinuations(b.body) {
				check(b.where(), l, paths)
			}
		}
		for _, s := range p.codeSpans() {
			check(p.path+":"+strconv.Itoa(s.n), s.text, both)
		}
	}
	if n < 5 {
		t.Errorf("only %d object names found in the docs: are the patterns still right?", n)
	}
}
