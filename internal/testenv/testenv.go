// Package testenv starts a real kube-apiserver and etcd (controller-runtime's envtest)
// with the operator's CRDs installed, for integration tests.
//
// The binaries come from hack/envtest-binaries.sh, which builds them from source and
// prints the directory; `make test` exports it as KUBEBUILDER_ASSETS. A missing binary
// is a test failure, never a skip: a suite that silently skips proves nothing.
package testenv

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/scheme"
)

// RepoRoot is the root of the repository, found from this file's location so tests
// work from any package directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
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
// (internal/thirdpartycrds), before Start returns.
func WithCRDs(crds ...*apiextensionsv1.CustomResourceDefinition) Option {
	return func(env *envtest.Environment) {
		env.CRDs = append(env.CRDs, crds...)
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
