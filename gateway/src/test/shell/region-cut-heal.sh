#!/usr/bin/env bash
# Scenario a (issue 5): 3 regions x 1 node (n=w=r=1). Region c is cut off for CUT_SECONDS while a
# client in every region sends counter increments and set adds to its own region's node.
# Checks: during the cut, writes in c are acknowledged; after the heal every region returns the
# same counter and set within CONVERGE_SECONDS (the time taken is reported); the counter lies
# between the acknowledged increments and those plus the unknown ones; every acknowledged set
# element is present everywhere, no refused one anywhere; the explain views agree; the delta
# backlogs drain. Prints PASS or FAIL and exits non-zero on failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/netns-cluster.sh"

CUT_SECONDS="${CUT_SECONDS:-30}"
CONVERGE_SECONDS="${CONVERGE_SECONDS:-10}"
WARMUP_SECONDS=5
CKEY="geo-counter"
SKEY="geo-set"

nc_init "region-cut-heal" 3
common=("replication:" "  n: 1" "  w: 1" "  r: 1" "gossip:" "  intervalMs: 200")
nc_config 1 n1 a "${common[@]}"
nc_config 2 n2 b "${common[@]}"
nc_config 3 n3 c "${common[@]}"
nc_start_all
nc_await_formed

for i in 1 2 3; do nc_start_client "$i" "$CKEY" "$SKEY"; done
log "clients writing to their own region's node (counter $CKEY, set $SKEY)"
nc_sleep "$WARMUP_SECONDS"

cut_at=$(now_ms)
nc_cut 3 1 2
partition_visible() {
  nc_sees_not_up 1 n3 && nc_sees_not_up 2 n3 && nc_sees_not_up 3 n1 && nc_sees_not_up 3 n2
}
check "the cut is seen: n1 and n2 see n3 not up, n3 sees n1 and n2 not up (within 20 s)" \
  await 20 "partition visible" partition_visible
log "partition visible after $(($(now_ms) - cut_at)) ms; holding the cut for ${CUT_SECONDS} s"
sleep_until $((cut_at + CUT_SECONDS * 1000))

a_during="$(replica_fingerprint 1 "$CKEY" "$SKEY")"
c_during="$(replica_fingerprint 3 "$CKEY" "$SKEY")"
log "end of cut: a has [$a_during], c has [$c_during]"
check "the regions diverged during the cut (the cut was effective)" [ "$a_during" != "$c_during" ]

nc_stop_clients
heal_at=$(now_ms)
nc_heal 3
log "cut lasted $(((heal_at - cut_at) / 1000)) s; clients stopped; polling every region"

converged_after=""
deadline=$((heal_at + 60000))
next_trace=0
while (($(now_ms) < deadline)); do
  if (($(now_ms) >= next_trace)); then
    next_trace=$(($(now_ms) + 1000))
    for i in 1 2 3; do log "  +$(($(now_ms) - heal_at)) ms $(node_summary "$i")"; done
  fi
  f1="$(replica_fingerprint 1 "$CKEY" "$SKEY")"
  f2="$(replica_fingerprint 2 "$CKEY" "$SKEY")"
  f3="$(replica_fingerprint 3 "$CKEY" "$SKEY")"
  if [[ "$f1" == "$f2" && "$f2" == "$f3" && "$f1" != -* ]]; then
    converged_after=$(($(now_ms) - heal_at))
    break
  fi
  sleep 0.2
done
if [[ -z "$converged_after" ]]; then
  fail "every region returns the same value within ${CONVERGE_SECONDS} s of the heal (not even after 60 s: a [$f1] b [$f2] c [$f3])"
else
  log "every region returns the same counter and set ${converged_after} ms after the heal: [$f1]"
  check "every region returns the same value within ${CONVERGE_SECONDS} s of the heal (took ${converged_after} ms)" \
    [ "$converged_after" -le $((CONVERGE_SECONDS * 1000)) ]
fi

