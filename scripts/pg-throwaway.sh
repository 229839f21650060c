#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests.
#
#   scripts/pg-throwaway.sh COMMAND [ARG...]
#
# starts a fresh cluster in a new temporary directory, runs COMMAND with
# APPARATUS_TEST_POSTGRES_URL set, then stops the server and deletes the
# directory, whatever happened. Sourced instead (as scripts/test.sh does), it
# defines pg_throwaway_start and pg_throwaway_stop.
#
# The cluster listens on 127.0.0.1 only, on a free port, and on a unix socket in
# its own directory; it never uses the system's clusters, their ports or data.
# Role "apparatus" (password login, may create databases) owns database
# "apparatus". fsync is off: nothing here needs to survive a crash.

PG_THROWAWAY_DIR=""

pg_throwaway_bindir() {
    local bindir
    bindir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d \
        2>/dev/null | sort -V | tail -n 1)
    if [[ -z $bindir || ! -x $bindir/initdb ]]; then
        echo "PostgreSQL server binaries not found under /usr/lib/postgresql" \
            "(apt-get install postgresql)." >&2
        return 1
    fi
    echo "$bindir"
}

pg_throwaway_free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Run a command as the postgres user: the server refuses to run as root.
pg_throwaway_as_postgres() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_throwaway_start() {
    local bindir port password
    bindir=$(pg_throwaway_bindir)
    # Under /tmp, not $TMPDIR: the postgres user must be able to reach it.
    PG_THROWAWAY_DIR=$(mktemp -d /tmp/apparatus-pg.XXXXXXXX)
    chmod 700 "$PG_THROWAWAY_DIR"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$PG_THROWAWAY_DIR"
    fi

    password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
    pg_throwaway_as_postgres "$bindir/initdb" --pgdata="$PG_THROWAWAY_DIR/data" \
        --username=postgres --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 --no-instructions \
        >"$PG_THROWAWAY_DIR/initdb.log" 2>&1 \
        || { cat "$PG_THROWAWAY_DIR/initdb.log" >&2; return 1; }

    # A port can be taken between choosing it and binding it: try a few.
    local attempt
    for attempt in 1 2 3; do
        port=$(pg_throwaway_free_port)
        if pg_throwaway_as_postgres "$bindir/pg_ctl" --pgdata="$PG_THROWAWAY_DIR/data" \
            --log="$PG_THROWAWAY_DIR/server.log" --wait --timeout=60 --silent \
            -o "-c listen_addresses=127.0.0.1 -c port=$port" \
            -o "-c unix_socket_directories='$PG_THROWAWAY_DIR'" \
            -o "-c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start; then
            break
        fi
        if [[ $attempt -eq 3 ]]; then
            cat "$PG_THROWAWAY_DIR/server.log" >&2
            return 1
        fi
    done

    pg_throwaway_as_postgres "$bindir/psql" --quiet --no-psqlrc \
        --host="$PG_THROWAWAY_DIR" --port="$port" --username=postgres \
        --dbname=postgres --set=ON_ERROR_STOP=1 --set=password="$password" \
        >/dev/null <<'SQL'
CREATE ROLE apparatus LOGIN CREATEDB PASSWORD :'password';
CREATE DATABASE apparatus OWNER apparatus;
SQL
    export APPARATUS_TEST_POSTGRES_URL="postgres://apparatus:$password@127.0.0.1:$port/apparatus"
    echo "==> Throw-away PostgreSQL on 127.0.0.1:$port ($PG_THROWAWAY_DIR)"
}

pg_throwaway_stop() {
    local dir=$PG_THROWAWAY_DIR
    PG_THROWAWAY_DIR=""
    # Only ever delete a directory this script made.
    if [[ -z $dir || $dir != */apparatus-pg.* || ! -d $dir ]]; then
        return 0
    fi
    if [[ -f $dir/data/postmaster.pid ]]; then
        pg_throwaway_as_postgres "$(pg_throwaway_bindir)/pg_ctl" --pgdata="$dir/data" \
            --mode=immediate --wait --timeout=30 --silent stop || true
    fi
    rm -rf -- "$dir"
    unset APPARATUS_TEST_POSTGRES_URL
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    if [[ $# -eq 0 ]]; then
        echo "usage: $0 COMMAND [ARG...]" >&2
        exit 2
    fi
    trap pg_throwaway_stop EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    pg_throwaway_start
    "$@"
fi
