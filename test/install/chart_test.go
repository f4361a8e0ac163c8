/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package install

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/admission"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
)

// managerFlag is a flag of the manager as `manager -h` prints it.
type managerFlag struct {
	name, typ, def string // def is "" when the help shows no default
}

// managerFlags runs the manager's -h and parses its flags.
func managerFlags(t testing.TB) map[string]managerFlag {
	t.Helper()
	out, _ := exec.Command(managerBinary(t), "-h").CombinedOutput() // -h exits 0 or 2
	head := regexp.MustCompile(`^  -(\S+)(?: (\S+))?$`)
	def := regexp.MustCompile(`\(default "?(.*?)"?\)$`)
	flags := map[string]managerFlag{}
	var cur *managerFlag
	for _, l := range strings.Split(string(out), "\n") {
		if m := head.FindStringSubmatch(l); m != nil {
			flags[m[1]] = managerFlag{name: m[1], typ: m[2]}
			f := flags[m[1]]
			cur = &f
			continue
		}
		if cur != nil {
			if m := def.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
				cur.def = m[1]
				flags[cur.name] = *cur
			}
		}
	}
	if len(flags) < 10 {
		t.Fatalf("parsed only %d flags from `manager -h`:\n%s", len(flags), out)
	}
	return flags
}

// notInChart are the manager's flags the chart deliberately leaves out.
var notInChart = map[string]string{
	"kubeconfig": "in a pod the manager uses its ServiceAccount, never a kubeconfig",
	"leader-election-namespace": "the lease lives in the release namespace, where the chart's Role allows it, " +
		"and the manager's default (the pod's own namespace) is that",
	"version": "it prints the build's version and exits; the manager logs the same at start",
}

// argsOf returns the manager container's args as flag name -> values, in order.
func argsOf(t testing.TB, d *appsv1.Deployment) (map[string][]string, []string) {
	t.Helper()
	byName := map[string][]string{}
	var order []string
	for _, a := range d.Spec.Template.Spec.Containers[0].Args {
		if !strings.HasPrefix(a, "--") {
			t.Fatalf("arg %q is not a --flag=value", a)
		}
		name, value, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		byName[name] = append(byName[name], value)
		order = append(order, name)
	}
	return byName, order
}

// TestEveryManagerFlagIsAValue: every flag of cmd/main.go (as `manager -h` lists them)
// can be set from the chart's values: rendering with ci/full-values.yaml, which sets
// every value, passes every flag. Every flag the chart passes exists, and the manager
// parses the args of every install without error.
func TestEveryManagerFlagIsAValue(t *testing.T) {
	flags := managerFlags(t)
	full := helmTemplate(t, "vao-flags", filepath.Join(chartDir, "ci", "full-values.yaml"))
	args, _ := argsOf(t, full.deployment(t))
	for name := range flags {
		if why, ok := notInChart[name]; ok {
			if _, passed := args[name]; passed {
				t.Errorf("the chart passes --%s, which it should not: %s", name, why)
			}
			continue
		}
		if _, ok := args[name]; !ok {
			t.Errorf("the manager's flag --%s is not set by the chart (ci/full-values.yaml): add it to values.yaml, "+
				"values.schema.json, the vao.args template, ci/full-values.yaml, config/manager/manager.yaml and the docs", name)
		}
	}
	for _, r := range allRenderings(t) {
		args, _ := argsOf(t, r.deployment(t))
		for name := range args {
			if _, ok := flags[name]; !ok {
				t.Errorf("%s passes --%s, which the manager does not have", r.name, name)
			}
		}
		// The manager parses flags before it does anything else; -h after them stops it
		// there, with status 0 only if every flag and value parsed.
		cmdArgs := append(slices.Clone(r.deployment(t).Spec.Template.Spec.Containers[0].Args), "-h")
		if out, err := exec.Command(managerBinary(t), cmdArgs...).CombinedOutput(); err != nil {
			t.Errorf("%s: the manager rejects its args %v: %v\n%s", r.name, cmdArgs, err, firstLines(string(out), 3))
		}
	}
}

