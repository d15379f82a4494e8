"""Django settings for auditsite.

Every value comes from the environment, with safe local defaults so that a
fresh checkout runs on SQLite with no server. There is one settings module:
production differs only by its environment variables (see docs/configuration.md).
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from auditsite.env import env_bool, env_float, env_int, env_list, env_str
from auditsite.log_filters import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


DEBUG = env_bool("DEBUG", False)

# The local default is only for development and tests; production must set it.
_DEV_SECRET_KEY = "dev-insecure-auditsite-secret-key-change-me-in-production"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY)
if (
    SECRET_KEY == _DEV_SECRET_KEY
    and not DEBUG
    and env_bool("AUDITSITE_PRODUCTION", False)
):
    raise ImproperlyConfigured("SECRET_KEY must be set when AUDITSITE_PRODUCTION=1")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_q",
    # Before audit: its failure counter runs before audit's sign-in receivers.
    "axes",
    "audit",
    "exports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves /static/ from gunicorn in production (collectstatic first).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A portal-link session reaches only its org's pages (never /admin/).
    "audit.middleware.PortalSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy on every response (django-csp; see below).
    "csp.middleware.CSPMiddleware",
    # Slows, then refuses, one address failing sign-ins across many accounts.
    "audit.signin.LoginThrottleMiddleware",
    # Last: turns a locked-out login into django-axes' 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "auditsite.urls"

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
                "audit.context_processors.portal",
            ],
        },
    },
]

WSGI_APPLICATION = "auditsite.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "audit.User"
# django-axes first: it refuses a locked-out account before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "audit.backends.EmailBackend",
]
# Sign-in lockout (SPEC 7, 12): after AUDITSITE_LOGIN_FAILURE_LIMIT failed
# logins for one account FROM ONE CLIENT ADDRESS that pair is locked for
# AUDITSITE_LOGIN_LOCKOUT_MINUTES (Auth0's brute-force rule): nobody can lock
# a user out from everywhere, and the right password from another address
# still works. Each failure records UserLoginAttempt, the lock UserLocked.
AXES_FAILURE_LIMIT = env_int("AUDITSITE_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AUDITSITE_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Every failure is also logged with its address (axes' AccessFailureLog),
# which the per-address throttle below counts.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# One address failing across accounts (audit/signin.py LoginThrottleMiddleware):
# within AUDITSITE_LOGIN_IP_WINDOW_MINUTES, after AUDITSITE_LOGIN_IP_SLOW_AFTER
# failures it may try once every AUDITSITE_LOGIN_IP_SLOW_SECONDS (429 with
# Retry-After in between); after AUDITSITE_LOGIN_IP_REFUSE_AFTER failures it
# is refused (429) until AUDITSITE_LOGIN_IP_REFUSE_MINUTES after its last one.
AUDITSITE_LOGIN_IP_WINDOW_MINUTES = env_int("AUDITSITE_LOGIN_IP_WINDOW_MINUTES", 15)
AUDITSITE_LOGIN_IP_SLOW_AFTER = env_int("AUDITSITE_LOGIN_IP_SLOW_AFTER", 10)
AUDITSITE_LOGIN_IP_SLOW_SECONDS = env_int("AUDITSITE_LOGIN_IP_SLOW_SECONDS", 10)
AUDITSITE_LOGIN_IP_REFUSE_AFTER = env_int("AUDITSITE_LOGIN_IP_REFUSE_AFTER", 20)
AUDITSITE_LOGIN_IP_REFUSE_MINUTES = env_int("AUDITSITE_LOGIN_IP_REFUSE_MINUTES", 15)
AXES_USERNAME_CALLABLE = "audit.signin.login_email"
AXES_CLIENT_IP_CALLABLE = "audit.signin.login_client_ip"
AXES_RESET_ON_SUCCESS = True
# No axes pages in the admin: deleting an attempt there would unlock an
# account without an event. A lock ends by itself after the cool-off.
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Date/time formats with seconds and the zone (auditsite/formats/en/).
FORMAT_MODULE_PATH = ["auditsite.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise (middleware above) serves STATIC_ROOT, filled by `collectstatic`,
# which also writes gzip'd copies; with DEBUG it reads the source folders.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Customer exports in the background (issue 13, h13). Above this many events
# the org page's export is built by a django-q2 task into the
# "customer_exports" storage instead of streaming: an S3 bucket when
# AUDITSITE_CUSTOMER_EXPORT_BUCKET is set (django-storages; credentials from
# the usual AWS environment or instance role), else files under
# AUDITSITE_CUSTOMER_EXPORT_DIR (what `make run` uses). The download link
# lasts AUDITSITE_CUSTOMER_EXPORT_LINK_SECONDS (a presigned URL on S3, a
# signed URL to our own view on local files); jobs and files are deleted
# after AUDITSITE_CUSTOMER_EXPORT_KEEP_HOURS.
AUDITSITE_CUSTOMER_EXPORT_ASYNC_THRESHOLD = env_int(
    "AUDITSITE_CUSTOMER_EXPORT_ASYNC_THRESHOLD", 50000
)
AUDITSITE_CUSTOMER_EXPORT_LINK_SECONDS = env_int(
    "AUDITSITE_CUSTOMER_EXPORT_LINK_SECONDS", 600
)
AUDITSITE_CUSTOMER_EXPORT_KEEP_HOURS = env_int(
    "AUDITSITE_CUSTOMER_EXPORT_KEEP_HOURS", 24
)
AUDITSITE_CUSTOMER_EXPORT_BUCKET = env_str("AUDITSITE_CUSTOMER_EXPORT_BUCKET", "")
AUDITSITE_CUSTOMER_EXPORT_REGION = env_str(
    "AUDITSITE_CUSTOMER_EXPORT_REGION", "us-east-1"
)
AUDITSITE_CUSTOMER_EXPORT_ENDPOINT_URL = env_str(
    "AUDITSITE_CUSTOMER_EXPORT_ENDPOINT_URL", ""
)
AUDITSITE_CUSTOMER_EXPORT_DIR = env_str(
    "AUDITSITE_CUSTOMER_EXPORT_DIR", str(BASE_DIR / "var" / "customer-exports")
)
if AUDITSITE_CUSTOMER_EXPORT_BUCKET:
    STORAGES["customer_exports"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AUDITSITE_CUSTOMER_EXPORT_BUCKET,
            "region_name": AUDITSITE_CUSTOMER_EXPORT_REGION,
            "endpoint_url": AUDITSITE_CUSTOMER_EXPORT_ENDPOINT_URL or None,
            "querystring_auth": True,
            "querystring_expire": AUDITSITE_CUSTOMER_EXPORT_LINK_SECONDS,
            "signature_version": "s3v4",
            "file_overwrite": False,
            "default_acl": None,
        },
    }
else:
    STORAGES["customer_exports"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": AUDITSITE_CUSTOMER_EXPORT_DIR, "base_url": None},
    }

# Outgoing email (password reset links). The console backend prints them to
# the server's output; production sets an SMTP server.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "auditsite@localhost")

# --- Safe on the open internet (SPEC 12; docs/security.md) -------------------
# With DEBUG off auditsite assumes HTTPS: Secure cookies, HSTS for a year and
# a redirect of plain HTTP. AUDITSITE_INSECURE_HTTP=1 says the deployment
# really is plain HTTP (the test suite sets it; `make run` has DEBUG on).
AUDITSITE_INSECURE_HTTP = env_bool("AUDITSITE_INSECURE_HTTP", False)
_HTTPS = not DEBUG and not AUDITSITE_INSECURE_HTTP
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _HTTPS)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if _HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", _HTTPS)
# Preloading commits the whole domain to HTTPS in browsers for months; that
# is the domain owner's call (SECURE_HSTS_PRELOAD=1), so its check is quiet.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = ["security.W021"]
# Only when the proxy in front sets X-Forwarded-Proto (and strips a client's):
# then a request it received over HTTPS counts as secure.
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Pages that a host product may frame (SPEC 10; auditsite.security.embeddable):
# these origins, comma-separated; empty: no page may be framed.
AUDITSITE_EMBED_ORIGINS = env_list("AUDITSITE_EMBED_ORIGINS", "")
# No inline script anywhere (scripts are static files); inline styles stay
# allowed (the admin's and Swagger UI's). Data images: Swagger UI's icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Outbound guard (exports/destinations/guard.py): 1 lets export destinations
# resolve to loopback, private and other non-public addresses (on-premises
# receivers; the demo and the tests turn it on).
AUDITSITE_ALLOW_PRIVATE_DESTINATIONS = env_bool(
    "AUDITSITE_ALLOW_PRIVATE_DESTINATIONS", False
)

# Key for stored secrets (AWS secret access keys). A Fernet key; when unset it
# is derived from SECRET_KEY, which is fine for development only.
AUDITSITE_ENCRYPTION_KEY = env_str("AUDITSITE_ENCRYPTION_KEY", "")

# Ed25519 key that signs export digests: base64 of the 32-byte seed, or PEM.
# When unset it is derived from SECRET_KEY, which is fine for development only.
AUDITSITE_SIGNING_KEY = env_str("AUDITSITE_SIGNING_KEY", "")
# Older public keys (comma-separated base64) still published after a rotation.
AUDITSITE_SIGNING_PREVIOUS_PUBLIC_KEYS = env_str(
    "AUDITSITE_SIGNING_PREVIOUS_PUBLIC_KEYS", ""
)

# The role a user provisioned over SCIM gets in the key's org (docs/scim.md).
AUDITSITE_SCIM_DEFAULT_ROLE = env_str("AUDITSITE_SCIM_DEFAULT_ROLE", "Member")

# Trust the first address of X-Forwarded-For as the client IP (only behind a
# proxy that sets it).
AUDITSITE_TRUST_X_FORWARDED_FOR = env_bool("AUDITSITE_TRUST_X_FORWARDED_FOR", False)

# Portal links (SPEC 10): a link minted by the host product's backend signs a
# member into one org's pages once, within AUDITSITE_PORTAL_LINK_SECONDS; the
# page links back to return_url only when its host is in
# AUDITSITE_PORTAL_RETURN_HOSTS (comma-separated, e.g. app.example.com).
AUDITSITE_PORTAL_LINK_SECONDS = env_int("AUDITSITE_PORTAL_LINK_SECONDS", 300)
AUDITSITE_PORTAL_RETURN_HOSTS = [
    host.lower() for host in env_list("AUDITSITE_PORTAL_RETURN_HOSTS", "")
]

# Retention for events that belong to no org, in days.
AUDITSITE_RETENTION_NO_ORG_DAYS = env_int("AUDITSITE_RETENTION_NO_ORG_DAYS", 90)

# Export to S3 (exports/): see docs/destinations.md "Export to S3".
AUDITSITE_EXPORT_S3_TIMEOUT = env_float("AUDITSITE_EXPORT_S3_TIMEOUT", 10)
AUDITSITE_EXPORT_S3_MAX_ATTEMPTS = env_int("AUDITSITE_EXPORT_S3_MAX_ATTEMPTS", 5)
AUDITSITE_EXPORT_ERROR_AFTER = env_int("AUDITSITE_EXPORT_ERROR_AFTER", 3)
AUDITSITE_EXPORT_LEASE_SECONDS = env_int("AUDITSITE_EXPORT_LEASE_SECONDS", 300)
AUDITSITE_EXPORT_OBJECT_EVENTS = env_int("AUDITSITE_EXPORT_OBJECT_EVENTS", 10000)
AUDITSITE_EXPORT_MAX_OBJECTS_PER_RUN = env_int(
    "AUDITSITE_EXPORT_MAX_OBJECTS_PER_RUN", 50
)
# CONTINUOUS: at most one queued run per this many seconds (a burst coalesces),
# and how long a queued run waits for a busy location before leaving it.
AUDITSITE_EXPORT_CONTINUOUS_COALESCE_SECONDS = env_float(
    "AUDITSITE_EXPORT_CONTINUOUS_COALESCE_SECONDS", 1
)
AUDITSITE_EXPORT_CONTINUOUS_WAIT_SECONDS = env_float(
    "AUDITSITE_EXPORT_CONTINUOUS_WAIT_SECONDS", 10
)
# How often a CONTINUOUS task looks again when its last pass found nothing
# new, or its location was busy with another run (issue 24).
AUDITSITE_EXPORT_CONTINUOUS_POLL_SECONDS = env_float(
    "AUDITSITE_EXPORT_CONTINUOUS_POLL_SECONDS", 0.1
)
# CONTINUOUS and digests (issue 10, items 4 and 7): how long a process trusts
# its answer to "does an enabled CONTINUOUS location exist?" (asked on every
# commit of events), and at most how many hourly digests one call writes per
# location (a location with a long history catches up over several calls).
AUDITSITE_EXPORT_CONTINUOUS_LOOKUP_SECONDS = env_float(
    "AUDITSITE_EXPORT_CONTINUOUS_LOOKUP_SECONDS", 5
)
AUDITSITE_EXPORT_DIGEST_HOURS_PER_CALL = env_int(
    "AUDITSITE_EXPORT_DIGEST_HOURS_PER_CALL", 168
)
# HTTP destinations (Datadog, Splunk HEC, webhooks; exports/destinations/http.py):
# per-request timeout and attempts, the longest Retry-After waited within a
# run, the backoff between failed runs (doubling from BACKOFF_SECONDS up to
# BACKOFF_MAX_SECONDS, or the receiver's Retry-After if longer), and how many
# failed runs in a row pause a location (any destination).
AUDITSITE_EXPORT_HTTP_TIMEOUT = env_float("AUDITSITE_EXPORT_HTTP_TIMEOUT", 10)
AUDITSITE_EXPORT_HTTP_MAX_ATTEMPTS = env_int("AUDITSITE_EXPORT_HTTP_MAX_ATTEMPTS", 3)
AUDITSITE_EXPORT_HTTP_RETRY_WAIT_MAX = env_float(
    "AUDITSITE_EXPORT_HTTP_RETRY_WAIT_MAX", 5
)
AUDITSITE_EXPORT_BACKOFF_SECONDS = env_float("AUDITSITE_EXPORT_BACKOFF_SECONDS", 30)
AUDITSITE_EXPORT_BACKOFF_MAX_SECONDS = env_float(
    "AUDITSITE_EXPORT_BACKOFF_MAX_SECONDS", 900
)
AUDITSITE_EXPORT_PAUSE_AFTER = env_int("AUDITSITE_EXPORT_PAUSE_AFTER", 50)
# How many log streams one org may configure on its own page (SPEC 11).
AUDITSITE_ORG_STREAMS_MAX = env_int("AUDITSITE_ORG_STREAMS_MAX", 5)
# The AWS identity auditsite assumes customer roles with (shown in trust policies).
AUDITSITE_AWS_PRINCIPAL_ARN = env_str("AUDITSITE_AWS_PRINCIPAL_ARN", "")
# Port of the local moto S3 server that `make run` (manage.py devserver) starts.
AUDITSITE_DEMO_S3_PORT = env_int("AUDITSITE_DEMO_S3_PORT", 5050)
AUDITSITE_AWS_ACCESS_KEY_ID = env_str("AUDITSITE_AWS_ACCESS_KEY_ID", "")
AUDITSITE_AWS_SECRET_ACCESS_KEY = env_str("AUDITSITE_AWS_SECRET_ACCESS_KEY", "")
# REST API: requests per API key (or staff user), e.g. "600/min"; empty: none.
AUDITSITE_API_THROTTLE_RATE = env_str("AUDITSITE_API_THROTTLE_RATE", "600/min")
# How far into the future an ingested event's created_at may be (clock skew).
AUDITSITE_INGEST_MAX_FUTURE_SECONDS = env_int(
    "AUDITSITE_INGEST_MAX_FUTURE_SECONDS", 300
)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "audit.schema.ScopedAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "audit.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["audit.permissions.IsOperator"],
    "DEFAULT_THROTTLE_CLASSES": ["audit.authentication.ApiKeyRateThrottle"],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "auditsite API",
    "DESCRIPTION": "Send audit events to auditsite and read them back, keep its "
    "directory of users and orgs in step, hand members into their org's log. "
    "Authenticate with `Authorization: Bearer <API key>`; each operation names "
    "the scope the key needs.",
    "TAGS": [
        {"name": "events", "description": "Ingest and read audit events."},
        {"name": "directory", "description": "Users, orgs and members."},
        {"name": "portal", "description": "One-use links into an org's log."},
        {"name": "export-locations", "description": "Exports and streams."},
    ],
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs UI is served from our static files: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# django-q2: the ORM broker by default; Redis when REDIS_URL is set, which is
# what several worker machines share in production.
REDIS_URL = env_str("REDIS_URL", "")
Q_CLUSTER = {
    "name": "auditsite",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": env_int("Q_TIMEOUT", 600),
    "retry": env_int("Q_RETRY", 720),
    "max_attempts": 1,
    "catch_up": False,
    "poll": 1,
    "label": "Django Q",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# The cache holds API throttle counters: with Redis they are shared by every
# gunicorn worker and machine; without it they are per process.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }

# Quiet by default: warnings and errors, one line per refused request. The
# worker's and scheduler's per-task chatter (django-q2 logs every schedule it
# enqueues and every task it runs at INFO) shows with AUDITSITE_LOG_VERBOSE=1,
# which `manage.py devserver --verbose` sets.
AUDITSITE_LOG_VERBOSE = env_bool("AUDITSITE_LOG_VERBOSE", False)
LOGGING = logging_config(
    level=env_str("LOG_LEVEL", "INFO"), verbose=AUDITSITE_LOG_VERBOSE
)
