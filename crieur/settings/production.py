"""Production: PostgreSQL, Redis, a real secret key, debug off. Refuses to start otherwise."""

from .base import *  # noqa: F403
from .base import (
    CRIEUR_CREDENTIALS_KEYS,
    CRIEUR_LINKEDIN_CLIENT_ID,
    CRIEUR_LINKEDIN_CLIENT_SECRET,
    CRIEUR_META_CLIENT_ID,
    CRIEUR_META_CLIENT_SECRET,
    CRIEUR_SANDBOX_URL,
    CRIEUR_WHATSAPP_VERIFY_TOKEN,
    CRIEUR_X_CLIENT_ID,
    CRIEUR_X_CLIENT_SECRET,
    DATABASES,
    DEBUG,
    REDIS_URL,
    SECRET_KEY,
    env,
)
from .security import refuse_insecure_configuration

refuse_insecure_configuration(
    secret_key=SECRET_KEY,
    debug=DEBUG,
    database_engine=DATABASES["default"]["ENGINE"],
    redis_url=REDIS_URL,
    credentials_keys=CRIEUR_CREDENTIALS_KEYS,
    sandbox_url=CRIEUR_SANDBOX_URL,
    network_apps={
        "CRIEUR_X_CLIENT_ID": CRIEUR_X_CLIENT_ID,
        "CRIEUR_X_CLIENT_SECRET": CRIEUR_X_CLIENT_SECRET,
        "CRIEUR_META_CLIENT_ID": CRIEUR_META_CLIENT_ID,
        "CRIEUR_META_CLIENT_SECRET": CRIEUR_META_CLIENT_SECRET,
        "CRIEUR_LINKEDIN_CLIENT_ID": CRIEUR_LINKEDIN_CLIENT_ID,
        "CRIEUR_LINKEDIN_CLIENT_SECRET": CRIEUR_LINKEDIN_CLIENT_SECRET,
    },
    whatsapp_verify_token=CRIEUR_WHATSAPP_VERIFY_TOKEN,
)

# Behind a reverse proxy that ends TLS, it says so with X-Forwarded-Proto; a client could
# say the same, so the header is believed only when the deployment says the proxy sets it.
if env.bool("CRIEUR_TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind that proxy every connection comes from the proxy: sign-in lockouts would count
# per username alone (anyone could lock a colleague out). The proxy's X-Real-IP (which
# nginx sets to the client's address, overwriting what the client sent) is believed only
# when the deployment says so.
CRIEUR_TRUST_X_REAL_IP = env.bool("CRIEUR_TRUST_X_REAL_IP", default=False)
SECURE_SSL_REDIRECT = env.bool("CRIEUR_SSL_REDIRECT", default=True)
# Load balancers probe over plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = env.list("CRIEUR_SSL_REDIRECT_EXEMPT", default=[r"^health/"])
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("CRIEUR_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("CRIEUR_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("CRIEUR_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
EMAIL_BACKEND = env.str(
    "CRIEUR_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend"
)