// chartDefaultsThatDiffer are the values whose chart default is not the manager's
// default, on purpose.
var chartDefaultsThatDiffer = map[string]string{
	"leader-elect":         "true: the chart runs two replicas",
	"zap-time-encoding":    "rfc3339: readable times in the logs (the manager's default is epoch)",
	"zap-log-level":        "no default in -h; info is zap's production default",
	"zap-encoder":          "no default in -h; json is zap's production default",
	"zap-stacktrace-level": "no default in -h; error is zap's production default",
}

// TestChartDefaultsAreManagerDefaults: with default values the chart passes every flag
// that has a default at the manager's default, except those listed (with the reason) in
// chartDefaultsThatDiffer; and config/manager passes the same args in the same order.
func TestChartDefaultsAreManagerDefaults(t *testing.T) {
	flags := managerFlags(t)
	args, _ := argsOf(t, helmTemplate(t, "vao-defaults").deployment(t))
	for name, values := range args {
		f := flags[name]
		if _, ok := chartDefaultsThatDiffer[name]; ok || len(values) != 1 {
			continue
		}
		want := f.def
		if want == "" && f.typ == "" {
			want = "false" // a bool flag without a shown default
		}
		if !sameValue(f.typ, values[0], want) {
			t.Errorf("the chart's default for --%s is %q, the manager's is %q: make them equal, or list the flag in chartDefaultsThatDiffer with the reason", name, values[0], want)
		}
	}
	kustArgs := distRendering(t).deployment(t).Spec.Template.Spec.Containers[0].Args
	chartArgs := helmTemplate(t, "vao-defaults").deployment(t).Spec.Template.Spec.Containers[0].Args
	if diff := cmp.Diff(chartArgs, kustArgs); diff != "" {
		t.Errorf("config/manager/manager.yaml passes other args than the chart's defaults (-chart +kustomize):\n%s", diff)
	}
}

func sameValue(typ, a, b string) bool {
	switch typ {
	case "duration":
		da, errA := time.ParseDuration(a)
		db, errB := time.ParseDuration(b)
		return errA == nil && errB == nil && da == db
	case "int", "float":
		fa, errA := strconv.ParseFloat(a, 64)
		fb, errB := strconv.ParseFloat(b, 64)
		return errA == nil && errB == nil && fa == fb
	}
	return a == b
}

