#!/usr/bin/env bash
# A/B of strong-key PUT throughput between two 3-node Meridian clusters, robust to a machine whose
# speed drifts by tens of percent within minutes (this VM does): both clusters are up at once and
# short measured phases alternate between them (A B, then B A, ...), so both see the same drift.
# Each side is a checkout whose build output it runs (default: this one), `--set` overrides and
# JVM options (default: MERIDIAN_OPTS, else -Xmx512m).
#   benchmarks/ab-strong.sh [--a-home DIR] [--b-home DIR] [--a-set k=v]... [--b-set k=v]...
#                           [--a-jvm "OPTS"] [--b-jvm "OPTS"]
#                           [--rounds 5] [--clients "1 16"] [--phase 12s] [--jit-warmup 360]
#                           [--data-parent /var/tmp]
# e.g. two builds:   benchmarks/ab-strong.sh --a-home /var/tmp/meridian-before
#      two configs:  benchmarks/ab-strong.sh --a-set raft.groups=8 --b-set raft.groups=3
#      JVM options:  benchmarks/ab-strong.sh --b-jvm "-Xmx512m -XX:TieredStopAtLevel=1"
# Prints one line per phase, then per client count the B/A ratio of each round and their mean.
# The generator and the rest of the run come from this checkout; the other home must be built.
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

a_home=$repo_dir b_home=$repo_dir a_set=() b_set=()
a_jvm=${MERIDIAN_OPTS:--Xmx512m} b_jvm=${MERIDIAN_OPTS:--Xmx512m}
rounds=5 clients="1 16" phase=12s jit_warmup=360 parent=/var/tmp
while (($#)); do
  case "$1" in
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
ensure_built
for home in "$a_home" "$b_home"; do
  [ -d "$home/gateway/target/lib" ] || { echo "$home is not built (mvn -DskipTests package)" >&2; exit 1; }
done

work=$(mktemp -d "$parent/meridian-ab-strong.XXXXXX")
classpath=$(snapshot_classpath "$work/cp")
read -r -a jvm_flags <<<"$(meridian_jvm_flags)"
trap 'stop_started; rm -rf "$work"' EXIT

base=$((20000 + RANDOM % 20000))
declare -A url launcher
start() { # side home jvm-options port set...
  MERIDIAN_OPTS="$3" "$2/bin/meridian" local-cluster --regions 1 \
    --nodes-per-region 3 --base-port "$4" --data-dir "$work/$1" "${@:5}" >"$work/$1.log" 2>&1 &
  started_pids+=($!)
  launcher[$1]=$!
  url[$1]="http://127.0.0.1:$4"
}
start A "$a_home" "$a_jvm" "$base" "${a_set[@]}"
start B "$b_home" "$b_jvm" $((base + 1000)) "${b_set[@]}" # a cluster uses base .. base+399
for side in A B; do
  for _ in $(seq 1 240); do
    curl -sf -X PUT "${url[$side]}/v1/strong/ready" --data-binary x >/dev/null 2>&1 && break
    sleep 1
  done
  curl -sf -X PUT "${url[$side]}/v1/strong/ready" --data-binary x >/dev/null \
    || { tail -30 "$work/$side.log" >&2; echo "cluster $side never became ready" >&2; exit 1; }
done

generate() { # url connections duration warmup [more generator args]
  java "${jvm_flags[@]}" -Xmx512m -cp "$classpath" io.meridian.benchmarks.http.LoadGenerator \
    --url "$1" --mix strong-put=1 --connections "$2" --duration "$3" --warmup "$4" \
    --keys 1000 --value-bytes 100 "${@:5}"
}
# Each side gets untimed load until its JVMs' JIT compilers settle (common.sh, warm_until_compiled).
for side in A B; do
  nodes=$(pgrep -P "${launcher[$side]}" | tr '\n' ' ')
  echo "$side warmed up in $(warm_until_compiled "$jit_warmup" "$nodes" generate "${url[$side]}" 64 15s 0s)"
done

results="$work/phases"
measure() { # side connections
  generate "${url[$1]}" "$2" "$phase" 2s --output json | python3 -c '
import json, sys
d = json.load(sys.stdin)["ops"]["strong-put"]
l = d["latencyMicros"]
print("%s %s %.0f %.1f %.1f" % (sys.argv[1], sys.argv[2], d["opsPerSecond"], l["p50"] / 1000, l["p99"] / 1000))
' "$1" "$2" | tee -a "$results"
}
echo "side clients PUT/s p50_ms p99_ms"
for round in $(seq 1 "$rounds"); do
  for c in $clients; do
    if ((round % 2)); then measure A "$c"; measure B "$c"; else measure B "$c"; measure A "$c"; fi
  done
done
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
