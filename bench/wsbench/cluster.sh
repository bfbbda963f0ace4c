#!/usr/bin/env bash
# The multi-instance part of make bench: three WorkspaceOps instances sharing one store (the
# embedded store served by cmd/devstore) and joined by a NATS server (built from the
# nats-server module in go.mod), all pinned to CPU 0 like the single server of bench.sh;
# wsbench on CPU 1 spreads its subscribers over the three and makes the changes through the
# first, so most deliveries cross NATS. Writes $BENCH_OUT/report-cluster.{md,json}.
# BENCH_CLUSTER_PORT (4792) is the first of five consecutive ports; BENCH_CLUSTER_FLAGS adds or
# overrides wsbench flags.
set -euo pipefail
# shellcheck source=bench/wsbench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GO=${GO:-go}
OUT=${BENCH_OUT:-deploy/bench}
BASE=${BENCH_CLUSTER_PORT:-4792}
NOTE=${BENCH_NOTE:-}
tmp=$(bench_tmpdir wsbench-cluster)
pids=()
cleanup() {
	stop_pids "${pids[@]}"
	rm -rf "$tmp"
}
trap cleanup EXIT

store_port=$BASE nats_port=$((BASE + 1)) app_ports=($((BASE + 2)) $((BASE + 3)) $((BASE + 4)))
for p in "$store_port" "$nats_port" "${app_ports[@]}"; do
	port_free "$p" BENCH_CLUSTER_PORT
done

echo "bench-cluster: building into $tmp"
CGO_ENABLED=0 "$GO" build -trimpath -o "$tmp/" ./cmd/workspaceops ./bench/wsbench ./cmd/devstore
CGO_ENABLED=0 "$GO" build -trimpath -o "$tmp/nats-server" github.com/nats-io/nats-server/v2
raise_nofile
pin_cpus
pinning=${pinning/server/3 instances, NATS and the store}
echo "bench-cluster: $pinning"

"${server_pin[@]}" "$tmp/devstore" -addr "127.0.0.1:$store_port" -data-dir "$tmp/store" >"$tmp/store.log" 2>&1 &
pids+=($!)
"${server_pin[@]}" "$tmp/nats-server" -a 127.0.0.1 -p "$nats_port" >"$tmp/nats.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	grep -q "devstore listening" "$tmp/store.log" && break
	sleep 0.1
done

secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n')
urls=() app_pids=()
for port in "${app_ports[@]}"; do
	env WSO_ADDR="127.0.0.1:$port" WSO_METRICS_ADDR=off MONGO_URI="mongodb://127.0.0.1:$store_port/" JWT_SECRET="$secret" \
		WSO_NATS_URL="nats://127.0.0.1:$nats_port" \
		WSO_LOG_LEVEL=warn WSO_LOG_FORMAT=text \
		WSO_WS_MAX_CONNS_PER_USER=1000 WSO_LOGIN_MAX_FAILURES=100000 WSO_RATE_LIMIT=off \
		"${server_pin[@]}" "$tmp/workspaceops" serve >"$tmp/app-$port.log" 2>&1 &
	pids+=($!) app_pids+=($!)
	urls+=("http://127.0.0.1:$port")
done

# shellcheck disable=SC2086
if ! "${gen_pin[@]}" "$tmp/wsbench" -url "$(IFS=,; echo "${urls[*]}")" -pid "$(IFS=,; echo "${app_pids[*]}")" -wait 120s \
	-json "$OUT/report-cluster.json" -md "$OUT/report-cluster.md" \
	-note "make bench, cluster part: $pinning; embedded store served by devstore in $tmp; changes through the first instance, subscribers spread over three; ${NOTE:-no other load assumed}" \
	-workloads fanout -fanout-subs 1000 -fanout-rate 20 -fanout-duration 15s \
	${BENCH_CLUSTER_FLAGS:-}; then
	echo "bench-cluster: wsbench failed; the first instance's log:" >&2
	tail -n 40 "$tmp/app-${app_ports[0]}.log" >&2
	exit 1
fi
echo "bench-cluster: report in $OUT/report-cluster.md and $OUT/report-cluster.json"
