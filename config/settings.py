"""Apparatus settings: one file, configured by environment variables.

Production differs from development only by its variables (docs/deploy.md lists
them). Values production cannot do without fail loudly when they are missing.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(
        f"{name} must be a boolean (1/0, true/false), not {value!r}"
    )


def env_list(name: str, default: str = "") -> list[str]:
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a whole number, not {value!r}"
        ) from None


DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off "
            "(see docs/deploy.md)."
        )
    SECRET_KEY = "insecure-development-key-never-used-with-debug-off"  # noqa: S105

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else ""
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "axes",
    "corpus",
    "annotations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages go out compressed to browsers that accept it (static files come
    # compressed from WhiteNoise, above). Django's adds random bytes to each
    # answer against BREACH, which the CSRF tokens in our pages call for.
    "config.middleware.CompressMiddleware",
    # Outside the session and CSRF middleware, so it sees the cookies they set.
    "config.middleware.PrivateCacheMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "config.request_checks.RejectNulMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Writes run in one transaction each (its process_view wraps the view).
    "config.request_checks.AtomicWritesMiddleware",
    # Last, as axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# What each worker may keep in memory of the documents read lately: their
# texts, and their renderings with highlights, this many MB each (corpus.bodycache).
BODY_CACHE_MB = int(os.environ.get("APPARATUS_BODY_CACHE_MB", "64"))

# The gzip level of pages (config.middleware.CompressMiddleware): 1 (fastest)
# to 9 (smallest).
GZIP_LEVEL = int(os.environ.get("APPARATUS_GZIP_LEVEL", "1"))

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # {% load tag_colours %}: the link to a project's tag stylesheet.
            "libraries": {"tag_colours": "annotations.styles"},
        },
    },
]

# Django's form renderer, with <select> written without a template per option.
FORM_RENDERER = "config.form_renderer.QuickSelectRenderer"

WSGI_APPLICATION = "config.wsgi.application"

# Database: SQLite under var/ unless DATABASE_URL names another (PostgreSQL).
VAR_DIR = Path(os.environ.get("APPARATUS_VAR_DIR", BASE_DIR / "var"))
SQLITE_OPTIONS = {
    # Several gunicorn workers write to one file: WAL lets readers go on while
    # one writes, IMMEDIATE takes the write lock at BEGIN (so a transaction never
    # has to upgrade a read lock and fail), and the timeout makes a second writer
    # wait instead of answering "database is locked".
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
    ),
}
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
    else:
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "apparatus.sqlite3",
            "OPTIONS": dict(SQLITE_OPTIONS),
            # A worker keeps its connection (and the PRAGMAs it was opened
            # with) from one request to the next, as with DATABASE_URL.
            "CONN_MAX_AGE": 600,
            # The test database is a file too, as in use: concurrent tests
            # then meet SQLite's real locking (WAL, busy timeout), not the
            # table locks of a shared in-memory database.
            "TEST": {"NAME": VAR_DIR / "test-apparatus.sqlite3"},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "corpus:project_list"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling (django-axes; config/throttling.py, docs/deploy.md): after
# a few wrong passwords for one username (whether or not it exists), or more
# from one address, sign-in is refused for a while, before any password is
# checked; a successful sign-in forgets that account's failures.
# Django's database sessions, their read prepared once per worker.
SESSION_ENGINE = "config.sessions"

AUTHENTICATION_BACKENDS = [
    "config.throttling.SignInThrottleBackend",
    "config.sessions.AccountBackend",  # Django's ModelBackend, read prepared
]
AXES_HANDLER = "config.throttling.SignInThrottleHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = env_int("APPARATUS_SIGNIN_FAILURES_PER_ACCOUNT", 5)
APPARATUS_SIGNIN_FAILURES_PER_ADDRESS = env_int(
    "APPARATUS_SIGNIN_FAILURES_PER_ADDRESS", 20
)
APPARATUS_SIGNIN_LOCKOUT_MINUTES = env_int("APPARATUS_SIGNIN_LOCKOUT_MINUTES", 15)
AXES_COOLOFF_TIME = timedelta(minutes=APPARATUS_SIGNIN_LOCKOUT_MINUTES)
if (
    min(
        AXES_FAILURE_LIMIT,
        APPARATUS_SIGNIN_FAILURES_PER_ADDRESS,
        APPARATUS_SIGNIN_LOCKOUT_MINUTES,
    )
    < 1
):
    # 0 would not mean "no limit" but "refuse everyone" or "never lock".
    raise ImproperlyConfigured(
        "APPARATUS_SIGNIN_FAILURES_PER_ACCOUNT, APPARATUS_SIGNIN_FAILURES_PER_ADDRESS "
        "and APPARATUS_SIGNIN_LOCKOUT_MINUTES must be 1 or more."
    )
# Attempts during a lockout are neither counted nor extend it: it ends one
# cool-off after the failure that started it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.throttling.lockout_response"
AXES_CLIENT_IP_CALLABLE = "config.throttling.client_address"
AXES_USERNAME_CALLABLE = "config.throttling.username_typed"
# Only the failures are needed; a record of every sign-in is not.
AXES_DISABLE_ACCESS_LOG = True
# No banner on every manage.py command; failures and lockouts are still logged.
AXES_VERBOSE = False
# The proxies whose X-Forwarded-For is believed: the same list gunicorn trusts.
APPARATUS_TRUSTED_PROXIES = env_list("APPARATUS_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "var" / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploads: one file may not exceed the import limit; the request as a whole may
# carry a batch of them.
APPARATUS_MAX_UPLOAD_BYTES = env_int("APPARATUS_MAX_UPLOAD_BYTES", 5 * 1024 * 1024)
APPARATUS_MAX_FILES_PER_BATCH = env_int("APPARATUS_MAX_FILES_PER_BATCH", 50)
FILE_UPLOAD_MAX_MEMORY_SIZE = APPARATUS_MAX_UPLOAD_BYTES
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = APPARATUS_MAX_FILES_PER_BATCH

# Backups restored through the web: the largest archive taken, and where it
# waits for the background worker (on the same machine as the web workers).
APPARATUS_MAX_BACKUP_BYTES = env_int("APPARATUS_MAX_BACKUP_BYTES", 512 * 1024 * 1024)
APPARATUS_RESTORE_DIR = Path(
    os.environ.get("APPARATUS_RESTORE_DIR", VAR_DIR / "restores")
)
# Large exports, written by the background worker, wait here to be downloaded.
APPARATUS_EXPORT_DIR = Path(os.environ.get("APPARATUS_EXPORT_DIR", VAR_DIR / "exports"))

# Background work (django-tasks with its database backend, so no other service):
# large uploads are read and imported by `manage.py db_worker`, which
# `make run` starts beside the development server (docs/deploy.md: its unit).
INSTALLED_APPS += ["django_tasks_db"]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Email (invitations, password resets): SMTP when DJANGO_EMAIL_HOST is set;
# otherwise printed on the console in debug (make run), and not sent at all when
# hosted: an owner then passes invitation links on by hand, and password reset
# by email is unavailable (APPARATUS_SENDS_EMAIL says which). In tests, Django's
# locmem backend (mail.outbox).
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "")
EMAIL_USE_SSL = env_bool("DJANGO_EMAIL_USE_SSL", False)  # implicit TLS (465)
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", not EMAIL_USE_SSL)  # STARTTLS
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 465 if EMAIL_USE_SSL else 587)
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
# A mail server that stops answering must not hold a worker until gunicorn
# kills it: the request gives up and says the mail was not sent.
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_USE_SSL and EMAIL_USE_TLS:
        raise ImproperlyConfigured(
            "DJANGO_EMAIL_USE_SSL and DJANGO_EMAIL_USE_TLS cannot both be on: "
            "SSL for port 465, TLS (STARTTLS) for 587."
        )
    if not DEFAULT_FROM_EMAIL:
        raise ImproperlyConfigured(
            "DJANGO_DEFAULT_FROM_EMAIL is required with DJANGO_EMAIL_HOST: the "
            "address mails are sent from (see docs/deploy.md)."
        )
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
APPARATUS_SENDS_EMAIL = bool(EMAIL_HOST) or DEBUG
DEFAULT_FROM_EMAIL = DEFAULT_FROM_EMAIL or "Apparatus <apparatus@localhost>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security: secure by default when not debugging; a proxy terminates TLS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts, styles and everything else from
# this origin only; no inline script, style or handler anywhere, so injected
# markup can neither run nor restyle the page. Tag colours come from a
# stylesheet (annotations/styles.py). Images may also be data: URLs, which
# cannot run anything.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        "img-src": [csp.SELF, "data:"],
        "connect-src": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
        "base-uri": [csp.NONE],
        "object-src": [csp.NONE],
    }
}
SILENCED_SYSTEM_CHECKS = [
    # HSTS preload is an irreversible, domain-wide decision left to the operator
    # (DJANGO_SECURE_HSTS_PRELOAD); docs/deploy.md explains it.
    "security.W021",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO"),
    },
    # axes logs every sign-in at INFO; its failures and lockouts are WARNINGs.
    "loggers": {"axes": {"level": "WARNING"}},
}
