# Apparatus: set-up, run, test and serve. Each target installs what it needs.
#   make run     development server with a demo project (SQLite)
#   make test    lint, migrations check, the whole suite on SQLite and PostgreSQL
#   make serve   production mode (gunicorn); configure with environment variables
#   make bench   every benchmark in bench/ at full size, one after another (minutes)
#   make load    the benchmarks over HTTP: load, 10-minute soak, worker start (~20 min)

PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: help run test serve bench load demo venv clean

help:
	@sed -n 's/^#   //p' Makefile

run:
	scripts/run.sh

test:
	scripts/test.sh $(PYTEST_ARGS)

serve:
	scripts/serve.sh

# On throw-away SQLite files, or on BENCH_DATABASE_URL's database when set;
# BENCH_ARGS go to every script (BENCH_ARGS=--smoke: all of them in seconds).
bench:
	scripts/bench.sh $(BENCH_ARGS)

# gunicorn in production mode under locust (bench/bench_load.py, bench_soak.py,
# bench_worker_start.py); the same variables as make bench.
load:
	BENCHMARKS="bench_load bench_soak bench_worker_start" scripts/bench.sh $(BENCH_ARGS)

# The demo project alone, into the development database.
demo:
	scripts/venv.sh requirements.txt
	DJANGO_DEBUG=1 .venv/bin/python manage.py demo

venv:
	scripts/venv.sh requirements-test.txt

# Removes the virtualenv and the collected static files; keeps var/'s database.
clean:
	rm -rf .venv var/static
