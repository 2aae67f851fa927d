#!/usr/bin/env bash
# Scenario b (issue 5): one region of 3 nodes with n=1 (w=r=1), so that a key has exactly one
# replica and a write sent to any other node must be forwarded to it over the event bus. One node
# is cut off from the other two for CUT_SECONDS (Hazelcast splits the cluster), then healed.
# Checks, for each round: the split is seen; within UP_SECONDS of the heal every node lists all
# members up; then, for every ordered pair (sender, replica), a write sent to the sender for a key
# whose only replica is the other node succeeds (reports 1/1 replicas) within FORWARD_SECONDS, and
# the replica holds it. This guards against event-bus subscriptions lost after a cluster merge.
# Two rounds: the last node to join is cut off, then the oldest member (the Hazelcast master).
# Prints PASS or FAIL and exits non-zero on failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/netns-cluster.sh"

CUT_SECONDS="${CUT_SECONDS:-20}"
UP_SECONDS="${UP_SECONDS:-15}"
FORWARD_SECONDS="${FORWARD_SECONDS:-10}"
VICTIMS="${VICTIMS:-3 1}"

nc_init "member-partition-merge" 3
common=("replication:" "  n: 1" "  w: 1" "  r: 1")
for i in 1 2 3; do nc_config "$i" "n$i" r "${common[@]}"; done
nc_start_all
nc_await_formed

# PAIR_KEY[s-t]: a counter key whose only replica in region r is node t (t != s).
declare -A PAIR_KEY=()
declare -A WRITES=()
j=0
while [[ ${#PAIR_KEY[@]} -lt 6 && $j -lt 500 ]]; do
  j=$((j + 1))
  key="fwd-$j"
  owner="$(ncurl 1 "/v1/cluster/ring?keyspace=counters&key=$key" | jq -r '.replicas.r | join(",")')"
  for s in 1 2 3; do
    for t in 1 2 3; do
      if [[ $s -ne $t && "$owner" == "n$t" && -z "${PAIR_KEY[$s-$t]:-}" ]]; then
        PAIR_KEY[$s-$t]="$key"
        WRITES[$s-$t]=0
        break 2
      fi
    done
  done
done
[[ ${#PAIR_KEY[@]} -eq 6 ]] || die "could not find a key for every ordered pair of nodes"
for pair in $(printf '%s\n' "${!PAIR_KEY[@]}" | sort); do
  log "pair n${pair%-*} -> n${pair#*-}: key ${PAIR_KEY[$pair]} (replica n${pair#*-} only)"
done

# forward_write <s> <t>: one write to node s for the key replicated only on t. Prints the HTTP code
# and the X-Meridian-Replicas header.
forward_write() {
  local s="$1" t="$2" headers
  headers="$(ncurl "$s" "/v1/counters/${PAIR_KEY[$s-$t]}" -o /dev/null -D - -X POST \
    -H 'Content-Type: application/json' -d '{"delta": 1}' 2>/dev/null || true)"
  local code replicas
  code="$(awk 'NR == 1 { print $2 }' <<<"$headers")"
  replicas="$(awk -F': ' 'tolower($1) == "x-meridian-replicas" { gsub("\r", "", $2); print $2 }' \
    <<<"$headers")"
  echo "${code:-000} ${replicas:--}"
}

# every_pair_forwards <label> <seconds>: every ordered pair's forwarded write must succeed within
# the given time (retrying every 250 ms); then the replica must hold all of that pair's writes.
every_pair_forwards() {
  local label="$1" seconds="$2" s t
  for s in 1 2 3; do
    for t in 1 2 3; do
      [[ $s -eq $t ]] && continue
      local start attempts=0 result="" first=""
      start=$(now_ms)
      while true; do
        attempts=$((attempts + 1))
        result="$(forward_write "$s" "$t")"
        [[ -z "$first" ]] && first="$result"
        [[ "$result" == "200 1/1" ]] && break
        (($(now_ms) - start >= seconds * 1000)) && break
        sleep 0.25
      done
      local took=$(($(now_ms) - start))
      if [[ "$result" == "200 1/1" ]]; then
        WRITES[$s-$t]=$((WRITES[$s-$t] + 1))
        local held
        held="$(counter_value "$t" "${PAIR_KEY[$s-$t]}")"
        check_if "$label: write n$s -> n$t forwarded (attempts $attempts, ${took} ms, first answer [$first]); replica n$t holds ${held}, acknowledged ${WRITES[$s-$t]}" \
          '[[ "$held" =~ ^[0-9]+$ ]] && ((held >= WRITES[$s-$t]))'
      else
        fail "$label: write n$s -> n$t not forwarded within ${seconds} s ($attempts attempts, last answer [$result])"
      fi
    done
  done
}

every_pair_forwards "before any partition" 10

round=0
for victim in $VICTIMS; do
  round=$((round + 1))
  others=()
  for i in 1 2 3; do [[ $i -ne $victim ]] && others+=("$i"); done
  label="round $round (n$victim cut off)"
  cut_at=$(now_ms)
  nc_cut "$victim" "${others[@]}"
  split_seen() {
    local o
    for o in "${others[@]}"; do
      nc_sees_not_up "$o" "n$victim" && nc_sees_not_up "$victim" "n$o" || return 1
    done
  }
  check "$label: the split is seen on both sides (within ${CUT_SECONDS} s)" \
    await "$CUT_SECONDS" "split visible" split_seen
  log "$label: split visible after $(($(now_ms) - cut_at)) ms"
  for i in 1 2 3; do log "  $(node_summary "$i")"; done
  sleep_until $((cut_at + CUT_SECONDS * 1000))
  heal_at=$(now_ms)
  nc_heal "$victim"
  if await "$UP_SECONDS" "every node lists all members up" nc_all_up; then
    log "$label: every node lists all members up ${NC_AWAITED_MS} ms after the heal"
    check_if "$label: every node lists all members up within ${UP_SECONDS} s of the heal (${NC_AWAITED_MS} ms)" true
  else
    for i in 1 2 3; do log "  $(node_summary "$i")"; done
    fail "$label: not every node lists all members up within ${UP_SECONDS} s of the heal"
    await 60 "every node lists all members up (late)" nc_all_up \
      && log "$label: all members up only after $(($(now_ms) - heal_at)) ms"
  fi
  every_pair_forwards "$label" "$FORWARD_SECONDS"
done

nc_finish
