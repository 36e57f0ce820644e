#!/usr/bin/env bash
# Trigger benchmark: examples/hello-go through Kiln's HTTP trigger against a
# bare Fiber hello in the same run (wrk, loopback only), deploy-to-ready with
# a cold and a warm build cache, and the first request after a node restart.
#
#   bash bench/trigger/run.sh            # DURATION=10s CONNECTIONS=32 THREADS=2
#
# Needs Go, the machine's PostgreSQL binaries and wrk (installed with apt if
# missing). Everything it starts lives in a temporary folder and is stopped
# on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}

. bench/lib.sh
# An empty build cache for the node, so the first deploy is a cold build.
KILN_SERVE_ENV="XDG_CACHE_HOME=$work/cache"

echo "building kiln and the Fiber baseline" >&2
go build -o "$work/kiln" ./cmd/kiln
go build -o "$work/fiberhello" ./bench/trigger/fiberhello

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

start_kiln
export KILN_ENDPOINT="$KILN_URL/v1" KILN_DATA="$work/data"

t0=$(now)
"$work/kiln" deploy examples/hello-go --function hello-go >"$work/deploy.log" 2>&1 || { cat "$work/deploy.log" >&2; exit 1; }
cold=$(secs "$t0" "$(now)")
t0=$(now)
"$work/kiln" deploy examples/hello-go --function hello-go >"$work/deploy.log" 2>&1 || { cat "$work/deploy.log" >&2; exit 1; }
warm=$(secs "$t0" "$(now)")

url="$KILN_URL/fn/default/hello-go/?name=Kiln"
first=$(curl -fs -o /dev/null -w '%{time_total}' "$url")
test "$(curl -fs "$url")" = "Hello, Kiln!" || { echo "unexpected answer from hello-go" >&2; exit 1; }

"$work/fiberhello" >"$work/fiber.addr" &
pids+=("$!")
for _ in $(seq 100); do [ -s "$work/fiber.addr" ] && break; sleep 0.05; done
fiber_url="http://$(cat "$work/fiber.addr")/?name=Kiln"
test "$(curl -fs "$fiber_url")" = "Hello, Kiln!"

curl -fs "$url" >/dev/null # warm the instance pool
read -r f_rps f_p50 f_p99 f_bad < <(bench "$fiber_url")
read -r k_rps k_p50 k_p99 k_bad < <(bench "$url")

# Restart the node: the first request compiles from the on-disk cache.
kill -TERM "$kiln_pid"
wait "$kiln_pid" 2>/dev/null || true
t0=$(now)
start_kiln
url="$KILN_URL/fn/default/hello-go/?name=Kiln"
restart_ready=$(secs "$t0" "$(now)")
after_restart=$(curl -fs -o /dev/null -w '%{time_total}' "$url")
second=$(curl -fs -o /dev/null -w '%{time_total}' "$url")

ratio=$(awk -v k="$k_rps" -v f="$f_rps" 'BEGIN { printf "%.2f", k / f }')
cat <<TABLE
wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, loopback, same run

| target | requests/s | p50 | p99 | non-2xx |
|---|---|---|---|---|
| bare Fiber hello | $f_rps | $f_p50 | $f_p99 | $f_bad |
| hello-go through Kiln's HTTP trigger | $k_rps | $k_p50 | $k_p99 | $k_bad |

Kiln / Fiber requests/s: $ratio

| step | time |
|---|---|
| kiln deploy examples/hello-go, empty build cache (deploy → ready → active) | ${cold} s |
| the same deploy again, warm build cache | ${warm} s |
| first request after activation | ${first} s |
| node restart to healthy | ${restart_ready} s |
| first request after the restart (compiled from the on-disk cache) | ${after_restart} s |
| second request after the restart | ${second} s |
TABLE
