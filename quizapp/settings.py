"""quizapp settings: one file, driven by the environment.

Development defaults need no environment at all (SQLite, DEBUG on, a dev SECRET_KEY).
Production (DEBUG off) refuses to start without SECRET_KEY and ALLOWED_HOSTS.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# DJANGO_ENV=production: DEBUG off, SECRET_KEY and ALLOWED_HOSTS required, HTTPS only.
DJANGO_ENV = os.environ.get("DJANGO_ENV", "development").strip().lower()
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be 'development' or 'production', not {DJANGO_ENV!r}.")
PRODUCTION = DJANGO_ENV == "production"
DEBUG = env_bool("DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG cannot be on with DJANGO_ENV=production.")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set in the environment when DEBUG is off "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    # bandit: DEBUG only
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105  # nosec B105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must be set in the environment when DEBUG is off (comma-separated host names)."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "cards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "cards.accounts.backend.AuthenticationMiddleware",  # the user read with the session
    "cards.accounts.zones.TimeZoneMiddleware",  # pages in the user's own time zone
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failed logins per username + IP (web form and API token login alike).
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the signed-in user with one plain query (cards/accounts/backend.py).
    "cards.accounts.backend.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "cards.views.accounts.lockout_response"
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))

ROOT_URLCONF = "quizapp.urls"
WSGI_APPLICATION = "quizapp.wsgi.application"

# One engine for the product's pages: Jinja2 (quizapp/templating.py; templates in
# quizapp/jinja2/ and cards/jinja2/, every page extending layout.jinja). Chosen by measurement:
# Django's engine was about 0.38 ms of a 1.4 ms study request (docs/benchmarks.md). It comes
# first, so that our registration/* templates win over the admin's of the same names; the
# Django engine renders only the admin's and DRF's own templates.
# An undefined name in a template is an error in development and under tests (a typo fails
# the page and its test, rather than printing nothing or, with DEBUG, "{{ name }}"); in
# production it prints nothing.
STRICT_TEMPLATES = env_bool("STRICT_TEMPLATES", DEBUG or "pytest" in sys.modules)
TEMPLATES = [
    {
        "BACKEND": "quizapp.templating.Jinja2",  # Django's, plus "page.html#block" partials
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "quizapp" / "jinja2"],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "quizapp.templating.environment",
            "undefined": "jinja2.StrictUndefined" if STRICT_TEMPLATES else "jinja2.Undefined",
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cards.context_processors.nav",
                "cards.context_processors.csrf_once",
            ],
        },
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    },
]

# SQLite by default; DATABASE_URL (postgres://...) for PostgreSQL. Connections persist.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Two gunicorn workers write at once: WAL lets readers run beside the writer,
    # IMMEDIATE takes the write lock at BEGIN (no upgrade deadlock), and the busy
    # timeout makes a writer wait instead of failing with "database is locked".
    # Tests use a file, not memory, so tests with real threads share one database.
    # One file per test run (by process id), so two runs on one machine never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side binding lets psycopg prepare a statement the connection has run before
    # (prepare_threshold), so PostgreSQL parses it once; the study queue and the answer read
    # are also planned once (their generic plan, cards.selectors.fetch_all), which is most of
    # their cost (docs/benchmarks.md). Every other statement keeps PostgreSQL's own choice of
    # plan. Behind PgBouncer in transaction mode before 1.21, set DB_PREPARE_THRESHOLD=0.
    DATABASES["default"]["OPTIONS"] = {
        "server_side_binding": True,
        "prepare_threshold": int(os.environ.get("DB_PREPARE_THRESHOLD", "2")) or None,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Local memory by default (one process); with REDIS_URL, cache and sessions are shared by
# every app server, which is what lets them stay stateless behind a load balancer.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "cards.accounts.cached_sessions"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Database sessions, each read with its user in one query (cards/sessions).
    SESSION_ENGINE = "cards.accounts.sessions"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"  # cards.views.student.home: an instructor to /teach/, a student to /study/
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "quizapp" / "static"]  # site css, vendored htmx
# Development (and the test servers) serve straight from the source folders; production
# serves what collectstatic gathered, compressed and fingerprinted.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# Uploaded question images (cards.services.media), stored through Django's storage API:
# the filesystem under MEDIA_ROOT by default (Django serves MEDIA_URL itself only with DEBUG;
# in production the web server serves it, see README "Images"). Several servers share one
# S3-compatible bucket through django-storages instead: MEDIA_S3_BUCKET names it (the
# package is not a requirement; install it where it is used).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")
MEDIA_S3_BUCKET = os.environ.get("MEDIA_S3_BUCKET", "")
_MEDIA_STORAGE = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": os.environ.get("MEDIA_S3_ENDPOINT_URL") or None,
            "custom_domain": os.environ.get("MEDIA_S3_CUSTOM_DOMAIN") or None,
            "querystring_auth": False,
            "file_overwrite": False,
        },
    }
    if MEDIA_S3_BUCKET
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
)
_MEDIA_ORIGIN = "/".join(MEDIA_URL.split("/")[:3]) if MEDIA_URL.startswith("https://") else ""  # a bucket's
STORAGES = {
    "default": _MEDIA_STORAGE,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "quizapp <noreply@localhost>")

SESSION_COOKIE_AGE = 60 * 60 * 24 * 14  # two weeks, documented in README
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "cards.api.support.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "cards.api.support.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login": os.environ.get("THROTTLE_LOGIN", "20/min"),
        "answer": os.environ.get("THROTTLE_ANSWER", "120/min"),
        "import": os.environ.get("THROTTLE_IMPORT", "30/min"),
        "upload": os.environ.get("THROTTLE_UPLOAD", "60/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "quizapp API",
    "DESCRIPTION": "Study flashcards and quizzes scheduled by FSRS; author question banks.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Content-Security-Policy: nothing inline, nothing from elsewhere, never framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Authored images come only from MEDIA_URL (cards.core.rendering drops any other);
        # data: is for the API docs' own icons.
        "img-src": ["'self'", "data:", *([_MEDIA_ORIGIN] if _MEDIA_ORIGIN else [])],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Class analytics are a snapshot (cards/services/class_stats.py), made by "Recalculate now"
# or `refresh_class_stats` (never by a page view); older than this, the page says it is stale.
CLASS_STATS_MAX_AGE_MINUTES = int(os.environ.get("CLASS_STATS_MAX_AGE_MINUTES", "10"))

# Background tasks (cards/services/tasks.py) through django-tasks, the backport of Django 6's
# django.tasks. By default the database backend: enqueued tasks are rows that
# `manage.py db_worker` processes run (on SQLite beside one server, on PostgreSQL from as many
# machines as needed); `make run` starts one worker beside the server. TASKS_BACKEND=immediate
# runs each task at once in the process that enqueues it (the test suite's choice).
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "immediate" if "pytest" in sys.modules else "database")
if TASKS_BACKEND not in {"database", "immediate"}:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be 'database' or 'immediate', not {TASKS_BACKEND!r}.")
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend"
        if TASKS_BACKEND == "database"
        else "django_tasks.backends.immediate.ImmediateBackend"
    }
}
# A failing task is logged and enqueued again, up to this many attempts in all, after these
# delays (seconds; the immediate backend retries at once).
TASK_MAX_ATTEMPTS = int(os.environ.get("TASK_MAX_ATTEMPTS", "3"))
TASK_RETRY_DELAYS = (60, 600, 3600)
