"""The access log never holds an invitation or password-reset token."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from config.access_log import RedactingLogger, redact

TOKEN = "kq3J9x_2bV1sLmN8-abcdef0123456789ABCDEFghij"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (f"/invite/{TOKEN}/", "/invite/…/"),
        (f"/accounts/password/reset/MTI/{TOKEN}/", "/accounts/password/reset/…/…/"),
        ("/accounts/password/reset/", "/accounts/password/reset/"),
        ("/accounts/password/reset/sent/", "/accounts/password/reset/sent/"),
        ("/accounts/password/reset/done/", "/accounts/password/reset/done/"),
        ("/invite/", "/invite/"),
        ("/p/cartels/d/12/", "/p/cartels/d/12/"),
    ],
)
def test_tokens_are_taken_out_of_logged_paths(path, logged):
    assert redact(path) == logged


def test_the_access_log_line_holds_no_token():
    logger = RedactingLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/invite/{TOKEN}/",
        "PATH_INFO": f"/invite/{TOKEN}/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://example.org/invite/{TOKEN}/",
    }
    response = SimpleNamespace(status="302 Found", sent=0, headers=[])
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=3))
    line = logger.cfg.access_log_format % atoms
    assert TOKEN not in line
    assert "/invite/…/" in line
