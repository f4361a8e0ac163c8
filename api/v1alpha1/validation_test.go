package v1alpha1_test

// These tests apply manifests to a real kube-apiserver (envtest) with the generated
// CRDs installed, so they check what the server really enforces: the OpenAPI schema
// and the CEL rules as the server compiles, costs and runs them. The same table
// (internal/validation/validationtest/cases.yaml) runs through the Go mirror in
// internal/validation, and here every server answer is also compared, cause for
// cause, with the mirror's.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/testenv"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/validation"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/validation/validationtest"
)

const namespace = "validation"

var k8s client.Client

// TestMain starts one control plane for every test. A control plane that cannot
// start (no KUBEBUILDER_ASSETS, a missing binary, a CRD the server refuses, for
// example over its CEL cost budget) fails the run; it is never a skip.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	env, err := testenv.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stopping envtest: %v\n", err)
		}
	}()
	k8s, err = client.New(env.Config, client.Options{Scheme: testenv.Scheme()})
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: client: %v\n", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: creating namespace: %v\n", err)
		return 1
	}
	return m.Run()
}

func loadTable(t *testing.T) *validationtest.Table {
	t.Helper()
	table, err := validationtest.Load()
	if err != nil {
		t.Fatal(err)
	}
	return table
}

// create sends obj to the server and returns the server's error causes as Keys, or
// nil when the server accepted it.
func create(t *testing.T, u *unstructured.Unstructured) ([]string, error) {
	t.Helper()
	if u.GetKind() == "VendorAllowlist" {
		u.SetNamespace(namespace)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := k8s.Create(ctx, u)
	if err == nil {
		return nil, nil
	}
	var status *apierrors.StatusError
	if !errors.As(err, &status) || !apierrors.IsInvalid(err) {
		t.Fatalf("create %s: want a 422 Invalid error from validation, got %v", u.GetName(), err)
	}
	var keys []string
	if d := status.ErrStatus.Details; d != nil {
		for _, c := range d.Causes {
			keys = append(keys, validationtest.Key(c.Field, string(c.Type), c.Message))
		}
	}
	return keys, err
}

func sameKeys(t *testing.T, server, mirror []string) {
	t.Helper()
	server, mirror = slices.Sorted(slices.Values(server)), slices.Sorted(slices.Values(mirror))
	if !slices.Equal(server, mirror) {
		t.Errorf("the Go mirror disagrees with the server\nserver:\n  %s\nmirror:\n  %s",
			strings.Join(server, "\n  "), strings.Join(mirror, "\n  "))
	}
}

// TestServerRefusesInvalidManifests applies every invalid manifest of the table and
// requires a refusal carrying each expected fragment, and the same causes as the
// Go mirror's errors.
func TestServerRefusesInvalidManifests(t *testing.T) {
	table := loadTable(t)
	if n := len(table.Invalid); n < 30 {
		t.Fatalf("the table has %d invalid manifests, want at least 30", n)
	}
	for _, tc := range table.Invalid {
		t.Run(tc.Name, func(t *testing.T) {
			u, err := tc.Object()
			if err != nil {
				t.Fatal(err)
			}
			keys, err := create(t, u)
			if err == nil {
				t.Fatalf("the server accepted an invalid %s:\n%s", u.GetKind(), tc.Rendered)
			}
			for _, want := range tc.Want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("server error lacks %q:\n%v", want, err)
				}
			}
			obj, err := tc.Typed()
			if err != nil {
				t.Fatal(err)
			}
			mirror := validationtest.Validate(obj)
			if tc.Mirror != "" {
				t.Logf("mirror differs on purpose: %s", tc.Mirror)
				if len(mirror) == 0 {
					t.Errorf("the Go mirror accepted it")
				}
				return
			}
			sameKeys(t, keys, validationtest.GoKeys(mirror))
		})
	}
}

// TestServerAcceptsValidManifests applies every valid manifest, requires it to be
// created, and checks the defaults the server filled in (allowDNS, protocol,
// customerInput, clusterDNS.namespace).
func TestServerAcceptsValidManifests(t *testing.T) {
	table := loadTable(t)
	for _, tc := range table.Valid {
		t.Run(tc.Name, func(t *testing.T) {
			u, err := tc.Object()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := create(t, u); err != nil {
				t.Fatalf("the server refused a valid manifest: %v", err)
			}
			for path, want := range tc.Expect {
				got, ok := validationtest.Lookup(u.Object, path)
				if !ok {
					t.Errorf("created object has no %s", path)
					continue
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("created object: %s = %#v, want %#v", path, got, want)
				}
			}
			obj, err := tc.Typed()
			if err != nil {
				t.Fatal(err)
			}
			if errs := validationtest.Validate(obj); len(errs) > 0 {
				t.Errorf("the Go mirror refused what the server accepted: %v", errs.ToAggregate())
			}
		})
	}
}

// readSeeds reads the string seeds of a fuzz target's committed corpus.
func readSeeds(t *testing.T, target string) map[string]string {
	t.Helper()
	dir := filepath.Join(testenv.RepoRoot(), "internal", "validation", "testdata", "fuzz", target)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	seeds := map[string]string{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) != 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "string(") {
			t.Fatalf("%s/%s: not a one-string corpus file", target, e.Name())
		}
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "string("), ")"))
		if err != nil {
			t.Fatalf("%s/%s: %v", target, e.Name(), err)
		}
		seeds[e.Name()] = s
	}
	if len(seeds) < 10 {
		t.Fatalf("%s has %d seeds, want at least 10", dir, len(seeds))
	}
	return seeds
}

