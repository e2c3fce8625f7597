#!/usr/bin/env bash
# `make run`: migrate, load the demo, start the Celery worker and the ASGI server on the embedded
# defaults (SQLite, in-memory channel layer with a file outbox, SQLite broker). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
host=${1:-127.0.0.1}
port=${2:-8000}
bin=.venv/bin
mkdir -p var/log

$bin/python manage.py migrate --no-input -v0
$bin/python manage.py collectstatic --no-input -v0
$bin/python manage.py prepare_models   # dequantises the packaged model once (~25 s)
$bin/python manage.py load_demo       # also queues the demo lessons for indexing

# --beat runs the nightly jobs (the BKT refit) inside this one worker; production runs a
# separate beat process (docker/compose.yaml), as there may be many workers there.
$bin/celery -A llmasos worker --loglevel=INFO --concurrency=2 --pool=prefork \
  --beat --schedule var/celerybeat-schedule >var/log/worker.log 2>&1 &
worker=$!
trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null' EXIT INT TERM

cat <<MSG

  LLMasOS is starting at  http://$host:$port/
  Demo logins (username / password):
    student / learn-with-llmasos   (a student, enrolled in Python programming basics)
    teacher / teach-with-llmasos   (teaches both demo courses)
    admin   / admin-llmasos        (Django admin at http://$host:$port/admin/)
  API docs: http://$host:$port/api/docs/   Worker log: var/log/worker.log
  Press Ctrl-C to stop.

MSG
$bin/uvicorn llmasos.asgi:application --host "$host" --port "$port" --ws websockets-sansio --lifespan off \
  --proxy-headers --log-level info
