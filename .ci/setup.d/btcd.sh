#!/usr/bin/env bash
# btcd (a full Bitcoin node in Go) and btcctl for the solo-mining tests (test/node), which run
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
if ! command -v go >/dev/null 2>&1; then
  if [ -x /usr/local/go/bin/go ]; then
    export PATH="/usr/local/go/bin:$PATH"
  else
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends golang-go ca-certificates >/dev/null
  fi
fi
mkdir -p "$DIR"
GOBIN="$DIR" GOFLAGS=-mod=mod go install "github.com/btcsuite/btcd@$VERSION"
GOBIN="$DIR" GOFLAGS=-mod=mod go install "github.com/btcsuite/btcd/cmd/btcctl@$VERSION"
echo "$VERSION" > "$STAMP"