# Invariants over the recorded outcomes.
outcomes="$NC_TMP/outcomes-all"
cat "$NC_TMP"/outcomes-n* >"$outcomes"
read -r acked unknown refused < <(awk '$2 == "counter" {
    if ($5 == "ack") a += $4; else if ($5 == "unknown") u += $4; else r += $4 }
  END { print a + 0, u + 0, r + 0 }' "$outcomes")
log "counter: acknowledged increments $acked, unknown $unknown, refused $refused"
awk '{ n[$2 " " $3 " " $5]++ } END { for (k in n) print "  requests " k ": " n[k] }' "$outcomes" | sort
for i in 1 2 3; do
  value="$(counter_value "$i" "$CKEY")"
  check_if "counter in region ${NC_REGION[$i]}: acknowledged $acked <= value $value <= $((acked + unknown))" \
    '[[ "$value" =~ ^[0-9]+$ ]] && ((value >= acked && value <= acked + unknown))'
done

awk '$2 == "set" && $5 == "ack" { print $4 }' "$outcomes" | sort >"$NC_TMP/acked-elements"
awk '$2 == "set" && $5 != "refused" { print $4 }' "$outcomes" | sort >"$NC_TMP/possible-elements"
awk '$2 == "set" && $5 == "refused" { print $4 }' "$outcomes" | sort >"$NC_TMP/refused-elements"
for i in 1 2 3; do
  set_elements "$i" "$SKEY" | sort >"$NC_TMP/elements-n$i"
  missing=$(comm -23 "$NC_TMP/acked-elements" "$NC_TMP/elements-n$i" | wc -l)
  unexpected=$(comm -13 "$NC_TMP/possible-elements" "$NC_TMP/elements-n$i" | wc -l)
  check "set in region ${NC_REGION[$i]}: all $(wc -l <"$NC_TMP/acked-elements") acknowledged elements present (missing $missing)" \
    [ "$missing" -eq 0 ]
  check "set in region ${NC_REGION[$i]}: no refused or never-sent element (found $unexpected)" \
    [ "$unexpected" -eq 0 ]
done

read -r c_acked c_other c_refused < <(awk -v from="$cut_at" -v to="$heal_at" \
  '$3 == "c" && $1 >= from && $1 < to { if ($5 == "ack") a++; else if ($5 == "refused") r++; else o++ }
   END { print a + 0, o + 0, r + 0 }' "$outcomes")
log "writes in c during the cut: $c_acked acknowledged, $c_refused refused, $c_other unknown"
check_if "writes in c succeed during the cut ($c_acked acknowledged, none refused, <= 5% unknown)" \
  '((c_acked > 0 && c_refused == 0 && c_other * 20 <= c_acked))'

for i in 1 2 3; do
  for ks in "counters/$CKEY" "sets/$SKEY"; do
    explain="$(ncurl "$i" "/v1/$ks?explain=true" 2>/dev/null || true)"
    regions_seen="$(jq -r '[.replicas[].region] | unique | join(",")' <<<"$explain" 2>/dev/null || true)"
    equal="$(jq -r .equal <<<"$explain" 2>/dev/null || true)"
    check_if "explain of $ks from ${NC_ID[$i]}: equal=$equal, replicas in regions [$regions_seen]" \
      '[[ "$equal" == true && "$regions_seen" == a,b,c ]]'
  done
done

backlog_drained() {
  local i
  for i in 1 2 3; do
    region_lag "$i" | awk '$2 != 0 { bad = 1 } END { exit bad }' || return 1
  done
}
check "every delta backlog drains to 0 (within 10 s)" await 10 "backlogs drained" backlog_drained
for i in 1 2 3; do
  region_lag "$i" | while read -r region backlog oldest shipments dbytes fbytes last; do
    log "  ${NC_ID[$i]} -> region $region: backlog $backlog, shipments $shipments, delta bytes $dbytes, full-state bytes $fbytes"
  done
done

nc_finish
