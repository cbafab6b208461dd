"""Reading who must sign in with a code, with which device, and who is locked out."""

import enum
from datetime import datetime

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, Max, OuterRef, QuerySet
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from workflows import roles

from .models import SignInPolicy


class SecondStep(enum.Enum):
    """What a signed-in but not yet verified session must do before anything else."""

    NONE = "none"
    VERIFY = "verify"  # has an authenticator: type a code
    ENROL = "enrol"  # must have one and has none: set it up


def required_group_names() -> list[str]:
    keys = set(settings.CRIEUR_2FA_REQUIRED_ROLES)
    return [role.group_name for role in roles.ROLES if role.key in keys]


def with_second_step(users: QuerySet) -> QuerySet:
    """Users annotated with what the second step of signing in needs to know."""
    user_model = users.model
    return users.annotate(
        in_required_role=Exists(
            user_model.groups.through.objects.filter(
                user_id=OuterRef("pk"), group__name__in=required_group_names()
            )
        ),
        has_authenticator=Exists(TOTPDevice.objects.filter(user_id=OuterRef("pk"), confirmed=True)),
        two_factor_for_everyone=Exists(SignInPolicy.objects.filter(two_factor_for_everyone=True)),
        in_administration=Exists(
            user_model.groups.through.objects.filter(
                user_id=OuterRef("pk"), group__name=roles.ADMINISTRATOR.group_name
            )
        ),
    )


def second_step(*, user) -> SecondStep:
    """What this signed-in person must do before anything else. Free when the user was
    loaded by people.backends.SignInBackend (one query otherwise)."""
    if not hasattr(user, "has_authenticator"):
        loaded = with_second_step(get_user_model().objects.filter(pk=user.pk)).first()
        if loaded is None:
            return SecondStep.NONE
        user = loaded
    if user.has_authenticator:
        return SecondStep.VERIFY
    if user.in_required_role or user.two_factor_for_everyone or _superuser_bound(user.is_superuser):
        return SecondStep.ENROL
    return SecondStep.NONE


def _superuser_bound(is_superuser: bool) -> bool:
    # A superuser stands above the administrators: never below their rule.
    return is_superuser and roles.ADMINISTRATOR.key in settings.CRIEUR_2FA_REQUIRED_ROLES


def two_factor_required(*, user) -> bool:
    """Whether this person may not turn two-factor authentication off."""
    if SignInPolicy.load().two_factor_for_everyone:
        return True
    if _superuser_bound(user.is_superuser):
        return True
    return user.groups.filter(name__in=required_group_names()).exists()


def authenticator_of(*, user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def recovery_codes_left(*, user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def recovery_devices_of(*, user) -> QuerySet[StaticDevice]:
    return StaticDevice.objects.filter(user=user)


def may_manage_sign_in(user) -> bool:
    """Administrators (and superusers) unlock sign-ins and set the sign-in policy."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if hasattr(user, "in_administration"):  # loaded by people.backends.SignInBackend
        return user.in_administration
    return user.groups.filter(name=roles.ADMINISTRATOR.group_name).exists()


def locked_sign_ins(*, now: datetime) -> list[dict]:
    """Each (username, address) pair locked out now: its failures and last attempt."""
    since = now - settings.AXES_COOLOFF_TIME if settings.AXES_COOLOFF_TIME else None
    pairs = AccessAttempt.objects.values("username", "ip_address").annotate(
        failures=Max("failures_since_start"), last_attempt=Max("attempt_time"), id=Max("pk")
    )
    pairs = pairs.filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    if since is not None:
        pairs = pairs.filter(last_attempt__gte=since)
    return list(pairs.order_by("-last_attempt"))