// TestChartSchemaRejectsBadValues: values.schema.json rejects unknown keys and wrong
// types, at the top and nested, and the templates refuse unsafe combinations.
func TestChartSchemaRejectsBadValues(t *testing.T) {
	cases := []struct {
		name, values, want string
	}{
		{"unknown top-level key", "replicas: 2\n", "additional properties 'replicas' not allowed"},
		{"unknown nested key", "dns:\n  server: [10.0.0.10:53]\n", "additional properties 'server' not allowed"},
		{"misspelt nested key", "metrics:\n  serviceMonitor:\n    enable: true\n", "additional properties 'enable' not allowed"},
		{"string for integer", "replicaCount: \"2\"\n", "want integer"},
		{"string for boolean", "leaderElection:\n  enabled: \"yes\"\n", "want boolean"},
		{"number for duration", "dns:\n  minRefresh: 30\n", "want string"},
		{"not a duration", "dns:\n  minRefresh: 30 seconds\n", "does not match pattern"},
		{"string for list", "dns:\n  servers: 10.0.0.10:53\n", "want array"},
		{"DNS server by name", "dns:\n  servers: [kube-dns.kube-system:53]\n", "does not match pattern"},
		{"not a CIDR", "cluster:\n  podCIDRs: [10.244.0.0]\n", "does not match pattern"},
		{"unknown log format", "logging:\n  format: xml\n", "value must be one of"},
		{"unknown log level", "logging:\n  level: verbose\n", "does not match pattern"},
		{"port out of range", "health:\n  port: 70000\n", "maximum"},
		{"resources without limits", "resources:\n  requests: {cpu: 10m, memory: 10Mi}\n  limits: null\n", "limits"},
		{"unknown resource", "resources:\n  requests: {gpu: 1}\n  limits: {cpu: 1}\n", "additional properties 'gpu' not allowed"},
		{"vendor without spec", "vendors:\n  - name: acme\n", "missing property 'spec'"},
		{"vendor with a bad name", "vendors:\n  - name: Acme\n    spec: {endpoints: []}\n", "does not match pattern"},
		{"security context key that is not offered", "securityContext:\n  privileged: true\n", "additional properties 'privileged' not allowed"},
		{"replicas without leader election", "replicaCount: 2\nleaderElection:\n  enabled: false\n", "replicaCount > 1 needs leaderElection.enabled"},
		{"ServiceMonitor without metrics", "metrics:\n  enabled: false\n  serviceMonitor:\n    enabled: true\n", "metrics.serviceMonitor.enabled needs metrics.enabled"},
		{"no ServiceAccount", "serviceAccount:\n  create: false\n", "serviceAccount.name is required"},
		{"unknown tenant range category", "tenancy:\n  allowRanges: [public]\n", "value must be one of"},
		{"prefix length beyond IPv4", "tenancy:\n  minPrefixLength: {ipv4: 33}\n", "maximum"},
		{"guard exception not a CIDR", "guard:\n  allowCIDRs: [10.20.0.0]\n", "does not match pattern"},
		{"unknown customer range category", "tenancy:\n  customerCIDRs:\n    allowRanges: [public]\n", "value must be one of"},
		{"customer prefix length beyond IPv6", "tenancy:\n  customerCIDRs:\n    minPrefixLength: {ipv6: 129}\n", "maximum"},
		{"misspelt customerCIDRs key", "tenancy:\n  customerCIDRs:\n    minPrefixLengths: {ipv4: 8}\n", "additional properties 'minPrefixLengths' not allowed"},
		{"misspelt admission key", "admission:\n  enable: false\n", "additional properties 'enable' not allowed"},
		{"misspelt user roles key", "rbac:\n  userRoles: {create: true}\n", "additional properties 'create' not allowed"},
		{"percent over 100", "vendorChanges:\n  maxRemovedPercent: 101\n", "maximum"},
		{"GOGC that would collect all the time", "goGCPercent: 1\n", "minimum"},
	}
	dir := t.TempDir()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := writeFile(t, dir, fmt.Sprintf("bad-%d.yaml", i), []byte(c.values))
			out, err := helm(t, "template", "vao", chartDir, "--values", f)
			if err == nil {
				t.Fatalf("the chart accepted\n%s\nand rendered %d bytes", c.values, len(out))
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("rejected, but not saying %q:\n%v", c.want, err)
			}
		})
	}
}

