/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package main

import (
	"fmt"
	"strings"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// writeTargets writes what the allowlist's ingress targets render, after its
// policies, each object after a comment saying what it is: an object the operator
// creates and owns (the manager adds its owner reference), or the server-side apply
// patch of the one field the operator owns of the user's Service or Ingress. A target
// with no address yet is not printed: the manager writes nothing for it either, since
// an empty list there would let every address in.
// It returns the hazards of the targets left unrendered.
func writeTargets(b *strings.Builder, src sourced[v1alpha1.VendorAllowlist], result render.Result) (unrendered []string, err error) {
	for _, rt := range result.Targets {
		for _, o := range rt.Objects {
			obj := o.Object
			if rt.Addresses == 0 {
				unrendered = append(unrendered, fmt.Sprintf("%s: %s: %s: no ingress address is known, so %s %s is not rendered (the manager writes it once one is)",
					src.file, src.ref, rt.Path(), obj.GetKind(), obj.GetName()))
				continue
			}
			y, err := objectYAML(obj.Object)
			if err != nil {
				return unrendered, fmt.Errorf("encoding %s %s: %w", obj.GetKind(), obj.GetName(), err)
			}
			fmt.Fprintf(b, "---\n# Rendered from %s (%s), %s (%s):\n# %s\n%s", src.ref, src.file, rt.Path(), rt.Kind, targetComment(src.obj, o), y)
		}
	}
	return unrendered, nil
}

func targetComment(a *v1alpha1.VendorAllowlist, o render.TargetObject) string {
	obj := o.Object
	if o.Owned {
		if obj.GetAnnotations()[v1alpha1.AdoptAnnotation] != "" {
			return fmt.Sprintf("a %s the operator creates and owns; handed over (--handover), it adopts this one once the allowlist exists.", obj.GetKind())
		}
		return fmt.Sprintf("a %s the operator creates and owns; applied by hand it stays yours (the allowlist reports a conflict) unless rendered with --handover.", obj.GetKind())
	}
	field := "spec.loadBalancerSourceRanges"
	for k := range obj.GetAnnotations() {
		field = "the annotation " + k
	}
	return fmt.Sprintf("not a whole object: the server-side apply patch of %s of the existing %s %s, which the operator applies with\n# field manager %s. Apply it alone with kubectl apply --server-side --field-manager=%s.",
		field, obj.GetKind(), obj.GetName(), v1alpha1.TargetFieldManager(a.Name), v1alpha1.TargetFieldManager(a.Name))
}
