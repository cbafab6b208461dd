"""The network layer: accounts, one module per network behind one protocol, transport.

`get("x")` returns the X network (an object implementing `base.Network`). The network
modules take plain data (`base.Outgoing`, `checks.Draft`, the account): `networks`
imports no other Crieur app.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from . import redaction

if TYPE_CHECKING:
    from .base import Network

# Whoever logs (urllib3 and tweepy log URLs and headers at DEBUG), no secret is written.
redaction.install()

MODULES = {
    "x": "x",
    "facebook": "facebook",
    "instagram": "instagram",
    "linkedin": "linkedin",
    "whatsapp": "whatsapp",
}


def get(name: str) -> Network:
    """The network called `name` ("x", "facebook", "instagram", "linkedin", "whatsapp")."""
    try:
        module = MODULES[name]
    except KeyError:
        raise LookupError(f"no network called {name!r}") from None
    return import_module(f"{__name__}.{module}").NETWORK
