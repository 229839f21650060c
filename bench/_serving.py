"""What the benchmarks over HTTP share: gunicorn in production mode, its workers'
memory, and a locust run against it (bench/locustfile.py).

Import _harness first (it sets the environment and the database). gunicorn
runs config/gunicorn.py with the production variables only (DEBUG off, a
secret key, ALLOWED_HOSTS 127.0.0.1, HTTPS redirects and Secure cookies on),
on the benchmark's database and static files, listening on a free port of
127.0.0.1; the load client plays the TLS proxy in front of it.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from _harness import ROOT, SCRATCH
from django.conf import settings

LOCUSTFILE = ROOT / "bench" / "locustfile.py"
VENV_BIN = Path(sys.executable).parent
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(**variables: str) -> dict[str, str]:
    """The documented production variables, on the benchmark's database."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_STATIC_ROOT": str(settings.STATIC_ROOT),
        "APPARATUS_VAR_DIR": str(settings.VAR_DIR),
    }
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    # The app's own settings set in the shell (APPARATUS_MAX_REQUESTS,
    # APPARATUS_BODY_CACHE_MB...) go to the server too, to compare them.
    env |= {
        name: value
        for name, value in os.environ.items()
        if name.startswith("APPARATUS_") and name not in env
    }
    return env | variables


