# vendor-allowlist-operator

IMG ?= ghcr.io/vendorallowlist/vendor-allowlist-operator:v0.1.0

# Tools are built once and cached outside the clone, keyed by version.
CACHE_DIR ?= $(or $(VAO_CACHE_DIR),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/vendor-allowlist-operator)
export VAO_CACHE_DIR := $(CACHE_DIR)
CONTROLLER_GEN_VERSION ?= v0.23.0
CONTROLLER_GEN ?= $(CACHE_DIR)/tools/controller-gen-$(CONTROLLER_GEN_VERSION)/controller-gen
# helm and kustomize are built with `go install` by hack/tools.sh (kustomize v5.8.3
# needs a newer Go than the project's).
HELM_VERSION ?= v3.22.0
KUSTOMIZE_VERSION ?= v5.8.2
ACTIONLINT_VERSION ?= v1.7.12
PROMTOOL_VERSION ?= v0.316.0
KREW_VERSION ?= v0.4.3
HELM ?= $(CACHE_DIR)/tools/helm-$(HELM_VERSION)/helm
KUSTOMIZE ?= $(CACHE_DIR)/tools/kustomize-$(KUSTOMIZE_VERSION)/kustomize
ACTIONLINT ?= $(CACHE_DIR)/tools/actionlint-$(ACTIONLINT_VERSION)/actionlint
# promtool unit-tests the alert rules; krew and its validate-krew-manifest check the
# plugin's krew manifest (test/monitoring, test/install).
PROMTOOL ?= $(CACHE_DIR)/tools/promtool-$(PROMTOOL_VERSION)/promtool
KREW ?= $(CACHE_DIR)/tools/krew-$(KREW_VERSION)/krew
VALIDATE_KREW_MANIFEST ?= $(CACHE_DIR)/tools/validate-krew-manifest-$(KREW_VERSION)/validate-krew-manifest
# kubectl for `make install`/`uninstall`: yours (the tests use the one envtest runs).
KUBECTL ?= kubectl
# Builds and pushes the image with the Dockerfile (docker, or podman); `make image`
# needs neither.
CONTAINER_TOOL ?= docker
# What the binaries and the image say they are (--version, OCI labels), from git: the
# version, the commit, and the commit's time as the source date (reproducible builds).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo v0.0.0-devel)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
CREATED = $(shell date -u -d @$(SOURCE_DATE_EPOCH) +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS = -X github.com/vendorallowlist/vendor-allowlist-operator/internal/version.version=$(VERSION) -X github.com/vendorallowlist/vendor-allowlist-operator/internal/version.commit=$(COMMIT) -X github.com/vendorallowlist/vendor-allowlist-operator/internal/version.date=$(CREATED)
# Where `make image` writes the image (OCI layout, archives, SBOMs, build.json).
IMAGE_DIR ?= dist/image

CHART_DIR := charts/vendor-allowlist-operator
# Arguments of `make run`, e.g. make run RUN_ARGS="--dns-server=127.0.0.1:53 --zap-devel".
RUN_ARGS ?= --leader-elect=false --zap-devel

GO_TEST_FLAGS ?= -count=1 -timeout=20m

# The dataplane suite (test/dataplane) needs root: its programs (kube-proxy, kube-router,
# kube-controller-manager) are built only where it can run, as root or in CI, where a
# missing part must fail it. Elsewhere it skips, saying why.
DATAPLANE_ASSETS = $$(if [ "$$(id -u)" = 0 ] || [ -n "$$CI" ]; then hack/dataplane-binaries.sh; fi)

.DEFAULT_GOAL := help

##@ General

.PHONY: help
help: ## Show the targets.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  %-18s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Regenerate deep-copy code, CRDs and RBAC from the API types and markers.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...
	$(CONTROLLER_GEN) crd paths=./api/... output:crd:artifacts:config=config/crd/bases
	$(CONTROLLER_GEN) rbac:roleName=vendor-allowlist-operator-manager paths=./internal/controller/... output:rbac:artifacts:config=config/rbac
	go run ./hack/admission

.PHONY: verify-gen
verify-gen: generate ## Fail when generated files are out of date.
	@git diff --exit-code -- api config charts || (echo "generated files are stale: run 'make generate' and commit" >&2; exit 1)

.PHONY: fmt
fmt: ## gofmt the tree.
	gofmt -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## go vet.
	go vet ./...

.PHONY: test-deps
test-deps: ## Install what the tests need (dnsmasq-base; as root, the dataplane suite's tools), build envtest's control plane and Envoy Gateway's egctl.
	hack/install-test-deps.sh
	hack/envtest-binaries.sh >/dev/null
	hack/egctl.sh >/dev/null

.PHONY: tools
tools: $(HELM) $(KUSTOMIZE) $(ACTIONLINT) $(PROMTOOL) $(KREW) $(VALIDATE_KREW_MANIFEST) ## Install helm, kustomize, actionlint, promtool and krew's tools (go install, cached by version).

# TEST_ASSETS, at the start of a recipe line, exports where the tests find envtest's
# control plane and, as root or in CI, the dataplane's programs (both built once,
# cached by version).
TEST_ASSETS = KUBEBUILDER_ASSETS="$$(hack/envtest-binaries.sh)" && VAO_DATAPLANE_ASSETS="$(DATAPLANE_ASSETS)" && export KUBEBUILDER_ASSETS VAO_DATAPLANE_ASSETS

.PHONY: test
test: test-deps generate vet tools chart-crds build-installer ## Run every test against a real kube-apiserver, etcd and dnsmasq, and the dataplane suite (root).
	$(TEST_ASSETS) && \
	KUBECTL="$$KUBEBUILDER_ASSETS/kubectl" HELM="$(HELM)" KUSTOMIZE="$(KUSTOMIZE)" ACTIONLINT="$(ACTIONLINT)" IMG="$(IMG)" \
	PROMTOOL="$(PROMTOOL)" KREW="$(KREW)" VALIDATE_KREW_MANIFEST="$(VALIDATE_KREW_MANIFEST)" \
	EGCTL="$$(hack/egctl.sh)" \
	  go test $(GO_TEST_FLAGS) ./...

.PHONY: e2e
e2e: test-deps generate ## The dataplane suite alone: real packets through kube-router and kube-proxy in network namespaces (root).
	$(TEST_ASSETS) && go test $(GO_TEST_FLAGS) -v ./test/dataplane/

.PHONY: bench
bench: test-deps ## The scale benchmark (~15 min, not part of make test), then DNS change to first packet on the dataplane: bench/results.json, bench/dataplane.json.
	$(TEST_ASSETS) && rc=0 && \
	{ go test -tags bench -run '^TestBench$$' -v -count=1 -timeout 45m ./test/bench/ || rc=$$?; } && \
	{ go test -tags bench -run TestBench -v -count=1 -timeout 15m ./test/dataplane/ || rc=$$?; } && \
	exit $$rc

.PHONY: bench-scale
bench-scale: test-deps ## The cost curve (~55 min, not part of make test): the benchmark at 1,000 and 10,000 allowlists, the slope between them: bench/results.json (scale).
	$(TEST_ASSETS) && \
	go test -tags bench -run '^TestBenchScale$$' -v -count=1 -timeout 150m ./test/bench/

.PHONY: bench-reconcile
bench-reconcile: test-deps ## What a reconcile of a converged allowlist allocates (about 20 s, not part of make test): BenchmarkReconcileConverged, -benchmem.
	$(TEST_ASSETS) && \
	go test -run '^$$' -bench '^BenchmarkReconcileConverged$$' -benchmem -count=5 ./internal/controller/

# Each target's budget is a count of executions, about what this 2-core machine runs
# in 15 s (in a minute for FuzzRender, which judges each input with cyclonus and
# renders every egress backend). Not a duration: Go 1.26's fuzz coordinator can fail a
# run that found nothing with a bare "context deadline exceeded" as a -fuzztime
# duration ends (golang/go#75804, fixed in Go 1.27); a count has no deadline to race.
# FUZZTIME=10m gives every target that duration instead.
FUZZTIME ?=

.PHONY: fuzz
fuzz: ## A short run of every fuzz target (a count of executions each, or FUZZTIME); their seed corpora run in make test.
	go test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(or $(FUZZTIME),6000x) ./internal/catalog/
	go test -run '^$$' -fuzz '^FuzzRender$$' -fuzztime $(or $(FUZZTIME),80000x) ./internal/render/
	go test -run '^$$' -fuzz '^FuzzCIDR$$' -fuzztime $(or $(FUZZTIME),45000x) ./internal/crdvalidation/
	go test -run '^$$' -fuzz '^FuzzHostname$$' -fuzztime $(or $(FUZZTIME),50000x) ./internal/crdvalidation/
	go test -run '^$$' -fuzz '^FuzzGuard$$' -fuzztime $(or $(FUZZTIME),30000x) ./internal/guard/

##@ Install

.PHONY: chart-crds
chart-crds: generate ## Copy the generated CRDs into the Helm chart's crds/.
	cp config/crd/bases/*.yaml $(CHART_DIR)/crds/

.PHONY: prometheus-rules
prometheus-rules: ## Write config/prometheus/rules.yaml, a PrometheusRule of the chart's files/prometheus-rules.yaml (one source for both installs).
	@{ printf '%s\n' '# Generated by `make prometheus-rules` from $(CHART_DIR)/files/prometheus-rules.yaml: edit that.' \
	    'apiVersion: monitoring.coreos.com/v1' 'kind: PrometheusRule' 'metadata:' '  name: vendor-allowlist-operator' \
	    '  namespace: system' '  labels:' '    app.kubernetes.io/name: vendor-allowlist-operator' \
	    '    app.kubernetes.io/component: manager' 'spec:'; \
	  grep -v '^#' $(CHART_DIR)/files/prometheus-rules.yaml | sed 's/^/  /'; } > config/prometheus/rules.yaml

.PHONY: helm-lint
helm-lint: $(HELM) chart-crds ## helm lint the chart, with its default values and every ci/ values file.
	$(HELM) lint --strict $(CHART_DIR)
	@for f in $(CHART_DIR)/ci/*.yaml; do echo "$(HELM) lint --strict $(CHART_DIR) -f $$f"; $(HELM) lint --strict $(CHART_DIR) -f $$f || exit 1; done

.PHONY: build-installer
# Two files, because they are removed differently: dist/install.yaml is the operator,
# and deleting it leaves every allowlist and NetworkPolicy in place; dist/crds.yaml (the
# CRDs and the namespace) is applied first and deleted only to remove every allowlist,
# and with them their policies, on purpose (docs/install.md, Uninstall).
build-installer: generate $(KUSTOMIZE) ## Write dist/crds.yaml (CRDs, namespace) and dist/install.yaml (RBAC, manager, admission) with the image IMG.
	@mkdir -p dist
	$(KUSTOMIZE) build config/crd > dist/crds.yaml
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && cp -r config "$$tmp/" && \
	  (cd "$$tmp/config/manager" && $(KUSTOMIZE) edit set image controller=$(IMG)) && \
	  $(KUSTOMIZE) build "$$tmp/config/default" > dist/install.yaml
	@echo "wrote dist/crds.yaml and dist/install.yaml (image $(IMG))"

.PHONY: chart-package
chart-package: $(HELM) ## Package the chart for a release into dist/chart: VERSION=vX.Y.Z IMAGE_DIGEST=sha256:... (the pushed image).
	HELM=$(HELM) hack/chart-package.sh $(VERSION) $(IMAGE_DIGEST) dist/chart

.PHONY: plugin-archives
plugin-archives: ## The kubectl plugin's release archives for linux, darwin, windows (amd64, arm64) and checksums.txt into dist/plugin: VERSION=vX.Y.Z.
	hack/plugin-archives.sh $(VERSION) dist/plugin

.PHONY: krew-manifest
krew-manifest: ## The krew manifest of the plugin archives in dist/plugin (make plugin-archives first): dist/plugin/vendorallowlist.yaml, VERSION=vX.Y.Z.
	go run ./hack/krew-manifest -version $(VERSION) -archives dist/plugin -o dist/plugin/vendorallowlist.yaml

.PHONY: release-docs-check
release-docs-check: ## Fail unless the README and docs name the release VERSION=vX.Y.Z where they install a release (the release workflow runs it first).
	hack/release-docs-check.sh $(VERSION)

.PHONY: set-image
set-image: $(KUSTOMIZE) ## Make IMG the default image of the chart (values.yaml, appVersion) and of config/manager.
	@repo='$(IMG)'; repo=$${repo%:*}; tag='$(IMG)'; tag=$${tag##*:}; \
	  sed -i -e "/^image:/,/^[^ ]/ s#^  repository: .*#  repository: $$repo#" \
	         -e "/^image:/,/^[^ ]/ s#^  tag: .*#  tag: $$tag#" $(CHART_DIR)/values.yaml && \
	  sed -i "s#^appVersion: .*#appVersion: \"$$tag\"#" $(CHART_DIR)/Chart.yaml
	cd config/manager && $(KUSTOMIZE) edit set image controller=$(IMG)

.PHONY: install
install: generate $(KUSTOMIZE) ## Install the CRDs (and the operator's namespace) into the cluster of the current kubeconfig.
	$(KUSTOMIZE) build config/crd | $(KUBECTL) apply --server-side -f -

.PHONY: uninstall
uninstall: $(KUSTOMIZE) ## Remove the CRDs and the namespace: every VendorAllowlist and Vendor, and so every NetworkPolicy they own.
	$(KUSTOMIZE) build config/crd | $(KUBECTL) delete --ignore-not-found -f -

.PHONY: run
run: generate ## Run the manager against the current kubeconfig (make install first; RUN_ARGS for flags).
	go run ./cmd $(RUN_ARGS)

##@ Build

.PHONY: build
build: generate ## Build the manager and the kubectl plugin into bin/ (--version from git).
	go build -ldflags "$(LDFLAGS)" -o bin/manager ./cmd
	go build -ldflags "$(LDFLAGS)" -o bin/kubectl-vendorallowlist ./cmd/kubectl-vendorallowlist

.PHONY: image
image: ## Build the manager's image (linux/amd64, linux/arm64) without Docker into IMAGE_DIR: OCI layout, archives tagged IMG, SBOMs.
	go run ./hack/image build --out $(IMAGE_DIR) --tag $(IMG) --version $(VERSION) --commit $(COMMIT) --source-date-epoch $(SOURCE_DATE_EPOCH)

.PHONY: image-push
image-push: ## Push the image `make image` wrote to IMG (docker login first), with its SBOMs; prints REPO@DIGEST.
	go run ./hack/image push --dir $(IMAGE_DIR) --image $(IMG)

.PHONY: docker-build
docker-build: ## Build the manager's image IMG with the Dockerfile (needs docker or CONTAINER_TOOL=podman).
	$(CONTAINER_TOOL) build -t $(IMG) --build-arg VERSION=$(VERSION) --build-arg REVISION=$(COMMIT) \
	  --build-arg CREATED=$(CREATED) --build-arg SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) .

.PHONY: docker-push
docker-push: ## Push the image IMG.
	$(CONTAINER_TOOL) push $(IMG)

.PHONY: demo
demo: build test-deps ## A local control plane, the operator, DNS and every sample: policies, status, a DNS change.
	hack/demo.sh

$(CONTROLLER_GEN):
	GOBIN=$(dir $(CONTROLLER_GEN)) GOFLAGS=-mod=mod go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_GEN_VERSION)

$(HELM):
	HELM_VERSION=$(HELM_VERSION) hack/tools.sh path helm >/dev/null

$(KUSTOMIZE):
	KUSTOMIZE_VERSION=$(KUSTOMIZE_VERSION) hack/tools.sh path kustomize >/dev/null

$(ACTIONLINT):
	ACTIONLINT_VERSION=$(ACTIONLINT_VERSION) hack/tools.sh path actionlint >/dev/null

$(PROMTOOL):
	PROMTOOL_VERSION=$(PROMTOOL_VERSION) hack/tools.sh path promtool >/dev/null

$(KREW):
	KREW_VERSION=$(KREW_VERSION) hack/tools.sh path krew >/dev/null

$(VALIDATE_KREW_MANIFEST):
	KREW_VERSION=$(KREW_VERSION) hack/tools.sh path validate-krew-manifest >/dev/null
