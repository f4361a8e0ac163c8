# syntax=docker/dockerfile:1
# The manager's image: `make docker-build IMG=...` (the Makefile's IMG names it, and
# flows into the Helm chart's default values and dist/install.yaml).
#
# Stage 1 builds a static binary (CGO off) on the build machine's platform, cross-
# compiling for the target's; stage 2 ships only that binary on distroless, as the
# nonroot user (65532), which the chart's and config/manager's securityContext expect.
FROM --platform=$BUILDPLATFORM golang:1.26 AS builder
ARG TARGETOS
ARG TARGETARCH
WORKDIR /workspace
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY internal/ internal/
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o /out/manager ./cmd

FROM gcr.io/distroless/static:nonroot
LABEL org.opencontainers.image.title="vendor-allowlist-operator" \
      org.opencontainers.image.description="Keeps NetworkPolicies in step with SaaS vendors' published allowlist addresses" \
      org.opencontainers.image.source="https://github.com/vendorallowlist/vendor-allowlist-operator"
WORKDIR /
COPY --from=builder /out/manager /manager
USER 65532:65532
ENTRYPOINT ["/manager"]
