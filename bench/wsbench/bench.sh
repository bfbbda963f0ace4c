#!/usr/bin/env bash
# make bench: build the server and wsbench, start the server on the embedded store in a
# temporary data directory (pinned to CPU 0), run wsbench on CPU 1 and write the report to
# $BENCH_OUT (deploy/bench). Sizes fit a 2-core machine in a few minutes (rest, last, seeds one
# workspace to 1,000, 10,000 and 50,000 work items and measures at each); BENCH_FLAGS adds or
# overrides wsbench flags (e.g. BENCH_FLAGS='-idle-conns 10000 -workloads idle'). Also:
# BENCH_PORT (4790), BENCH_TMPDIR (where the data goes; /dev/shm when writable), BENCH_NOTE (a
# line for the report, e.g. that the machine was busy). Then cluster.sh runs the fan-out over
# three instances joined by NATS (report-cluster.md); BENCH_CLUSTER=0 skips it.
set -euo pipefail
# shellcheck source=bench/wsbench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GO=${GO:-go}
OUT=${BENCH_OUT:-deploy/bench}
PORT=${BENCH_PORT:-4790}
NOTE=${BENCH_NOTE:-}

# The server's data and the binaries live in a fresh directory (on tmpfs when there is one).
tmp=$(bench_tmpdir wsbench)
store_on=$(df -P "$tmp" | awk 'NR == 2 { print $1 }')
pid=
cleanup() {
	if [[ -n $pid ]]; then
		stop_pids "$pid"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

port_free "$PORT"

echo "bench: building into $tmp"
CGO_ENABLED=0 "$GO" build -trimpath -o "$tmp/" ./cmd/workspaceops ./bench/wsbench

raise_nofile
pin_cpus
echo "bench: $pinning"

# Raised limits: many connections per user (the bench reuses users: registration is argon2),
# no login throttling, no request rate limit (the REST flipper changes 20-100 items a second as
# one user), warn-level logs (a request log line per call would be measured too).
# The metrics listener is on, as in production, on a free port (WSO_METRICS_ADDR=off: without).
env WSO_ADDR="127.0.0.1:$PORT" WSO_DATA_DIR="$tmp/data" WSO_METRICS_ADDR="${WSO_METRICS_ADDR:-127.0.0.1:0}" \
	JWT_SECRET="$(head -c 48 /dev/urandom | base64 | tr -d '\n')" \
	WSO_LOG_LEVEL=warn WSO_LOG_FORMAT=text \
	WSO_WS_MAX_CONNS_PER_USER=1000 WSO_LOGIN_MAX_FAILURES=100000 WSO_RATE_LIMIT=off \
	"${server_pin[@]}" "$tmp/workspaceops" serve >"$tmp/server.log" 2>&1 &
pid=$!

# Defaults of this target; BENCH_FLAGS comes last and wins.
# shellcheck disable=SC2086
if ! "${gen_pin[@]}" "$tmp/wsbench" -url "http://127.0.0.1:$PORT" -pid "$pid" -wait 120s -timeout 30m \
	-json "$OUT/report.json" -md "$OUT/report.md" \
	-note "make bench: $pinning; embedded store in $tmp ($store_on); ${NOTE:-no other load assumed}" \
	-workloads idle,fanout,saturate,churn,fanout-sse,rest \
	-seed-workspaces 100 -seed-users 300 -seed-members 10 -seed-items 20 \
	-idle-conns 5000 \
	-fanout-subs 1000 -fanout-rate 20 -fanout-duration 15s \
	-saturate-subs 500 -saturate-duration 10s \
	-churn-clients 200 -churn-duration 15s \
	-rest-clients 8 -rest-sizes 1000,10000,50000 -rest-duration 25s \
	-sse-subs 300 \
	${BENCH_FLAGS:-}; then
	echo "bench: wsbench failed; the server's log:" >&2
	tail -n 40 "$tmp/server.log" >&2
	exit 1
fi
echo "bench: report in $OUT/report.md and $OUT/report.json"

# Then one multi-instance fan-out run (3 instances + NATS), unless BENCH_CLUSTER=0.
if [[ ${BENCH_CLUSTER:-1} != 0 ]]; then
	cleanup
	pid=
	trap - EXIT
	GO=$GO bash "$(dirname "${BASH_SOURCE[0]}")/cluster.sh"
fi
