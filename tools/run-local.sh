#!/usr/bin/env bash
# make run: starts a master and a slave on loopback (work dirs and logs under ./run/), runs
# the example framework and `mesos-execute --command="echo hello"` against them, prints where
# to look, and keeps the cluster running until Ctrl-C, which stops everything cleanly: the
# daemons run in sessions of their own (setsid), so Ctrl-C reaches only this script, which
# sends each one SIGTERM; the slave gives its executors their grace period and exits as soon
# as they are gone.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=build/bin
RUN=$PWD/run
mkdir -p "$RUN/logs"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() { local p=$1; while ! port_free "$p"; do p=$((p + 1)); done; echo "$p"; }

MASTER_PORT=$(pick_port 5050)
SLAVE_PORT=$(pick_port $((MASTER_PORT + 1)))
MASTER=127.0.0.1:$MASTER_PORT
pids=()

cleanup() {
  trap - EXIT INT TERM
  echo
  echo "Stopping the cluster..."
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  echo "Stopped. Logs stay in $RUN/logs, sandboxes in $RUN/slave."
  exit 0
}
trap cleanup EXIT INT TERM

wait_for() { # url, text (may be empty: any 2xx answer), seconds
  for _ in $(seq 1 $(( $3 * 10 ))); do
    if body=$(curl -sf "$1" 2>/dev/null); then
      [ -z "$2" ] && return 0
      grep -q "$2" <<<"$body" && return 0
    fi
    sleep 0.1
  done
  echo "Timed out waiting for $1 to show $2 (see $RUN/logs)" >&2
  return 1
}

setsid "$BIN/mesos-master" --ip=127.0.0.1 --port="$MASTER_PORT" --work_dir="$RUN/master" \
  --log_dir="$RUN/logs" --quiet &
pids+=($!)
wait_for "http://$MASTER/master/health" "" 20 || exit 1
setsid "$BIN/mesos-slave" --master="$MASTER" --ip=127.0.0.1 --port="$SLAVE_PORT" \
  --work_dir="$RUN/slave" --log_dir="$RUN/logs" --quiet &
pids+=($!)
wait_for "http://$MASTER/master/state.json" '"activated_slaves":1' 30 || exit 1
echo "Master at $MASTER, slave at 127.0.0.1:$SLAVE_PORT."
echo

echo "== The example framework (5 tasks, each printing its data from a custom executor) =="
"$BIN/example-framework" --master="$MASTER" --tasks=5 || echo "(the example framework failed)"
echo
echo "== mesos-execute --command=\"echo hello\" =="
"$BIN/mesos-execute" --master="$MASTER" --name=hello --command="echo hello" \
  --resources="cpus:0.1;mem:32" || echo "(mesos-execute failed)"
echo

cat <<MSG
The cluster is running. Look at:
  http://$MASTER/                       the web UI
  $BIN/mesos ps --master=$MASTER    the tasks (mesos cat/tail/ls TASK stdout: their files)
  $BIN/mesos inspect --follow-task=hello $MASTER   hello's messages, process to process
  http://$MASTER/master/state.json      frameworks, slaves and tasks (also /metrics/snapshot,
                                        /__actors__, /__trace__, /help)
  http://127.0.0.1:$SLAVE_PORT/state.json          the slave's view; /monitor/statistics.json
  $RUN/slave/slaves/*/frameworks/*/executors/*/runs/latest/stdout   task output
  $RUN/logs/                            the daemons' logs (mesos-master.INFO, mesos-slave.INFO)
Run more with: $BIN/mesos-execute --master=$MASTER --name=again --command="uname -a"
Press Ctrl-C to stop the cluster.
MSG
while true; do
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "A daemon exited; see $RUN/logs" >&2; exit 1; }
  done
  sleep 1
done
