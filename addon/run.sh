#!/bin/sh
# Run entry of the Micro Mining add-on (the image's CMD, started by s6-overlay's /init).
#
# run.mjs validates /data/options.json, asks the Supervisor for its MQTT broker (retrying while
# the Supervisor or Core is not up yet) and prints the command line and environment of
# `micro-mining start --config /data/options.json`; this script evals that and execs it, so
# the hub is the one Node process of the container and gets the stop signal directly.
#
# MM_RUN_DRY=1 prints the command it would exec (secrets masked) instead of running it.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
# MM_NODE_BIN: the Node.js binary (MM_NODE is the --node setting: the user's Bitcoin node)
node="${MM_NODE_BIN:-$(command -v node)}"
launch="$("$node" "$here/run.mjs")" || exit $?
eval "$launch"
if [ "${MM_RUN_DRY:-0}" = 1 ]; then
  exec "$node" "$here/run.mjs" --describe "$@"
fi
exec "$@"
