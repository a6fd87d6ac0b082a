"""ytcms settings: everything comes from the environment (listed in docs/configuration.md).

With nothing set, the site runs embedded: SQLite in var/, the in-memory channel layer, local
file storage in var/media and the database task backend. DATABASE_URL, REDIS_URL and
S3_BUCKET_NAME switch on PostgreSQL, Redis and S3; nothing else changes.
"""

import secrets
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from core.env import database_from_url, env_bool, env_int, env_list, env_str, generated_secret

BASE_DIR = Path(__file__).resolve().parent.parent
# Runtime files (SQLite database, local media, logs); a relative path is taken from the project root.
VAR_DIR = BASE_DIR / env_str("YTCMS_VAR_DIR", "var")

# Off unless asked for: a forgotten variable must not put tracebacks with the settings (database
# and Redis passwords) on every error page. bin/run and bin/test turn it on for development.
DEBUG = env_bool("DEBUG", False)

# No key lives in the repository: production brings its own, and a development checkout gets a
# random one of its own in YTCMS_VAR_DIR on first use.
SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY is None:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off ytcms refuses to start without its own key; "
            "set SECRET_KEY to a random string of at least 50 characters. (For development set "
            "DEBUG=true instead, as bin/run and bin/test do: a key is then generated in YTCMS_VAR_DIR.)"
        )
    SECRET_KEY = generated_secret(VAR_DIR / "dev_secret_key", make=lambda: secrets.token_urlsafe(50))

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "channels",
    "django_tasks_db",
    "core.live",
    "core.audit",
    "channels_app",
    "videos",
    "reports",
    "syncs",
    # Development tools (the YouTube emulator, the demo loader): installed for their commands only.
    "devtools",
]

MIDDLEWARE = [
    # First, so every log line of the request (redirects and 404s included) carries its id.
    "core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF: a locked-out sign-in is refused before anything else looks at it.
    "core.middleware.LoginThrottleMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so its process_exception sees a view's database error first (503 / 409 pages).
    "core.middleware.DatabaseErrorMiddleware",
]

ROOT_URLCONF = "ytcms_site.urls"
ASGI_APPLICATION = "ytcms_site.asgi.application"

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
        },
    },
]

# ---- Database
DATABASE_URL = env_str("DATABASE_URL")
DATABASES = {
    "default": database_from_url(
        DATABASE_URL or "sqlite:///ytcms.sqlite3",
        base_dir=VAR_DIR,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql") and env_bool("DB_POOL", False):
    # psycopg's pool replaces persistent connections (Django requires CONN_MAX_AGE=0 with it).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": env_int("DB_POOL_MIN_SIZE", 1, minimum=0),
        "max_size": env_int("DB_POOL_MAX_SIZE", 10, minimum=1),
        "timeout": 10,
    }
if env_str("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded default must work on a fresh clone: create var/ on first use.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRESQL = DATABASES["default"]["ENGINE"].endswith("postgresql")

# ---- Channels
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # channels_redis blocks on Redis for 5 s per receive, and redis-py's default read
                # timeout is also 5 s: under CPU load consumers died and lost frames (bench/fanout.py).
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": env_str("REDIS_PREFIX", "ytcms"),
            },
        }
    }
else:
    # Inside the web server only: the task worker, the scheduler and commands reach its sockets
    # through the outbox table its relay reads (core/live/outbox.py).
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# ---- Tasks (django.tasks with the database backend; run `manage.py db_worker --queue-name '*'`)
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "reports", "syncs"],
    }
}

# ---- Storage: local disk by default, S3 when S3_BUCKET_NAME is set
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []

S3_BUCKET_NAME = env_str("S3_BUCKET_NAME")
AWS_REGION = env_str("AWS_REGION", "us-east-1")
AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL")
if S3_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET_NAME,
            "region_name": AWS_REGION,
            "endpoint_url": AWS_S3_ENDPOINT_URL,
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            "signature_version": "s3v4",
            "addressing_style": env_str("AWS_S3_ADDRESSING_STYLE", "auto"),
            "object_parameters": {"ServerSideEncryption": "AES256"},
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    # The manifest storage makes every page 500 until collectstatic has run, so only use it
    # where `make run` / deployment runs collectstatic (DEBUG off).
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# ---- Auth, i18n
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# ---- Security: production defaults that `check --deploy` agrees with
# SECURE_PROXY_SSL_HEADER is set with TRUSTED_PROXY_COUNT below: only a proxy of ours may say https.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# ---- Catalogue
# Region whose category table decides which categories are assignable (videoCategories.list).
YOUTUBE_REGION_CODE = env_str("YOUTUBE_REGION_CODE", "US")
# Largest selection one admin bulk edit may touch; bigger edits belong in a change set import.
BULK_EDIT_MAX_VIDEOS = env_int("BULK_EDIT_MAX_VIDEOS", 10000, minimum=1)

