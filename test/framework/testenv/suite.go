/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package testenv

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Main is a test package's TestMain: it starts the control plane with StartSuite,
// hands it to use (which keeps it in the package's variables), runs the tests, stops
// the control plane and exits. A control plane that does not start fails the
// package: it never skips.
func Main(m *testing.M, use func(*Env, client.Client), opts ...Option) {
	env, c, err := StartSuite(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	use(env, c)
	code := m.Run()
	_ = env.Stop()
	os.Exit(code)
}

var namespaceCounter atomic.Int64

// NewNamespace creates a namespace of the test's own, named from prefix. The time
// in the name keeps names apart across runs against one long-lived API server.
func NewNamespace(t testing.TB, c client.Client, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s-%d-%d", prefix, time.Now().Unix()%100000, namespaceCounter.Add(1))
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := c.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	return name
}
