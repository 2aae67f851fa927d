#!/usr/bin/env bash
# Meridian nodes in network namespaces, for whole-system partition tests (issue 5).
#
# Sourced by the scenario scripts beside it; run directly for two maintenance commands:
#   netns-cluster.sh preflight   checks root, ip netns, veth, bridge, nft, curl, jq and the build
#   netns-cluster.sh cleanup     removes what a killed run (SIGKILL) may have left behind
#
# Topology of one run (every name starts with the run id, "mrdnet-<pid>-<random>"):
#
#   <run>-hub  bridge br0 10.213.7.1/24        the test driver: curl clients, pollers, checks
#     ├─ veth h1 ── eth0 in <run>-n1 10.213.7.11   one node: bin/meridian start --config n1.yaml
#     ├─ veth h2 ── eth0 in <run>-n2 10.213.7.12
#     └─ ...
#
# The whole network lives inside namespaces of the run; nothing is added to the root namespace,
# so the /24 cannot clash with the host's networks nor with a concurrent run. Every node binds
# http.host and cluster.host to its own address and uses the same ports (8080, 5701, 5801, 9801).
# A link is cut with an nft table in a node's namespace that drops every packet to and from the
# other side (the hub stays reachable, so clients keep talking to their own region); healing
# deletes the table. nc_teardown (trap on EXIT, INT, TERM, HUP) ends every process by PID,
# deletes the namespaces (and with them veths, the bridge and the nft tables) and the temp dir.
#
# Outcome of a client request (the invariants use it): "ack" for 200 (acknowledged), "refused"
# for 503 (nothing written), "unknown" for anything else, timeouts included (may be applied).

set -o pipefail
export LC_ALL=C

NC_SHELL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NC_LIB="$NC_SHELL_DIR/netns-cluster.sh"
MERIDIAN_HOME="${MERIDIAN_HOME:-$(cd "$NC_SHELL_DIR/../../../.." && pwd)}"
NC_PREFIX="mrdnet"
NC_SUBNET="10.213.7"
NC_HUB_IP="$NC_SUBNET.1"
NC_HTTP_PORT=8080
NC_CLUSTER_PORT=5701
NC_BUS_PORT=5801
NC_RAFT_PORT=9801
NC_CUT_TABLE="meridian_cut"
NC_JVM_OPTS="${NC_JVM_OPTS:--Xmx256m}"
NC_CURL_TIMEOUT="${NC_CURL_TIMEOUT:-5}"
export MERIDIAN_HOME NC_LIB NC_SUBNET NC_HTTP_PORT NC_CURL_TIMEOUT

# --- small helpers --------------------------------------------------------------------------

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
log() { printf '[%s %s] %s\n' "$(date +%H:%M:%S)" "${NC_SCENARIO:-netns}" "$*"; }
die() { log "ERROR: $*"; exit 1; }

# Records a failed check; the scenario ends with nc_finish, which prints PASS or FAIL.
NC_FAILURES=()
check() {
  local what="$1"; shift
  if "$@"; then log "ok    $what"; else log "FAIL  $what"; NC_FAILURES+=("$what"); fi
}
fail() { log "FAIL  $*"; NC_FAILURES+=("$*"); }
# check_if <description> <condition>: the condition is a shell expression, evaluated once.
check_if() {
  if eval "$2"; then log "ok    $1"; else log "FAIL  $1"; NC_FAILURES+=("$1"); fi
}

# The machine's load, printed with timings (a 2-core box shared with other builds is noisy).
nc_load() { echo "load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"; }