# ---- Logging: console + rotating file, plain or JSON lines, request id on each, secrets redacted
# (core/logging.py). Several processes (web workers, db_worker) may share one file; each
# rotates it on its own, so with more than one process prefer LOG_TO_FILE=false and the
# journal/container log, or give each process its own LOG_DIR.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}; use plain or json.")
LOG_DIR = VAR_DIR / env_str("LOG_DIR", "log")
LOG_TO_FILE = env_bool("LOG_TO_FILE", True)
LOG_MAX_BYTES = env_int("LOG_MAX_BYTES", 10 * 2**20, minimum=1024)
LOG_BACKUP_COUNT = env_int("LOG_BACKUP_COUNT", 10, minimum=0)
_log_handler_common = {
    "formatter": LOG_FORMAT,
    "filters": ["request_id", "client_error_without_traceback", "redact_secrets"],
}
_log_handlers = {"console": {"class": "logging.StreamHandler", **_log_handler_common}}
if LOG_TO_FILE:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    _log_handlers["file"] = {
        "class": "logging.handlers.RotatingFileHandler",
        "filename": str(LOG_DIR / "ytcms.log"),
        "maxBytes": LOG_MAX_BYTES,
        "backupCount": LOG_BACKUP_COUNT,
        "encoding": "utf-8",
        "delay": True,
        **_log_handler_common,
    }
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "core.logging.RequestIdFilter"},
        "client_error_without_traceback": {"()": "core.logging.ClientErrorTracebackFilter"},
        "redact_secrets": {"()": "core.logging.RedactSecretsFilter"},
    },
    "formatters": {
        "plain": {"()": "core.logging.PlainFormatter"},
        "json": {"()": "core.logging.JsonFormatter"},
    },
    "handlers": _log_handlers,
    "root": {"handlers": list(_log_handlers), "level": LOG_LEVEL},
    # Django's own default handlers for "django" would print its records a second time.
    "loggers": {"django": {"handlers": [], "level": "INFO", "propagate": True}},
}

# ---- YouTube
# The OAuth client of the Google Cloud project (web application type); its id also names the
# project whose quota the ledger counts, unless YOUTUBE_QUOTA_PROJECT names it.
YOUTUBE_CLIENT_ID = env_str("YOUTUBE_CLIENT_ID")
YOUTUBE_CLIENT_SECRET = env_str("YOUTUBE_CLIENT_SECRET")
# Only for public reads of videos whose content owner has no credential.
YOUTUBE_API_KEY = env_str("YOUTUBE_API_KEY")
YOUTUBE_QUOTA_PROJECT = env_str("YOUTUBE_QUOTA_PROJECT")
# Where every client sends its requests: Google by default, or the emulator (one URL serves the
# Data API, Content ID and Reporting there, so the other two follow YOUTUBE_API_ENDPOINT).
_YOUTUBE_ENDPOINT = env_str("YOUTUBE_API_ENDPOINT")
YOUTUBE_API_ENDPOINT = _YOUTUBE_ENDPOINT or "https://youtube.googleapis.com/"
YOUTUBE_PARTNER_API_ENDPOINT = env_str(
    "YOUTUBE_PARTNER_API_ENDPOINT", _YOUTUBE_ENDPOINT or "https://youtubepartner.googleapis.com/"
)
YOUTUBE_REPORTING_API_ENDPOINT = env_str(
    "YOUTUBE_REPORTING_API_ENDPOINT", _YOUTUBE_ENDPOINT or "https://youtubereporting.googleapis.com/"
)
YOUTUBE_TOKEN_URI = env_str("YOUTUBE_TOKEN_URI", "https://oauth2.googleapis.com/token")
YOUTUBE_AUTH_URI = env_str("YOUTUBE_AUTH_URI", "https://accounts.google.com/o/oauth2/auth")
# The callback URL registered with the OAuth client; by default built from the admin request.
YOUTUBE_OAUTH_REDIRECT_URI = env_str("YOUTUBE_OAUTH_REDIRECT_URI")
# "10,000 units per day" per Google Cloud project [doc determine_quota_cost]; the reserve is kept
# back so that the last units of a day are never spent by bulk work.
YOUTUBE_DAILY_QUOTA = env_int("YOUTUBE_DAILY_QUOTA", 10000, minimum=1)
YOUTUBE_QUOTA_RESERVE = env_int("YOUTUBE_QUOTA_RESERVE", 500, minimum=0)
if YOUTUBE_QUOTA_RESERVE >= YOUTUBE_DAILY_QUOTA:
    raise ImproperlyConfigured(
        f"YOUTUBE_QUOTA_RESERVE={YOUTUBE_QUOTA_RESERVE} leaves nothing of "
        f"YOUTUBE_DAILY_QUOTA={YOUTUBE_DAILY_QUOTA}; the reserve must be smaller than the budget."
    )
