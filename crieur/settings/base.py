"""Settings shared by every environment, read from environment variables.

With no variable set, Crieur runs the embedded default: SQLite, a Celery broker on
the file system, e-mail written to files. Setting DATABASE_URL and REDIS_URL moves
it to PostgreSQL and Redis.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Everything the embedded default writes (database, broker, cache, media, mail).
VAR_DIR = Path(env.str("CRIEUR_VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env.str("SECRET_KEY", default="insecure-embedded-default-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "networks",
    "cms",
    "publishing",
    "inbox",
    "listening",
    "policies",
    "templates",
    "people",
    "demo",
    # workflows comes after the apps whose permissions its role bootstrap assigns.
    "workflows",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "workflows.apps.UsersConfig",  # wagtail.users, with Crieur's user views
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "simple_history",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # An unverified session reaches only the second step of signing in (people/middleware.py).
    "people.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # django-csp's, strict except on the signed-in admin pages (people/csp.py).
    "people.csp.AdminAwareCSPMiddleware",
    # Last, as django-axes asks: it turns a lockout into the sign-in page with its message.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crieur.urls"
WSGI_APPLICATION = "crieur.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'crieur.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the embedded database: wait on locks.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

# Fernet keys for network credentials at rest (networks.crypto): first encrypts, all decrypt.
CRIEUR_CREDENTIALS_KEYS = env.list("CRIEUR_CREDENTIALS_KEYS", default=[])

# Prometheus scrapes /metrics/ with this as its Bearer token; empty: there is no /metrics/.
CRIEUR_METRICS_TOKEN = env.str("CRIEUR_METRICS_TOKEN", default="")

# The networks (networks.config). With CRIEUR_SANDBOX_URL set, every network
# address points into the sandbox emulators; an explicit CRIEUR_*_URL wins over it.
CRIEUR_SANDBOX_URL = env.str("CRIEUR_SANDBOX_URL", default="")
CRIEUR_X_API_URL = env.str("CRIEUR_X_API_URL", default="")
CRIEUR_X_AUTHORIZE_URL = env.str("CRIEUR_X_AUTHORIZE_URL", default="")
CRIEUR_GRAPH_API_URL = env.str("CRIEUR_GRAPH_API_URL", default="")
CRIEUR_META_AUTHORIZE_URL = env.str("CRIEUR_META_AUTHORIZE_URL", default="")
CRIEUR_LINKEDIN_API_URL = env.str("CRIEUR_LINKEDIN_API_URL", default="")
CRIEUR_LINKEDIN_OAUTH_URL = env.str("CRIEUR_LINKEDIN_OAUTH_URL", default="")
CRIEUR_GRAPH_API_VERSION = env.str("CRIEUR_GRAPH_API_VERSION", default="v24.0")
CRIEUR_LINKEDIN_VERSION = env.str("CRIEUR_LINKEDIN_VERSION", default="202510")
CRIEUR_NETWORK_TIMEOUT = env.float("CRIEUR_NETWORK_TIMEOUT", default=30.0)
CRIEUR_NETWORK_CONNECT_TIMEOUT = env.float("CRIEUR_NETWORK_CONNECT_TIMEOUT", default=5.0)
# Crieur's app on each network (OAuth client; the Meta app secret also signs webhooks).
CRIEUR_X_CLIENT_ID = env.str("CRIEUR_X_CLIENT_ID", default="")
CRIEUR_X_CLIENT_SECRET = env.str("CRIEUR_X_CLIENT_SECRET", default="")
CRIEUR_META_CLIENT_ID = env.str("CRIEUR_META_CLIENT_ID", default="")
CRIEUR_META_CLIENT_SECRET = env.str("CRIEUR_META_CLIENT_SECRET", default="")
CRIEUR_LINKEDIN_CLIENT_ID = env.str("CRIEUR_LINKEDIN_CLIENT_ID", default="")
CRIEUR_LINKEDIN_CLIENT_SECRET = env.str("CRIEUR_LINKEDIN_CLIENT_SECRET", default="")
CRIEUR_WHATSAPP_VERIFY_TOKEN = env.str("CRIEUR_WHATSAPP_VERIFY_TOKEN", default="")
CRIEUR_INSTAGRAM_HASHTAG_CAP = env.int("CRIEUR_INSTAGRAM_HASHTAG_CAP", default=30)
# Instagram containers: how often and how long to poll until FINISHED.
CRIEUR_INSTAGRAM_POLL_SECONDS = env.float("CRIEUR_INSTAGRAM_POLL_SECONDS", default=2.0)
CRIEUR_INSTAGRAM_POLL_ATTEMPTS = env.int("CRIEUR_INSTAGRAM_POLL_ATTEMPTS", default=30)
# X videos: how long to wait at most between two processing checks.
CRIEUR_X_POLL_SECONDS = env.float("CRIEUR_X_POLL_SECONDS", default=5.0)
# LinkedIn videos: how often to ask whether the upload is AVAILABLE.
CRIEUR_LINKEDIN_POLL_SECONDS = env.float("CRIEUR_LINKEDIN_POLL_SECONDS", default=3.0)

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CRIEUR_CACHE_PREFIX", default="crieur"),
            # A hung Redis must not hang a web request or a worker: a call gives up and
            # the engine gives the claim back (publishing.scheduler).
            "OPTIONS": {
                "socket_timeout": env.float("CRIEUR_REDIS_TIMEOUT", default=5.0),
                "socket_connect_timeout": env.float("CRIEUR_REDIS_TIMEOUT", default=5.0),
            },
        }
    }
else:
    # File-based so that the web process, the worker and beat see the same cache.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
# Wagtail looks renditions up here before the database: each process keeps its own.
CACHES["renditions"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "renditions",
    "TIMEOUT": 600,
    "OPTIONS": {"MAX_ENTRIES": 1000},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# French first: the users are French public servants.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("CRIEUR_TIME_ZONE", default="Europe/Paris")
USE_I18N = True
USE_TZ = True
# Templates put ids and counts into attributes and URLs as they are: no "1 234". A decimal
# number bound for CSS, JSON or a URL goes through |unlocalize (French writes 90,659).
USE_THOUSAND_SEPARATOR = False
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
WAGTAIL_USER_TIME_ZONES = [TIME_ZONE, "UTC"]

STATIC_URL = "/static/"
STATIC_ROOT = env.str("CRIEUR_STATIC_ROOT", default=str(VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = env.str("CRIEUR_MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

EMAIL_BACKEND = env.str(
    "CRIEUR_EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("CRIEUR_FROM_EMAIL", default="crieur@localhost")

# Wagtail
WAGTAIL_SITE_NAME = env.str("CRIEUR_INSTITUTION_NAME", default="Crieur")
WAGTAILADMIN_BASE_URL = env.str("CRIEUR_BASE_URL", default="http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "mp4", "mov", "webm", "docx", "odt", "xlsx", "ods"]
WAGTAILIMAGES_EXTENSIONS = ["jpg", "jpeg", "png", "gif", "webp"]
# What was approved is what goes out: no new file under a post in approval or approved.
WAGTAILIMAGES_IMAGE_FORM_BASE = "cms.media.ImageForm"
WAGTAILDOCS_DOCUMENT_FORM_BASE = "cms.media.DocumentForm"
# Documents always pass through Wagtail's view, which checks who may read them.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAIL_WORKFLOW_ENABLED = True
WAGTAIL_FINISH_WORKFLOW_ACTION = "workflows.finish.workflow_finish"
# Every round approves the version that goes out: an approval given to an earlier
# version does not count for an edited one, so a post edited after a send-back goes
# through each round again (the editor saves no revision on an approver's untouched
# click: cms.views.PostEditView). Finishing a circuit approves the revision the last
# round reviewed (workflows.services).
WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT = True
WAGTAIL_MODERATION_ENABLED = True
WAGTAILADMIN_NOTIFICATION_USE_HTML = True

# Wagtail's own background work (renditions, search index, references) runs on
# django-tasks, beside Celery which carries Crieur's work.
TASKS = {
    "default": {
        "BACKEND": env.str(
            "CRIEUR_WAGTAIL_TASKS_BACKEND",
            default="django_tasks.backends.immediate.ImmediateBackend",
        )
    }
}

# Celery: Redis when REDIS_URL is set, otherwise kombu's file-system transport,
# which needs no server (the embedded default).
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # kombu's Redis transport, fixed so that a worker outlives Redis going away
    # (crieur/celery.py says how).
    CELERY_BROKER_TRANSPORT = "crieur.celery:RedisTransport"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
else:
    CELERY_BROKER_URL = "filesystem://"
    # kombu's file-system transport, fixed so that no process reads a message or a
    # routing table still being written (crieur/broker.py says how).
    CELERY_BROKER_TRANSPORT = "crieur.broker:FileSystemTransport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    # The file-system transport does not create its folders.
    for folder in ("queue", "control"):
        (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The bulk import fetches the images its rows name from the web, never from a private,
# loopback or link-local address (SSRF), except from the networks listed here
# (CIDR, for example 10.1.2.0/24 for an intranet image server).
CRIEUR_IMPORT_FETCH_ALLOWED_NETWORKS = env.list("CRIEUR_IMPORT_FETCH_ALLOWED_NETWORKS", default=[])
# The publishing engine (publishing/scheduler.py).
CRIEUR_PUBLISH_CUTOFF_MINUTES = env.int("CRIEUR_PUBLISH_CUTOFF_MINUTES", default=120)
CRIEUR_PUBLISH_MAX_TRIES = env.int("CRIEUR_PUBLISH_MAX_TRIES", default=5)
CRIEUR_RETRY_BASE_SECONDS = env.float("CRIEUR_RETRY_BASE_SECONDS", default=10.0)
CRIEUR_RETRY_MAX_SECONDS = env.float("CRIEUR_RETRY_MAX_SECONDS", default=900.0)
# A claim older than this means its worker died: the publication is reconciled.
CRIEUR_PUBLISH_LEASE_SECONDS = env.int("CRIEUR_PUBLISH_LEASE_SECONDS", default=600)
CRIEUR_DISPATCH_AHEAD_SECONDS = env.float("CRIEUR_DISPATCH_AHEAD_SECONDS", default=3.0)
# A publication still waiting this long after its due time (or its hand-over) is handed
# over again: its task was lost with a worker, or refused by the database.
CRIEUR_DISPATCH_FORGET_SECONDS = env.int("CRIEUR_DISPATCH_FORGET_SECONDS", default=15)
CRIEUR_DISPATCH_BATCH = env.int("CRIEUR_DISPATCH_BATCH", default=5000)
# Publications due within this window travel together, this many at most per task.
CRIEUR_DISPATCH_GROUP_SECONDS = env.float("CRIEUR_DISPATCH_GROUP_SECONDS", default=0.25)
CRIEUR_DISPATCH_GROUP = env.int("CRIEUR_DISPATCH_GROUP", default=6)
CRIEUR_CHORES_SECONDS = env.int("CRIEUR_CHORES_SECONDS", default=10)
CRIEUR_TOKEN_REFRESH_AHEAD_HOURS = env.int("CRIEUR_TOKEN_REFRESH_AHEAD_HOURS", default=24)
# Calls in flight at once per network family (x, meta, linkedin, whatsapp, default).
CRIEUR_NETWORK_CONCURRENCY = {"default": env.int("CRIEUR_NETWORK_CONCURRENCY", default=8)}
CRIEUR_META_USAGE_CEILING = env.int("CRIEUR_META_USAGE_CEILING", default=90)

CELERY_BEAT_SCHEDULE = {
    "scheduler-beat": {
        "task": "publishing.tasks.scheduler_beat",
        "schedule": timedelta(seconds=env.float("CRIEUR_BEAT_SECONDS", default=1.0)),
    },
    "rounds-watch": {
        "task": "workflows.tasks.rounds_watch",
        "schedule": timedelta(seconds=env.float("CRIEUR_ROUNDS_WATCH_SECONDS", default=60.0)),
    },
}

LOGIN_URL = "wagtailadmin_login"
WAGTAILADMIN_USER_LOGIN_FORM = "people.forms.LoginForm"
LOGIN_REDIRECT_URL = "wagtailadmin_home"

# Signing in (people/): django-axes counts failures per username and address and locks
# that pair out for a while; administrators unlock it from Paramètres → Sécurité des
# connexions (people/views.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's model backend, loading the person with what two-factor checks need.
    "people.backends.SignInBackend",
    # Sessions opened before people.backends existed keep working.
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("CRIEUR_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("CRIEUR_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "people.lockout.lockout_response"
# The address is the connection's own (REMOTE_ADDR): a forged X-Forwarded-For must not
# buy an attacker a fresh counter. Behind a reverse proxy that overwrites X-Real-IP,
# production believes that header instead (CRIEUR_TRUST_X_REAL_IP).
AXES_CLIENT_IP_CALLABLE = "people.lockout.client_address"
CRIEUR_TRUST_X_REAL_IP = False
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False  # no banner on every start of every process
# Two-factor authentication (TOTP and recovery codes, django-otp): required for these
# roles (keys of workflows.roles) and for everyone when an administrator says so.
CRIEUR_2FA_REQUIRED_ROLES = env.list(
    "CRIEUR_2FA_REQUIRED_ROLES", default=["administrator", "crisis_cell"]
)
OTP_TOTP_ISSUER = WAGTAIL_SITE_NAME
# Staff e-mail hashes are not sent to a third party for avatars.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# Nor do the administrators' browsers ask releases.wagtail.io for Wagtail's news: Crieur
# brings its Wagtail with it (the dashboard would announce an upgrade nobody can apply).
WAGTAIL_ENABLE_UPDATE_CHECK = False

# Content-Security-Policy (django-csp 4): scripts only from this site (the signed-in admin
# pages also allow Wagtail's inline ones: people/csp.py); style attributes are inline
# (Wagtail's and the calendar's); images may be data: or blob: (QR code, upload previews).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'self'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("CRIEUR_LOG_LEVEL", default="INFO")},
    # Wagtail's immediate background tasks log every run; only problems are worth reading.
    "loggers": {"django_tasks": {"level": "WARNING"}},
}
