# syntax=docker/dockerfile:1
# The Micro Mining add-on image. This file is the real one and sits at the top of the repository,
# beside config.yaml: the Supervisor (and HA's builder actions in .github/workflows/builder.yaml)
# build an add-on with the folder that holds config.yaml as the build context, and ours is the
# repository root. addon/Dockerfile is a symlink to this file for readers of addon/.
#   docker build --build-arg BUILD_ARCH=amd64 -t micro-mining .
#
# Base: Home Assistant's Debian base (Debian trixie-slim plus bash, jq, tzdata, curl,
# ca-certificates, s6-overlay, bashio, tempio), named here: the Supervisor no longer passes a
# base image (since 2026.04); it and the builder pass BUILD_ARCH. The image uses only the Debian
# part of it (apt, curl for the health check), not s6-overlay or bashio: the add-on is one Node
# process, started by Docker's own init (config.yaml keeps `init` on), so a plain Debian trixie
# made with debootstrap stands in for the base in the tests (test/image). Debian rather than
# Alpine: Node's prebuilt and native modules are glibc builds, and Debian's nodejs is a small
# shared-library build (see addon/DOCS.md, "How the files are laid out").
# BASE_IMAGE, not BUILD_FROM: Supervisors before 2026.04 pass BUILD_FROM=<their Alpine base> to
# every local build, and this file needs Debian.
ARG BUILD_ARCH=amd64
ARG BASE_IMAGE=ghcr.io/home-assistant/${BUILD_ARCH}-base-debian:trixie

# ---- build: dependencies, compiled JavaScript, the WebAssembly and native kernels, Node-RED nodes --
FROM ${BASE_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# libnode-dev: the Node headers node-gyp builds the native kernel against (no download)
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm libnode-dev python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/micro-mining
COPY package.json package-lock.json ./
# A registry behind a TLS-intercepting proxy: pass its CA bundle as the build secret "ca"
# (`--secret id=ca,src=/etc/ssl/certs/ca-certificates.crt`); nothing of it stays in the image.
RUN --mount=type=secret,id=ca \
    if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi \
    && npm ci --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force
COPY bin ./bin
COPY scripts ./scripts
COPY src ./src
COPY nodes ./nodes
COPY addon ./addon
# Everything must build in the image (a plain `npm install` would only warn); then only what runs
# is kept: no dev dependencies, no TypeScript sources, no compiler in the final stage.
# (typescript outlives the prune as an optional peer of i18next, in Node-RED; nothing needs it
# at run time.)
RUN npm run build \
    && test -f dist/app/cli.js \
    && test -f dist/hashpool/worker-entry.mjs \
    && test -f build/native/mm_native.node \
    && test -f build/wasm/kernel.wasm \
    && test -f nodes/dist/micro-mining.js \
    && test -f build/worker-package/micro-mining-worker.tgz \
    && test -f build/web/page.js && test -f build/web/page.css \
    && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
    && rm -rf node_modules/typescript node_modules/.bin/tsc node_modules/.bin/tsserver \
    && for m in tsx typescript esbuild node-gyp node-addon-api assemblyscript; do \
         if [ -e "node_modules/$m" ]; then echo "dev package left in node_modules: $m" >&2; exit 1; fi; \
       done \
    && find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -iname 'readme*' -o -iname 'changelog*' \) -delete \
    && mkdir -p /out/build/wasm /out/build/native /out/nodes /out/addon \
    && cp -a package.json node_modules dist bin /out/ \
    && cp build/wasm/kernel.wasm /out/build/wasm/ \
    && cp build/native/mm_native.node /out/build/native/ \
    && mkdir -p /out/build/web \
    && cp build/web/*.js build/web/*.css /out/build/web/ \
    && mkdir -p /out/build/worker-package \
    && cp build/worker-package/micro-mining-worker.tgz /out/build/worker-package/ \
    && cp -a nodes/package.json nodes/dist nodes/examples /out/nodes/ \
    && cp addon/run.sh addon/run.mjs /out/addon/

# ---- the add-on ----------------------------------------------------------------------------
FROM ${BASE_IMAGE}
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt/* /var/log/dpkg.log \
    && find /usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete \
    && rm -rf /usr/share/man/* /usr/share/info/*
COPY --from=build /out /opt/micro-mining
WORKDIR /opt/micro-mining
ENV NODE_ENV=production \
    MM_LOG_FORMAT=pretty \
    MM_APP_DIR=/opt/micro-mining

# The status page answers /health on the ingress port (it lets in only the ingress proxy and the
# container itself). Node-RED and the HA connection can take a while on a first start.
HEALTHCHECK --interval=30s --timeout=10s --start-period=180s --retries=3 \
    CMD curl -fsS --max-time 8 http://127.0.0.1:8099/health || exit 1

ARG BUILD_ARCH
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

# One process: Docker's init (config.yaml keeps `init` on) runs the run entry, which execs the hub,
# so the hub gets SIGTERM directly. The base's s6-overlay /init is not used.
ENTRYPOINT []
CMD ["/opt/micro-mining/addon/run.sh"]
