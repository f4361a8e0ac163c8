/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package crdvalidation checks VendorAllowlist and Vendor objects without a cluster,
// against the generated CRDs themselves (embedded from config/crd/bases), with the
// code the API server runs on create (k8s.io/apiextensions-apiserver), in its order:
//
//  1. decode: JSON, case-sensitive, a field given twice is an error;
//  2. prune: fields the schema does not have are dropped, and reported (Unknown),
//     as the server reports them to a client asking for strict field validation;
//  3. default: the schema's defaults (allowDNS: true, protocol: TCP, ...) are filled in;
//  4. validate: object metadata, the OpenAPI schema (types, formats, enums, min/max,
//     maxItems, maxLength, required), x-kubernetes-list-type set and map uniqueness,
//     and, unless one of those found a blocking error, the CEL rules
//     (x-kubernetes-validations) with the Kubernetes CEL libraries (isCIDR, cidr(),
//     isIP, ...).
//
// There is no copy of any rule here: a limit or a rule changed in api/v1alpha1 and
// regenerated with `make generate` is what this package enforces. The table in
// validationtest runs every case through this package and through a real
// kube-apiserver (api/v1alpha1's envtest test), and requires the same errors.
//
// The package is for the kubectl plugin and tests; the manager does not link it (the
// API server has validated everything the manager reads).
package crdvalidation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sync"

	apiextensions "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/api/operation"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	validationpath "k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/storage/names"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	crds "github.com/vendorallowlist/vendor-allowlist-operator/config/crd/bases"
)

// Validator validates objects of the kinds its CRDs define. It is safe for
// concurrent use.
type Validator struct {
	kinds map[schema.GroupVersionKind]*kind
}

// kind is what the API server builds for one served version of a CRD.
type kind struct {
	gvk        schema.GroupVersionKind
	namespaced bool
	hasStatus  bool
	structural *structuralschema.Structural
	schema     apiservervalidation.SchemaValidator
	cel        *cel.Validator
}

var embedded = sync.OnceValues(func() (*Validator, error) { return FromFS(crds.FS) })

// Default returns the validator of the CRDs embedded in the binary. It panics if they
// do not load, which the package's tests rule out.
func Default() *Validator {
	v, err := embedded()
	if err != nil {
		panic(fmt.Sprintf("crdvalidation: the embedded CRDs: %v", err))
	}
	return v
}

// FromFS returns a validator of the CRDs in the *.yaml files at the root of fsys.
func FromFS(fsys fs.FS) (*Validator, error) {
	files, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, errors.New("no *.yaml CRD files")
	}
	var defs []*apiextensionsv1.CustomResourceDefinition
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(data, crd); err != nil {
			return nil, fmt.Errorf("%s: %w", path.Base(f), err)
		}
		defs = append(defs, crd)
	}
	return New(defs...)
}

// New returns a validator of the served versions of crds.
func New(crds ...*apiextensionsv1.CustomResourceDefinition) (*Validator, error) {
	v := &Validator{kinds: map[schema.GroupVersionKind]*kind{}}
	for _, crd := range crds {
		if crd.Kind != "CustomResourceDefinition" {
			return nil, fmt.Errorf("%s %q: not a CustomResourceDefinition", crd.Kind, crd.Name)
		}
		for i := range crd.Spec.Versions {
			ver := &crd.Spec.Versions[i]
			if !ver.Served {
				continue
			}
			k, err := newKind(crd, ver)
			if err != nil {
				return nil, fmt.Errorf("CRD %s, version %s: %w", crd.Name, ver.Name, err)
			}
			v.kinds[k.gvk] = k
		}
	}
	return v, nil
}