// TestDeploymentIsHardened: in every install, the manager runs as non-root with a
// read-only root filesystem, no privilege escalation, every capability dropped, the
// RuntimeDefault seccomp profile, CPU and memory requests and limits, and liveness and
// readiness probes on the manager's /healthz and /readyz; and several replicas only
// with leader election.
func TestDeploymentIsHardened(t *testing.T) {
	for _, r := range allRenderings(t) {
		t.Run(r.name, func(t *testing.T) {
			d := r.deployment(t)
			pod := d.Spec.Template.Spec
			if len(pod.Containers) != 1 || len(pod.InitContainers) != 0 {
				t.Fatalf("%d containers and %d init containers, want the manager alone", len(pod.Containers), len(pod.InitContainers))
			}
			c := pod.Containers[0]
			psc, sc := pod.SecurityContext, c.SecurityContext
			if psc == nil || sc == nil {
				t.Fatal("no pod or container securityContext")
			}
			if pod.HostNetwork || pod.HostPID || pod.HostIPC {
				t.Error("uses the host's network, PID or IPC namespace")
			}
			if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
				t.Error("runAsNonRoot is not true for the pod and the container")
			}
			if u := psc.RunAsUser; u != nil && *u == 0 {
				t.Error("runAsUser: 0")
			}
			if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
				t.Error("readOnlyRootFilesystem is not true")
			}
			if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				t.Error("allowPrivilegeEscalation is not false")
			}
			if sc.Privileged != nil && *sc.Privileged {
				t.Error("privileged")
			}
			if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
				t.Errorf("capabilities %+v, want drop [ALL] and nothing added", sc.Capabilities)
			}
			for _, sp := range []*corev1.SeccompProfile{psc.SeccompProfile, sc.SeccompProfile} {
				if sp == nil || sp.Type != corev1.SeccompProfileTypeRuntimeDefault {
					t.Errorf("seccompProfile %+v, want RuntimeDefault on the pod and the container", sp)
				}
			}
			for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				if q, ok := c.Resources.Requests[res]; !ok || q.IsZero() {
					t.Errorf("no %s request", res)
				}
				if q, ok := c.Resources.Limits[res]; !ok || q.IsZero() {
					t.Errorf("no %s limit", res)
				}
			}

			args, _ := argsOf(t, d)
			probeAddr := args["health-probe-bind-address"]
			if len(probeAddr) != 1 || !strings.HasPrefix(probeAddr[0], ":") {
				t.Fatalf("--health-probe-bind-address %v, want :PORT", probeAddr)
			}
			probePort, _ := strconv.Atoi(strings.TrimPrefix(probeAddr[0], ":"))
			for _, p := range []struct {
				name  string
				probe *corev1.Probe
				path  string
			}{{"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}} {
				if p.probe == nil || p.probe.HTTPGet == nil {
					t.Errorf("no %s HTTP probe", p.name)
					continue
				}
				if p.probe.HTTPGet.Path != p.path {
					t.Errorf("%s probe path %s, want %s", p.name, p.probe.HTTPGet.Path, p.path)
				}
				if got := containerPort(c, p.probe.HTTPGet.Port.String()); got != probePort {
					t.Errorf("%s probe on port %s (%d), the manager serves probes on %d", p.name, p.probe.HTTPGet.Port.String(), got, probePort)
				}
			}
			if metrics := args["metrics-bind-address"]; len(metrics) == 1 && metrics[0] != "0" {
				port, _ := strconv.Atoi(strings.TrimPrefix(metrics[0], ":"))
				if containerPort(c, "metrics") != port {
					t.Errorf("container port metrics is not the metrics port %d", port)
				}
				if len(r.ofKind("Service")) != 1 {
					t.Errorf("%d Services, want the metrics Service", len(r.ofKind("Service")))
				}
			}

			replicas := int32(1)
			if d.Spec.Replicas != nil {
				replicas = *d.Spec.Replicas
			}
			if le := args["leader-elect"]; replicas > 1 && (len(le) != 1 || le[0] != "true") {
				t.Errorf("%d replicas with --leader-elect=%v", replicas, le)
			}
		})
	}
	// The defaults run several replicas, which is safe only with leader election.
	d := helmTemplate(t, "vao-defaults").deployment(t)
	if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		t.Errorf("the chart's default replicas %v, want at least 2 (leader election on)", d.Spec.Replicas)
	}
}

func containerPort(c corev1.Container, nameOrNumber string) int {
	for _, p := range c.Ports {
		if p.Name == nameOrNumber || strconv.Itoa(int(p.ContainerPort)) == nameOrNumber {
			return int(p.ContainerPort)
		}
	}
	if n, err := strconv.Atoi(nameOrNumber); err == nil {
		return n
	}
	return -1
}

