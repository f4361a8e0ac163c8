/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1_test

// These tests send manifests to a real kube-apiserver (envtest) with the generated
// CRDs installed, so they check what the server really enforces: the OpenAPI schema
// and the CEL rules as the server compiles, costs and runs them. Every manifest also
// goes through the offline validator (internal/crdvalidation), which must give the
// same answer: the same unknown fields, the same errors cause for cause, and for a
// valid manifest the same stored object.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
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
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/crdvalidation"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/validationtest"
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

// answer is what the server said to a dry-run create.
type answer struct {
	// unknown are the fields it refused under strict field validation.
	unknown []string
	// causes are the causes of its 422 Invalid, as Keys; nil when it accepted.
	causes []string
	err    error
	// stored is the object it would store, when it accepted.
	stored *unstructured.Unstructured
}

var unknownField = regexp.MustCompile(`unknown field "([^"]+)"`)

// create asks the server to create u, dry run: first with strict field validation,
// which refuses unknown fields before anything else, then, if there were any, with
// them ignored, to see what validation says of the rest.
func create(t *testing.T, u *unstructured.Unstructured) answer {
	t.Helper()
	var a answer
	err := dryRun(u, client.FieldValidation(metav1.FieldValidationStrict))
	if err != nil && apierrors.IsBadRequest(err) {
		for _, m := range unknownField.FindAllStringSubmatch(err.Error(), -1) {
			a.unknown = append(a.unknown, m[1])
		}
		if len(a.unknown) == 0 {
			t.Fatalf("create %s: want unknown fields or a 422 Invalid, got %v", u.GetName(), err)
		}
		slices.Sort(a.unknown)
		err = dryRun(u, client.FieldValidation(metav1.FieldValidationIgnore))
	}
	if err == nil {
		a.stored = u
		return a
	}
	var status *apierrors.StatusError
	if !errors.As(err, &status) || !apierrors.IsInvalid(err) {
		t.Fatalf("create %s: want a 422 Invalid error from validation, got %v", u.GetName(), err)
	}
	a.err = err
	if d := status.ErrStatus.Details; d != nil {
		for _, c := range d.Causes {
			a.causes = append(a.causes, validationtest.Key(c.Field, string(c.Type), c.Message))
		}
	}
	return a
}

