#!/usr/bin/env bash
# One machine, K nodes (N=1): throughput of workload A and the CPU the nodes used, summed.
# usage: bash scripts/nodes-per-host.sh K BASE_PORT   (after npm run build; see BENCHMARKS.md)
set -euo pipefail
cd "$(dirname "$0")/.."
nodes="$1"
base="$2"
log="$(mktemp)"
node bin/ringkv.js dev --nodes "$nodes" --n 1 --temp --partitions 64 --base-port "$base" >"$log" 2>&1 &
dev=$!
trap 'kill -INT "$dev" 2>/dev/null || true; wait "$dev" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 60); do grep -q "Ctrl-C stops" "$log" && break; sleep 1; done
url="http://127.0.0.1:$((base + 1000))"
node bin/ringkv.js bench --node "$url" --records 20000 --workload a --duration-s 1 --connections 50 >/dev/null
kids="$(pgrep -P "$dev")"
cpu_ticks() { for p in $kids; do awk '{print $14 + $15}' "/proc/$p/stat"; done | paste -sd+ | bc; }
before="$(cpu_ticks)"
t0="$(date +%s.%N)"
node bin/ringkv.js bench --node "$url" --records 20000 --skip-load --workload a --duration-s 20 --connections 50 |
  grep -E "workload a"
after="$(cpu_ticks)"
t1="$(date +%s.%N)"
ticks="$(getconf CLK_TCK)"
echo "nodes=$nodes: the nodes used $(echo "($after - $before) / $ticks / ($t1 - $t0) * 100" | bc -l | cut -c1-5)% of one core, summed"
