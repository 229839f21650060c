"""bench/bench_markdown.py still runs: its smoke mode, as a script, in a few seconds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_markdown.py"


def test_markdown_bench_runs_every_pattern_in_smoke_mode():
    finished = subprocess.run(
        [sys.executable, str(BENCH), "--smoke"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.splitlines()
    assert "200 and 2,000 characters" in lines[0]
    timed = [line for line in lines[1:-1] if " ms " in line]
    assert len(timed) == len(lines) - 2 >= 20
    assert any(line.startswith("ordinary notes ") for line in timed)
    assert any(line.startswith("open brackets [ ") for line in timed)
    assert lines[-1].endswith(" patterns linear")
