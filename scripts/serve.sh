#!/usr/bin/env bash
# `make serve`: production mode, gunicorn behind a reverse proxy, and the
# background worker that reads and imports large uploads.
# Configuration comes from the environment; docs/deploy.md lists the variables.
# Under systemd, run gunicorn and the worker as two units instead
# (docs/deploy.md, sections 5 and 12).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/venv.sh requirements.txt

# Production never runs with DEBUG, whatever the shell says.
export DJANGO_DEBUG=0

.venv/bin/python manage.py check --deploy --fail-level ERROR
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py collectstatic --noinput --verbosity 0

# Both in the background so that this shell can pass a stop on to both (a
# shell waiting for a foreground command would run its traps only afterwards).
# TERM lets the worker finish the task in hand and gunicorn its requests.
.venv/bin/python manage.py db_worker --no-reload &
worker=$!
.venv/bin/gunicorn --config config/gunicorn.py config.wsgi &
web=$!
trap 'kill -TERM "$web" "$worker" 2>/dev/null || true' INT TERM
trap 'kill -TERM "$web" "$worker" 2>/dev/null || true; wait' EXIT
# The site runs as long as gunicorn does. Should the worker fail, large files
# wait (the review page says so), small ones are still read in the request.
wait "$web"
