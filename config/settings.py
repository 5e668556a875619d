"""Claimdesk settings: one module, driven by environment variables.

Development needs nothing: with no environment set, DEBUG is on, the database is
SQLite in ``db.sqlite3`` and a throwaway secret key is used. Production is
``DEBUG=0`` plus ``SECRET_KEY``, ``ALLOWED_HOSTS`` and usually ``DATABASE_URL``;
with DEBUG off the defaults are the safe ones (secure cookies, HSTS, no key).

The production shape (docs/operations/deployment.md): gunicorn (config/gunicorn.conf.py) serving
static files through whitenoise, PostgreSQL, ``TASKS_BACKEND=database`` with
``manage.py db_worker`` processes, and everything shared kept in the database (sessions,
the cache, queued tasks) or in storage (export files), so that any number of app servers
and workers can run side by side.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks_db",
    "config.apps.ClaimdeskConfig",
    "corpus",
    "annotate",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Static files straight from the app process, compressed and cacheable (no proxy needed).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # A NUL in a query string is a 400 before any filter sends it to the database.
    "common.text.QueryTextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Permissions-Policy, and Cache-Control: private, no-store for logged-in users.
    "config.middleware.SecurityHeadersMiddleware",
]

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
                "common.limits.template_context",
                "corpus.context_processors.switcher",
                "django.template.context_processors.csp",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# --- Database -------------------------------------------------------------------
# SQLite is the embedded default; PostgreSQL when DATABASE_URL is set.
SQLITE_PATH = os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3"))
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        )
    }
    # PostgreSQL's JIT compiler off (DATABASE_JIT=1 leaves the server's setting): the
    # whole-project reads (exports, networks, the stance map) pass its cost thresholds and
    # compiling took 0.3–1.7 s for queries that run in 0.5–1 s (bench/RESULTS.md).
    _pg_options = [] if os.environ.get("DATABASE_JIT", "0") == "1" else ["-c jit=off"]
    # A bound on any one statement (milliseconds; 0 = none), so that a runaway query cannot
    # hold a worker and its locks forever. Migrations that need longer: set it to 0.
    if statement_timeout := os.environ.get("DATABASE_STATEMENT_TIMEOUT", ""):
        _pg_options.append(f"-c statement_timeout={int(statement_timeout)}")
    if _pg_options:
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = " ".join(_pg_options)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                # WAL lets readers work while one annotator writes; IMMEDIATE takes the
                # write lock at BEGIN so that concurrent writers wait (busy timeout)
                # instead of failing halfway with "database is locked".
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Kept open between requests, as PostgreSQL's: a new connection costs more than
            # a small API request's queries (the file opened, Django's SQL functions
            # registered, the PRAGMAs above run).
            "CONN_MAX_AGE": int(os.environ.get("CONN_MAX_AGE", "60")),
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a check: revokes the user's API tokens whenever their password changes, on every
    # path (views, admin, manage.py changepassword) — see corpus/api_tokens.py.
    {"NAME": "corpus.api_tokens.RevokeTokensOnPasswordChange"},
]
# API tokens expire this many seconds after they are made (unset: never); an expired one is
# refused with 401 and POST /api/auth/token/ hands out a new one.
API_TOKEN_TTL = int(os.environ["API_TOKEN_TTL"]) if os.environ.get("API_TOKEN_TTL") else None
if API_TOKEN_TTL is not None and API_TOKEN_TTL <= 0:
    raise ImproperlyConfigured("API_TOKEN_TTL must be a positive number of seconds, or unset.")
# Personal API tokens (named, several per user: the user's page and /api/tokens/) note
# their last use at most this often, in seconds (one UPDATE per token per interval).
API_TOKEN_TOUCH_SECONDS = 60
# Invitation links (the project's team page) stop working this many days after they are made.
CLAIMDESK_INVITATION_DAYS = int(os.environ.get("CLAIMDESK_INVITATION_DAYS", "7"))
if CLAIMDESK_INVITATION_DAYS <= 0:
    raise ImproperlyConfigured("CLAIMDESK_INVITATION_DAYS must be a positive number of days.")

# After this many failed logins for one username from one address, refuse further tries
# for LOGIN_THROTTLE_SECONDS (login page and token API alike).
LOGIN_THROTTLE_FAILURES = int(os.environ.get("LOGIN_THROTTLE_FAILURES", "5"))
LOGIN_THROTTLE_SECONDS = int(os.environ.get("LOGIN_THROTTLE_SECONDS", "900"))
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "corpus:project-list"
LOGOUT_REDIRECT_URL = "login"

# --- E-mail -----------------------------------------------------------------------
# Invitations (and password resets) go out through Django's default mailer once one is
# configured: EMAIL_BACKEND=smtp (with EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
# EMAIL_HOST_PASSWORD, EMAIL_USE_TLS), console, or a backend's dotted path. Unset, the
# mailer is the dummy one, which sends nothing: the team page shows each invitation link to
# copy instead. (The tests' runner swaps every mailer for the in-memory one.)
_EMAIL_BACKENDS = {
    "": "django.core.mail.backends.dummy.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}
_email_backend = os.environ.get("EMAIL_BACKEND", "").strip()
_mailer: dict[str, object] = {"BACKEND": _EMAIL_BACKENDS.get(_email_backend, _email_backend)}
if _email_backend == "smtp":
    _mailer["OPTIONS"] = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("EMAIL_PORT", "25")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": 20,
    }
MAILERS = {"default": _mailer}
# No mail server is a supported setup (invitation links are copied by hand), not a
# deployment mistake: Django's deploy check that flags the dummy mailer stays quiet.
_QUIET_MAIL_CHECKS = [] if _email_backend else ["mail.E001"]
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "claimdesk@localhost")

# --- I18N -----------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Cache ----------------------------------------------------------------------
# The login throttle, the agreement report, its progress and the background export jobs
# live in the cache, so every app process and task worker must share it: the database
# cache in production (its table is made by ``migrate``, see config/apps.py). Development
# and the tests keep the per-process local-memory cache. CACHE_BACKEND=redis with
# CACHE_LOCATION=redis://… uses Django's Redis cache (install the ``redis`` package).
CACHE_BACKEND = os.environ.get("CACHE_BACKEND", "locmem" if DEBUG else "database")
_CACHE_BACKENDS = {
    "locmem": ("django.core.cache.backends.locmem.LocMemCache", "claimdesk"),
    "database": ("django.core.cache.backends.db.DatabaseCache", "claimdesk_cache"),
    "redis": ("django.core.cache.backends.redis.RedisCache", "redis://127.0.0.1:6379/0"),
}
if CACHE_BACKEND not in _CACHE_BACKENDS:
    raise ImproperlyConfigured(
        f"CACHE_BACKEND must be one of {', '.join(_CACHE_BACKENDS)}, not {CACHE_BACKEND!r}."
    )
CACHES = {
    "default": {
        "BACKEND": _CACHE_BACKENDS[CACHE_BACKEND][0],
        "LOCATION": os.environ.get("CACHE_LOCATION", _CACHE_BACKENDS[CACHE_BACKEND][1]),
    }
}
# Sessions stay in the database (Django's default engine): any app process serves any user.

# --- Background tasks -----------------------------------------------------------
# "immediate" runs a task inside the request that enqueues it (development, tests, one
# process); "database" stores it for the ``manage.py db_worker`` processes (django-tasks-db).
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "immediate")
_TASKS_BACKENDS = {
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
if TASKS_BACKEND not in _TASKS_BACKENDS:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be one of {', '.join(_TASKS_BACKENDS)}, not {TASKS_BACKEND!r}."
    )
TASKS = {"default": {"BACKEND": _TASKS_BACKENDS[TASKS_BACKEND], "QUEUES": ["default"]}}

# --- Files (export files) ---------------------------------------------------------
# Through Django's storage API: the filesystem under MEDIA_ROOT by default (shared by the
# app servers and workers, e.g. a network volume), or S3-compatible object storage with
# STORAGE_BACKEND=s3 (the ``s3`` extra: django-storages and boto3).
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "filesystem")
# Spools bigger than this go to a temporary file instead of memory: the background export
# writing its file, and a download reading it back from object storage.
EXPORT_SPOOL_BYTES = 8 * 1024 * 1024


def default_storage_settings(env: Mapping[str, str]) -> dict[str, object]:
    """``STORAGES["default"]`` for the STORAGE_BACKEND and S3_* variables in ``env``
    (tests/deploy/test_s3_storage.py calls it with an S3-compatible server's address)."""
    backend = env.get("STORAGE_BACKEND", "filesystem")
    if backend == "filesystem":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if backend != "s3":
        raise ImproperlyConfigured(f"STORAGE_BACKEND must be filesystem or s3, not {backend!r}.")
    if not env.get("S3_BUCKET"):
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs S3_BUCKET.")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env["S3_BUCKET"],
            "endpoint_url": env.get("S3_ENDPOINT_URL") or None,
            "region_name": env.get("S3_REGION") or None,
            # Credentials: S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY, or boto3's own chain
            # (AWS_* variables, instance roles) when unset.
            "access_key": env.get("S3_ACCESS_KEY_ID") or None,
            "secret_key": env.get("S3_SECRET_ACCESS_KEY") or None,
            "location": env.get("S3_PREFIX", ""),
            # Export files are private: downloads go through the app, which checks access;
            # the app never hands out the storage's URLs (signed ones, were it asked).
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            # Opening a stored file downloads it into a spool, which by default never
            # leaves memory: a big export's download would sit whole in a web worker.
            "max_memory_size": EXPORT_SPOOL_BYTES,
        },
    }


