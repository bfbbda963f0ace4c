#!/usr/bin/env bash
# make bench-compare: run the same wsbench workloads (idle, fanout, fanout-wide, saturate) against WorkspaceOps,
# against the Socket.io reference of bench/wsbench/reference and against Centrifugo, one after the
# other, each server alone on CPU 0 and wsbench on CPU 1, then write the figures side by side with
# the ratios (ours / Socket.io, ours / Centrifugo) to $BENCH_OUT/compare.md and compare.json
# (deploy/bench). WorkspaceOps runs through bench.sh, so it is started exactly as for make bench
# (embedded store on /dev/shm, raised limits). The reference is installed with npm ci from its
# committed package-lock.json. Centrifugo ($CF_VERSION) is built once from the Go module proxy
# (go install, CGO off) into $BENCH_CACHE, outside the tree, and reused; it runs with the memory
# broker, HS256 connection tokens, a `workspace` namespace any connected user may subscribe to
# (no history) and its HTTP API behind a key, on 127.0.0.1 only (config written to the run's
# temporary directory).
#
# COMPARE_SIZES replaces the default sizes of the three runs (a quick check:
# COMPARE_SIZES='-idle-conns 500 -fanout-subs 200 -fanout-duration 5s -wide-subs 1000 -saturate-subs 100 -saturate-duration 5s');
# BENCH_FLAGS is added after them to the three runs. Also BENCH_OUT, BENCH_PORT (4790),
# BENCH_SIO_PORT (4791), BENCH_CF_PORT (4792), BENCH_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/workspaceops-bench), BENCH_NOTE (a line for the reports), NODE
# and NPM.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=bench/wsbench/lib.sh
source "$here/lib.sh"

GO=${GO:-go}
NODE=${NODE:-node}
NPM=${NPM:-npm}
OUT=${BENCH_OUT:-deploy/bench}
PORT=${BENCH_PORT:-4790}
SIO_PORT=${BENCH_SIO_PORT:-4791}
CF_PORT=${BENCH_CF_PORT:-4792}
CF_VERSION=v6.9.1
CACHE=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/workspaceops-bench}
cf_bin=$CACHE/centrifugo-$CF_VERSION/centrifugo
NOTE=${BENCH_NOTE:-no other load assumed}
SIZES=${COMPARE_SIZES:--idle-conns 5000 -fanout-subs 2000 -fanout-rate 20 -fanout-duration 15s -wide-subs 10000 -wide-workspaces 100 -wide-rate 100 -saturate-subs 1000 -saturate-duration 10s}
flags="-workloads idle,fanout,fanout-wide,saturate $SIZES ${BENCH_FLAGS:-}"

tmp=$(mktemp -d -p "${TMPDIR:-/tmp}" wsbench-compare.XXXXXX)
ref_pid= # the reference server running: Socket.io, then Centrifugo
stop_reference() {
	if [[ -n $ref_pid ]]; then
		stop_pids "$ref_pid"
	fi
	ref_pid=
}
cleanup() {
	stop_reference
	rm -rf "$tmp"
}
trap cleanup EXIT

port_free "$PORT"
port_free "$SIO_PORT" BENCH_SIO_PORT
port_free "$CF_PORT" BENCH_CF_PORT
"$NODE" -e 'if (+process.versions.node.split(".")[0] < 20) { console.error("bench-compare: the reference needs Node 20+"); process.exit(1) }'

echo "bench-compare: installing the Socket.io reference (npm ci)"
"$NPM" ci --prefix "$here/reference" --no-audit --no-fund --loglevel=error
if [[ ! -x $cf_bin ]]; then
	echo "bench-compare: building Centrifugo $CF_VERSION from the Go module proxy into $(dirname "$cf_bin") (once; a few minutes)"
	mkdir -p "$CACHE"
	cf_build=$(mktemp -d -p "$CACHE" centrifugo-build.XXXXXX)
	if ! CGO_ENABLED=0 GOBIN="$cf_build" "$GO" install -trimpath \
		-ldflags "-X github.com/centrifugal/centrifugo/v6/internal/build.Version=${CF_VERSION#v}" \
		"github.com/centrifugal/centrifugo/v6@$CF_VERSION"; then
		rm -rf "$cf_build"
		exit 1
	fi
	mkdir -p "$(dirname "$cf_bin")"
	mv "$cf_build/centrifugo" "$cf_bin" # whole or absent: a cut build is never reused
	rm -rf "$cf_build"
