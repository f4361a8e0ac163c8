/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"bufio"
	"bytes"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// renderedObject is one document of the plugin's output, with its comment.
type renderedObject struct {
	comment string
	obj     *unstructured.Unstructured
}

func decodeObjects(t *testing.T, stream string) []renderedObject {
	t.Helper()
	var out []renderedObject
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(stream)))
	for {
		doc, err := r.Read()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		var comment []string
		for _, l := range strings.Split(string(doc), "\n") {
			if c, ok := strings.CutPrefix(l, "# "); ok {
				comment = append(comment, c)
			}
		}
		u := &unstructured.Unstructured{}
		if err := sigsyaml.Unmarshal(doc, &u.Object); err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		out = append(out, renderedObject{comment: strings.Join(comment, " "), obj: u})
	}
}

// TestRenderIngressTargetSamples: each ingress target sample renders its policies and
// then what its target writes, each with a comment saying what it is; a Service's or
// an Ingress's is the apply patch of the one field, nothing else of the object.
func TestRenderIngressTargetSamples(t *testing.T) {
	noDNS(t)
	dir := filepath.Join(samplesDir, "ingress-targets")
	cases := []struct {
		file    string
		want    []string // kind/name of each document, in order
		comment string   // in the comment of the last one
	}{
		{"service.yaml", []string{"NetworkPolicy/freshchat-webhooks-lb-ingress", "Service/support-webhooks"}, "server-side apply patch of spec.loadBalancerSourceRanges of the existing Service support-webhooks"},
		{"ingress-nginx.yaml", []string{"Ingress/orders-api"}, "the annotation nginx.ingress.kubernetes.io/whitelist-source-range"},
		{"envoy-gateway.yaml", []string{"SecurityPolicy/threobuilder-bot-api-httproute-bot-api"}, "a SecurityPolicy the operator creates and owns"},
		{"traefik.yaml", []string{"Middleware/workato-api-traefik-ingress-orders-api", "Ingress/orders-api"}, "field manager vendor-allowlist-operator/ingress-targets/workato-api-traefik"},
		// OutSystems' front-ends are hostnames: offline, no address, nothing rendered.
		{"istio.yaml", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			r := runPlugin(t, "", "render", "--offline", "-f", filepath.Join(dir, tc.file))
			if r.code != 0 {
				t.Fatalf("exit %d:\n%s", r.code, r.stderr)
			}
			objs := decodeObjects(t, r.stdout)
			var got []string
			for _, o := range objs {
				got = append(got, o.obj.GetKind()+"/"+o.obj.GetName())
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("rendered %v, want %v", got, tc.want)
			}
			if len(objs) == 0 {
				wantContains(t, "stderr", r.stderr, "no ingress address is known, so AuthorizationPolicy outsystems-gateway-gateway-pods is not rendered")
				return
			}
			last := objs[len(objs)-1]
			wantContains(t, "comment", last.comment, tc.comment)
			for _, o := range objs {
				switch o.obj.GetKind() {
				case "Service":
					spec, _, _ := unstructured.NestedMap(o.obj.Object, "spec")
					if len(spec) != 1 || spec["loadBalancerSourceRanges"] == nil || len(o.obj.GetAnnotations())+len(o.obj.GetLabels()) != 0 {
						t.Errorf("the Service patch holds more than spec.loadBalancerSourceRanges: %v", o.obj.Object)
					}
				case "Ingress":
					if _, hasSpec := o.obj.Object["spec"]; hasSpec || len(o.obj.GetAnnotations()) != 1 {
						t.Errorf("the Ingress patch holds more than one annotation: %v", o.obj.Object)
					}
				}
			}
		})
	}
}

// TestRenderHandover: --handover marks every object the operator would create for the
// allowlist (its policies, a target's own object) as handed over to it, and never
// a patch of the user's Service or Ingress; without it nothing is marked, so what an
// admin applies stays theirs.
func TestRenderHandover(t *testing.T) {
	noDNS(t)
	dir := filepath.Join(samplesDir, "ingress-targets")
	for _, file := range []string{"service.yaml", "envoy-gateway.yaml", "traefik.yaml"} {
		t.Run(file, func(t *testing.T) {
			for _, handover := range []bool{false, true} {
				args := []string{"render", "--offline", "-f", filepath.Join(dir, file)}
				if handover {
					args = append(args, "--handover")
				}
				r := runPlugin(t, "", args...)
				if r.code != 0 {
					t.Fatalf("exit %d:\n%s", r.code, r.stderr)
				}
				objs := decodeObjects(t, r.stdout)
				if len(objs) == 0 {
					t.Fatal("nothing rendered")
				}
				for _, o := range objs {
					owned := o.obj.GetKind() != "Service" && o.obj.GetKind() != "Ingress"
					got, marked := o.obj.GetAnnotations()[v1alpha1.AdoptAnnotation]
					switch {
					case handover && owned && got != o.obj.GetLabels()[v1alpha1.AllowlistLabel]:
						t.Errorf("--handover: %s %s has %s=%q, want the allowlist %q", o.obj.GetKind(), o.obj.GetName(), v1alpha1.AdoptAnnotation, got, o.obj.GetLabels()[v1alpha1.AllowlistLabel])
					case (!handover || !owned) && marked:
						t.Errorf("handover=%v: %s %s is marked for adoption", handover, o.obj.GetKind(), o.obj.GetName())
					}
				}
			}
		})
	}
}
