"""Django settings, read from the environment.

Environment variables (all optional in development):
  KETAFLOW_ENV      development (default) or production. Production requires SECRET_KEY,
                    turns DEBUG off by default and enables secure cookies.
  DATABASE_URL      e.g. postgres://user:pass@127.0.0.1:5432/ketaflow; default: SQLite
                    file db.sqlite3 in the project folder.
  SECRET_KEY        required in production; generated once into .secret_key otherwise.
  DEBUG             true/false; default true in development, false in production.
  ALLOWED_HOSTS     comma-separated; default localhost names in development.
  TIME_ZONE         server default zone (each clinic also has its own); default UTC.
  IDLE_TIMEOUT_MINUTES  sign-out after this many idle minutes; default 15.
  AXES_FAILURE_LIMIT    failed sign-ins before lockout; default 5.
  AXES_PROXY_COUNT      reverse proxies in front of the app; default 0 (X-Forwarded-For is
                        then ignored, since a client can forge it).
  KETAFLOW_PUBLIC_URL   the address patients and staff reach Ketaflow at, used in emailed
                        and shown links (questionnaire links, reminders, risk alerts);
                        default http://127.0.0.1:8000.
  KETAFLOW_PORTAL_LINK_DAYS  days a patient questionnaire link works unless staff choose;
                        default 7, 1-30.
  KETAFLOW_TASKS_BACKEND  where background jobs queue: "database" (default; run them with
                        `ketaflow worker`) or "rq" (Redis at REDIS_URL; `ketaflow worker` then runs
                        an RQ worker).
  REDIS_URL             default redis://127.0.0.1:6379/0.
  KETAFLOW_EXPORT_DIR   where whole-clinic exports are written; default var/exports.
  EMAIL_FILE_PATH       with EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend,
                        the folder emails are written to; default var/mail.

Operations (ketaflow/ops; /healthz, /readyz and /metrics, README "Operations"):
  KETAFLOW_READY_HEARTBEATS  comma-separated heartbeats /readyz requires fresh, e.g.
                        "scheduler,hl7:riverside"; default none (a process not run is not
                        expected).
  KETAFLOW_HEARTBEAT_MAX_AGE_SECONDS  a heartbeat older than this fails /readyz; default 120.
  KETAFLOW_QUEUE_MAX_WAIT_SECONDS  a queued job waiting longer fails /readyz; default 900.
  KETAFLOW_METRICS_TOKEN  bearer token for /metrics (24+ characters); unset: /metrics is 404.
  PROMETHEUS_MULTIPROC_DIR  with several web processes: prometheus_client's multiprocess
                        directory (empty it on start), so /metrics sums every process.
  KETAFLOW_LOG_FORMAT   json (default in production) or text (default in development); every
                        line carries the request id the audit log records.
  LOG_LEVEL             root level; default WARNING. ACCESS_LOG_LEVEL: the per-request line
                        (logger ketaflow.access); default INFO.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import TypedDict

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


def env_int_between(name: str, default: int, low: int, high: int) -> int:
    """`env_int`, refused at start-up when outside low-high (not clamped: a typo should show)."""
    value = env_int(name, default)
    if not low <= value <= high:
        raise ImproperlyConfigured(f"{name} must be between {low} and {high}, not {value}")
    return value


def env_public_url(name: str, default: str) -> str:
    """A base address for links in emails: http(s)://host[:port][/path], without the final /.

    Checked at start-up because a wrong value would otherwise only show as dead links in
    patients' inboxes.
    """
    raw = (os.environ.get(name) or default).strip().rstrip("/")
    scheme, _, rest = raw.partition("://")
    if scheme not in {"http", "https"} or not rest or any(c.isspace() for c in rest):
        raise ImproperlyConfigured(f"{name} must look like https://ketaflow.example.org")
    return raw


KETAFLOW_ENV = os.environ.get("KETAFLOW_ENV", "development")
if KETAFLOW_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("KETAFLOW_ENV must be 'development' or 'production'")
PRODUCTION = KETAFLOW_ENV == "production"


def _weak_key(key: str) -> bool:
    """Django's own test of a weak key (security.W009): short, repetitive or a template's."""
    return len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure")


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "")
    if key and PRODUCTION and _weak_key(key):
        raise ImproperlyConfigured(
            "SECRET_KEY is too weak for production: use at least 50 random characters, e.g. "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when KETAFLOW_ENV=production")
    key_file = BASE_DIR / ".secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get(
        "ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver"
    ).split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "django_tasks_rq",
    "django_rq",
    "ketaflow.accounts",
    "ketaflow.audit",
    "ketaflow.mail",
    "ketaflow.auditlog",
    "ketaflow.patients",
    "ketaflow.screening",
    "ketaflow.questionnaires",
    "ketaflow.courses",
    "ketaflow.treatments",
    "ketaflow.dispensing",
    "ketaflow.homediary",
    "ketaflow.web",
    "ketaflow.cli",
    "ketaflow.pk_explorer",
    "ketaflow.portal",
    "ketaflow.outcomes",
    "ketaflow.synthetic",
    "ketaflow.safety",
    "ketaflow.devices",
    "ketaflow.emergency",
    "ketaflow.fhir",
    "ketaflow.scheduler",
    "ketaflow.demo",
    "ketaflow.backup",
]

MIDDLEWARE = [
    # One read of the change stamp per request for every memoised part (`ops.freshness`).
    "ketaflow.ops.freshness.StampPerRequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise (static files stay cacheable): no-store and Permissions-Policy.
    "ketaflow.lib.headers.PrivateResponseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before the sign-in hygiene middleware, which leaves a message when it signs someone out.
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "ketaflow.accounts.middleware.IdleTimeoutMiddleware",
    "ketaflow.accounts.middleware.ClinicTimezoneMiddleware",
    "ketaflow.accounts.middleware.TwoFactorRequiredMiddleware",
    "ketaflow.audit.middleware.RequestContextMiddleware",
    "ketaflow.audit.denied.DeniedAccessMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ketaflow.urls"
WSGI_APPLICATION = "ketaflow.wsgi.application"
ASGI_APPLICATION = "ketaflow.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ketaflow.web.context_processors.navigation",
            ],
            "libraries": {
                "phone_links": "ketaflow.lib.phone_links",
                "words": "ketaflow.lib.words",
            },
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # One test database per test process, so parallel runs on one server never collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several people at once on one SQLite file (#14): every chart read writes an audit row, so
    # writers meet often. WAL lets reads go on during a write; a write transaction takes the
    # lock when it begins (IMMEDIATE), so it waits its turn (up to `timeout` seconds) instead
    # of failing "database is locked" when a read inside it turns into a write.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "ketaflow.accounts.backends.ClinicModelBackend",  # Django's, with the clinic
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
# A password-reset link by email works once, for an hour (#15, account recovery).
PASSWORD_RESET_TIMEOUT = 3600
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sign-in lockout (django-axes); client address via ipware so a proxy is not locked out whole.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"


class ClientAddressSettings(TypedDict):
    AXES_IPWARE_PROXY_COUNT: int | None
    AXES_IPWARE_META_PRECEDENCE_ORDER: list[str]
    IPWARE_STRICT: bool


def client_address_settings(proxies: int) -> ClientAddressSettings:
    """How ipware (axes and the audit log) finds the client address behind `proxies` proxies.

    With no proxy, X-Forwarded-For is written by the client itself, so trusting it would let
    anyone dodge the lockout by sending a new address each time: only REMOTE_ADDR counts.
    Behind N proxies, each appending the address it received from, REMOTE_ADDR is the last
    proxy and the client is the N-th address from the right of X-Forwarded-For; addresses a
    client forged to the left of it are ignored. (ipware counts only the proxies listed in
    the header, hence N - 1, and must not be strict, or a forged prefix would void the chain.)
    """
    if proxies < 0:
        raise ImproperlyConfigured("AXES_PROXY_COUNT must be 0 or more")
    if proxies == 0:
        return {
            "AXES_IPWARE_PROXY_COUNT": None,
            "AXES_IPWARE_META_PRECEDENCE_ORDER": ["REMOTE_ADDR"],
            "IPWARE_STRICT": False,
        }
    return {
        "AXES_IPWARE_PROXY_COUNT": proxies - 1,
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"],
        "IPWARE_STRICT": False,
    }


_client_address = client_address_settings(env_int("AXES_PROXY_COUNT", 0))
AXES_IPWARE_PROXY_COUNT: int | None = _client_address["AXES_IPWARE_PROXY_COUNT"]
AXES_IPWARE_META_PRECEDENCE_ORDER: list[str] = _client_address["AXES_IPWARE_META_PRECEDENCE_ORDER"]
IPWARE_STRICT = _client_address["IPWARE_STRICT"]
AXES_VERBOSE = False

# Idle sign-out: shared chair-side tablets must not stay signed in.
IDLE_TIMEOUT_MINUTES = env_int("IDLE_TIMEOUT_MINUTES", 15)
SESSION_COOKIE_AGE = 12 * 60 * 60
# Django's database sessions, read in one plain query on every request (`accounts.backends`).
SESSION_ENGINE = "ketaflow.accounts.backends"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less header in base.html

OTP_TOTP_ISSUER = "Ketaflow"

# Amendment reasons are free text a clinician writes; simple-history's default 100-character
# column would turn a longer reason into a database error on PostgreSQL.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Reminder and risk-alert emails. The console backend (development, demo) prints them; set
# EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and the SMTP variables in production.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Ketaflow <no-reply@localhost>")

# Patient portal: the address in links and emails (not the request's host, which may be an
# internal name), and how long a questionnaire link works (the portal refuses more than 30).
KETAFLOW_PUBLIC_URL = env_public_url("KETAFLOW_PUBLIC_URL", "http://127.0.0.1:8000")
KETAFLOW_PORTAL_LINK_DAYS = env_int_between("KETAFLOW_PORTAL_LINK_DAYS", 7, 1, 30)
# Whole-clinic export files are deleted this many days after they finish (the scheduler's
# "expired-exports" job); the export's row stays.
KETAFLOW_EXPORT_KEEP_DAYS = env_int_between("KETAFLOW_EXPORT_KEEP_DAYS", 7, 1, 365)

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # HSTS: a year, subdomains included, preload-ready; lower SECURE_HSTS_SECONDS while first
    # trying TLS on a new host (a browser that saw the header keeps to HTTPS for that long).
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# Content-Security-Policy (django-csp; #15), in development as in production so that every test
# sees it: scripts and style sheets from Ketaflow's own static files only, no inline script or
# style (charts carry SVG presentation attributes, `lib.charts.without_inline_styles`; htmx is
# told not to inject its indicator style, base.html), no plugins, no framing, forms post here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Background work (#14): the Django Tasks API (django-tasks, the backport of Django 6's
# django.tasks). The database backend needs nothing beyond the database and is the default for
# one box; RQ on Redis is there for a deployment that outgrows it. Never a thread in the web
# process.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
KETAFLOW_TASKS_BACKEND = os.environ.get("KETAFLOW_TASKS_BACKEND", "database")
if KETAFLOW_TASKS_BACKEND not in {"database", "rq"}:
    raise ImproperlyConfigured("KETAFLOW_TASKS_BACKEND must be 'database' or 'rq'")
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend"
        if KETAFLOW_TASKS_BACKEND == "database"
        else "django_tasks_rq.RQBackend",
        "QUEUES": ["default"],
    }
}
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
# Where whole-clinic exports are written (the web process serves them, the worker writes them).
KETAFLOW_EXPORT_DIR = os.environ.get("KETAFLOW_EXPORT_DIR", "")  # default: var/exports

# Operations (#14): probes, metrics, JSON logs, heartbeats (ketaflow/ops). Self-contained:
# the ops app, django-prometheus's middleware around the whole stack and an access log line
# inside the audit middleware (so it carries the request id the audit rows record).
INSTALLED_APPS += ["ketaflow.ops"]
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    *MIDDLEWARE,
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
MIDDLEWARE.insert(
    MIDDLEWARE.index("ketaflow.audit.middleware.RequestContextMiddleware") + 1,
    "ketaflow.ops.middleware.AccessLogMiddleware",
)
KETAFLOW_READY_HEARTBEATS = [
    n.strip() for n in os.environ.get("KETAFLOW_READY_HEARTBEATS", "").split(",") if n.strip()
]
KETAFLOW_HEARTBEAT_MAX_AGE_SECONDS = env_int_between(
    "KETAFLOW_HEARTBEAT_MAX_AGE_SECONDS", 120, 10, 86_400
)
KETAFLOW_QUEUE_MAX_WAIT_SECONDS = env_int_between(
    "KETAFLOW_QUEUE_MAX_WAIT_SECONDS", 900, 10, 604_800
)
KETAFLOW_METRICS_TOKEN = os.environ.get("KETAFLOW_METRICS_TOKEN", "")
if KETAFLOW_METRICS_TOKEN and len(KETAFLOW_METRICS_TOKEN) < 24:
    raise ImproperlyConfigured("KETAFLOW_METRICS_TOKEN must be at least 24 characters")
KETAFLOW_LOG_FORMAT = os.environ.get("KETAFLOW_LOG_FORMAT", "json" if PRODUCTION else "text")
if KETAFLOW_LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured("KETAFLOW_LOG_FORMAT must be 'json' or 'text'")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ketaflow.ops.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "ketaflow.ops.logs.json_formatter"},
        "text": {"()": "ketaflow.ops.logs.text_formatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": KETAFLOW_LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # One line per request (ops.middleware.AccessLogMiddleware) at INFO.
    "loggers": {"ketaflow.access": {"level": os.environ.get("ACCESS_LOG_LEVEL", "INFO")}},
}
