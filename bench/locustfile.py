"""The load test's members: they sign in, read, poll and write over HTTP.

Each simulated member signs in as one of the load project's 20 members
(bench/load_project.py; 32 sessions share them round the list, as people with
two tabs would), then works on one document at a time: the document page,
threads opened from it, the margin's pages, the poll with the page's token,
and, as their role allows, the link picker's search, the curation queue and the
writes (new annotations on a selection, replies, status decisions). About 90%
of requests read and 10% write. There is no pause between requests: the
figures say what the server can serve, with 32 requests always waiting.

The client plays the TLS proxy too (gunicorn runs with production settings
behind one): it sends X-Forwarded-Proto, an Origin on writes as a browser
does, and keeps the Secure cookies. htmx requests carry HX-Request and the
CSRF token in X-CSRFToken, as the page's hx-headers make htmx do.

bench_load.py and bench_soak.py run this file as a script in a process of its
own (locust's gevent must not share a process with Django), with the plan that
load_project.build() wrote:

    python bench/locustfile.py --host http://127.0.0.1:PORT --plan plan.json \\
        --users 32 --seconds 60 --warmup 10 --out result.json

It waits for every member to sign in, then for --warmup seconds, and records
each request of the next --seconds (times, statuses, errors) into --out; lines
on stdout say when the window opens ("measuring") and how it goes. By hand,
locust's own command line works too: PLAN=plan.json locust -f
bench/locustfile.py --headless -u 32 -r 32 -t 60s -H http://127.0.0.1:PORT.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import statistics
import sys
import time
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urlencode, urlsplit

import gevent
from locust import FastHttpUser, constant, events, task

PROXY = {"X-Forwarded-Proto": "https"}
FORM = "application/x-www-form-urlencoded"
# The reader's token: in the poller's URL, or (since the write path's rework)
# in its own hidden input, which polls and writes bring anew.
SINCE = re.compile(rb'(?:changes/\?since=|name="since" value=")(\d+\.\d+)')
MARGIN_FILTERS = {"tag": "", "author": "", "status": ""}

# What each role does, in shares of its requests (each row adds up to 100).
READS = {"document": 10, "thread": 22, "margin": 15, "poll": 32}
MIX = {
    "viewer": {"document": 12, "thread": 26, "margin": 20, "poll": 42},
    "annotator": {**READS, "search": 10, "create": 7, "reply": 4},
    "curator": {
        "document": 8,
        "thread": 18,
        "margin": 10,
        "poll": 27,
        "queue": 20,
        "search": 5,
        "create": 3,
        "reply": 2,
        "status": 7,
    },
}
MIX["owner"] = MIX["curator"]
WRITES = {"create annotation (htmx)", "reply (htmx)", "status decision (htmx)"}
# What each kind of request must answer; anything else is counted as an error.
EXPECTED = {
    "sign in: form": (200,),
    "sign in: post": (302,),
    "document page": (200,),
    "thread (htmx)": (200,),
    "margin page (htmx)": (200,),
    "poll (htmx)": (200, 204),
    "curation queue": (200,),
    "link picker search (htmx)": (200,),
    "create annotation (htmx)": (200,),
    "reply (htmx)": (200,),
    "status decision (htmx)": (200,),
}
DECISIONS = [
    ("approved", ""),
    ("needs_revision", "Please quote the whole sentence."),
    ("rejected", "Out of scope for this project."),
    ("submitted", ""),
]


def load_plan() -> dict:
    path = os.environ.get("PLAN")
    if not path:
        raise SystemExit("PLAN (or --plan) must name the load plan's JSON file.")
    with open(path) as plan:
        return json.load(plan)


class Recorder:
    """Every request of the measuring window: time, name and outcome."""

    def __init__(self) -> None:
        self.on = False
        self.times: dict[str, list[float]] = {}
        self.failures: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.signed_in = 0

    def request(self, request_type, name, response_time, exception, **_kw) -> None:
        if not self.on:
            if exception is not None:
                self.note_error(name, exception)
            return
        self.times.setdefault(name, []).append(response_time)
        if exception is not None:
            self.failures[name] = self.failures.get(name, 0) + 1
            self.note_error(name, exception)

    def note_error(self, name: str, exception) -> None:
        key = f"{name}: {exception}"[:300]
        self.errors[key] = self.errors.get(key, 0) + 1


RECORDER = Recorder()
events.request.add_listener(RECORDER.request)
PLAN: dict = {}
IDENTITIES: itertools.cycle | None = None


@events.init.add_listener
def _read_plan(environment, **_kw) -> None:
    global PLAN, IDENTITIES
    PLAN = load_plan()
    IDENTITIES = itertools.cycle(PLAN["members"])


class Member(FastHttpUser):
    wait_time = constant(0)
    connection_timeout = 30.0
    network_timeout = 120.0

    def on_start(self) -> None:
        identity = next(IDENTITIES)
        self.username, self.role = identity["username"], identity["role"]
        self.rng = random.Random(self.username + str(id(self)))
        self.slug = PLAN["project"]
        self.origin = "https://" + urlsplit(self.host).netloc
        # The proxy ends TLS: the Secure cookies go back over the plain hop.
        self.client.cookiejar.set_policy(
            DefaultCookiePolicy(secure_protocols=("https", "wss", "http"))
        )
        mix = MIX[self.role]
        self.actions, self.weights = list(mix), list(mix.values())
        self.sign_in()
        self.open_document(new=True)
        RECORDER.signed_in += 1

    # -- Requests -------------------------------------------------------------

    def csrf(self) -> str:
        for cookie in self.client.cookiejar:
            if cookie.name == "csrftoken":
                return cookie.value
        return ""

    def call(self, method, path, name, params=None, data=None, htmx=False):
        """One request, judged by the status its kind must answer."""
        headers = dict(PROXY)
        if htmx:
            headers["HX-Request"] = "true"
        if method == "POST":
            headers.update(
                {
                    "Content-Type": FORM,
                    "Origin": self.origin,
                    "Referer": f"{self.origin}{self.document_url}",
                    "X-CSRFToken": self.csrf(),
                }
            )
        if params:
            path = f"{path}?{urlencode(params)}"
        with self.client.request(
            method,
            path,
            name=name,
            data=urlencode(data) if data is not None else None,
            headers=headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code not in EXPECTED[name]:
                response.failure(
                    f"status {response.status_code}: {response.text[:120]!r}"
                )
            else:
                response.success()
            if htmx and response.status_code == 200:
                # As htmx swaps the token a poll or a write brings.
                found = SINCE.search(response.content or b"")
                if found:
                    self.since = found.group(1).decode()
            return response

    def sign_in(self) -> None:
        self.document_url = "/accounts/login/"
        self.call("GET", "/accounts/login/", "sign in: form")
        self.call(
            "POST",
            "/accounts/login/",
            "sign in: post",
            data={
                "username": self.username,
                "password": PLAN["password"],
                "csrfmiddlewaretoken": self.csrf(),
            },
        )

    def open_document(self, new: bool = False) -> None:
        if new or self.rng.random() < 0.5:
            documents = PLAN["documents"]
            weights = [max(1, doc["annotations"]) for doc in documents]
            self.document = self.rng.choices(documents, weights)[0]
        pk = self.document["pk"]
        self.document_url = f"/p/{self.slug}/d/{pk}/"
        response = self.call("GET", self.document_url, "document page")
        found = SINCE.search(response.content or b"")
        self.since = found.group(1).decode() if found else ""

    def thread_id(self) -> int | None:
        threads = self.document["threads"]
        return self.rng.choice(threads) if threads else None

    # -- The mix ----------------------------------------------------------------

    @task
    def act(self) -> None:
        action = self.rng.choices(self.actions, self.weights)[0]
        getattr(self, f"do_{action}")()

    def do_document(self) -> None:
        self.open_document()

    def do_thread(self) -> None:
        pk = self.thread_id()
        if pk is None:
            return self.do_poll()
        self.call(
            "GET",
            f"/p/{self.slug}/a/{pk}/",
            "thread (htmx)",
            params={"here": str(pk)},
            htmx=True,
        )

    def do_margin(self) -> None:
        pages = max(1, -(-self.document["annotations"] // 50))
        page = min(pages, 1 + int(self.rng.expovariate(0.7)))
        self.call(
            "GET",
            f"{self.document_url}annotations/",
            "margin page (htmx)",
            params={**MARGIN_FILTERS, "page": page},
            htmx=True,
        )

    def do_poll(self) -> None:
        self.call(
            "GET",
            f"{self.document_url}annotations/changes/",
            "poll (htmx)",
            params={"since": self.since, "thread": "", "page": 1, **MARGIN_FILTERS},
            htmx=True,
        )

    def do_queue(self) -> None:
        page = 1 + int(self.rng.expovariate(1.0))
        self.call(
            "GET",
            f"/p/{self.slug}/curation/",
            "curation queue",
            params={"page": page} if page > 1 else None,
        )

    def do_search(self) -> None:
        pk = self.thread_id()
        if pk is None:
            return self.do_poll()
        self.call(
            "GET",
            f"/p/{self.slug}/a/{pk}/link/search/",
            "link picker search (htmx)",
            params={"q": self.rng.choice(PLAN["search_words"])},
            htmx=True,
        )

    def do_create(self) -> None:
        if not self.document["selections"]:
            return self.do_poll()
        chosen = self.rng.choice(self.document["selections"])
        tags = self.rng.choice(["", "", self.rng.choice(PLAN["tags"])])
        self.call(
            "POST",
            f"{self.document_url}annotations/new/",
            "create annotation (htmx)",
            data={
                **chosen,
                "body": f"Load test note by {self.username}.",
                "tags": tags,
                "visibility": "project",
                **MARGIN_FILTERS,
            },
            htmx=True,
        )

    def do_reply(self) -> None:
        pk = self.thread_id()
        if pk is None:
            return self.do_poll()
        self.call(
            "POST",
            f"/p/{self.slug}/a/{pk}/replies/",
            "reply (htmx)",
            data={"body": "Agreed; see the paragraph before it too."},
            htmx=True,
        )

    def do_status(self) -> None:
        pk = self.thread_id()
        if pk is None:
            return self.do_poll()
        status, reason = self.rng.choice(DECISIONS)
        self.call(
            "POST",
            f"/p/{self.slug}/a/{pk}/status/",
            "status decision (htmx)",
            data={"status": status, "reason": reason},
            htmx=True,
        )


# -- Run as a script: a measured window --------------------------------------------


def summarise(times: list[float], failures: int, seconds: float) -> dict:
    ordered = sorted(times)

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]

    return {
        "requests": len(ordered),
        "failures": failures,
        "per_second": len(ordered) / seconds,
        "mean": statistics.fmean(ordered),
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": ordered[-1],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--plan", required=True)
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--progress", type=float, default=10)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.environ["PLAN"] = args.plan

    from locust.env import Environment

    environment = Environment(user_classes=[Member], host=args.host, events=events)
    runner = environment.create_local_runner()
    events.init.fire(environment=environment, runner=runner, web_ui=None)
    runner.start(args.users, spawn_rate=args.users)
    deadline = time.monotonic() + 300
    while RECORDER.signed_in < args.users and time.monotonic() < deadline:
        gevent.sleep(0.1)
    if RECORDER.signed_in < args.users:
        print(f"only {RECORDER.signed_in} of {args.users} members signed in")
        runner.quit()
        print(json.dumps(RECORDER.errors, indent=1))
        return 1
    print(f"signed in: {args.users} sessions; warming up {args.warmup:g} s", flush=True)
    gevent.sleep(args.warmup)
    RECORDER.on, started, cpu = True, time.monotonic(), time.process_time()
    print("measuring", flush=True)
    counted = 0
    while (elapsed := time.monotonic() - started) < args.seconds:
        gevent.sleep(min(args.progress, args.seconds - elapsed))
        total = sum(len(times) for times in RECORDER.times.values())
        failed = sum(RECORDER.failures.values())
        now = time.monotonic() - started
        print(
            f"progress {now:.0f} s: {total:,} requests, {failed} failed, "
            f"{(total - counted) / max(args.progress, 1e-9):.0f} req/s lately",
            flush=True,
        )
        counted = total
    RECORDER.on = False
    seconds, client_cpu = time.monotonic() - started, time.process_time() - cpu
    print("window closed", flush=True)
    runner.quit()
    everything = [t for times in RECORDER.times.values() for t in times]
    result = {
        "seconds": seconds,
        "users": args.users,
        "client_cpu_seconds": client_cpu,
        "all": summarise(everything, sum(RECORDER.failures.values()), seconds),
        "writes": sum(len(RECORDER.times.get(name, [])) for name in WRITES),
        "types": {
            name: summarise(times, RECORDER.failures.get(name, 0), seconds)
            for name, times in sorted(RECORDER.times.items())
        },
        "errors": RECORDER.errors,
    }
    with open(args.out, "w") as out:
        json.dump(result, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
