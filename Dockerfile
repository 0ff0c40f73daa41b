# syntax=docker/dockerfile:1
#
# The rcm binary: one image for every role. The command picks the role:
#   api (default) | worker | migrate up|down|status | user create ...
# Configuration comes from the environment (DATABASE_URL, TEMPORAL_ADDRESS,
# TEMPORAL_NAMESPACE, HTTP_ADDR, DATA_DIR, ENCRYPTION_KEY, LOG_LEVEL); see
# docker-compose.yml.
#
#   docker build -t rcm .
#   docker run --rm rcm migrate status

# ---- build ------------------------------------------------------------------
FROM golang:1.27.3-bookworm AS build

WORKDIR /src
ENV CGO_ENABLED=0 \
    GOTOOLCHAIN=go1.27.3 \
    GOFLAGS=-mod=readonly

# Dependencies first, in their own layer: it is rebuilt only when go.mod or
# go.sum change.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/rcm .

# ---- runtime ----------------------------------------------------------------
# Debian slim rather than distroless so that the compose healthcheck can use
# curl; ca-certificates for TLS to payers and clearinghouses, tzdata for
# time zones.
FROM debian:bookworm-slim AS runtime

RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 rcm \
    && useradd --system --uid 10001 --gid rcm --no-create-home \
        --home-dir /var/lib/rcm --shell /usr/sbin/nologin rcm \
    && install -d -o rcm -g rcm -m 0750 /var/lib/rcm

COPY --from=build /out/rcm /rcm

ENV DATA_DIR=/var/lib/rcm \
    HTTP_ADDR=:8080
WORKDIR /var/lib/rcm

# Numeric so that runtimes enforcing runAsNonRoot can verify it.
USER 10001:10001

EXPOSE 8080
ENTRYPOINT ["/rcm"]
CMD ["api"]
