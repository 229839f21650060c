"""gunicorn settings for production: `make serve`, or
`gunicorn -c config/gunicorn.py config.wsgi` (docs/deploy.md).

Everything an operator may want to change comes from the environment.
"""

import os

import gunicorn

# Where to listen. Behind a reverse proxy on the same host the default is right;
# give "0.0.0.0:8000" or "unix:/run/apparatus/gunicorn.sock" otherwise.
bind = os.environ.get("APPARATUS_BIND", "127.0.0.1:8000").split(",")

# Synchronous workers: the usual 2 x cores + 1, capped so a big host does not
# open more database connections than PostgreSQL allows by default.
workers = int(
    os.environ.get("APPARATUS_WORKERS") or min(2 * (os.cpu_count() or 1) + 1, 12)
)

# A worker busy longer than this (a large import, say) is killed and restarted.
timeout = int(os.environ.get("APPARATUS_WORKER_TIMEOUT") or 60)
graceful_timeout = 30
# The proxy keeps connections open to us; hold them a little longer than the
# one-request default.
keepalive = 5
# Restart workers now and then so a slow leak never grows large.
max_requests = 1000
max_requests_jitter = 100

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
