#!/usr/bin/env bash
# Baseline: the load generator against a plain Vert.x hello-world server on this machine.
#
#   benchmarks/hello-world.sh [LoadGenerator options, e.g. --duration 30s --connections 50]
#
# Starts HelloWorldServer on a free loopback port, runs LoadGenerator --mix hello=1 against it
# with the options given, prints the result and stops the server. The README compares Meridian's
# durable counter increments with this figure. Client and server share the machine's cores, as
# they do when the generator runs against a local node.
#
# Needs the module built: mvn -B -q -DskipTests package (copies runtime deps to target/lib).
# JAVA_OPTS is passed to both JVMs.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
classes="$here/target/classes"
lib="$here/target/lib"
if [ ! -d "$classes/io/meridian/benchmarks/http" ] || [ ! -d "$lib" ]; then
  echo "hello-world.sh: build first: (cd $(dirname "$here") && mvn -B -q -DskipTests package)" >&2
  exit 1
fi
classpath="$classes:$lib/*"
java_opts=${JAVA_OPTS:-}

work=$(mktemp -d "${TMPDIR:-/tmp}/meridian-hello.XXXXXX")
server_pid=""
load_pid=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  if [ -n "$load_pid" ] && kill -0 "$load_pid" 2>/dev/null; then
    kill "$load_pid" 2>/dev/null || true
    wait "$load_pid" 2>/dev/null || true
  fi
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Port 0: the server asks the kernel for a free port and prints the one it got.
# shellcheck disable=SC2086 # JAVA_OPTS is a list of words
java $java_opts -cp "$classpath" io.meridian.benchmarks.http.HelloWorldServer \
  --host 127.0.0.1 --port 0 >"$work/server.log" 2>&1 &
server_pid=$!

url=""
for _ in $(seq 1 300); do
  url=$(sed -n 's/^listening on \(http:.*\)$/\1/p' "$work/server.log")
  [ -n "$url" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "hello-world.sh: HelloWorldServer exited before listening:" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "hello-world.sh: HelloWorldServer did not listen within 30 s:" >&2
  cat "$work/server.log" >&2
  exit 1
fi
echo "hello-world server at $url (pid $server_pid)" >&2

# In the background and waited for, so that a SIGTERM to this script is handled at once; the
# generator's exit code is the script's.
# shellcheck disable=SC2086
java $java_opts -cp "$classpath" io.meridian.benchmarks.http.LoadGenerator \
  --url "$url" --mix hello=1 "$@" &
load_pid=$!
status=0
wait "$load_pid" || status=$?
load_pid=""
exit "$status"
