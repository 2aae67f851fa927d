#!/usr/bin/env bash
# Strong keys (issue 6): the leader L of Raft groups is cut off from the other two voters for
# CUT_SECONDS under a recorded workload, then healed. 3 regions x 1 node, so every group has a voter
# on each node. The clients run in the hub namespace (StrongWorkloadProcess, a Java main from the
# gateway test classes) and talk to every node, L included, which the hub can still reach: 5
# clients over 10 keys (50% linearizable GET, 25% PUT, 25% CAS on the last revision seen, unique
# values); through each of the two other nodes, a probe that writes a key of one of L's groups
# (when do writes resume on the majority side?); and, while the cut lasts, MINORITY_PROBES threads
# that write the workload keys through L (what does the minority answer?).
#
# This script runs the schedule, watches the groups and checks what the status endpoints show:
# during the cut the majority side elects a new leader of every group L led and L steps down in
# each (times reported); after the heal every group has a leader and L follows the new one. It
# writes into STRONG_OUT (default gateway/target/strong-partition):
#   history.jsonl  one JSON line per operation (History.Recorder, with the node it went to)
#   events.json    the victim, the groups it led, cut and heal times (epoch ms), elections
#   logs/          the node logs and configs
# The history checks (linearizability, 503/504 from the minority, the majority's write stall) are
# StrongPartitionIT's, which runs this script. Prints PASS or FAIL and exits non-zero on failure.
set -euo pipefail
: "${NC_JVM_OPTS:=-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}"
source "$(dirname "${BASH_SOURCE[0]}")/netns-cluster.sh"

WARMUP_SECONDS="${WARMUP_SECONDS:-8}"
CUT_SECONDS="${CUT_SECONDS:-20}"
AFTER_SECONDS="${AFTER_SECONDS:-10}"
READY_SECONDS="${READY_SECONDS:-90}"
CLIENTS="${CLIENTS:-5}"
KEYS="${KEYS:-10}"
MINORITY_PROBES="${MINORITY_PROBES:-4}"
SEED="${SEED:-42}"
STRONG_OUT="${STRONG_OUT:-$MERIDIAN_HOME/gateway/target/strong-partition}"
STRONG_CLASSPATH="${STRONG_CLASSPATH:-$MERIDIAN_HOME/gateway/target/test-classes:$MERIDIAN_HOME/replication/target/test-classes:$MERIDIAN_HOME/gateway/target/classes:$MERIDIAN_HOME/gateway/target/lib/*}"
# The client JVM shares the two cores with three nodes: C1 only and the serial collector.
CLIENT_JVM_OPTS="${CLIENT_JVM_OPTS:--Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}"

# --- Raft groups as the nodes see them -----------------------------------------------------------

# Node i's groups as "id leader term role" lines ("-" for none); nothing when it does not answer.
groups_of() {
  { ncurl "$1" /v1/cluster/status 2>/dev/null \
    | jq -r '.raft.groups[] | "\(.id) \(.leader // "-") \(.term // "-") \(.role)"' 2>/dev/null; } \
    || true
}

# The groups node i says it leads, one id a line.
led_by() { groups_of "$1" | awk '$4 == "leader" { print $1 }'; }

# node i's role in group g ("-" when it does not answer).
role_in() { groups_of "$1" | awk -v g="$2" '$1 == g { r = $4 } END { print (r == "" ? "-" : r) }'; }

# The leader of group g in node i's view ("-" when none or no answer).
leader_in() { groups_of "$1" | awk -v g="$2" '$1 == g { l = $2 } END { print (l == "" ? "-" : l) }'; }

GROUP_COUNT=0

# Whether every group has a node that says it leads it.
every_group_led() {
  local count
  count="$(groups_of 1 | grep -c .)" || return 1
  ((count > 0)) || return 1
  GROUP_COUNT=$count
  local led i
  led="$(for i in 1 2 3; do led_by "$i"; done | sort -un | grep -c .)" || return 1
  ((led == count))
}

