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

# The peers, installed per lockfile content. package.json names the
# linux-x64 packages directly (not the workerd and deno wrappers, whose
# optional dependencies for every platform a lockfile must hold), so npm ci
# installs exactly the lockfile and checks each tarball's integrity.
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
	echo "bench/js/peers pins the linux-x64 builds of workerd and deno; this is $(uname -s)-$(uname -m)" >&2
	exit 1
fi
lock_sum=$(sha256sum bench/js/peers/package-lock.json | cut -c1-16)
peers="$CACHE/peers-$lock_sum"
if [ ! -x "$peers/node_modules/@cloudflare/workerd-linux-64/bin/workerd" ] || [ ! -x "$peers/node_modules/@deno/linux-x64-glibc/deno" ]; then
	echo "installing workerd and deno from npm into $peers" >&2
	rm -rf "$peers"
	mkdir -p "$peers"
	cp bench/js/peers/package.json bench/js/peers/package-lock.json "$peers/"
	(cd "$peers" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
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
# When a deploy fails the Kiln rows are skipped and the log says why.
echo "building kiln" >&2
go build -o "$work/kiln" ./cmd/kiln
start_kiln
export KILN_ENDPOINT="$KILN_URL/v1" KILN_DATA="$work/data"
# The same hello opting into warm reuse (no snapshot restore between requests).
mkdir -p "$work/hello-warm"
cp bench/js/hello/package.json "$work/hello-warm/"
{ cat bench/js/hello/index.js; echo 'export const config = { warm: true };'; } >"$work/hello-warm/index.js"
kiln_ok=1
for d in "bench/js/hello bench-hello" "bench/js/fib bench-fib" "$work/hello-warm bench-hello-warm"; do
	set -- $d
	if ! "$work/kiln" deploy "$1" --function "$2" >"$work/deploy.log" 2>&1; then
		echo "SKIPPING Kiln: kiln deploy $1 failed:" >&2
		sed 's/^/  /' "$work/deploy.log" >&2
		kiln_ok=0
		break
	fi
done

kiln_hello="$KILN_URL/fn/default/bench-hello/?name=Kiln"
kiln_fib="$KILN_URL/fn/default/bench-fib/"
kiln_warm="$KILN_URL/fn/default/bench-hello-warm/?name=Kiln"
hello_urls=("http://127.0.0.1:$wd_hello/?name=Kiln" "http://127.0.0.1:$dn_hello/?name=Kiln")
fib_urls=("http://127.0.0.1:$wd_fib/" "http://127.0.0.1:$dn_fib/")
if [ "$kiln_ok" = 1 ]; then
	hello_urls+=("$kiln_hello" "$kiln_warm")
	fib_urls+=("$kiln_fib")
fi
for u in "${hello_urls[@]}"; do
	wait_http "$u"
	test "$(curl -fs "$u")" = "Hello, Kiln!" || { echo "unexpected answer from $u" >&2; exit 1; }
done
for u in "${fib_urls[@]}"; do
	wait_http "$u"
	test "$(curl -fs "$u")" = "75025" || { echo "unexpected answer from $u" >&2; exit 1; }
done

skipped="skipped skipped skipped -"
k_line=$skipped kw_line=$skipped kf_line=$skipped
hello_fuel="?" fib_fuel="?"
echo "hello: wrk -t$THREADS -c$CONNECTIONS -d$DURATION on each" >&2
read -r w_rps w_p50 w_p99 w_bad < <(bench "http://127.0.0.1:$wd_hello/?name=Kiln")
read -r d_rps d_p50 d_p99 d_bad < <(bench "http://127.0.0.1:$dn_hello/?name=Kiln")
if [ "$kiln_ok" = 1 ]; then
	k_line=$(bench "$kiln_hello")
	kw_line=$(bench "$kiln_warm")
fi
read -r k_rps k_p50 k_p99 k_bad <<<"$k_line"
read -r kw_rps kw_p50 kw_p99 kw_bad <<<"$kw_line"
echo "fib(25): wrk -t1 -c1 -d$DURATION on each (one request at a time)" >&2
read -r wf_rps wf_p50 wf_p99 _ < <(bench "http://127.0.0.1:$wd_fib/" 1 1)
read -r df_rps df_p50 df_p99 _ < <(bench "http://127.0.0.1:$dn_fib/" 1 1)
if [ "$kiln_ok" = 1 ]; then
	kf_line=$(bench "$kiln_fib" 1 1)
	fib_fuel=$("$work/kiln" logs bench-fib --limit 1 --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["fuel"])' || echo "?")
	hello_fuel=$("$work/kiln" logs bench-hello --limit 1 --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["fuel"])' || echo "?")
fi
read -r kf_rps kf_p50 kf_p99 _ <<<"$kf_line"
# The servers stop before the engine benchmark, which then has the cores.
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()

echo "the engine alone: go test -bench 'Restore|Hello|Fib25' ./runtime/quickjs" >&2
go test -run '^$' -bench 'Restore|Hello|Fib25' -benchtime 2s -cpu 1 ./runtime/quickjs >"$work/gobench.out" 2>&1 || { cat "$work/gobench.out" >&2; exit 1; }
# metric VALUE UNIT of a benchmark line: the number before UNIT.
metric() { awk -v b="$1" -v u="$2" '$1 ~ "^"b"(-[0-9]+)?$" { for (i = 2; i <= NF; i++) if ($i == u) print $(i-1) }' "$work/gobench.out"; }
ef_p50=$(metric BenchmarkFib25 p50-µs)
ef_p99=$(metric BenchmarkFib25 p99-µs)
ef_rps=$(metric BenchmarkFib25 req/s)
ef_fuel=$(metric BenchmarkFib25 fuel/op)

# wrk prints latencies with units (812.00us, 1.20ms, 2.01s); ms is a number.
ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.3f", v / 1000; else if (v ~ /ms$/) printf "%.3f", v + 0; else if (v ~ /s$/) printf "%.3f", v * 1000; else print "?" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }
cat <<TABLE
Hello: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, loopback, same run

| runtime | requests/s | p50 | p99 | non-2xx |
|---|---|---|---|---|
| workerd 1.20261117.1 | $w_rps | $w_p50 | $w_p99 | $w_bad |
| deno 2.9.6 | $d_rps | $d_p50 | $d_p99 | $d_bad |
| Kiln HTTP trigger (QuickJS-ng in wazero, metered; $hello_fuel fuel per request) | $k_rps | $k_p50 | $k_p99 | $k_bad |
| Kiln, the hello with config = { warm: true } | $kw_rps | $kw_p50 | $kw_p99 | $kw_bad |

Kiln / workerd requests/s: $(ratio "$k_rps" "$w_rps") (warm: $(ratio "$kw_rps" "$w_rps")); Kiln / deno: $(ratio "$k_rps" "$d_rps")

fib(25) per request, one at a time (wrk -t1 -c1; the engine row: go test -bench Fib25 -cpu 1, no HTTP):

| runtime | requests/s | p50 | p99 |
|---|---|---|---|
| workerd | $wf_rps | $wf_p50 | $wf_p99 |
| deno | $df_rps | $df_p50 | $df_p99 |
| Kiln HTTP trigger ($fib_fuel fuel per request) | $kf_rps | $kf_p50 | $kf_p99 |
| Kiln engine alone ($ef_fuel fuel per request) | $ef_rps | ${ef_p50}us | ${ef_p99}us |

fib(25) time, Kiln / deno (p50): trigger $(ratio "$(ms "$kf_p50")" "$(ms "$df_p50")"), engine alone $(ratio "$(awk -v v="$ef_p50" 'BEGIN { print v / 1000 }')" "$(ms "$df_p50")")

Engine benchmarks (one core):
$(grep -E '^Benchmark' "$work/gobench.out")
TABLE