// TestKustomizeMatchesChart: config/ (dist/install.yaml) installs the same thing as the
// chart with its default values: the same kinds of objects, the same CRDs, the same
// manager pod (args, ports, probes, security, resources), the same Service ports, the
// same RBAC rules, the same roles for users, and the same admission policy, binding and
// parameters.
func TestKustomizeMatchesChart(t *testing.T) {
	chart, kust := helmTemplate(t, "vendor-allowlist-system"), distRendering(t)
	kinds := func(r rendering) []string {
		var out []string
		for _, o := range r.objects {
			if o.GetKind() != "Namespace" { // helm installs into a namespace that exists
				out = append(out, o.GetKind())
			}
		}
		slices.Sort(out)
		return out
	}
	if diff := cmp.Diff(kinds(chart), kinds(kust)); diff != "" {
		t.Errorf("different objects (-chart +kustomize):\n%s", diff)
	}

	crds := func(r rendering) map[string]any {
		out := map[string]any{}
		for _, o := range r.ofKind("CustomResourceDefinition") {
			out[o.GetName()] = o.Object
		}
		return out
	}
	if diff := cmp.Diff(crds(chart), crds(kust)); diff != "" {
		t.Errorf("different CRDs (-chart +kustomize):\n%s", diff)
	}

	cd, kd := chart.deployment(t), kust.deployment(t)
	if diff := cmp.Diff(cd.Spec.Replicas, kd.Spec.Replicas); diff != "" {
		t.Errorf("replicas (-chart +kustomize):\n%s", diff)
	}
	cp, kp := cd.Spec.Template.Spec, kd.Spec.Template.Spec
	if diff := cmp.Diff(cp.SecurityContext, kp.SecurityContext); diff != "" {
		t.Errorf("pod securityContext (-chart +kustomize):\n%s", diff)
	}
	if diff := cmp.Diff(cp.TerminationGracePeriodSeconds, kp.TerminationGracePeriodSeconds); diff != "" {
		t.Errorf("terminationGracePeriodSeconds (-chart +kustomize):\n%s", diff)
	}
	cc, kc := cp.Containers[0], kp.Containers[0]
	cc.Image, kc.Image = "", "" // from IMG, checked by TestImageFlowsFromMakefile
	if diff := cmp.Diff(cc, kc); diff != "" {
		t.Errorf("manager container (-chart +kustomize):\n%s", diff)
	}

	svcPorts := func(r rendering) []corev1.ServicePort {
		var out []corev1.ServicePort
		for _, o := range r.ofKind("Service") {
			var s corev1.Service
			convert(t, o, &s)
			out = append(out, s.Spec.Ports...)
		}
		return out
	}
	if diff := cmp.Diff(svcPorts(chart), svcPorts(kust)); diff != "" {
		t.Errorf("Service ports (-chart +kustomize):\n%s", diff)
	}
	if diff := cmp.Diff(sortedGrants(rulesToGrants(t, "chart", managerClusterRole(t, chart).Rules)),
		sortedGrants(rulesToGrants(t, "kustomize", managerClusterRole(t, kust).Rules))); diff != "" {
		t.Errorf("ClusterRole (-chart +kustomize):\n%s", diff)
	}
	// The roles for users, by what their names end in.
	for _, suffix := range userRoleSuffixes {
		c, k := userRole(t, chart, suffix), userRole(t, kust, suffix)
		if diff := cmp.Diff(sortedGrants(rulesToGrants(t, "chart", c.Rules)), sortedGrants(rulesToGrants(t, "kustomize", k.Rules))); diff != "" {
			t.Errorf("ClusterRole ...%s (-chart +kustomize):\n%s", suffix, diff)
		}
		if diff := cmp.Diff(aggregationLabels(c.Labels), aggregationLabels(k.Labels)); diff != "" {
			t.Errorf("ClusterRole ...%s aggregation labels (-chart +kustomize):\n%s", suffix, diff)
		}
	}
	// The admission policy: the same spec, bound the same way, with the same parameters.
	one := func(r rendering, kind string) *unstructured.Unstructured {
		objs := r.ofKind(kind)
		if len(objs) != 1 {
			t.Fatalf("%s: %d %ss, want 1", r.name, len(objs), kind)
		}
		return objs[0]
	}
	if diff := cmp.Diff(one(chart, "ValidatingAdmissionPolicy").Object["spec"], one(kust, "ValidatingAdmissionPolicy").Object["spec"]); diff != "" {
		t.Errorf("ValidatingAdmissionPolicy spec (-chart +kustomize):\n%s", diff)
	}
	bindingSpec := func(r rendering) map[string]any {
		b := one(r, "ValidatingAdmissionPolicyBinding")
		spec, _, _ := unstructured.NestedMap(b.Object, "spec")
		if spec["policyName"] != one(r, "ValidatingAdmissionPolicy").GetName() {
			t.Errorf("%s: the binding names policy %v, not %s", r.name, spec["policyName"], one(r, "ValidatingAdmissionPolicy").GetName())
		}
		cm := one(r, "ConfigMap")
		if ref, _, _ := unstructured.NestedStringMap(spec, "paramRef"); ref["name"] != cm.GetName() || ref["namespace"] != cm.GetNamespace() {
			t.Errorf("%s: the binding's paramRef %v is not the ConfigMap %s/%s", r.name, ref, cm.GetNamespace(), cm.GetName())
		}
		delete(spec, "policyName")
		unstructured.RemoveNestedField(spec, "paramRef", "name")
		unstructured.RemoveNestedField(spec, "paramRef", "namespace")
		return spec
	}
	if diff := cmp.Diff(bindingSpec(chart), bindingSpec(kust)); diff != "" {
		t.Errorf("ValidatingAdmissionPolicyBinding spec (-chart +kustomize):\n%s", diff)
	}
	params := func(r rendering) map[string]string {
		data, _, _ := unstructured.NestedStringMap(one(r, "ConfigMap").Object, "data")
		if want := userRole(t, r, "vendorallowlist-custom").Name; data["custom-cluster-role"] != want {
			t.Errorf("%s: the ConfigMap's custom-cluster-role is %q, the role is %s", r.name, data["custom-cluster-role"], want)
		}
		delete(data, "custom-cluster-role")
		return data
	}
	if diff := cmp.Diff(params(chart), params(kust)); diff != "" {
		t.Errorf("the admission policy's ConfigMap (-chart +kustomize):\n%s", diff)
	}
	if diff := cmp.Diff(sortedGrants(rulesToGrants(t, "chart", chart.roles(t)[0].Rules)),
		sortedGrants(rulesToGrants(t, "kustomize", kust.roles(t)[0].Rules))); diff != "" {
		t.Errorf("leader-election Role (-chart +kustomize):\n%s", diff)
	}
}

