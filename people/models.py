"""The institution's sign-in rule that administrators set (the roles' rule is a setting)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SignInPolicy(models.Model):
    """One row: whether everyone, not only the roles that must, signs in with a code."""

    two_factor_for_everyone = models.BooleanField(
        _("require two-factor authentication for everyone"),
        default=False,
        help_text=_(
            "Administrators and the crisis cell always need it. When ticked, everyone "
            "else also sets it up at their next visit."
        ),
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("sign-in policy")
        verbose_name_plural = _("sign-in policy")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def load(cls) -> "SignInPolicy":
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy
