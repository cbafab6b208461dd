"""A sandbox configured from Crieur's settings: webhook addresses and the apps' secrets."""

from django.conf import settings

from .. import config
from .core import Sandbox


def configured_sandbox(**kwargs) -> Sandbox:
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    webhook_urls = {
        network: f"{base}/webhooks/{network}/" for network in ("x", "meta", "linkedin", "whatsapp")
    }
    secrets = {
        "x": config.client("x")[1],
        "meta": config.client("meta")[1],
        "linkedin": config.client("linkedin")[1],
        "whatsapp": config.client("meta")[1],
    }
    sandbox = Sandbox(webhook_urls=webhook_urls, secrets=secrets, **kwargs)
    # The demo's WhatsApp number (demo.loader), so that connecting it by token works.
    from .whatsapp import phone_number_register

    phone_number_register(
        sandbox,
        "4004",
        display_phone_number="+33 6 00 00 00 00",
        verified_name="Bourg-sur-Lac Infos",
    )
    return sandbox
