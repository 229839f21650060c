#!/usr/bin/env bash
# `make run`: a development server on SQLite with a demo project, from nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/venv.sh requirements.txt

export DJANGO_DEBUG=1
addr=${APPARATUS_RUN_ADDR:-127.0.0.1:8000}

.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py demo

echo "==> Apparatus on http://$addr/ (Ctrl-C to stop)"
exec .venv/bin/python manage.py runserver "$addr"
