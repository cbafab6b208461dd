"""One module per network behind one interface; text rules and checks shared by all.

`get("x")` returns the X network (an object implementing `base.Network`).
"""

from importlib import import_module

from . import redaction

# Whoever logs (urllib3 and tweepy log URLs and headers at DEBUG), no secret is written.
redaction.install()

MODULES = {
    "x": "x",
    "facebook": "facebook",
    "instagram": "instagram",
    "linkedin": "linkedin",
    "whatsapp": "whatsapp",
}


def get(name: str):
    """The network called `name` ("x", "facebook", "instagram", "linkedin", "whatsapp")."""
    try:
        module = MODULES[name]
    except KeyError:
        raise LookupError(f"no network called {name!r}") from None
    return import_module(f"{__name__}.{module}").NETWORK
