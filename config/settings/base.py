"""Settings shared by every environment. Values come from the environment (django-environ);
defaults are the embedded ones: SQLite, in-process cache, a filesystem Celery broker."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
PLATFORM_NAME = env.str("PLATFORM_NAME", default="Lectern")
VERSION = "0.1.0"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_celery_beat",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.github",
    "allauth.headless",
    "config",
    "accounts",
    "credits",
    "courses",
    "videos",
    "attendance",
    "jobs",
    "mentoring",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.RequestIdMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "config.middleware.RateLimitMiddleware",
    "config.middleware.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

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

# --- Database: SQLite under var/ unless DATABASE_URL says otherwise -----------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL, a busy timeout and IMMEDIATE transactions let a few web processes and a worker
    # write at once without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis when REDIS_URL is set, process memory otherwise --------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache_backends.FallbackRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="lectern"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth ---------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 3)
# Login brute-force protection: this many failures for one identifier, or from one IP, within
# the cool-down lock further attempts out for the cool-down.
LOGIN_LOCKOUT_ACCOUNT_FAILURES = env.int("LOGIN_LOCKOUT_ACCOUNT_FAILURES", default=5)
LOGIN_LOCKOUT_IP_FAILURES = env.int("LOGIN_LOCKOUT_IP_FAILURES", default=20)
LOGIN_LOCKOUT_COOLDOWN_SECONDS = env.int("LOGIN_LOCKOUT_COOLDOWN_SECONDS", default=900)
# Closing an account without a password (social sign-in only) needs a sign-in this recent.
ACCOUNT_DELETE_REAUTH_SECONDS = env.int("ACCOUNT_DELETE_REAUTH_SECONDS", default=600)
FRONTEND_URL = env.str("FRONTEND_URL", default="http://127.0.0.1:3000")
# How long the user row behind a bearer token may be served from the cache (Redis only);
# every change to the user makes the cached copy stale at once (accounts.user_cache). 0: off.
AUTH_USER_CACHE_SECONDS = env.int("AUTH_USER_CACHE_SECONDS", default=60)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# Third-party tokens are encrypted with these Fernet keys, newest first.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# allauth: headless only, for SPA and mobile clients; tokens are simplejwt's.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
HEADLESS_ONLY = True
HEADLESS_CLIENTS = ("app", "browser")
HEADLESS_TOKEN_STRATEGY = "accounts.social.JWTTokenStrategy"
HEADLESS_FRONTEND_URLS = {
    "socialaccount_login_error": f"{FRONTEND_URL}/login/error",
    "account_reset_password_from_key": f"{FRONTEND_URL}/password/reset/{{key}}",
    "account_signup": f"{FRONTEND_URL}/signup",
}
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
ACCOUNT_ADAPTER = "accounts.social.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.social.SocialAccountAdapter"
# Provider tokens are not kept (allauth would store them in plain text); third-party tokens
# the platform needs live in the encrypted credential store.
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS = {
    "google": {
        "APPS": [
            {
                "client_id": env.str("GOOGLE_CLIENT_ID", default=""),
                "secret": env.str("GOOGLE_CLIENT_SECRET", default=""),
            }
        ],
        "SCOPE": ["profile", "email"],
    },
    "github": {
        "APPS": [
            {
                "client_id": env.str("GITHUB_CLIENT_ID", default=""),
                "secret": env.str("GITHUB_CLIENT_SECRET", default=""),
            }
        ],
        "SCOPE": ["user:email"],
    },
}

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# Request bodies above this size are refused with 413 (uploads are not JSON bodies).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"

# --- Email --------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# Seconds an SMTP connection may block (Django's default is to wait forever).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Lectern <no-reply@lectern.local>")
SMTP_CONFIGURED = EMAIL_CONFIG["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"

# --- Django REST framework ----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.api.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "config.api.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [],
    "EXCEPTION_HANDLER": "config.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

RATE_LIMIT_ENABLED = env.bool("RATE_LIMIT_ENABLED", default=True)
RATE_LIMIT_REQUESTS = env.int("RATE_LIMIT_REQUESTS", default=100)
RATE_LIMIT_WINDOW = env.int("RATE_LIMIT_WINDOW", default=60)
RATE_LIMIT_AUTH_REQUESTS = env.int("RATE_LIMIT_AUTH_REQUESTS", default=10)
# Paths under the stricter `auth` bucket (per IP): login, signup, password reset, social login.
RATE_LIMIT_AUTH_PATHS = [
    "/api/v1/auth/login",
    "/api/v1/auth/signup",
    "/api/v1/auth/password/reset",
    "/_allauth/",
]
# Number of reverse proxies in front of the app whose X-Forwarded-For is trusted (0: none;
# REMOTE_ADDR is the client).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

SPECTACULAR_SETTINGS = {
    "TITLE": "Lectern API",
    "DESCRIPTION": "Courses, attendance, credits, AI film jobs and mentoring.",
    "VERSION": VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "UserRoleEnum": "accounts.models.User.Role",
        "SignupRoleEnum": [("student", "Student"), ("mentor", "Mentor")],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.schema.add_error_responses",
    ],
}

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _control_dir = VAR_DIR / "celery" / "control"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    _control_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        # Broadcast exchanges (worker remote control) live under var/, not the working dir.
        "control_folder": str(_control_dir),
        "store_processed": False,
    }
else:
    _broker_socket_timeout = env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=5.0)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Longer than the longest task or countdown, so acks_late messages are not
        # redelivered early.
        "visibility_timeout": 60 * 60 * 2,
        # A broker that stops answering without closing the connection fails a publish
        # (inside a web request, the job is left for the dispatch sweep) after this long
        # instead of blocking forever. Above the 1 s a worker's BRPOP waits for a message.
        "socket_timeout": _broker_socket_timeout,
        "socket_connect_timeout": _broker_socket_timeout,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "normal"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The periodic schedule. Each app adds its entries in code here; beat syncs them into the
# database, where they are visible and editable in Django admin.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}

# --- Logging ------------------------------------------------------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "config.logging.JsonFormatter"},
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Clients that log secrets at DEBUG: OAuth token responses and authorization codes
        # (oauthlib, requests-oauthlib), request URLs carrying the API key (googleapiclient).
        # Never below WARNING, whatever LOG_LEVEL says.
        "oauthlib": {"level": "WARNING"},
        "requests_oauthlib": {"level": "WARNING"},
        "googleapiclient": {"level": "WARNING"},
    },
}

# --- credits ------------------------------------------------------------------------------
# Monthly allowance per tier: every account's allowance is reset to it on the 1st.
CREDITS_TIER_ALLOWANCES = {
    "free": env.int("CREDITS_ALLOWANCE_FREE", default=3),
    "pro": env.int("CREDITS_ALLOWANCE_PRO", default=30),
    "enterprise": env.int("CREDITS_ALLOWANCE_ENTERPRISE", default=1000),
}
# Accounts reset per database transaction by the monthly reset.
CREDITS_RESET_BATCH_SIZE = env.int("CREDITS_RESET_BATCH_SIZE", default=2000)
# Largest number of credits one grant, purchase or transfer may move.
CREDITS_MAX_AMOUNT = env.int("CREDITS_MAX_AMOUNT", default=1_000_000)
# Shared secret of the payment provider's webhook (HMAC-SHA256 of the raw body, hex, in the
# X-Signature header). Empty: the webhook refuses every event with a 503.
PAYMENT_WEBHOOK_SECRET = env.str("PAYMENT_WEBHOOK_SECRET", default="")
CELERY_BEAT_SCHEDULE["credits-monthly-reset"] = {
    # At midnight (TIME_ZONE) on the first day of every month.
    "task": "credits.tasks.reset_monthly_credits",
    "schedule": crontab(minute="0", hour="0", day_of_month="1"),
}

# --- courses and videos -------------------------------------------------------------------
# YouTube Data API v3 key for playlist imports; imports answer 503 while it is empty.
YOUTUBE_API_KEY = env.str("YOUTUBE_API_KEY", default="")
YOUTUBE_HTTP_TIMEOUT = env.int("YOUTUBE_HTTP_TIMEOUT", default=20)
# Quota, 5xx and network errors retry after BACKOFF seconds, doubling each time, at most
# BACKOFF_MAX (kept below the broker's visibility timeout), MAX_RETRIES times.
YOUTUBE_IMPORT_MAX_RETRIES = env.int("YOUTUBE_IMPORT_MAX_RETRIES", default=5)
YOUTUBE_IMPORT_RETRY_BACKOFF = env.int("YOUTUBE_IMPORT_RETRY_BACKOFF", default=60)
YOUTUBE_IMPORT_RETRY_BACKOFF_MAX = env.int("YOUTUBE_IMPORT_RETRY_BACKOFF_MAX", default=1800)
CELERY_BEAT_SCHEDULE["videos-reclaim-stale-imports"] = {
    # Every five minutes: requeue (or fail) imports whose worker died while running them.
    "task": "videos.tasks.playlist_imports_reclaim_stale_task",
    "schedule": crontab(minute="*/5"),
}
# Distinct OpenAPI enum names for the choice sets that share a field name with others.
_enum_names: dict[str, str] = SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]  # type: ignore[assignment]
_enum_names.update(
    {
        "CourseStatusEnum": "courses.models.Course.Status",
        "EnrollmentStatusEnum": "courses.models.Enrollment.Status",
        "EnrollmentRoleEnum": "courses.models.Enrollment.Role",
        "PlaylistImportStatusEnum": "videos.models.PlaylistImport.Status",
    }
)

# --- mentoring and notifications -----------------------------------------------------------
# Notification channels of a user who has not chosen, for every type; per-type overrides
# (e.g. {"new_message": {"email": False}}) in NOTIFICATION_TYPE_CHANNELS.
NOTIFICATION_DEFAULT_CHANNELS = {
    "email": env.bool("NOTIFICATION_DEFAULT_EMAIL", default=True),
    "in_app": env.bool("NOTIFICATION_DEFAULT_IN_APP", default=True),
}
NOTIFICATION_TYPE_CHANNELS: dict[str, dict[str, bool]] = {}
# Notification emails still pending (or stuck sending) this many seconds after they were
# last touched are sent again by the sweep, up to NOTIFICATION_EMAIL_MAX_ATTEMPTS attempts.
NOTIFICATION_EMAIL_RESEND_AFTER = env.int("NOTIFICATION_EMAIL_RESEND_AFTER", default=900)
NOTIFICATION_EMAIL_MAX_ATTEMPTS = env.int("NOTIFICATION_EMAIL_MAX_ATTEMPTS", default=8)
CELERY_BEAT_SCHEDULE["accounts-resend-notification-emails"] = {
    # Every five minutes: send again the notification emails a broker outage left behind.
    "task": "accounts.tasks.notification_emails_resend_task",
    "schedule": crontab(minute="*/5"),
}
# A student cancelling less than this many hours before the start pays this share of the
# price (rounded half up) to the mentor; the rest of the hold is released.
MENTORING_LATE_CANCEL_WINDOW_HOURS = env.int("MENTORING_LATE_CANCEL_WINDOW_HOURS", default=24)
MENTORING_LATE_CANCEL_CAPTURE_SHARE = env.float("MENTORING_LATE_CANCEL_CAPTURE_SHARE", default=0.5)
# A no-show marked by the mentor: "capture" pays the mentor the price, "release" returns it.
MENTORING_NO_SHOW_POLICY = env.str("MENTORING_NO_SHOW_POLICY", default="capture")
MENTORING_MESSAGE_MAX_LENGTH = env.int("MENTORING_MESSAGE_MAX_LENGTH", default=5000)
# The rate of a mentor profile created on first visit, in credits per hour.
MENTORING_DEFAULT_HOURLY_RATE_CREDITS = env.int("MENTORING_DEFAULT_HOURLY_RATE_CREDITS", default=10)
# Free slots shown on a mentor's page: how many, how far ahead, their length and their grid.
MENTORING_FREE_SLOTS_COUNT = env.int("MENTORING_FREE_SLOTS_COUNT", default=10)
MENTORING_FREE_SLOTS_DAYS = env.int("MENTORING_FREE_SLOTS_DAYS", default=14)
MENTORING_FREE_SLOT_MINUTES = env.int("MENTORING_FREE_SLOT_MINUTES", default=60)
MENTORING_SLOT_STEP_MINUTES = env.int("MENTORING_SLOT_STEP_MINUTES", default=30)
# How long before the scheduled time a mentor may start a confirmed session.
MENTORING_START_EARLY_MINUTES = env.int("MENTORING_START_EARLY_MINUTES", default=10)
CELERY_BEAT_SCHEDULE["mentoring-session-reminders"] = {
    # Every minute.
    "task": "mentoring.tasks.send_session_reminders",
    "schedule": crontab(minute="*"),
}
CELERY_BEAT_SCHEDULE["mentoring-expire-requests"] = {
    # Every five minutes.
    "task": "mentoring.tasks.expire_session_requests",
    "schedule": crontab(minute="*/5"),
}
_enum_names.update(
    {
        "NotificationTypeEnum": "accounts.models.Notification.Type",
        "SessionStatusEnum": "mentoring.models.Session.Status",
    }
)

# --- attendance ---------------------------------------------------------------------------
# Watch time (seconds, summed over all videos) that makes a day "present".
ATTENDANCE_MIN_SECONDS = env.int("ATTENDANCE_MIN_SECONDS", default=600)
# Share of a video's length (0-1) that must be watched for the video to count as complete.
ATTENDANCE_COMPLETE_SHARE = env.float("ATTENDANCE_COMPLETE_SHARE", default=0.9)
# Reported positions may pass the video's duration by this much (players overshoot).
ATTENDANCE_POSITION_TOLERANCE_SECONDS = env.int("ATTENDANCE_POSITION_TOLERANCE_SECONDS", default=5)
# Fastest playback the player offers: positions may advance at most this many seconds per
# second of server-measured time (YouTube: 2x).
ATTENDANCE_MAX_PLAYBACK_RATE = env.float("ATTENDANCE_MAX_PLAYBACK_RATE", default=2.0)
# Client start/end times further than this from the server's clock are refused.
ATTENDANCE_CLIENT_CLOCK_SKEW_SECONDS = env.int(
    "ATTENDANCE_CLIENT_CLOCK_SKEW_SECONDS", default=24 * 3600
)
# How long the progress endpoint may trust a cached video lookup and enrollment check;
# both are also forgotten as soon as the video or the enrollment changes.
ATTENDANCE_CACHE_SECONDS = env.int("ATTENDANCE_CACHE_SECONDS", default=60)
# Absent rows inserted per statement by the day close.
ATTENDANCE_CLOSE_BATCH_SIZE = env.int("ATTENDANCE_CLOSE_BATCH_SIZE", default=5000)
CELERY_BEAT_SCHEDULE["attendance-close-yesterday"] = {
    # Every day at 00:15 (TIME_ZONE): close the day before. The quarter hour lets requests
    # received just before midnight finish first.
    "task": "attendance.tasks.close_previous_day",
    "schedule": crontab(minute="15", hour="0"),
}
_enum_names.update(
    {
        "AttendanceStatusEnum": "attendance.models.DailyAttendance.Status",
        "WatchEventKindEnum": "attendance.models.WatchEvent.Kind",
    }
)

# --- jobs ---------------------------------------------------------------------------------
# Credits each job type costs (held when the job is queued, spent when it completes, given
# back when it fails or is cancelled). Override some with e.g.
# JOBS_COST_PER_TYPE="full_generation=10,image_generation=2".
JOBS_COST_PER_TYPE: dict[str, int] = {
    "script_analysis": 1,
    "image_generation": 1,
    "voice_synthesis": 1,
    "video_composition": 1,
    "subtitle_generation": 1,
    "thumbnail_generation": 1,
    "full_generation": 1,
} | env.dict("JOBS_COST_PER_TYPE", cast={"value": int}, default={})
# Automatic retries of a job after transient errors (and requeues by the reaper); the
# owner's retries after a final failure count against the same limit.
JOBS_MAX_RETRIES = env.int("JOBS_MAX_RETRIES", default=3)
# Transient errors retry after BACKOFF seconds, doubling each time, at most BACKOFF_MAX.
JOBS_RETRY_BACKOFF = env.int("JOBS_RETRY_BACKOFF", default=10)
JOBS_RETRY_BACKOFF_MAX = env.int("JOBS_RETRY_BACKOFF_MAX", default=600)
# A processing job whose worker sent no progress for this long is requeued (or failed when
# no retries remain) by the reaper. Keep it above JOBS_AI_PROVIDER_TIMEOUT.
JOBS_STUCK_TIMEOUT = env.int("JOBS_STUCK_TIMEOUT", default=600)
# The dispatch sweep publishes queued jobs left undispatched for this long (the broker was
# down at commit time), and publishes again jobs dispatched this long ago and still queued
# (a lost message); the latter must exceed the broker's visibility timeout.
JOBS_DISPATCH_GRACE = env.int("JOBS_DISPATCH_GRACE", default=10)
JOBS_REDISPATCH_AFTER = env.int("JOBS_REDISPATCH_AFTER", default=60 * 60 * 3)
# Time limits of one job run, below the broker's visibility timeout.
JOBS_SOFT_TIME_LIMIT = env.int("JOBS_SOFT_TIME_LIMIT", default=1800)
JOBS_TIME_LIMIT = env.int("JOBS_TIME_LIMIT", default=1900)
# Jobs go to the queues "<prefix>high", "<prefix>normal" and "<prefix>low" by priority;
# workers consume them in that order (-Q high,normal,low).
JOBS_QUEUE_PREFIX = env.str("JOBS_QUEUE_PREFIX", default="")
# The operator's AI service for image, voice and video jobs (see jobs/processors/provider.py
# for the contract). Empty: those jobs fail with that reason and their credits come back.
JOBS_AI_PROVIDER_URL = env.str("JOBS_AI_PROVIDER_URL", default="")
JOBS_AI_PROVIDER_TOKEN = env.str("JOBS_AI_PROVIDER_TOKEN", default="")
JOBS_AI_PROVIDER_TIMEOUT = env.int("JOBS_AI_PROVIDER_TIMEOUT", default=300)
# YouTube publishing: a Google OAuth client of type "web" whose redirect URI points at
# GET /api/v1/youtube/callback (or a frontend page that calls it).
GOOGLE_OAUTH_CLIENT_ID = env.str("GOOGLE_OAUTH_CLIENT_ID", default="")
GOOGLE_OAUTH_CLIENT_SECRET = env.str("GOOGLE_OAUTH_CLIENT_SECRET", default="")
GOOGLE_OAUTH_REDIRECT_URI = env.str("GOOGLE_OAUTH_REDIRECT_URI", default="")
# How long the state of a started OAuth connection stays valid.
YOUTUBE_OAUTH_STATE_TTL = env.int("YOUTUBE_OAUTH_STATE_TTL", default=600)
# Resumable uploads send chunks of this size (a multiple of 256 KiB); a failed chunk is
# retried CHUNK_RETRIES times after BACKOFF seconds, doubling.
YOUTUBE_UPLOAD_CHUNK_SIZE = env.int("YOUTUBE_UPLOAD_CHUNK_SIZE", default=8 * 1024 * 1024)
YOUTUBE_UPLOAD_CHUNK_RETRIES = env.int("YOUTUBE_UPLOAD_CHUNK_RETRIES", default=5)
YOUTUBE_UPLOAD_RETRY_BACKOFF = env.int("YOUTUBE_UPLOAD_RETRY_BACKOFF", default=2)
YOUTUBE_UPLOAD_SOFT_TIME_LIMIT = env.int("YOUTUBE_UPLOAD_SOFT_TIME_LIMIT", default=3600)
YOUTUBE_UPLOAD_TIME_LIMIT = env.int("YOUTUBE_UPLOAD_TIME_LIMIT", default=3700)
if not CELERY_BROKER_URL.startswith("filesystem://"):
    # Kombu's Redis transport rotates the queues it listens on after each message
    # (round robin); "priority" keeps the -Q order, so high is always emptied first.
    CELERY_BROKER_TRANSPORT_OPTIONS["queue_order_strategy"] = "priority"
CELERY_BEAT_SCHEDULE["jobs-dispatch-sweep"] = {
    # Every minute: publish queued jobs that were committed but never dispatched.
    "task": "jobs.tasks.jobs_dispatch_sweep_task",
    "schedule": crontab(minute="*"),
}
CELERY_BEAT_SCHEDULE["jobs-reap-stuck"] = {
    # Every five minutes: requeue or fail jobs (and uploads) whose worker went silent.
    "task": "jobs.tasks.jobs_reap_stuck_task",
    "schedule": crontab(minute="*/5"),
}
_enum_names.update(
    {
        "ProjectStatusEnum": "jobs.models.Project.Status",
        "JobStatusEnum": "jobs.models.Job.Status",
        "JobTypeEnum": "jobs.models.Job.Type",
        "YouTubeUploadStatusEnum": "jobs.models.YouTubeUpload.Status",
        "PrivacyStatusEnum": "jobs.models.YouTubeUpload.Privacy",
    }
)

# --- remediation: LMS quiz results (courses) and video recommendations (videos) -----------
# Canvas REST calls: timeouts in seconds, retries of throttled/5xx/network failures inside
# one sync (BACKOFF seconds doubling, at most BACKOFF_MAX), page size of list calls.
LMS_CONNECT_TIMEOUT = env.float("LMS_CONNECT_TIMEOUT", default=5.0)
LMS_READ_TIMEOUT = env.float("LMS_READ_TIMEOUT", default=30.0)
LMS_MAX_RETRIES = env.int("LMS_MAX_RETRIES", default=4)
LMS_RETRY_BACKOFF = env.float("LMS_RETRY_BACKOFF", default=2.0)
LMS_RETRY_BACKOFF_MAX = env.float("LMS_RETRY_BACKOFF_MAX", default=60.0)
LMS_PAGE_SIZE = env.int("LMS_PAGE_SIZE", default=100)
# A sync still failing after the client's retries is run again later by its task.
LMS_SYNC_MAX_RETRIES = env.int("LMS_SYNC_MAX_RETRIES", default=3)
LMS_SYNC_RETRY_BACKOFF = env.int("LMS_SYNC_RETRY_BACKOFF", default=300)
LMS_SYNC_RETRY_MAX = env.int("LMS_SYNC_RETRY_MAX", default=3600)
CELERY_BEAT_SCHEDULE["courses-lms-sync-nightly"] = {
    # Every night at 02:00 (TIME_ZONE): queue a sync of every linked course.
    "task": "courses.tasks.lms_sync_all_task",
    "schedule": crontab(minute="0", hour="2"),
}
# Which ranker orders the videos: "auto" (semantic when requirements/ml.txt is installed,
# else lexical), "lexical" or "semantic".
REMEDIATION_RANKER = env.str("REMEDIATION_RANKER", default="auto")
REMEDIATION_VIDEOS_PER_QUESTION = env.int("REMEDIATION_VIDEOS_PER_QUESTION", default=3)
# A course video is recommended only at or above this score (0..1) of the ranker in use;
# YouTube fills the remaining places.
REMEDIATION_MIN_SCORE_LEXICAL = env.float("REMEDIATION_MIN_SCORE_LEXICAL", default=0.35)
REMEDIATION_MIN_SCORE_SEMANTIC = env.float("REMEDIATION_MIN_SCORE_SEMANTIC", default=0.4)
# YouTube search for the places course videos do not fill: results per duration class
# (medium 4-20 min, long > 20 min; short videos and shorts are left out), kept for days.
REMEDIATION_YOUTUBE_RESULTS = env.int("REMEDIATION_YOUTUBE_RESULTS", default=8)
REMEDIATION_YOUTUBE_DURATIONS = env.list(
    "REMEDIATION_YOUTUBE_DURATIONS", default=["medium", "long"]
)
REMEDIATION_YOUTUBE_CACHE_SECONDS = env.int(
    "REMEDIATION_YOUTUBE_CACHE_SECONDS", default=60 * 60 * 24 * 3
)
# Questions refreshed per task (a course refresh is split into tasks of this size).
REMEDIATION_REFRESH_BATCH = env.int("REMEDIATION_REFRESH_BATCH", default=50)
# Optional topic extraction by an OpenAI-compatible chat endpoint (base URL ending in /v1);
# empty: topics are extracted locally.
LLM_API_URL = env.str("LLM_API_URL", default="")
LLM_API_KEY = env.str("LLM_API_KEY", default="")
LLM_MODEL = env.str("LLM_MODEL", default="gpt-4o-mini")
LLM_TIMEOUT = env.float("LLM_TIMEOUT", default=15.0)
CELERY_BEAT_SCHEDULE["videos-recommendations-nightly"] = {
    # Every night at 03:30 (TIME_ZONE), after the LMS syncs: refresh the recommendations of
    # every course with questions (only questions without videos or with changed inputs).
    "task": "videos.tasks.recommendations_refresh_all_task",
    "schedule": crontab(minute="30", hour="3"),
}
_enum_names.update(
    {
        "QuestionTypeEnum": "courses.models.Question.Type",
        "RecommendationSourceEnum": "videos.models.QuestionVideo.Source",
    }
)

# --- at-risk students (courses) -------------------------------------------------------------
# GET /courses/{id}/at-risk and /my-risk judge each active student over the last WINDOW_DAYS
# days (TIME_ZONE dates, today included). Thresholds are inclusive: a figure equal to one
# reaches its level. See courses/risk.py; `manage.py check` refuses inconsistent values.
AT_RISK_WINDOW_DAYS = env.int("AT_RISK_WINDOW_DAYS", default=14)
# Share (0-1) of the course's questions answered wrong in the window: medium, high. Judged
# only once the student answered at least MIN_ANSWERS questions in the window.
AT_RISK_WRONG_SHARE_MEDIUM = env.float("AT_RISK_WRONG_SHARE_MEDIUM", default=0.3)
AT_RISK_WRONG_SHARE_HIGH = env.float("AT_RISK_WRONG_SHARE_HIGH", default=0.5)
AT_RISK_MIN_ANSWERS = env.int("AT_RISK_MIN_ANSWERS", default=5)
# Days closed as absent (attendance is per student, across courses): medium, high.
AT_RISK_ABSENT_DAYS_MEDIUM = env.int("AT_RISK_ABSENT_DAYS_MEDIUM", default=5)
AT_RISK_ABSENT_DAYS_HIGH = env.int("AT_RISK_ABSENT_DAYS_HIGH", default=8)
# Watch time on the course's videos expected over the whole window (pro-rated for a student
# who enrolled during it); less is medium. 0 turns the rule off.
AT_RISK_MIN_WATCH_SECONDS = env.int("AT_RISK_MIN_WATCH_SECONDS", default=3600)
_enum_names.update({"RiskLevelEnum": "courses.risk.RiskLevel"})