// newKind builds the schema validators as the API server's CRD handler does.
func newKind(crd *apiextensionsv1.CustomResourceDefinition, ver *apiextensionsv1.CustomResourceDefinitionVersion) (*kind, error) {
	if ver.Schema == nil || ver.Schema.OpenAPIV3Schema == nil {
		return nil, errors.New("no schema")
	}
	internal := &apiextensions.CustomResourceValidation{}
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(ver.Schema, internal, nil); err != nil {
		return nil, fmt.Errorf("converting the schema: %w", err)
	}
	structural, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("not a structural schema: %w", err)
	}
	if errs := structuralschema.ValidateStructural(nil, structural); len(errs) > 0 {
		return nil, fmt.Errorf("not a structural schema: %w", errs.ToAggregate())
	}
	structural = structural.DeepCopy()
	if err := structuraldefaulting.PruneDefaults(structural); err != nil {
		return nil, fmt.Errorf("pruning defaults: %w", err)
	}
	schemaValidator, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("OpenAPI schema: %w", err)
	}
	return &kind{
		gvk:        schema.GroupVersionKind{Group: crd.Spec.Group, Version: ver.Name, Kind: crd.Spec.Names.Kind},
		namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
		hasStatus:  ver.Subresources != nil && ver.Subresources.Status != nil,
		structural: structural,
		schema:     schemaValidator,
		cel:        cel.NewValidator(structural, true, celconfig.PerCallLimit),
	}, nil
}

// Kinds lists the kinds the validator knows, sorted.
func (v *Validator) Kinds() []schema.GroupVersionKind {
	out := make([]schema.GroupVersionKind, 0, len(v.kinds))
	for gvk := range v.kinds {
		out = append(out, gvk)
	}
	slices.SortFunc(out, func(a, b schema.GroupVersionKind) int { return cmp.Compare(a.String(), b.String()) })
	return out
}

// Result is what the API server makes of an object it is asked to create.
type Result struct {
	// Object is the object as the server would store it: pruned, defaulted, without
	// status, and with a name generated from generateName if it had none.
	Object *unstructured.Unstructured
	// Unknown are the fields the CRD does not have, which the server drops (or, asked
	// for strict field validation as kubectl does, refuses).
	Unknown []UnknownField
	// Errors are what the server's 422 Invalid answer would list, in its order.
	Errors field.ErrorList
}

// OK reports whether the object is valid and has no unknown field.
func (r *Result) OK() bool { return len(r.Unknown) == 0 && len(r.Errors) == 0 }

// UnknownField is a field the schema does not have, with what was probably meant.
type UnknownField struct {
	// Path is where it is, as the server writes it: spec.vendors[0].port.
	Path string
	// Hint says what to write instead.
	Hint string
}

func (u UnknownField) Error() string { return u.Path + ": Unknown field: " + u.Hint }

// ErrUnknownKind is returned for an object of a kind the validator has no CRD for.
var ErrUnknownKind = errors.New("no CRD for this apiVersion and kind")

// ValidateJSON decodes one JSON object and validates it for create in namespace,
// which a namespaced object that names none is created in (as kubectl's -n). The
// error is for input that is not an object of a known kind: not JSON, not an object,
// a field given twice, an apiVersion and kind with no CRD (ErrUnknownKind).
func (v *Validator) ValidateJSON(data []byte, namespace string) (*Result, error) {
	var obj map[string]any
	strict, err := sigsjson.UnmarshalStrict(data, &obj, sigsjson.DisallowDuplicateFields)
	if err != nil {
		return nil, err
	}
	if len(strict) > 0 {
		return nil, errors.Join(strict...)
	}
	if obj == nil {
		return nil, errors.New("not an object")
	}
	return v.Validate(obj, namespace)
}

