"""The network accounts the institution owns, and what the networks send us (raw webhooks)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .crypto import EncryptedJSONField
from .display import handle_display


class Network(models.TextChoices):
    X = "x", "X"
    FACEBOOK = "facebook", _("Facebook Page")
    INSTAGRAM = "instagram", "Instagram"
    LINKEDIN = "linkedin", "LinkedIn"
    WHATSAPP = "whatsapp", "WhatsApp"


class SocialAccount(models.Model):
    """One account on one network (a Facebook Page, an X account…) the institution owns."""

    class Status(models.TextChoices):
        CONNECTED = "connected", _("Connected")
        NEEDS_RECONNECT = "needs_reconnect", _("Needs reconnecting")
        DISABLED = "disabled", _("Disabled")

    network = models.CharField(_("network"), max_length=20, choices=Network.choices)
    display_name = models.CharField(_("display name"), max_length=200)
    handle = models.CharField(_("handle"), max_length=200, blank=True)
    remote_id = models.CharField(_("remote id"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.CONNECTED
    )
    token_expires_at = models.DateTimeField(_("token expires at"), null=True, blank=True)
    cutoff = models.DurationField(
        _("cut-off"),
        null=True,
        blank=True,
        help_text=_(
            "How late a publication may still go out (for example 2:00:00 for two hours); "
            "later, it is marked missed. Empty: the installation's default."
        ),
    )
    # Access and refresh tokens, secrets: encrypted at rest, never shown in the admin.
    credentials = EncryptedJSONField(_("credentials"), blank=True, default=dict, editable=False)
    history = HistoricalRecords(excluded_fields=["credentials"])

    class Meta:
        ordering = ["network", "display_name"]
        verbose_name = _("network account")
        verbose_name_plural = _("network accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["network", "remote_id"],
                condition=~models.Q(remote_id=""),
                name="publishing_account_unique_remote_id",
                violation_error_message=_("This network account is already connected."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_network_display()})"

    @property
    def handle_display(self) -> str:
        """The handle as the account's network shows it (networks.display)."""
        return handle_display(self.network, self.handle)


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
