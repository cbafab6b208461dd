"""The embedded default and local development: debug on, everything on this machine."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)

# The demo publishes to the sandbox networks started by bin/demo.
CRIEUR_SANDBOX_URL = env.str("CRIEUR_SANDBOX_URL", default="http://127.0.0.1:8001")
