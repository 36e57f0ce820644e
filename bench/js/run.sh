#!/usr/bin/env bash
# JavaScript benchmark: the same hello (and fib(25)) worker on Kiln's HTTP
# trigger (QuickJS-ng in wazero, fuel-metered), on workerd and on deno, in
# one run with wrk on loopback; then Kiln's isolated request start from the
# snapshot (Go benchmarks of runtime/quickjs).
#
#   bash bench/js/run.sh          # DURATION=10s CONNECTIONS=32 THREADS=2
#
# workerd and deno come from the npm registry at the versions pinned in
# bench/js/peers/package-lock.json (npm ci checks every tarball's
# integrity), installed once into ${KILN_BENCH_CACHE:-~/.cache/kiln/bench}.
# Needs Go, npm, the machine's PostgreSQL binaries and wrk (installed with
# apt if missing). Everything started is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
CACHE=${KILN_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kiln/bench}

# The peers, installed per lockfile content.
lock_sum=$(sha256sum bench/js/peers/package-lock.json | cut -c1-16)
peers="$CACHE/peers-$lock_sum"
if [ ! -x "$peers/node_modules/@cloudflare/workerd-linux-64/bin/workerd" ] || [ ! -x "$peers/node_modules/@deno/linux-x64-glibc/deno" ]; then
	echo "installing workerd and deno from npm into $peers" >&2
	rm -rf "$peers"
	mkdir -p "$peers"
	cp bench/js/peers/package.json bench/js/peers/package-lock.json "$peers/"
	# npm install, not npm ci: the lockfile holds only the platform packages npm
	# resolved here; every package it holds is checked against its integrity.
	(cd "$peers" && npm install --ignore-scripts --no-save --no-audit --no-fund --loglevel=error >&2)
fi
workerd_bin="$peers/node_modules/@cloudflare/workerd-linux-64/bin/workerd"
deno_bin="$peers/node_modules/@deno/linux-x64-glibc/deno"

. bench/lib.sh

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {
	for _ in $(seq 300); do
		curl -fs -o /dev/null "$1" && return 0
		sleep 0.1
	done
	echo "nothing answered at $1" >&2
	exit 1
}

# workerd: one service per worker, each on its own socket.
wd_hello=$(free_port)
wd_fib=$(free_port)
cp bench/js/hello/index.js "$work/hello.js"
cp bench/js/fib/index.js "$work/fib.js"
cat >"$work/workerd.capnp" <<CAPNP
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "hello", worker = .hello), (name = "fib", worker = .fib)],
  sockets = [
    (name = "hello", address = "127.0.0.1:$wd_hello", http = (), service = "hello"),
    (name = "fib", address = "127.0.0.1:$wd_fib", http = (), service = "fib"),
  ],
);
const hello :Workerd.Worker = (modules = [(name = "hello.js", esModule = embed "hello.js")], compatibilityDate = "2024-09-23");
const fib :Workerd.Worker = (modules = [(name = "fib.js", esModule = embed "fib.js")], compatibilityDate = "2024-09-23");
CAPNP
"$workerd_bin" serve "$work/workerd.capnp" >"$work/workerd.log" 2>&1 &
pids+=("$!")

# deno: deno serve runs the same default export.
dn_hello=$(free_port)
dn_fib=$(free_port)
"$deno_bin" serve --quiet --port "$dn_hello" "$work/hello.js" >"$work/deno-hello.log" 2>&1 &
pids+=("$!")
"$deno_bin" serve --quiet --port "$dn_fib" "$work/fib.js" >"$work/deno-fib.log" 2>&1 &
pids+=("$!")

# Kiln: a node on a temporary data dir, both workers deployed as functions.
echo "building kiln" >&2
go build -o "$work/kiln" ./cmd/kiln
start_kiln
export KILN_ENDPOINT="$KILN_URL/v1" KILN_DATA="$work/data"
# The same hello opting into warm reuse (no snapshot restore between requests).
mkdir -p "$work/hello-warm"
cp bench/js/hello/package.json "$work/hello-warm/"
{ cat bench/js/hello/index.js; echo 'export const config = { warm: true };'; } >"$work/hello-warm/index.js"
for fn in hello fib; do
	"$work/kiln" deploy "bench/js/$fn" --function "bench-$fn" >"$work/deploy.log" 2>&1 || { cat "$work/deploy.log" >&2; exit 1; }
