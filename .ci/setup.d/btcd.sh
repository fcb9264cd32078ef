#!/usr/bin/env bash
# btcd (a full Bitcoin node in Go) and btcctl for the solo-mining tests (test/solo), which run
# btcd in regtest on loopback ports. Built from the Go module proxy at a pinned version into a
# cache folder; idempotent (instant when both binaries of the pinned version are there).
# The tests find the binaries in $MM_BTCD_DIR or this folder.
set -euo pipefail
VERSION=v0.26.2
DIR="${MM_BTCD_DIR:-/var/cache/micro-mining/btcd}"
STAMP="$DIR/.version"
if [ -x "$DIR/btcd" ] && [ -x "$DIR/btcctl" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$VERSION" ]; then
  exit 0
fi
[ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
# btcd v0.26.2's go.mod says go 1.25: a Go of 1.21 or later fetches that toolchain itself
# (GOTOOLCHAIN=auto, through the module proxy); Debian bookworm's golang-go (1.19) cannot.
if ! command -v go >/dev/null 2>&1 || ! go version | grep -Eq 'go1\.(2[1-9]|[3-9][0-9])'; then
  echo "btcd.sh: btcd $VERSION needs Go 1.21 or later (found: $(go version 2>/dev/null || echo none)); install Go from https://go.dev/dl/ into /usr/local/go and run this again" >&2
  exit 1
fi
mkdir -p "$DIR"
GOBIN="$DIR" go install "github.com/btcsuite/btcd@$VERSION"
GOBIN="$DIR" go install "github.com/btcsuite/btcd/cmd/btcctl@$VERSION"
echo "$VERSION" > "$STAMP"
