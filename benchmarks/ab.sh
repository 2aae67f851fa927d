#!/usr/bin/env bash
# A/B of one operation's throughput between two Meridian builds or configurations, robust to a
# machine whose speed drifts by tens of percent within minutes (this VM does): both sides are up at
# once and short measured phases alternate between them (A B, then B A, ...), so both see the same
# drift. For strong-put (the default) and strong-get (linearizable reads) each side is a 3-node
# cluster on loopback; for counter-incr, set-add, key-put or key-get one durable node. Each side is
# a checkout whose build output it runs (default: this one), `--set` overrides and JVM options
# (default: MERIDIAN_OPTS, else -Xmx512m).
#   benchmarks/ab.sh [--op strong-put|strong-get|...] [--a-home DIR] [--b-home DIR] [--a-set k=v]... [--b-set k=v]...
#                    [--a-jvm "OPTS"] [--b-jvm "OPTS"]
#                    [--rounds 5] [--clients "1 16"] [--phase 12s] [--jit-warmup 360]
#                    [--data-parent /var/tmp]
# e.g. two builds:   benchmarks/ab.sh --a-home /var/tmp/meridian-before
#      two configs:  benchmarks/ab.sh --a-set raft.groups=8 --b-set raft.groups=3
#      JVM options:  benchmarks/ab.sh --b-jvm "-Xmx512m -XX:TieredStopAtLevel=1"
#      one node:     benchmarks/ab.sh --op counter-incr --a-home /var/tmp/meridian-before
#                    (clients default to 50 and phases to 30s there, as in run-single-node.sh)
# Prints one line per phase (with the side's server CPU per request, from /proc, and for strong
# keys the commands per trip through Raft of the node the load goes to), then per client count the
# B/A ratio of each round and their mean; for strong keys also how many Raft groups the node the
# load goes to leads on each side, before and after the phases.
# The generator and the rest of the run come from this checkout; the other home must be built.
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

a_home=$repo_dir b_home=$repo_dir a_set=() b_set=()
a_jvm=${MERIDIAN_OPTS:--Xmx512m} b_jvm=${MERIDIAN_OPTS:--Xmx512m}
rounds=5 clients="" phase="" jit_warmup=360 parent=/var/tmp op=strong-put
while (($#)); do
  case "$1" in
    --op) op="$2"; shift 2 ;;
    --a-home) a_home=$(cd "$2" && pwd); shift 2 ;;
    --b-home) b_home=$(cd "$2" && pwd); shift 2 ;;
    --a-set) a_set+=(--set "$2"); shift 2 ;;
    --b-set) b_set+=(--set "$2"); shift 2 ;;
    --a-jvm) a_jvm="$2"; shift 2 ;;
    --b-jvm) b_jvm="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --phase) phase="$2"; shift 2 ;;
    --jit-warmup) jit_warmup="${2%s}"; shift 2 ;;
    --data-parent) parent="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
# Per operation: a cluster or one node, the key space, and the default clients and phase length.
case "$op" in
  strong-put) cluster=yes keys=1000 clients=${clients:-"1 16"} phase=${phase:-12s} trip_kind=write ;;
  strong-get) cluster=yes keys=1000 clients=${clients:-"1 16"} phase=${phase:-12s} trip_kind=read ;;
  counter-incr | set-add | key-put | key-get)
    cluster="" keys=10000 clients=${clients:-50} phase=${phase:-30s} ;;
  *) echo "--op must be strong-put, strong-get, counter-incr, set-add, key-put or key-get" >&2; exit 2 ;;
esac
ensure_built
for home in "$a_home" "$b_home"; do
  [ -d "$home/gateway/target/lib" ] || { echo "$home is not built (mvn -DskipTests package)" >&2; exit 1; }
done

work=$(mktemp -d "$parent/meridian-ab.XXXXXX")
classpath=$(snapshot_classpath "$work/cp")
read -r -a jvm_flags <<<"$(meridian_jvm_flags)"
trap 'stop_started; rm -rf "$work"' EXIT

