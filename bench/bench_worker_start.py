"""The first request of a new gunicorn worker, with and without warming it.

gunicorn replaces a worker after max_requests (config/gunicorn.py) or when one
dies; the issue saw the new worker's first request take 340-480 ms (imports,
templates compiled on first use, an empty render cache). config/gunicorn.py's
post_worker_init hook warms a worker before it accepts connections
(APPARATUS_WARM_WORKERS, on by default); this script measures what that
changes.

Set-up: the load project at a tenth of its size (20 documents of 5 KB-1 MB,
10,000 annotations; bench/load_project.py). gunicorn runs in production mode
(config/gunicorn.py, DEBUG off) with one sync worker, once with
APPARATUS_WARM_WORKERS=0 and once with it on. A member signs in over HTTP;
then, --rounds times per kind of request, the worker is stopped (SIGTERM, as
max_requests ends it), the master forks a new one, and once the new worker is
idle (its CPU time has stopped moving for 0.5 s) the script times one request
of that kind (the new worker's first), then the same request again: poll
(nothing changed: 204), thread (htmx), document page (the 1 MB document, whose
text no new worker has cached, warm or not). It also reads how long the
warm-up took (from gunicorn's log) and the new worker's memory.

Run: .venv/bin/python bench/bench_worker_start.py [--rounds 5] [--smoke]

--smoke: the tiny load project, one round (seconds); judges nothing. The full
run judges that warming makes the median first poll at least twice as fast and
under 100 ms: the poll is a request whose own work is ~2 ms, so its first time
is what a new worker costs.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import signal
import statistics
import time
from dataclasses import replace
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import _harness
import _serving
import load_project
from _harness import verdict

SMOKE = {"rounds": 1}
PROXY = {"X-Forwarded-Proto": "https"}
WARMED = re.compile(r"Worker (\d+) warmed in (\d+) ms")
TARGET_FIRST_POLL_MS = 100


class Session:
    """A signed-in member talking to gunicorn as the TLS proxy would."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = {**PROXY, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            started = time.perf_counter()
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            content = response.read()
            elapsed = (time.perf_counter() - started) * 1000
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, content, elapsed

    def sign_in(self, username: str, password: str) -> None:
        self.request("GET", "/accounts/login/")
        form = urlencode(
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": self.cookies["csrftoken"],
            }
        )
        status, _content, _ms = self.request(
            "POST",
            "/accounts/login/",
            form,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"https://127.0.0.1:{self.port}",
            },
        )
        assert status == 302 and "sessionid" in self.cookies, status


def wait_for_new_worker(server: _serving.Gunicorn, old: set[int]) -> int:
    """The pid of the worker that replaced `old` ones, once it is idle."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        new = [pid for pid in server.workers() if pid not in old]
        if new:
            break
        time.sleep(0.05)
    else:
        raise RuntimeError(f"no new worker:\n{server.log_text()[-3000:]}")
    pid, previous = new[0], -1.0
    while time.monotonic() < deadline:
        used = _serving.cpu_seconds(pid)
        if used == previous:
            return pid
        previous = used
        time.sleep(0.5)
    raise RuntimeError("the new worker never went idle")


def requests_to_time(built, session: Session) -> dict[str, tuple[str, dict]]:
    """Per kind: the path and headers of the request timed."""
    plan = built.plan
    largest = max(plan["documents"], key=lambda doc: doc["characters"])
    slug, pk = plan["project"], largest["pk"]
    page = f"/p/{slug}/d/{pk}/"
    status, content, _ms = session.request("GET", page)
    assert status == 200, status
    since = re.search(
        rb'(?:changes/\?since=|name="since" value=")(\d+\.\d+)', content
    ).group(1)
    htmx = {"HX-Request": "true"}
    thread = largest["threads"][0]
    return {
        "poll, nothing changed (204)": (
            f"{page}annotations/changes/?"
            + urlencode({"since": since.decode(), "thread": "", "tag": ""}),
            htmx,
        ),
        "thread (htmx)": (f"/p/{slug}/a/{thread}/?here={thread}", htmx),
        f"document page ({largest['characters'] / 1e6:.1f} M characters)": (page, {}),
    }


def run_server(built, warm: bool, rounds: int) -> dict:
    label = "warmed" if warm else "not warmed"
    figures: dict[str, dict[str, list[float]]] = {}
    with _serving.gunicorn(
        label,
        APPARATUS_WORKERS="1",
        APPARATUS_WARM_WORKERS="1" if warm else "0",
        APPARATUS_MAX_REQUESTS="0",
    ) as server:
        session = Session(server.port)
        session.sign_in(built.plan["members"][0]["username"], built.password)
        kinds = requests_to_time(built, session)
        memory = []
        for _round in range(rounds):
            for kind, (path, headers) in kinds.items():
                old = set(server.workers())
                for pid in old:
                    os.kill(pid, signal.SIGTERM)
                pid = wait_for_new_worker(server, old)
                memory.append(_serving.rss_kb(pid) or 0)
                first = session.request("GET", path, headers=headers)
                second = session.request("GET", path, headers=headers)
                assert first[0] in (200, 204) and second[0] == first[0], (first, second)
                times = figures.setdefault(kind, {"first": [], "second": []})
                times["first"].append(first[2])
                times["second"].append(second[2])
        warmups = [int(ms) for _pid, ms in WARMED.findall(server.log_text())]
    print(f"\ngunicorn, one sync worker, {label} (APPARATUS_WARM_WORKERS={int(warm)})")
    if warmups:
        print(
            f"warm-up in post_worker_init: median {statistics.median(warmups):.0f} ms "
            f"over {len(warmups)} workers"
        )
    print(
        f"new worker's memory when idle: median "
        f"{statistics.median(memory) / 1024:.1f} MB"
    )
    for kind, times in figures.items():
        print(
            f"{kind}: first request median {statistics.median(times['first']):.1f} ms "
            f"(max {max(times['first']):.1f}), the next "
            f"{statistics.median(times['second']):.1f} ms; {rounds} new workers"
        )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = _harness.parse_args(parser, SMOKE)
    started = time.perf_counter()
    _harness.prepare_database()
    built = None
    try:
        sizes = (
            load_project.SMOKE
            if args.smoke
            else replace(load_project.FULL, documents=20, annotations=10_000)
        )
        built = load_project.build(sizes, random.Random(load_project.SEED))
        elapsed = time.perf_counter() - started
        print(f"set-up (migrate, static files, project): {elapsed:.1f} s")
        print(load_project.describe(built))
        print(_harness.machine())
        cold = run_server(built, warm=False, rounds=args.rounds)
        warm = run_server(built, warm=True, rounds=args.rounds)
        poll = "poll, nothing changed (204)"
        before = statistics.median(cold[poll]["first"])
        after = statistics.median(warm[poll]["first"])
        print(f"\n{_harness.machine()}")
        return (
            0
            if verdict(
                "first-poll",
                after * 2 <= before and after < TARGET_FIRST_POLL_MS,
                f"a new worker's first poll: median {before:.1f} ms not warmed, "
                f"{after:.1f} ms warmed; target half or less, and under "
                f"{TARGET_FIRST_POLL_MS} ms",
                judged=not args.smoke,
            )
            else 1
        )
    finally:
        load_project.clean_up(built)


if __name__ == "__main__":
    _harness.run(main)
