/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package egressbackends

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// fromYAML is an object as a manifest gives it, in namespace ns (empty for a
// cluster-scoped kind).
func fromYAML(t *testing.T, ns, manifest string) *unstructured.Unstructured {
	t.Helper()
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &obj.Object); err != nil {
		t.Fatalf("decoding the test's manifest: %v", err)
	}
	obj.SetNamespace(ns)
	return obj
}

// createAndReadBack writes obj to the API server and returns what it stored, having
// checked that the server kept the spec as written: a field its schema does not know
// would be pruned without an error, and the dataplane would never see it.
func createAndReadBack(t *testing.T, obj *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	ctx := context.Background()
	if err := k8s.Create(ctx, obj.DeepCopy()); err != nil {
		t.Fatalf("the API server refused %s %s: %v", obj.GetKind(), obj.GetName(), err)
	}
	got := &unstructured.Unstructured{}
	got.SetGroupVersionKind(obj.GroupVersionKind())
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), got); err != nil {
		t.Fatalf("reading back %s %s: %v", obj.GetKind(), obj.GetName(), err)
	}
	want, err := yaml.Marshal(obj.Object["spec"])
	if err != nil {
		t.Fatalf("encoding the spec written: %v", err)
	}
	stored, err := yaml.Marshal(got.Object["spec"])
	if err != nil {
		t.Fatalf("encoding the spec stored: %v", err)
	}
	if string(want) != string(stored) {
		t.Fatalf("the API server stored a different spec for %s %s (a field its schema does not know was pruned):\nwrote:\n%s\nstored:\n%s", obj.GetKind(), obj.GetName(), want, stored)
	}
	return got
}

// requireRefused checks that the API server refused the object as invalid, naming
// the field.
func requireRefused(t *testing.T, err error, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("the API server accepted an object whose %s is invalid: its schema is not the project's", field)
	}
	if !apierrors.IsInvalid(err) {
		t.Fatalf("the API server refused the object, but not as invalid: %v", err)
	}
	if !strings.Contains(err.Error(), field) {
		t.Fatalf("the API server's error does not name %s: %v", field, err)
	}
}