base=$((20000 + RANDOM % 20000))
declare -A url nodes
start() { # side home jvm-options port set...
  if [ -n "$cluster" ]; then
    MERIDIAN_OPTS="$3" "$2/bin/meridian" local-cluster --regions 1 \
      --nodes-per-region 3 --base-port "$4" --data-dir "$work/$1" "${@:5}" >"$work/$1.log" 2>&1 &
  else
    MERIDIAN_OPTS="$3" "$2/bin/meridian" start --set "http.port=$4" --set "cluster.port=$(($4 + 1))" \
      --set "cluster.busPort=$(($4 + 2))" --set "raft.port=$(($4 + 3))" \
      --set "node.dataDir=$work/$1" "${@:5}" >"$work/$1.log" 2>&1 &
  fi
  started_pids+=($!)
  url[$1]="http://127.0.0.1:$4"
}
ready() { # side: the cluster's strong keys answer, or the node is healthy
  if [ -n "$cluster" ]; then
    curl -sf -X PUT "${url[$1]}/v1/strong/ready" --data-binary x >/dev/null 2>&1
  else
    curl -sf "${url[$1]}/health" >/dev/null 2>&1
  fi
}
start A "$a_home" "$a_jvm" "$base" "${a_set[@]}"
start B "$b_home" "$b_jvm" $((base + 1000)) "${b_set[@]}" # a cluster uses base .. base+399
for side in A B; do
  for _ in $(seq 1 240); do
    ready "$side" && break
    sleep 1
  done
  ready "$side" || { tail -30 "$work/$side.log" >&2; echo "side $side never became ready" >&2; exit 1; }
done
# The JVMs of each side: a cluster's are its launcher's children; bin/meridian start execs its JVM.
jvms() { # launcher-pid
  if [ -n "$cluster" ]; then pgrep -P "$1" | tr '\n' ' '; else echo "$1"; fi
}
nodes[A]=$(jvms "${started_pids[0]}")
nodes[B]=$(jvms "${started_pids[1]}")

generate() { # url connections duration warmup [more generator args]
  java "${jvm_flags[@]}" -Xmx512m -cp "$classpath" io.meridian.benchmarks.http.LoadGenerator \
    --url "$1" --mix "$op=1" --connections "$2" --duration "$3" --warmup "$4" \
    --keys "$keys" --value-bytes 100 "${@:5}"
}
# Each side gets untimed load until its JVMs' JIT compilers settle (common.sh, warm_until_compiled).
warm_clients=64
[ -n "$cluster" ] || warm_clients=${clients%% *}
case "$op" in
  key-get | strong-get)
    for side in A B; do generate "${url[$side]}" 50 1s 0s --preload >/dev/null; done ;;
esac
for side in A B; do
  echo "$side warmed up in $(warm_until_compiled "$jit_warmup" "${nodes[$side]}" generate "${url[$side]}" "$warm_clients" 15s 0s)"
done

results="$work/phases"
measure() { # side connections
  local before after trips_before="0 0" trips_after="0 0"
  [ -z "$cluster" ] || trips_before=$(trip_counts "${url[$1]}" "$trip_kind")
  # shellcheck disable=SC2086 # a side's PIDs are a list of words
  before=$(cpu_ticks ${nodes[$1]})
  generate "${url[$1]}" "$2" "$phase" 2s --output json >"$work/phase.json"
  # shellcheck disable=SC2086
  after=$(cpu_ticks ${nodes[$1]})
  [ -z "$cluster" ] || trips_after=$(trip_counts "${url[$1]}" "$trip_kind")
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
o = d["ops"][sys.argv[2]]
l = o["latencyMicros"]
requests = o["ops"] + d["total"]["warmupOps"]
cpu_us = (int(sys.argv[6]) - int(sys.argv[5])) / int(sys.argv[7]) * 1e6 / max(requests, 1)
(t0, c0), (t1, c1) = (map(int, a.split()) for a in sys.argv[8:10])
per_trip = " %.1f" % ((c1 - c0) / (t1 - t0)) if t1 > t0 else ""
print("%s %s %.0f %.1f %.1f %.0f%s" % (sys.argv[3], sys.argv[4], o["opsPerSecond"], l["p50"] / 1000, l["p99"] / 1000, cpu_us, per_trip))
' "$work/phase.json" "$op" "$1" "$2" "$before" "$after" "$(getconf CLK_TCK)" "$trips_before" "$trips_after" | tee -a "$results"
}
# Strong keys: where each side's elections put the leaders (it moves a side's figures by tens of
# percent), before and after the phases.
report_leaders() {
  [ -n "$cluster" ] || return 0
  for side in A B; do echo "$side: $(led_groups "${url[$side]}") $1"; done
}
report_leaders "before the phases"
echo "side clients ops/s p50_ms p99_ms server_cpu_us_per_request${cluster:+ commands_per_trip}"
for round in $(seq 1 "$rounds"); do
  for c in $clients; do
    if ((round % 2)); then measure A "$c"; measure B "$c"; else measure B "$c"; measure A "$c"; fi
  done
done
report_leaders "after the phases"
python3 - "$results" <<'EOF'
import collections, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    side, clients, ops = line.split()[:3]
    runs[(side, int(clients))].append(float(ops))
for clients in sorted({c for _, c in runs}):
    ratios = [b / a for a, b in zip(runs[("A", clients)], runs[("B", clients)])]
    print("%d clients: B/A per round %s, mean %.2f" % (
        clients, " ".join("%.2f" % r for r in ratios), sum(ratios) / len(ratios)))
EOF
