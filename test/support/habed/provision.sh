#!/usr/bin/env bash
# Provisions the Home Assistant test bed: a minimal Debian root (forky, for its Python 3.14),
# a venv inside it with a pinned Home Assistant Core from PyPI, and the pip requirements of the
# integrations the tests use (so HA runs with --skip-pip and never reaches the network).
# The root has g++ and python3-dev: a few requirements (pymicro-vad, pyspeex-noise of
# assist_pipeline) have no wheel for its Python and are built from source; without them HA's
# `get_services` fails and HA's own frontend hangs on "Loading…". Every requirement must install.
#
# Idempotent: the cache directory is named after the pinned version and HABED_REV (the cache
# key), and a finished install is marked ready; a half-finished one is rebuilt. A new key builds
# beside the old directory, never over it (tests may be running HA from it). Safe to run
# concurrently (flock).
#
#   bash test/support/habed/provision.sh          provision (or confirm the cache) and print the root
#   MM_HABED_DIR=/somewhere bash ...provision.sh   cache elsewhere (default /var/cache/micro-mining/habed)
#
# Needs root (debootstrap, chroot, mount namespaces). Host packages: debootstrap, mosquitto.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
. "$HERE/versions.env"

BASE="${MM_HABED_DIR:-/var/cache/micro-mining/habed}"
DEST="$BASE/ha-$HA_VERSION-r$HABED_REV"
MARK="$DEST/ready-$HA_VERSION-$HABED_REV"

log() { echo "habed-provision: $*" >&2; }

if [ -f "$MARK" ]; then
  echo "$DEST/root"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  log "needs root (debootstrap and chroot); run: sudo bash $0"
  exit 1
fi

need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v unshare >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  log "installing host packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's mosquitto package starts a system broker on 1883; the test bed starts its own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then
  systemctl disable --now mosquitto >/dev/null 2>&1 || true
fi

mkdir -p "$BASE"
exec 9>"$BASE/.lock"
flock 9
if [ -f "$MARK" ]; then
  echo "$DEST/root"
  exit 0
fi

start=$(date +%s)
TMP="$DEST.partial"
rm -rf "$TMP"
mkdir -p "$TMP"
R="$TMP/root"

# The Debian mirror apt already uses (deb822 or one-line sources), else the default one.
MIRROR="${HABED_MIRROR:-}"
if [ -z "$MIRROR" ]; then
  MIRROR=$(grep -hs -E '^URIs: https?://[^ ]*/debian/?$' /etc/apt/sources.list.d/*.sources | head -n1 | awk '{print $2}' || true)
fi
if [ -z "$MIRROR" ]; then
  MIRROR=$(grep -hs -E '^deb https?://[^ ]*/debian/? ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | head -n1 | awk '{print $2}' || true)
fi
MIRROR="${MIRROR:-http://deb.debian.org/debian}"

log "debootstrap $DEBIAN_SUITE from $MIRROR into $R"
debootstrap --variant=minbase --include=python3,python3-venv,python3-dev,g++,ca-certificates \
  "$DEBIAN_SUITE" "$R" "$MIRROR" /usr/share/debootstrap/scripts/sid >"$TMP/debootstrap.log" 2>&1 || {
  tail -n 30 "$TMP/debootstrap.log" >&2
  log "debootstrap failed (log: $TMP/debootstrap.log)"
  exit 1
}

# The host's CA bundle (it may hold a proxy's CA) and resolver, for pip inside the root.
cp /etc/resolv.conf "$R/etc/resolv.conf"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/host-ca.crt"
else
  cp "$R/etc/ssl/certs/ca-certificates.crt" "$R/etc/ssl/host-ca.crt"
fi
cp "$HERE/resolve-reqs.py" "$R/tmp/resolve-reqs.py"

log "venv + homeassistant==$HA_VERSION (+ requirements of: $HA_INTEGRATIONS)"
# A private mount namespace: /proc is mounted for pip and vanishes with the namespace.
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
  PIP_CERT=/etc/ssl/host-ca.crt SSL_CERT_FILE=/etc/ssl/host-ca.crt REQUESTS_CA_BUNDLE=/etc/ssl/host-ca.crt \
  PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=180 UV_HTTP_TIMEOUT=180 \
  HA_VERSION="$HA_VERSION" UV_VERSION="$UV_VERSION" HA_INTEGRATIONS="$HA_INTEGRATIONS" \
  unshare --mount --propagation private -- sh -c '
    set -e
    mount -t proc proc "$0/proc"
    exec chroot "$0" sh -c "
      set -e
      python3 -m venv /opt/ha
      /opt/ha/bin/pip install -q uv==\$UV_VERSION
      /opt/ha/bin/uv pip install -q --python /opt/ha/bin/python homeassistant==\$HA_VERSION
      /opt/ha/bin/python /tmp/resolve-reqs.py \$HA_INTEGRATIONS > /tmp/reqs.txt
      # One at a time, wheels first, then a source build (g++ and python3-dev are in the
      # root); a requirement that installs neither way is listed and fails the provisioning.
      : > /opt/ha/failed-requirements
      for req in \$(cat /tmp/reqs.txt); do
        /opt/ha/bin/uv pip install -q --only-binary :all: --python /opt/ha/bin/python \"\$req\" 2>/dev/null ||
          /opt/ha/bin/uv pip install -q --python /opt/ha/bin/python \"\$req\" ||
          { echo \"failed: \$req\"; echo \"\$req\" >> /opt/ha/failed-requirements; }
      done
      if [ -s /opt/ha/failed-requirements ]; then echo \"requirements that did not install:\"; cat /opt/ha/failed-requirements; exit 1; fi
      # What the frontend needs at start: get_services imports assist_pipeline.
      /opt/ha/bin/python -c \"import pymicro_vad, pyspeex_noise, hass_frontend\"
      /opt/ha/bin/python -c \"import homeassistant.const as c; print(c.__version__)\" > /opt/ha/version
    "' "$R" >"$TMP/pip.log" 2>&1 || {
  tail -n 40 "$TMP/pip.log" >&2
  log "install failed (log: $TMP/pip.log)"
  exit 1
}
got=$(cat "$R/opt/ha/version")
if [ "$got" != "$HA_VERSION" ]; then
  log "installed version $got, wanted $HA_VERSION"
  exit 1
fi
# Instance config dirs are created under here at run time.
mkdir -p "$R/habed"
rm -rf "$R/var/cache/apt/archives"/*.deb "$R/root/.cache"

rm -rf "$DEST"
mv "$TMP" "$DEST"
touch "$DEST/ready-$HA_VERSION-$HABED_REV"
log "ready in $(( $(date +%s) - start )) s: $DEST/root"
echo "$DEST/root"
