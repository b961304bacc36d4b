#!/usr/bin/env bash
# TLS's cost: the same `ringkv bench` (YCSB-A, 50 clients, 1 KiB values) against a plain 3-node
# cluster and a secure one (mutual TLS between nodes, HTTPS, --auth required), alternated
# ROUNDS times on this machine. Prints one JSON summary line per run. Usage:
#   bash scripts/tls-bench.sh [ROUNDS=2] [DURATION_S=15] [RECORDS=20000]
set -euo pipefail
ROUNDS=${1:-2}
DURATION=${2:-15}
RECORDS=${3:-20000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/ringkv-tls-bench-XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
node "$ROOT/bin/ringkv.js" certs --dir "$WORK/certs" --nodes n1,n2,n3 >/dev/null
openssl rand -hex 32 > "$WORK/admin-token"
TOKEN=$(cat "$WORK/admin-token")
run() {
  local mode=$1 round=$2 base=$((24000 + round * 100))
  local dir="$WORK/$mode-$round" scheme=http extra=()
  PIDS=()
  for i in 1 2 3; do
    local flags=(--id "n$i" --listen "127.0.0.1:$((base + i))" --http "127.0.0.1:$((base + 50 + i))" --data-dir "$dir/n$i" --log-level warn)
    [ "$i" != 1 ] && flags+=(--seeds "127.0.0.1:$((base + 1))")
    if [ "$mode" = secure ]; then
      flags+=(--peer-tls-cert "$WORK/certs/n$i.pem" --peer-tls-key "$WORK/certs/n$i-key.pem" --peer-tls-ca "$WORK/certs/ca.pem")
      flags+=(--http-tls-cert "$WORK/certs/n$i.pem" --http-tls-key "$WORK/certs/n$i-key.pem" --auth required --admin-token-file "$WORK/admin-token")
    fi
    node "$ROOT/bin/ringkv.js" start "${flags[@]}" 2>"$dir-n$i.log" &
    PIDS+=($!)
    sleep 1
  done
  if [ "$mode" = secure ]; then scheme=https; extra=(--token "$TOKEN" --ca "$WORK/certs/ca.pem"); fi
  local nodes="$scheme://127.0.0.1:$((base + 51)),$scheme://127.0.0.1:$((base + 52)),$scheme://127.0.0.1:$((base + 53))"
  for _ in $(seq 1 60); do
    if RINGKV_TOKEN=$TOKEN RINGKV_CA=$WORK/certs/ca.pem node "$ROOT/bin/ringkv.js" status --node "$scheme://127.0.0.1:$((base + 51))" 2>/dev/null | grep -q "3 members"; then break; fi
    sleep 1
  done
  sleep 3
  node "$ROOT/bin/ringkv.js" bench --nodes "$nodes" "${extra[@]}" --workload a --records "$RECORDS" --connections 50 \
    --duration-s "$DURATION" --value-bytes 1024 --seed 1 --json |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);const w=r.runs[0];console.log(JSON.stringify({mode:process.argv[1],round:+process.argv[2],opsPerS:w.throughputOpsPerS,errors:w.errors,latencyMs:w.latency}))})' "$mode" "$round"
  for p in "${PIDS[@]}"; do kill "$p"; done
  wait "${PIDS[@]}" 2>/dev/null || true
}
for round in $(seq 1 "$ROUNDS"); do
  run plain "$round"
  run secure "$round"
done
