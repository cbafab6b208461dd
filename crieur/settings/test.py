"""Settings for the test suite: SQLite by default, PostgreSQL and Redis when set."""

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
