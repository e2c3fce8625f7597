#!/usr/bin/env bash
# `make run`: migrate, load the demo, start the Celery worker and the ASGI server on the embedded
# defaults (SQLite, in-memory channel layer with a file outbox, SQLite broker). Ctrl-C, or TERM to
# the process group, stops both within 10 s (scripts/serve.sh supervises them).
set -euo pipefail
cd "$(dirname "$0")/.."
host=${1:-127.0.0.1}
port=${2:-8000}
bin=${LLMASOS_BIN:-.venv/bin}
# Started as root: everything below runs as the unprivileged service user (LLMASOS_USER=root
# keeps root); scripts/as_service_user.sh explains what it prepares.
if [ "$(id -u)" = 0 ] && [ "${LLMASOS_USER:-llmasos}" != root ]; then
  exec scripts/as_service_user.sh scripts/run.sh "$host" "$port"
fi
mkdir -p var/log

$bin/python manage.py migrate --no-input -v0
$bin/python manage.py collectstatic --no-input -v0
$bin/python manage.py prepare_models   # converts the packaged model once (~1 min: IR + the lab copy)
$bin/python manage.py load_demo       # also queues the demo lessons for indexing

cat <<MSG

  LLMasOS is starting at  http://$host:$port/
  Demo logins (username / password):
    student / learn-with-llmasos   (a student, enrolled in Python programming basics and 大语言模型)
    teacher / teach-with-llmasos   (teaches the three demo courses)
    admin   / admin-llmasos        (Django admin at http://$host:$port/admin/)
  API docs: http://$host:$port/api/docs/
  Logs: var/log/inference.log (the model service), worker.log, worker-llm.log
  (The web starts once the model is loaded: a few seconds.)
  Running as user: $(id -un).  Press Ctrl-C to stop.

MSG
exec scripts/serve.sh "$host" "$port"
