#!/usr/bin/env bash
# Geo-replication figures in one run (issue 5): a 3-region local cluster on loopback with an
# injected inter-region delay; convergence lag A -> C, delta vs full-state bandwidth for a
# 10,000-element OR-set under 100 ops/s, and local write throughput with the other regions
# connected vs cut off (their nodes SIGSTOPped). Prints a Markdown table; writes it to
# benchmarks/results/geo-<date>.md.
#   benchmarks/run-geo.sh [--delay-ms 50] [--interval-ms 200] [--duration 20s]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home="$(cd "$here/.." && pwd)"
delay=50 interval=200 duration=20s
while (($#)); do
  case "$1" in
    --delay-ms) delay="$2"; shift 2 ;;
    --interval-ms) interval="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

if [[ ! -d "$home/benchmarks/target/lib" || ! -d "$home/gateway/target/lib" ]]; then
  (cd "$home" && mvn -B -q -DskipTests package)
fi
read -r -a jvm_flags <"$home/gateway/target/launcher/jvm-flags"
classpath="$home/benchmarks/target/classes:$home/benchmarks/target/lib/*"
work="$(mktemp -d)"
port=$((20000 + RANDOM % 20000))
cluster_pid=""
stopped=()
cleanup() {
  for pid in "${stopped[@]}"; do kill -CONT "$pid" 2>/dev/null || true; done
  if [[ -n "$cluster_pid" ]]; then
    kill -TERM "$cluster_pid" 2>/dev/null || true
    wait "$cluster_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

MERIDIAN_OPTS="-Xmx384m" "$home/bin/meridian" local-cluster --regions 3 --nodes-per-region 1 \
  --base-port "$port" --data-dir "$work/data" \
  --set "faults.regionDelays=[\"r1/r2=$delay\",\"r1/r3=$delay\",\"r2/r3=$delay\"]" \
  --set "gossip.intervalMs=$interval" >"$work/cluster.log" 2>&1 &
cluster_pid=$!
for _ in $(seq 1 180); do
  grep -q "local cluster is up" "$work/cluster.log" && break
  kill -0 "$cluster_pid" 2>/dev/null || { cat "$work/cluster.log" >&2; exit 1; }
  sleep 1
done
grep -q "local cluster is up" "$work/cluster.log" || { echo "cluster did not start" >&2; exit 1; }
a="http://127.0.0.1:$port" c="http://127.0.0.1:$((port + 2))"
sleep 5

bench() { java "${jvm_flags[@]}" -Xmx512m -cp "$classpath" "$@"; }
lag=$(bench io.meridian.benchmarks.replication.GeoBenchmark lag "$a" "$c" 300)
bandwidth=$(bench io.meridian.benchmarks.replication.GeoBenchmark bandwidth "$a" 30)
loadgen() {
  bench io.meridian.benchmarks.http.LoadGenerator --url "$a" --connections 50 \
    --duration "$duration" --warmup 3s --mix counter-incr=1 --output json
}
connected=$(loadgen)
mapfile -t others < <(pgrep -P "$cluster_pid" | tail -n +2)
for pid in "${others[@]}"; do kill -STOP "$pid"; stopped+=("$pid"); done
cut=$(loadgen)
for pid in "${stopped[@]}"; do kill -CONT "$pid"; done
stopped=()

json() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print($2)" "$1"; }
p50=$(json "$lag" 'd["p50Ms"]') p99=$(json "$lag" 'd["p99Ms"]')
target=$((delay + 2 * interval + 50))
connected_ops=$(json "$connected" 'round(d["ops"]["counter-incr"]["opsPerSecond"])')
cut_ops=$(json "$cut" 'round(d["ops"]["counter-incr"]["opsPerSecond"])')
report="$home/benchmarks/results/geo-$(date +%F).md"
mkdir -p "$(dirname "$report")"
{
  echo "## Geo-replication, $(date -u +%FT%TZ)"
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB;" \
    "JDK $(java -version 2>&1 | head -1 | cut -d'"' -f2); commit $(git -C "$home" rev-parse --short HEAD)." \
    "3 regions x 1 node on loopback, ${delay} ms injected between regions, gossip every ${interval} ms."
  echo
  echo "| figure | value | target |"
  echo "|---|---|---|"
  echo "| convergence lag A -> C, p50 | ${p50} ms | |"
  echo "| convergence lag A -> C, p99 | ${p99} ms | <= ${target} ms |"
  json "$bandwidth" '"\n".join("| OR-set 10k elements, 100 ops/s, to %s | %s B/s as deltas vs %s B/s as full states (%.0fx fewer) | >= 50x |" % (r, v["deltaBytesPerSecond"], v["fullStateBytesPerSecond"], v["ratio"] or 0) for r, v in d["regions"].items())'
  echo "| counter increments in A, other regions connected | ${connected_ops} ops/s | |"
  echo "| counter increments in A, other regions stopped | ${cut_ops} ops/s | within 10% |"
} | tee "$report"
