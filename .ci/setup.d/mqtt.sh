#!/usr/bin/env bash
# Mosquitto for the MQTT tests (test/support/mosquitto.ts starts its own broker processes on free
# loopback ports). The Debian system service is neither needed nor left running: it is kept from
# starting during the install, and stopped/disabled if it runs anyway. Idempotent.
set -euo pipefail
if ! { command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ]; } || ! command -v mosquitto_passwd >/dev/null 2>&1; then
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    # Debian's way to keep maintainer scripts from starting services (exit 101 = action forbidden).
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends mosquitto mosquitto-clients >/dev/null || { [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d; exit 1; }
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi
# The packaged service (port 1883 on all interfaces) is not used by anything here.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now mosquitto.service >/dev/null 2>&1 || true
elif [ -x /etc/init.d/mosquitto ]; then
  # Only the service's own instance (by its pid file); test brokers are left alone.
  [ -f /run/mosquitto/mosquitto.pid ] && { /etc/init.d/mosquitto stop >/dev/null 2>&1 || true; }
  update-rc.d mosquitto disable >/dev/null 2>&1 || true
fi
exit 0
