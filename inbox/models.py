"""What citizens send, as it arrives: the raw webhook events (the inbox builds on them)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.Model):
    """One signed webhook delivery, kept raw; a replayed delivery is stored once.

    The digest is that of the payload written canonically (sorted keys, no spaces), so
    the same event in a body formatted otherwise is the same event. Rows stored before
    hold the digest of the body's bytes: they stay as they are.
    """

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


class WebhookItem(models.Model):
    """One item of a webhook (a message, a receipt, a preference) that was handled.

    Networks re-send what they think went unanswered, and may batch it differently or
    format the body otherwise: an item is known by the network's own identifier (a
    message id, a status id and its status), so it is handled once whatever body
    carried it.
    """

    network = models.CharField(_("network"), max_length=20)
    key = models.CharField(_("item identifier"), max_length=255)
    event = models.ForeignKey(
        WebhookEvent,
        verbose_name=_("webhook event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
    )
    handled_at = models.DateTimeField(_("handled at"), auto_now_add=True)

    class Meta:
        ordering = ["-handled_at"]
        verbose_name = _("handled webhook item")
        verbose_name_plural = _("handled webhook items")
        constraints = [
            models.UniqueConstraint(fields=["network", "key"], name="inbox_webhook_item_once")
        ]

    def __str__(self) -> str:
        return f"{self.network} {self.key}"
