# Shared by the benchmark scripts (sourced, not run): where things are, building when the build
# output is missing or older than the sources, the JVM flags, and the facts every recorded result
# states (STYLE.md, "Benchmarks": JDK, cores, commit).
# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
bench_classpath="$bench_dir/target/classes:$bench_dir/target/lib/*"
jvm_flags_file="$repo_dir/gateway/target/launcher/jvm-flags"
# What lmdbjava needs when the launcher's flag file is not there (NOTES-stack.md, "JVM flags").
lmdb_jvm_flags="--add-opens java.base/java.nio=ALL-UNNAMED --add-exports java.base/sun.nio.ch=ALL-UNNAMED"

# The build products the scripts run.
build_outputs=(
  "$bench_dir/target/classes/META-INF/BenchmarkList"
  "$bench_dir/target/lib"
  "$repo_dir/gateway/target/classes"
  "$repo_dir/gateway/target/lib"
  "$jvm_flags_file"
)
# Touched after a build by these scripts; sources newer than it mean the output may be stale.
build_stamp="$bench_dir/target/.scripts-built"

# Prints why a build is needed (nothing when it is not).
build_reason() {
  local output newer
  for output in "${build_outputs[@]}" "$build_stamp"; do
    if [ ! -e "$output" ]; then
      echo "$output is missing"
      return
    fi
  done
  newer=$(find "$repo_dir/pom.xml" "$repo_dir"/{crdt,core,replication,gateway,benchmarks}/pom.xml \
    "$repo_dir"/{crdt,core,replication,gateway,benchmarks}/src/main \
    -type f -newer "$build_stamp" -print -quit 2>/dev/null || true)
  if [ -n "$newer" ]; then
    echo "$newer changed since the last build by these scripts"
  fi
}

# Builds the modules the benchmarks run when the output is missing or may be stale. BENCH_BUILD:
# auto (default), always, or never (run what is built, e.g. while others edit the tree).
# MAVEN_ARGS adds Maven options (e.g. -o for offline). Formatting is not checked here.
ensure_built() {
  local reason
  case "${BENCH_BUILD:-auto}" in
    never) reason="" ;;
    always) reason="BENCH_BUILD=always" ;;
    auto) reason=$(build_reason) ;;
    *)
      echo "BENCH_BUILD must be auto, always or never, got '$BENCH_BUILD'" >&2
      return 2
      ;;
  esac
  if [ -n "$reason" ]; then
    echo "building ($reason) ..." >&2
    mkdir -p "$(dirname "$build_stamp")"
    # Stamped with the time the build started: a source saved during the build counts as newer.
    touch "$build_stamp.next"
    # shellcheck disable=SC2086 # MAVEN_ARGS is a list of words
    (cd "$repo_dir" && mvn -B -q ${MAVEN_ARGS:-} install -DskipTests -Dspotless.check.skip=true \
      -pl crdt,core,replication,gateway,benchmarks) >&2
    mv "$build_stamp.next" "$build_stamp"
  fi
  local output
  for output in "${build_outputs[@]}"; do
    if [ ! -e "$output" ]; then
      echo "$output is missing: build with BENCH_BUILD=auto or always" >&2
      return 1
    fi
  done
}

# Processes a script started (append with started_pids+=($!)); stop_started, called from the
# script's EXIT trap, sends each SIGTERM and waits for it.
started_pids=()
stop_started() {
  local pid
  for pid in "${started_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${started_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}

# Copies the benchmarks' classes and runtime jars into DIR and prints that classpath: a run then
# keeps working while a build elsewhere recompiles or cleans benchmarks/target.
snapshot_classpath() {
  local dir=$1
  mkdir -p "$dir"
  cp -R "$bench_dir/target/classes" "$dir/classes"
  cp -R "$bench_dir/target/lib" "$dir/lib"
  [ -f "$dir/classes/META-INF/BenchmarkList" ] || {
    echo "benchmarks/target/classes changed while being copied (a build is running?)" >&2
    return 1
  }
  echo "$dir/classes:$dir/lib/*"
}

# The JVM flags every Meridian process needs, one line.
meridian_jvm_flags() {
  if [ -f "$jvm_flags_file" ]; then
    cat "$jvm_flags_file"
  else
    echo "$lmdb_jvm_flags"
  fi
}

# User + system CPU time, in clock ticks (getconf CLK_TCK a second), of the processes with the
# given PIDs so far, summed (/proc/PID/stat fields 14 and 15).
cpu_ticks() {
  local pid
  for pid in "$@"; do
    awk '{ print $14 + $15 }' "/proc/$pid/stat"
  done | awk '{ total += $1 } END { print total + 0 }'
}

# The whole machine's busy and idle time so far, in clock ticks summed over its CPUs, from the
# first line of /proc/stat: busy = user + nice + system + irq + softirq + steal, idle = idle +
# iowait. Around a phase it says whether the cores were saturated or waited (e.g. on fsync).
machine_ticks() {
  awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6; exit }' /proc/stat
}