_default_storage = default_storage_settings(os.environ)

# --- Static files ---------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Third-party front-end code comes from the npm registry (package.json), never the repo.
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
    ("vendor/cytoscape", BASE_DIR / "node_modules" / "cytoscape" / "dist"),
]
# Whitenoise serves STATIC_ROOT (``collectstatic``), pre-compressed. STATIC_MANIFEST=1 adds
# content hashes to the names, so browsers may cache them forever; it needs collectstatic
# before the first request, which is why it is opt-in (scripts/serve-prod turns it on).
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", False)
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}

# --- Security -------------------------------------------------------------------
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HSTS preloading is a commitment a deployment makes for its whole domain (see
# hstspreload.org), so it stays opt-in (SECURE_HSTS_PRELOAD=1) and its check is quiet.
SILENCED_SYSTEM_CHECKS = ["security.W021", *_QUIET_MAIL_CHECKS]
# A load balancer probes /healthz over plain HTTP: answer it there, don't redirect it.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Content-Security-Policy, in development too (so that a violation shows before production).
# Every script and style sheet is one of our static files (htmx and Chart.js included, from
# npm): no inline <script>, no on*= attributes, no eval (htmx's allowEval is off, and its
# indicator <style> is in app.css instead: includeIndicatorStyles is off).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    # The nonce only for the few inline elements of Django's admin and the API docs page,
    # which mark them with {% csp_nonce_attr %}; a response that uses none sends none.
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    # style="…" attributes only (never <style> elements): a few templates size bars and
    # colour heat-map cells from data (width, flex-grow, background). An attribute's CSS
    # can't run script, and the values are numbers and colours the server computes.
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Browser features no page uses, switched off (config/middleware.py sends it).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Upper bounds on what one request may carry (clear 4xx instead of memory blow-ups).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024))
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# --- Claimdesk ------------------------------------------------------------------
# Called with (project=, articles=) after each imported file's new articles are stored
# (command, API upload): the suggester fills suggestions when the project has them on.
CLAIMDESK_AFTER_IMPORT = ["annotate.suggest.tasks.suggestions_after_import"]
# Called (with the project's id) once a gold claim is committed: the learned recommender's
# retraining, which does nothing unless RECOMMENDER_AUTO_RETRAIN is on.
CLAIMDESK_AFTER_GOLD = ["annotate.suggest.recommender_tasks.retrain_if_grown"]
# Cards other apps add to a project's page, for a user (corpus/sections.py): the clusters'
# card, shown to whoever may cluster in the project.
CLAIMDESK_PROJECT_SECTIONS = ["annotate.clusters.sections.cluster_section"]
# Who may create a project (and so become its manager): "everyone" (any logged-in user),
# "staff" (is_staff users), or "group:<name>" (members of that auth group; staff too).
CLAIMDESK_PROJECT_CREATORS = os.environ.get("CLAIMDESK_PROJECT_CREATORS", "everyone")
if not (
    CLAIMDESK_PROJECT_CREATORS in ("everyone", "staff")
    or (
        CLAIMDESK_PROJECT_CREATORS.startswith("group:")
        and CLAIMDESK_PROJECT_CREATORS[len("group:") :].strip()
    )
):
    raise ImproperlyConfigured(
        "CLAIMDESK_PROJECT_CREATORS must be everyone, staff or group:<name>, not "
        f"{CLAIMDESK_PROJECT_CREATORS!r}."
    )
