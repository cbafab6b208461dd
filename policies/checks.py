"""The policy checks a post goes through on every save and in the automatic round."""

from django.utils import timezone
from django.utils.translation import gettext

from cms.adaptation import variant_problems
from networks.checks import Problem


def post_problems(*, post) -> list[Problem]:
    """Every problem of the post: its network versions, then the institution's rules.

    Works on a revision's copy of the post (its children in memory).
    """
    from .selectors import period_at

    problems: list[Problem] = []
    for variant in post.variants.all():
        if variant.account_id:
            problems.extend(variant_problems(variant))
    if not any(variant.account_id for variant in post.variants.all()):
        problems.append(
            Problem(
                "",
                "no_network",
                gettext("Add at least one network version: the post goes nowhere."),
                # A warning: a text may be approved before it is adapted to networks.
                blocking=False,
            )
        )
    if post.planned_at is not None:
        period = period_at(post.planned_at)
        if period is not None:
            problems.append(
                Problem(
                    "",
                    "blocked_period",
                    gettext(
                        "The planned time, %(at)s, falls in “%(name)s”: choose a time "
                        "outside this period."
                    )
                    % {
                        "at": timezone.localtime(post.planned_at).strftime("%d/%m/%Y %H:%M"),
                        "name": period.name,
                    },
                )
            )
    return problems


def sending_problem(*, at) -> str | None:
    """Why nothing may be sent at `at` (« Envoyer maintenant », « Réessayer »): a
    blocked period holds it; in words the user can act on. None when sending is allowed."""
    from .selectors import period_at

    period = period_at(at)
    if period is None:
        return None
    return (
        gettext(
            "Nothing may be sent now: “%(name)s” runs until %(end)s (%(reason)s). Send it "
            "after this period, or schedule it for then."
        )
        % period.described()
    )
