"""The embedded default and local development: debug on, everything on this machine."""

from .base import *  # noqa: F403
from .base import env
from .security import DEMO_WHATSAPP_VERIFY_TOKEN

DEBUG = env.bool("DEBUG", default=True)

# The demo publishes to the sandbox networks started by bin/demo.
CRIEUR_SANDBOX_URL = env.str("CRIEUR_SANDBOX_URL", default="http://127.0.0.1:8001")
# The demo people sign in with their password alone: two-factor authentication stays
# available from each person's account, and CRIEUR_2FA_REQUIRED_ROLES=administrator,crisis_cell
# turns the production rule on.
CRIEUR_2FA_REQUIRED_ROLES = env.list("CRIEUR_2FA_REQUIRED_ROLES", default=[])
# Meta's subscription handshake token: a demo value, never the app secret.
CRIEUR_WHATSAPP_VERIFY_TOKEN = env.str(
    "CRIEUR_WHATSAPP_VERIFY_TOKEN", default=DEMO_WHATSAPP_VERIFY_TOKEN
)