done
"$work/kiln" deploy "$work/hello-warm" --function bench-hello-warm >"$work/deploy.log" 2>&1 || { cat "$work/deploy.log" >&2; exit 1; }

kiln_hello="$KILN_URL/fn/default/bench-hello/?name=Kiln"
kiln_fib="$KILN_URL/fn/default/bench-fib/"
kiln_warm="$KILN_URL/fn/default/bench-hello-warm/?name=Kiln"
for u in "http://127.0.0.1:$wd_hello/?name=Kiln" "http://127.0.0.1:$dn_hello/?name=Kiln" "$kiln_hello" "$kiln_warm"; do
	wait_http "$u"
	test "$(curl -fs "$u")" = "Hello, Kiln!" || { echo "unexpected answer from $u" >&2; exit 1; }
done
for u in "http://127.0.0.1:$wd_fib/" "http://127.0.0.1:$dn_fib/" "$kiln_fib"; do
	wait_http "$u"
	test "$(curl -fs "$u")" = "75025" || { echo "unexpected answer from $u" >&2; exit 1; }
done

echo "hello: wrk -t$THREADS -c$CONNECTIONS -d$DURATION on each" >&2
read -r w_rps w_p50 w_p99 w_bad < <(bench "http://127.0.0.1:$wd_hello/?name=Kiln")
read -r d_rps d_p50 d_p99 d_bad < <(bench "http://127.0.0.1:$dn_hello/?name=Kiln")
read -r k_rps k_p50 k_p99 k_bad < <(bench "$kiln_hello")
read -r kw_rps kw_p50 kw_p99 kw_bad < <(bench "$kiln_warm")
echo "fib(25): wrk -t1 -c1 -d$DURATION on each (one request at a time)" >&2
read -r wf_rps wf_p50 wf_p99 _ < <(bench "http://127.0.0.1:$wd_fib/" 1 1)
read -r df_rps df_p50 df_p99 _ < <(bench "http://127.0.0.1:$dn_fib/" 1 1)
read -r kf_rps kf_p50 kf_p99 _ < <(bench "$kiln_fib" 1 1)
fib_fuel=$("$work/kiln" logs bench-fib --limit 1 --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["fuel"])' || echo "?")
hello_fuel=$("$work/kiln" logs bench-hello --limit 1 --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["fuel"])' || echo "?")

echo "snapshot restore and hello on the engine: go test -bench 'Restore|Hello' ./runtime/quickjs" >&2
go test -run '^$' -bench 'Restore|Hello' -benchtime 2s -cpu 1 ./runtime/quickjs >"$work/gobench.out" 2>&1 || { cat "$work/gobench.out" >&2; exit 1; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cat <<TABLE
Hello: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, loopback, same run

| runtime | requests/s | p50 | p99 | non-2xx |
|---|---|---|---|---|
| workerd 1.20261117.1 | $w_rps | $w_p50 | $w_p99 | $w_bad |
| deno 2.9.6 | $d_rps | $d_p50 | $d_p99 | $d_bad |
| Kiln HTTP trigger (QuickJS-ng in wazero, metered; $hello_fuel fuel per request) | $k_rps | $k_p50 | $k_p99 | $k_bad |
| Kiln, the hello with config = { warm: true } | $kw_rps | $kw_p50 | $kw_p99 | $kw_bad |

Kiln / workerd requests/s: $(ratio "$k_rps" "$w_rps") (warm: $(ratio "$kw_rps" "$w_rps")); Kiln / deno: $(ratio "$k_rps" "$d_rps")

fib(25) per request, one at a time (wrk -t1 -c1):

| runtime | requests/s | p50 | p99 |
|---|---|---|---|
| workerd | $wf_rps | $wf_p50 | $wf_p99 |
| deno | $df_rps | $df_p50 | $df_p99 |
| Kiln ($fib_fuel fuel per request) | $kf_rps | $kf_p50 | $kf_p99 |

Kiln / deno fib requests/s: $(ratio "$kf_rps" "$df_rps")

Engine benchmarks (one core):
$(grep -E '^Benchmark' "$work/gobench.out")
TABLE
