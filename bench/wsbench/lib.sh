# Shell helpers of bench.sh and compare.sh (sourced, not run).

# port_free PORT fails, with a message, when something listens on 127.0.0.1:PORT.
port_free() {
	if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
		echo "bench: 127.0.0.1:$1 is in use; set ${2:-BENCH_PORT}" >&2
		return 1
	fi
}

# raise_nofile lifts the shell's open-files limit to the hard one: the servers and wsbench need a
# descriptor per connection (Go raises its own soft limit at start, Node does not).
raise_nofile() {
	ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
	if (($(ulimit -n) < 12000)); then
		echo "bench: WARNING: open-files limit is $(ulimit -n); the idle workload may fail (raise the hard limit)" >&2
	fi
}

# pin_cpus sets server_pin and gen_pin (commands prefixes: taskset to CPU 0 and CPU 1) and
# pinning (a line for the report); both prefixes are empty without taskset or a second CPU.
pin_cpus() {
	server_pin=() gen_pin=() pinning="not pinned (taskset missing or fewer than 2 CPUs)"
	if command -v taskset >/dev/null && (($(nproc) >= 2)) && taskset -c 0 true 2>/dev/null && taskset -c 1 true 2>/dev/null; then
		server_pin=(taskset -c 0) gen_pin=(taskset -c 1) pinning="server on CPU 0, wsbench on CPU 1 (taskset)"
	fi
}

# bench_tmpdir NAME prints a fresh directory for a run's data and binaries, on tmpfs when there
# is one (BENCH_TMPDIR wins): the store's fsyncs on a shared disk would otherwise dominate every
# REST write measured.
bench_tmpdir() {
	local base=${BENCH_TMPDIR:-}
	if [[ -z $base && -d /dev/shm && -w /dev/shm ]]; then
		base=/dev/shm
	fi
	mktemp -d -p "${base:-${TMPDIR:-/tmp}}" "$1.XXXXXX"
}

# stop_pids PID... sends SIGTERM to the processes still running and waits for them.
stop_pids() {
	local p
	for p in "$@"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "$@"; do
		wait "$p" 2>/dev/null || true
	done
}
