"""Network accounts the institution publishes to, and the scheduler's heartbeat."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from simple_history.models import HistoricalRecords
from wagtail.models import Orderable

from .crypto import EncryptedJSONField


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


class Heartbeat(models.Model):
    """The last time a background process showed it was alive (the scheduler's beat)."""

    name = models.CharField(max_length=50, unique=True)
    beat_at = models.DateTimeField()
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"


class Variant(Orderable):
    """A post adapted to one account: empty fields fall back to the post's master version.

    Variants belong to the post's revisions (a ParentalKey), so what a round approves
    includes each network's text.
    """

    class Format(models.TextChoices):
        FEED = "feed", _("Feed post")
        STORY = "story", _("Story")
        REEL = "reel", _("Reel")
        CAROUSEL = "carousel", _("Carousel")
        THREAD = "thread", _("Thread")

    post = ParentalKey("cms.Post", on_delete=models.CASCADE, related_name="variants")
    account = models.ForeignKey(
        SocialAccount,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="variants",
    )
    text = models.TextField(
        _("text for this network"),
        blank=True,
        help_text=_("Leave empty to use the post's text."),
    )
    format = models.CharField(
        _("format"), max_length=20, choices=Format.choices, default=Format.FEED
    )
    thread_parts = models.JSONField(
        _("thread parts"),
        default=list,
        blank=True,
        help_text=_("For a thread: the texts after the first one, in order."),
    )
    first_comment = models.TextField(
        _("first comment"),
        blank=True,
        help_text=_("Posted as the first comment, where the network allows it."),
    )

    class Meta(Orderable.Meta):
        verbose_name = _("network version")
        verbose_name_plural = _("network versions")
        constraints = [
            models.UniqueConstraint(
                fields=["post", "account"],
                name="publishing_variant_one_per_account",
                violation_error_message=_(
                    "This post already has a version for this account: edit that one."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.post} → {self.account}"

    @property
    def effective_text(self) -> str:
        return self.text.strip() or self.post.text
