#!/usr/bin/env bash
# `make serve`: production mode, gunicorn behind a reverse proxy.
# Configuration comes from the environment; docs/deploy.md lists the variables.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/venv.sh requirements.txt

# Production never runs with DEBUG, whatever the shell says.
export DJANGO_DEBUG=0

.venv/bin/python manage.py check --deploy --fail-level ERROR
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py collectstatic --noinput --verbosity 0

exec .venv/bin/gunicorn --config config/gunicorn.py config.wsgi
