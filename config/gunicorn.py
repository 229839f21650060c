"""gunicorn settings for production: `make serve`, or
`gunicorn -c config/gunicorn.py config.wsgi` (docs/deploy.md).

Everything an operator may want to change comes from the environment.
"""

import ctypes
import ctypes.util
import os
import time
from pathlib import Path

import gunicorn

# Where to listen. Behind a reverse proxy on the same host the default is right;
# give "0.0.0.0:8000" or "unix:/run/apparatus/gunicorn.sock" otherwise.
bind = os.environ.get("APPARATUS_BIND", "127.0.0.1:8000").split(",")

# Synchronous workers: the usual 2 x cores + 1, capped so a big host does not
# open more database connections than PostgreSQL allows by default.
workers = int(
    os.environ.get("APPARATUS_WORKERS") or min(2 * (os.cpu_count() or 1) + 1, 12)
)

# The worker class and, for "gthread", the threads each worker runs requests on.
worker_class = os.environ.get("APPARATUS_WORKER_CLASS") or "sync"
threads = int(os.environ.get("APPARATUS_THREADS") or 1)

# A worker busy longer than this (a large import, say) is killed and restarted.
timeout = int(os.environ.get("APPARATUS_WORKER_TIMEOUT") or 60)
graceful_timeout = 30
# The proxy keeps connections open to us; hold them a little longer than the
# one-request default.
keepalive = 5
# Restart workers now and then so a slow leak never grows large, but rarely:
# a new worker starts with empty caches (docs/performance.md, "Soak": every
# 1,000 requests, a worker threw its caches away every ~15 s under load).
max_requests = int(os.environ.get("APPARATUS_MAX_REQUESTS") or 20_000)
max_requests_jitter = max_requests // 10

# Logs to stdout/stderr: systemd's journal or the container runtime keeps them.
accesslog = "-"
# Invitation and password-reset links are credentials: logged without them.
logger_class = "config.access_log.RedactingLogger"
errorlog = "-"
# The usual combined format, plus the client's address as the proxy saw it and
# the time taken, in milliseconds.
access_log_format = (
    '%(h)s %({x-forwarded-for}i)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" '
    "%(M)sms"
)
loglevel = os.environ.get("APPARATUS_GUNICORN_LOG_LEVEL", "info")

# Trust X-Forwarded-* only from the proxy (same host by default; give its
# address when it runs elsewhere). Django reads X-Forwarded-Proto through
# SECURE_PROXY_SSL_HEADER, so the proxy must always set it itself.
forwarded_allow_ips = os.environ.get("APPARATUS_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# No runtime control socket: its default path is shared by every gunicorn of a
# user, so two instances on one host would fight over it.
control_socket_disable = True

# No "Server: gunicorn" banner: it tells a scanner what to try. gunicorn has no
# setting for it; every response's Server header is this module-level name,
# read by the workers, which import gunicorn.http after this file has run. The
# header stays, empty. (Behind nginx it never reaches clients anyway: nginx
# drops the upstream's Server header and sends its own.)
gunicorn.SERVER = ""


# A new worker (at start, or after recycling) imports the views, compiles the
# templates and connects to the database before it takes its first request,
# instead of making that request wait for them (docs/performance.md, "Worker
# start"). APPARATUS_WARM_WORKERS=0 leaves it all to the first requests.
warm_workers = os.environ.get("APPARATUS_WARM_WORKERS", "1") != "0"


# glibc's malloc raises its threshold for mapping a block of its own (as far
# as 32 MB) each time such a block is freed; then the megabytes of a rendered
# page come from the heap, whose holes it rarely gives back, and a worker's
# memory creeps up though its caches are full (docs/performance.md, "Soak").
# A fixed threshold keeps every large block mapped and returned when freed.
MALLOC_MMAP_THRESHOLD = 256 * 1024
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from <malloc.h>


def _fixed_mmap_threshold() -> bool:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, MALLOC_MMAP_THRESHOLD))
    except (OSError, AttributeError):
        return False  # not glibc: its allocator decides


def post_worker_init(worker) -> None:
    """Warm the worker: gunicorn calls this after loading the app, before the
    worker accepts connections."""
    _fixed_mmap_threshold()
    if not warm_workers:
        return
    started = time.perf_counter()
    try:
        _warm(worker)
    except Exception:
        # Warming is an optimisation: a worker that could not do it still serves.
        worker.log.exception("Worker %s could not warm up", worker.pid)
        return
    worker.log.info(
        "Worker %s warmed in %.0f ms",
        worker.pid,
        (time.perf_counter() - started) * 1000,
    )


def _warm(worker) -> None:
    import django.forms
    from django.conf import settings
    from django.forms.renderers import get_default_renderer
    from django.template.loader import get_template
    from django.test import RequestFactory
    from django.urls import get_resolver

    # The URLconf imports every view module; resolving compiles its patterns,
    # and the reverse lookups ({% url %}, redirects) are indexed per namespace.
    resolver = get_resolver()
    resolver.resolve("/healthz/")
    resolvers = [resolver, *(sub for _prefix, sub in resolver.namespace_dict.values())]
    for each in resolvers:
        each.reverse_dict  # noqa: B018 (reading it builds it)
    # Compiled templates stay in the cached loaders: each of ours once, and
    # the form widgets' (the form renderer has an engine of its own).
    for directory in settings.TEMPLATES[0]["DIRS"]:
        for path in sorted(Path(directory).rglob("*.html")):
            get_template(str(path.relative_to(directory)))
    renderer = get_default_renderer()
    forms_templates = Path(django.forms.__file__).parent / "templates"
    for path in sorted(forms_templates.rglob("*.html")):
        renderer.get_template(str(path.relative_to(forms_templates)))
    # A request through the whole middleware stack, and a query (healthz asks
    # the database); on PostgreSQL the connection then stays open for the
    # first request, as CONN_MAX_AGE allows.
    host = next(
        (h.lstrip(".") for h in settings.ALLOWED_HOSTS if h != "*"), "localhost"
    )
    environ = RequestFactory().get("/healthz/", HTTP_HOST=host, secure=True).environ
    response = worker.wsgi(environ, lambda status, headers, exc_info=None: None)
    b"".join(response)
    response.close()
