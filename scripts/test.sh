#!/usr/bin/env bash
# `make test`: the whole suite on the embedded defaults (SQLite, in-memory layer, SQLite broker),
# then again on PostgreSQL + Redis when they answer on 127.0.0.1 (they do on CI machines).
set -uo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
status=0

run_suite() {
  local label=$1; shift
  echo "=== $label ==="
  # The slowest tests are listed so that a creeping suite time is seen where it grows.
  env "$@" $bin/pytest --durations=15 "${PYTEST_ARGS[@]}"
  local code=$?
  # pytest exits 5 when it collected no test: that is not a failure of the platform.
  if [ $code -ne 0 ] && [ $code -ne 5 ]; then status=$code; fi
}

PYTEST_ARGS=("$@")
# The real-model tests load the default engine's converted model (and the lab its transformers
# copy): converted here once (~1 min on a fresh clone, instant after), not inside a test's timeout.
$bin/python manage.py prepare_models >/dev/null || status=1

services=false
if $bin/python scripts/services_up.py; then services=true; fi
# Browser journeys whose pages do not depend on the channel layer or broker beyond what the
# Chinese and journey tests already drive (the Chinese student's tutor answer streams over the
# in-memory layer) run once, in the production configuration, when it is there (CI's time
# budget); without PostgreSQL and Redis they run here.
SECOND_PASS_ONLY=(
  --ignore=tests/platform/test_browser_grading.py --ignore=tests/platform/test_browser_materials.py
  --ignore=tests/platform/test_browser_path.py --ignore=tests/platform/test_browser_playground.py
  --ignore=tests/platform/test_browser_tutor.py
)
# With PostgreSQL and Redis there, the first pass runs what is either independent of the
# configuration (the sandbox, the models and embedders, the lab, the catalogue, the Chinese
# pages, `make run`: first pass only) or about the embedded defaults themselves (the SQLite
# broker and the file outbox under real workers and sockets, the platform's pages and journeys:
# both passes). The rest — views, APIs and services over the ORM — runs once, on the production
# database. Paths given on the command line run as given, in both passes.
FIRST_PASS_PATHS=(
  tests/sandbox tests/inference tests/lab tests/i18n tests/core tests/notifications tests/platform
  tests/*/test_*real_model.py tests/*/test_*chinese*.py tests/*/test_*socket*.py
  tests/grading/test_worker_*.py
)
paths_given=false
option_value=false
for arg in "${PYTEST_ARGS[@]}"; do
  if $option_value; then option_value=false; continue; fi
  case $arg in
    -k | -m | -p | -o | --ignore | --deselect) option_value=true ;;
    -*) ;;
    *) if [ -e "${arg%%::*}" ]; then paths_given=true; fi ;;
  esac
done
FIRST_PASS_ARGS=("${PYTEST_ARGS[@]}")
if $services; then
  FIRST_PASS_ARGS=("${SECOND_PASS_ONLY[@]}" "${PYTEST_ARGS[@]}")
  if ! $paths_given; then FIRST_PASS_ARGS+=("${FIRST_PASS_PATHS[@]}"); fi
fi
ALL_ARGS=("${PYTEST_ARGS[@]}")
PYTEST_ARGS=("${FIRST_PASS_ARGS[@]}")
run_suite "SQLite, in-memory channel layer, SQLite broker" \
  DATABASE_URL= REDIS_URL= CELERY_BROKER_URL=

if $services; then
  # Tests of what does not depend on which database, cache or broker runs — the sandbox, the
  # models and embedders, the lab, the translation catalogue, the Chinese pages and `make run`
  # (which always starts on the embedded defaults) — ran in the first pass; this one runs
  # everything that does, the main browser journeys included.
  PYTEST_ARGS=(
    --ignore=tests/sandbox --ignore=tests/inference --ignore=tests/lab --ignore=tests/i18n
    --ignore-glob='tests/*/test_*real_model.py' --ignore-glob='tests/*/test_*chinese*.py'
    --ignore=tests/platform/test_browser_i18n.py
    --ignore=tests/platform/test_browser_lab.py --ignore=tests/platform/test_service_user.py
    --ignore=tests/platform/test_run_script.py
    "${ALL_ARGS[@]}"
  )
  run_suite "PostgreSQL + Redis" \
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/llmasos \
    REDIS_URL=redis://127.0.0.1:6379/14 \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/15
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL or Redis is not answering on 127.0.0.1 in CI: failing." >&2
  status=1
else
  echo "=== PostgreSQL/Redis not answering on 127.0.0.1: skipped that configuration ==="
fi
exit $status