# Whether a strong write through every node answers 200.
strong_writes_work() {
  local i code
  for i in 1 2 3; do
    code="$(ncurl "$i" "/v1/strong/ready-n$i" -o /dev/null -w '%{http_code}' -X PUT \
      -H 'Content-Type: text/plain' -d "ready" 2>/dev/null)" || return 1
    [[ "$code" == 200 ]] || return 1
  done
}

strong_ready() { strong_writes_work && every_group_led; }

# One line per node: who leads group g, in which term, and the node's role.
group_summary() {
  local g="$1" i
  for i in 1 2 3; do
    groups_of "$i" | awk -v g="$g" -v n="${NC_ID[$i]}" \
      '$1 == g { printf "%s: leader %s term %s role %s; ", n, $2, $3, $4 }'
  done
  echo
}

# --- setup -----------------------------------------------------------------------------------

[[ -d "$MERIDIAN_HOME/gateway/target/test-classes/io/meridian/gateway" ]] \
  || die "the gateway test classes are not built (mvn -B -o -q install -DskipTests)"
mkdir -p "$STRONG_OUT"
rm -rf "$STRONG_OUT/history.jsonl" "$STRONG_OUT/events.json" "$STRONG_OUT/logs"

nc_init "strong-partition" 3
for i in 1 2 3; do nc_config "$i" "n$i" "r$i"; done
nc_start_all
nc_await_formed
if ! await "$READY_SECONDS" "strong writes through every node and a leader for every group" \
  strong_ready; then
  for i in 1 2 3; do log "  ${NC_ID[$i]} leads: $(led_by "$i" | tr '\n' ' ')"; done
  die "strong keys did not become available within ${READY_SECONDS}s"
fi
log "strong keys available ${NC_AWAITED_MS} ms after the cluster formed; $GROUP_COUNT groups"

# L: the node that leads the most groups; G: the first of them (the probe writes a key of G).
pick_victim() {
  VICTIM=0
  local i best=-1 count
  for i in 1 2 3; do
    count="$(led_by "$i" | grep -c .)" || true
    if ((count > best)); then best=$count; VICTIM=$i; fi
  done
  GROUP="$(led_by "$VICTIM" | head -n 1)"
  [[ -n "$GROUP" ]] || die "no group leader found"
}
pick_victim
log "victim ${NC_ID[$VICTIM]} leads groups $(led_by "$VICTIM" | tr '\n' ' ')(probe group $GROUP)"

control="$NC_TMP/control"
mkdir -p "$control"
echo $((VICTIM - 1)) >"$control/victim"
nodes=""
for i in 1 2 3; do nodes+="${nodes:+,}${NC_ID[$i]}=$(node_url "$i")"; done
read -r -a client_opts <<<"$CLIENT_JVM_OPTS"
ip netns exec "$NC_HUB" java "${client_opts[@]}" -cp "$STRONG_CLASSPATH" \
  io.meridian.gateway.StrongWorkloadProcess --nodes "$nodes" \
  --history "$STRONG_OUT/history.jsonl" --control "$control" --clients "$CLIENTS" \
  --keys "$KEYS" --groups "$GROUP_COUNT" --probe-group "$GROUP" \
  --minority-probes "$MINORITY_PROBES" --seed "$SEED" &
CLIENT_PID=$!
NC_PIDS+=("$CLIENT_PID")
clients_running() { [[ -e "$control/running" ]] || ! kill -0 "$CLIENT_PID" 2>/dev/null; }
await 60 "the clients started" clients_running || die "the client process did not start"
kill -0 "$CLIENT_PID" 2>/dev/null || die "the client process exited at start"
log "clients running (pid $CLIENT_PID) in $NC_HUB; warming up for ${WARMUP_SECONDS} s"
nc_sleep "$WARMUP_SECONDS"

