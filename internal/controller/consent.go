/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// Whoever may write a VendorAllowlist must not, through the operator, change an
// object they could not change themselves: the operator writes into an object it did
// not create (a Service's source ranges, an Ingress annotation) or attaches a policy
// to one (a Gateway, a route, the pods a selector matches) only when that object's
// owner consented, by an annotation on the object itself, or when the cluster admin
// allowed the kind in the namespace, by an annotation on the Namespace. Tenants can
// edit neither. And it never writes over a restriction someone else set.

// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=gateways;httproutes;grpcroutes;tcproutes,verbs=get

// consentRecheck is how often an allowlist whose target lacks consent is looked at
// again: consent on a Namespace or a Gateway API object comes without an event the
// operator watches (a Service's or an Ingress's does, and is seen at once).
const consentRecheck = time.Minute

// consentSubject is the object whose owner must consent to a target: the object it
// writes into or attaches to. Empty when there is none (a Traefik Middleware no
// Ingress names, which attaches to nothing by itself; an Istio selector, which only
// the namespace's admin can allow).
type consentSubject struct {
	kind schema.GroupKind
	name string
}

func (s consentSubject) kubectlRef() string {
	if s.kind.Group == "" || s.kind.Group == networkingv1.GroupName {
		return strings.ToLower(s.kind.Kind) + "/" + s.name
	}
	return strings.ToLower(s.kind.Kind) + "." + s.kind.Group + "/" + s.name
}

// consentOf is whose consent the target at rt.Index needs.
func consentOf(allowlist *v1alpha1.VendorAllowlist, rt render.RenderedTarget) (render.Kind, render.Consent, consentSubject) {
	kind, t := targetOf(allowlist, rt)
	c := kind.Consent(allowlist, t)
	return kind, c, consentSubject{c.Kind, c.Name}
}

// namesAllowlist: the value of AllowAllowlistsAnnotation names the allowlist, or is "*".
func namesAllowlist(value, allowlist string) bool {
	for _, f := range strings.Split(value, ",") {
		if f = strings.TrimSpace(f); f == allowlist || f == "*" {
			return true
		}
	}
	return false
}

// namespaceAllows: the value of NamespaceIngressTargetsAnnotation lists the kind.
func namespaceAllows(value string, kind render.TargetKind) bool {
	for _, f := range strings.Split(value, ",") {
		if render.TargetKind(strings.TrimSpace(f)) == kind {
			return true
		}
	}
	return false
}

// consentCheck reads, at most once per reconcile, the annotation of the allowlist's
// Namespace.
type consentCheck struct {
	r         *VendorAllowlistReconciler
	allowlist *v1alpha1.VendorAllowlist
	nsRead    bool
	nsValue   string
	nsProblem string
}

func (r *VendorAllowlistReconciler) newConsentCheck(allowlist *v1alpha1.VendorAllowlist) *consentCheck {
	return &consentCheck{r: r, allowlist: allowlist}
}

// namespaceValue is the Namespace's NamespaceIngressTargetsAnnotation, read from the
// API server (the operator does not watch Namespaces: that would take list and
// watch on every Namespace of the cluster).
func (c *consentCheck) namespaceValue(ctx context.Context) (string, error) {
	if c.nsRead {
		return c.nsValue, nil
	}
	ns := partialMetadata(corev1.SchemeGroupVersion.WithKind("Namespace"), client.ObjectKey{Name: c.allowlist.Namespace})
	switch err := c.r.APIReader.Get(ctx, client.ObjectKey{Name: c.allowlist.Namespace}, ns); {
	case apierrors.IsForbidden(err):
		c.nsProblem = fmt.Sprintf(" (the operator may not read Namespace %s: %s)", c.allowlist.Namespace, apiMessage(err))
	case err != nil:
		return "", fmt.Errorf("reading Namespace %s for the admin's consent to ingress targets: %w", c.allowlist.Namespace, err)
	default:
		c.nsValue = ns.GetAnnotations()[v1alpha1.NamespaceIngressTargetsAnnotation]
	}
	c.nsRead = true
	return c.nsValue, nil
}

// given says whether the target may be written: "" when it may, else the message
// of a ConsentMissing status, naming the annotation and the command that gives it.
// An Ingress that does not exist is left to be reported as NotFound where it would
// be written, and its consent is checked again there (givenBy), on the object
// written.
func (c *consentCheck) given(ctx context.Context, rt render.RenderedTarget) (string, error) {
	kind, consent, subject := consentOf(c.allowlist, rt)
	if _, owned := kind.Owned(); !consent.Needed || !owned {
		// A kind that only sets a field of the one object it names is checked there
		// (givenBy), after what someone else restricts, which is released even
		// without consent.
		return "", nil
	}
	if ok, err := c.namespaceAllows(ctx, rt.Kind); ok || err != nil {
		return "", err
	}
	if subject.name == "" {
		return fmt.Sprintf("%s, so only the cluster admin can allow it, by listing %s in the annotation %s of the Namespace: %s%s. %s",
			consent.AdminOnly, rt.Kind, v1alpha1.NamespaceIngressTargetsAnnotation, c.adminCommand(rt.Kind), c.nsProblem, consent.Otherwise), nil
	}
	if f := slices.IndexFunc(kind.Fields(), func(f render.FieldObject) bool { return f.Kind.GroupKind() == subject.kind }); f >= 0 {
		obj, err := c.r.targetUserObject(ctx, kind.Fields()[f].Kind, client.ObjectKey{Namespace: c.allowlist.Namespace, Name: subject.name})
		if err != nil || obj == nil {
			return "", err
		}
		return c.judge(rt, subject, obj.GetAnnotations()[v1alpha1.AllowAllowlistsAnnotation], ""), nil
	}
	value, problem, err := c.gatewayObjectValue(ctx, subject)
	if err != nil {
		return "", err
	}
	return c.judge(rt, subject, value, problem), nil
}