// TestAdmissionParamsWidenCustomerCIDRs: the admission policy's customer-cidrs-* keys,
// which widen the limits for spec.vendors[].cidrs, are the built-in catalog's widest
// customerCIDRs (as internal/admission works them out from the catalog) in the chart
// with its default values and in dist/install.yaml; the chart widens them further by
// tenancy.customerCIDRs and by the customerCIDRs of the Vendor objects in
// values.vendors: the union of the ranges, the broadest prefix length of each family.
func TestAdmissionParamsWidenCustomerCIDRs(t *testing.T) {
	params := func(r rendering) map[string]string {
		t.Helper()
		for _, cm := range r.ofKind("ConfigMap") {
			if strings.HasSuffix(cm.GetName(), "tenancy") {
				data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
				out := map[string]string{}
				for k, v := range data {
					if strings.HasPrefix(k, "customer-cidrs-") {
						out[k] = v
					}
				}
				return out
			}
		}
		t.Fatalf("%s: no tenancy ConfigMap", r.name)
		return nil
	}
	builtin := admission.BuiltinCustomerCIDRs().Data()
	if builtin[admission.KeyCustomerAllowRanges] == "" {
		t.Fatalf("the built-in catalog widens no ranges (%v): the OutSystems VPN group opens private ones", builtin)
	}
	for _, r := range []rendering{helmTemplate(t, "vao-defaults"), distRendering(t)} {
		if diff := cmp.Diff(builtin, params(r)); diff != "" {
			t.Errorf("%s: customer-cidrs-* are not the built-in catalog's (-catalog +rendered):\n%s", r.name, diff)
		}
	}
	vendorOnly := writeFile(t, t.TempDir(), "vendor.yaml", []byte(`
tenancy:
  customerCIDRs: {allowRanges: [], minPrefixLength: {ipv4: null, ipv6: null}}
vendors:
  - name: acme
    spec:
      endpoints:
        - {name: web, direction: Ingress, addresses: [{cidr: 52.1.37.96/32}]}
        - name: link
          direction: Ingress
          customerInput: CIDRs
          customerCIDRs: {allowRanges: [multicast, private], minPrefixLengthIPv6: 30}
`))
	for _, c := range []struct {
		values string
		want   map[string]string
	}{
		{filepath.Join(chartDir, "ci", "full-values.yaml"), map[string]string{ // tenancy.customerCIDRs and the acme-payments private-link group
			admission.KeyCustomerAllowRanges: "private,link-local,reserved", admission.KeyCustomerMinPrefix4: "12", admission.KeyCustomerMinPrefix6: "36"}},
		{vendorOnly, map[string]string{
			admission.KeyCustomerAllowRanges: "private,multicast", admission.KeyCustomerMinPrefix4: builtin[admission.KeyCustomerMinPrefix4], admission.KeyCustomerMinPrefix6: "30"}},
	} {
		if diff := cmp.Diff(c.want, params(helmTemplate(t, "vao-wide", c.values))); diff != "" {
			t.Errorf("%s: customer-cidrs-* (-want +rendered):\n%s", rel(c.values), diff)
		}
	}
}

