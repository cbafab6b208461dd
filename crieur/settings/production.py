"""Production: PostgreSQL, Redis, a real secret key, debug off. Refuses to start otherwise."""

from .base import *  # noqa: F403
from .base import CRIEUR_CREDENTIALS_KEYS, DATABASES, DEBUG, REDIS_URL, SECRET_KEY, env
from .security import refuse_insecure_configuration

refuse_insecure_configuration(
    secret_key=SECRET_KEY,
    debug=DEBUG,
    database_engine=DATABASES["default"]["ENGINE"],
    redis_url=REDIS_URL,
    credentials_keys=CRIEUR_CREDENTIALS_KEYS,
)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("CRIEUR_HSTS_SECONDS", default=3600)
SECURE_CONTENT_TYPE_NOSNIFF = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
EMAIL_BACKEND = env.str(
    "CRIEUR_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend"
)
