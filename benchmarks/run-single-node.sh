#!/usr/bin/env bash
# The single-node benchmark of issue 2, in one run on this machine:
#
#   benchmarks/run-single-node.sh [-d DURATION] [-w WARMUP] [-j JIT_WARMUP] [-c CONNECTIONS]
#                                 [-k KEYS] [-p PARENT_DIR] [-n REDIS_REQUESTS] [-o OUTPUT.md] [-S]
#
#   -d  measured time of each load phase (default 30s)       -w  warm-up before it (default 5s)
#   -j  at most this many seconds of untimed load on each freshly started server first, until its
#       JIT compilers have settled (default 240; see below)
#   -c  connections, one request in flight each (default 50)  -k  key space (default 10000)
#   -p  parent of the data directories (default /var/tmp; must be a disk, not tmpfs)
#   -n  requests per redis-benchmark test (default 200000)
#   -o  where to write the table (default benchmarks/results/single-node-<date>-<commit>.md)
#   -S  skip the Redis peer (e.g. when redis-server cannot be installed)
#
# 1. Builds when the build output is missing or older than the sources (see common.sh;
#    BENCH_BUILD=never runs what is built).
# 2. Starts one durable node (bin/meridian start) with its data directory in a new directory under
#    PARENT_DIR, MERIDIAN_OPTS (default -Xmx1g) as its JVM options, and warms it up with all four
#    ops mixed (results discarded) in 15 s rounds until two rounds in a row in which its JIT
#    compilers used under a tenth of a core (common.sh, warm_until_compiled), at most JIT_WARMUP
#    seconds; the hello-world server gets the same. The rule, not a fixed time, as in
#    run-strong.sh: a fixed 20 s could end while the node still compiled (it took 65-66 s here).
# 3. Runs the load generator against it for counter increments, set adds, key puts and key gets
#    (keys preloaded), one phase each, scraping /metrics before and after each phase for the
#    average mutations per group commit (deltas of meridian_storage_batch_mutations_sum/_count,
#    warm-up included). Then stops the node.
#    The node's CPU time (/proc) around each phase gives its CPU per request, and the machine's
#    busy and idle time (/proc/stat) how much of the two cores the phase used: a phase that leaves
#    them idle is bound by waiting (the commit cycle), not by CPU.
# 4. Runs the hello-world baseline (HelloWorldServer, as benchmarks/hello-world.sh does) with the
#    same generator settings and the same JIT warm-up rule, also measuring its CPU per request.
# 5. Runs the Redis peer (benchmarks/peer-redis.sh, appendfsync always, data under PARENT_DIR):
#    incr and sadd over the key space, then sadd of new members (see peer-redis.sh).
# 6. Prints a Markdown table (machine, JDK, commit, and per workload ops/s, p50/p99/p99.9 and
#    mutations per commit, plus the ratios the issue asks for) and writes it to OUTPUT.md.
#
# JAVA_OPTS (default -Xmx1g) goes to the load generator and the hello-world server. Every process
# started is stopped by its PID on exit, also on failure or Ctrl-C. Exit code 0 when every phase
# ran with at most 1% errors.
set -euo pipefail

# shellcheck source=common.sh source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

duration=30s
warmup=5s
jit_warmup=240
connections=50
keys=10000
parent=/var/tmp
redis_requests=200000
output=""
skip_redis=""

usage() {
  sed -n '3,14s/^# \{0,1\}//p' "$0" >&2
}
while getopts "d:w:j:c:k:p:n:o:Sh" opt; do
  case "$opt" in
    d) duration=$OPTARG ;;
    w) warmup=$OPTARG ;;
    j) jit_warmup=${OPTARG%s} ;;
    c) connections=$OPTARG ;;
    k) keys=$OPTARG ;;
    p) parent=$OPTARG ;;
    n) redis_requests=$OPTARG ;;
    o) output=$OPTARG ;;
    S) skip_redis=yes ;;
    h) usage; exit 0 ;;
    *) usage; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || { usage; exit 2; }

die() {
  echo "run-single-node.sh: $*" >&2
  exit 1
}
log() {
  echo "== $(date -u +%H:%M:%S) $*" >&2
}

command -v curl >/dev/null 2>&1 || die "curl is needed to scrape /metrics"
[ -d "$parent" ] || die "parent directory $parent does not exist"
fstype=$(df --output=fstype "$parent" 2>/dev/null | tail -n 1 || echo unknown)
case "$fstype" in
  tmpfs | ramfs) die "$parent is on $fstype, where fsync costs nothing; use -p with a disk directory" ;;
esac

ensure_built

export MERIDIAN_OPTS=${MERIDIAN_OPTS:--Xmx1g}
export JAVA_OPTS=${JAVA_OPTS:--Xmx1g}
read -r -a gen_opts <<<"$JAVA_OPTS"