# Leadership may have moved during the warm-up: cut whoever leads the probe group now.
current="$(leader_in "$VICTIM" "$GROUP")"
if [[ "$(role_in "$VICTIM" "$GROUP")" != leader ]]; then
  log "leadership of group $GROUP moved to $current during the warm-up"
  pick_victim
  echo $((VICTIM - 1)) >"$control/victim"
fi
others=()
for i in 1 2 3; do [[ $i -ne $VICTIM ]] && others+=("$i"); done
mapfile -t VICTIM_GROUPS < <(led_by "$VICTIM")
victim_groups="$(IFS=,; echo "${VICTIM_GROUPS[*]}")"
old_term="$(groups_of "$VICTIM" | awk -v g="$GROUP" '$1 == g { print $3 }')"
log "before the cut: $(group_summary "$GROUP")"

# --- the cut ---------------------------------------------------------------------------------

declare -A ELECTED=()  # group -> "<new leader> <ms after the cut> <term>", seen on the majority side
declare -A STEPPED=()  # group -> ms after the cut when the victim no longer called itself leader
is_victim_group() { [[ " ${VICTIM_GROUPS[*]} " == *" $1 "* ]]; }

# One look at every node's groups: records new leaders on the majority side and step-downs.
watch_groups() {
  local o g leader term role
  for o in "${others[@]}"; do
    while read -r g leader term role; do
      if [[ "$role" == leader ]] && is_victim_group "$g" && [[ -z "${ELECTED[$g]:-}" ]]; then
        ELECTED[$g]="${NC_ID[$o]} $(($(now_ms) - cut_at)) $term"
        log "+$(($(now_ms) - cut_at)) ms: ${NC_ID[$o]} leads group $g (term $term)"
      fi
    done < <(groups_of "$o")
  done
  while read -r g leader term role; do
    if [[ "$role" != leader ]] && is_victim_group "$g" && [[ -z "${STEPPED[$g]:-}" ]]; then
      STEPPED[$g]=$(($(now_ms) - cut_at))
      log "+${STEPPED[$g]} ms: ${NC_ID[$VICTIM]} is no longer leader of group $g ($role)"
    fi
  done < <(groups_of "$VICTIM")
}

nc_cut "$VICTIM" "${others[@]}"
cut_at=$(now_ms)  # the drop rules are in place from here on
touch "$control/cut"
log "${NC_ID[$VICTIM]} (leader of groups $victim_groups, term $old_term in group $GROUP) cut off" \
  "for ${CUT_SECONDS} s; its clients in the hub still reach it"
