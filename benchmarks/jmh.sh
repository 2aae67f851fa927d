#!/usr/bin/env bash
# Runs the JMH micro-benchmarks (CRDT joins and mutators, the codec, the storage commit path).
#
#   benchmarks/jmh.sh [--record] [JMH options and benchmark regexps]
#
# Examples:
#   benchmarks/jmh.sh -l                                    list the benchmarks
#   benchmarks/jmh.sh OrSetBenchmark                        one class, its annotated settings
#   benchmarks/jmh.sh -f 1 -wi 2 -i 3 -w 2s -r 3s           the whole suite, modest settings
#   benchmarks/jmh.sh -f 0 -wi 0 -i 1 -r 100ms              one quick iteration each (a smoke)
#   benchmarks/jmh.sh -p inFlight=1024 LmdbStoreBenchmark   one parameter value
#
# --record also writes benchmarks/results/jmh-<date>.md: the machine, JDK and commit, the options,
# the JMH summary table and the group-commit lines of the storage benchmark.
#
# Runs org.openjdk.jmh.Main from a private copy of benchmarks/target/classes (where the annotation
# processor put the generated benchmarks and META-INF/BenchmarkList) and benchmarks/target/lib,
# with the JVM flags lmdbjava needs (gateway/target/launcher/jvm-flags); forks inherit both. Builds first when
# the build output is missing or older than the sources. JAVA_OPTS adds JVM options (default
# -Xmx1g); -Dmeridian.bench.dir=DIR in it moves the storage benchmark's LMDB directory (default
# java.io.tmpdir, which must be a disk, not tmpfs).
set -euo pipefail

# shellcheck source=common.sh source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

record=""
if [ "${1:-}" = "--record" ]; then
  record=yes
  shift
fi

ensure_built

read -r -a flags <<<"$(meridian_jvm_flags)"
read -r -a java_opts <<<"${JAVA_OPTS:--Xmx1g}"

work=$(mktemp -d "${TMPDIR:-/tmp}/meridian-jmh.XXXXXX")
jmh_pid=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  if [ -n "$jmh_pid" ] && kill -0 "$jmh_pid" 2>/dev/null; then
    kill "$jmh_pid" 2>/dev/null || true
    wait "$jmh_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Forks take the host JVM's classpath: a private copy survives a rebuild during a long run.
bench_classpath=$(snapshot_classpath "$work/classpath")

if [ -z "$record" ]; then
  status=0
  java "${flags[@]}" ${java_opts[@]+"${java_opts[@]}"} -cp "$bench_classpath" \
    org.openjdk.jmh.Main "$@" &
  jmh_pid=$!
  wait "$jmh_pid" || status=$?
  jmh_pid=""
  exit "$status"
fi

mkdir -p "$bench_dir/results"

started=$(date -u '+%Y-%m-%d %H:%M UTC')
out="$bench_dir/results/jmh-$(date -u +%F).md"
[ -e "$out" ] && out="$bench_dir/results/jmh-$(date -u +%F-%H%M).md"

# In the background and waited for, so that a SIGTERM to this script stops JMH at once; its
# output is shown as it comes and kept for the record.
java "${flags[@]}" ${java_opts[@]+"${java_opts[@]}"} -cp "$bench_classpath" \
  org.openjdk.jmh.Main -rf text -rff "$work/summary.txt" "$@" >"$work/console.txt" 2>&1 &
jmh_pid=$!
tail -n +1 -f --pid="$jmh_pid" "$work/console.txt" &
status=0
wait "$jmh_pid" || status=$?
jmh_pid=""
wait # for tail, which stops once JMH has exited
if [ "$status" -ne 0 ] || [ ! -s "$work/summary.txt" ]; then
  echo "jmh.sh: JMH failed (exit $status); nothing recorded" >&2
  [ "$status" -ne 0 ] && exit "$status"
  exit 1
fi

{
  echo "# JMH micro-benchmarks, $started"
  echo
  echo "| | |"
  echo "|---|---|"
  environment_rows
  echo "| options | \`benchmarks/jmh.sh $*\` (JAVA_OPTS \`${JAVA_OPTS:--Xmx1g}\`) |"
  echo
  echo "Average time per operation (avgt, lower is better) or operations per second (thrpt," \
    "higher is better); ± is JMH's 99.9% confidence interval."
  echo
  echo '```'
  cat "$work/summary.txt"
  echo '```'
  if grep -q '\[group commit\]' "$work/console.txt"; then
    echo
    echo "Storage benchmark, group commit per iteration (warm-up and measurement, in run order):"
    echo
    echo '```'
    grep -E '^# Benchmark: .*LmdbStoreBenchmark|^# Parameters: \(inFlight|\[group commit\]' \
      "$work/console.txt"
    echo '```'
  fi
} >"$out"
echo "recorded in $out" >&2