// Validate validates a JSON object decoded with whole numbers as int64 (as
// sigs.k8s.io/json decodes them for the server) for create in namespace, as the API
// server does after decoding. obj is changed: pruned, defaulted, without status.
func (v *Validator) Validate(obj map[string]any, namespace string) (*Result, error) {
	u := &unstructured.Unstructured{Object: obj}
	k, ok := v.kinds[u.GroupVersionKind()]
	if !ok {
		return nil, fmt.Errorf("apiVersion %q, kind %q: %w", u.GetAPIVersion(), u.GetKind(), ErrUnknownKind)
	}
	unknown, err := k.coerce(u)
	if err != nil {
		return nil, err
	}
	// PrepareForCreate and BeforeCreate: status is the controller's, a cluster-scoped
	// object has no namespace, and a name is generated from generateName. Defaulting
	// after dropping status gives what the server stores: the status' own defaults
	// (observedGeneration: -1 until the operator writes one) appear.
	if k.hasStatus {
		delete(u.Object, "status")
	}
	structuraldefaulting.Default(u.Object, k.structural)
	switch {
	case !k.namespaced:
		u.SetNamespace("")
	case u.GetNamespace() == "":
		u.SetNamespace(namespace)
	}
	if u.GetName() == "" && u.GetGenerateName() != "" {
		u.SetName(names.SimpleNameGenerator.GenerateName(u.GetGenerateName()))
	}

	res := &Result{Object: u, Errors: k.validate(u)}
	for _, p := range unknown {
		res.Unknown = append(res.Unknown, UnknownField{Path: p, Hint: unknownFieldHint(k.structural, p)})
	}
	return res, nil
}

// coerce is the server's decoding step after JSON (unstructuredSchemaCoercer): it
// prunes what the schema does not have, and returns the paths it pruned.
func (k *kind) coerce(u *unstructured.Unstructured) ([]string, error) {
	apiVersion, kindName := u.GetAPIVersion(), u.GetKind()
	meta, hasMeta, unknown, err := schemaobjectmeta.GetObjectMetaWithOptions(u.Object, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	unknown = append(unknown, pruning.PruneWithOptions(u.Object, k.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(u.Object, k.structural)
	ferr, embedded := schemaobjectmeta.CoerceWithOptions(nil, u.Object, k.structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	if ferr != nil {
		return nil, ferr
	}
	unknown = append(unknown, embedded...)
	u.SetAPIVersion(apiVersion)
	u.SetKind(kindName)
	if hasMeta {
		if err := schemaobjectmeta.SetObjectMeta(u.Object, meta); err != nil {
			return nil, fmt.Errorf("metadata: %w", err)
		}
	}
	return unknown, nil
}

// validate is the custom resource strategy's Validate for create, followed by the
// generic object metadata checks the server runs when that found nothing.
func (k *kind) validate(u *unstructured.Unstructured) field.ErrorList {
	ctx := context.Background()
	meta, metaErrs := objectMeta(u)
	if len(metaErrs) > 0 {
		return metaErrs
	}
	errs := apimachineryvalidation.ValidateObjectMetaDeclaratively(ctx, operation.Create, meta, nil, k.namespaced,
		apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"), false)
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, u.Object, k.schema)...)
	errs = append(errs, schemaobjectmeta.Validate(ctx, nil, u.Object, k.structural, false)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, k.structural, u.Object)...)
	if blocked := blocking(errs); blocked != nil {
		errs = append(errs, blocked)
	} else {
		celErrs, _ := k.cel.Validate(ctx, nil, k.structural, u.Object, nil, celconfig.RuntimeCELCostBudget)
		errs = append(errs, celErrs...)
	}
	if len(errs) == 0 {
		errs = apimachineryvalidation.ValidateObjectMetaAccessor(u, k.namespaced, validationpath.ValidatePathSegmentName, field.NewPath("metadata"))
	}
	return errs
}

// RulesNotChecked is the error the server adds instead of running the CEL rules when
// the schema found an error that makes them unsafe to run.
const RulesNotChecked = "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"

func blocking(errs field.ErrorList) *field.Error {
	for _, e := range errs {
		switch e.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return field.Invalid(nil, nil, RulesNotChecked)
		}
	}
	return nil
}

func objectMeta(u *unstructured.Unstructured) (*metav1.ObjectMeta, field.ErrorList) {
	raw, ok := u.Object["metadata"]
	if !ok || raw == nil {
		return &metav1.ObjectMeta{}, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, field.ErrorList{field.Invalid(field.NewPath("metadata"), raw, fmt.Sprintf("expected map[string]interface{}, got %T", raw))}
	}
	meta := &metav1.ObjectMeta{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, meta); err != nil {
		return nil, field.ErrorList{field.Invalid(field.NewPath("metadata"), raw, err.Error())}
	}
	return meta, nil
}
