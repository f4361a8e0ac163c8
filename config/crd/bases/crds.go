/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package crds embeds the CustomResourceDefinitions that `make generate` writes here
// from the markers in api/v1alpha1, so that a binary can validate objects offline
// against exactly what the API server is given (internal/crdvalidation).
//
// It lives beside the YAML because go:embed reads only files in or below the package's
// own directory; kubectl, kustomize and envtest read only the .yaml files here.
package crds

import "embed"

// FS holds every generated CRD, one per *.yaml file.
//
//go:embed *.yaml
var FS embed.FS
