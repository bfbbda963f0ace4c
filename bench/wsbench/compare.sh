#!/usr/bin/env bash
# make bench-compare: run the same wsbench workloads (idle, fanout, saturate) against WorkspaceOps
# and against the Socket.io reference of bench/wsbench/reference, each server alone on CPU 0 and
# wsbench on CPU 1, then write the figures side by side with the ratios (ours / Socket.io) to
# $BENCH_OUT/compare.md and compare.json (deploy/bench). WorkspaceOps runs through bench.sh, so
# it is started exactly as for make bench (embedded store on /dev/shm, raised limits). The
# reference is installed with npm ci from its committed package-lock.json.
#
# COMPARE_SIZES replaces the default sizes of both runs (a quick check:
# COMPARE_SIZES='-idle-conns 500 -fanout-subs 200 -fanout-duration 5s -saturate-subs 100 -saturate-duration 5s');
# BENCH_FLAGS is added after them to both runs. Also BENCH_OUT, BENCH_PORT (4790),
# BENCH_SIO_PORT (4791), BENCH_NOTE (a line for the reports), NODE and NPM.
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
NOTE=${BENCH_NOTE:-no other load assumed}
SIZES=${COMPARE_SIZES:--idle-conns 5000 -fanout-subs 2000 -fanout-rate 20 -fanout-duration 15s -saturate-subs 1000 -saturate-duration 10s}
flags="-workloads idle,fanout,saturate $SIZES ${BENCH_FLAGS:-}"

tmp=$(mktemp -d -p "${TMPDIR:-/tmp}" wsbench-compare.XXXXXX)
sio_pid=
stop_reference() {
	if [[ -n $sio_pid ]]; then
		stop_pids "$sio_pid"
	fi
	sio_pid=
}
cleanup() {
	stop_reference
	rm -rf "$tmp"
}
trap cleanup EXIT

port_free "$PORT"
port_free "$SIO_PORT" BENCH_SIO_PORT
"$NODE" -e 'if (+process.versions.node.split(".")[0] < 20) { console.error("bench-compare: the reference needs Node 20+"); process.exit(1) }'

echo "bench-compare: installing the Socket.io reference (npm ci)"
"$NPM" ci --prefix "$here/reference" --no-audit --no-fund --loglevel=error
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
sio_pid=$!
# shellcheck disable=SC2086
if ! env JWT_SECRET="$secret" "${gen_pin[@]}" "$tmp/wsbench" -target socketio \
	-url "http://127.0.0.1:$SIO_PORT" -pid "$sio_pid" -wait 30s -json "$tmp/socketio/report.json" \
	-note "make bench-compare: Socket.io reference (Node $("$NODE" --version)); $pinning; $NOTE" \
	$flags; then
	echo "bench-compare: wsbench failed against the reference; its log:" >&2
	tail -n 40 "$tmp/reference.log" >&2
	exit 1
fi
stop_reference

"$tmp/wsbench" compare -ours "$tmp/ours/report.json" -ref "$tmp/socketio/report.json" \
	-json "$OUT/compare.json" -md "$OUT/compare.md" \
	-note "$pinning; $load, at the end $(cut -d' ' -f1-3 /proc/loadavg); $NOTE"
echo "bench-compare: comparison in $OUT/compare.md and $OUT/compare.json"
