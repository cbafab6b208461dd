"""Changing how people sign in: authenticators, recovery codes, lockouts, the policy."""

import logging

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import selectors
from .models import SignInPolicy

logger = logging.getLogger(__name__)

RECOVERY_CODES = 10
AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"


def _clean(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def totp_enrolment_start(*, user) -> TOTPDevice:
    """The authenticator being set up: a new secret, kept unconfirmed until a code matches.

    An authenticator already in use keeps working until the new one is confirmed.
    """
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if pending is not None:
        return pending
    return TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)


def totp_enrolment_confirm(*, user, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending authenticator with a code from it; return it and fresh
    recovery codes (shown once). The earlier authenticator, if any, is retired."""
    with transaction.atomic():
        pending = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("-pk")
            .first()
        )
        # A wrong code is counted (throttling) even though nothing else is saved.
        matches = pending is not None and pending.verify_token(_clean(code))
        if matches:
            TOTPDevice.objects.filter(user=user).exclude(pk=pending.pk).delete()
            pending.confirmed = True
            pending.save(update_fields=["confirmed"])
            codes = _recovery_codes_replace(user=user)
    if pending is None:
        raise ValidationError(
            {"code": _("This set-up has expired: start again.")}, code="no_pending"
        )
    if not matches:
        raise ValidationError(
            {
                "code": _(
                    "This code does not match: check the time on your phone and type "
                    "the newest code."
                )
            },
            code="wrong_code",
        )
    logger.info("Two-factor authentication set up for user %s", user.pk)
    return pending, codes


def _recovery_codes_replace(*, user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_renew(*, user) -> list[str]:
    """New recovery codes for a person with an authenticator; the old ones stop working."""
    if selectors.authenticator_of(user=user) is None:
        raise ValidationError(
            _("Set up an authenticator first: recovery codes come with it."),
            code="no_authenticator",
        )
    with transaction.atomic():
        return _recovery_codes_replace(user=user)


def second_step_verify(*, user, code: str) -> Device:
    """The device that accepts this code: the authenticator, or a recovery code (used
    once). Each device slows down after failures (django-otp's throttling)."""
    code = _clean(code)
    # An authenticator's code is digits only; a recovery code has letters. Trying each
    # only on its own kind keeps a mistyped code from slowing down the other.
    kind = TOTPDevice if code.isdigit() else StaticDevice
    with transaction.atomic():
        for device in kind.objects.select_for_update().filter(user=user, confirmed=True):
            if code and device.verify_token(code):
                return device
    raise ValidationError(
        {
            "code": _(
                "This code is not valid. Type the code your authenticator shows now, "
                "or one of your recovery codes."
            )
        },
        code="wrong_code",
    )


def two_factor_disable(*, user) -> None:
    """Remove the authenticator and the recovery codes, when nothing requires them."""
    if selectors.two_factor_required(user=user):
        raise PermissionDenied(
            _("Two-factor authentication is required for you: it cannot be turned off.")
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
    logger.info("Two-factor authentication turned off by user %s", user.pk)


def sign_in_lockout_release(*, attempt_id: int, by) -> int:
    """Unlock the (username, address) pair of this attempt; return the rows removed."""
    if not selectors.may_manage_sign_in(by):
        raise PermissionDenied(_("Only administrators unlock sign-ins."))
    attempt = AccessAttempt.objects.filter(pk=attempt_id).first()
    if attempt is None:
        return 0
    removed = AxesProxyHandler.reset_attempts(
        ip_address=attempt.ip_address, username=attempt.username
    )
    logger.warning(
        "Sign-in of %r from %s unlocked by user %s", attempt.username, attempt.ip_address, by.pk
    )
    return removed


def sign_in_policy_save(*, two_factor_for_everyone: bool, by) -> SignInPolicy:
    if not selectors.may_manage_sign_in(by):
        raise PermissionDenied(_("Only administrators change the sign-in policy."))
    with transaction.atomic():
        policy = SignInPolicy.load()
        policy.two_factor_for_everyone = two_factor_for_everyone
        policy.changed_by = by
        policy.save()
    logger.warning(
        "Two-factor authentication for everyone set to %s by user %s",
        two_factor_for_everyone,
        by.pk,
    )
    return policy