// givenBy is given for the user's object of kind about to be written, as read then.
func (c *consentCheck) givenBy(ctx context.Context, rt render.RenderedTarget, obj client.Object, kind schema.GroupKind) (string, error) {
	if ok, err := c.namespaceAllows(ctx, rt.Kind); ok || err != nil {
		return "", err
	}
	subject := consentSubject{kind, obj.GetName()}
	return c.judge(rt, subject, obj.GetAnnotations()[v1alpha1.AllowAllowlistsAnnotation], ""), nil
}

func (c *consentCheck) namespaceAllows(ctx context.Context, kind render.TargetKind) (bool, error) {
	v, err := c.namespaceValue(ctx)
	return err == nil && namespaceAllows(v, kind), err
}

func (c *consentCheck) adminCommand(kind render.TargetKind) string {
	cmd := fmt.Sprintf("kubectl annotate namespace %s %s=%s", c.allowlist.Namespace, v1alpha1.NamespaceIngressTargetsAnnotation, appendValue(c.nsValue, string(kind)))
	if c.nsValue != "" {
		cmd += " --overwrite"
	}
	return cmd
}

// judge: "" when value (the subject's AllowAllowlistsAnnotation) names the
// allowlist and nothing kept it from being read (problem), else why not and how to
// consent.
func (c *consentCheck) judge(rt render.RenderedTarget, subject consentSubject, value, problem string) string {
	name := c.allowlist.Name
	if problem == "" && namesAllowlist(value, name) {
		return ""
	}
	if problem == "" {
		problem = fmt.Sprintf("its annotation %s does not name allowlist %s", v1alpha1.AllowAllowlistsAnnotation, name)
		if value == "" {
			problem = fmt.Sprintf("it has no annotation %s", v1alpha1.AllowAllowlistsAnnotation)
		}
	}
	ownerCmd := fmt.Sprintf("kubectl annotate -n %s %s %s=%s", c.allowlist.Namespace, subject.kubectlRef(), v1alpha1.AllowAllowlistsAnnotation, appendValue(value, name))
	if value != "" {
		ownerCmd += " --overwrite"
	}
	return fmt.Sprintf("The owner of %s %s has not consented to this allowlist writing into it or attaching to it (%s): the operator changes an object it did not create only with its owner's consent. Its owner consents with %s; or the cluster admin allows %s targets in the whole namespace with %s%s",
		subject.kind.Kind, subject.name, problem, ownerCmd, rt.Kind, c.adminCommand(rt.Kind), c.nsProblem)
}

// gatewayObjectValue is the AllowAllowlistsAnnotation of a Gateway API object, whose
// metadata is read from the API server (the operator does not watch them). problem
// says why there is none to read.
func (c *consentCheck) gatewayObjectValue(ctx context.Context, s consentSubject) (value, problem string, err error) {
	ns := c.allowlist.Namespace
	key := client.ObjectKey{Namespace: ns, Name: s.name}
	mapping, err := c.r.RESTMapper().RESTMapping(s.kind)
	if meta.IsNoMatchError(err) {
		return "", fmt.Sprintf("the API server does not serve %s: Gateway API is not installed", s.kind), nil
	} else if err != nil {
		return "", "", fmt.Errorf("finding the version of %s: %w", s.kind, err)
	}
	o := partialMetadata(mapping.GroupVersionKind, key)
	switch err := c.r.APIReader.Get(ctx, key, o); {
	case apierrors.IsNotFound(err):
		return "", fmt.Sprintf("%s %s does not exist in namespace %s", s.kind.Kind, s.name, ns), nil
	case err != nil:
		return "", "", fmt.Errorf("reading %s %s/%s for its owner's consent: %w", s.kind.Kind, ns, s.name, err)
	case !o.GetDeletionTimestamp().IsZero():
		return "", fmt.Sprintf("%s %s is being deleted", s.kind.Kind, s.name), nil
	}
	return o.GetAnnotations()[v1alpha1.AllowAllowlistsAnnotation], "", nil
}

// appendValue adds item to a comma-separated list, for the command a message gives.
func appendValue(list, item string) string {
	var out []string
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f != "" && f != item {
			out = append(out, f)
		}
	}
	return strings.Join(append(out, item), ",")
}
