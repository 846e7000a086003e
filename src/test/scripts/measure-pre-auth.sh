#!/usr/bin/env bash
# Attacks a sync node running in a JVM of its own (-Xmx256m) on loopback with PreAuthAttack and
# prints the node's RSS, heap and threads, and how many honest syncs succeed, after each attack.
# usage: src/test/scripts/measure-pre-auth.sh [NODE_CHECKOUT] [PORT]
#   NODE_CHECKOUT: the checkout whose built jar serves (default: this one; build it first with
#   mvn -B package -Dmaven.test.skip=true); the attack tool always comes from this checkout
#   (mvn -B test-compile first). Attacks come from 127.0.0.2 and .3, the honest member from 127.0.0.1.
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
root="${1:-$here}"; port="${2:-47311}"; label="$(basename "$root")"
java=$("$here/bin/find-java"); jcmd="$(dirname "$java")/jcmd"
mp="$root/target/aranya-sync-0.1.0-SNAPSHOT.jar:$root/target/mods"
work=$(mktemp -d /tmp/pre-auth-XXXX)
# A copy of the tool's classes, so a rebuild while this runs cannot pull them away.
cp -r "$here/target/test-classes" "$here/target/classes" "$work/"
(cd "$here" && mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$work/cp.txt" >/dev/null)
tool_cp="$work/test-classes:$work/classes:$(cat "$work/cp.txt")"
cli() { "$java" -p "$mp" -m aranya.sync/aranya.sync.cli.Main "$@"; }
attack() { "$java" -cp "$tool_cp" aranya.sync.quic.PreAuthAttack "$@" 2>/dev/null | grep -E '^(initials|half-open|stream-claims):'; }
d=$work/data
cli init --data $d/a >/dev/null; bkey=$(cli init --data $d/b | tail -1 | awk '{print $NF}')
cli team create --member "$bkey" --data $d/a >/dev/null; creds=$(cli team export --data $d/a)
cli team join "$creds" --data $d/b >/dev/null
cli append note "from a" --data $d/a >/dev/null
"$java" -Xmx256m -Xlog:gc:file=$work/gc.log -p "$mp" -m aranya.sync/aranya.sync.cli.Main serve --listen 127.0.0.1:$port --data $d/a >$work/serve.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
for i in $(seq 150); do ss -uln | grep -q ":$port " && break; sleep 0.2; done
stats() {
  if ! kill -0 $pid 2>/dev/null; then wait $pid; echo "[$label] $1: NODE DEAD (exit $?)"; return; fi
  echo "[$label] $1: RSS $(awk '/VmRSS/{print int($2/1024)}' /proc/$pid/status) MiB, threads $(awk '/Threads/{print $2}' /proc/$pid/status), heap $("$jcmd" $pid GC.heap_info 2>/dev/null | grep -o 'committed [0-9]*K, used [0-9]*K' | head -1)"
}
honest() {
  ok=0
  for i in $(seq $1); do
    cli append note "b $i" --data $d/b >/dev/null 2>&1 # fails until the first sync brought the team's graph
    timeout 60 "$java" -p "$mp" -m aranya.sync/aranya.sync.cli.Main sync 127.0.0.1:$port --bidirectional --data $d/b >/dev/null 2>>$work/sync.err && ok=$((ok+1))
  done
  echo "[$label] $2: honest syncs $ok/$1"
}
stats baseline
honest 2 baseline
echo "[$label] $(attack initials 127.0.0.1:$port 1000 127.0.0.2)"
stats "after 1000 malicious Initials"
honest 5 "after 1000 malicious Initials"
echo "[$label] $(attack initials 127.0.0.1:$port 1000 127.0.0.2 $((200 << 20)))"
stats "after 1000 Initials claiming 200 MiB each"
honest 5 "after 1000 Initials claiming 200 MiB each"
echo "[$label] $(attack half-open 127.0.0.1:$port 3000 127.0.0.3)"
stats "after 3000 half-open handshakes"
honest 5 "during the half-open hold"
stats "after the honest syncs"
echo "[$label] $(attack stream-claims 127.0.0.1:$port 5)"
stats "after 5 handshakes each sending a STREAM frame claiming 2^31 - 64 bytes"
honest 3 "after the STREAM claims"
stats end
echo "[$label] OutOfMemoryError in the node's log: $(grep -c OutOfMemoryError $work/serve.log); full GCs: $(grep -c 'Pause Full' $work/gc.log)"
echo "[$label] node log, GC log and sync errors: $work"
