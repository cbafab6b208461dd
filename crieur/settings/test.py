"""Settings for the test suite: SQLite by default, PostgreSQL and Redis when set."""

import os
import tempfile

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = "test-only-secret-key-never-used-elsewhere"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="crieur-test-media-")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WAGTAILADMIN_BASE_URL = "http://testserver"
CRIEUR_TEST_REQUIRE_SERVICES = env.bool("CI", default=False)
# Tests sign people in with force_login; tests/people/ turn two-factor enforcement on.
CRIEUR_2FA_REQUIRED_ROLES: list[str] = []

from .base import REDIS_URL  # noqa: E402

# Each test process gets its own broker folder and cache; Redis keys get a per-worker prefix.
_TEST_VAR = tempfile.mkdtemp(prefix="crieur-test-var-")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "crieur-test-" + env.str("PYTEST_XDIST_WORKER", default="main"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": f"{_TEST_VAR}/queue",
        "data_folder_out": f"{_TEST_VAR}/queue",
        "control_folder": f"{_TEST_VAR}/control",
        "store_processed": False,
    }
    os.makedirs(f"{_TEST_VAR}/queue")
    os.makedirs(f"{_TEST_VAR}/control")
CELERY_BEAT_SCHEDULE_FILENAME = f"{_TEST_VAR}/celerybeat-schedule"
STATIC_ROOT = f"{_TEST_VAR}/static"
os.makedirs(STATIC_ROOT, exist_ok=True)
# Wagtail's rendition cache stays in each test process, emptied before every test.
CACHES["renditions"] = {  # noqa: F405
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "renditions",
}