# Prints the summary and exits: 0 when every check passed, 1 otherwise.
nc_finish() {
  log "done; $(nc_load)"
  echo
  if [[ ${#NC_FAILURES[@]} -eq 0 ]]; then
    echo "PASS $NC_SCENARIO"
    exit 0
  fi
  echo "FAIL $NC_SCENARIO: ${#NC_FAILURES[@]} check(s) failed:"
  printf '  - %s\n' "${NC_FAILURES[@]}"
  exit 1
}

# Sleeps in a way a signal interrupts at once (bash runs a trap only after a foreground command
# ends, but interrupts a wait).
nc_sleep() {
  sleep "$1" &
  NC_SLEEP_PID=$!
  wait "$NC_SLEEP_PID" || true
  NC_SLEEP_PID=""
}

# Sleeps until the wall clock reaches <epoch-ms>.
sleep_until() {
  local left=$(($1 - $(now_ms)))
  ((left > 0)) && nc_sleep "$((left / 1000)).$(printf '%03d' $((left % 1000)))"
  return 0
}

node_ip() { echo "$NC_SUBNET.$((10 + $1))"; }
node_url() { echo "http://$(node_ip "$1"):$NC_HTTP_PORT"; }

# Runs a command in the hub namespace (where the driver's HTTP clients live).
hub() { ip netns exec "$NC_HUB" "$@"; }

# Runs a function of this library in the hub namespace, in a fresh bash (client loops, probes).
hub_fn() {
  ip netns exec "$NC_HUB" bash -c 'source "$NC_LIB"; "$@"' _ "$@"
}

# curl to node i from the hub: prints the body; "-w code" style options are passed through.
ncurl() {
  local i="$1" path="$2"; shift 2
  hub curl -sS --max-time "$NC_CURL_TIMEOUT" --connect-timeout 2 "$@" "$(node_url "$i")$path"
}

# --- preflight and cleanup ------------------------------------------------------------------

nc_preflight() {
  local problems=()
  [[ $(id -u) -eq 0 ]] || problems+=("not root (ip netns and nft need root)")
  local cmd
  for cmd in ip nft curl jq java awk md5sum; do
    command -v "$cmd" >/dev/null 2>&1 || problems+=("command '$cmd' not found")
  done
  if [[ ${#problems[@]} -eq 0 ]]; then
    local probe="$NC_PREFIX-preflight-$$"
    if ! ip netns add "$probe" 2>/dev/null; then
      problems+=("'ip netns add' does not work here")
    else
      ip -n "$probe" link add br0 type bridge 2>/dev/null \
        || problems+=("cannot create a bridge in a network namespace")
      ip -n "$probe" link add h1 type veth peer name p1 2>/dev/null \
        || problems+=("cannot create a veth pair in a network namespace")
      ip netns exec "$probe" nft add table inet "$NC_CUT_TABLE" 2>/dev/null \
        || problems+=("nft does not work in a network namespace")
      ip netns del "$probe" 2>/dev/null
    fi
  fi
  [[ -f "$MERIDIAN_HOME/gateway/target/launcher/jvm-flags" && -d "$MERIDIAN_HOME/gateway/target/lib" ]] \
    || problems+=("Meridian is not built in $MERIDIAN_HOME (mvn -B -q install -DskipTests)")
  if [[ ${#problems[@]} -gt 0 ]]; then
    printf 'netns-cluster: environment not usable: %s\n' "${problems[@]}" >&2
    return 1
  fi
  echo "netns-cluster: environment ok (root, ip netns, veth, bridge, nft, curl, jq, build)"
}

# Removes namespaces (and the processes in them) and temp dirs of runs whose driver is no longer
# alive: what a SIGKILLed run leaves behind. Those of live runs are left alone.
nc_cleanup_stale() {
  local ns pid removed=0
  while read -r ns _; do
    [[ "$ns" =~ ^${NC_PREFIX}-([0-9]+)- ]] || continue
    pid="${BASH_REMATCH[1]}"
    if kill -0 "$pid" 2>/dev/null; then continue; fi
    local p
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null && removed=$((removed + 1))
  done < <(ip netns list 2>/dev/null)
  local dir dirs=0
  for dir in "${TMPDIR:-/tmp}/$NC_PREFIX"-*; do
    [[ -d "$dir" && "$(basename "$dir")" =~ ^${NC_PREFIX}-([0-9]+)- ]] || continue
    kill -0 "${BASH_REMATCH[1]}" 2>/dev/null && continue
    rm -rf "$dir" && dirs=$((dirs + 1))
  done
  echo "netns-cluster: removed $removed stale namespace(s) and $dirs stale temp dir(s)"
}

# --- setup and teardown ---------------------------------------------------------------------

NC_PIDS=()        # every process started in the background (nodes, clients), by PID
NC_CLIENT_PIDS=()
NC_NODE_PID=()    # index -> PID of the current node process
NC_NAMESPACES=()
NC_TORN_DOWN=0
NC_SIZE=0

# nc_init <scenario-name> <node-count>: run id, temp dir, traps, namespaces, bridge, veths.
nc_init() {
  NC_SCENARIO="$1"
  local size="$2"
  local report
  report="$(nc_preflight 2>&1)" || { echo "$report" >&2; exit 1; }
  NC_RUN="$NC_PREFIX-$$-$(printf '%04x' $((RANDOM % 65536)))"
  NC_HUB="$NC_RUN-hub"
  NC_TMP="$(mktemp -d "${TMPDIR:-/tmp}/$NC_RUN.XXXXXX")"
  export NC_HUB NC_TMP NC_RUN
  # On a signal the reader of our output may be gone (Ctrl-C on a pipe, a killed test runner):
  # ignore SIGPIPE from then on, or the first log line would end the shell before the teardown.
  trap nc_teardown EXIT
  trap 'trap "" PIPE; log "interrupted (SIGINT)"; exit 130' INT
  trap 'trap "" PIPE; log "terminated (SIGTERM)"; exit 143' TERM
  trap 'trap "" PIPE; log "hangup (SIGHUP)"; exit 129' HUP
  log "run $NC_RUN, temp dir $NC_TMP, repo $MERIDIAN_HOME; $(nc_load)"

  NC_NAMESPACES+=("$NC_HUB")
  ip netns add "$NC_HUB"
  ip -n "$NC_HUB" link set lo up
  ip -n "$NC_HUB" link add br0 type bridge
  ip -n "$NC_HUB" addr add "$NC_HUB_IP/24" dev br0
  ip -n "$NC_HUB" link set br0 up
  local i ns
  for ((i = 1; i <= size; i++)); do
    ns="$NC_RUN-n$i"
    NC_NAMESPACES+=("$ns")
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip -n "$NC_HUB" link add "h$i" type veth peer name eth0 netns "$ns"
    ip -n "$NC_HUB" link set "h$i" master br0
    ip -n "$NC_HUB" link set "h$i" up
    ip -n "$ns" addr add "$(node_ip "$i")/24" dev eth0
    ip -n "$ns" link set eth0 up
  done
  NC_SIZE=$size
  log "network: hub $NC_HUB_IP, nodes $(node_ip 1)..$(node_ip "$size") on bridge br0"
}

nc_teardown() {
  local rc=$?
  [[ $NC_TORN_DOWN -eq 1 ]] && return
  NC_TORN_DOWN=1
  set +e
  trap '' INT TERM HUP PIPE
  if [[ $rc -ne 0 && -n "${NC_TMP:-}" && -d "$NC_TMP" ]]; then
    nc_dump_logs
  fi
  local pid
  [[ -n "${NC_SLEEP_PID:-}" ]] && kill -TERM "$NC_SLEEP_PID" 2>/dev/null
  for pid in "${NC_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  local deadline=$(($(now_ms) + 8000))
  for pid in "${NC_PIDS[@]}"; do
    while kill -0 "$pid" 2>/dev/null && (($(now_ms) < deadline)); do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  local ns p
  for ns in "${NC_NAMESPACES[@]}"; do
    # Anything still running in a namespace of this run was started by this run.
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  done
  for ns in "${NC_NAMESPACES[@]}"; do
    local tries=0
    while ip netns list 2>/dev/null | grep -q "^$ns\b" && ((tries < 20)); do
      ip netns del "$ns" 2>/dev/null || sleep 0.2
      tries=$((tries + 1))
    done
  done
  [[ -n "${NC_TMP:-}" && -d "$NC_TMP" ]] && rm -rf "$NC_TMP"
  local left
  left=$(ip netns list 2>/dev/null | grep -c "^${NC_RUN:-none}-")
  if [[ $left -gt 0 ]]; then
    echo "netns-cluster: WARNING: $left namespace(s) of $NC_RUN left behind" >&2
  else
    echo "netns-cluster: torn down $NC_RUN (processes, namespaces, veths, nft tables, temp dir)"
  fi
}

# On failure: the tail of every node log, and all of them copied to $NC_KEEP_LOGS if set.
nc_dump_logs() {
  local f
  for f in "$NC_TMP"/n*.log; do
    [[ -f "$f" ]] || continue
    echo "----- tail of $(basename "$f") (without Ratis lines) -----"
    grep -v ' o\.a\.r\.' "$f" | tail -n "${NC_LOG_TAIL:-40}"
  done
  if [[ -n "${NC_KEEP_LOGS:-}" ]]; then
    mkdir -p "$NC_KEEP_LOGS" && cp -r "$NC_TMP"/. "$NC_KEEP_LOGS"/ 2>/dev/null
    echo "node logs, configs and outcomes kept in $NC_KEEP_LOGS"
  fi
}

# --- nodes ----------------------------------------------------------------------------------

# nc_config <i> <id> <region> [yaml lines...]: writes node i's config; the extra lines are
# top-level sections appended verbatim (replication, gossip, faults, ...).
nc_config() {
  local i="$1" id="$2" region="$3"; shift 3
  local seeds="" j
  for ((j = 1; j <= NC_SIZE; j++)); do
    seeds+="${seeds:+, }\"$(node_ip "$j"):$NC_CLUSTER_PORT\""
  done
  local ip; ip="$(node_ip "$i")"
  {
    echo "node:"
    echo "  id: $id"
    echo "  region: $region"
    echo "  dataDir: \"$NC_TMP/data/$id\""
    echo "http:"
    echo "  host: $ip"
    echo "  port: $NC_HTTP_PORT"
    echo "cluster:"
    echo "  host: $ip"
    echo "  port: $NC_CLUSTER_PORT"
    echo "  busPort: $NC_BUS_PORT"
    echo "  seeds: [$seeds]"
    echo "  memberTimeoutMs: ${NC_MEMBER_TIMEOUT_MS:-4000}"
    echo "  mergeDelayMs: ${NC_MERGE_DELAY_MS:-2000}"
    echo "raft:"
    echo "  port: $NC_RAFT_PORT"
    local line
    for line in "$@"; do echo "$line"; done
  } >"$NC_TMP/n$i.yaml"
  NC_ID[$i]="$id"
  NC_REGION[$i]="$region"
}

nc_start_node() {
  local i="$1"
  ip netns exec "$NC_RUN-n$i" env MERIDIAN_OPTS="$NC_JVM_OPTS" \
    "$MERIDIAN_HOME/bin/meridian" start --config "$NC_TMP/n$i.yaml" >>"$NC_TMP/n$i.log" 2>&1 &
  NC_NODE_PID[$i]=$!
  NC_PIDS+=("$!")
  log "started ${NC_ID[$i]} (region ${NC_REGION[$i]}) at $(node_ip "$i"), pid $!"
}

nc_start_all() {
  local i
  for ((i = 1; i <= NC_SIZE; i++)); do nc_start_node "$i"; done
}

# Members of node i's view as "id=status" lines.
nc_view() {
  ncurl "$1" /v1/cluster/status 2>/dev/null | jq -r '.members[] | "\(.id)=\(.status)"' 2>/dev/null
}

# Whether every node is healthy and lists all NC_SIZE members up.
nc_all_up() {
  local i
  for ((i = 1; i <= NC_SIZE; i++)); do
    local view
    view="$(nc_view "$i")" || return 1
    [[ $(grep -c '=up$' <<<"$view") -eq $NC_SIZE ]] || return 1
  done
}

# await <timeout-seconds> <description> <command...>: polls every 200 ms; prints the time taken.
# Returns 1 (and logs) when the condition did not hold in time. NC_AWAITED_MS holds the time.
await() {
  local timeout_s="$1" what="$2"; shift 2
  local start; start=$(now_ms)
  local deadline=$((start + timeout_s * 1000))
  while true; do
    if "$@"; then
      NC_AWAITED_MS=$(($(now_ms) - start))
      return 0
    fi
    if (($(now_ms) >= deadline)); then
      NC_AWAITED_MS=$(($(now_ms) - start))
      log "timed out after ${timeout_s}s waiting for: $what"
      return 1
    fi
    sleep 0.2
  done
}

# Whether every node process is still running; names the first one that is not.
nc_nodes_running() {
  local i
  for ((i = 1; i <= NC_SIZE; i++)); do
    if ! kill -0 "${NC_NODE_PID[$i]}" 2>/dev/null; then
      NC_EXITED="${NC_ID[$i]}"
      return 1
    fi
  done
}

nc_formed_or_exited() { ! nc_nodes_running || nc_all_up; }

nc_await_formed() {
  local timeout_s="${1:-150}"
  await "$timeout_s" "every node serving and seeing $NC_SIZE members up" nc_formed_or_exited \
    || die "cluster did not form within ${timeout_s}s"
  nc_nodes_running || die "node $NC_EXITED exited during start-up (its log is below)"
  log "cluster formed: every node sees $NC_SIZE members up (${NC_AWAITED_MS} ms)"
}

# --- partitions -----------------------------------------------------------------------------

# nc_cut <i> <j...>: drops every packet between node i and nodes j (both directions), with an
# nft table in node i's namespace. The hub (clients) can still reach node i.
nc_cut() {
  local i="$1"; shift
  local ns="$NC_RUN-n$i" addrs="" j
  for j in "$@"; do addrs+="${addrs:+, }$(node_ip "$j")"; done
  ip netns exec "$ns" nft -f - <<EOF
table inet $NC_CUT_TABLE {
  set peers { type ipv4_addr; }
  chain input { type filter hook input priority -10; policy accept; ip saddr @peers drop; }
  chain output { type filter hook output priority -10; policy accept; ip daddr @peers drop; }
}
add element inet $NC_CUT_TABLE peers { $addrs }
EOF
  log "cut ${NC_ID[$i]} off from $(for j in "$@"; do printf '%s ' "${NC_ID[$j]}"; done)(nft drop in $ns)"
}

nc_heal() {
  local i="$1"
  ip netns exec "$NC_RUN-n$i" nft delete table inet "$NC_CUT_TABLE" 2>/dev/null
  log "healed ${NC_ID[$i]} (nft table deleted)"
}

# Whether node i's view shows member id with a status other than up.
nc_sees_not_up() {
  local view
  view="$(nc_view "$1")" || return 1
  [[ -n "$view" ]] && ! grep -qx "$2=up" <<<"$view"
}

# --- client load ----------------------------------------------------------------------------

# client_loop <node-index> <region> <out-file> <stop-file> <counter-key> <set-key> [client-id]
# Runs in the hub: alternately increments the counter (delta 1..5) and adds a fresh element
# ("<region>-<client-id>-<seq>") to the set at its region's node until the stop file appears.
# One line per request:
#   <ms> counter <region> <delta> <outcome> <http-code>
#   <ms> set <region> <element> <outcome> <http-code>
client_loop() {
  local i="$1" region="$2" out="$3" stop="$4" ckey="$5" skey="$6" cid="${7:-1}"
  local url; url="$(node_url "$i")"
  local seq=0 code delta element t
  while [[ ! -e "$stop" ]]; do
    seq=$((seq + 1))
    delta=$((seq % 5 + 1))
    t=$(now_ms)
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time "$NC_CURL_TIMEOUT" \
      --connect-timeout 2 -X POST -H 'Content-Type: application/json' \
      -d "{\"delta\": $delta}" "$url/v1/counters/$ckey")
    echo "$t counter $region $delta $(outcome "$code") $code" >>"$out"
    element="$region-$cid-$seq"
    t=$(now_ms)
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time "$NC_CURL_TIMEOUT" \
      --connect-timeout 2 -X POST -H 'Content-Type: application/json' \
      -d "{\"add\": [\"$element\"]}" "$url/v1/sets/$skey")
    echo "$t set $region $element $(outcome "$code") $code" >>"$out"
  done
}

outcome() {
  case "$1" in
    200) echo ack ;;
    503) echo refused ;;
    *) echo unknown ;;
  esac
}

# nc_start_client <node-index> <counter-key> <set-key> [client-id]: a client of node i's region;
# its outcomes go to $NC_TMP/outcomes-n<i>-<client-id>.
nc_start_client() {
  local i="$1" cid="${4:-1}"
  hub_fn client_loop "$i" "${NC_REGION[$i]}" "$NC_TMP/outcomes-n$i-$cid" "$NC_TMP/stop-clients" \
    "$2" "$3" "$cid" &
  NC_CLIENT_PIDS+=("$!")
  NC_PIDS+=("$!")
}

nc_stop_clients() {
  touch "$NC_TMP/stop-clients"
  local pid
  for pid in "${NC_CLIENT_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  NC_CLIENT_PIDS=()
  rm -f "$NC_TMP/stop-clients"
}

# --- convergence probes ---------------------------------------------------------------------

# probe_convergence <writer> <set-key> <element> <timeout-ms> <reader...>: runs in the hub. Adds
# the element at the writer's node, then polls each reader's own copy (consistency=one) until it
# holds the element. Prints "ack <http-code>" then one "<reader> <lag-ms>" line per reader, the lag
# counted from the acknowledgement (-1 when not seen within the timeout).
probe_convergence() {
  local writer="$1" key="$2" element="$3" timeout_ms="$4"; shift 4
  local code acked_at
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time "$NC_CURL_TIMEOUT" -X POST \
    -H 'Content-Type: application/json' -d "{\"add\": [\"$element\"]}" \
    "$(node_url "$writer")/v1/sets/$key")
  acked_at=$(now_ms)
  echo "ack $code"
  [[ "$code" == 200 ]] || return 0
  local reader
  for reader in "$@"; do
    (
      local url; url="$(node_url "$reader")/v1/sets/$key?consistency=one"
      while true; do
        if curl -s --max-time 2 "$url" | grep -q "\"$element\""; then
          echo "$reader $(($(now_ms) - acked_at))"
          exit 0
        fi
        if (($(now_ms) - acked_at > timeout_ms)); then echo "$reader -1"; exit 0; fi
      done
    ) &
  done
  wait
}

# --- reading replicas ---------------------------------------------------------------------

# Node i's own copy of a counter (consistency=one), or "-" when it cannot be read.
counter_value() {
  ncurl "$1" "/v1/counters/$2?consistency=one" 2>/dev/null | jq -r '.value // "-"' 2>/dev/null \
    || echo -
}

# Node i's own copy of a set, one element a line (sorted by the API).
set_elements() {
  ncurl "$1" "/v1/sets/$2?consistency=one" 2>/dev/null | jq -r '.elements[]' 2>/dev/null
}

# A fingerprint of node i's copy of both keys: "<counter-value> <set-size> <set-hash>".
replica_fingerprint() {
  local value elements
  value="$(counter_value "$1" "$2")"
  elements="$(set_elements "$1" "$3")" || elements=""
  echo "$value $(grep -c . <<<"$elements") $(md5sum <<<"$elements" | cut -c1-12)"
}

# Status of node i towards each remote region: "region backlog oldestMs shipments deltaBytes
# fullStateBytes lastExchange" lines.
region_lag() {
  ncurl "$1" /v1/cluster/status 2>/dev/null | jq -r '.regions | to_entries[] |
    "\(.key) \(.value.backlogEntries) \(.value.oldestUnacknowledgedMs) \(.value.shipments) \(.value.deltaBytesSent) \(.value.fullStateBytesSent) \(.value.lastExchange)"'
}

# One line about node i for progress logs: its view of the members and its backlog per region.
node_summary() {
  local status
  status="$(ncurl "$1" /v1/cluster/status 2>/dev/null)" || { echo "${NC_ID[$1]}: no answer"; return; }
  jq -r '"\(.node): " + ([.members[] | "\(.id)=\(.status)"] | join(" ")) + " | backlog " +
    ([.regions | to_entries[] | "\(.key):\(.value.backlogEntries)/\(.value.oldestUnacknowledgedMs)ms"]
    | join(" "))' <<<"$status" 2>/dev/null || echo "${NC_ID[$1]}: unreadable status"
}

# --- entry point when run directly ------------------------------------------------------------

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-}" in
    preflight) nc_preflight ;;
    cleanup) nc_cleanup_stale ;;
    *) echo "usage: $0 preflight|cleanup (scenario scripts source this file)" >&2; exit 2 ;;
  esac
fi