# Retries of one call on rate limits and server errors (exponential backoff with jitter).
YOUTUBE_MAX_RETRIES = env_int("YOUTUBE_MAX_RETRIES", 4, minimum=0)
# bin/run sets this when it serves the local emulator instead of Google; the admin says so.
YOUTUBE_EMULATOR = env_bool("YOUTUBE_EMULATOR", False)

# Fernet keys for secrets at rest (core/fields.py): the first encrypts, all decrypt.
ENCRYPTION_KEYS = env_list("ENCRYPTION_KEYS")
if not ENCRYPTION_KEYS and DEBUG:
    # A random key of this checkout's own, not one derived from SECRET_KEY: knowing (or leaking)
    # one key must not give away the other. With DEBUG off the first secret stored asks for it.
    ENCRYPTION_KEYS = [
        generated_secret(VAR_DIR / "dev_encryption_key", make=lambda: Fernet.generate_key().decode())
    ]
for _position, _key in enumerate(ENCRYPTION_KEYS, start=1):
    try:
        Fernet(_key)
    except ValueError:
        # Never echo the value: it is a secret, even when malformed.
        raise ImproperlyConfigured(
            f"ENCRYPTION_KEYS: key {_position} is not a Fernet key (32 url-safe base64 bytes). "
            'Generate one with python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"'
        ) from None

# ---- API
# /api/v1/ (Django REST framework), its OpenAPI schema at /api/schema/ and Swagger UI at /api/docs/.
# Swagger UI's files come from drf-spectacular-sidecar (our static files), so the docs work offline.
INSTALLED_APPS += ["drf_spectacular", "drf_spectacular_sidecar"]


def _api_rate(name: str, default: str) -> str:
    """A DRF throttle rate such as "2000/hour"; a typo must stop start-up, not disable a limit."""
    import re

    value = env_str(name, default)
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a rate; write requests/period, e.g. 2000/hour (period: "
            "second, minute, hour or day)."
        )
    return value


# Per user (all their tokens and their browser session together) and per token (one script
# cannot spend its owner's whole allowance); bulk edits have their own, smaller budget.
API_THROTTLE_USER = _api_rate("API_THROTTLE_USER", "2000/hour")
API_THROTTLE_TOKEN = _api_rate("API_THROTTLE_TOKEN", "1000/hour")
API_THROTTLE_BULK = _api_rate("API_THROTTLE_BULK", "60/hour")
# Largest request body the API reads; larger ones are refused with 413 before being read.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 1024 * 1024, minimum=1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "channels_app.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["channels_app.permissions.CatalogueReadPermission"],
    "DEFAULT_PARSER_CLASSES": ["core.api.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["channels_app.permissions.TokenRateThrottle", "core.api.UserRateThrottle"],
    # Documentation only: the throttles read API_THROTTLE_* when they run, so tests can change them.
    "DEFAULT_THROTTLE_RATES": {
        "user": API_THROTTLE_USER,
        "token": API_THROTTLE_TOKEN,
        "bulk": API_THROTTLE_BULK,
    },
    "DEFAULT_PAGINATION_CLASS": "core.api.KeysetCursorPagination",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "ytcms API",
    "DESCRIPTION": (
        "The catalogue of a YouTube CMS content owner, with the admin's rules: a user sees the "
        "channels and content owners of their memberships, viewers read, editors and managers "
        "write. Authenticate with `Authorization: Bearer <token>` (or `Token <token>`); tokens "
        "are made in the admin under API tokens. Errors are "
        '`{"errors": [{"field": ..., "code": ..., "message": ...}]}`. Lists are cursor '
        "pages: follow `next`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PrivacyStatusEnum": "videos.validation.PRIVACY_STATUSES",
        "LicenseEnum": "videos.validation.LICENSES",
    },
}

