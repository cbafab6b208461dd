"""Where each network lives and which version it speaks: settings, or the sandbox.

An explicit setting wins (`CRIEUR_X_API_URL`…); else, with `CRIEUR_SANDBOX_URL` set,
every address points into the sandbox; else the real hosts. Resolved at call time so
that a test (or a deployment) can move a network without restarting anything.
"""

from django.conf import settings

# name: (setting, real address, path inside the sandbox)
ADDRESSES = {
    "x_api": ("CRIEUR_X_API_URL", "https://api.twitter.com", "/x"),
    "x_authorize": ("CRIEUR_X_AUTHORIZE_URL", "https://x.com/i/oauth2/authorize", "/x/oauth"),
    "graph_api": ("CRIEUR_GRAPH_API_URL", "https://graph.facebook.com", "/graph"),
    "meta_authorize": (
        "CRIEUR_META_AUTHORIZE_URL",
        "https://www.facebook.com/{version}/dialog/oauth",
        "/graph/oauth",
    ),
    "linkedin_api": ("CRIEUR_LINKEDIN_API_URL", "https://api.linkedin.com", "/linkedin"),
    "linkedin_oauth": (
        "CRIEUR_LINKEDIN_OAUTH_URL",
        "https://www.linkedin.com/oauth/v2",
        "/linkedin/oauth/v2",
    ),
}

# The hosts the SDKs hard-code, which the transport adapter redirects (see transport.py).
SDK_HOSTS = {
    "x_api": "https://api.twitter.com",
    "graph_api": "https://graph.facebook.com",
    "linkedin_api": "https://api.linkedin.com",
}


def sandbox_url() -> str:
    return (getattr(settings, "CRIEUR_SANDBOX_URL", "") or "").rstrip("/")


def address(name: str) -> str:
    setting, real, sandbox_path = ADDRESSES[name]
    explicit = getattr(settings, setting, "")
    if explicit:
        url = explicit
    elif sandbox_url():
        url = sandbox_url() + sandbox_path
    else:
        url = real
    return url.rstrip("/").replace("{version}", graph_version())


def graph_version() -> str:
    """The Graph API version, "v24.0" style (Facebook, Instagram and WhatsApp)."""
    return settings.CRIEUR_GRAPH_API_VERSION


def linkedin_version() -> str:
    """The `LinkedIn-Version` header, "YYYYMM"."""
    return settings.CRIEUR_LINKEDIN_VERSION


def timeout() -> tuple[float, float]:
    """(connect, read) seconds for every call to a network."""
    return (settings.CRIEUR_NETWORK_CONNECT_TIMEOUT, settings.CRIEUR_NETWORK_TIMEOUT)


def client(network: str) -> tuple[str, str]:
    """The OAuth client id and secret of Crieur's app on the network ("x", "meta",
    "linkedin"); in the sandbox, any non-empty pair works."""
    prefix = f"CRIEUR_{network.upper()}"
    client_id = getattr(settings, f"{prefix}_CLIENT_ID", "")
    secret = getattr(settings, f"{prefix}_CLIENT_SECRET", "")
    if not client_id and sandbox_url():
        return f"sandbox-{network}-client", f"sandbox-{network}-secret"
    return client_id, secret
