#!/usr/bin/env bash
# A local stand-in for Home Assistant's Debian base image (ghcr.io/home-assistant/{arch}-base-debian:trixie):
# no image registry is reachable here, so the same Debian release is made with debootstrap and
# `podman import`ed under a local name that says what it is. The HA image is debian:trixie-slim
# plus bash, jq, tzdata, curl, ca-certificates, xz-utils, s6-overlay, bashio and tempio; the
# stand-in has the Debian part. s6-overlay, bashio and tempio are missing on purpose: the add-on's
# Dockerfile may not use them (Docker's own init runs the one process; config.yaml has no
# `init: false`). The stand-in keeps the base's ENTRYPOINT ["/init"] so that a Dockerfile that
# forgot to replace it fails here as it would on the real base.
#
# The root file system is cached as a tarball (default /var/cache/micro-mining/image-base), so a
# second run only imports it (seconds). Needs root (debootstrap, rootful podman).
#
#   bash test/image/make-base.sh [TAG]        prints the tag once the image exists
#   MM_IMAGE_BASE_DIR=/elsewhere              cache folder
#   MM_IMAGE_BASE_REBUILD=1                   ignore the cache
set -euo pipefail
REV=2
SUITE=trixie
TAG="${1:-localhost/micro-mining-base-debian-standin:$SUITE}"
CACHE="${MM_IMAGE_BASE_DIR:-/var/cache/micro-mining/image-base}"
ARCH="$(dpkg --print-architecture)"
TARBALL="$CACHE/$SUITE-$ARCH-rev$REV.tar"
log() { echo "make-base: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
  log "needs root (debootstrap and rootful podman); run: sudo bash $0"
  exit 1
fi
for c in podman debootstrap; do
  command -v "$c" >/dev/null || { log "$c is missing: run bash .ci/setup.d/podman.sh as root"; exit 1; }
done

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9

if [ "${MM_IMAGE_BASE_REBUILD:-0}" = 1 ]; then rm -f "$TARBALL"; fi
want_id="$(cat "$TARBALL.id" 2>/dev/null || true)"
if [ -f "$TARBALL" ] && podman image exists "$TAG" && [ -n "$want_id" ] &&
  [ "$(podman image inspect --format '{{.Id}}' "$TAG" 2>/dev/null)" = "$want_id" ]; then
  echo "$TAG"
  exit 0
fi

if [ ! -f "$TARBALL" ]; then
  # The Debian mirror apt already uses (deb822 or one-line sources), else the default one.
  MIRROR="${MM_DEBIAN_MIRROR:-}"
  if [ -z "$MIRROR" ]; then
    MIRROR=$(grep -hs -E '^URIs: https?://[^ ]*/debian/?$' /etc/apt/sources.list.d/*.sources | head -n1 | awk '{print $2}' || true)
  fi
  if [ -z "$MIRROR" ]; then
    MIRROR=$(grep -hs -E '^deb https?://[^ ]*/debian/? ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | head -n1 | awk '{print $2}' || true)
  fi
  MIRROR="${MIRROR:-http://deb.debian.org/debian}"
  SECURITY="${MIRROR%/debian}/debian-security"
  [ "${MIRROR%/}" = "$MIRROR" ] || SECURITY="${MIRROR%/debian/}/debian-security"
  start=$(date +%s)
  work="$(mktemp -d "$CACHE/root.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  R="$work/root"
  log "debootstrap $SUITE ($ARCH) from $MIRROR into $R"
  debootstrap --variant=minbase --include=bash,jq,tzdata,curl,ca-certificates,xz-utils \
    "$SUITE" "$R" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    log "debootstrap failed"
    exit 1
  }
  # apt sources like debian:trixie-slim's (release, updates, security), then trimmed like HA's base
  rm -f "$R/etc/apt/sources.list"
  cat >"$R/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  # slim like debian:trixie-slim, which HA's base starts from: no manuals, documentation or
  # translations (copyright notices stay), and apt keeps no package caches or downloaded .debs
  mkdir -p "$R/etc/dpkg/dpkg.cfg.d" "$R/etc/apt/apt.conf.d"
  cat >"$R/etc/dpkg/dpkg.cfg.d/90-slim" <<'CFG'
# slim image (test/image/make-base.sh): leave documentation out, keep copyright files
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
CFG
  cat >"$R/etc/apt/apt.conf.d/90-slim" <<'CFG'
// slim image (test/image/make-base.sh): no binary package caches, no kept downloads
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT::Keep-Downloaded-Packages "false";
CFG
  find "$R/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$R/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$R"/usr/share/man/* "$R"/usr/share/info/* "$R"/usr/share/groff/* "$R"/usr/share/lintian/* "$R"/usr/share/locale/*
  mkdir -p "$R/usr/share/man/man1" "$R/etc/services.d"
  rm -rf "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/archives/*.deb "$R"/var/cache/apt/*.bin "$R"/var/log/*.log "$R"/var/log/apt/* "$R"/tmp/*
  tar --numeric-owner -C "$R" -cf "$TARBALL.partial" .
  mv "$TARBALL.partial" "$TARBALL"
  rm -rf "$work"
  trap - EXIT
  log "root file system cached in $TARBALL ($(( $(date +%s) - start )) s)"
fi

# The base image's configuration (ghcr.io/home-assistant/{arch}-base-debian: ENV, ENTRYPOINT).
# Older cached root file systems are left for `rm` by hand; only this revision is imported.
id=$(podman import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV DEBIAN_FRONTEND=noninteractive' \
  --change 'ENV CURL_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt' \
  --change 'ENTRYPOINT ["/init"]' \
  --change 'LABEL io.hass.type=base io.hass.base.name=debian org.opencontainers.image.description="local stand-in for ghcr.io/home-assistant/{arch}-base-debian:trixie (debootstrap; no s6-overlay, bashio, tempio)"' \
  "$TARBALL" "$TAG" 2>/dev/null | tail -n1)
[ -n "$id" ] || { log "podman import failed"; exit 1; }
podman image inspect --format '{{.Id}}' "$TAG" >"$TARBALL.id"
echo "$TAG"