# ---- Reports (CMS report ingestion and edit sheets; docs/reports.md)
# ytcms_site as an app only for its management commands (reap_stale_tasks); it has no models.
INSTALLED_APPS += ["ytcms_site"]
# Where the S3 page looks for report files inside S3_BUCKET_NAME (uploads go to reports/uploads/).
S3_REPORTS_PREFIX = env_str("S3_REPORTS_PREFIX", "cms-reports/")
AWS_S3_ADDRESSING_STYLE = env_str("AWS_S3_ADDRESSING_STYLE", "auto")
# Largest file one admin upload may carry; checked while it streams in (reports.uploads).
REPORTS_MAX_UPLOAD_BYTES = env_int("REPORTS_MAX_UPLOAD_BYTES", 4 * 2**30, minimum=1)
FILE_UPLOAD_HANDLERS = [
    "reports.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Limits of the parser, whatever the source: file size, decompressed size, compression ratio
# (zip and gzip bombs), and the longest cell.
REPORTS_MAX_FILE_BYTES = env_int("REPORTS_MAX_FILE_BYTES", 20 * 2**30, minimum=1)
REPORTS_MAX_UNCOMPRESSED_BYTES = env_int("REPORTS_MAX_UNCOMPRESSED_BYTES", 100 * 2**30, minimum=1)
REPORTS_MAX_COMPRESSION_RATIO = env_int("REPORTS_MAX_COMPRESSION_RATIO", 200, minimum=1)
REPORTS_MAX_FIELD_CHARS = env_int("REPORTS_MAX_FIELD_CHARS", 100_000, minimum=1)
# Rows (and input bytes) per merged and committed chunk: the unit of progress and of resuming.
REPORTS_CHUNK_ROWS = env_int("REPORTS_CHUNK_ROWS", 10_000, minimum=1)
REPORTS_CHUNK_BYTES = env_int("REPORTS_CHUNK_BYTES", 32 * 2**20, minimum=1)
# Videos a preview (dry run) lists with their old -> new values; the counts cover every row.
REPORTS_PREVIEW_VIDEOS = env_int("REPORTS_PREVIEW_VIDEOS", 200, minimum=0)
# "auto": set-based SQL merge on PostgreSQL, ORM elsewhere; "python": the ORM reference everywhere.
REPORTS_MERGE_ENGINE = env_str("REPORTS_MERGE_ENGINE", "auto")
if REPORTS_MERGE_ENGINE not in ("auto", "python"):
    raise ImproperlyConfigured(f"REPORTS_MERGE_ENGINE={REPORTS_MERGE_ENGINE!r}; use auto or python.")
# Parse in one thread while PostgreSQL merges the previous chunk on its own connection.
REPORTS_PIPELINE = env_bool("REPORTS_PIPELINE", True)
# Task results RUNNING longer than this are stale (their worker was killed): the reaper requeues
# or fails them. Imports count from their last committed chunk, not from their start.
TASKS_STALE_AFTER_SECONDS = env_int("TASKS_STALE_AFTER_SECONDS", 900, minimum=1)
# Tasks safe to run again from the start (idempotent or resumable); other stale tasks fail.
TASKS_REQUEUE_ON_STALE = env_list(
    "TASKS_REQUEUE_ON_STALE",
    [
        "reports.tasks.report_ingest_task",
        # A push re-reads every video before writing, and a pull skips reports already claimed.
        "syncs.tasks.changeset_push_task",
        "reports.tasks.reports_pull_from_youtube",
        # The pull's path before it moved to reports (#17), for pulls queued before the move.
        "syncs.tasks.reports_pull_from_youtube",
    ],
)
# How many times a stale task is requeued before it is failed for good.
TASKS_MAX_REQUEUES = env_int("TASKS_MAX_REQUEUES", 3, minimum=0)

# ---- Operations: backups, health, logging, hardening (docs/operations.md, SECURITY.md)
from django.utils.csp import CSP  # noqa: E402

from ytcms_site.backups.config import backup_storage  # noqa: E402

if "ytcms_site" not in INSTALLED_APPS:
    # The backup and ops commands live in ytcms_site/management; the app has no models.
    INSTALLED_APPS += ["ytcms_site"]

# Backups: local var/backups, or the backups/ prefix of S3_BUCKET_NAME (SSE AES256, STANDARD_IA).
STORAGES["backups"] = backup_storage(
    var_dir=VAR_DIR,
    s3_bucket_name=S3_BUCKET_NAME,
    region_name=AWS_REGION,
    endpoint_url=AWS_S3_ENDPOINT_URL,
    addressing_style=env_str("AWS_S3_ADDRESSING_STYLE", "auto"),
)
# Rotation keeps the newest backup of each of the last N days and M months that have one.
BACKUP_KEEP_DAILY = env_int("BACKUP_KEEP_DAILY", 7, minimum=1)
BACKUP_KEEP_MONTHLY = env_int("BACKUP_KEEP_MONTHLY", 12, minimum=0)
# Where pg_dump/pg_restore live when the ones on PATH are not the server's major version.
PG_BIN_DIR = env_str("PG_BIN_DIR")
# Dumps are written here before upload (default: the system's temporary directory).
BACKUP_TMP_DIR = env_str("BACKUP_TMP_DIR")

# Health: /readyz fails when due tasks have waited longer than this and no worker took one.
READYZ_WORKER_MAX_AGE_SECONDS = env_int("READYZ_WORKER_MAX_AGE_SECONDS", 120, minimum=1)
READYZ_TIMEOUT_SECONDS = env_int("READYZ_TIMEOUT_SECONDS", 2, minimum=1)
# Load balancers probe over plain HTTP inside the network: no redirect to HTTPS for the probes.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# Admin sign-in throttling (core.middleware.LoginThrottleMiddleware).
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900, minimum=1)
# Failures from one address whatever the usernames (one address trying many accounts); higher,
# since an office or a carrier NAT puts many people behind one address.
LOGIN_FAILURE_LIMIT_PER_ADDRESS = env_int("LOGIN_FAILURE_LIMIT_PER_ADDRESS", 50, minimum=1)
# How many proxies of ours append to X-Forwarded-For in front of the site (0: use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
# X-Forwarded-Proto is believed only when a proxy of ours is declared to set it; without one, any
# client could send it and make a plain-HTTP request pass for HTTPS (secure cookies, no redirect).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None
# Failures must be counted across processes, so the counter lives in Redis when there is one.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    **globals().get("CACHES", {}),
    # Sign-in and API throttle counters: shared by every web process when Redis is there, else a
    # client would get N times its allowance from N processes.
    "throttles": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "ytcms",
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttles"}
    ),
    # The admin dashboard's figures are recounted by the task worker (another process), so they
    # live where the worker and every web process read them: Redis, else files beside the database.
    "dashboard": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "ytcms",
        }
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache" / "dashboard"),
        }
    ),
}
LOGIN_THROTTLE_CACHE = "throttles"
API_THROTTLE_CACHE = "throttles"

