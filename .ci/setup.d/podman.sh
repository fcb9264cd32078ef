#!/usr/bin/env bash
# podman for the add-on image test (test/image): Debian's podman with runc (crun fails here:
# "cgroups in hybrid mode not supported"), slirp4netns for container networking (no netavark),
# debootstrap for the locally made base image (no image registry is reachable), and actionlint
# (pinned, from the Go module proxy) with shellcheck for the publishing workflow's check. Idempotent.
set -euo pipefail
ACTIONLINT_VERSION=v1.7.12
need=()
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
command -v slirp4netns >/dev/null || need+=(slirp4netns)
# `podman run --init` (the Supervisor runs add-ons with Docker's init when config.yaml keeps init on)
[ -x /usr/libexec/podman/catatonit ] || [ -x /usr/bin/catatonit ] || need+=(catatonit)
command -v debootstrap >/dev/null || need+=(debootstrap)
[ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring)
command -v curl >/dev/null || need+=(curl)
# actionlint runs shellcheck on the workflows' run: scripts when it is installed
command -v shellcheck >/dev/null || need+=(shellcheck)
if [ ${#need[@]} -gt 0 ]; then
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Engine settings that work on these machines (drop-in, so the packaged file stays untouched).
mkdir -p /etc/containers/containers.conf.d
conf=/etc/containers/containers.conf.d/50-micro-mining.conf
want='# written by micro-mining .ci/setup.d/podman.sh
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[network]
default_rootless_network_cmd = "slirp4netns"'
if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$want" ]; then
  printf '%s\n' "$want" > "$conf"
fi
# actionlint: checks .github/workflows/*.yml in test/image.
if ! { command -v actionlint >/dev/null && actionlint -version 2>/dev/null | head -1 | grep -qx "${ACTIONLINT_VERSION#v}"; }; then
  go="$(command -v go || true)"
  [ -n "$go" ] || { [ -x /usr/local/go/bin/go ] && go=/usr/local/go/bin/go; } || true
  if [ -n "$go" ]; then
    GOBIN=/usr/local/bin "$go" install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
  else
    echo "podman.sh: no Go toolchain; actionlint not installed (test/image will fail on CI)" >&2
    exit 1
  fi
fi
podman --version
