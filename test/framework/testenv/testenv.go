/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package testenv starts a real kube-apiserver and etcd (controller-runtime's envtest)
// with the operator's CRDs installed, for integration tests.
//
// The binaries come from hack/envtest-binaries.sh, which builds them from source and
// prints the directory; `make test` exports it as KUBEBUILDER_ASSETS. A missing binary
// is a test failure, never a skip: a suite that silently skips proves nothing.
package testenv

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/logging"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/scheme"
)

// RepoRoot is the root of the repository, found from this file's location so tests
// work from any package directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// DocumentationRanges are the addresses tests use for vendors and DNS answers
// (RFC 5737, RFC 3849). The guard refuses them, as not globally reachable, unless an
// admin allows them: tests' managers are started with them as --guard-allow-cidr.
var DocumentationRanges = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// The cluster's own ranges as tests tell the manager with --cluster-cidr: a pod CIDR
// and a service CIDR that hold none of the tests' other addresses (10.0.0.5, say, is
// a plain private address outside both).
var (
	PodCIDR      = netip.MustParsePrefix("10.244.0.0/16")
	ServiceCIDR  = netip.MustParsePrefix("10.96.0.0/12")
	ClusterCIDRs = []netip.Prefix{PodCIDR, ServiceCIDR}
)

// Scheme holds the built-in types and the operator's API.
func Scheme() *k8sruntime.Scheme { return scheme.New() }

// Codecs decodes manifests of the operator's types and built-in types.
func Codecs() serializer.CodecFactory { return serializer.NewCodecFactory(Scheme()) }

// Env is a running control plane.
type Env struct {
	*envtest.Environment
	Config *rest.Config
}

// Option changes how the control plane is started.
type Option func(*envtest.Environment)

// WithAPIServerArg sets a kube-apiserver flag, e.g. WithAPIServerArg(
// "service-cluster-ip-range", "10.96.0.0/12"), replacing envtest's value if it has one.
func WithAPIServerArg(name, value string) Option {
	return func(env *envtest.Environment) {
		env.ControlPlane.GetAPIServer().Configure().Set(name, value)
	}
}

// WithCRDs installs these CRDs too, such as another project's
// (test/framework/thirdpartycrds), before Start returns.
func WithCRDs(crds ...*apiextensionsv1.CustomResourceDefinition) Option {
	return func(env *envtest.Environment) {
		env.CRDs = append(env.CRDs, crds...)
	}
}

// WithoutOperatorCRDs starts the control plane without the operator's CRDs, for a test
// that installs them as a user would (with Helm, or dist/crds.yaml).
func WithoutOperatorCRDs() Option {
	return func(env *envtest.Environment) {
		env.CRDDirectoryPaths = nil
	}
}

// Start starts etcd and kube-apiserver with the CRDs from config/crd/bases.
func Start(opts ...Option) (*Env, error) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		return nil, fmt.Errorf("KUBEBUILDER_ASSETS is not set: run `make test`, or export KUBEBUILDER_ASSETS=$(hack/envtest-binaries.sh)")
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(assets, bin)); err != nil {
			return nil, fmt.Errorf("envtest binary %s missing from KUBEBUILDER_ASSETS=%s (build it with hack/envtest-binaries.sh): %w", bin, assets, err)
		}
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(RepoRoot(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	for _, o := range opts {
		o(env)
	}
	cfg, err := env.Start()
	if err != nil {
		// A failed CRD install leaves etcd and kube-apiserver running: stop them.
		_ = env.Stop()
		return nil, fmt.Errorf("starting envtest control plane: %w", err)
	}
	return &Env{Environment: env, Config: cfg}, nil
}

// StartSuite starts the control plane for a test package's TestMain, with a client
// that reads and writes the API server directly (so tests see the truth, not a
// manager's label-filtered cache), the managers' logger (warnings and errors;
// TEST_VERBOSE_MANAGER=1 shows everything) and the kube-system namespace, which the
// rendered egress policies open for DNS.
func StartSuite(opts ...Option) (*Env, client.Client, error) {
	level := zapcore.Level(1)
	if os.Getenv("TEST_VERBOSE_MANAGER") != "" {
		level = -2
	}
	ctrl.SetLogger(logging.Deferred(zap.New(zap.UseDevMode(true), zap.WriteTo(os.Stderr), zap.Level(level))))
	env, err := Start(opts...)
	if err != nil {
		return nil, nil, err
	}
	c, err := client.New(env.Config, client.Options{Scheme: Scheme()})
	if err == nil {
		err = client.IgnoreAlreadyExists(c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-system"}}))
	}
	if err != nil {
		_ = env.Stop()
		return nil, nil, fmt.Errorf("preparing the control plane: %w", err)
	}
	return env, c, nil
}

// PolicyCIDRs lists every ipBlock of a NetworkPolicy's rules, both directions, sorted.
func PolicyCIDRs(np *networkingv1.NetworkPolicy) []string {
	var out []string
	for _, r := range np.Spec.Egress {
		for _, p := range r.To {
			if p.IPBlock != nil {
				out = append(out, p.IPBlock.CIDR)
			}
		}
	}
	for _, r := range np.Spec.Ingress {
		for _, p := range r.From {
			if p.IPBlock != nil {
				out = append(out, p.IPBlock.CIDR)
			}
		}
	}
	slices.Sort(out)
	return out
}