# Rotating SECRET_KEY: put the old key here while sessions and signed links made with it expire.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")

# Content Security Policy (Django's built-in middleware). Scripts only from our own origin (the
# admin's are all files; a nonce is there for inline scripts that need one). Inline styles stay
# allowed: two admin templates carry style blocks/attributes, and CSS cannot run code.
# connect-src 'self' covers ws:/wss: to the same host for the live updates.
_form_action = [CSP.SELF]
if _auth_uri := globals().get("YOUTUBE_AUTH_URI"):
    # The YouTube "connect" form posts to us and is redirected to Google's consent page, and
    # browsers apply form-action to that redirect too.
    from urllib.parse import urlsplit  # noqa: E402

    _form_action.append("{0.scheme}://{0.netloc}".format(urlsplit(_auth_uri)))
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    # data: images only (CSS can draw them, nothing runs): Swagger UI's icons are data: SVGs.
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": _form_action,
}
# The nonce must reach the templates ({% csp_nonce_attr %}); check --deploy warns otherwise.
TEMPLATES[0]["OPTIONS"]["context_processors"].append("django.template.context_processors.csp")

# Upload limits: request bodies other than files (forms, JSON) are refused above
# DATA_UPLOAD_MAX_MEMORY_SIZE; uploaded files above FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary
# file instead of memory (the largest upload is REPORTS_MAX_UPLOAD_BYTES; the proxy should cap
# request bodies at that size too).
# Django's defaults, made explicit and adjustable: 2.5 MiB and 1,000 fields.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2621440, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2621440, minimum=1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 1000, minimum=100)

