#!/usr/bin/env bash
# One region of 3 nodes (n=3, w=2, r=2) against one node, in one run (issue 3): counter
# increments and key gets at 50 connections, ops/s and p50/p99 for both and their ratio, plus a
# short JFR profile of a cluster node under increments (where the time goes). Writes
# benchmarks/results/cluster-<date>.md.
#   benchmarks/run-cluster.sh [--duration 20s] [--warmup 10s] [--data-parent /var/tmp]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home="$(cd "$here/.." && pwd)"
duration=20s warmup=10s parent=/var/tmp
while (($#)); do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --data-parent) parent="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
if [[ ! -d "$home/benchmarks/target/lib" || ! -d "$home/gateway/target/lib" ]]; then
  (cd "$home" && mvn -B -q -DskipTests -Dspotless.check.skip=true install)
fi
read -r -a jvm_flags <"$home/gateway/target/launcher/jvm-flags"
work="$(mktemp -d "$parent/meridian-cluster-bench.XXXXXX")"
mkdir -p "$work/cp" && cp -R "$home/benchmarks/target/classes" "$home/benchmarks/target/lib" "$work/cp/"
classpath="$work/cp/classes:$work/cp/lib/*"
pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
trap 'stop_all; rm -rf "$work"' EXIT
base=$((20000 + RANDOM % 20000))

load() { # url mix [--preload]
  java "${jvm_flags[@]}" -Xmx512m -cp "$classpath" io.meridian.benchmarks.http.LoadGenerator \
    --url "$1" --mix "$2=1" --connections 50 --duration "$duration" --warmup "$warmup" \
    --output json "${@:3}"
}
figures() { # json op -> "ops p50 p99"
  python3 -c '
import json, sys
d = json.loads(sys.argv[1])["ops"][sys.argv[2]]
print("%.0f %.2f %.2f" % (d["opsPerSecond"], d["latencyMicros"]["p50"] / 1000, d["latencyMicros"]["p99"] / 1000))
' "$1" "$2"
}
await_http() { for _ in $(seq 1 180); do curl -sf "$1/health" >/dev/null && return; sleep 1; done; return 1; }

# One node.
MERIDIAN_OPTS="-Xmx512m" "$home/bin/meridian" start --set "http.port=$base" \
  --set "raft.port=$((base + 300))" --set "node.dataDir=$work/single" >"$work/single.log" 2>&1 &
pids+=($!)
await_http "http://127.0.0.1:$base"
read -r s_incr s_incr_p50 s_incr_p99 <<<"$(figures "$(load "http://127.0.0.1:$base" counter-incr)" counter-incr)"
read -r s_get s_get_p50 s_get_p99 <<<"$(figures "$(load "http://127.0.0.1:$base" key-get --preload)" key-get)"
stop_all

# Three nodes.
MERIDIAN_OPTS="-Xmx512m" "$home/bin/meridian" local-cluster --regions 1 --nodes-per-region 3 \
  --base-port "$base" --data-dir "$work/cluster" >"$work/cluster.log" 2>&1 &
cluster=$!
pids+=("$cluster")
for _ in $(seq 1 240); do grep -q "local cluster is up" "$work/cluster.log" && break; sleep 1; done
sleep 5
node1=$(pgrep -P "$cluster" | head -1)
jcmd "$node1" JFR.start name=bench settings=profile filename="$work/node1.jfr" >/dev/null
read -r c_incr c_incr_p50 c_incr_p99 <<<"$(figures "$(load "http://127.0.0.1:$base" counter-incr)" counter-incr)"
jcmd "$node1" JFR.stop name=bench >/dev/null
read -r c_get c_get_p50 c_get_p99 <<<"$(figures "$(load "http://127.0.0.1:$base" key-get --preload)" key-get)"
profile=$(jfr print --events jdk.ExecutionSample "$work/node1.jfr" | python3 -c '
import collections, re, sys
threads, meridian, leaves = collections.Counter(), collections.Counter(), collections.Counter()
for event in sys.stdin.read().split("jdk.ExecutionSample")[1:]:
    name = re.search(r"sampledThread = \"([^\"]+)\"", event)
    frames = re.findall(r"^\s+([\w.$<>]+)\(", event, re.M)
    if not frames:
        continue
    thread = re.sub(r"\d+", "N", name.group(1) if name else "?")
    threads[thread] += 1
    leaves[".".join(frames[0].split(".")[:3])] += 1
    for frame in set(f for f in frames if f.startswith("io.meridian")):
        meridian[frame] += 1
total = sum(threads.values())
print("samples by thread: " + ", ".join("%s %.0f%%" % (t, 100.0 * c / total) for t, c in threads.most_common(6)))
print("where the CPU is (package of the running frame): " + ", ".join("%s %.0f%%" % (p, 100.0 * c / total) for p, c in leaves.most_common(10)))
print("Meridian frames on the stack (share of all samples): " + ", ".join("%s %.0f%%" % (f.split(".")[-2] + "." + f.split(".")[-1], 100.0 * c / total) for f, c in meridian.most_common(12)))
')

ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
report="$home/benchmarks/results/cluster-$(date +%F).md"
mkdir -p "$(dirname "$report")"
{
  echo "## One region of 3 nodes vs one node, $(date -u +%FT%TZ)"
  echo
  echo "Machine: $(nproc) cores; JDK $(java -version 2>&1 | head -1 | cut -d'"' -f2); commit $(git -C "$home" rev-parse --short HEAD); load average $(cut -d' ' -f1-3 /proc/loadavg). 50 closed-loop connections to the first node, ${duration} measured after ${warmup}; cluster n=3, w=2, r=2; all JVMs and the generator share the 2 cores."
  echo
  echo "| workload | one node ops/s | p50 / p99 ms | 3 nodes ops/s | p50 / p99 ms | cluster / one node |"
  echo "|---|---:|---:|---:|---:|---:|"
  echo "| counter increments | $s_incr | $s_incr_p50 / $s_incr_p99 | $c_incr | $c_incr_p50 / $c_incr_p99 | $(ratio "$c_incr" "$s_incr") |"
  echo "| key gets | $s_get | $s_get_p50 / $s_get_p99 | $c_get | $c_get_p50 / $c_get_p99 | $(ratio "$c_get" "$s_get") |"
  echo
  echo "Profile of the first cluster node under increments (JFR): $profile"
} | tee "$report"