# A worker gives back the memory a big request or task used once its RSS has grown by this
# many MB since it last did (common/memory.py); 0 turns it off.
CLAIMDESK_MEMORY_RELEASE_MB = int(os.environ.get("CLAIMDESK_MEMORY_RELEASE_MB", "32"))
# A gunicorn worker still above this many MB resident after giving memory back is replaced
# after its request (as GUNICORN_MAX_REQUESTS does); 0 turns it off.
CLAIMDESK_WORKER_RECYCLE_MB = int(os.environ.get("CLAIMDESK_WORKER_RECYCLE_MB", "150"))
# The largest article text accepted, in characters (code points).
CLAIMDESK_MAX_ARTICLE_CHARS = int(os.environ.get("CLAIMDESK_MAX_ARTICLE_CHARS", "2000000"))
# The most a project archive may inflate to, in bytes, all members together
# (``restore_project`` refuses a bigger one before writing anything; see
# annotate/exchange/archive_checks.py for the other bounds it derives).
CLAIMDESK_MAX_ARCHIVE_BYTES = int(os.environ.get("CLAIMDESK_MAX_ARCHIVE_BYTES", str(8 * 1024**3)))
# Article uploads (the Import page, POST /api/projects/{slug}/articles/import/): each file,
# and each file inside a .zip, at most CLAIMDESK_MAX_UPLOAD_FILE_BYTES; one upload at most
# CLAIMDESK_MAX_UPLOAD_BYTES all together (zips counted inflated) and
# CLAIMDESK_MAX_UPLOAD_FILES files (see corpus/uploads.py).
CLAIMDESK_MAX_UPLOAD_FILE_BYTES = int(
    os.environ.get("CLAIMDESK_MAX_UPLOAD_FILE_BYTES", str(DATA_UPLOAD_MAX_MEMORY_SIZE))
)
CLAIMDESK_MAX_UPLOAD_BYTES = int(os.environ.get("CLAIMDESK_MAX_UPLOAD_BYTES", str(200 * 1024**2)))
CLAIMDESK_MAX_UPLOAD_FILES = int(os.environ.get("CLAIMDESK_MAX_UPLOAD_FILES", "2000"))
# Adding articles by URL (corpus/fetch.py): each page at most this many bytes, fetched within
# this many seconds, at most this many URLs at once. Addresses that are not public
# (private, loopback, link-local, ...) are refused unless ALLOW_PRIVATE is on: the server must
# not be turned against its own network. Turn it on only for tests or a closed intranet.
CLAIMDESK_URL_FETCH_MAX_BYTES = int(
    os.environ.get("CLAIMDESK_URL_FETCH_MAX_BYTES", str(5 * 1024**2))
)
CLAIMDESK_URL_FETCH_TIMEOUT = float(os.environ.get("CLAIMDESK_URL_FETCH_TIMEOUT", "15"))
CLAIMDESK_URL_FETCH_MAX_URLS = int(os.environ.get("CLAIMDESK_URL_FETCH_MAX_URLS", "100"))
CLAIMDESK_URL_FETCH_ALLOW_PRIVATE = env_bool("CLAIMDESK_URL_FETCH_ALLOW_PRIVATE", False)
# The learned recommender (annotate/suggest/recommender.py): with auto-retrain on, a new
# gold claim queues a training once the labelled claims grew by this fraction since the
# last model (train it on a worker: TASKS_BACKEND=database).
RECOMMENDER_AUTO_RETRAIN = os.environ.get("RECOMMENDER_AUTO_RETRAIN", "") == "1"
RECOMMENDER_RETRAIN_GROWTH = float(os.environ.get("RECOMMENDER_RETRAIN_GROWTH", "0.2"))

