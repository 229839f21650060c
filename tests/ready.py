"""Databases and static files made once a worker, for the tests that start
Django in another process (the benchmarks' smoke runs, the shell commands).

Migrating a new database and collecting the static files take about seven
seconds each on a loaded two-core machine: a process that needs them takes a
copy of what the worker made (a SQLite file, a PostgreSQL database made from
a template) or reads the collected files, and still runs `migrate`, which then
has nothing to do.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

MANAGE = Path(__file__).resolve().parents[1] / "manage.py"


def run_ok(command: list[str], env: dict[str, str], timeout: int = 300) -> str:
    """What `command` printed, after checking that it succeeded."""
    finished = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    return finished.stdout


def manage(env: dict[str, str], *args: str, timeout: int = 300) -> str:
    """What manage.py printed with `args` in `env`, failing with its output
    if it fails."""
    return run_ok([sys.executable, str(MANAGE), *args], env, timeout)


def without_database_url() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}


def migrate_sqlite(var_dir: Path) -> Path:
    """A SQLite file in `var_dir` with every migration applied, its journal
    folded in: the one file is the whole database, to be copied."""
    env = {**without_database_url(), "APPARATUS_VAR_DIR": str(var_dir)}
    manage({**env, "DJANGO_DEBUG": "1"}, "migrate", "-v0")
    path = var_dir / "apparatus.sqlite3"
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()
    return path


def copy_sqlite(migrated: Path, var_dir: Path) -> Path:
    """The migrated database, copied to where APPARATUS_VAR_DIR=var_dir reads it."""
    var_dir.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(migrated, var_dir / "apparatus.sqlite3"))


def collect_static(root: Path) -> Path:
    """The static files collected into `root`, as production serves them."""
    env = {
        **without_database_url(),
        "APPARATUS_VAR_DIR": str(root.parent / "collecting"),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "collect-only-" + "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_STATIC_ROOT": str(root),
    }
    manage(env, "collectstatic", "--noinput", "-v0")
    return root


def database_url(url: str, name: str) -> str:
    """`url` with its database changed to `name`."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def migrate_postgres(url: str) -> str:
    """A new database of `url`'s server with every migration applied, closed
    to connections so that it can be copied: its name."""
    name = new_postgres(url, "apparatus_ready")
    env = {**os.environ, "DATABASE_URL": database_url(url, name), "DJANGO_DEBUG": "1"}
    manage(env, "migrate", "-v0")
    with psycopg.connect(url, autocommit=True) as admin:
        # Nothing connects to it any more, autovacuum included, which would
        # make copying it fail ("being accessed by other users").
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
    return name


def new_postgres(url: str, prefix: str, template: str | None = None) -> str:
    """A new database of `url`'s server, empty or a copy of `template`: its
    name, `prefix` and a random part."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"{copy}')
    return name


def drop_postgres(url: str, name: str) -> None:
    """Drop a database of `url`'s server. An autovacuum worker a bulk load
    woke may still be in it, which our role may not end (FORCE refuses): it
    is done within seconds, so try again."""
    for attempt in range(30):
        try:
            with psycopg.connect(url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectInUse):
            if attempt == 29:
                raise
            time.sleep(1)