next_trace=0
while (($(now_ms) < cut_at + CUT_SECONDS * 1000)); do
  if ((${#ELECTED[@]} < ${#VICTIM_GROUPS[@]} || ${#STEPPED[@]} < ${#VICTIM_GROUPS[@]})); then
    watch_groups
  fi
  if (($(now_ms) >= next_trace)); then
    next_trace=$(($(now_ms) + 4000))
    log "+$(($(now_ms) - cut_at)) ms: $(group_summary "$GROUP")"
  fi
  sleep 0.25
done
rm -f "$control/cut"
heal_at=$(now_ms)  # before the heal: what is answered until here was answered during the cut
nc_heal "$VICTIM"
read -r new_leader new_leader_ms new_term <<<"${ELECTED[$GROUP]:-}" || true
check_if "the majority side elected a new leader of group $GROUP during the cut (${new_leader:-none} after ${new_leader_ms:-?} ms, term ${new_term:-?} > $old_term)" \
  '[[ -n "${new_leader:-}" && "$new_term" =~ ^[0-9]+$ && "$old_term" =~ ^[0-9]+$ ]] && ((new_term > old_term))'
check_if "the majority side elected a new leader of every group ${NC_ID[$VICTIM]} led ($victim_groups) during the cut (${#ELECTED[@]} of ${#VICTIM_GROUPS[@]})" \
  '((${#ELECTED[@]} == ${#VICTIM_GROUPS[@]}))'
check_if "${NC_ID[$VICTIM]} stepped down as leader of every group it led during the cut (${#STEPPED[@]} of ${#VICTIM_GROUPS[@]}; group $GROUP after ${STEPPED[$GROUP]:-?} ms)" \
  '((${#STEPPED[@]} == ${#VICTIM_GROUPS[@]}))'

# --- after the heal --------------------------------------------------------------------------

victim_follows() {
  every_group_led || return 1
  local l
  l="$(leader_in "$VICTIM" "$GROUP")"
  [[ "$l" != - && "$l" == "$(leader_in "${others[0]}" "$GROUP")" ]]
}
rejoined_ms=""
# The gRPC channels to and from the victim may be in reconnect backoff after the cut.
if await 45 "${NC_ID[$VICTIM]} follows the leader of group $GROUP, every group led" victim_follows; then
  rejoined_ms=$NC_AWAITED_MS
fi
check_if "after the heal every group has a leader and ${NC_ID[$VICTIM]} agrees on group $GROUP's (${rejoined_ms:-not within 45 000} ms)" \
  '[[ -n "$rejoined_ms" ]]'
log "after the heal: $(group_summary "$GROUP")"
sleep_until $((heal_at + AFTER_SECONDS * 1000))

touch "$control/stop"
log "workload stopped; final reads of every key through every node"
deadline=$(($(now_ms) + 150000))
while kill -0 "$CLIENT_PID" 2>/dev/null && (($(now_ms) < deadline)); do sleep 0.2; done
client_rc=0
if kill -0 "$CLIENT_PID" 2>/dev/null; then
  client_rc=124
else
  wait "$CLIENT_PID" || client_rc=$?
fi
check_if "the clients wrote the history and read every key through every node (exit $client_rc)" \
  '((client_rc == 0))'

elections="$(for g in "${!ELECTED[@]}"; do echo "$g ${ELECTED[$g]} ${STEPPED[$g]:--1}"; done \
  | jq -R -s 'split("\n") | map(select(length > 0) | split(" ") | {group: (.[0] | tonumber),
      leader: .[1], afterMs: (.[2] | tonumber), term: (.[3] | tonumber),
      victimSteppedDownAfterMs: (.[4] | tonumber)}) | sort_by(.group)')"
jq -n --arg victim "${NC_ID[$VICTIM]}" --argjson group "$GROUP" --argjson groups "$GROUP_COUNT" \
  --arg ledGroups "$victim_groups" --argjson cutAtMs "$cut_at" --argjson healAtMs "$heal_at" \
  --arg newLeader "${new_leader:-}" --arg newLeaderAfterMs "${new_leader_ms:-}" \
  --arg steppedDownAfterMs "${STEPPED[$GROUP]:-}" --arg rejoinedAfterMs "$rejoined_ms" \
  --arg oldTerm "$old_term" --arg newTerm "${new_term:-}" --argjson elections "$elections" '{
    victim: $victim, group: $group, groups: $groups,
    victimLedGroups: ($ledGroups | split(",") | map(tonumber)),
    cutAtMs: $cutAtMs, healAtMs: $healAtMs,
    newLeader: $newLeader, newLeaderAfterMs: ($newLeaderAfterMs | tonumber? // null),
    oldTerm: ($oldTerm | tonumber? // null), newTerm: ($newTerm | tonumber? // null),
    victimSteppedDownAfterMs: ($steppedDownAfterMs | tonumber? // null),
    rejoinedAfterMs: ($rejoinedAfterMs | tonumber? // null),
    elections: $elections
  }' >"$STRONG_OUT/events.json"
# The history check comes after this script: keep the node logs whatever happens here.
{ mkdir -p "$STRONG_OUT/logs" && cp "$NC_TMP"/n*.log "$NC_TMP"/n*.yaml "$STRONG_OUT/logs/"; } 2>/dev/null || true
log "history in $STRONG_OUT/history.jsonl ($(wc -l <"$STRONG_OUT/history.jsonl" 2>/dev/null || echo 0) operations), events in $STRONG_OUT/events.json"
nc_finish
