#!/usr/bin/env bash
# Strong keys against etcd in one run (issue 6): a 3-node Meridian cluster on loopback and a
# 3-member etcd 3.4 cluster (Debian etcd-server, durable, data on disk), both driven by the same
# load generator: PUT throughput and latency at 1, 16 and 64 concurrent clients, then linearizable
# reads. Prints a Markdown table and writes it to benchmarks/results/strong-<date>-<commit>.md.
# Before the first phase Meridian gets untimed load (puts, then reads, 64 clients) until its JVMs'
# JIT compilers have settled, for at most --jit-warmup per operation (common.sh,
# warm_until_compiled): Ratis, gRPC, Hazelcast and Vert.x make ~24,000 methods to compile, and
# at a few hundred requests a second a cold node's C2 compiler still takes most of a core minutes
# in. etcd gets --etcd-warmup of the same load per operation (it has no JIT; this fills its caches).
# --set key=value (repeatable) configures every Meridian node, e.g. --set raft.groups=1; the
# report names the settings and its file name ends with them.
#   benchmarks/run-strong.sh [--duration 20s] [--warmup 5s] [--jit-warmup 360] [--etcd-warmup 60s]
#                            [--data-parent /var/tmp] [--set key=value]...
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"
duration=20s warmup=5s jit_warmup=360 etcd_warmup=60s parent=/var/tmp settings=()
while (($#)); do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --jit-warmup) jit_warmup="${2%s}"; shift 2 ;;
    --etcd-warmup) etcd_warmup="$2"; shift 2 ;;
    --data-parent) parent="$2"; shift 2 ;;
    --set) settings+=("$2"); shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

ensure_etcd
ensure_built
read -r -a jvm_flags <<<"$(meridian_jvm_flags)"
work="$(mktemp -d "$parent/meridian-strong-bench.XXXXXX")"
trap 'stop_started; rm -rf "$work"' EXIT
classpath=$(snapshot_classpath "$work/cp")

base=$((20000 + RANDOM % 20000))
start_etcd_cluster "$base" "$work"

# Meridian: 3 nodes in one region (strong keys need 3 members), HTTP on base..base+2.
start_strong_cluster "$base" "$work" ${settings[@]+"${settings[@]}"}
meridian_url="http://127.0.0.1:$base"
wait_for_etcd "$work"

run() { # url mix connections [--preload]
  java "${jvm_flags[@]}" -Xmx512m -cp "$classpath" io.meridian.benchmarks.http.LoadGenerator \
    --url "$1" --mix "$2=1" --connections "$3" --duration "$duration" --warmup "$warmup" \
    --keys 1000 --value-bytes 100 --output json "${@:4}"
}
load() { # url op duration: untimed load, results discarded
  java "${jvm_flags[@]}" -Xmx512m -cp "$classpath" io.meridian.benchmarks.http.LoadGenerator \
    --url "$1" --mix "$2=1" --connections 64 --duration "$3" --warmup 0s \
    --keys 1000 --value-bytes 100 >/dev/null
}
node_pids=$(pgrep -P "${started_pids[-1]}" | tr '\n' ' ')
meridian_warmup=""
for op in strong-put strong-get; do
  meridian_warmup+="$op $(warm_until_compiled "$jit_warmup" "$node_pids" load "$meridian_url" "$op" 15s), "
done
for op in etcd-put etcd-range; do load "$etcd_url" "$op" "$etcd_warmup"; done

rows=()
for c in 1 16 64; do
  rows+=("$(load_row "Meridian strong PUT, $c clients" "$(run "$meridian_url" strong-put "$c")" strong-put)")
  rows+=("$(load_row "etcd 3.4 PUT, $c clients" "$(run "$etcd_url" etcd-put "$c")" etcd-put)")
done
for c in 16 64; do
  rows+=("$(load_row "Meridian linearizable GET, $c clients" "$(run "$meridian_url" strong-get "$c" --preload)" strong-get)")
  rows+=("$(load_row "etcd 3.4 linearizable range, $c clients" "$(run "$etcd_url" etcd-range "$c" --preload)" etcd-range)")
done

# Where the load went relative to the group leaders: a request to a group led elsewhere is forwarded.
leaders="$(led_groups "$meridian_url") at the end"
etcd_leader="$(etcd_leadership "$etcd_url") at the end"
suffix=$(settings_suffix ${settings[@]+"${settings[@]}"})
report="$repo_dir/benchmarks/results/strong-$(date +%F)-$(git_commit)$suffix.md"
mkdir -p "$(dirname "$report")"
{
  echo "## Strong keys vs etcd, $(date -u +%FT%TZ)"
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
    "JDK $(java -version 2>&1 | head -1 | cut -d'"' -f2); $(etcd --version | head -1);" \
    "commit $(git_commit); load average $(cut -d' ' -f1-3 /proc/loadavg)."
  [ ${#settings[@]} -eq 0 ] || echo "Meridian settings: ${settings[*]}."
  echo "Meridian: $leaders; etcd: $etcd_leader."
  echo "Both: 3 members on loopback, durable (fsync), data under $parent; closed-loop clients on one node (Meridian forwards to group leaders, etcd to its leader); 1,000 keys, 100-byte values, ${duration} measured after ${warmup}; Meridian first got untimed load until its JIT compilers settled (${meridian_warmup%, }; at most ${jit_warmup} s each), etcd ${etcd_warmup} of puts and ${etcd_warmup} of reads."
  echo
  echo "| workload | ops/s | p50 ms | p99 ms | errors |"
  echo "|---|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
} | tee "$report"
