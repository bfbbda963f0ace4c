#!/usr/bin/env bash
# Makes a Docker engine available for the testcontainers suite (WSO_TEST_MONGO=testcontainers)
# on CI machines that have none running. Idempotent: it does nothing when `docker info` works.
#
# The engine runs with --bridge=none and no iptables/forwarding/masquerading, so only the `host`
# and `none` networks exist: containers use host networking and all test traffic stays on
# 127.0.0.1 (never on a private-range bridge subnet).
set -euo pipefail

if docker info >/dev/null 2>&1; then
  echo "docker.sh: Docker engine already running"
  exit 0
fi

# Installing packages and running dockerd both need root.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v docker >/dev/null 2>&1 || ! command -v dockerd >/dev/null 2>&1; then
  echo "docker.sh: installing docker.io"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io
fi

# A dockerd started earlier (by this script or the package) may still be coming up: wait for it
# instead of starting a second one that would fight over the socket and pid file.
if [ -f /var/run/docker.pid ] && as_root kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  echo "docker.sh: dockerd already started, waiting for it"
  log=""
else
  # The package may leave a docker0 bridge behind; with --bridge=none it would only linger.
  as_root ip link delete docker0 2>/dev/null || true
  log="$(mktemp -t dockerd.XXXXXX.log)"
  # setsid: the engine must outlive this script and the shell (or CI step) that ran it.
  as_root setsid dockerd --bridge=none --iptables=false --ip-forward=false --ip-masq=false \
    >"$log" 2>&1 </dev/null &
  echo "docker.sh: started dockerd, log in $log"
fi

for _ in $(seq 60); do
  if docker info >/dev/null 2>&1; then
    echo "docker.sh: Docker engine ready"
    exit 0
  fi
  sleep 1
done

echo "docker.sh: Docker engine not ready after 60 s" >&2
if [ -n "$log" ]; then cat "$log" >&2; fi
exit 1
