#!/usr/bin/env bash
# Where a strong PUT's CPU goes: a 3-node Meridian cluster on loopback under closed-loop strong
# PUTs, JIT settled first, then sampled by async-profiler (attached to each node with jcmd, so the
# warm-up is not in the profile) for the measured phase. Prints the throughput, the share of CPU
# samples per kind of thread (numbers and group ids in thread names folded, so the 8 groups' log
# workers, say, are one line) and the frames most often on top of the stack, kernel ones
# included; the collapsed stacks of each node are left in --output for flame graphs.
# async-profiler comes from Maven Central (tools.profiler:async-profiler); sampling CPU cycles
# needs perf events (kernel.perf_event_paranoid ≤ 2 as root), else pass --event itimer.
#   benchmarks/profile-strong.sh [--clients 16] [--duration 60s] [--jit-warmup 360]
#                                [--event cpu] [--output DIR] [--data-parent /var/tmp]
#                                [--set key=value]...
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"
clients=16 duration=60s jit_warmup=360 event=cpu output="" parent=/var/tmp settings=()
while (($#)); do
  case "$1" in
    --clients) clients="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --jit-warmup) jit_warmup="${2%s}"; shift 2 ;;
    --event) event="$2"; shift 2 ;;
    --output) output="$2"; shift 2 ;;
    --data-parent) parent="$2"; shift 2 ;;
    --set) settings+=("$2"); shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
case "$(uname -m)" in
  x86_64) platform=linux-x64 ;;
  aarch64) platform=linux-arm64 ;;
  *) echo "async-profiler has no library for $(uname -m)" >&2; exit 1 ;;
esac

ensure_built
read -r -a jvm_flags <<<"$(meridian_jvm_flags)"
work="$(mktemp -d "$parent/meridian-profile.XXXXXX")"
trap 'stop_started; rm -rf "$work"' EXIT
output="${output:-$parent/meridian-profile-$(date +%F)-$(git_commit)}"
mkdir -p "$output"
rm -f "$output"/node-*.collapsed
classpath=$(snapshot_classpath "$work/cp")

(cd "$repo_dir" && mvn -B -q ${MAVEN_ARGS:-} dependency:copy \
  -Dartifact=tools.profiler:async-profiler:3.0 -DoutputDirectory="$work") >&2
unzip -q -j -o "$work/async-profiler-3.0.jar" "$platform/libasyncProfiler.so" -d "$work"
agent="$work/libasyncProfiler.so"

base=$((20000 + RANDOM % 20000))
start_strong_cluster "$base" "$work" ${settings[@]+"${settings[@]}"}
url="http://127.0.0.1:$base"

load() { # duration [extra generator options]: strong PUTs from $clients clients
  java "${jvm_flags[@]}" -Xmx512m -cp "$classpath" io.meridian.benchmarks.http.LoadGenerator \
    --url "$url" --mix strong-put=1 --connections "$clients" --duration "$1" --warmup 0s \
    --keys 1000 --value-bytes 100 "${@:2}"
}
read -r -a node_pids <<<"$(pgrep -P "${started_pids[-1]}" | tr '\n' ' ')"
warmed=$(warm_until_compiled "$jit_warmup" "${node_pids[*]}" load 15s)

# jcmd hands the agent one argument; quoted, so that its '=' are not read as jcmd's own options.
for pid in "${node_pids[@]}"; do
  jcmd "$pid" JVMTI.agent_load "$agent" "\"start,event=$event,interval=5ms,threads\"" >/dev/null
done
result=$(load "$duration" --output json)
for pid in "${node_pids[@]}"; do
  jcmd "$pid" JVMTI.agent_load "$agent" \
    "\"stop,file=$output/node-$pid.collapsed,collapsed\"" >/dev/null
done

echo "## Strong PUT CPU profile, $(date -u +%FT%TZ)"
echo
echo "Machine: $(nproc) cores, $(cpu_model); JDK $(jdk_version); commit $(git_commit)." \
  "3 nodes on loopback, $clients closed-loop clients, 1,000 keys, 100-byte values;" \
  "JIT settled first ($warmed); async-profiler 3.0, event $event every 5 ms, over $duration." \
  "Collapsed stacks: $output."
python3 - "$result" "$output"/node-*.collapsed <<'EOF'
import collections, json, re, sys

put = json.loads(sys.argv[1])["ops"]["strong-put"]
print(f"\nThroughput {put['opsPerSecond']:.0f} PUTs/s, p50 {put['latencyMicros']['p50'] / 1000:.1f} ms,"
      f" p99 {put['latencyMicros']['p99'] / 1000:.1f} ms.\n")
threads, tops, total = collections.Counter(), collections.Counter(), 0
for path in sys.argv[2:]:
    with open(path) as lines:
        for line in lines:
            stack, _, count = line.rstrip().rpartition(" ")
            frames, count = stack.split(";"), int(count)
            total += count
            thread = re.sub(r" tid=\d+", "", frames[0].strip("[]"))
            thread = re.sub(r"\d+", "N", re.sub(r"group-[0-9A-F]+", "group", thread))
            threads[thread] += count
            tops[frames[-1]] += count
for title, counter in (("thread (numbers folded)", threads), ("frame on top of the stack", tops)):
    print(f"| {title} | share of samples |\n|---|---:|")
    for name, count in counter.most_common(20):
        print(f"| `{name[:120]}` | {100 * count / total:.1f}% |")
    print()
EOF
