"""config/gunicorn.py's own hooks, outside a running server."""

from __future__ import annotations

import importlib.util
import platform
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[1] / "config" / "gunicorn.py"


def _config():
    spec = importlib.util.spec_from_file_location("gunicorn_config", CONFIG)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_workers_map_large_blocks_at_a_fixed_threshold():
    """glibc (the C library of Debian, where the app is deployed and tested)
    takes the setting: large blocks stay mapped and go back to the system when
    freed, instead of the heap's holes. Elsewhere the hook does nothing."""
    expected = platform.libc_ver()[0] == "glibc"
    assert _config()._fixed_mmap_threshold() is expected
