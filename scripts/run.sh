#!/usr/bin/env bash
# `make run`: a development server on SQLite with a demo project, from nothing,
# and the background worker that reads and imports large uploads beside it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/venv.sh requirements.txt

export DJANGO_DEBUG=1
addr=${APPARATUS_RUN_ADDR:-127.0.0.1:8000}

.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py demo

# The worker (django-tasks' database queue) reloads on code changes, as
# runserver does; in its own session, so that stopping it stops its reloader's
# child too. It stops when the server stops, however that happens.
setsid .venv/bin/python manage.py db_worker &
worker=$!
trap 'kill -TERM -- "-$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT

echo "==> Apparatus on http://$addr/ (Ctrl-C to stop), background worker pid $worker"
.venv/bin/python manage.py runserver "$addr"