# ---- Change sets (syncs/changesets)
# Four-eyes rule: change sets touching privacy or license need a second manager's approval.
CHANGESET_FOUR_EYES = env_bool("CHANGESET_FOUR_EYES", False)
# Attempts of one item on retryable YouTube errors before it is failed for good.
CHANGESET_MAX_ATTEMPTS = env_int("CHANGESET_MAX_ATTEMPTS", 3, minimum=1)
# Scheduling a change set whose push would not fit its Pacific day's budget: refuse, or warn and
# schedule anyway (the push then defers what the day cannot pay for, as any push does).
CHANGESET_SCHEDULE_OVERBOOK = env_str("CHANGESET_SCHEDULE_OVERBOOK", "refuse")
if CHANGESET_SCHEDULE_OVERBOOK not in ("refuse", "warn"):
    raise ImproperlyConfigured(
        f"CHANGESET_SCHEDULE_OVERBOOK must be refuse or warn, not {CHANGESET_SCHEDULE_OVERBOOK!r}."
    )

# ---- Reporting API pull and the daily scheduler (reports/youtube_pull.py, ytcms_site/scheduler.py)


def _hour_utc(name: str, default: int | None) -> int | None:
    """An hour of the UTC day (0–23) at which a daily job runs; "off" disables the job."""
    value = env_str(name)
    if value is None:
        return default
    if value.strip().lower() == "off":
        return None
    if not value.strip().isdigit() or not 0 <= int(value) <= 23:
        raise ImproperlyConfigured(f"{name}={value!r}: give an hour of the UTC day, 0 to 23, or off.")
    return int(value)


# `manage.py scheduler` enqueues the Reporting API pull once a day from this hour (UTC) on.
REPORT_PULL_HOUR_UTC = _hour_utc("REPORT_PULL_HOUR_UTC", 9)
# Import only the newest new "Daily video metadata" report and record older ones as skipped.
REPORT_PULL_ONLY_NEWEST = env_bool("REPORT_PULL_ONLY_NEWEST", True)
# A report download without progress this long belongs to a killed run; another run may take it.
REPORT_PULL_STALE_SECONDS = env_int("REPORT_PULL_STALE_SECONDS", 3600, minimum=60)
# Failed downloads of one report are tried again by later runs this many times in all.
REPORT_PULL_MAX_ATTEMPTS = env_int("REPORT_PULL_MAX_ATTEMPTS", 3, minimum=1)
# ... and the daily operations run (ops_daily: backup, verify, rotate) from this hour (UTC) on.
OPS_DAILY_HOUR_UTC = _hour_utc("OPS_DAILY_HOUR_UTC", 3)
# A backup leaves no heartbeat: the reaper leaves a running ops_daily alone for this long.
OPS_DAILY_MAX_SECONDS = env_int("OPS_DAILY_MAX_SECONDS", 6 * 3600, minimum=60)
# How often the scheduler loop looks for due jobs.
SCHEDULER_INTERVAL_SECONDS = env_int("SCHEDULER_INTERVAL_SECONDS", 60, minimum=1)

# ---- API: reports, change sets, audit trail (ytcms_site/api.py api_router)
# Several models have a "status" field with its own choices: each gets a named enum in the schema.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    **SPECTACULAR_SETTINGS.get("ENUM_NAME_OVERRIDES", {}),
    "ClaimStatusEnum": "videos.models.Claim.Status",
    "ReportStatusEnum": "reports.models.Report.Status",
    "ChangeSetStatusEnum": "syncs.models.ChangeSet.Status",
    "ChangeSetItemStatusEnum": "syncs.models.ChangeSetItem.Status",
    "SyncRecordStatusEnum": "syncs.models.SyncRecord.Status",
}

# ---- Report ingest: bulk mode (reports/pipeline.py, reports/merge_postgres.py)
# A PostgreSQL import whose first chunk shows it will add at least this many rows, and new
# videos amounting to at least REPORTS_BULK_MIN_PERCENT of the catalogue's current size, drops
# the catalogue's secondary indexes and builds them once at the end. 0 turns bulk mode off.
REPORTS_BULK_MIN_ROWS = env_int("REPORTS_BULK_MIN_ROWS", 100_000, minimum=0)
REPORTS_BULK_MIN_PERCENT = env_int("REPORTS_BULK_MIN_PERCENT", 100, minimum=0)
