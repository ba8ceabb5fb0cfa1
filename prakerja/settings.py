"""Settings for the prakerja portal.

One module, fed by the environment through django-environ (the README's Configuration table
lists the variables).
Production differs from development only by environment variables; a missing secret in
production fails loudly at start-up.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# --- core -------------------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)
# TESTING is set by the test runner (pyproject.toml, pytest-env); it only relaxes what a test
# server cannot do (HTTPS redirects, hashed static manifests, slow password hashing).
TESTING = env.bool("TESTING", default=False)
SANDBOX = env.bool("SANDBOX", default=False)

DEV_SECRET_KEY = "django-insecure-prakerja-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
if not DEBUG and not TESTING and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Django's admin with the staff site as admin.site (second factor, visibility policy)
    "prakerja.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "prakerja",
    "participants",
    "trainings",
    "incentives",
    "sandbox",
    "complaints",
    "reports",
    # staff second factor and login throttling (README "Security")
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    # Celery beat's schedule and last runs in the database (prakerja/beat.py)
    "django_celery_beat",
]

# No LocaleMiddleware: the portal speaks one language (LANGUAGES), which Django uses without it;
# choosing it from each request's cookie and Accept-Language cost every request for nothing
# (scripts/profile_request.py). A second language would bring it back.
MIDDLEWARE = [
    # First: the request id is on every log line and the measurement covers every middleware.
    "prakerja.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "prakerja.uploads.BodySizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "prakerja.admission.AdmissionMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "prakerja.middleware.PrivatePagesMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "prakerja.urls"
WSGI_APPLICATION = "prakerja.wsgi.application"

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
                "prakerja.context_processors.portal",
            ],
        },
    },
]

# --- data -------------------------------------------------------------------------------------

# PostgreSQL only. An unset or empty DATABASE_URL means the embedded server under .run/
# (prakerja/embedded_db.py; started here if it is not running), which production never uses.
_database_url = env.str("DATABASE_URL", default="")
if not _database_url:
    if not DEBUG and not TESTING:
        raise ImproperlyConfigured("DATABASE_URL must be set when DEBUG is off.")
    from prakerja import embedded_db

    _database_url = embedded_db.start()
DATABASES = {"default": env.db_url_config(_database_url)}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must name a PostgreSQL database (postgres://...).")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="prakerja"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- web tier (docs/performance.md) -------------------------------------------------------------
# Sessions live in PostgreSQL with the cache in front (prakerja/sessions.py): a request reads its
# session from Redis, and a Redis outage signs nobody out. Without Redis (`make run`), the locmem
# cache in front of the table.
SESSION_ENGINE = "prakerja.sessions"
# A session's copy in the cache expires after at most this long (a stale copy cannot last); after
# a cache error a process leaves the cache alone for the second figure.
SESSION_CACHE_SECONDS = env.int("SESSION_CACHE_SECONDS", default=300)
SESSION_CACHE_RETRY_SECONDS = env.int("SESSION_CACHE_RETRY_SECONDS", default=5)
# The waiting room (prakerja/admission.py): at most ADMISSION_CAPACITY visitors are served at a
# time, the rest wait in line on a tiny self-refreshing page. 0 switches it off; it needs Redis.
ADMISSION_CAPACITY = env.int("ADMISSION_CAPACITY", default=0)
ADMISSION_IDLE_SECONDS = env.int("ADMISSION_IDLE_SECONDS", default=120)
ADMISSION_WAIT_SECONDS = env.int("ADMISSION_WAIT_SECONDS", default=45)
ADMISSION_REFRESH_SECONDS = env.int("ADMISSION_REFRESH_SECONDS", default=10)
# While others wait, a place is held at most this long since admission; a form submitted within
# the second figure of the browser's last admitted request is always served (the basic test takes
# up to 25 minutes).
ADMISSION_HOLD_SECONDS = env.int("ADMISSION_HOLD_SECONDS", default=600)
ADMISSION_FORM_SECONDS = env.int("ADMISSION_FORM_SECONDS", default=35 * 60)
ADMISSION_KEY_PREFIX = env.str("ADMISSION_KEY_PREFIX", default="prakerja:ruang-tunggu")
# Never queued: partner platforms (payments), the health check, static files, staff, sandbox.
ADMISSION_EXEMPT_PATHS = ["/api/", "/healthz", "/metrics", "/static/", "/admin/", "/sandbox/"]

# --- auth -------------------------------------------------------------------------------------

AUTH_USER_MODEL = "participants.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

# Argon2id at OWASP's parameters (prakerja/hashers.py says why); older hashes upgrade at login.
PASSWORD_HASHERS = [
    "prakerja.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# The user and their participant record in one query on every request (prakerja/auth.py).
AUTHENTICATION_BACKENDS = ["prakerja.auth.UserWithParticipantBackend"]
if TESTING:
    # Argon2 is deliberately slow; tests create hundreds of accounts.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Keys for personal data. NIK_HASH_KEY makes the keyed hash used for lookups and uniqueness;
# DATA_ENCRYPTION_KEY (Fernet, urlsafe base64 of 32 bytes) encrypts NIK, KK and partner secrets.
# Both default to values derived from SECRET_KEY so development needs nothing; production sets
# its own and keeps them when SECRET_KEY rotates.
NIK_HASH_KEY = env.str("NIK_HASH_KEY", default="")
DATA_ENCRYPTION_KEY = env.str("DATA_ENCRYPTION_KEY", default="")
if not DEBUG and not TESTING and not (NIK_HASH_KEY and DATA_ENCRYPTION_KEY):
    raise ImproperlyConfigured(
        "NIK_HASH_KEY and DATA_ENCRYPTION_KEY must be set when DEBUG is off."
    )

# --- i18n and time ------------------------------------------------------------------------------

LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

# --- static and media ---------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (complaint screenshots, orientation videos) live outside the web root and are
# served only through views that check who asks.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
# Uploads: in the database by default in production, so every web host serves every file
# (prakerja/storage.py); on the local disk for `make run` and tests (MEDIA_STORAGE=filesystem).
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="filesystem" if DEBUG or TESTING else "database")
STORAGES = {
    "default": {
        "BACKEND": (
            "prakerja.storage.DatabaseStorage"
            if MEDIA_STORAGE == "database"
            else "django.core.files.storage.FileSystemStorage"
        )
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- security ----------------------------------------------------------------------------------

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies stand in front of the portal, each appending the address it received from to
# X-Forwarded-For (1: the documented load balancer; 0: clients connect directly and the header
# is ignored). prakerja/client_ip.py reads it; every rate limit and lockout uses that address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
RATELIMIT_IP_META_KEY = "prakerja.client_ip.client_ip"
_HTTPS = not DEBUG and not TESTING
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_HTTPS)
# Probes and scrapers call each host directly on its private address.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
# Overridable only for `make loadtest` (plain HTTP on loopback); production keeps the default.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_HTTPS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_HTTPS)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
SECURE_HSTS_PRELOAD = _HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 8

# --- email and SMS ------------------------------------------------------------------------------

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Prakerja <noreply@prakerja.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

SMS_BACKEND = env.str("SMS_BACKEND", default="locmem" if TESTING else "console")
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default="")
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
SMS_HTTP_TOKEN = env.str("SMS_HTTP_TOKEN", default="")
SMS_HTTP_TIMEOUT_SECONDS = env.float("SMS_HTTP_TIMEOUT_SECONDS", default=10.0)
SMS_SENDER_ID = env.str("SMS_SENDER_ID", default="PRAKERJA")
if not DEBUG and not TESTING and SMS_BACKEND == "http" and not (SMS_HTTP_URL and SMS_HTTP_TOKEN):
    raise ImproperlyConfigured("SMS_BACKEND=http needs SMS_HTTP_URL and SMS_HTTP_TOKEN.")

# --- civil registry (Dukcapil): participants/registration/registry.py ---------------------------

REGISTRY_BACKEND = env.str("REGISTRY_BACKEND", default="fake")
REGISTRY_HTTP_URL = env.str("REGISTRY_HTTP_URL", default="")
REGISTRY_HTTP_TOKEN = env.str("REGISTRY_HTTP_TOKEN", default="")
_REGISTRY_HTTP_SET = bool(REGISTRY_HTTP_URL and REGISTRY_HTTP_TOKEN)
if not DEBUG and not TESTING and REGISTRY_BACKEND == "http" and not _REGISTRY_HTTP_SET:
    raise ImproperlyConfigured(
        "REGISTRY_HTTP_URL and REGISTRY_HTTP_TOKEN must be set when REGISTRY_BACKEND=http."
    )
# One answer may take this long; then the registry counts as unavailable for this attempt.
REGISTRY_TIMEOUT_SECONDS = env.float("REGISTRY_TIMEOUT_SECONDS", default=5.0)
REGISTRY_HTTP_RETRIES = env.int("REGISTRY_HTTP_RETRIES", default=2)
REGISTRY_HTTP_RETRY_PAUSE_SECONDS = env.float("REGISTRY_HTTP_RETRY_PAUSE_SECONDS", default=0.3)
REGISTRY_BREAKER_FAILURES = env.int("REGISTRY_BREAKER_FAILURES", default=5)
REGISTRY_BREAKER_RESET_SECONDS = env.float("REGISTRY_BREAKER_RESET_SECONDS", default=60.0)
# A check the registry could not answer is tried again after 1, 2, 4, ... times this (capped).
REGISTRY_RETRY_BASE_SECONDS = env.int("REGISTRY_RETRY_BASE_SECONDS", default=60)
REGISTRY_RETRY_MAX_SECONDS = env.int("REGISTRY_RETRY_MAX_SECONDS", default=6 * 60 * 60)
# The state's lists (participants/eligibility/lists.py): the validity an operator's import gets
# when none is given.
LIST_DEFAULT_VALIDITY_DAYS = env.int("LIST_DEFAULT_VALIDITY_DAYS", default=180)
# The fake registry's slow answer (a NIK ending in 0997).
REGISTRY_FAKE_SLOW_SECONDS = env.float("REGISTRY_FAKE_SLOW_SECONDS", default=2.0)

# --- Celery --------------------------------------------------------------------------------------

CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
else:
    # Embedded broker: kombu's filesystem transport, so `make run` needs no broker server.
    BROKER_DIR = Path(env.str("BROKER_DIR", default=str(BASE_DIR / ".run" / "broker")))
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
    }
    CELERY_RESULT_BACKEND = None
    # The transport writes into these folders and fails when they are missing (a fresh checkout
    # running a job before `make run`).
    for folder in ("queue", "control"):
        (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
# Tests run tasks in-process unless a test starts a real worker (tests/test_celery.py).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=TESTING)
CELERY_TASK_EAGER_PROPAGATES = True

# Beat keeps each entry's last run in the database (django-celery-beat), not in a file on its
# host, so the one beat process can move to another host and carry on where it was. The schedule
# itself is CELERY_BEAT_SCHEDULE below: prakerja.beat.CodeScheduler writes it into the database at
# every start and deletes the rows of entries no longer in it.
CELERY_BEAT_SCHEDULER = "prakerja.beat:CodeScheduler"

# The only place where schedules are defined. Times are WIB (CELERY_TIMEZONE).
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "recheck-eligibility": {
        "task": "participants.tasks.recheck_eligibility",
        "schedule": crontab(hour=2, minute=30),
    },
    "retry-registry-checks": {
        "task": "participants.tasks.retry_registry_checks",
        "schedule": crontab(minute="*"),
    },
    "heartbeat": {
        "task": "prakerja.tasks.heartbeat",
        "schedule": crontab(minute="*/5"),
    },
    # selection: waves whose announcement time has passed and that have no run (idempotent).
    "run-due-selections": {
        "task": "participants.tasks.run_due_selections",
        "schedule": crontab(minute="*/5"),
    },
    # The first-purchase sweep, shortly after midnight WIB (17:05 UTC the day before).
    "sweep-deadlines": {
        "task": "trainings.tasks.sweep_deadlines_task",
        "schedule": crontab(hour=0, minute=5),
    },
    # Reminders 7, 3 and 1 days before the deadline, at a civil hour.
    "deadline-reminders": {
        "task": "trainings.tasks.send_deadline_reminders_task",
        "schedule": crontab(hour=9, minute=0),
    },
    # Balance expiry: idempotent, so a daily run is safe; the one that matters is 16 December.
    "expire-balances": {
        "task": "trainings.tasks.expire_balances_task",
        "schedule": crontab(hour=0, minute=20),
    },
    # incentives: plan and send due installments; then compare yesterday with the backend.
    "incentives-disburse": {
        "task": "incentives.tasks.disburse_incentives",
        "schedule": crontab(hour=1, minute=30),
    },
    "incentives-reconcile": {
        "task": "incentives.tasks.reconcile_payouts",
        "schedule": crontab(hour=5, minute=0),
    },
    # The program dashboard's daily trends: today's counts so far, and any day missed.
    "trends-rollup": {
        "task": "reports.tasks.rollup_trends",
        "schedule": crontab(minute=15),
    },
    # Registration emails that waited (in PostgreSQL through a Redis outage, or a lost flush).
    "registration-mail": {
        "task": "participants.tasks.flush_registration_mail",
        "schedule": crontab(minute="*"),
    },
    # Sessions live in PostgreSQL (prakerja/sessions.py): expired rows go once a night.
    "clear-sessions": {
        "task": "prakerja.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=30),
    },
}

# --- program amounts and rules (whole rupiah; settings, not constants in code) ------------------

TRAINING_BALANCE_IDR = env.int("TRAINING_BALANCE_IDR", default=1_000_000)
FIRST_PURCHASE_DAYS = env.int("FIRST_PURCHASE_DAYS", default=30)
# Every SMS OTP (phone, payment, payout account; participants/otp.py): validity, wrong attempts
# before the lock, wait between two codes of one use, and new codes per person within the window.
OTP_TTL_SECONDS = env.int("OTP_TTL_SECONDS", default=300)
OTP_MAX_ATTEMPTS = env.int("OTP_MAX_ATTEMPTS", default=5)
OTP_RESEND_COOLDOWN_SECONDS = env.int("OTP_RESEND_COOLDOWN_SECONDS", default=60)
OTP_MAX_PER_WINDOW = env.int("OTP_MAX_PER_WINDOW", default=5)
OTP_WINDOW_SECONDS = env.int("OTP_WINDOW_SECONDS", default=900)
# The nightly sweep and the balance expiry work in keyset batches of at most this many rows.
SWEEP_BATCH_SIZE = env.int("SWEEP_BATCH_SIZE", default=10_000)
# On PostgreSQL the sweep's batches run in this many threads, each with its own connection.
SWEEP_WORKERS = env.int("SWEEP_WORKERS", default=2)
# Revocation notices are sent by Celery tasks of at most this many participants each.
SWEEP_NOTIFY_CHUNK = env.int("SWEEP_NOTIFY_CHUNK", default=500)
# Reminders before the first-purchase deadline, in whole WIB days.
DEADLINE_REMINDER_DAYS = [7, 3, 1]

# incentives (docs/program.md section 3)
INCENTIVE_MONTHLY_IDR = env.int("INCENTIVE_MONTHLY_IDR", default=600_000)
INCENTIVE_MONTHS = env.int("INCENTIVE_MONTHS", default=4)
SURVEY_INCENTIVE_IDR = env.int("SURVEY_INCENTIVE_IDR", default=50_000)
SURVEY_COUNT = env.int("SURVEY_COUNT", default=3)
SURVEY_FIRST_OPENS_DAYS = env.int("SURVEY_FIRST_OPENS_DAYS", default=30)
PAYOUT_BACKEND = env.str("PAYOUT_BACKEND", default="fake")
PAYOUT_HTTP_URL = env.str("PAYOUT_HTTP_URL", default="")
PAYOUT_HTTP_KEY = env.str("PAYOUT_HTTP_KEY", default="")
# Signs gateway requests and its callbacks. The development value is published, so with DEBUG
# off it is never used: the http backend refuses to start, and callbacks are refused (no secret
# to check them against) while the fake backend runs.
PAYOUT_DEV_SECRET = "dev-payout-secret"  # noqa: S105
PAYOUT_HTTP_SECRET = env.str(
    "PAYOUT_HTTP_SECRET", default=PAYOUT_DEV_SECRET if DEBUG or TESTING else ""
)
if not DEBUG and not TESTING and PAYOUT_HTTP_SECRET in ("", PAYOUT_DEV_SECRET):
    if PAYOUT_BACKEND == "http":
        raise ImproperlyConfigured(
            "PAYOUT_HTTP_SECRET must be set (not the development value) when DEBUG is off "
            "and PAYOUT_BACKEND=http."
        )
    PAYOUT_HTTP_SECRET = ""
PAYOUT_HTTP_TIMEOUT_SECONDS = env.float("PAYOUT_HTTP_TIMEOUT_SECONDS", default=10.0)
PAYOUT_FAKE_LATENCY_MS = env.float("PAYOUT_FAKE_LATENCY_MS", default=0.0)
# The fake's account check sleeps this long (fault tests: a slow gateway outlives the lease).
PAYOUT_FAKE_VALIDATION_LATENCY_MS = env.float("PAYOUT_FAKE_VALIDATION_LATENCY_MS", default=0.0)
# Wrong passwords on the payout-account form before it locks, and the window they count in.
PAYOUT_PASSWORD_MAX_FAILURES = env.int("PAYOUT_PASSWORD_MAX_FAILURES", default=5)
PAYOUT_PASSWORD_WINDOW_SECONDS = env.int("PAYOUT_PASSWORD_WINDOW_SECONDS", default=900)
PAYOUT_APPROVAL_THRESHOLD_IDR = env.int("PAYOUT_APPROVAL_THRESHOLD_IDR", default=1_000_000_000)
PAYOUT_BATCH_SIZE = env.int("PAYOUT_BATCH_SIZE", default=500)
PAYOUT_RETRY_BASE_SECONDS = env.int("PAYOUT_RETRY_BASE_SECONDS", default=600)
PAYOUT_MAX_TEMPORARY_FAILURES = env.int("PAYOUT_MAX_TEMPORARY_FAILURES", default=8)
# A claim not renewed for this long belongs to a dead or stalled worker: its token is revoked
# and its outcome asked from the gateway by key (docs/payouts.md). Tests shorten it.
PAYOUT_CLAIM_LEASE_SECONDS = env.int("PAYOUT_CLAIM_LEASE_SECONDS", default=900)

# --- staff actions on participants (freeze, revoke for fraud, profile corrections) -------------

# A single revocation (staff, fraud) returns the person's place to the recovered quota pool, a
# rule trainings owns; participants may not import trainings, so the project wires it here.
PARTICIPANTS_PLACE_FREED = "trainings.waves.return_place"
# The dashboard's next step after the first purchase depends on the first training's progress
# (finished, reviewed), which trainings owns: wired the same way.
PARTICIPANTS_FIRST_TRAINING_PROGRESS = "trainings.selectors.first_training_progress"

# --- complaints (Formulir Pengaduan) ------------------------------------------------------------

COMPLAINT_ATTACHMENT_MAX_BYTES = env.int("COMPLAINT_ATTACHMENT_MAX_BYTES", default=2 * 1024 * 1024)
# Orientation videos (admin): MP4 or WebM up to this size (prakerja/uploads.py).
ORIENTATION_VIDEO_MAX_BYTES = env.int("ORIENTATION_VIDEO_MAX_BYTES", default=50 * 1024 * 1024)
# Request bodies are refused (413) from their Content-Length before they are read: the routes
# that carry a file allow its limit plus the form around it, every other request this much
# (the partner API has its own limit, PARTNER_API_MAX_BODY_BYTES).
UPLOAD_ROUTES = [
    (r"^/pengaduan/$", "COMPLAINT_ATTACHMENT_MAX_BYTES"),
    (r"^/admin/participants/orientationvideo/(add|\d+/change)/$", "ORIENTATION_VIDEO_MAX_BYTES"),
]
REQUEST_MAX_BODY_BYTES = env.int("REQUEST_MAX_BODY_BYTES", default=1024 * 1024)
# django-ratelimit rates ("count/period") for filing complaints, per client IP and per email.
COMPLAINT_RATE_PER_IP = env.str("COMPLAINT_RATE_PER_IP", default="10/h")
COMPLAINT_RATE_PER_EMAIL = env.str("COMPLAINT_RATE_PER_EMAIL", default="3/h")
# The portal's public address: every absolute address it hands out (links in emails and SMS, the
# payout gateway's callback) is built on it (prakerja/links.py).
PORTAL_URL = env.str("PORTAL_URL", default="http://127.0.0.1:8000")

# --- logging: structured JSON lines to stdout ------------------------------------------------
# Every line of a request, and of the Celery tasks it queued, carries the request's id
# (prakerja/logcontext.py); the id is also the response's X-Request-ID header. Behind a trusted
# proxy (TRUSTED_PROXY_COUNT >= 1) a well-formed X-Request-ID it sets is kept, so the proxy's and
# the portal's logs share it; without one, every request gets a new id.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "prakerja.logcontext.ContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["context"]}
    },
    "root": {"handlers": ["stdout"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "celery": {"level": "INFO"},
        "axes": {"level": "WARNING"},
    },
}

# --- monitoring (GET /metrics; prakerja/metrics/, docs/operations.md) -------------------------
# The bearer token Prometheus sends; unset, /metrics answers 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Redis keys of the deployment-wide counters (Celery tasks, payouts).
METRICS_KEY_PREFIX = env.str("METRICS_KEY_PREFIX", default="prakerja:metrics")

# --- participant journey (registration, basic test, orientation) ---------------------------------

EMAIL_VERIFICATION_MAX_AGE_SECONDS = env.int("EMAIL_VERIFICATION_MAX_AGE_SECONDS", default=259200)
BASIC_TEST_QUESTIONS = env.int("BASIC_TEST_QUESTIONS", default=18)
BASIC_TEST_MINUTES = env.int("BASIC_TEST_MINUTES", default=25)
BASIC_TEST_PASS_MARK = env.int("BASIC_TEST_PASS_MARK", default=60)  # percent of correct answers
BASIC_TEST_RETRY_HOURS = env.int("BASIC_TEST_RETRY_HOURS", default=24)
# A completed video is accepted when the server saw at least its duration minus this slack
# between the start and the end report (clock granularity, network latency).
ORIENTATION_SLACK_SECONDS = env.int("ORIENTATION_SLACK_SECONDS", default=1)
# django-ratelimit: on in every environment except the test run (tests switch it on to test it).
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=not TESTING)
# Logins per account from one address, and from one address in all: a mobile carrier's address
# serves thousands of people, so the second figure is high (it stops stuffing lists of accounts).
RATELIMIT_LOGIN = env.str("RATELIMIT_LOGIN", default="10/m")
RATELIMIT_LOGIN_PER_ADDRESS = env.str("RATELIMIT_LOGIN_PER_ADDRESS", default="300/m")
# Registrations of one email from one address, and from one address in all (a carrier's).
RATELIMIT_REGISTER = env.str("RATELIMIT_REGISTER", default="5/m")
RATELIMIT_REGISTER_PER_ADDRESS = env.str("RATELIMIT_REGISTER_PER_ADDRESS", default="120/m")
RATELIMIT_OTP = env.str("RATELIMIT_OTP", default="5/h")
# Identity submissions ("NIK sudah terdaftar" confirms someone else's NIK), per account and per
# client address (an address is shared by many people behind a carrier's NAT: a higher limit).
RATELIMIT_IDENTITY = env.str("RATELIMIT_IDENTITY", default="5/h")
RATELIMIT_IDENTITY_ADDRESS = env.str("RATELIMIT_IDENTITY_ADDRESS", default="30/h")
# --- the sandbox platform (/sandbox/, on with SANDBOX=1) ---------------------------------------
# The partner API key pair the sandbox signs with. Empty: the sandbox provisions its own pair on
# first use through trainings.services.issue_partner_key (sandbox/credentials.py).
SANDBOX_PARTNER_KEY = env.str("SANDBOX_PARTNER_KEY", default="")
SANDBOX_PARTNER_SECRET = env.str("SANDBOX_PARTNER_SECRET", default="")
# --- security hardening ---------------------------------------------------------------------------
# Partner API: bodies above this many bytes are refused with 413 payload_too_large (the largest
# real body, a completion or a 2,000-character review, is well under 8 KiB).
PARTNER_API_MAX_BODY_BYTES = env.int("PARTNER_API_MAX_BODY_BYTES", default=64 * 1024)
# Rate-limit counters (django-ratelimit) live in their own cache: Redis when configured, falling
# back to process memory while Redis is unreachable, so limits degrade instead of answering 500.
if REDIS_URL:
    CACHES["ratelimit"] = {
        "BACKEND": "prakerja.cache.ResilientRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="prakerja") + ":rl",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
else:
    CACHES["ratelimit"] = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "ratelimit",
    }
RATELIMIT_USE_CACHE = "ratelimit"
if REDIS_URL:
    # Sessions' cache (see "web tier"): no fallback to process memory, whose copies other
    # processes could not see; while Redis is down, sessions are read from PostgreSQL.
    CACHES["sessions"] = {
        **CACHES["ratelimit"],
        "BACKEND": "prakerja.cache.SharedClientRedisCache",
        "KEY_PREFIX": CACHES["default"].get("KEY_PREFIX", "prakerja"),
    }
    SESSION_CACHE_ALIAS = "sessions"
# A guest's complaint tracking link (emailed) stops working after this long; every staff reply
# emails a fresh one.
COMPLAINT_TRACKING_MAX_AGE_SECONDS = env.int(
    "COMPLAINT_TRACKING_MAX_AGE_SECONDS", default=30 * 24 * 3600
)

# Staff second factor (django-otp): the admin site asks every staff login for a TOTP token or a
# one-time recovery code (participants.staff_otp). TOTP devices are throttled by django-otp
# after wrong tokens.
OTP_TOTP_ISSUER = "Prakerja"
# Failed logins (django-axes, in the database so a Redis outage changes nothing): after
# AXES_FAILURE_LIMIT failures an account, and separately an address, is locked for
# AXES_COOLOFF_TIME, on the admin login and the participant login (/masuk/) alike.
# axes first: it refuses a locked account or address before any password is checked.
# Then the limit on one account's failures from every address together (prakerja/login_limits.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "prakerja.login_limits.AccountFailureLimitBackend",
    *AUTHENTICATION_BACKENDS,
]
LOGIN_FAILURES_PER_ACCOUNT = env.str("LOGIN_FAILURES_PER_ACCOUNT", default="30/h")
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
# Account and address together: a mobile carrier puts thousands of people behind one address,
# so failures from it lock only the account they were made for, from that address.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "prakerja.client_ip.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"  # both login forms post the email as "username"
AXES_LOCKOUT_CALLABLE = "participants.views.login_locked_out"
AXES_VERBOSE = False
# Password reset requests (each sends an email), per address and per email.
RATELIMIT_PASSWORD_RESET = env.str("RATELIMIT_PASSWORD_RESET", default="5/h")
# Admin searches by a full 16-digit NIK (each confirms whether a NIK is registered), per staff
# account; they also need participants.search_full_nik (docs/privacy.md).
NIK_SEARCH_RATE = env.str("NIK_SEARCH_RATE", default="20/h")

# Content-Security-Policy on every response (django-csp): scripts and styles only from our own
# origin (no inline script anywhere, the admin's included; inline style only in the two
# self-contained pages, allowed by hash: prakerja/csp.py), no plugins, no framing.
from prakerja.csp import inline_style_hashes  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": [
            "'self'",
            *inline_style_hashes(
                BASE_DIR / "templates" / "500.html", BASE_DIR / "templates" / "ruang_tunggu.html"
            ),
        ],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- production never runs on a local stand-in for an outside system (prakerja/gateways.py) ----

# A staging host may run on the stand-ins (fake payouts, SMS to a log or file): check --deploy
# still names each one.
ALLOW_FAKE_GATEWAYS = env.bool("ALLOW_FAKE_GATEWAYS", default=False)
from prakerja import gateways  # noqa: E402

if not DEBUG and not TESTING and not ALLOW_FAKE_GATEWAYS and gateways.in_use(globals()):
    raise ImproperlyConfigured(gateways.refusal(gateways.in_use(globals())))
