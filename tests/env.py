"""Loaded by pytest before Django (pyproject: -p tests.env): test-only environment."""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-" + "x" * 40)
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
# Keep a developer's var/ database out of reach of the test run.
_scratch = tempfile.mkdtemp(prefix="apparatus-tests-")
os.environ.setdefault("APPARATUS_VAR_DIR", _scratch)
os.environ.setdefault("DJANGO_STATIC_ROOT", os.path.join(_scratch, "static"))
os.makedirs(os.environ["DJANGO_STATIC_ROOT"], exist_ok=True)
