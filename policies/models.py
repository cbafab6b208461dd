"""The institution's policy as code: for now, the periods when nothing may be scheduled."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Period(models.Model):
    """A period when publications may not be scheduled: a freeze or a reserve.

    The pre-election reserve and the crisis freezes are periods; the policy engine
    adds its rules on top of them.
    """

    class Kind(models.TextChoices):
        FREEZE = "freeze", _("Freeze")
        RESERVE = "reserve", _("Pre-election reserve")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.FREEZE)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    reason = models.TextField(
        _("reason"),
        blank=True,
        help_text=_("Shown to whoever tries to schedule in the period."),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("blocked period")
        verbose_name_plural = _("blocked periods")

    def __str__(self) -> str:
        return self.name

    def described(self) -> dict[str, str]:
        """The period as messages name it: name, local start and end, and its reason
        (or its kind) without a final full stop."""
        return {
            "name": self.name,
            "start": timezone.localtime(self.starts_at).strftime("%d/%m/%Y %H:%M"),
            "end": timezone.localtime(self.ends_at).strftime("%d/%m/%Y %H:%M"),
            "reason": str(self.reason or self.get_kind_display()).rstrip("."),
        }

    def clean(self) -> None:
        super().clean()
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must come after the start.")})
