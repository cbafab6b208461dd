"""Reading the policy: which period, if any, forbids publishing at a given time."""

from .models import Period


def period_at(at) -> Period | None:
    """The blocked period that holds `at`, if there is one."""
    return Period.objects.filter(starts_at__lte=at, ends_at__gt=at).order_by("starts_at").first()
