#!/usr/bin/env bash
# Debian's Chromium for the headless-browser checks of the status page and the Node-RED editor.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
