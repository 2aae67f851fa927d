#!/usr/bin/env bash
# Peer benchmark: Redis with every write fsynced (appendfsync always), on incr and sadd, the
# operations Meridian's counter-incr and set-add correspond to.
#
#   benchmarks/peer-redis.sh [-n REQUESTS] [-c CLIENTS] [-r KEYSPACE] [-d PARENT_DIR] [-t TESTS] [-C]
#
# Defaults: 200000 requests, 50 clients (the load generator's default connections), 10000 keys
# (its default key space), tests incr,sadd. -C prints redis-benchmark's CSV (rps, average, min,
# p50, p95, p99 and max latency in ms) instead of its one-line summaries. Installs Debian's redis-server and redis-tools when missing (root only).
# Starts a private redis-server on a free loopback port with its data in a new temporary
# directory under PARENT_DIR (default $TMPDIR or /tmp), runs redis-benchmark, prints the result,
# then stops that server and removes the directory, also on failure or Ctrl-C.
#
# The data directory's filesystem decides what an fsync costs: put it on the disk Meridian's data
# directory lives on, not on tmpfs, or the comparison flatters Redis.
#
# Redis appends to its AOF, and so fsyncs, only for commands that change something. redis-benchmark's
# sadd adds element:RAND to one set "myset": once the -r distinct members are in, an sadd changes
# nothing and costs no fsync. With -r far above -n (e.g. -r 100000000 -t sadd) nearly every sadd adds
# a new member, which is what a Meridian set-add always does (each add mints a new dot).
set -euo pipefail

requests=200000
clients=50
keyspace=10000
parent=${TMPDIR:-/tmp}
tests=incr,sadd
csv=""

usage() {
  sed -n 's/^#   //p' "$0" >&2
}
while getopts "n:c:r:d:t:Ch" opt; do
  case "$opt" in
    n) requests=$OPTARG ;;
    c) clients=$OPTARG ;;
    r) keyspace=$OPTARG ;;
    d) parent=$OPTARG ;;
    t) tests=$OPTARG ;;
    C) csv=yes ;;
    h) usage; exit 0 ;;
    *) usage; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
for value in "$requests" "$clients" "$keyspace"; do
  case "$value" in
    '' | *[!0-9]* | 0)
      echo "peer-redis.sh: -n, -c and -r take positive integers, got '$value'" >&2
      exit 2
      ;;
  esac
done

die() {
  echo "peer-redis.sh: $*" >&2
  exit 1
}

have_redis() {
  command -v redis-server >/dev/null 2>&1 &&
    command -v redis-cli >/dev/null 2>&1 &&
    command -v redis-benchmark >/dev/null 2>&1
}

if ! have_redis; then
  if [ "$(id -u)" -ne 0 ]; then
    die "redis-server, redis-cli or redis-benchmark is missing and this is not root;" \
      "install them with: sudo apt-get install redis-server redis-tools"
  fi
  command -v apt-get >/dev/null 2>&1 ||
    die "redis is missing and there is no apt-get; install redis-server and redis-tools"
  echo "peer-redis.sh: installing redis-server and redis-tools with apt-get" >&2
  # On a host running systemd this also enables Debian's own redis service on port 6379; the
  # benchmark never talks to it.
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends redis-server redis-tools >&2; then
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends redis-server redis-tools >&2
  fi
  have_redis || die "apt-get ran but redis-server, redis-cli or redis-benchmark is still missing"
fi

# A port nobody listens on: connecting to it is refused. Random start, so that parallel runs do
# not race for the same one.
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

[ -d "$parent" ] || die "parent directory $parent does not exist"
work=$(mktemp -d "$parent/meridian-peer-redis.XXXXXX")
redis_pid=""
bench_pid=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  if [ -n "$bench_pid" ] && kill -0 "$bench_pid" 2>/dev/null; then
    kill "$bench_pid" 2>/dev/null || true
  fi
  if [ -n "$redis_pid" ] && kill -0 "$redis_pid" 2>/dev/null; then
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port=$(free_port) || die "found no free loopback port"
redis-server --bind 127.0.0.1 --port "$port" --dir "$work" \
  --appendonly yes --appendfsync always --save '' \
  --daemonize no --protected-mode yes --logfile "$work/redis.log" &
redis_pid=$!

ready=""
for _ in $(seq 1 100); do
  if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null || true)" = "PONG" ]; then
    ready=yes
    break
  fi
  kill -0 "$redis_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "peer-redis.sh: redis-server did not start on port $port:" >&2
  cat "$work/redis.log" >&2 || true
  exit 1
fi

fs=$(stat -f -c %T "$work" 2>/dev/null || echo unknown)
echo "$(redis-server --version | cut -d' ' -f1-3), pid $redis_pid, 127.0.0.1:$port," \
  "appendfsync always, data in $work ($fs)"
if [ "$fs" = "tmpfs" ]; then
  echo "peer-redis.sh: warning: $work is on tmpfs, where fsync costs nothing; use -d" >&2
fi
case "$tests" in
  '' | *[!a-z,]*) die "-t takes a comma-separated list of redis-benchmark tests, got '$tests'" ;;
esac
format=-q
[ -n "$csv" ] && format=--csv
echo "redis-benchmark -c $clients -n $requests -r $keyspace -t $tests $format"
# In the background so that a SIGTERM to this script is handled now, not after the run.
redis-benchmark -h 127.0.0.1 -p "$port" -c "$clients" -n "$requests" -r "$keyspace" \
  -t "$tests" "$format" >"$work/benchmark.out" 2>&1 &
bench_pid=$!
if ! wait "$bench_pid"; then
  bench_pid=""
  tr '\r' '\n' <"$work/benchmark.out" >&2
  die "redis-benchmark failed"
fi
bench_pid=""
# -q and --csv still draw a progress line with carriage returns; keep only the final figures.
if [ -n "$csv" ]; then
  tr '\r' '\n' <"$work/benchmark.out" | grep '^"'
else
  tr '\r' '\n' <"$work/benchmark.out" | grep 'requests per second'
fi