// TestVendorsFromValues: the chart renders the Vendor objects of its values as they
// are written (the API server checks them in TestInstallAcceptedByAPIServer), and none
// by default.
func TestVendorsFromValues(t *testing.T) {
	if n := len(helmTemplate(t, "vao-defaults").ofKind("Vendor")); n != 0 {
		t.Errorf("the default values render %d Vendors, want none", n)
	}
	var values struct {
		Vendors []struct {
			Name string
			Spec map[string]any
		}
	}
	full := filepath.Join(chartDir, "ci", "full-values.yaml")
	readYAML(t, full, &values)
	rendered := helmTemplate(t, "vao-vendors", full).ofKind("Vendor")
	if len(rendered) != len(values.Vendors) || len(rendered) == 0 {
		t.Fatalf("%d Vendors rendered, values have %d", len(rendered), len(values.Vendors))
	}
	for i, v := range values.Vendors {
		got := rendered[i]
		if got.GetName() != v.Name || got.GetNamespace() != "" {
			t.Errorf("Vendor %d is %s/%s, want cluster-scoped %s", i, got.GetNamespace(), got.GetName(), v.Name)
		}
		if diff := cmp.Diff(jsonNormal(t, v.Spec), jsonNormal(t, got.Object["spec"])); diff != "" {
			t.Errorf("Vendor %s spec (-values +rendered):\n%s", v.Name, diff)
		}
	}
}

// TestDocsCoverCatalog: docs/vendors has a page for every built-in vendor that names
// each of its endpoint groups, and the README links the docs.
func TestDocsCoverCatalog(t *testing.T) {
	for _, v := range catalog.Builtin().Vendors() {
		page := filepath.Join(repoRoot, "docs", "vendors", v.Name+".md")
		data, err := os.ReadFile(page)
		if err != nil {
			t.Errorf("built-in vendor %s has no page: %v", v.Name, err)
			continue
		}
		for _, g := range v.Spec.Endpoints {
			if !strings.Contains(string(data), "`"+string(g.Name)+"`") {
				t.Errorf("%s does not describe endpoint group `%s`", rel(page), g.Name)
			}
		}
	}
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, link := range []string{"docs/quick-start.md", "docs/install.md", "docs/caveats.md", "docs/security.md", "docs/vendors/"} {
		if !strings.Contains(string(readme), link) {
			t.Errorf("README.md does not link %s", link)
		}
		if _, err := os.Stat(filepath.Join(repoRoot, link)); err != nil {
			t.Errorf("%s: %v", link, err)
		}
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// jsonNormal round-trips v through JSON, so that numbers compare equal however they
// were decoded.
func jsonNormal(t testing.TB, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
