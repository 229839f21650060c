"""Production mode for real: gunicorn, PostgreSQL, WhiteNoise, DEBUG off.

The servers run as subprocesses with only the documented production variables
(docs/deploy.md), against a database this module creates on the throw-away
PostgreSQL server that `make test` starts (APPARATUS_TEST_POSTGRES_URL).
"""

from __future__ import annotations

import gzip
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from tests import ready

# One worker runs the whole module (make test uses --dist loadgroup): the
# servers and the database are made once.
pytestmark = [pytest.mark.production, pytest.mark.xdist_group("production")]

BASE_DIR = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
STARTUP_SECONDS = 30
COMMAND_SECONDS = 180
HTTP_TIMEOUT_SECONDS = 15
PROXY = {"X-Forwarded-Proto": "https"}
FAILURES_PER_ADDRESS = 6


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(**variables: str) -> dict[str, str]:
    """A clean environment with the production variables, nothing from the tests."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        **variables,
    }


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
    )


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


@dataclass
class Server:
    port: int

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Response:
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=HTTP_TIMEOUT_SECONDS
        )
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Response(response.status, response.headers, response.read())
        finally:
            connection.close()

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return self.request("GET", path, headers)


def stop(process: subprocess.Popen) -> None:
    """Stop gunicorn and its workers (its own process group), politely first."""
    for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue


def wait_until_listening(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"gunicorn exited with status {process.returncode}:\n{log.read_text()}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(
        f"gunicorn did not listen on port {port} within {STARTUP_SECONDS}s:\n"
        f"{log.read_text()}"
    )


@contextmanager
def running_gunicorn(env: dict[str, str], log: Path) -> Iterator[Server]:
    port = free_port()
    env = env | {"APPARATUS_BIND": f"127.0.0.1:{port}", "APPARATUS_WORKERS": "2"}
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", "config/gunicorn.py", "config.wsgi"],
            cwd=BASE_DIR,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_listening(process, port, log)
            yield Server(port)
        finally:
            stop(process)


@pytest.fixture(scope="module")
def postgres_url() -> str:
    url = os.environ.get("APPARATUS_TEST_POSTGRES_URL", "")
    if not url:
        pytest.fail(
            "APPARATUS_TEST_POSTGRES_URL is not set. Run the suite with `make test`, "
            "which starts a throw-away PostgreSQL server and sets it (or run "
            "scripts/pg-throwaway.sh .venv/bin/pytest ...)."
        )
    return url


@pytest.fixture(scope="module")
def database_url(postgres_url: str) -> Iterator[str]:
    """A fresh database for this module, dropped afterwards."""
    name = ready.new_postgres(postgres_url, "apparatus_production")
    try:
        yield ready.database_url(postgres_url, name)
    finally:
        ready.drop_postgres(postgres_url, name)


@pytest.fixture(scope="module")
def env(database_url: str, tmp_path_factory) -> dict[str, str]:
    var_dir = tmp_path_factory.mktemp("production-var")
    return production_env(
        DATABASE_URL=database_url,
        APPARATUS_VAR_DIR=str(var_dir),
        DJANGO_STATIC_ROOT=str(var_dir / "static"),
        # Fewer wrong passwords (each hashed for real) to lock an address.
        APPARATUS_SIGNIN_FAILURES_PER_ADDRESS=str(FAILURES_PER_ADDRESS),
    )


@pytest.fixture(scope="module")
def server(env: dict[str, str], tmp_path_factory) -> Iterator[Server]:
    """gunicorn as `make serve` runs it: migrated, static files collected."""
    ready.manage(env, "migrate", "--noinput")
    ready.manage(env, "collectstatic", "--noinput")
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with running_gunicorn(env, log) as running:
        yield running


@pytest.fixture(scope="module")
def server_without_database(env: dict[str, str], tmp_path_factory) -> Iterator[Server]:
    """gunicorn whose database does not answer: nothing listens on its port."""
    closed = ready.database_url(env["DATABASE_URL"], "apparatus")
    closed = closed.replace(f":{urlsplit(closed).port}/", f":{free_port()}/")
    log = tmp_path_factory.mktemp("gunicorn-no-db") / "gunicorn.log"
    with running_gunicorn(env | {"DATABASE_URL": closed}, log) as running:
        yield running


def test_login_page_is_served_behind_the_tls_proxy(server):
    response = server.get("/accounts/login/", PROXY)

    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert b"<form" in response.body
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_plain_http_is_redirected_to_https(server):
    response = server.get("/accounts/login/")

    assert response.status == 301
    assert response.headers["Location"] == (
        f"https://127.0.0.1:{server.port}/accounts/login/"
    )


def test_static_files_have_hashed_names_compression_and_a_far_future_cache(server):
    page = server.get("/accounts/login/", PROXY).body.decode()
    match = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page)
    assert match, "the login page does not link the hashed stylesheet"
    stylesheet = match.group(1)

    plain = server.get(stylesheet, PROXY)
    compressed = server.get(stylesheet, PROXY | {"Accept-Encoding": "gzip"})

    assert plain.status == 200
    assert plain.headers["Content-Type"].startswith("text/css")
    assert compressed.status == 200
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed.headers["Vary"]
    assert gzip.decompress(compressed.body) == plain.body
    cache_control = compressed.headers["Cache-Control"]
    max_age = int(re.search(r"max-age=(\d+)", cache_control).group(1))
    assert max_age >= 365 * 24 * 3600
    assert "immutable" in cache_control


def create_superuser(env: dict[str, str], username: str) -> str:
    password = secrets.token_urlsafe(16)
    ready.manage(
        env | {"DJANGO_SUPERUSER_PASSWORD": password},
        "createsuperuser",
        "--noinput",
        "--username",
        username,
        "--email",
        f"{username}@example.org",
    )
    return password


def sign_in(
    server: Server, username: str, password: str, headers: dict[str, str] = PROXY
) -> Response:
    """The sign-in form, filled in and sent as a browser does (CSRF included)."""
    form = server.get("/accounts/login/", headers)
    csrf_cookie = SimpleCookie(form.headers["Set-Cookie"])["csrftoken"]
    token = (
        re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)
        .group(1)
        .decode()
    )
    origin = f"https://127.0.0.1:{server.port}"
    return server.request(
        "POST",
        "/accounts/login/",
        headers
        | {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie.value}",
            "Origin": origin,
            "Referer": f"{origin}/accounts/login/",
        },
        urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": password}
        ).encode(),
    )


def session_cookie(response: Response):
    cookies = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie"):
        cookies.load(header)
    return cookies["sessionid"]


def test_a_user_signs_in_through_the_proxy(server, env):
    password = create_superuser(env, "operator")

    response = sign_in(server, "operator", password)

    assert response.status == 302, response.body[:2000]
    session = session_cookie(response)
    assert session["secure"]
    assert session["httponly"]


def test_a_member_page_is_private_and_static_files_keep_their_cache(server, env):
    password = create_superuser(env, "curator")
    session = session_cookie(sign_in(server, "curator", password)).value
    signed_in = PROXY | {"Cookie": f"sessionid={session}"}

    page = server.get("/", signed_in)
    stylesheet = re.search(
        r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page.body.decode()
    ).group(1)
    static = server.get(stylesheet, signed_in)

    assert page.status == 200
    assert b"Your projects" in page.body
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "immutable" in static.headers["Cache-Control"]
    assert "no-store" not in static.headers["Cache-Control"]


def test_sign_in_is_throttled_by_account_behind_the_proxy(server, env):
    password = create_superuser(env, "target")
    attacker = PROXY | {"X-Forwarded-For": "203.0.113.50"}
    elsewhere = PROXY | {"X-Forwarded-For": "198.51.100.20"}

    started = time.monotonic()
    failures = [sign_in(server, "target", "wrong", attacker) for _ in range(5)]
    failed_seconds = (time.monotonic() - started) / 5
    started = time.monotonic()
    locked = sign_in(server, "target", password, elsewhere)
    locked_seconds = time.monotonic() - started

    assert [r.status for r in failures] == [200, 200, 200, 200, 429]
    assert locked.status == 429
    assert b"Signing in is paused for up to 15 minutes" in locked.body
    assert int(locked.headers["Retry-After"]) == 15 * 60
    assert "sessionid" not in locked.headers.get("Set-Cookie", "")
    print(
        f"form and wrong password: {failed_seconds * 1000:.0f} ms; "
        f"form and locked-out refusal: {locked_seconds * 1000:.0f} ms"
    )


def test_sign_in_is_throttled_by_address_and_clients_behind_the_proxy_differ(
    server,
):
    client = PROXY | {"X-Forwarded-For": "192.0.2.66"}
    other = PROXY | {"X-Forwarded-For": "192.0.2.67"}

    statuses = [
        sign_in(server, f"guess{n}", "wrong", client).status
        for n in range(FAILURES_PER_ADDRESS)
    ]

    assert statuses == [200] * (FAILURES_PER_ADDRESS - 1) + [429]
    assert sign_in(server, "guess-again", "wrong", client).status == 429
    assert sign_in(server, "guess-again", "wrong", other).status == 200


def test_pages_carry_the_policy_and_no_server_banner(server):
    responses = {
        "front page": server.get("/", PROXY),
        "sign-in": server.get("/accounts/login/", PROXY),
        "not found": server.get("/p/nothing/", PROXY),
        "health": server.get("/healthz/"),
    }

    for name, response in responses.items():
        assert "gunicorn" not in response.headers.get("Server", "").lower(), name
        if response.headers["Content-Type"].startswith("text/html"):
            policy = response.headers["Content-Security-Policy"]
            assert "script-src 'self'" in policy, name
            assert "style-src 'self'" in policy, name
            assert "unsafe" not in policy, name
    assert responses["front page"].headers["Cache-Control"] == "private, no-store"


def test_the_root_and_the_health_check_answer_directly(server):
    head = server.request("HEAD", "/", PROXY)
    front = server.get("/", PROXY)
    bare = [server.get("/healthz", headers) for headers in (PROXY, {})]

    assert head.status == 200
    assert head.body == b""
    assert front.status == 200
    assert b'name="password"' in front.body
    for response in bare:
        assert response.status == 200
        assert b'"database": "up"' in response.body


def test_healthz_answers_ok_with_the_database_up(server):
    for headers in (PROXY, {}):  # plain HTTP too: the proxy's own health check
        response = server.get("/healthz/", headers)

        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        assert b'"database": "up"' in response.body


def test_healthz_answers_503_when_the_database_does_not_answer(
    server_without_database,
):
    response = server_without_database.get("/healthz/", PROXY)

    assert response.status == 503
    assert response.headers["Content-Type"] == "application/json"
    assert b'"database": "down"' in response.body


def test_check_deploy_finds_nothing_to_warn_about_with_the_documented_variables():
    env = production_env(
        DJANGO_ALLOWED_HOSTS="apparatus.example.org",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://apparatus.example.org",
        DATABASE_URL="postgres://apparatus@127.0.0.1:5432/apparatus",
    )

    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]

    result = manage(env, "check")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr
