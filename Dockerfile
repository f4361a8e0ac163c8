# syntax=docker/dockerfile:1
# The manager's image, for users with Docker: `make docker-build IMG=...`.
#
# Releases are built without Docker by `make image` (internal/imagebuild), which makes
# the same image: a static binary on an empty base, run as the numeric nonroot user
# 65532:65532 (which the chart's and config/manager's securityContext expect), with the
# same entrypoint and labels. test/image checks that this file and internal/imagebuild
# agree on them.
#
# Stage 1 builds the binary (CGO off) on the build machine's platform, cross-compiling
# for the target's; stage 2 ships only that binary. VERSION, REVISION and CREATED (the
# commit's time, RFC 3339) are stamped in the binary, for --version, and in the labels;
# `make docker-build` passes them from git.
FROM --platform=$BUILDPLATFORM golang:1.26 AS builder
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=(devel)
ARG REVISION=unknown
ARG CREATED=unknown
WORKDIR /workspace
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY internal/ internal/
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -buildvcs=false -o /out/manager \
      -ldflags="-s -w -X github.com/vendorallowlist/vendor-allowlist-operator/internal/version.version=${VERSION} -X github.com/vendorallowlist/vendor-allowlist-operator/internal/version.commit=${REVISION} -X github.com/vendorallowlist/vendor-allowlist-operator/internal/version.date=${CREATED}" \
      ./cmd

FROM scratch
ARG VERSION=(devel)
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="vendor-allowlist-operator" \
      org.opencontainers.image.description="Keeps NetworkPolicies in step with SaaS vendors' published allowlist addresses" \
      org.opencontainers.image.source="https://github.com/vendorallowlist/vendor-allowlist-operator" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
WORKDIR /
COPY --from=builder --chmod=0555 /out/manager /manager
USER 65532:65532
ENTRYPOINT ["/manager"]
