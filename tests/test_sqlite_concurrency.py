"""Two processes writing to one SQLite file at once never see "database is locked".

This is what two gunicorn workers on a laptop do. It runs against its own file
database with the project's SQLite settings, whatever DATABASE_URL the suite
uses, so both passes of `make test` hold it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests import ready

ROOT = Path(__file__).resolve().parents[1]

WRITER = textwrap.dedent(
    """
    import os, sys, django
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    django.setup()
    from django.db import transaction
    from corpus.models import Project
    from corpus.services import add_member, create_project
    from django.contrib.auth import get_user_model

    name, rounds = sys.argv[1], int(sys.argv[2])
    User = get_user_model()
    owner = User.objects.create_user(username=f"owner-{name}")
    for n in range(rounds):
        # A read followed by writes in one transaction: the pattern that fails
        # with a deferred transaction when another process writes meanwhile.
        with transaction.atomic():
            Project.objects.count()
            project = create_project(name=f"{name} {n}", owner=owner)
            add_member(
                project=project,
                user=User.objects.create_user(username=f"m-{name}-{n}"),
                role="viewer",
            )
    print("done", name)
    """
)


def _env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        APPARATUS_VAR_DIR=str(var_dir),
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="concurrency-test-" + "k" * 40,
        PYTHONPATH=str(ROOT),
    )
    return env


def test_two_writer_processes_never_hit_database_is_locked(tmp_path, migrated_sqlite):
    env = _env(tmp_path)
    ready.copy_sqlite(migrated_sqlite, tmp_path)
    rounds = 60
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, name, str(rounds)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    outputs = []
    for writer in writers:
        try:
            out, err = writer.communicate(timeout=180)
        finally:
            writer.kill()
        outputs.append((writer.returncode, out, err))
    for returncode, out, err in outputs:
        assert "database is locked" not in err
        assert returncode == 0, err[-2000:]
        assert out.startswith("done")

    import sqlite3

    with sqlite3.connect(tmp_path / "apparatus.sqlite3") as db:
        projects = db.execute("SELECT count(*) FROM corpus_project").fetchone()[0]
        memberships = db.execute("SELECT count(*) FROM corpus_membership").fetchone()[0]
        journal = db.execute("PRAGMA journal_mode").fetchone()[0]
    assert projects == 2 * rounds
    assert memberships == 2 * 2 * rounds
    assert journal == "wal"
