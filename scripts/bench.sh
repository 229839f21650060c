#!/usr/bin/env bash
# `make bench`: every benchmark in bench/, full size, one after another.
#
#   scripts/bench.sh [ARG...]        ARGs go to every script (--smoke, --runs N)
#
# BENCHMARKS names the scripts to run instead of the default list; `make load`
# runs those over HTTP (gunicorn and locust, about 20 minutes with the soak):
#
#   BENCHMARKS="bench_load bench_soak bench_worker_start" scripts/bench.sh
#
# The scripts that need a database each make a throw-away SQLite file, whatever
# DATABASE_URL the shell has. BENCH_DATABASE_URL names another database for
# them (each removes the rows it made there); on a throw-away PostgreSQL server:
#
#   scripts/pg-throwaway.sh bash -c \
#       'BENCH_DATABASE_URL="$APPARATUS_TEST_POSTGRES_URL" scripts/bench.sh'
#
# Every script runs even when an earlier one failed (a missed target exits 1);
# the exit status is non-zero if any did. Figures depend on the machine's load:
# see docs/performance.md before comparing them.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

scripts/venv.sh requirements-test.txt

if [[ -n ${BENCH_DATABASE_URL:-} ]]; then
    export DATABASE_URL=$BENCH_DATABASE_URL
    database=${BENCH_DATABASE_URL%%:*}
else
    unset DATABASE_URL
    database="throw-away SQLite"
fi

benchmarks=(
    bench_import
    bench_markdown
    bench_annotations
    bench_write_path
    bench_curation
    bench_document_page
    bench_segments
    bench_reanchor
    bench_revision_view
    bench_text_revision
    bench_scaling
    bench_export
    bench_search
)
if [[ -n ${BENCHMARKS:-} ]]; then
    read -r -a benchmarks <<<"$BENCHMARKS"
fi
echo "==> Benchmarks on $database; $(nproc) CPUs, load average" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"

failed=()
for name in "${benchmarks[@]}"; do
    echo "==> bench/$name.py $*"
    began=$SECONDS
    .venv/bin/python "bench/$name.py" "$@" || failed+=("$name")
    echo "==> bench/$name.py: $((SECONDS - began))s"
done

elapsed=$((SECONDS - started))
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "!! ${#benchmarks[@]} benchmarks: ${failed[*]} failed or missed a target (${elapsed}s)" >&2
    exit 1
fi
echo "==> all ${#benchmarks[@]} benchmarks exited 0 (${elapsed}s)"
