# Shared by the benchmark scripts (source it from the repository root):
# wrk, a temporary work folder cleaned on exit, a kiln node, wrk figures.

if ! command -v wrk >/dev/null; then
	echo "installing wrk" >&2
	apt-get install -y -q wrk >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
fi

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	# the managed Postgres runs as another user when started as root
	chmod -R a+rwX "$work" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# start_kiln starts "$work/kiln" serve on "$work/data" at a free port and
# sets KILN_URL and kiln_pid once it is healthy. KILN_SERVE_ENV (e.g.
# XDG_CACHE_HOME=...) and PPROF_ADDR are passed on.
start_kiln() {
	: >"$work/serve.log"
	env ${KILN_SERVE_ENV:-} "$work/kiln" serve --data "$work/data" --addr 127.0.0.1:0 --log-level warn \
		${PPROF_ADDR:+--pprof-addr "$PPROF_ADDR"} 2>"$work/serve.log" &
	kiln_pid=$!
	pids+=("$kiln_pid")
	for _ in $(seq 600); do
		KILN_URL=$(grep -o 'API  *http://[^ ]*/v1' "$work/serve.log" | head -1 | sed 's/API  *//; s#/v1$##' || true)
		if [ -n "$KILN_URL" ] && curl -fs "$KILN_URL/v1/health" >/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	cat "$work/serve.log" >&2
	echo "kiln serve did not become healthy" >&2
	exit 1
}

# bench URL [threads connections] prints "requests/s p50 p99 non-2xx" of a
# wrk run of $DURATION.
bench() {
	wrk -t"${2:-$THREADS}" -c"${3:-$CONNECTIONS}" -d"$DURATION" --latency "$1" >"$work/wrk.out"
	awk '
		/Requests\/sec/ { rps = $2 }
		$1 == "50%" { p50 = $2 }
		$1 == "99%" { p99 = $2 }
		/Non-2xx/ { bad = $NF }
		END { printf "%s %s %s %s\n", rps, p50, p99, (bad == "" ? 0 : bad) }' "$work/wrk.out"
}