# The language-model suggester (annotate/suggest/llm.py): any OpenAI-compatible chat
# endpoint (Ollama, vLLM, llama.cpp's server, hosted APIs). Projects can choose it once
# the base URL (…/v1) and the model are set. Prices are per 1,000 tokens, "in,out" or one
# price for both; empty: no cost accounting.
CLAIMDESK_LLM_BASE_URL = os.environ.get("CLAIMDESK_LLM_BASE_URL", "")
CLAIMDESK_LLM_MODEL = os.environ.get("CLAIMDESK_LLM_MODEL", "")
CLAIMDESK_LLM_API_KEY = os.environ.get("CLAIMDESK_LLM_API_KEY", "")
CLAIMDESK_LLM_TIMEOUT = float(os.environ.get("CLAIMDESK_LLM_TIMEOUT", "120"))
CLAIMDESK_LLM_MAX_RETRIES = int(os.environ.get("CLAIMDESK_LLM_MAX_RETRIES", "3"))
CLAIMDESK_LLM_MAX_CONCURRENCY = int(os.environ.get("CLAIMDESK_LLM_MAX_CONCURRENCY", "2"))
CLAIMDESK_LLM_MAX_TOKENS = int(os.environ.get("CLAIMDESK_LLM_MAX_TOKENS", "2048"))
CLAIMDESK_LLM_CHUNK_TOKENS = int(os.environ.get("CLAIMDESK_LLM_CHUNK_TOKENS", "2000"))
CLAIMDESK_LLM_RESPONSE_FORMAT = os.environ.get("CLAIMDESK_LLM_RESPONSE_FORMAT", "json_schema")
CLAIMDESK_LLM_PRICE_PER_1K = os.environ.get("CLAIMDESK_LLM_PRICE_PER_1K", "")

