"""The import contracts of pyproject.toml (docs/architecture.md): they hold, and
lint-imports refuses the imports they forbid (checked on a copy of the tree
with one such import added)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(where: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", "--no-logo"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_import_contracts_hold():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        (
            "corpus/models/__init__.py",
            "import annotations.models",
            "corpus imports neither annotations nor config BROKEN",
        ),
        (
            "corpus/services/projects.py",
            "from annotations.services import relations",
            "Layers: config, then annotations, then corpus BROKEN",
        ),
        (
            "annotations/views/links.py",
            "from annotations.views import threads",
            "A view module imports no other view module BROKEN",
        ),
        (
            "annotations/segments.py",
            "from django.db import models",
            "Pure algorithms import no Django BROKEN",
        ),
    ],
)
def test_lint_imports_refuses_a_forbidden_import(tmp_path, module, line, broken):
    for name in ("config", "annotations", "corpus"):
        shutil.copytree(
            ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")

    result = _lint(tmp_path)

    assert result.returncode != 0, result.stdout
    assert broken in result.stdout, result.stdout
