"""Production: PostgreSQL, Redis, a real secret key, debug off. Refuses to start otherwise."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, DEBUG, REDIS_URL, SECRET_KEY, env

INSECURE_KEY_MARKERS = ("insecure", "change-me", "test-only")


def refuse_insecure_configuration(
    *, secret_key: str, debug: bool, database_engine: str, redis_url: str
) -> None:
    """Raise ImproperlyConfigured naming what to change when production is not safe."""
    problems = []
    if (
        not secret_key
        or len(secret_key) < 50
        or any(marker in secret_key for marker in INSECURE_KEY_MARKERS)
    ):
        problems.append(
            "SECRET_KEY must be set to a random value of at least 50 characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(64))')."
        )
    if debug:
        problems.append("DEBUG must be off in production: unset DEBUG or set DEBUG=false.")
    if database_engine != "django.db.backends.postgresql":
        problems.append("DATABASE_URL must point at PostgreSQL (postgres://user@host/db).")
    if not redis_url:
        problems.append("REDIS_URL must be set (redis://host:6379/0): Celery and the cache use it.")
    if problems:
        raise ImproperlyConfigured("Crieur refuses to start: " + " ".join(problems))


refuse_insecure_configuration(
    secret_key=SECRET_KEY,
    debug=DEBUG,
    database_engine=DATABASES["default"]["ENGINE"],
    redis_url=REDIS_URL,
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