# Total JIT compile time, in seconds, of the JVMs with the given PIDs so far (jstat; a JVM that
# is gone counts 0).
jit_compile_seconds() {
  local pid
  for pid in "$@"; do
    jstat -compiler "$pid" 2>/dev/null | awk 'NR == 2 { print $4 }' || true
  done | awk '{ total += $1 } END { print total + 0 }'
}

# Runs COMMAND (an untimed load of a few seconds, run again and again) until the JIT compilers of
# the JVMs with the given PIDs have settled — two rounds in a row in which they compiled for under
# a tenth of a core each — or for at most MAX_SECONDS. Prints how long that took, e.g. "195 s".
# Why not a fixed time: a Meridian node compiles ~24,000 methods (Ratis, gRPC, Hazelcast, Vert.x),
# and three of them on 2 cores kept a compiler busy for three to four minutes of strong-key load,
# while their throughput rose from 73 to ~300 PUTs/s; a fixed minute measured the warm-up.
#   warm_until_compiled MAX_SECONDS "PID..." COMMAND...
warm_until_compiled() {
  local max=$1 pids=$2
  shift 2
  local -a pid_list
  read -r -a pid_list <<<"$pids"
  local start=$SECONDS quiet=0 can_settle=1 before after round_start
  if ! command -v jstat >/dev/null; then
    echo "jstat is missing: warming up for the whole $max s" >&2
    can_settle=0
  fi
  while ((SECONDS - start < max && quiet < 2)); do
    before=$(jit_compile_seconds "${pid_list[@]}")
    round_start=$SECONDS
    "$@" >/dev/null
    after=$(jit_compile_seconds "${pid_list[@]}")
    if ((can_settle)) && awk -v before="$before" -v after="$after" \
      -v budget="$(((SECONDS - round_start) * ${#pid_list[@]}))" \
      'BEGIN { exit !((after - before) * 10 < budget) }'; then
      quiet=$((quiet + 1))
    else
      quiet=0
    fi
  done
  echo "$((SECONDS - start)) s"
}

# Starts a 3-node Meridian cluster (one region) on loopback, HTTP on BASE..BASE+2, data under
# DIR/meridian, output in DIR/meridian.log, and waits until its strong keys take writes; the
# launcher's PID goes to started_pids (its nodes are its children). SETTINGS are key=value.
#   start_strong_cluster BASE DIR [SETTING...]
start_strong_cluster() {
  local base=$1 dir=$2 setting
  shift 2
  local -a set_args=()
  for setting in "$@"; do set_args+=(--set "$setting"); done
  MERIDIAN_OPTS="-Xmx512m" "$repo_dir/bin/meridian" local-cluster --regions 1 \
    --nodes-per-region 3 --base-port "$base" --data-dir "$dir/meridian" \
    ${set_args[@]+"${set_args[@]}"} >"$dir/meridian.log" 2>&1 &
  started_pids+=($!)
  for _ in $(seq 1 240); do
    curl -sf -X PUT "http://127.0.0.1:$base/v1/strong/ready" --data-binary x >/dev/null 2>&1 \
      && return 0
    sleep 1
  done
  tail -30 "$dir/meridian.log" >&2
  echo "Meridian strong keys never became ready" >&2
  return 1
}

# The trips through Raft the node at URL has sent for KIND (write or read) and the commands they
# carried, as "TRIPS COMMANDS" (its /metrics): the differences over a phase give the commands per
# trip, the batching achieved (GroupBatcher).
#   trip_counts URL KIND
trip_counts() {
  curl -sf "$1/metrics" | awk -v kind="kind=\"$2\"" '
    index($1, "meridian_strong_trips_total{") == 1 && index($1, kind) { trips = $2 }
    index($1, "meridian_strong_trip_commands_total{") == 1 && index($1, kind) { commands = $2 }
    END { printf "%d %d\n", trips, commands }' || echo "0 0"
}

