#!/usr/bin/env bash
# What Apache Ratis alone costs per write on this machine, beside etcd in the same run: RatisFloor
# (three Ratis servers in one JVM, durable log, a state machine that does nothing, clients calling
# Ratis directly: no HTTP, no storage, no Meridian code) with 8 Raft groups and with 1, then a
# 3-member etcd 3.4 cluster driven over its JSON gateway by the load generator, as run-strong.sh
# does. A strong-key figure from run-strong.sh splits against these into what Ratis costs and what
# Meridian adds. Prints a Markdown table and writes it to
# benchmarks/results/ratis-floor-<date>-<commit>.md.
# --ratis key=value (repeatable) sets a Ratis server property over its defaults, e.g.
# --ratis raft.server.log.appender.wait-time.min=0ms; the report names it and its file name ends
# with it.
#   benchmarks/ratis-floor.sh [--duration 20] [--warmup 60] [--data-parent /var/tmp]
#                             [--ratis key=value]...
set -euo pipefail
# shellcheck shell=bash source=common.sh source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"
duration=20 warmup=60 parent=/var/tmp settings=()
while (($#)); do
  case "$1" in
    --duration) duration="${2%s}"; shift 2 ;;
    --warmup) warmup="${2%s}"; shift 2 ;;
    --data-parent) parent="$2"; shift 2 ;;
    --ratis) settings+=("$2"); shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

ensure_etcd
ensure_built
read -r -a jvm_flags <<<"$(meridian_jvm_flags)"
work="$(mktemp -d "$parent/meridian-ratis-floor.XXXXXX")"
trap 'stop_started; rm -rf "$work"' EXIT
classpath=$(snapshot_classpath "$work/cp")

ratis_args=()
for setting in ${settings[@]+"${settings[@]}"}; do ratis_args+=(--ratis "$setting"); done
rows=()
for groups in 8 1; do
  while read -r line; do
    rows+=("$(python3 -c '
import json, sys
d = json.loads(sys.argv[1])
print("| Ratis alone, %d group%s, %d clients | %.0f | %.1f | %.1f | 0 |" % (d["groups"],
      "s" if d["groups"] > 1 else "", d["clients"], d["writesPerSecond"], d["p50Micros"] / 1000,
      d["p99Micros"] / 1000))
' "$line")")
  done < <(java "${jvm_flags[@]}" -Xmx768m -Dmeridian.bench.dir="$work" -cp "$classpath" \
    io.meridian.benchmarks.strong.RatisFloor --groups "$groups" --clients 1,16,64 \
    --duration "$duration" --warmup "$warmup" ${ratis_args[@]+"${ratis_args[@]}"} | grep "^{")
done

base=$((20000 + RANDOM % 20000))
start_etcd_cluster "$base" "$work"
wait_for_etcd "$work"
etcd_load() { # connections duration [generator options]
  java "${jvm_flags[@]}" -Xmx512m -cp "$classpath" io.meridian.benchmarks.http.LoadGenerator \
    --url "$etcd_url" --mix etcd-put=1 --connections "$1" --duration "$2" \
    --keys 1000 --value-bytes 100 "${@:3}"
}
etcd_load 64 "${warmup}s" --warmup 0s >/dev/null
for c in 1 16 64; do
  rows+=("$(load_row "etcd 3.4 PUT over its JSON gateway, $c clients" \
    "$(etcd_load "$c" "${duration}s" --warmup 5s --output json)" etcd-put)")
done

suffix=$(settings_suffix ${settings[@]+"${settings[@]}"})
report="$repo_dir/benchmarks/results/ratis-floor-$(date +%F)-$(git_commit)$suffix.md"
mkdir -p "$(dirname "$report")"
{
  echo "## Ratis alone vs etcd, $(date -u +%FT%TZ)"
  echo
  echo "Machine: $(nproc) cores, $(cpu_model); JDK $(jdk_version); $(etcd --version | head -1);" \
    "commit $(git_commit); load average $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Ratis alone: RatisFloor, 3 servers in one JVM on loopback, durable log, a state machine" \
    "that does nothing, closed-loop clients calling Ratis directly (no HTTP, no storage), writes" \
    "spread evenly over the groups; ${warmup} s of untimed load from 64 clients first, then" \
    "${duration} s measured per row. etcd: 3 members on loopback, durable, data under $parent," \
    "the load generator's closed-loop HTTP clients on one member; ${warmup} s of untimed puts" \
    "first. 100-byte values."
  [ ${#settings[@]} -eq 0 ] || echo "Ratis settings over its defaults: ${settings[*]}."
  echo
  echo "| workload | writes/s | p50 ms | p99 ms | errors |"
  echo "|---|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
} | tee "$report"
