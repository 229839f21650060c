"""Real-browser fixtures: Playwright driving Debian's Chromium against live_server.

One Chromium per test session (per xdist worker), a fresh context (cookies,
storage, JavaScript setting) per test. The live server runs in another thread,
so these tests use a transactional database: rows a test creates are committed
and the server sees them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from config import sessions

# Playwright's sync API runs an asyncio event loop in the test's own thread, and
# Django refuses ORM calls from a thread with a running event loop
# (SynchronousOnlyOperation). Our tests and fixtures are plain synchronous code
# that only uses the database between browser calls, never from inside the loop,
# so the guard is a false alarm here. It is set at import so that it holds for
# the whole process: once Chromium has started, the loop belongs to this thread
# until the session ends, including for the non-browser tests of the same worker.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Ordinary actions (a click, an htmx swap) wait up to this long: the CI machine
# has 2 cores running two test workers and PostgreSQL at once.
TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run make test, which installs "
            "Debian's chromium.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_context(
    browser: Browser, live_server, transactional_db
) -> Iterator[Callable[..., BrowserContext]]:
    """Make browser contexts pointed at the live server; closed after the test."""
    contexts: list[BrowserContext] = []

    def make(**options) -> BrowserContext:
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context) -> Page:
    return new_context().new_page()


@pytest.fixture
def sign_in(live_server) -> Callable[[Page, object], None]:
    """Sign `user` in and open their projects page, where the sign-in form
    leads. The session is begun as the form begins it (django.contrib.auth's
    login, through the test client), in a tenth of the time: the form itself
    is driven by its own tests (test_accounts.py, test_csp.py)."""

    def sign_in(page: Page, user) -> None:
        client = Client()
        client.force_login(user, backend=sessions.BACKEND)
        session = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session.value,
                    "url": live_server.url,
                    "secure": settings.SESSION_COOKIE_SECURE,
                    "httpOnly": settings.SESSION_COOKIE_HTTPONLY,
                    "sameSite": settings.SESSION_COOKIE_SAMESITE or "None",
                }
            ]
        )
        page.goto(reverse(settings.LOGIN_REDIRECT_URL))
        heading = page.get_by_role("heading", name="Your projects", level=1)
        expect(heading).to_be_visible()

    return sign_in