fi
echo "bench-compare: $("$cf_bin" version)"
echo "bench-compare: building wsbench into $tmp"
CGO_ENABLED=0 "$GO" build -trimpath -o "$tmp/" ./bench/wsbench
raise_nofile
pin_cpus
load="load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bench-compare: $pinning; $load; wsbench flags: $flags"

echo "bench-compare: (a) WorkspaceOps"
BENCH_OUT="$tmp/ours" BENCH_PORT="$PORT" BENCH_NOTE="for make bench-compare; $NOTE" BENCH_FLAGS="$flags" GO="$GO" \
	BENCH_CLUSTER=0 bash "$here/bench.sh"

echo "bench-compare: (b) the Socket.io reference"
secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n') # wsbench signs the clients' tokens with it
env JWT_SECRET="$secret" SIO_PORT="$SIO_PORT" NODE_ENV=production \
	"${server_pin[@]}" "$NODE" "$here/reference/server.js" >"$tmp/reference.log" 2>&1 &
ref_pid=$!
# shellcheck disable=SC2086
if ! env JWT_SECRET="$secret" "${gen_pin[@]}" "$tmp/wsbench" -target socketio \
	-url "http://127.0.0.1:$SIO_PORT" -pid "$ref_pid" -wait 30s -json "$tmp/socketio/report.json" \
	-note "make bench-compare: Socket.io reference (Node $("$NODE" --version)); $pinning; $NOTE" \
	$flags; then
	echo "bench-compare: wsbench failed against the reference; its log:" >&2
	tail -n 40 "$tmp/reference.log" >&2
	exit 1
fi
stop_reference

echo "bench-compare: (c) Centrifugo $CF_VERSION"
cf_key=$(head -c 32 /dev/urandom | base64 | tr -d '\n') # its HTTP API key: wsbench publishes with it
# Key names of Centrifugo v6 (internal/configtypes of v6.9.1). Memory broker (the default), no
# history; the secrets are base64, safe in a JSON string. The same HMAC secret as the reference's.
cat >"$tmp/centrifugo.json" <<JSON
{
  "http_server": { "address": "127.0.0.1", "port": $CF_PORT },
  "log": { "level": "warn" },
  "client": { "token": { "hmac_secret_key": "$secret" } },
  "channel": { "namespaces": [ { "name": "workspace", "allow_subscribe_for_client": true } ] },
  "http_api": { "key": "$cf_key" },
  "admin": { "enabled": false },
  "health": { "enabled": true },
  "usage_stats": { "disabled": true }
}
JSON
"$cf_bin" checkconfig --config "$tmp/centrifugo.json"
"${server_pin[@]}" "$cf_bin" --config "$tmp/centrifugo.json" >"$tmp/centrifugo.log" 2>&1 &
ref_pid=$!
# shellcheck disable=SC2086
if ! env JWT_SECRET="$secret" CF_API_KEY="$cf_key" "${gen_pin[@]}" "$tmp/wsbench" -target centrifugo \
	-url "http://127.0.0.1:$CF_PORT" -pid "$ref_pid" -wait 30s -json "$tmp/centrifugo/report.json" \
	-note "make bench-compare: Centrifugo $CF_VERSION (memory broker, no history); $pinning; $NOTE" \
	$flags; then
	echo "bench-compare: wsbench failed against Centrifugo; its log:" >&2
	tail -n 40 "$tmp/centrifugo.log" >&2
	exit 1
fi
stop_reference

"$tmp/wsbench" compare -ours "$tmp/ours/report.json" -ref "$tmp/socketio/report.json" -cf "$tmp/centrifugo/report.json" \
	-json "$OUT/compare.json" -md "$OUT/compare.md" \
	-note "$pinning; $load, at the end $(cut -d' ' -f1-3 /proc/loadavg); $NOTE"
echo "bench-compare: comparison in $OUT/compare.md and $OUT/compare.json"
