#!/usr/bin/env bash
# The metrics' cost on the realtime hot path: BenchmarkHubFanoutMetrics (one entry fanned out to
# 1,000 clients, each client's frames taken and counted as a writer does) with the metrics off
# and on, run COUNT times each, interleaved; prints both means of ns/delivery and their ratio.
# The issue's bound is 5%. A shared, busy machine blurs a difference this small: re-run quietly.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
COUNT=${COUNT:-8}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$GO" test -run='^$' -bench='HubFanoutMetrics' -benchtime=2000x -count="$COUNT" ./adapters/realtime/ | tee "$out"
awk '
	/metrics=off/ { for (i = 1; i < NF; i++) if ($(i+1) == "ns/delivery") { off += $i; noff++ } }
	/metrics=on/  { for (i = 1; i < NF; i++) if ($(i+1) == "ns/delivery") { on += $i; non++ } }
	END {
		if (noff == 0 || non == 0) { print "metrics cost: no results"; exit 1 }
		printf "metrics cost: off %.1f ns/delivery, on %.1f ns/delivery (mean of %d runs each): %+.1f%%\n",
			off/noff, on/non, noff, (on/non - off/noff) / (off/noff) * 100
	}' "$out"
