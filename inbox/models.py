"""What citizens send, as it arrives: the raw webhook events (the inbox builds on them)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.Model):
    """One signed webhook delivery, kept raw; a replayed delivery is stored once."""

    network = models.CharField(_("network"), max_length=20)
    digest = models.CharField(_("digest"), max_length=64)
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        constraints = [
            models.UniqueConstraint(fields=["network", "digest"], name="inbox_webhook_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.network} @ {self.received_at:%Y-%m-%d %H:%M:%S}"
