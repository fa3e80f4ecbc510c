"""e-Home settings: one module, the environment decides the profile.

Unset variables give the embedded default (SQLite under var/, local-memory cache,
django-tasks-db queue, database search, media under var/media/). Setting DATABASE_URL,
REDIS_URL, ELASTICSEARCH_URL or AWS_STORAGE_BUCKET_NAME switches each service to its
production form; DJANGO_ENV=production turns on the deploy hardening. See README.md.

Over 500 lines on purpose: DESIGN.md asks for ONE settings module whose profile the
environment decides, so every setting and the reason for its value stay in one place
(sections: core, database, cache, tasks, storage, security, wagtail, API, academy, media).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

from core.dev_guard import install_secret_key
from core.env import env, env_bool, env_int, env_list, env_required

BASE_DIR = Path(__file__).resolve().parent.parent
# pytest sets PYTEST_VERSION before Django reads these settings (a conftest would be too
# late): tests get their own var/ and run tasks inline on every profile.
TESTING = "PYTEST_VERSION" in os.environ
# Under pytest-xdist (`make test` runs the suite in parallel) each worker process gets its
# own var/test/<worker>/ and cache keys; pytest-django gives it its own test database.
TEST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "") if TESTING else ""
VAR_DIR = Path(
    env("EHOME_VAR_DIR", str(BASE_DIR / "var" / ("test" if TESTING else "") / TEST_WORKER))
)

DJANGO_ENV = env("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    SECRET_KEY = env_required("DJANGO_SECRET_KEY")
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        env_required("DJANGO_ALLOWED_HOSTS")
    DEBUG = False
else:
    # No key in code: without DJANGO_SECRET_KEY, this install's own random key, made on
    # first start under var/ (core.dev_guard); production requires DJANGO_SECRET_KEY.
    SECRET_KEY = env("DJANGO_SECRET_KEY") or install_secret_key(VAR_DIR)
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["*"])
    DEBUG = env_bool("DJANGO_DEBUG", False)

CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Member records: field encryption keys (Fernet, comma-separated, the first encrypts, all
# decrypt; core.encryption, docs/operations.md "Member record keys"). Without
# them the development profile and the tests use a key derived from SECRET_KEY;
# production refuses to start (system check organizations.E101).
EHOME_FIELD_ENCRYPTION_KEYS = env_list("EHOME_FIELD_ENCRYPTION_KEYS")
EHOME_FIELD_ENCRYPTION_DEV_KEY = not PRODUCTION and (
    DEBUG or TESTING or DJANGO_ENV == "development"
)
# the consent policy members agree to (organizations.records); bump on every change
EHOME_PRIVACY_POLICY_VERSION = env("EHOME_PRIVACY_POLICY_VERSION", "2026-12")

INSTALLED_APPS = [
    # project apps, lowest layer first (core <- organizations <- notifications <-
    # media_pipeline <- cms, elearning <- interaction, publications, supervision, care,
    # dues <- search <- api, portal; pyproject.toml [tool.importlinter] checks it)
    "core",
    "organizations",
    "notifications",
    "media_pipeline",
    "cms",
    "elearning",
    "interaction",
    "publications",
    "supervision",
    "care",
    "dues",
    "search",
    "api",
    # wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.locales",
    "wagtail",
    "modelcluster",
    "taggit",
    "treebeard",
    # api
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI for /api/docs/, served as our own static files
    "django_filters",
    # tasks
    "django_tasks",
    "django_tasks_db",
    # django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # another unit's page is a missing page in every page admin view
    "cms.middleware.PageAdminScopeMiddleware",
    # no admin route publishes unit content around review (cms.review)
    "cms.middleware.ReviewGateMiddleware",
    # a publication refused because of its outlet is a message, not an error page
    "cms.middleware.OutletRefusalMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    # Health checks: a reused connection that dropped (server restart, failover,
    # pg_terminate_backend) is replaced at the first query of the next request or task.
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, its health check without a round trip (core/backends/postgresql)
        DATABASES["default"]["ENGINE"] = "core.backends.postgresql"
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "ehome.sqlite3",
            # WAL: readers never wait for the writer. IMMEDIATE: every transaction takes
            # the write lock at BEGIN, so a read-then-write transaction never fails on a
            # lock upgrade; writers queue for up to `timeout` seconds (SQLite's busy
            # timeout), then core.middleware answers 503 + Retry-After, never 500.
            "OPTIONS": {
                "timeout": float(env("EHOME_SQLITE_TIMEOUT", "20")),
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "TEST": {"NAME": env("EHOME_SQLITE_TEST_NAME")},
        }
    }
# "database is locked" (the busy timeout ran out) → 503 with Retry-After, not 500.
MIDDLEWARE += ["core.middleware.DatabaseBusyMiddleware"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
# Hot single statements (core.db.fetchone_prepared, e.g. the progress report) run as
# server-side prepared statements: parsed and planned once per connection. Set false
# behind a transaction-pooling PgBouncer that does not track prepared statements.
EHOME_DB_PREPARE = env_bool("EHOME_DB_PREPARE", default=True)
if IS_POSTGRES and EHOME_DB_PREPARE:
    # Django turns psycopg's prepared statements off (threshold None). Django's own
    # cursors bind on the client and never prepare whatever the threshold; this lets the
    # explicit `prepare=True` of core.db work and never prepares anything implicitly.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1

# --- cache and task queue ------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
# Redis unavailable → the cache degrades instead of failing (core/cache.py): each
# connect and each reply waits at most EHOME_REDIS_TIMEOUT seconds, and after a failure a
# process leaves Redis alone for EHOME_REDIS_RETRY_SECONDS (docs/operations.md).
EHOME_REDIS_TIMEOUT = float(env("EHOME_REDIS_TIMEOUT", "0.5"))
EHOME_REDIS_RETRY_SECONDS = float(env("EHOME_REDIS_RETRY_SECONDS", "5"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",  # one redis client per pool
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "-".join(filter(None, [env("EHOME_CACHE_PREFIX", "ehome"), TEST_WORKER])),
        }
    }
    INSTALLED_APPS += ["django_rq"]
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3 * 3600}}
    # Workers must run jobs with django-tasks-rq's job class (also for a bare `rqworker`).
    RQ = {"JOB_CLASS": "django_tasks_rq.Job"}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    # One cache for every process of the install (web, worker, commands): files under
    # var/cache/ (core.cache.SharedFileCache). A per-process cache would keep serving
    # versions, login states and counters another process has changed.
    CACHES = {
        "default": {
            "BACKEND": "core.cache.SharedFileCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# /healthz reports the queue "degraded" when a job failed within the window (seconds) or
# the oldest job that is due has waited longer than the stuck threshold (seconds).
EHOME_TASKS_HEALTH_FAILURE_WINDOW = env_int("EHOME_TASKS_HEALTH_FAILURE_WINDOW", 900)
EHOME_TASKS_HEALTH_STUCK_SECONDS = env_int("EHOME_TASKS_HEALTH_STUCK_SECONDS", 600)
# EHOME_TASKS_IMMEDIATE=0 keeps the real queue for a test run that wants it.
if env_bool("EHOME_TASKS_IMMEDIATE", default=TESTING):
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# --- auth -----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
# Ending logins (organizations.logins): a session from before "log out everywhere" or a
# deactivation is logged out on its next request.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "organizations.logins.LoginSessionMiddleware",
)
# Failed-login limits of every login form and the API's token endpoints
# (api.login_throttle), per account and per client address: "count/period".
EHOME_LOGIN_LIMIT_ACCOUNT = env("EHOME_LOGIN_LIMIT_ACCOUNT", "5/5m")
EHOME_LOGIN_LIMIT_ADDRESS = env("EHOME_LOGIN_LIMIT_ADDRESS", "30/5m")
WAGTAILADMIN_USER_LOGIN_FORM = "api.login_throttle.ThrottledWagtailLoginForm"
# How many reverse proxies (load balancer, nginx, CDN) stand before Django and append to
# X-Forwarded-For: the client address is the N-th entry from the right
# (core.client_ip); 0 = ignore the header, REMOTE_ADDR is the client.
EHOME_TRUSTED_PROXY_COUNT = env_int("EHOME_TRUSTED_PROXY_COUNT", 0)

# --- i18n -----------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
WAGTAIL_CONTENT_LANGUAGES = [("zh-hans", "简体中文")]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- static and media -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("EHOME_STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [p for p in [BASE_DIR / "static", BASE_DIR / "node_modules"] if p.exists()]
MEDIA_URL = env("EHOME_MEDIA_URL", "/media/")
MEDIA_ROOT = Path(env("EHOME_MEDIA_ROOT", str(VAR_DIR / "media")))

AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL")
AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", "us-east-1")
AWS_QUERYSTRING_AUTH = env_bool("AWS_QUERYSTRING_AUTH", True)
AWS_QUERYSTRING_EXPIRE = env_int("AWS_QUERYSTRING_EXPIRE", 3600)
AWS_S3_SIGNATURE_VERSION = "s3v4"  # presigned URLs carry X-Amz-Expires; v2 is deprecated
AWS_DEFAULT_ACL = None
AWS_S3_FILE_OVERWRITE = False

if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {"BACKEND": "core.files.MediaS3Storage"}
else:
    _default_storage = {"BACKEND": "core.files.MediaFileSystemStorage"}
# File protection (core/files.py, docs/operations.md "File protection"): only names under
# these prefixes are public; everything else (book/periodical files, video originals,
# documents) is served by views that check the audience, or by links that expire.
EHOME_PUBLIC_MEDIA_PREFIXES = env_list(
    "EHOME_PUBLIC_MEDIA_PREFIXES",
    ["original_images/", "images/", env("EHOME_MEDIA_STORAGE_PREFIX", "media").strip("/") + "/"],
)
# stream (Django streams the file) | x-accel-redirect (nginx) | x-sendfile (Apache/lighttpd)
EHOME_PROTECTED_FILES_SERVE = env("EHOME_PROTECTED_FILES_SERVE", "stream")
if EHOME_PROTECTED_FILES_SERVE not in ("stream", "x-accel-redirect", "x-sendfile"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "EHOME_PROTECTED_FILES_SERVE must be stream, x-accel-redirect or x-sendfile, "
        f"got {EHOME_PROTECTED_FILES_SERVE!r}"
    )
EHOME_PROTECTED_FILES_ACCEL_PREFIX = env("EHOME_PROTECTED_FILES_ACCEL_PREFIX", "/protected-media/")
EHOME_PROTECTED_URL_EXPIRE = env_int("EHOME_PROTECTED_URL_EXPIRE", 300)  # seconds
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION or env_bool("EHOME_MANIFEST_STATIC")
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Uploads: stream to disk above 2.5 MB; the size limits for media and books are enforced
# by the apps that accept them.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
EHOME_IMPORT_MAX_BYTES = env_int("EHOME_IMPORT_MAX_BYTES", 20 * 1024 * 1024)

# --- wagtail --------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "党建e家"
# Review (cms.review): the workflow's last approval publishes, and only the revision every
# step approved; any change after an approval starts the review of the new revision over.
WAGTAIL_FINISH_WORKFLOW_ACTION = "cms.review.publish_approved_workflow_state"
WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT = True
# Absolute URLs (API image URLs, admin notification links) are built from the request
# being answered (core.absolute_urls); outside a request — a task, a command — from this,
# by default where `make run` serves (EHOME_HOST, EHOME_PORT).
_RUN_HOST = env("EHOME_HOST", "127.0.0.1")
WAGTAILADMIN_BASE_URL = env(
    "WAGTAILADMIN_BASE_URL",
    f"http://{f'[{_RUN_HOST}]' if ':' in _RUN_HOST else _RUN_HOST}:{env('EHOME_PORT', '8000')}",
)
MIDDLEWARE += ["core.absolute_urls.RequestBaseUrlMiddleware"]
WAGTAIL_I18N_ENABLED = False
# page slugs are ASCII (pinyin of a Chinese title, cms.slugs): the admin's own slug prefill
# then leaves Chinese out instead of putting percent-encoded text into URLs
WAGTAIL_ALLOW_UNICODE_SLUGS = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "epub", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "zip"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024

# --- search ---------------------------------------------------------------------------
ELASTICSEARCH_URL = env("ELASTICSEARCH_URL")
EHOME_SEARCH_INDEX_PREFIX = env("EHOME_SEARCH_INDEX_PREFIX", "ehome")

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.MemberJWTAuthentication",  # simplejwt's, member joined in
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PagePagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.AnonWindowThrottle",  # fixed-window counters (api/throttling.py)
        "api.throttling.UserWindowThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("EHOME_THROTTLE_ANON", "120/min"),
        "user": env("EHOME_THROTTLE_USER", "6000/min"),
    },
    "NUM_PROXIES": EHOME_TRUSTED_PROXY_COUNT,  # the same trust as core.client_ip
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("EHOME_JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("EHOME_JWT_REFRESH_DAYS", 14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "SIGNING_KEY": SECRET_KEY,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "e-Home (党建e家) API",
    "DESCRIPTION": "The REST API the member apps use. See docs/api.md for conventions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "LiaisonContactKindEnum": "care.liaison.models.LiaisonContact.Kind",
        "DeviceTypeEnum": "notifications.channels.devices.TYPES",
        "ManuscriptStatusEnum": "publications.manuscripts.models.Manuscript.Status",
    },
    "PREPROCESSING_HOOKS": ["api.schema.only_api_v1"],
    # /api/docs/ loads Swagger UI from this site (drf-spectacular-sidecar, pinned in
    # requirements.lock), never from a CDN: it works offline and behind any firewall; no
    # online validator badge either (it would call validator.swagger.io).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # tags start collapsed: with ~150 operations open at once Swagger UI stops rendering
    # after the first dozen (seen with Chromium); a tag opens its operations on a click
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None, "docExpansion": "none"},
}

# --- logging --------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("EHOME_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- demo data ------------------------------------------------------------------------
# seed_demo runs these steps in order; each app adds its own step (no app imports another
# app's demo code directly).
# `manage.py ehome_setup` (production and demo alike): groups, permissions, site sections,
# the review workflow; then every role holder's groups are re-derived from their roles.
EHOME_SETUP_STEPS = [
    "organizations.services.setup_ensure",
    "cms.services.setup_ensure",
    "cms.outlet_services.setup_ensure",  # the built-in outlets (阵地备案) and the audit log's history
    "elearning.services.academy_setup_ensure",
    "dues.services.setup_ensure",  # the regulation's default dues rates
    "supervision.services.setup_ensure",  # compliance rules and the default ledger items
    "publications.manuscripts.scoring.setup_ensure",  # the default manuscript scoring rules
]

EHOME_SEED_DEMO_STEPS = [
    "organizations.demo.seed",
    "media_pipeline.demo.seed",
    "cms.demo.seed",
    "elearning.demo.seed",
    "publications.demo.seed",
]

# --- production hardening -------------------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"  # Wagtail previews override it per view

# --- content security policy (django-csp) ---------------------------------------------
# Scripts only from this site (hls.js, epub.js … are served from node_modules as static
# files, no CDN) plus per-response nonces, no inline scripts (the admin's exception is in
# core/csp.py); styles may be inline
# (Wagtail's admin and the portal's progress bars set style attributes). Media and
# images may also come from EHOME_CSP_MEDIA_ORIGINS (e.g. the S3/CDN origin serving HLS).
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE  # noqa: E402

_CSP_MEDIA = env_list("EHOME_CSP_MEDIA_ORIGINS")
if AWS_STORAGE_BUCKET_NAME:  # presigned media URLs point at the bucket's origin
    _CSP_MEDIA += (
        [AWS_S3_ENDPOINT_URL]
        if AWS_S3_ENDPOINT_URL
        else [
            f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com",
            f"https://{AWS_STORAGE_BUCKET_NAME}.s3.{AWS_S3_REGION_NAME}.amazonaws.com",
        ]
    )
CONTENT_SECURITY_POLICY = {
    # every page, /api/docs/ included (Swagger UI from our static files, its start-up
    # script from /api/docs/?script: no inline script there either)
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", *_CSP_MEDIA],
        "media-src": [SELF, "blob:", *_CSP_MEDIA],
        "connect-src": [SELF, *_CSP_MEDIA],
        "font-src": [SELF, "data:"],
        "worker-src": [SELF, "blob:"],
        "frame-src": [SELF],
        "frame-ancestors": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    },
}
MIDDLEWARE += ["core.csp.CSPMiddleware"]
# Wagtail's admin widgets still initialise with inline scripts (see core/csp.py)
EHOME_CSP_INLINE_SCRIPT_PREFIXES = ["/admin/"]
WAGTAIL_ENABLE_UPDATE_CHECK = False  # the admin calls no outside site (the policy allows none)
TEMPLATES[0]["OPTIONS"]["context_processors"] += ["csp.context_processors.nonce"]

# --- periodic jobs: one schedule, core.schedule (each app registers its jobs from its
# AppConfig.ready()); run_worker and run_scheduler claim each due slot once -------------

# --- portal ---
# The member web portal (templates/, static/portal/). Its URLs are mounted before the
# Wagtail catch-all in config/urls.py.
INSTALLED_APPS += ["portal"]
TEMPLATES[0]["OPTIONS"]["context_processors"].append("portal.context_processors.portal")
# Serve only the browser builds from node_modules (same URLs, e.g. hls.js/dist/hls.min.js),
# not the whole tree: collectstatic stays small and fast.
_PORTAL_NPM_DIST = ["hls.js/dist", "epubjs/dist", "jszip/dist"]
STATICFILES_DIRS = [p for p in STATICFILES_DIRS if p != BASE_DIR / "node_modules"] + [
    (d, BASE_DIR / "node_modules" / d)
    for d in _PORTAL_NPM_DIST
    if (BASE_DIR / "node_modules" / d).exists()
]
# How often an open article/reading lesson pings the server (the server measures the time).
EHOME_PORTAL_READING_HEARTBEAT_SECONDS = env_int("EHOME_PORTAL_READING_HEARTBEAT_SECONDS", 20)

# --- media_pipeline -------------------------------------------------------------------
# Input limits (checked by ffprobe before any transcoding) and the ffmpeg sandbox.
EHOME_MEDIA_MAX_UPLOAD_BYTES = env_int("EHOME_MEDIA_MAX_UPLOAD_BYTES", 2 * 1024**3)
EHOME_MEDIA_MAX_DURATION = env_int("EHOME_MEDIA_MAX_DURATION", 3 * 3600)  # seconds
EHOME_MEDIA_MAX_WIDTH = env_int("EHOME_MEDIA_MAX_WIDTH", 3840)
EHOME_MEDIA_MAX_HEIGHT = env_int("EHOME_MEDIA_MAX_HEIGHT", 2160)
EHOME_MEDIA_FFMPEG_TIMEOUT = env_int("EHOME_MEDIA_FFMPEG_TIMEOUT", 4 * 3600)  # seconds
EHOME_MEDIA_FFPROBE_TIMEOUT = env_int("EHOME_MEDIA_FFPROBE_TIMEOUT", 30)
EHOME_MEDIA_FFMPEG_THREADS = env_int("EHOME_MEDIA_FFMPEG_THREADS", 2)
EHOME_MEDIA_FFMPEG_MEMORY_BYTES = env_int("EHOME_MEDIA_FFMPEG_MEMORY_BYTES", 4 * 1024**3)
EHOME_MEDIA_X264_PRESET = env("EHOME_MEDIA_X264_PRESET", "veryfast")
# Playback URLs: "public" (bucket/CDN readable, plain URLs) or "presigned" (private bucket:
# playlists are served through the API with a signed token, objects are presigned).
EHOME_MEDIA_PLAYBACK = env(
    "EHOME_MEDIA_PLAYBACK", "presigned" if AWS_STORAGE_BUCKET_NAME else "public"
)
EHOME_MEDIA_PUBLIC_BASE_URL = env("EHOME_MEDIA_PUBLIC_BASE_URL", "")  # CDN before the bucket
EHOME_MEDIA_URL_EXPIRE = env_int("EHOME_MEDIA_URL_EXPIRE", 6 * 3600)
EHOME_MEDIA_STORAGE_PREFIX = env("EHOME_MEDIA_STORAGE_PREFIX", "media")
EHOME_MEDIA_WORK_DIR = Path(env("EHOME_MEDIA_WORK_DIR", str(VAR_DIR / "media-work")))
EHOME_MEDIA_S3_MULTIPART_THRESHOLD = env_int("EHOME_MEDIA_S3_MULTIPART_THRESHOLD", 8 * 1024**2)
EHOME_MEDIA_S3_CONCURRENCY = env_int("EHOME_MEDIA_S3_CONCURRENCY", 8)
# A worker renews its lease while it works; an expired lease means the worker died and the
# periodic recovery job requeues the asset (at most EHOME_MEDIA_MAX_ATTEMPTS times).
EHOME_MEDIA_LEASE_SECONDS = env_int("EHOME_MEDIA_LEASE_SECONDS", 120)
EHOME_MEDIA_MAX_ATTEMPTS = env_int("EHOME_MEDIA_MAX_ATTEMPTS", 3)

# --- elearning ---------------------------------------------------------------------------
# Progress plausibility (elearning.courses.progress): a per-(member, lesson) allowance starts at
# the slack on "open", grows by wall seconds × max rate, and each accepted batch spends
# its seconds; a video/audio lesson completes at the coverage ratio.
EHOME_PROGRESS_MAX_RATE = float(env("EHOME_PROGRESS_MAX_RATE", "2.0"))
EHOME_PROGRESS_SLACK_SECONDS = env_int("EHOME_PROGRESS_SLACK_SECONDS", 15)
EHOME_PROGRESS_MAX_INTERVALS = env_int("EHOME_PROGRESS_MAX_INTERVALS", 100)
EHOME_PROGRESS_COMPLETE_RATIO = float(env("EHOME_PROGRESS_COMPLETE_RATIO", "0.9"))
EHOME_PROGRESS_CLOCK_SKEW_SECONDS = env_int("EHOME_PROGRESS_CLOCK_SKEW_SECONDS", 120)
# Unused allowance carries over between reports up to this many media seconds.
EHOME_PROGRESS_BUDGET_CAP_SECONDS = env_int("EHOME_PROGRESS_BUDGET_CAP_SECONDS", 4 * 3600)
# Interval reports commit without waiting for the WAL flush (PostgreSQL
# `synchronous_commit = off` for that one transaction): a database crash can lose the
# last fraction of a second of acknowledged watch progress — never consistency, and any
# later synchronous commit (a completion, points) makes it durable. Saves the fsync
# (~5–10 ms) on the hottest write path. Set 0 to wait for every report's flush.
EHOME_PROGRESS_ASYNC_COMMIT = env_bool("EHOME_PROGRESS_ASYNC_COMMIT", default=True)
# The everyday interval report is answered without DRF's request/response machinery
# (api.learning.progress._progress_post_fast, same checks and answers); 0 sends every report
# through the DRF view.
EHOME_PROGRESS_FAST_PATH = env_bool("EHOME_PROGRESS_FAST_PATH", default=True)
# Engagement events (interaction.engagement.buffer): Redis with REDIS_URL, else a spool
# file under var/engagement/; "direct" = one row write per event (bench baseline only).
EHOME_ENGAGEMENT_BUFFER = env("EHOME_ENGAGEMENT_BUFFER", "")
# Reading time: one heartbeat counts at most this many server-measured seconds.
EHOME_READING_HEARTBEAT_MAX_SECONDS = env_int("EHOME_READING_HEARTBEAT_MAX_SECONDS", 60)
# Exams: submissions are accepted this long after started_at + time limit.
EHOME_EXAM_GRACE_SECONDS = env_int("EHOME_EXAM_GRACE_SECONDS", 30)
# Contests: an answer counts when it arrives within the per-question limit plus this.
EHOME_CONTEST_GRACE_MS = env_int("EHOME_CONTEST_GRACE_MS", 1500)

# --- cms ------------------------------------------------------------------------------
# Book/periodical files: the admin refuses uploads above this size (checked with the
# content check: a PDF starts with %PDF-, an EPUB is a zip whose first entry is mimetype).
EHOME_BOOK_MAX_UPLOAD_BYTES = env_int("EHOME_BOOK_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
# Headless preview tokens (django.core.signing) expire after this many seconds.
EHOME_PREVIEW_TOKEN_MAX_AGE = env_int("EHOME_PREVIEW_TOKEN_MAX_AGE", 600)
# Scheduled publishing (go_live_at / expire_at): the worker runs Wagtail's
# publish_scheduled logic every minute.

# --- api (caching, delta sync, robustness) ---------------------------------------------
# ids beyond 64 bits in /api/v1/ paths → 404 before any view (SQLite would raise a 500).
# Conditional GET for content lists/details (ETag / Last-Modified → 304 before the view
# runs; api.middleware): right after SecurityMiddleware, so a 304 skips the session,
# locale, CSRF, auth and message middleware (it reads the language from the request
# itself); the full path still sees the user the view authenticated.
MIDDLEWARE[1:1] = [
    "api.middleware.ApiInputGuardMiddleware",
    "api.middleware.ConditionalContentMiddleware",
]
# The hot API endpoints (api.hot_path): a POST with a Bearer token and no cookies to one
# of these URL names skips the middleware listed below and the site-wide URL walk. Each
# skipped middleware has nothing to do for such a request: sessions, the session user,
# its end-of-login check and messages need a cookie; CSRF is exempt for the API's views
# (and the JWT user is not a session user); conditional GET, static files and the
# reconnecting retry act on GET/HEAD only; the admin's page scope, review and outlet
# gates act on admin URLs only. tests/api/test_hot_path.py compares both roads.
EHOME_HOT_PATH = env_bool("EHOME_HOT_PATH", default=True)
# The accepted progress report without Django's request handling (api.hot_path.ProgressLane;
# on the hot road only): its one statement, the same rate limits and the same headers.
EHOME_PROGRESS_LANE = env_bool("EHOME_PROGRESS_LANE", default=True)
EHOME_HOT_PATH_URL_NAMES = ["api:lesson-progress", "api:engagement-events"]
EHOME_HOT_PATH_SKIP_MIDDLEWARE = {  # middleware → its stand-in on the hot road (or None)
    "core.db.DatabaseReconnectMiddleware": None,
    "api.middleware.ConditionalContentMiddleware": None,
    "whitenoise.middleware.WhiteNoiseMiddleware": None,
    "django.contrib.sessions.middleware.SessionMiddleware": "api.hot_path.SessionVaryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware": None,
    "django.contrib.auth.middleware.AuthenticationMiddleware": None,
    "organizations.logins.LoginSessionMiddleware": None,
    "django.contrib.messages.middleware.MessageMiddleware": None,
    "cms.middleware.PageAdminScopeMiddleware": None,
    "cms.middleware.ReviewGateMiddleware": None,
    "cms.middleware.OutletRefusalMiddleware": None,
}
# JSON bodies: lone surrogates, NUL characters and nesting deeper than 32 levels are a
# 400 naming the field (api.parsers); bodies over DATA_UPLOAD_MAX_MEMORY_SIZE a 413 JSON
# error (api.middleware.ApiInputGuardMiddleware).
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "api.parsers.StrictJSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]
# Tombstones answer /api/v1/sync/changes/ for this many days; an older `since` gets 410.
EHOME_API_TOMBSTONE_DAYS = env_int("EHOME_API_TOMBSTONE_DAYS", 180)

# --- search ---------------------------------------------------------------------------
# Wagtail admin search (page explorer, snippet listings) through the Chinese-aware
# database backend: same vendor backend, text normalised (t2s) and segmented (jieba).
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "search.wagtail_backend"}}
# The bookshelf snippet listings' admin search (cms/wagtail_hooks.py) through the search
# app's index, which the bulk book importer feeds (Wagtail's own index it does not).
EHOME_CATALOGUE_ADMIN_SEARCH = "search.catalogue.catalogue_search"
# Elasticsearch (only when ELASTICSEARCH_URL is set): request timeout in seconds and
# replicas per index; queries fall back to the database index while the cluster is down.
EHOME_SEARCH_ES_TIMEOUT = float(env("EHOME_SEARCH_ES_TIMEOUT", "3"))
EHOME_SEARCH_ES_REPLICAS = env_int("EHOME_SEARCH_ES_REPLICAS", 0)
EHOME_SEARCH_HEALTH = "search.health.search_health"
# seed_demo: index the demo content once the content and academy steps have run.
EHOME_SEED_DEMO_STEPS += ["search.demo.seed"]

# --- database connection loss -----------------------------------------------------------
# Outermost: a GET/HEAD/OPTIONS whose database connection dropped during the request is
# answered once more on a new connection (core/db.py).
MIDDLEWARE.insert(0, "core.db.DatabaseReconnectMiddleware")

# --- notification broadcasts (notifications.broadcasts) ---------------------------------
# Members per fan-out batch (one transaction: rows + progress); the lease a running
# fan-out renews each batch (a worker killed mid-way is resumed by
# notifications.broadcasts_resume once it runs out); an optional pause between batches
# (seconds) to spare a busy database.
EHOME_BROADCAST_BATCH = env_int("EHOME_BROADCAST_BATCH", 5000)
EHOME_BROADCAST_LEASE_SECONDS = env_int("EHOME_BROADCAST_LEASE_SECONDS", 60)
EHOME_BROADCAST_PAUSE_SECONDS = float(env("EHOME_BROADCAST_PAUSE_SECONDS", "0"))
# A broadcast resumed this many times in a row without its cursor moving is marked failed
# (a batch that fails every time, not a worker that died): the admin shows it and why.
EHOME_BROADCAST_MAX_STALLED_RESUMES = env_int("EHOME_BROADCAST_MAX_STALLED_RESUMES", 5)
# --- notification channels (docs/operations.md "Notification providers") ---------------
# Push goes through django-push-notifications. Nothing set (the embedded default): push,
# e-mail and SMS deliveries are recorded "not configured", never errors.
INSTALLED_APPS += ["push_notifications"]
_WP_KEY = env("NOTIFICATIONS_WEBPUSH_PRIVATE_KEY")  # VAPID private key (PEM file path or base64url)
_WP_SUB = env("NOTIFICATIONS_WEBPUSH_SUBJECT")  # "mailto:ops@example.org"
PUSH_NOTIFICATIONS_SETTINGS = {
    "CONFIG": "push_notifications.conf.LegacyConfig",
    # Web Push (VAPID)
    "WP_PRIVATE_KEY": _WP_KEY,
    "WP_CLAIMS": {"sub": _WP_SUB} if _WP_SUB else None,
    "WP_ERROR_TIMEOUT": float(env("NOTIFICATIONS_PUSH_TIMEOUT", "10")),
    # APNs, token (.p8 key) authentication over HTTP/2 (aioapns)
    "APNS_AUTH_KEY_PATH": env("NOTIFICATIONS_APNS_KEY_PATH"),
    "APNS_AUTH_KEY_ID": env("NOTIFICATIONS_APNS_KEY_ID"),
    "APNS_TEAM_ID": env("NOTIFICATIONS_APNS_TEAM_ID"),
    "APNS_TOPIC": env("NOTIFICATIONS_APNS_TOPIC"),
    "APNS_USE_SANDBOX": env_bool("NOTIFICATIONS_APNS_SANDBOX", default=False),
}
# FCM: a Firebase service-account key file; the send URL ({0}: the project id) and the
# APNs host:port are set only to reach a stand-in server (tests, a relay).
NOTIFICATIONS_FCM_CREDENTIALS = env("NOTIFICATIONS_FCM_CREDENTIALS")
NOTIFICATIONS_FCM_ENDPOINT = env("NOTIFICATIONS_FCM_ENDPOINT")
NOTIFICATIONS_APNS_ENDPOINT = env("NOTIFICATIONS_APNS_ENDPOINT")
# E-mail through Django's mail backend (EMAIL_BACKEND, EMAIL_HOST, …) to the member's
# login e-mail; on when an SMTP host is set or NOTIFICATIONS_EMAIL=1.
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "noreply@localhost")
NOTIFICATIONS_EMAIL = env_bool("NOTIFICATIONS_EMAIL", default=bool(env("EMAIL_HOST")))
# SMS: the dotted path of a notifications.channels.sms.SMSBackend subclass ("" = none;
# notifications.channels.sms.ConsoleSMSBackend prints to the worker's log for development).
NOTIFICATIONS_SMS_BACKEND = env("NOTIFICATIONS_SMS_BACKEND", "")
# Retries of a provider that timed out or answered 5xx: attempts in all, and the first
# wait in seconds (doubled after each attempt).
NOTIFICATIONS_DELIVERY_ATTEMPTS = env_int("NOTIFICATIONS_DELIVERY_ATTEMPTS", 4)
NOTIFICATIONS_RETRY_BACKOFF = env_int("NOTIFICATIONS_RETRY_BACKOFF", 60)
# Notifications handed to one delivery task.
NOTIFICATIONS_DELIVERY_BATCH = env_int("NOTIFICATIONS_DELIVERY_BATCH", 200)
# Organisation relationship transfers (organizations.transfers): a pending transfer the
# in-unit side has not accepted or rejected expires after this many days.
EHOME_TRANSFER_EXPIRY_DAYS = env_int("EHOME_TRANSFER_EXPIRY_DAYS", 60)
# --- dues (党费): payment providers (docs/operations.md "Dues payments") -------------------
# No provider variables set = the embedded sandbox gateway only (dues/gateways/sandbox.py).
DUES_ORDER_TTL_MINUTES = env_int("DUES_ORDER_TTL_MINUTES", 30)
# Public https origin the providers call back (…/api/v1/dues/callbacks/<provider>/).
DUES_CALLBACK_BASE_URL = env("DUES_CALLBACK_BASE_URL", "http://127.0.0.1:8000")
DUES_WECHAT_MCHID = env("DUES_WECHAT_MCHID", "")
DUES_WECHAT_APPID = env("DUES_WECHAT_APPID", "")
DUES_WECHAT_APIV3_KEY = env("DUES_WECHAT_APIV3_KEY", "")
DUES_WECHAT_CERT_SERIAL_NO = env("DUES_WECHAT_CERT_SERIAL_NO", "")
DUES_WECHAT_PRIVATE_KEY = env("DUES_WECHAT_PRIVATE_KEY", "")  # PEM text or a file path
DUES_WECHAT_PUBLIC_KEY = env("DUES_WECHAT_PUBLIC_KEY", "")  # platform public key (PEM/path)
DUES_WECHAT_PUBLIC_KEY_ID = env("DUES_WECHAT_PUBLIC_KEY_ID", "")
DUES_WECHAT_API_BASE = env("DUES_WECHAT_API_BASE", "https://api.mch.weixin.qq.com")
DUES_ALIPAY_APPID = env("DUES_ALIPAY_APPID", "")
DUES_ALIPAY_PRIVATE_KEY = env("DUES_ALIPAY_PRIVATE_KEY", "")  # app private key (PEM/path)
DUES_ALIPAY_PUBLIC_KEY = env("DUES_ALIPAY_PUBLIC_KEY", "")  # Alipay's public key (PEM/path)
DUES_ALIPAY_GATEWAY = env("DUES_ALIPAY_GATEWAY", "https://openapi.alipay.com/gateway.do")
# The sandbox is on unless a real provider is configured (or DUES_SANDBOX=0/1 says so).
DUES_SANDBOX = env_bool(
    "DUES_SANDBOX", default=not (DUES_WECHAT_MCHID or DUES_ALIPAY_APPID) or DEBUG
)
