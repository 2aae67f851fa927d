#!/bin/sh
# Adds latency towards the other regions' nodes with tc netem when the kernel has it
# (WAN_DELAY_MS on the interface holding WAN_IP, towards REMOTE_IPS), then runs the node. Without netem, Meridian's own
# faults.regionDelays setting injects the delay in its transport instead.
set -eu
if [ -n "${WAN_DELAY_MS:-}" ] && [ -n "${REMOTE_IPS:-}" ]; then
  dev=$(ip -o -4 addr show | awk -v ip="${WAN_IP:-}" '$4 ~ "^" ip "/" {print $2; exit}')
  dev="${dev:-eth0}"
  if tc qdisc add dev "$dev" root handle 1: prio 2>/dev/null \
    && tc qdisc add dev "$dev" parent 1:3 handle 30: netem delay "${WAN_DELAY_MS}ms" 2>/dev/null; then
    for ip in $REMOTE_IPS; do
      tc filter add dev "$dev" protocol ip parent 1:0 prio 3 u32 match ip dst "$ip/32" flowid 1:3
    done
    echo "entrypoint: ${WAN_DELAY_MS} ms to $REMOTE_IPS via netem on $dev"
  else
    echo "entrypoint: no netem in this kernel; no WAN latency injected" >&2
  fi
fi
exec /opt/meridian/bin/meridian "$@"
