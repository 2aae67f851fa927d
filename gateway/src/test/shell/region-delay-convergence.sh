#!/usr/bin/env bash
# Scenario c (issue 5): 3 regions x 1 node (n=w=r=1) with DELAY_MS of one-way delay injected
# between every pair of regions (faults.regionDelays) and gossip every GOSSIP_MS.
# 1. Probes: PROBES writes in each region, one at a time; each must become visible in both other
#    regions within the bound DELAY_MS + 2 x GOSSIP_MS + MARGIN_MS (the margin covers the
#    driver's polling and curl overhead). Every lag is reported, with p50 and max.
# 2. Batching: CLIENTS_PER_REGION clients per region write for BURST_SECONDS; every node's shipments to each remote
#    region must be fewer than the deltas it wrote (several deltas per shipment); afterwards the
#    backlogs drain, every region holds the same state, the counter equals the acknowledged
#    increments and no delta went as full state.
# Prints PASS or FAIL and exits non-zero on failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/netns-cluster.sh"

DELAY_MS="${DELAY_MS:-50}"
GOSSIP_MS="${GOSSIP_MS:-200}"
MARGIN_MS="${MARGIN_MS:-250}"
PROBES="${PROBES:-6}"
BURST_SECONDS="${BURST_SECONDS:-8}"
CLIENTS_PER_REGION="${CLIENTS_PER_REGION:-3}"
BOUND_MS=$((DELAY_MS + 2 * GOSSIP_MS + MARGIN_MS))
CKEY="burst-counter"
SKEY="burst-set"

nc_init "region-delay-convergence" 3
common=("replication:" "  n: 1" "  w: 1" "  r: 1" "gossip:" "  intervalMs: $GOSSIP_MS"
  "faults:" "  regionDelays: [\"a/b=$DELAY_MS\", \"a/c=$DELAY_MS\", \"b/c=$DELAY_MS\"]")
nc_config 1 n1 a "${common[@]}"
nc_config 2 n2 b "${common[@]}"
nc_config 3 n3 c "${common[@]}"
nc_start_all
nc_await_formed
log "injected delay ${DELAY_MS} ms between regions, gossip every ${GOSSIP_MS} ms: bound ${BOUND_MS} ms"

# --- 1. probes ---
# Warm-up (not measured): the first writes after start pay for JIT compilation and connection set-up.
for w in 1 2 3; do
  for ((p = 1; p <= 3; p++)); do
    hub_fn probe_convergence "$w" warmup "warmup-${NC_REGION[$w]}-$p" 10000 1 2 3 >/dev/null
  done
done
lags=()
late=()
for ((p = 1; p <= PROBES; p++)); do
  for w in 1 2 3; do
    readers=()
    for r in 1 2 3; do [[ $r -ne $w ]] && readers+=("$r"); done
    element="probe-${NC_REGION[$w]}-$p"
    result="$(hub_fn probe_convergence "$w" probes "$element" 10000 "${readers[@]}")"
    ack="$(awk '$1 == "ack" { print $2 }' <<<"$result")"
    if [[ "$ack" != 200 ]]; then
      fail "probe $element: write in region ${NC_REGION[$w]} answered $ack"
      continue
    fi
    line="probe $element:"
    while read -r reader lag; do
      line+=" ${NC_REGION[$reader]} ${lag} ms"
      if [[ "$lag" -lt 0 ]]; then
        late+=("$element -> ${NC_REGION[$reader]}: not visible within 10 s")
      else
        lags+=("$lag")
        if ((lag > BOUND_MS)); then late+=("$element -> ${NC_REGION[$reader]}: ${lag} ms"); fi
      fi
    done < <(grep -v '^ack' <<<"$result")
    log "$line"
  done
done
if [[ ${#lags[@]} -gt 0 ]]; then
  read -r n p50 p90 max < <(printf '%s\n' "${lags[@]}" | sort -n | awk '{ v[NR] = $1 }
    END { print NR, v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.999)], v[NR] }')
  log "convergence lag over $n (write, region) pairs: p50 ${p50} ms, p90 ${p90} ms, max ${max} ms (bound ${BOUND_MS} ms)"
fi
check_if "every probe write visible in both other regions within ${BOUND_MS} ms (late: ${#late[@]}${late[*]:+; ${late[*]}})" \
  '[[ ${#late[@]} -eq 0 && ${#lags[@]} -eq $((PROBES * 6)) ]]'

# --- 2. batching under load ---
declare -A SHIPPED_BEFORE=()
for i in 1 2 3; do
  while read -r region backlog oldest shipments rest; do
    SHIPPED_BEFORE[$i-$region]=$shipments
  done < <(region_lag "$i")
done
for i in 1 2 3; do
  for ((c = 1; c <= CLIENTS_PER_REGION; c++)); do nc_start_client "$i" "$CKEY" "$SKEY" "$c"; done
done
log "$CLIENTS_PER_REGION clients per region writing for ${BURST_SECONDS} s"
nc_sleep "$BURST_SECONDS"
nc_stop_clients
stopped_at=$(now_ms)

converged_after=""
while (($(now_ms) < stopped_at + 30000)); do
  f1="$(replica_fingerprint 1 "$CKEY" "$SKEY")"
  f2="$(replica_fingerprint 2 "$CKEY" "$SKEY")"
  f3="$(replica_fingerprint 3 "$CKEY" "$SKEY")"
  if [[ "$f1" == "$f2" && "$f2" == "$f3" && "$f1" != -* ]]; then
    converged_after=$(($(now_ms) - stopped_at))
    break
  fi
  sleep 0.1
done
check_if "after the burst every region returns the same counter and set (took ${converged_after:-more than 30000} ms after the last write; state [$f1])" \
  '[[ -n "$converged_after" ]]'

cat "$NC_TMP"/outcomes-n* >"$NC_TMP/outcomes-all"
read -r acked unknown < <(awk '$2 == "counter" { if ($5 == "ack") a += $4; else if ($5 == "unknown") u += $4 }
  END { print a + 0, u + 0 }' "$NC_TMP/outcomes-all")
value="$(counter_value 1 "$CKEY")"
check_if "counter: acknowledged $acked <= value $value <= $((acked + unknown))" \
  '[[ "$value" =~ ^[0-9]+$ ]] && ((value >= acked && value <= acked + unknown))'

backlog_drained() {
  local i
  for i in 1 2 3; do
    region_lag "$i" | awk '$2 != 0 { bad = 1 } END { exit bad }' || return 1
  done
}
check "every delta backlog drains to 0 (within 10 s)" await 10 "backlogs drained" backlog_drained
for i in 1 2 3; do
  written=$(cat "$NC_TMP/outcomes-n$i"-* | awk '$5 != "refused"' | wc -l)
  while read -r region backlog oldest shipments dbytes fbytes last; do
    shipped=$((shipments - ${SHIPPED_BEFORE[$i-$region]:-0}))
    per=$(awk -v d="$written" -v s="$shipped" 'BEGIN { printf "%.1f", s ? d / s : 0 }')
    check_if "${NC_ID[$i]} -> region $region: $shipped shipments for $written deltas written (${per} deltas per shipment), full-state bytes $fbytes" \
      '((shipped > 0 && shipped < written))'
  done < <(region_lag "$i")
done

nc_finish
