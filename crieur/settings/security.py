"""The production guard: what must hold before Crieur serves real people."""

from django.core.exceptions import ImproperlyConfigured

INSECURE_KEY_MARKERS = ("insecure", "change-me", "test-only")


def refuse_insecure_configuration(
    *,
    secret_key: str,
    debug: bool,
    database_engine: str,
    redis_url: str,
    credentials_keys: list[str],
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
    if not credentials_keys:
        problems.append(
            "CRIEUR_CREDENTIALS_KEYS must be set: network tokens are encrypted with it "
            "(python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')."
        )
    if problems:
        raise ImproperlyConfigured("Crieur refuses to start: " + " ".join(problems))
