#!/usr/bin/env bash
# The processes of `make run` (scripts/run.sh prepares the database first): the Celery worker
# (with beat) and the ASGI server, supervised. They stop within STOP_GRACE seconds (default 8)
# on Ctrl-C, on TERM to this script or to its whole process group (what a service manager or a
# closing terminal sends), or when either of them exits: TERM first, then KILL to whatever is
# left. A worker in warm shutdown waits for its running task (minutes for a grading or model
# job) and the old script waited on it; nothing here waits longer than the grace.
#   scripts/serve.sh [HOST] [PORT]; LLMASOS_BIN: the virtualenv's bin directory (.venv/bin),
#   WORKER_OPTIONS: more options for the worker (e.g. "--concurrency=4").
set -uo pipefail
cd "$(dirname "$0")/.."
host=${1:-127.0.0.1}
port=${2:-8000}
bin=${LLMASOS_BIN:-.venv/bin}
var=${LLMASOS_VAR_DIR:-var}
grace=${STOP_GRACE:-8}
mkdir -p "$var/log"
children=()

descendants() {  # every process below the given ones, deepest last
  local pid kid
  for pid in "$@"; do
    for kid in $(pgrep -P "$pid" 2>/dev/null); do
      echo "$kid"
      descendants "$kid"
    done
  done
}

running() {  # true while one of the given processes is alive (a zombie is not)
  local pid stat
  for pid in "$@"; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]] && return 0
  done
  return 1
}

stop() {
  trap '' INT TERM  # a second Ctrl-C must not cut the shutdown short
  # Taken now: once the worker is gone its pool children belong to init and cannot be found.
  local -a all=("${children[@]}")
  mapfile -t -O "${#all[@]}" all < <(descendants "${children[@]}")
  kill -TERM "${children[@]}" 2>/dev/null
  local deadline=$((SECONDS + grace))
  while running "${all[@]}" && ((SECONDS < deadline)); do sleep 0.2; done
  if running "${all[@]}"; then
    echo "Still running after ${grace}s: killing them." >&2
    mapfile -t -O "${#all[@]}" all < <(descendants "${children[@]}")
    kill -KILL "${all[@]}" 2>/dev/null
  fi
  wait "${children[@]}" 2>/dev/null  # reap our own; orphaned pool children are init's
}

trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

# --beat runs the nightly jobs (the BKT refit) inside this one worker; production runs a
# separate beat process (docker/compose.yaml), as there may be many workers there.
# shellcheck disable=SC2086  # WORKER_OPTIONS is a list of options
"$bin/celery" -A llmasos worker --loglevel=INFO --concurrency=2 --pool=prefork ${WORKER_OPTIONS:-} \
  --beat --schedule "$var/celerybeat-schedule" >"$var/log/worker.log" 2>&1 &
children+=($!)
"$bin/uvicorn" llmasos.asgi:application --host "$host" --port "$port" --ws websockets-sansio \
  --lifespan off --proxy-headers --log-level info &
children+=($!)

# Returns when one of them exits, or at once when a trapped signal arrives (the trap runs first).
wait -n "${children[@]}"
status=$?
echo "A service stopped (status $status): stopping the other." >&2
stop
exit "$status"
