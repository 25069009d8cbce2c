"""Project wiring. Per-store configuration lives in the database, not here.

Environment:
- ``DATABASE_URL``: PostgreSQL in production; default is SQLite (WAL) in ``var/``.
- ``ZABOTA_DEBUG=1``: development mode.
- ``ZABOTA_SECRET_KEY``: required when DEBUG is off outside the embedded default.
- ``ZABOTA_VAR_DIR``: where the embedded database, media and secret live (default ``var/``).
- ``ZABOTA_ALLOWED_HOSTS``: comma-separated host names.
- ``REDIS_URL``: switches the task backend and cache to Redis.
- ``ZABOTA_PUBLIC_URL``: the address customers reach this site at (links in e-mails).
- ``ZABOTA_RATE_LIMITS_OFF=1``: no rate limits, for load tests on loopback only.
"""

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ZABOTA_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Use the configured key, or one generated once and kept in var/ for the embedded setup."""
    configured = os.environ.get("ZABOTA_SECRET_KEY")
    if configured:
        return configured
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("ZABOTA_DEBUG") == "1"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ZABOTA_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(
        ","
    )
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    # Serves the API docs' Swagger UI from our own static files instead of a CDN.
    "ninja",
    "django_tasks_db",
    "zabota.core",
    "zabota.accounts",
    "zabota.commerce",
    "zabota.customers",
    "zabota.tickets",
    "zabota.sla",
    "zabota.automation",
    "zabota.routing",
    "zabota.channels.email",
    "zabota.webhooks",
    "zabota.notifications",
    "zabota.surveys",
    "zabota.chat",
    "zabota.callbacks",
    "zabota.api",
    "zabota.web",
    "zabota.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Records agents' activity (at most once a minute) for the automatic away.
    "zabota.routing.middleware.AgentActivityMiddleware",
    "zabota.accounts.middleware.AgentLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "zabota.urls"
WSGI_APPLICATION = "zabota.wsgi.application"
ASGI_APPLICATION = "zabota.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_database_url = os.environ.get("DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Under ASGI every request runs its sync code in a thread of its own, so persistent
        # per-thread connections (CONN_MAX_AGE) pile up until PostgreSQL refuses clients. A
        # process-wide psycopg pool bounds them: a request borrows a connection and returns it.
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": int(os.environ.get("ZABOTA_DB_POOL_SIZE", "10")),
            "timeout": 10,
        }
        DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "zabota.sqlite3"),
            "OPTIONS": {
                # WAL lets the web server read while the worker writes; IMMEDIATE avoids
                # "database is locked" upgrades from read to write inside transactions.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
            # A file, not SQLite's shared in-memory database: the browser tests' live server
            # answers requests in threads of their own, each with its own connection (Django
            # shares one in-memory connection between threads, which breaks under parallel
            # requests). pytest-xdist gives each worker its own file.
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:inbox"
LOGOUT_REDIRECT_URL = "web:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("ru", _("Russian")),
    ("pl", _("Polish")),
    ("hu", _("Hungarian")),
]
LOCALE_PATHS = [BASE_DIR / "zabota" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise expects it even before collectstatic
MEDIA_ROOT = VAR_DIR / "media"
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
WHITENOISE_USE_FINDERS = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

REDIS_URL = os.environ.get("REDIS_URL")
# Websockets (live chat): one process's memory in the embedded setup; Redis when several web
# processes must reach each other's sockets.
CHANNEL_LAYERS: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}
}
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        # redis-py 8 reads with a 5 s socket timeout by default, the same as
                        # the layer's blocking BZPOPMIN: an idle socket's receive then fails and
                        # the consumer closes (django/channels_redis#422). Longer than the pop.
                        "socket_timeout": 30,
                        # redis-py 8 caps a pool at 100 connections and fails (rather than
                        # waits) beyond: hundreds of sockets joining or leaving groups at once
                        # (a server restart) need more. Redis allows 10,000 clients.
                        "max_connections": 1000,
                    }
                ],
                # Frames beyond this many are dropped (default 100). channels-redis queues the
                # frames for all the sockets of one server process under one Redis key, so this
                # bounds a whole process's backlog: with 100, 37 of 752 messages of 40 busy
                # chats were lost (bench/chat.py, docs/benchmarks.md "Live chat").
                "capacity": 1000,
            },
        }
    }
if REDIS_URL:
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    INSTALLED_APPS.append("django_rq")
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Attachments larger than this are refused on upload (inbound channels keep them as a note).
ZABOTA_MAX_ATTACHMENT_BYTES = int(os.environ.get("ZABOTA_MAX_ATTACHMENT_BYTES", 25 * 1024 * 1024))
# Incoming e-mail: burst limit per sender (more → held for review).
# How many other events waiting for their first dispatch one dispatch task takes along: under
# load, one task then delivers the events of many transactions as one batch. Each listener's
# cost is mostly per batch (a query for all its events), so bigger batches go faster: with
# every listener over 100,000 open tickets, 850 events/s at 200 and 940 at 500 on the same data
# (bench/automation.py); a batch that fails is retried event by event.
ZABOTA_DISPATCH_TAKE_ALONG = int(os.environ.get("ZABOTA_DISPATCH_TAKE_ALONG", "500"))
# Online agents without activity for this many minutes become away (0: never).
ZABOTA_AUTO_AWAY_MINUTES = int(os.environ.get("ZABOTA_AUTO_AWAY_MINUTES", "15"))
ZABOTA_EMAIL_BURST_LIMIT = (20, 600)  # messages, seconds
# Largest raw e-mail the webhook accepts (oversized attachments stay in the raw mail).
ZABOTA_MAX_EMAIL_BYTES = int(os.environ.get("ZABOTA_MAX_EMAIL_BYTES", 64 * 1024 * 1024))
# Where customers reach this site: the base of the links in e-mails (no trailing slash).
ZABOTA_PUBLIC_URL = os.environ.get("ZABOTA_PUBLIC_URL", "http://localhost:8000").rstrip("/")
# Load tests only (bench/surveys.py): every request comes from 127.0.0.1, which the per-address
# limits of public endpoints would stop. Never set it on a server the public can reach.
ZABOTA_RATE_LIMITS_OFF = os.environ.get("ZABOTA_RATE_LIMITS_OFF", "") == "1"
# Live chat: concurrent chats of an agent without their own limit, and the seconds after which
# an agent socket that stopped answering its heartbeat no longer counts as someone present.
ZABOTA_CHAT_DEFAULT_CAPACITY = int(os.environ.get("ZABOTA_CHAT_DEFAULT_CAPACITY", "3"))
ZABOTA_CHAT_PRESENCE_SECONDS = 90
# Seconds after which another agent's "viewing this ticket" mark is considered stale.
ZABOTA_VIEWER_TTL_SECONDS = 30

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "zabota": {"level": "INFO"},
        # One line per task run is noise at our volumes; failures still log at ERROR.
        "django.tasks": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
    },
}
