# syntax=docker/dockerfile:1
# The Micro Mining add-on image. This file is the real one and sits at the top of the repository,
# beside config.yaml: the Supervisor builds an add-on with `docker buildx build . --file
# Dockerfile` inside the add-on folder (the folder that holds config.yaml), and our config.yaml
# is at the top, so the build context is the whole repository. addon/Dockerfile is a symlink to
# this file for readers of addon/; build from the repository root:
#   docker build -t micro-mining .
#
# The base image is named here (the Supervisor no longer passes one since 2026.04). Older
# Supervisors pass BUILD_FROM=ghcr.io/home-assistant/<arch>-base:latest, another Alpine base
# image of the same family, which this file also builds on.
ARG BUILD_FROM=ghcr.io/home-assistant/base:3.23

# ---- build: dependencies, the WebAssembly kernel and the native kernel (node-gyp) ----------
FROM ${BUILD_FROM} AS build
SHELL ["/bin/ash", "-o", "pipefail", "-c"]
# nodejs-dev: the Node headers node-gyp builds the native kernel against (no download)
RUN apk add --no-cache nodejs npm nodejs-dev python3 make g++
WORKDIR /opt/micro-mining
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY bin ./bin
COPY scripts ./scripts
COPY src ./src
COPY nodes ./nodes
COPY addon ./addon
# The kernels and the Node-RED nodes must build in the image (a plain `npm install` would only warn).
RUN npm run build \
    && test -f build/native/mm_native.node \
    && test -f build/wasm/kernel.wasm \
    && test -f nodes/dist/micro-mining.js \
    && rm -rf build/native/build build/wasm/src \
    && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force

# ---- the add-on --------------------------------------------------------------------------
FROM ${BUILD_FROM}
SHELL ["/bin/ash", "-o", "pipefail", "-c"]
RUN apk add --no-cache nodejs
COPY --from=build /opt/micro-mining /opt/micro-mining
WORKDIR /opt/micro-mining
ENV NODE_ENV=production \
    MM_LOG_FORMAT=pretty \
    MM_APP_DIR=/opt/micro-mining

# The status page answers /health on the ingress port (it lets in only the ingress proxy and the
# container itself). Node-RED and the HA connection can take a while on a first start.
HEALTHCHECK --interval=30s --timeout=10s --start-period=180s --retries=3 \
    CMD curl -fsS --max-time 8 http://127.0.0.1:8099/health || exit 1

ARG BUILD_ARCH=amd64
ARG BUILD_VERSION=0.1.0
LABEL \
    io.hass.name="Micro Mining" \
    io.hass.description="Honest sha256d micro mining on the idle capacity of your home" \
    io.hass.type="app" \
    io.hass.arch="${BUILD_ARCH}" \
    io.hass.version="${BUILD_VERSION}" \
    io.hass.url="https://github.com/micro-mining/micro-mining" \
    org.opencontainers.image.title="Micro Mining" \
    org.opencontainers.image.description="Home Assistant add-on: honest sha256d micro mining on the idle capacity of a home" \
    org.opencontainers.image.version="${BUILD_VERSION}" \
    org.opencontainers.image.source="https://github.com/micro-mining/micro-mining" \
    org.opencontainers.image.licenses="MIT"

# s6-overlay's /init (the base image's ENTRYPOINT) runs this as the main program and stops the
# container when it exits (config.yaml: init: false).
CMD ["/opt/micro-mining/addon/run.sh"]
