"""The production guard: what must hold before Crieur serves real people."""

from django.core.exceptions import ImproperlyConfigured

INSECURE_KEY_MARKERS = ("insecure", "change-me", "test-only")
# The demo's network apps: every sandbox client id and secret starts with this.
SANDBOX_VALUE_PREFIX = "sandbox-"
# Meta's webhook subscription token in the demo (crieur/settings/dev.py).
DEMO_WHATSAPP_VERIFY_TOKEN = "crieur-demo-whatsapp-verify-token"  # noqa: S105 - demo only


def refuse_insecure_configuration(
    *,
    secret_key: str,
    debug: bool,
    database_engine: str,
    redis_url: str,
    credentials_keys: list[str],
    sandbox_url: str,
    network_apps: dict[str, str],
    whatsapp_verify_token: str,
) -> None:
    """Raise ImproperlyConfigured naming what to change when production is not safe.

    `network_apps` maps each network app setting (CRIEUR_X_CLIENT_SECRET…) to its value.
    """
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
    if sandbox_url:
        problems.append(
            "CRIEUR_SANDBOX_URL must be unset in production: it sends every network call "
            "to the sandbox emulators instead of the networks."
        )
    for name, value in sorted(network_apps.items()):
        if value.startswith(SANDBOX_VALUE_PREFIX):
            problems.append(
                f"{name} holds the sandbox's demo value: set the value of Crieur's app on "
                "the network, or leave it empty if the network is not used."
            )
    meta_secret = network_apps.get("CRIEUR_META_CLIENT_SECRET", "")
    if (
        not whatsapp_verify_token
        or whatsapp_verify_token == DEMO_WHATSAPP_VERIFY_TOKEN
        or whatsapp_verify_token.startswith(SANDBOX_VALUE_PREFIX)
        or (meta_secret and whatsapp_verify_token == meta_secret)
    ):
        problems.append(
            "CRIEUR_WHATSAPP_VERIFY_TOKEN must be set to a random value of its own, not the "
            "Meta app secret nor the demo's (it travels in the webhook subscription's query "
            "string): python -c 'import secrets; print(secrets.token_urlsafe(32))'."
        )
    if problems:
        raise ImproperlyConfigured("Crieur refuses to start: " + " ".join(problems))
