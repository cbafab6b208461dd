"""The WhatsApp broadcast list: its settings, the citizens who subscribed, what each got.

WhatsApp Channels have no posting API, so an institution reaches citizens on WhatsApp
in one of two ways (see DESIGN.md, "WhatsApp channel"): a broadcast list on the Cloud
API (citizens opt in, choose themes and a territory, and get approved templates), or its
official Channel, where Crieur hands the approved text to the channel's administrators.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

E164 = re.compile(r"^\+[1-9]\d{6,14}$")

e164_validator = RegexValidator(
    E164,
    _("Write the phone number in international format, for example +33612345678."),
)


def phone_normalize(raw: str) -> str:
    """A phone number as E.164 (+33612345678) from what people and WhatsApp write.

    WhatsApp ids are the digits without "+" (33612345678); "00" is the international
    prefix; a French national number (06 12 34 56 78) is read as French, the users'
    country. Raises ValidationError when it cannot be a phone number.
    """
    text = re.sub(r"[\s.\-()/]", "", str(raw or ""))
    if text.startswith("00"):
        text = "+" + text[2:]
    elif re.fullmatch(r"0[1-9]\d{8}", text):
        text = "+33" + text[1:]
    elif text.isdigit():
        text = "+" + text
    if not E164.match(text):
        raise ValidationError(
            _("“%(phone)s” is not a phone number: write it as +33612345678."),
            params={"phone": raw},
        )
    return text


def phone_lines(text: str) -> list[str]:
    """The phone numbers of a text holding one per line (blank lines ignored)."""
    return [phone_normalize(line) for line in text.splitlines() if line.strip()]


class BroadcastSetup(models.Model):
    """How a WhatsApp account publishes: to its broadcast list, or to its Channel by hand."""

    class Mode(models.TextChoices):
        BROADCAST = "broadcast", _("Broadcast list (WhatsApp Cloud API)")
        CHANNEL = "channel", _("WhatsApp Channel, posted by its administrators")

    account = models.OneToOneField(
        "networks.SocialAccount",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="broadcast_setup",
        limit_choices_to={"network": "whatsapp"},
    )
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices, default=Mode.BROADCAST)
    template_name = models.CharField(
        _("message template"),
        max_length=512,
        blank=True,
        help_text=_(
            "Name of the message template approved by WhatsApp that carries posts; its "
            "body must hold one variable, {{1}}, which receives the post's text."
        ),
    )
    template_language = models.CharField(
        _("template language"),
        max_length=15,
        default="fr",
        help_text=_("Language code of the approved template, for example fr."),
    )
    opt_in_keyword = models.CharField(
        _("subscription keyword"),
        max_length=30,
        default="INFOS",
        help_text=_("The word citizens send to the number to subscribe."),
    )
    welcome_message = models.TextField(
        _("welcome message"),
        blank=True,
        help_text=_("Sent to each new subscriber; leave empty for the standard message."),
    )
    welcome_template_name = models.CharField(
        _("welcome template"),
        max_length=512,
        blank=True,
        help_text=_(
            "Approved template (without variables) that welcomes people who subscribed "
            "through the web form: WhatsApp only lets a free message reach people who "
            "wrote to the number in the last 24 hours."
        ),
    )
    channel_admins = models.TextField(
        _("channel administrators"),
        blank=True,
        help_text=_(
            "For the WhatsApp Channel: the administrators' phone numbers, one per line, "
            "in international format (+33612345678). Each receives the approved text, "
            "ready to paste in the channel."
        ),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("WhatsApp broadcast settings")
        verbose_name_plural = _("WhatsApp broadcast settings")

    def __str__(self) -> str:
        return f"{self.account} ({self.get_mode_display()})"

    def admin_phones(self) -> list[str]:
        return phone_lines(self.channel_admins)

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.account_id and self.account.network != "whatsapp":
            errors["account"] = _("Choose a WhatsApp account.")
        try:
            admins = self.admin_phones()
        except ValidationError as error:
            errors["channel_admins"] = error.messages
            admins = []
        if self.mode == self.Mode.CHANNEL and not admins and "channel_admins" not in errors:
            errors["channel_admins"] = _(
                "Add at least one administrator of the channel: they receive the posts "
                "to paste in it."
            )
        if self.mode == self.Mode.BROADCAST and not self.template_name.strip():
            errors["template_name"] = _(
                "Give the name of the approved message template that carries posts."
            )
        if errors:
            raise ValidationError(errors)


class Subscriber(models.Model):
    """A citizen who asked to receive the institution's messages on WhatsApp."""

    class Source(models.TextChoices):
        KEYWORD = "keyword", _("Keyword sent on WhatsApp")
        WEB_FORM = "web form", _("Web form")

    account = models.ForeignKey(
        "networks.SocialAccount",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="whatsapp_subscribers",
    )
    phone = models.CharField(_("phone number"), max_length=16, validators=[e164_validator])
    themes = models.ManyToManyField(
        "cms.Theme",
        verbose_name=_("themes"),
        blank=True,
        related_name="whatsapp_subscribers",
        help_text=_("None: every theme."),
    )
    territory = models.ForeignKey(
        "cms.Territory",
        verbose_name=_("territory"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="whatsapp_subscribers",
        help_text=_("Empty: the whole territory."),
    )
    opted_in_at = models.DateTimeField(_("subscribed at"))
    opted_out_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    history = HistoricalRecords()

    class Meta:
        ordering = ["account", "phone"]
        verbose_name = _("WhatsApp subscriber")
        verbose_name_plural = _("WhatsApp subscribers")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "phone"],
                name="publishing_subscriber_one_per_phone",
                violation_error_message=_("This phone number is already on the list."),
            )
        ]

    def __str__(self) -> str:
        return self.phone

    @property
    def is_active(self) -> bool:
        return self.opted_out_at is None


class Delivery(models.Model):
    """One WhatsApp message Crieur sent, and how far it got (the receipts' webhooks)."""

    class Status(models.TextChoices):
        SENT = "sent", pgettext_lazy("WhatsApp message", "Sent")
        DELIVERED = "delivered", pgettext_lazy("WhatsApp message", "Delivered")
        READ = "read", pgettext_lazy("WhatsApp message", "Read")
        FAILED = "failed", pgettext_lazy("WhatsApp message", "Failed")

    # Receipts can arrive out of order: a status never goes back down this scale.
    RANK = {"": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}

    account = models.ForeignKey(
        "networks.SocialAccount",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="whatsapp_deliveries",
    )
    subscriber = models.ForeignKey(
        Subscriber,
        verbose_name=_("subscriber"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
        help_text=_("Empty for a message to a channel administrator."),
    )
    recipient = models.CharField(_("phone number"), max_length=16, blank=True)
    # Empty when WhatsApp refused the message for this recipient (see `error`).
    message_id = models.CharField(_("WhatsApp message id"), max_length=200, blank=True)
    post = models.ForeignKey(
        "cms.Post",
        verbose_name=_("post"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="whatsapp_deliveries",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SENT
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("WhatsApp message")
        verbose_name_plural = _("WhatsApp messages")
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"],
                condition=~models.Q(message_id=""),
                name="publishing_delivery_unique_message_id",
            )
        ]
        indexes = [models.Index(fields=["account", "post"])]

    def __str__(self) -> str:
        return f"{self.message_id or '-'} → {self.recipient}: {self.status}"
