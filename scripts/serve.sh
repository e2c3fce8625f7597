#!/usr/bin/env bash
# The processes of `make run` (scripts/run.sh prepares the database first), supervised:
#   1. the inference service (`manage.py serve_inference`): the one process holding the
#      generation model; the others start once its /v1/health says the model is loaded;
#   2. the Celery worker for grading and everything else (queue "celery", with beat);
#   3. the Celery worker for background model work (queue "llm": grading feedback, text
#      grading, question drafting), concurrency 1, so code grading never waits behind it;
#   4. the ASGI server.
# Web and workers reach the model through the service (LLM_BACKEND=openai). With
# LLM_BACKEND=openai and LLM_BASE_URL already set, that server is used and none is started.
# They stop within STOP_GRACE seconds (default 8) on Ctrl-C, on TERM to this script or to its
# whole process group (what a service manager or a closing terminal sends), or when any of them
# exits: TERM first, then KILL to whatever is left. A worker in warm shutdown waits for its
# running task (minutes for a grading or model job) and the old script waited on it; nothing
# here waits longer than the grace.
#   scripts/serve.sh [HOST] [PORT]; LLMASOS_BIN: the virtualenv's bin directory (.venv/bin),
#   WORKER_OPTIONS: more options for both workers (e.g. "--concurrency=4" for the first),
#   INFERENCE_PORT: the service's port (default PORT+1), LOAD_TIMEOUT: seconds to wait for it.
set -uo pipefail
cd "$(dirname "$0")/.."
host=${1:-127.0.0.1}
port=${2:-8000}
bin=${LLMASOS_BIN:-.venv/bin}
var=${LLMASOS_VAR_DIR:-var}
grace=${STOP_GRACE:-8}
inference_port=${INFERENCE_PORT:-$((port + 1))}
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
  kill -TERM "${children[@]}" ${waiter:-} 2>/dev/null
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

if [[ ${LLM_BACKEND:-} == openai && -n ${LLM_BASE_URL:-} ]]; then
  echo "Generation: the model server at $LLM_BASE_URL" >&2
else
  "$bin/python" manage.py serve_inference --host 127.0.0.1 --port "$inference_port" \
    >"$var/log/inference.log" 2>&1 &
  children+=($!)
  # In the background and waited for, so Ctrl-C during the load is handled at once.
  "$bin/python" scripts/inference_ready.py "http://127.0.0.1:$inference_port/v1/health" \
    "${LOAD_TIMEOUT:-300}" "${children[0]}" &
  waiter=$!
  wait "$waiter"
  ready=$?
  if ((ready != 0)); then
    echo "The inference service did not become ready; see $var/log/inference.log." >&2
    stop
    exit 1
  fi
  export LLM_BACKEND=openai LLM_BASE_URL="http://127.0.0.1:$inference_port/v1"
fi

# --beat runs the nightly jobs (the BKT refit) inside this one worker; production runs a
# separate beat process (docker/compose.yaml), as there may be many workers there.
# shellcheck disable=SC2086  # WORKER_OPTIONS is a list of options
"$bin/celery" -A llmasos worker --loglevel=INFO --concurrency=2 --pool=prefork ${WORKER_OPTIONS:-} \
  -Q celery -n "grading@%h" --beat --schedule "$var/celerybeat-schedule" \
  >"$var/log/worker.log" 2>&1 &
children+=($!)
# Background model work: one task at a time. The service's priority gate puts students first;
# more concurrency here would only queue inside the service.
# shellcheck disable=SC2086
"$bin/celery" -A llmasos worker --loglevel=INFO --concurrency=1 --pool=prefork ${WORKER_OPTIONS:-} \
  -Q llm -n "llm@%h" >"$var/log/worker-llm.log" 2>&1 &
children+=($!)
"$bin/uvicorn" llmasos.asgi:application --host "$host" --port "$port" --ws websockets-sansio \
  --lifespan off --proxy-headers --log-level info &
children+=($!)

# Returns when one of them exits, or at once when a trapped signal arrives (the trap runs first).
wait -n "${children[@]}"
status=$?
echo "A service stopped (status $status): stopping the others." >&2
stop
exit "$status"
