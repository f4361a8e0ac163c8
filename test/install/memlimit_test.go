/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package install

import (
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// envOf is the container's environment by name.
func envOf(c corev1.Container) map[string]corev1.EnvVar {
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	return env
}

// The manager's Go soft memory limit follows the container's memory limit in every
// install (the manager reads both variables; internal/manager.SetMemoryLimit), so
// that near the limit the collector works harder instead of the container being
// killed.
func TestGoMemoryLimitFollowsTheContainerLimit(t *testing.T) {
	for _, r := range allRenderings(t) {
		t.Run(r.name, func(t *testing.T) {
			c := r.deployment(t).Spec.Template.Spec.Containers[0]
			if c.Resources.Limits.Memory().IsZero() {
				t.Fatal("the manager has no memory limit")
			}
			env := envOf(c)
			limit := env["VAO_MEMORY_LIMIT_BYTES"].ValueFrom
			if limit == nil || limit.ResourceFieldRef == nil || limit.ResourceFieldRef.Resource != "limits.memory" ||
				limit.ResourceFieldRef.ContainerName != c.Name || limit.ResourceFieldRef.Divisor.String() != "1" {
				t.Errorf("VAO_MEMORY_LIMIT_BYTES is %+v, want the container's limits.memory in bytes (resourceFieldRef, divisor 1)", env["VAO_MEMORY_LIMIT_BYTES"])
			}
			if p, err := strconv.Atoi(env["VAO_MEMORY_LIMIT_PERCENT"].Value); err != nil || p < 1 || p > 100 {
				t.Errorf("VAO_MEMORY_LIMIT_PERCENT is %q, want a share from 1 to 100", env["VAO_MEMORY_LIMIT_PERCENT"].Value)
			}
		})
	}
	t.Run("goMemoryLimitPercent 0", func(t *testing.T) {
		values := writeFile(t, t.TempDir(), "values.yaml", []byte("goMemoryLimitPercent: 0\n"))
		for _, e := range helmTemplate(t, "vao-memlimit", values).deployment(t).Spec.Template.Spec.Containers[0].Env {
			if e.Name == "VAO_MEMORY_LIMIT_BYTES" || e.Name == "VAO_MEMORY_LIMIT_PERCENT" {
				t.Errorf("goMemoryLimitPercent: 0 still sets %s", e.Name)
			}
		}
	})
}

// The garbage collector's target is the manager's own (25, internal/manager.
// SetGCPercent) unless the chart's goGCPercent sets GOGC (bounded by the schema:
// TestChartSchemaRejectsBadValues).
func TestGoGCPercentIsTheChartsToSet(t *testing.T) {
	gogc := func(r rendering) (string, bool) {
		t.Helper()
		for _, e := range r.deployment(t).Spec.Template.Spec.Containers[0].Env {
			if e.Name == "GOGC" {
				return e.Value, true
			}
		}
		return "", false
	}
	if v, ok := gogc(helmTemplate(t, "vao-gogc", "")); ok {
		t.Errorf("by default the chart sets GOGC=%s, want it unset (the manager's own 25)", v)
	}
	values := writeFile(t, t.TempDir(), "values.yaml", []byte("goGCPercent: 100\n"))
	if v, ok := gogc(helmTemplate(t, "vao-gogc", values)); !ok || v != "100" {
		t.Errorf("goGCPercent: 100 sets GOGC=%q (set %v), want 100", v, ok)
	}
}

// The manager runs as many Ps as its CPU limit, rounded up, in every install: the Go
// runtime's default keeps at least 2 under a 500m quota, and its idle garbage-collection
// workers then spend the quota on a second core.
func TestGoMaxProcsFollowsTheCPULimit(t *testing.T) {
	for _, r := range allRenderings(t) {
		t.Run(r.name, func(t *testing.T) {
			c := r.deployment(t).Spec.Template.Spec.Containers[0]
			if c.Resources.Limits.Cpu().IsZero() {
				t.Fatal("the manager has no CPU limit")
			}
			procs, ok := envOf(c)["GOMAXPROCS"]
			if !ok || procs.ValueFrom == nil || procs.ValueFrom.ResourceFieldRef == nil {
				t.Fatalf("GOMAXPROCS is %+v, want it from the container's limits.cpu", procs)
			}
			ref := procs.ValueFrom.ResourceFieldRef
			if ref.Resource != "limits.cpu" || ref.ContainerName != c.Name || ref.Divisor.String() != "1" {
				t.Errorf("GOMAXPROCS is from %+v, want the container's limits.cpu in whole CPUs (divisor 1: the kubelet rounds up)", ref)
			}
		})
	}
	t.Run("no CPU limit", func(t *testing.T) {
		values := writeFile(t, t.TempDir(), "values.yaml", []byte("resources:\n  limits:\n    cpu: null\n    memory: 256Mi\n"))
		for _, e := range helmTemplate(t, "vao-maxprocs", values).deployment(t).Spec.Template.Spec.Containers[0].Env {
			if e.Name == "GOMAXPROCS" {
				t.Errorf("without a CPU limit the chart still sets GOMAXPROCS (%+v); the runtime's default is right then", e)
			}
		}
	})
}
