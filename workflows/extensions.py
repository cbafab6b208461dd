"""What the apps above workflows tell it about approved versions, through the Wagtail
hooks named here.

workflows sits below publishing: the approval trail and the dashboard show what became
of an approved version (its publications) by asking these hooks, and publishing
registers its answers in publishing/wagtail_hooks.py. workflows reads what they return
as records (each publication's `pk`, `post_id`, `revision_id`, `account`,
`scheduled_at`, `state` and `get_state_display()`), never their models.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet
from wagtail import hooks

# The publications of some posts, by time: fn(post_ids) -> Iterable[publication].
TRAIL_PUBLICATIONS = "crieur_trail_publications"
# The posts with a publication planned in a period (either bound may be None; the
# start is included, the stop is not): fn(begin, stop) -> Iterable[int].
POSTS_PLANNED_BETWEEN = "crieur_posts_planned_between"
# The revisions whose post needs no new date: going out, gone out, or waiting for a
# person who may still send them: fn() -> QuerySet of revision ids.
REVISIONS_WITH_A_DATE = "crieur_revisions_with_a_date"


def trail_publications(*, post_ids: list[int]) -> list:
    return [item for fn in hooks.get_hooks(TRAIL_PUBLICATIONS) for item in fn(post_ids)]


def posts_planned_between(*, begin: datetime | None, stop: datetime | None) -> set[int]:
    return {pk for fn in hooks.get_hooks(POSTS_PLANNED_BETWEEN) for pk in fn(begin, stop)}


def revisions_with_a_date() -> Iterable[QuerySet]:
    return [fn() for fn in hooks.get_hooks(REVISIONS_WITH_A_DATE)]
