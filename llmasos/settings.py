"""Settings for LLMasOS.

Defaults run with no external service (SQLite, in-memory channel layer with a cross-process outbox,
an SQLite Celery broker). Production points DATABASE_URL, REDIS_URL and CELERY_BROKER_URL at real
services; `llmasos.settings_production` adds the hardening that `check --deploy` asks for.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from llmasos.env import env_bool, env_float, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("LLMASOS_VAR_DIR", str(BASE_DIR / "var")))
# var/ holds the databases, the secret key, uploads and the broker's queue: only the service's
# own user may read it. Files it makes from here on are 0600 and directories 0700 (static files
# and uploads are served by this process, so nobody else needs to read them); the directory
# itself is made private even when an older checkout created it 0755.
os.umask(0o077)
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
if VAR_DIR.stat().st_mode & 0o077:
    VAR_DIR.chmod(0o700)

DEBUG = env_bool("DEBUG", default=True)


def _development_secret_key() -> str:
    # A per-checkout random key kept out of the repository, so sessions survive restarts in
    # development without a secret ever being committed. Production must set SECRET_KEY.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env_secret("SECRET_KEY") or _development_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",  # makes `manage.py runserver` serve websockets too
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",  # failed sign-ins counted and locked out (login page, admin, API token)
    "channels",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, not a CDN
    "accounts",
    "courses",
    "notifications",
    "inference",
    "knowledge",
    "assist",
    "tutor",
    "grading",
    "playground",
    "learning",
    "lti_tool",  # django-lti: LTI registrations, deployments and the tool's keys
    "lti",
    "lab",
    "portal",  # the site layer on top: pages composed from the apps above
]

MIDDLEWARE = [
    "llmasos.body_limit.BodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "llmasos.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions (the chosen language may live there), before common (i18n URL redirects).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: a signed-in user's chosen language beats cookie and Accept-Language.
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "llmasos.urls"
ASGI_APPLICATION = "llmasos.asgi.application"
WSGI_APPLICATION = "llmasos.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.unread_notifications",
            ],
            # Django 6 ships {% partialdef %} built in; on 5.2 the same tag comes from
            # django-template-partials, made a builtin so templates read the same.
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

# --- Database ------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # The web server and the Celery worker write to the same file: WAL lets readers go on
        # while one writes, IMMEDIATE transactions queue writers instead of failing mid-way.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not :memory:, so that a real worker or server process started by a test sees it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, channel layer ------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # channels-redis waits for messages with a 5 s blocking BZPOPMIN, and redis-py 8's
            # default socket_timeout is also 5 s: left alone, every websocket idle for ~5 s
            # dies with "Timeout reading from redis". The read timeout must outlast the pop.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30, "socket_connect_timeout": 5}]
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "llmasos.channel_layers.OutboxChannelLayer",
            "CONFIG": {
                "outbox_dir": env_str("CHANNEL_OUTBOX_DIR", str(VAR_DIR / "channel-outbox"))
            },
        }
    }

# --- Celery --------------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str(
    "CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Task state lives in our own tables (status fields claimed with conditional updates), so Celery's
# result backend is not needed.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The embedded SQLite broker is polled (see llmasos/celery.py).
CELERY_BROKER_POLLING_INTERVAL = env_float("CELERY_BROKER_POLLING_INTERVAL", 0.1)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Background model work has its own queue ("llm"), served by its own worker with bounded
# concurrency (scripts/serve.sh, docker/compose.yaml): code grading, on the default queue, never
# waits behind a model call. Text grading asks the model too: grading.services sends those
# submissions to the llm queue explicitly.
CELERY_TASK_DEFAULT_QUEUE = "celery"
LLM_QUEUE = "llm"
CELERY_TASK_ROUTES = {
    "grading.tasks.submission_feedback": {"queue": LLM_QUEUE},
    "learning.tasks.practice_question_draft": {"queue": LLM_QUEUE},
}

# --- Auth ----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"
# django-axes first: it refuses a locked-out username+address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LockoutBackend",  # django-axes' AxesStandaloneBackend
    "django.contrib.auth.backends.ModelBackend",
]
# Failed sign-ins per username *and* address: a guesser locks only their own attempts at that
# account, not the student at another address. Counted in the database (no cache needed).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Open websockets re-check their account this often and close once it is deactivated.
WS_ACCOUNT_CHECK_SECONDS = env_float("WS_ACCOUNT_CHECK_SECONDS", 30.0)

# --- REST API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's TokenAuthentication, plus the token owner's chosen language.
        "accounts.authentication.LanguageTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "llmasos.api.exception_handler",
    # Every endpoint is metered: per user, per anonymous caller and per address (the cache holds
    # the counters: Redis in production, so they hold across processes). Over a rate: 429.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "llmasos.api.AddressRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "60/min"),
        "user": env_str("API_THROTTLE_USER", "300/min"),
        "address": env_str("API_THROTTLE_ADDRESS", "1200/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LLMasOS API",
    "DESCRIPTION": "Courses, lessons, the AI tutor, assignments and grading of the LLMasOS "
    "learning platform.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "AssignmentKindEnum": "grading.models.Kind",
        "TutorMessageKindEnum": "tutor.models.Message.Kind",
    },
}

# --- Internationalisation, static, media ---------------------------------------------------------
LANGUAGE_CODE = "en"
# The interface speaks English and Simplified Chinese; the browser's Accept-Language picks one
# until the user chooses (see README "Languages").
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates in each language's own order; templates use the named formats (DATE_FORMAT, ...).
FORMAT_MODULE_PATH = ["llmasos.formats"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = env_str("MEDIA_ROOT", str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Security defaults that hold in development too ----------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

# --- Inference ----------------------------------------------------------------------------------
# No model ever comes from a hub: the packaged models are files inside PyPI packages.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
LLM_BACKEND = env_str("LLM_BACKEND", "local")  # local | openai
LLM_MODEL = env_str("LLM_MODEL", "")  # a local model directory; default: packaged SmolLM2
LLM_BASE_URL = env_str("LLM_BASE_URL", "")  # OpenAI-compatible server, for LLM_BACKEND=openai
LLM_API_KEY = env_secret("LLM_API_KEY") or ""
LLM_REMOTE_MODEL = env_str("LLM_REMOTE_MODEL", "smollm2-135m-instruct")
LLM_TIMEOUT = env_int("LLM_TIMEOUT", 60, minimum=1)
LLM_MAX_NEW_TOKENS = env_int("LLM_MAX_NEW_TOKENS", 256, minimum=1)
LLM_MAX_BATCH = env_int("LLM_MAX_BATCH", 16, minimum=1)
LLM_DTYPE = env_str("LLM_DTYPE", "auto")  # auto | float32 | bfloat16 (transformers engine)
# The local engine: openvino (OpenVINO GenAI, the default: 4-5x faster decoding on CPU, prefix
# caching, chunked prefill; bench/engines.py) | transformers (the pure-PyTorch loop: the greedy
# reference the OpenVINO engine is tested against, and the engine for a plain HF model directory).
LLM_ENGINE = env_str("LLM_ENGINE", "openvino")
LLM_PREFIX_CACHING = env_bool("LLM_PREFIX_CACHING", default=True)  # openvino engine
LLM_KV_CACHE_GIB = env_int("LLM_KV_CACHE_GIB", 1, minimum=1)  # openvino engine's paged KV cache
# >1 discourages repeating generated tokens; the 135M model otherwise loops on a phrase.
LLM_REPETITION_PENALTY = env_float("LLM_REPETITION_PENALTY", 1.2)
EMBEDDING_MODEL = env_str("EMBEDDING_MODEL", "")  # default: packaged all-MiniLM-L6-v2
# Torch threads while embedding (inference/embeddings.py: more threads stall on a shared CPU);
# 0 = torch's default.
EMBEDDING_THREADS = env_int("EMBEDDING_THREADS", 0, minimum=0)
MODEL_CACHE_DIR = env_str("MODEL_CACHE_DIR", str(VAR_DIR / "models"))
# Load the embedder and the model when the first tutor socket of a course opens, not when the
# first question arrives (each takes seconds once per process).
LLM_WARM_UP = env_bool("LLM_WARM_UP", default=True)
INFERENCE_SERVER = env_bool("INFERENCE_SERVER", default=False)  # set by serve_inference
if INFERENCE_SERVER:
    # The model process answers programs (the web, the workers) at /v1 with a bearer key, and
    # nothing else. The site's middleware (sessions, CSRF, locale, auth, CSP, WhiteNoise, axes)
    # has nothing to do there, and the sync-only ones among them (the body limit first of all)
    # ran each request's middleware and the view's set-up on Django's one thread-sensitive
    # thread: eight students' requests took turns there before reaching the engine.
    ROOT_URLCONF = "llmasos.inference_urls"
    MIDDLEWARE = []
# The priority gate in front of the engine (inference/scheduling.py): background requests
# (grading feedback, text grading, drafting) share this many slots, admitted while no student
# waits for a first token, or once the oldest has waited LLM_BACKGROUND_MAX_WAIT seconds.
LLM_BACKGROUND_SLOTS = env_int("LLM_BACKGROUND_SLOTS", 2, minimum=1)
LLM_BACKGROUND_MAX_WAIT = env_float("LLM_BACKGROUND_MAX_WAIT", 10.0)
INFERENCE_API_KEY = env_secret("INFERENCE_API_KEY") or ""
RAG_MAX_TOKENS = env_int("RAG_MAX_TOKENS", 200, minimum=1)
# The tutor: a question budget per student that refills one question every N seconds.
TUTOR_QUOTA_QUESTIONS = env_int("TUTOR_QUOTA_QUESTIONS", 10, minimum=1)
TUTOR_QUOTA_REFILL_SECONDS = env_int("TUTOR_QUOTA_REFILL_SECONDS", 180, minimum=1)
TUTOR_MAX_TOKENS = env_int("TUTOR_MAX_TOKENS", 200, minimum=1)
# Teachers control the AI (assist/): the usage log is kept this many days (0 = forever), and
# model tokens per student and per course per day (0 = no cap; UTC days).
AI_USAGE_RETENTION_DAYS = env_int("AI_USAGE_RETENTION_DAYS", 180, minimum=0)
AI_DAILY_TOKENS_PER_USER = env_int("AI_DAILY_TOKENS_PER_USER", 0, minimum=0)
AI_DAILY_TOKENS_PER_COURSE = env_int("AI_DAILY_TOKENS_PER_COURSE", 0, minimum=0)
# Held against those caps while a request runs (about one tutor prompt and answer).
AI_TOKEN_RESERVE = env_int("AI_TOKEN_RESERVE", 800, minimum=1)
TUTOR_HISTORY_TURNS = env_int("TUTOR_HISTORY_TURNS", 2, minimum=0)
# Course material per tutor prompt. On CPU every prompt token is prefill time (~1 ms each on
# 2 cores), so this is the main knob between grounding and time to first token under load.
TUTOR_CONTEXT_CHARS = env_int("TUTOR_CONTEXT_CHARS", 1200, minimum=200)
# The LLM lab (lab app): a transformers copy of the model for logits and attention.
LAB_MAX_TOKENS = env_int("LAB_MAX_TOKENS", 64, minimum=1)  # input tokens per instrument call
LAB_CALLS_PER_MINUTE = env_int("LAB_CALLS_PER_MINUTE", 60, minimum=1)
# Lab calls are a forward pass each, far cheaper than a tutor answer: every N of them cost one
# tutor question from the student's budget.
LAB_CALLS_PER_QUESTION = env_int("LAB_CALLS_PER_QUESTION", 20, minimum=1)
# Seconds between two speed measurements of one user.
LAB_SPEED_SECONDS = env_int("LAB_SPEED_SECONDS", 30, minimum=1)
# The inference service's lab endpoint (serve_inference); empty: the model runs in-process.
LAB_BASE_URL = env_str("LAB_BASE_URL", "")
# --- Grading sandbox (bubblewrap) -----------------------------------------------------------------
# Defaults for every run; an assignment may lower or raise CPU, wall, memory and output.
SANDBOX_PYTHON = env_str("SANDBOX_PYTHON", "/usr/bin/python3")  # Debian's: readable by any uid
SANDBOX_CPU_SECONDS = env_float("SANDBOX_CPU_SECONDS", 5.0)
SANDBOX_WALL_SECONDS = env_float("SANDBOX_WALL_SECONDS", 10.0)
SANDBOX_MEMORY_MB = env_int("SANDBOX_MEMORY_MB", 256, minimum=32)
SANDBOX_PROCESSES = env_int("SANDBOX_PROCESSES", 32, minimum=4)
SANDBOX_FILE_SIZE_MB = env_int("SANDBOX_FILE_SIZE_MB", 8, minimum=1)
SANDBOX_OUTPUT_KB = env_int("SANDBOX_OUTPUT_KB", 64, minimum=1)
SANDBOX_TMP_MB = env_int("SANDBOX_TMP_MB", 32, minimum=1)
GRADING_MAX_SOURCE_KB = env_int("GRADING_MAX_SOURCE_KB", 64, minimum=1)  # code or text submitted
# AI feedback on failed tests (a second task after the verdict, so grading never waits for it).
GRADING_FEEDBACK = env_bool("GRADING_FEEDBACK", default=True)
GRADING_FEEDBACK_MAX_TOKENS = env_int("GRADING_FEEDBACK_MAX_TOKENS", 160, minimum=16)
# The playground: same sandbox, its own limits (a program may wait for input, hence more wall).
PLAYGROUND_CPU_SECONDS = env_float("PLAYGROUND_CPU_SECONDS", 5.0)
PLAYGROUND_WALL_SECONDS = env_float("PLAYGROUND_WALL_SECONDS", 60.0)
PLAYGROUND_MEMORY_MB = env_int("PLAYGROUND_MEMORY_MB", 256, minimum=32)
PLAYGROUND_OUTPUT_KB = env_int("PLAYGROUND_OUTPUT_KB", 64, minimum=1)
PLAYGROUND_MAX_SOURCE_KB = env_int("PLAYGROUND_MAX_SOURCE_KB", 64, minimum=1)
# Per student, across tabs and the API (playground/metering.py): runs started per minute, and
# programs running at the same time.
PLAYGROUND_RUNS_PER_MINUTE = env_int("PLAYGROUND_RUNS_PER_MINUTE", 30, minimum=1)
PLAYGROUND_MAX_CONCURRENT_RUNS = env_int("PLAYGROUND_MAX_CONCURRENT_RUNS", 2, minimum=1)
PLAYGROUND_HELP_MAX_TOKENS = env_int("PLAYGROUND_HELP_MAX_TOKENS", 300, minimum=16)
# A text answer graded with less confidence than this waits for a teacher ("needs review").
GRADING_REVIEW_CONFIDENCE = env_float("GRADING_REVIEW_CONFIDENCE", 0.6)
# Learning paths (learning/): BKT mastery, recommendations, FSRS reviews.
LEARNING_MASTERY_THRESHOLD = env_float("LEARNING_MASTERY_THRESHOLD", 0.95)
# A text answer counts as a right answer for its concepts from this share of the points.
LEARNING_TEXT_PASS_RATIO = env_float("LEARNING_TEXT_PASS_RATIO", 0.6)
# Answering the same practice question again within this many minutes is graded, not counted.
LEARNING_REPEAT_COOLDOWN_MINUTES = env_int("LEARNING_REPEAT_COOLDOWN_MINUTES", 10, minimum=0)
# Fit a concept's BKT parameters from the class only with at least this much data.
LEARNING_FIT_MIN_ANSWERS = env_int("LEARNING_FIT_MIN_ANSWERS", 200, minimum=10)
LEARNING_FIT_MIN_STUDENTS = env_int("LEARNING_FIT_MIN_STUDENTS", 10, minimum=2)
# Courses with new answers are refitted every night at this hour (UTC) by Celery beat.
LEARNING_REFIT_HOUR = env_int("LEARNING_REFIT_HOUR", 3, minimum=0, maximum=23)
# LTI 1.3: the nightly roster sync (UTC hour) and the life of a Dynamic Registration URL.
LTI_ROSTER_SYNC_HOUR = env_int("LTI_ROSTER_SYNC_HOUR", 2, minimum=0, maximum=23)
LTI_REGISTRATION_DAYS = env_int("LTI_REGISTRATION_DAYS", 7, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "learning-refit-bkt": {
        "task": "learning.tasks.concept_params_refit_due",
        "schedule": crontab(hour=LEARNING_REFIT_HOUR, minute=30),
    },
    # LTI: every LMS course's roster (NRPS) is synced nightly as well as on demand.
    "lti-roster-sync": {
        "task": "lti.tasks.roster_sync_all",
        "schedule": crontab(hour=LTI_ROSTER_SYNC_HOUR, minute=15),
    },
    "assist-usage-purge": {
        "task": "assist.tasks.usage_purge",
        "schedule": crontab(hour=LEARNING_REFIT_HOUR, minute=10),
    },
}
# Recent wrong answers (within this many days) push a concept up the recommendations.
LEARNING_STRUGGLE_DAYS = env_int("LEARNING_STRUGGLE_DAYS", 7, minimum=1)
# Stuck: at least this many attempts at a concept not mastered, and mastery up by less than
# LEARNING_STUCK_RISE over the last that many attempts.
LEARNING_STUCK_ATTEMPTS = env_int("LEARNING_STUCK_ATTEMPTS", 5, minimum=2)
LEARNING_STUCK_RISE = env_float("LEARNING_STUCK_RISE", 0.1)
LEARNING_DRAFT_MAX_TOKENS = env_int("LEARNING_DRAFT_MAX_TOKENS", 300, minimum=32)
KB_DIR = env_str("KB_DIR", str(VAR_DIR / "kb"))
KB_MAX_UPLOAD_MB = env_int("KB_MAX_UPLOAD_MB", 20, minimum=1)
# From this many passages a course's FAISS index is an inverted file (IVF) instead of an
# exhaustive scan (knowledge/index.py; figures in bench/retrieval.py).
KB_IVF_MIN_PASSAGES = env_int("KB_IVF_MIN_PASSAGES", 50000, minimum=1000)
KB_PARSE_MEMORY_MB = env_int("KB_PARSE_MEMORY_MB", 1024, minimum=128)
KB_PARSE_CPU_SECONDS = env_int("KB_PARSE_CPU_SECONDS", 60, minimum=1)
KB_PARSE_WALL_SECONDS = env_int("KB_PARSE_WALL_SECONDS", 90, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024  # request bodies other than file uploads
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Any request body over this is refused with 413 before it is read (llmasos/body_limit.py):
# the largest material upload plus its multipart envelope.
REQUEST_MAX_BODY_MB = env_int("REQUEST_MAX_BODY_MB", KB_MAX_UPLOAD_MB + 1, minimum=1)

# --- Platform ------------------------------------------------------------------------------------
SITE_NAME = "LLMasOS"
LESSON_MAX_CHARS = env_int("LESSON_MAX_CHARS", 200_000, minimum=1_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