# --- REST framework ---------------------------------------------------------------
# The API under /api/ (config/api_urls.py). Errors are shaped by config/api_errors.py.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # The token first: an anonymous request is then told 401 with
        # "WWW-Authenticate: Token", not a bare 403.
        "corpus.api_permissions.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's JSON parser with a nesting limit (64 levels) and finite numbers only.
    "DEFAULT_PARSER_CLASSES": ["common.parsers.BoundedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "config.api_errors.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_METADATA_CLASS": None,
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Claimdesk API",
    "DESCRIPTION": (
        "Annotate who claims what in news and analysis articles.\n\n"
        "Log in with a token (POST /api/auth/token/, then `Authorization: Token <key>`) or "
        "the site's session. Offsets are half-open Unicode code-point ranges of an "
        "article's frozen text. Errors are JSON: `detail` and `code`, with `errors` (field "
        "→ messages) on a 400 and the current claim on a 409."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"AssignmentStatusEnum": "annotate.models.AssignmentStatus"},
    # PATCH bodies have their own required fields (a claim change needs its version).
    "COMPONENT_SPLIT_PATCH": False,
    # The ``<id:pk>`` path converter (common.params.IdConverter): ids up to 2**63 - 1.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1}
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api_errors.close_request_bodies",
    ],
    # The docs page's scripts come from a package (drf-spectacular-sidecar), not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Logging --------------------------------------------------------------------
# To stdout: one JSON object a line with LOG_FORMAT=json (the default with DEBUG off, for
# log collectors), plain text otherwise.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "config.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