work=$(mktemp -d "$parent/meridian-single-node.XXXXXX")
bench_classpath=$(snapshot_classpath "$work/classpath") || { rm -rf "$work"; exit 1; }
node_pid=""
hello_pid=""
child_pid=""
clk_tck=$(getconf CLK_TCK)

stop_pid() { # PID: SIGTERM, up to 30 s to exit, then SIGKILL
  local pid=$1 _
  kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "run-single-node.sh: pid $pid ignored SIGTERM for 30 s; killing it" >&2
    kill -9 "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  [ -n "$child_pid" ] && stop_pid "$child_pid"
  [ -n "$hello_pid" ] && stop_pid "$hello_pid"
  [ -n "$node_pid" ] && stop_pid "$node_pid"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a command in the background and waits for it, so that a signal to this script is handled
# at once (the trap then stops the command); returns the command's exit code.
run_child() {
  local status=0
  "$@" &
  child_pid=$!
  wait "$child_pid" || status=$?
  child_pid=""
  return "$status"
}

free_port() {
  local port _
  for _ in $(seq 1 100); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

started=$(date -u '+%Y-%m-%d %H:%M UTC')
load="closed loop, $connections connections (one request in flight each), $duration measured"
load="$load after $warmup warm-up per phase, uniform over $keys keys; each server first"
load="$load given untimed load until its JIT compilers settled (at most $jit_warmup s; see below)"
{
  environment_rows
  echo "| load | $load; generator JVM \`$JAVA_OPTS\` |"
  echo "| node | one durable node (\`bin/meridian start\`, fsync per group commit), \`MERIDIAN_OPTS=$MERIDIAN_OPTS\`, data on $fstype under $parent |"
  echo "| started | $started; load average before the run $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; other work on the machine) |"
} >"$work/environment.md"
if awk '{ exit !($1 > 0.5) }' /proc/loadavg; then
  echo "run-single-node.sh: warning: load average $(cut -d' ' -f1 /proc/loadavg) at start:" \
    "other processes share the cores and will lower every figure" >&2
fi

# --- Meridian -----------------------------------------------------------------------------------
port=$(free_port) || die "found no free loopback port"
base="http://127.0.0.1:$port"
log "starting a node on $base, data in $work/node"
"$repo_dir/bin/meridian" start --set "http.port=$port" --set "node.dataDir=$work/node" \
  >"$work/node.log" 2>&1 &
node_pid=$! # bin/meridian execs java: this is the JVM
for _ in $(seq 1 600); do
  curl -sf "$base/health" >/dev/null 2>&1 && break
  kill -0 "$node_pid" 2>/dev/null || { cat "$work/node.log" >&2; die "the node exited at start"; }
  sleep 0.1
done
curl -sf "$base/health" >/dev/null 2>&1 || { cat "$work/node.log" >&2; die "the node is not healthy after 60 s"; }

generator() { # OUTPUT_JSON GENERATOR_ARGS...
  local out=$1
  shift
  run_child java "${gen_opts[@]}" -cp "$bench_classpath" io.meridian.benchmarks.http.LoadGenerator \
    --connections "$connections" --duration "$duration" --warmup "$warmup" --keys "$keys" \
    --output json "$@" >"$out" 2>"$out.err"
}

jit_round() { # URL MIX: 15 s of untimed load
  java "${gen_opts[@]}" -cp "$bench_classpath" io.meridian.benchmarks.http.LoadGenerator \
    --connections "$connections" --duration 15s --warmup 0s --keys "$keys" \
    --url "$1" --mix "$2" >"$work/jit-warmup.out" 2>&1 ||
    { cat "$work/jit-warmup.out" >&2; die "the JIT warm-up of $1 failed"; }
}

jit_warm() { # NAME PID URL MIX: untimed load until the server's JIT compilers have settled
  log "JIT warm-up of $1 with $4, until its compilers settle (at most $jit_warmup s)"
  local took
  took=$(warm_until_compiled "$jit_warmup" "$2" jit_round "$3" "$4")
  jit_warmups="${jit_warmups:+$jit_warmups, }$1 $took"
}

failed=""
jit_warmups=""
jit_warm Meridian "$node_pid" "$base" counter-incr=1,set-add=1,key-put=1,key-get=1
for op in counter-incr set-add key-put key-get; do
  extra=()
  [ "$op" = key-get ] && extra=(--preload)
  log "Meridian $op: ${extra[*]:+preload, }$warmup warm-up, $duration measured"
  curl -sf "$base/metrics" >"$work/meridian-$op.metrics-before" || die "cannot scrape $base/metrics"
  cpu_before=$(cpu_ticks "$node_pid") machine_before=$(machine_ticks)
  if ! generator "$work/meridian-$op.json" --url "$base" --mix "$op=1" ${extra[@]+"${extra[@]}"}; then
    failed=yes
    echo "run-single-node.sh: the $op phase failed:" >&2
    cat "$work/meridian-$op.json.err" >&2
  fi
  echo "$cpu_before $(cpu_ticks "$node_pid") $clk_tck" >"$work/meridian-$op.cpu"
  echo "$machine_before $(machine_ticks)" >"$work/meridian-$op.machine"
  curl -sf "$base/metrics" >"$work/meridian-$op.metrics-after" || die "cannot scrape $base/metrics"
  kill -0 "$node_pid" 2>/dev/null || { tail -n 50 "$work/node.log" >&2; die "the node died during $op"; }
done
log "stopping the node (pid $node_pid)"
stop_pid "$node_pid"
node_pid=""

# --- Baseline -----------------------------------------------------------------------------------
# Started here rather than through hello-world.sh, to know its PID for the CPU figure.
java "${gen_opts[@]}" -cp "$bench_classpath" io.meridian.benchmarks.http.HelloWorldServer \
  --host 127.0.0.1 --port 0 >"$work/hello-server.log" 2>&1 &
hello_pid=$!
hello_url=""
for _ in $(seq 1 300); do
  hello_url=$(sed -n 's/^listening on \(http:.*\)$/\1/p' "$work/hello-server.log")
  [ -n "$hello_url" ] && break
  kill -0 "$hello_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$hello_url" ] || { cat "$work/hello-server.log" >&2; die "HelloWorldServer did not start"; }
jit_warm hello-world "$hello_pid" "$hello_url" hello=1
log "hello-world baseline at $hello_url: $warmup warm-up, $duration measured"
cpu_before=$(cpu_ticks "$hello_pid") machine_before=$(machine_ticks)
if ! generator "$work/hello.json" --url "$hello_url" --mix hello=1; then
  failed=yes
  echo "run-single-node.sh: the hello-world baseline failed:" >&2
  cat "$work/hello.json.err" >&2
fi
echo "$cpu_before $(cpu_ticks "$hello_pid") $clk_tck" >"$work/hello.cpu"
echo "$machine_before $(machine_ticks)" >"$work/hello.machine"
stop_pid "$hello_pid"
hello_pid=""

# --- Redis --------------------------------------------------------------------------------------
if [ -z "$skip_redis" ]; then
  log "Redis peer: incr, sadd ($redis_requests requests each)"
  run_child "$bench_dir/peer-redis.sh" -C -c "$connections" -r "$keys" -n "$redis_requests" \
    -d "$parent" >"$work/redis.out" || die "peer-redis.sh failed"
  log "Redis peer: sadd of new members"
  run_child "$bench_dir/peer-redis.sh" -C -c "$connections" -r 100000000 -n "$redis_requests" \
    -t sadd -d "$parent" >"$work/redis-sadd-new.out" || die "peer-redis.sh failed"
fi

# --- Report -------------------------------------------------------------------------------------
{
  echo "| JIT warm-up | $jit_warmups (untimed load until two 15 s rounds in a row in which the server's JIT compilers used under a tenth of a core) |"
  echo "| finished | $(date -u '+%Y-%m-%d %H:%M UTC') |"
} >>"$work/environment.md"
if [ -z "$output" ]; then
  mkdir -p "$bench_dir/results"
  output="$bench_dir/results/single-node-$(date -u +%F)-$(git_commit).md"
  [ -e "$output" ] && output="$bench_dir/results/single-node-$(date -u +%F)-$(git_commit)-$(date -u +%H%M).md"
fi
report_status=0
java "${gen_opts[@]}" -cp "$bench_classpath" io.meridian.benchmarks.http.SingleNodeReport \
  --dir "$work" --title "Meridian single-node benchmark, $started" >"$work/report.md" ||
  report_status=$?
{
  cat "$work/report.md"
  cat <<'EOF'

Notes: the generator is closed-loop (each connection waits for its answer before sending the
next request), so its percentiles understate what an open-loop client would see. Generator and
server share this machine's cores, and so does anything else running (see the load average).
Server CPU µs/request is the server process's CPU time (/proc, JIT compilation included) over
every request of the phase, warm-up included (and the preload for key-get); once the JIT has
settled it depends far less on other load than ops/s does. Meridian's mutations/commit counts
the warm-up too; key-get commits nothing. Redis p50/p99 come from redis-benchmark (no p99.9).
Redis only fsyncs commands that change something, so its sadd of a member already present costs
no fsync, while every Meridian set-add writes (a new dot): "sadd (new members)" is like for like.
EOF
} >"$output"
cat "$output"
echo >&2
echo "written to $output" >&2
[ -z "$failed" ] && [ "$report_status" -eq 0 ]