# How many Raft groups the node at URL leads, as "the node the load went to (ID) led N of M Raft
# groups": a strong request for a group led elsewhere is forwarded there, which costs a hop, so
# two strong-key runs compare fairly only with leadership placed alike.
#   led_groups URL
led_groups() {
  curl -sf "$1/v1/cluster/status" | python3 -c '
import json, sys
status = json.load(sys.stdin)
groups = status["raft"]["groups"]
led = sum(1 for g in groups if g.get("leader") == status["node"])
print("the node the load went to (%s) led %d of %d Raft groups" % (status["node"], led, len(groups)))
' || echo "group leaders unknown (status not readable)"
}

cpu_model() {
  sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1
}

ram_gib() {
  awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo
}

jdk_version() {
  java -version 2>&1 | sed -n '2p'
}

git_commit() {
  git -C "$repo_dir" rev-parse --short HEAD 2>/dev/null || echo unknown
}

# Markdown rows (of a two-column table) describing where a result was measured.
environment_rows() {
  echo "| machine | $(nproc) cores, $(cpu_model), $(ram_gib) RAM |"
  echo "| kernel | $(uname -sr) |"
  echo "| JDK | $(jdk_version) |"
  echo "| commit | $(git_commit) (HEAD; uncommitted changes in the tree are not shown) |"
}

# Installs etcd (Debian etcd-server, 3.4) when it is missing and this is root.
ensure_etcd() {
  command -v etcd >/dev/null 2>&1 && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "etcd is not installed and this is not root: apt-get install etcd-server" >&2
    return 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null
}

# Starts a 3-member etcd cluster on loopback (client ports BASE+501.., peer ports BASE+601..), data
# and logs under DIR, durable (etcd's default fsync); sets etcd_url to the first member, which the
# load goes to (it forwards to its leader). The PIDs go to started_pids. wait_for_etcd DIR then
# waits until it takes writes.
#   start_etcd_cluster BASE DIR
start_etcd_cluster() {
  local base=$1 dir=$2 cluster="" i
  for i in 1 2 3; do cluster+="e$i=http://127.0.0.1:$((base + 600 + i)),"; done
  cluster="${cluster%,}"
  for i in 1 2 3; do
    etcd --name "e$i" --data-dir "$dir/etcd-$i" \
      --listen-client-urls "http://127.0.0.1:$((base + 500 + i))" \
      --advertise-client-urls "http://127.0.0.1:$((base + 500 + i))" \
      --listen-peer-urls "http://127.0.0.1:$((base + 600 + i))" \
      --initial-advertise-peer-urls "http://127.0.0.1:$((base + 600 + i))" \
      --initial-cluster "$cluster" --initial-cluster-state new \
      --initial-cluster-token meridian-bench --log-level error >"$dir/etcd-$i.log" 2>&1 &
    started_pids+=($!)
  done
  etcd_url="http://127.0.0.1:$((base + 501))"
}

# Whether the etcd member at URL leads its cluster: if not, the load's writes were forwarded to the
# leader, as Meridian's are for the groups its loaded node does not lead.
#   etcd_leadership URL
etcd_leadership() {
  local status
  status=$(curl -sf -X POST "$1/v3/maintenance/status" -d '{}') || {
    echo "etcd leader unknown (status not readable)"
    return 0
  }
  python3 -c '
import json, sys
status = json.loads(sys.argv[1])
led = status["header"]["member_id"] == status.get("leader")
print("the member the load went to %s its leader" % ("was" if led else "was not"))
' "$status"
}

#   wait_for_etcd DIR
wait_for_etcd() {
  local put=(curl -sf -X POST "$etcd_url/v3/kv/put" -d '{"key":"cmVhZHk=","value":"eA=="}')
  for _ in $(seq 1 120); do
    "${put[@]}" >/dev/null 2>&1 && return 0
    sleep 1
  done
  tail -30 "$1/etcd-1.log" >&2
  echo "etcd never became ready" >&2
  return 1
}

# One Markdown table row from the load generator's JSON output for operation OP:
# "| LABEL | ops/s | p50 ms | p99 ms | errors |".
#   load_row LABEL JSON OP
load_row() {
  python3 -c '
import json, sys
d = json.loads(sys.argv[2])["ops"][sys.argv[3]]
l = d["latencyMicros"]
e = d.get("errors", 0)
print("| %s | %.0f | %.1f | %.1f | %s |" % (sys.argv[1], d["opsPerSecond"], l["p50"] / 1000,
      l["p99"] / 1000, sum(e.values()) if isinstance(e, dict) else e))
' "$1" "$2" "$3"
}

# The end of a result file's name for key=value settings: "-keyvalue" each, other characters
# dropped, nothing without settings.
#   settings_suffix [SETTING...]
settings_suffix() {
  local setting suffix=""
  for setting in "$@"; do suffix+="-${setting//[^A-Za-z0-9]/}"; done
  echo "$suffix"
}