# -- Processes and their memory --------------------------------------------------


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's workers, for its master)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def rss_kb(pid: int) -> int | None:
    """Resident memory (VmRSS) of `pid` in kB, None if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float:
    """User and system CPU time `pid` has used, in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Gunicorn:
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        return children(self.process.pid)

    def memory(self) -> dict[int, int]:
        """Each worker's RSS in kB."""
        sizes = {pid: rss_kb(pid) for pid in self.workers()}
        return {pid: size for pid, size in sizes.items() if size is not None}

    def worker_cpu(self) -> dict[int, float]:
        """Each worker's CPU seconds so far."""
        return {pid: cpu_seconds(pid) for pid in self.workers()}

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def wait_until_listening(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited with status {process.returncode}:\n{log.read_text()}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not listen on {port}:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    """Stop gunicorn and its workers (its own process group), politely first."""
    for sig, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_for_workers(server: Gunicorn) -> None:
    """Until the master has forked its workers (their number stays put for 1 s)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    seen, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = len(server.workers())
        if count != seen:
            seen, since = count, time.monotonic()
        elif count and time.monotonic() - since >= 1:
            return
        time.sleep(0.1)
    raise RuntimeError(f"workers did not start:\n{server.log_text()}")


@contextmanager
def gunicorn(name: str, **variables: str) -> Iterator[Gunicorn]:
    """config/gunicorn.py in production mode; `variables` override its settings
    (APPARATUS_WORKERS, APPARATUS_WORKER_CLASS, APPARATUS_THREADS...)."""
    port = free_port()
    env = production_env(APPARATUS_BIND=f"127.0.0.1:{port}", **variables)
    log = Path(SCRATCH) / f"gunicorn-{name}-{port}.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", "config/gunicorn.py", "config.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_listening(process, port, log)
            server = Gunicorn(process, port, log)
            wait_for_workers(server)
            yield server
        finally:
            stop(process)


def server_errors(server: Gunicorn) -> list[str]:
    """Lines of gunicorn's log that tell of a failure (tracebacks, timeouts)."""
    markers = ("Traceback", "[ERROR]", "WORKER TIMEOUT", "[CRITICAL]")
    return [
        line
        for line in server.log_text().splitlines()
        if any(marker in line for marker in markers)
    ]


# -- The load client --------------------------------------------------------------


def write_plan(plan: dict, password: str) -> Path:
    path = Path(SCRATCH) / "plan.json"
    path.write_text(json.dumps({**plan, "password": password}))
    return path


def run_locust(
    server: Gunicorn,
    plan: Path,
    *,
    users: int,
    seconds: float,
    warmup: float,
    progress: float = 10,
    on_line: Callable[[str], None] = lambda line: None,
) -> dict:
    """Run bench/locustfile.py against `server`; its result (see its main()).

    `on_line` sees each line the client prints as it prints it ("measuring"
    when the window opens, "window closed" when it ends).
    """
    out = Path(SCRATCH) / f"locust-{time.monotonic_ns()}.json"
    command = [
        sys.executable,
        str(LOCUSTFILE),
        "--host",
        server.url,
        "--plan",
        str(plan),
        "--users",
        str(users),
        "--seconds",
        str(seconds),
        "--warmup",
        str(warmup),
        "--progress",
        str(progress),
        "--out",
        str(out),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    deadline = time.monotonic() + seconds + warmup + 600
    assert process.stdout is not None
    for line in process.stdout:
        line = line.rstrip()
        lines.append(line)
        on_line(line)
        if time.monotonic() > deadline:
            process.kill()
            break
    status = process.wait()
    if status != 0 or not out.exists():
        raise RuntimeError(
            f"the load client failed (status {status}):\n" + "\n".join(lines[-60:])
        )
    return json.loads(out.read_text())


# -- Printing ---------------------------------------------------------------------


def result_table(result: dict) -> list[str]:
    """One line per kind of request, then all of them together."""
    rows = [("kind of request", "req/s", "p50", "p95", "p99", "max", "errors")]
    for name, figures in [*result["types"].items(), ("all", result["all"])]:
        rows.append(
            (
                name,
                f"{figures['per_second']:.1f}",
                f"{figures['p50']:.0f} ms",
                f"{figures['p95']:.0f} ms",
                f"{figures['p99']:.0f} ms",
                f"{figures['max']:.0f} ms",
                str(figures["failures"]),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  "
        + row[0].ljust(widths[0])
        + "".join(
            "  " + cell.rjust(width)
            for cell, width in zip(row[1:], widths[1:], strict=True)
        )
        for row in rows
    ]


# -- One measured run -------------------------------------------------------------


@dataclass
class Measured:
    result: dict
    memory_start: dict[int, int]  # worker pid: RSS kB when the window opened
    memory_end: dict[int, int]
    memory_samples: list[tuple[float, dict[int, int]]]
    worker_cpu: float  # CPU seconds the workers (those alive at the end) used
    server_errors: list[str]


def measure(
    server: Gunicorn,
    plan: Path,
    *,
    users: int,
    seconds: float,
    warmup: float,
    progress: float = 10,
    echo: bool = False,
) -> Measured:
    """A locust run against `server`, with the workers' memory and CPU time
    read when the window opens, at each progress line and when it closes."""
    state: dict = {"samples": [], "opened": None}

    def on_line(line: str) -> None:
        if echo:
            print(f"  | {line}", flush=True)
        if line == "measuring":
            state["opened"] = time.monotonic()
            state["start"] = server.memory()
            state["cpu_start"] = server.worker_cpu()
        elif line.startswith("progress") and state["opened"] is not None:
            state["samples"].append(
                (time.monotonic() - state["opened"], server.memory())
            )
        elif line == "window closed":
            state["end"] = server.memory()
            # A worker replaced in the window counts from its start; what the
            # one it replaced used since the window opened is not counted.
            before = state.get("cpu_start", {})
            state["cpu"] = sum(
                used - before.get(pid, 0.0) for pid, used in server.worker_cpu().items()
            )

    result = run_locust(
        server,
        plan,
        users=users,
        seconds=seconds,
        warmup=warmup,
        progress=progress,
        on_line=on_line,
    )
    return Measured(
        result=result,
        memory_start=state.get("start", {}),
        memory_end=state.get("end", {}),
        memory_samples=state["samples"],
        worker_cpu=state.get("cpu", 0.0),
        server_errors=server_errors(server),
    )


def describe_run(measured: Measured) -> list[str]:
    result = measured.result
    everything = result["all"]
    seconds = result["seconds"]
    writes = result["writes"] / max(1, everything["requests"])
    lines = result_table(result)
    lines.append(
        f"requests: {everything['requests']:,} in {seconds:.1f} s, "
        f"{everything['per_second']:.1f} req/s; writes {writes:.1%}; "
        f"errors {everything['failures']}"
    )
    lines.append(
        f"CPU in the window: gunicorn workers {measured.worker_cpu / seconds:.2f} "
        f"cores, load client {result['client_cpu_seconds'] / seconds:.2f} cores"
    )
    for error, count in list(result["errors"].items())[:10]:
        lines.append(f"error x{count}: {error}")
    for line in measured.server_errors[:10]:
        lines.append(f"server log: {line[:300]}")
    return lines