// TestServerAgreesWithMirrorOnFuzzSeeds puts every seed of FuzzCIDR in a custom
// entry's cidrs, and every seed of FuzzHostname in its hostnames, and requires the
// server and validation.CIDR / validation.Hostname to agree on each: both accept it,
// or both refuse it with the same messages.
func TestServerAgreesWithMirrorOnFuzzSeeds(t *testing.T) {
	for _, target := range []string{"FuzzCIDR", "FuzzHostname"} {
		for name, s := range readSeeds(t, target) {
			t.Run(target+"/"+name, func(t *testing.T) {
				entry := v1alpha1.CustomEntry{Name: "x", Direction: v1alpha1.DirectionEgress, AllPorts: true}
				var path *field.Path
				if target == "FuzzCIDR" {
					entry.CIDRs = []v1alpha1.CIDR{v1alpha1.CIDR(s)}
					path = field.NewPath("spec", "custom").Index(0).Child("cidrs").Index(0)
				} else {
					entry.Hostnames = []v1alpha1.Hostname{v1alpha1.Hostname(s)}
					path = field.NewPath("spec", "custom").Index(0).Child("hostnames").Index(0)
				}
				a := &v1alpha1.VendorAllowlist{
					TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "VendorAllowlist"},
					ObjectMeta: metav1.ObjectMeta{Name: "seed", GenerateName: "seed-"},
					Spec:       v1alpha1.VendorAllowlistSpec{Custom: []v1alpha1.CustomEntry{entry}},
				}
				mirror := validation.VendorAllowlist(a)
				a.Name = ""
				u := &unstructured.Unstructured{}
				var err error
				if u.Object, err = runtimeToUnstructured(a); err != nil {
					t.Fatal(err)
				}
				keys, _ := create(t, u)
				sameKeys(t, keys, validationtest.GoKeys(mirror))

				// The single-value helpers agree with the whole-object mirror.
				var single *field.Error
				if target == "FuzzCIDR" {
					single = validation.CIDR(path, s)
				} else {
					single = validation.Hostname(path, s)
				}
				if (single == nil) != (len(mirror) == 0) {
					t.Errorf("helper says %v, VendorAllowlist says %v", single, mirror)
				}
			})
		}
	}
}

// TestLargestObjectsFitRuntimeBudget creates objects with every list at its maxItems
// and long strings, so the CEL rules run as often as they ever can: the server must
// accept them within its runtime cost budget.
func TestLargestObjectsFitRuntimeBudget(t *testing.T) {
	host := func(i, j int) v1alpha1.Hostname {
		label := fmt.Sprintf("h%d-%d-", i, j)
		return v1alpha1.Hostname(label + strings.Repeat("a", 63-len(label)) + ".example.com")
	}
	cidr := func(i, j int) v1alpha1.CIDR {
		return v1alpha1.CIDR(fmt.Sprintf("2001:db8:%x:%x:ffff:ffff:ffff:ffff/128", i+1, j+1))
	}
	ports := func() []v1alpha1.Port {
		p := make([]v1alpha1.Port, 32)
		for i := range p {
			end := int32(2000 + i)
			p[i] = v1alpha1.Port{Protocol: v1alpha1.ProtocolTCP, Port: int32(1000 + i), EndPort: &end}
		}
		return p
	}

	a := &v1alpha1.VendorAllowlist{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "VendorAllowlist"},
		ObjectMeta: metav1.ObjectMeta{Name: strings.Repeat("l", 63)},
	}
	for i := range 32 {
		e := v1alpha1.CustomEntry{Name: v1alpha1.ObjectName(fmt.Sprintf("entry-%d", i)), Direction: v1alpha1.DirectionEgress, Ports: ports()}
		for j := range 256 {
			e.CIDRs = append(e.CIDRs, cidr(i, j))
		}
		for j := range 64 {
			e.Hostnames = append(e.Hostnames, host(i, j))
		}
		a.Spec.Custom = append(a.Spec.Custom, e)
		s := v1alpha1.VendorSelection{Name: v1alpha1.ObjectName(fmt.Sprintf("vendor-%d", i)), Ports: ports()}
		for j := range 64 {
			s.CIDRs = append(s.CIDRs, cidr(100+i, j))
			s.Hostnames = append(s.Hostnames, host(100+i, j))
		}
		a.Spec.Vendors = append(a.Spec.Vendors, s)
	}

	v := &v1alpha1.Vendor{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "Vendor"},
		ObjectMeta: metav1.ObjectMeta{Name: "largest"},
	}
	for i := range 32 {
		g := v1alpha1.EndpointGroup{Name: v1alpha1.ObjectName(fmt.Sprintf("group-%d", i)), Direction: v1alpha1.DirectionEgress, Ports: ports()}
		for j := range 384 {
			g.Addresses = append(g.Addresses, v1alpha1.PublishedAddress{CIDR: cidr(i, j)})
		}
		for j := range 16 {
			h := v1alpha1.PublishedHostname{Name: host(i, j)}
			for k := range 8 {
				h.Addresses = append(h.Addresses, cidr(i, 1000+j*8+k))
			}
			g.Hostnames = append(g.Hostnames, h)
		}
		v.Spec.Endpoints = append(v.Spec.Endpoints, g)
	}

	for _, obj := range []client.Object{a, v} {
		if errs := validationtest.Validate(obj); len(errs) > 0 {
			t.Fatalf("the Go mirror refuses the generated %T: %v", obj, errs.ToAggregate())
		}
		u := &unstructured.Unstructured{}
		var err error
		if u.Object, err = runtimeToUnstructured(obj); err != nil {
			t.Fatal(err)
		}
		if _, err := create(t, u); err != nil {
			t.Errorf("the server refused the largest %s: %v", u.GetKind(), err)
		}
	}
}

func runtimeToUnstructured(obj any) (map[string]any, error) {
	return runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
}
