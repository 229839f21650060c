"""gunicorn's access log without the secrets some URLs carry.

An invitation link (/invite/<token>/) and a password-reset link
(/accounts/password/reset/<uid>/<token>/) are credentials until used: whoever
reads the log could use them. The app redirects both at once to a path
without the token, but the first request's line would still hold it; this
logger writes it with the token replaced. config/gunicorn.py uses it.
"""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

SECRET_PATHS = [
    (re.compile(r"(/invite/)[^/?\s]+"), r"\1…"),
    (
        re.compile(r"(/accounts/password/reset/)(?!sent/|done/)[^/?\s]+/[^/?\s]+"),
        r"\1…/…",
    ),
]


def redact(text: str | None) -> str | None:
    """`text` with the secret parts of those paths replaced by an ellipsis."""
    if not text:
        return text
    for pattern, replacement in SECRET_PATHS:
        text = pattern.sub(replacement, text)
    return text


class RedactingLogger(Logger):
    """gunicorn's logger, with the request line, path and referrer redacted."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f", "{referer}i"):
            if key in atoms:
                atoms[key] = redact(atoms[key])
        return atoms