// dryRun creates a copy of u, dry run, and on success copies what the server would
// store back into u.
func dryRun(u *unstructured.Unstructured, opts ...client.CreateOption) error {
	obj := u.DeepCopy()
	if obj.GetKind() == "VendorAllowlist" && obj.GetNamespace() == "" {
		obj.SetNamespace(namespace)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := k8s.Create(ctx, obj, append(opts, client.DryRunAll)...); err != nil {
		return err
	}
	u.Object = obj.Object
	return nil
}

// offline runs the offline validator on a copy of u.
func offline(t *testing.T, u *unstructured.Unstructured) *crdvalidation.Result {
	t.Helper()
	res, err := crdvalidation.Default().Validate(u.DeepCopy().Object, namespace)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// agree requires the server and the offline validator to have said the same.
func agree(t *testing.T, server answer, res *crdvalidation.Result) {
	t.Helper()
	var unknown []string
	for _, f := range res.Unknown {
		unknown = append(unknown, f.Path)
	}
	slices.Sort(unknown)
	if !slices.Equal(server.unknown, unknown) {
		t.Errorf("unknown fields: the server found %q, the offline validator %q", server.unknown, unknown)
	}
	causes, keys := slices.Sorted(slices.Values(server.causes)), slices.Sorted(slices.Values(validationtest.Keys(res.Errors)))
	if !slices.Equal(causes, keys) {
		t.Errorf("the offline validator disagrees with the server\nserver:\n  %s\noffline:\n  %s",
			strings.Join(causes, "\n  "), strings.Join(keys, "\n  "))
	}
	if server.stored != nil && len(res.Errors) == 0 {
		// The same object stored: pruned and defaulted alike (metadata aside, which
		// the server fills in).
		for _, part := range []string{"spec", "status"} {
			if got, want := res.Object.Object[part], server.stored.Object[part]; !reflect.DeepEqual(got, want) {
				t.Errorf("%s: the server would store\n  %#v\nthe offline validator\n  %#v", part, want, got)
			}
		}
	}
}

// judge asks the offline validator and the server about one case of the table. u is
// what the server would store, when it accepted the case.
func judge(t *testing.T, tc validationtest.Case) (a answer, res *crdvalidation.Result, u *unstructured.Unstructured) {
	t.Helper()
	u, err := tc.Object()
	if err != nil {
		t.Fatal(err)
	}
	res = offline(t, u)
	return create(t, u), res, u
}

// TestServerRefusesInvalidManifests sends every invalid manifest of the table and
// requires a refusal carrying each expected fragment, the expected unknown fields,
// and the same answer from the offline validator.
func TestServerRefusesInvalidManifests(t *testing.T) {
	table := loadTable(t)
	if n := len(table.Invalid); n < 80 {
		t.Fatalf("the table has %d invalid manifests, want at least 80", n)
	}
	for _, tc := range table.Invalid {
		t.Run(tc.Name, func(t *testing.T) {
			a, res, u := judge(t, tc)
			if a.err == nil && len(a.unknown) == 0 {
				t.Fatalf("the server accepted an invalid %s:\n%s", u.GetKind(), tc.Rendered)
			}
			for _, want := range tc.Want {
				if a.err == nil || !strings.Contains(a.err.Error(), want) {
					t.Errorf("server error lacks %q:\n%v", want, a.err)
				}
			}
			if want := slices.Sorted(slices.Values(tc.Unknown)); !slices.Equal(a.unknown, want) {
				t.Errorf("the server found the unknown fields %q, want %q", a.unknown, want)
			}
			agree(t, a, res)
		})
	}
}

// TestServerAcceptsValidManifests sends every valid manifest, requires it to be
// accepted, checks the defaults the server fills in (allowDNS, protocol,
// customerInput, clusterDNS.namespace), and requires the offline validator to accept
// it and store the same.
func TestServerAcceptsValidManifests(t *testing.T) {
	table := loadTable(t)
	for _, tc := range table.Valid {
		t.Run(tc.Name, func(t *testing.T) {
			a, res, u := judge(t, tc)
			if a.err != nil || len(a.unknown) > 0 {
				t.Fatalf("the server refused a valid manifest: %v %v", a.unknown, a.err)
			}
			for path, want := range tc.Expect {
				got, ok := crdvalidation.ValueAt(u.Object, path)
				if !ok {
					t.Errorf("created object has no %s", path)
					continue
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("created object: %s = %#v, want %#v", path, got, want)
				}
			}
			agree(t, a, res)
		})
	}
}

// readSeeds reads the string seeds of a fuzz target's committed corpus.
func readSeeds(t *testing.T, target string) map[string]string {
	t.Helper()
	dir := filepath.Join(testenv.RepoRoot(), "internal", "crdvalidation", "testdata", "fuzz", target)
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

// TestServerAgreesOnFuzzSeeds puts every seed of FuzzCIDR in a custom entry's cidrs,
// and every seed of FuzzHostname in its hostnames, and requires the server and the
// offline validator to agree on each: both accept it, or both refuse it with the
// same errors.
func TestServerAgreesOnFuzzSeeds(t *testing.T) {
	for _, target := range []string{"FuzzCIDR", "FuzzHostname"} {
		for name, s := range readSeeds(t, target) {
			t.Run(target+"/"+name, func(t *testing.T) {
				entry := v1alpha1.CustomEntry{Name: "x", Direction: v1alpha1.DirectionEgress, AllPorts: true}
				if target == "FuzzCIDR" {
					entry.CIDRs = []v1alpha1.CIDR{v1alpha1.CIDR(s)}
				} else {
					entry.Hostnames = []v1alpha1.Hostname{v1alpha1.Hostname(s)}
				}
				a := &v1alpha1.VendorAllowlist{
					TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "VendorAllowlist"},
					ObjectMeta: metav1.ObjectMeta{Name: "seed"},
					Spec:       v1alpha1.VendorAllowlistSpec{Custom: []v1alpha1.CustomEntry{entry}},
				}
				u := &unstructured.Unstructured{}
				var err error
				if u.Object, err = runtimeToUnstructured(a); err != nil {
					t.Fatal(err)
				}
				res := offline(t, u)
				agree(t, create(t, u), res)
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
		docURL := fmt.Sprintf("https://docs.example.com/%d/", i)
		g.Source = &v1alpha1.EndpointSource{URL: docURL + strings.Repeat("a", 2048-len(docURL)), Section: strings.Repeat("s", 256)}
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
		u := &unstructured.Unstructured{}
		var err error
		if u.Object, err = runtimeToUnstructured(obj); err != nil {
			t.Fatal(err)
		}
		if res := offline(t, u); !res.OK() {
			t.Errorf("the offline validator refuses the largest %s: %v %v", u.GetKind(), res.Unknown, res.Errors.ToAggregate())
		}
		if a := create(t, u); a.err != nil {
			t.Errorf("the server refused the largest %s: %v", u.GetKind(), a.err)
		}
	}
}

func runtimeToUnstructured(obj any) (map[string]any, error) {
	return runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
}
