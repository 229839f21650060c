#!/usr/bin/env bash
# Everything `make test` does: install what is missing, lint, check migrations,
# then run the whole pytest suite on SQLite, and all of it but the browser
# tests on a throw-away PostgreSQL server. Arguments are passed to pytest (both
# passes).
#
# Every check runs even when an earlier one failed, so one CI run reports all
# of them; the exit status is non-zero if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

# Chromium for the browser tests, PostgreSQL for the second pass and the
# production test; the suite fails (never skips) without them.
scripts/apt-ensure.sh chromium fonts-liberation postgresql
scripts/venv.sh requirements-test.txt

failed=()

echo "==> ruff check"
.venv/bin/ruff check . || failed+=("ruff check")

# The architecture's import contracts (pyproject.toml, docs/architecture.md).
echo "==> lint-imports"
.venv/bin/lint-imports --no-cache --no-logo || failed+=("lint-imports (an import breaks a contract)")

echo "==> makemigrations --check"
checkdir=$(mktemp -d)
DJANGO_DEBUG=1 APPARATUS_VAR_DIR=$checkdir DATABASE_URL="" \
    .venv/bin/python manage.py makemigrations --check --dry-run \
    || failed+=("makemigrations --check (a model change has no migration)")
rm -rf -- "$checkdir"

# shellcheck source=scripts/pg-throwaway.sh
source scripts/pg-throwaway.sh
trap pg_throwaway_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# Both passes use it for the production test; the second also for the suite.
pg_throwaway_start

# Two workers, each with its own test database; a module marked
# xdist_group (the production servers) stays on one worker.
pytest_args=(-n 2 --dist loadgroup "$@")

run_pass() {
    local name=$1 status=0
    shift
    echo "==> pytest on $name"
    env "$@" .venv/bin/pytest "${pytest_args[@]}" || status=$?
    case $status in
        0) return 0 ;;
        5) echo "!! pytest on $name collected no tests: that is a failure." >&2 ;;
        *) echo "!! pytest on $name failed (exit status $status)." >&2 ;;
    esac
    return 1
}

# The browser tests (tests/browser, marked "browser") run in the first pass
# alone: what they check is the page and its script, the same on either
# database, and they are a third of a pass (two cores, Chromium rendering).
# The views they use have their own tests, which run on both databases.
# Arguments given to make test come after, and win.
run_pass SQLite DATABASE_URL= || failed+=("pytest on SQLite")
pytest_args=(-n 2 --dist loadgroup -m "not browser" "$@")
run_pass "PostgreSQL (all but the browser tests)" \
    DATABASE_URL="$APPARATUS_TEST_POSTGRES_URL" \
    || failed+=("pytest on PostgreSQL")

elapsed=$((SECONDS - started))
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "!! make test FAILED after ${elapsed}s:" >&2
    printf '!!   %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "==> make test passed: ruff, lint-imports, migrations, pytest on SQLite and PostgreSQL (${elapsed}s)"
