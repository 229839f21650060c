"""bench/bench_import.py still runs: its smoke mode, as a script, in a few seconds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_import.py"


def test_import_bench_times_every_format_in_smoke_mode():
    finished = subprocess.run(
        [sys.executable, str(BENCH), "--smoke"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    lines = finished.stdout.splitlines()
    assert lines[0].startswith("import_bytes at 20 KB and 200 KB, CPU seconds")
    rows = lines[2:-1]
    formats = {row.split(",")[0] for row in rows}
    assert formats == {"html", "markdown", "pdf_text", "article", "plain"}
    assert any(row.startswith("html, 300,000 short paragraphs") for row in rows)
    assert lines[-1] == "all shapes near-linear"
