#!/usr/bin/env bash
# The Home Assistant test bed (test/support/habed): host packages (debootstrap, mosquitto) and a
# cached HA Core install in a Debian forky root, ahead of the tests (which would otherwise
# provision it on first use). Idempotent; instant when the cache for the pinned version exists.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash test/support/habed/provision.sh >/dev/null
