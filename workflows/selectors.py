"""Reading approval state: what waits for each person, and the approval trail of posts."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext
from wagtail.models import Revision, TaskState, WorkflowState

from cms.models import Post

from . import extensions
from .models import Decision, Round, person_name

SCHEDULE_PERMISSIONS = ("cms.change_post", "publishing.send_now")


def _post_type() -> ContentType:
    return ContentType.objects.get_for_model(Post)


def _post_at(object_id_field: str) -> QuerySet[Post]:
    """The post a workflow row points at: Wagtail keeps its id as text."""
    return Post.objects.filter(pk=Cast(OuterRef(object_id_field), IntegerField()))


# -- Dashboard --------------------------------------------------------------------------


def may_decide(*, user) -> bool:
    """Whether the person belongs to a group some active round draws its deciders from."""
    groups = user.groups.all()
    return (
        Round.objects.filter(active=True)
        .filter(
            Q(roleround__group__in=groups)
            | Q(externalround__group__in=groups)
            | Q(escalate_to__in=groups)
        )
        .exists()
    )


def may_schedule(*, user) -> bool:
    """Community managers and the crisis cell plan posts; administrators send them."""
    return any(user.has_perm(permission) for permission in SCHEDULE_PERMISSIONS)


def waiting_for_decision(*, user, now: datetime | None = None) -> QuerySet[TaskState]:
    """Rounds in progress on posts this person may decide on now, most urgent first.

    The same people as the rounds' get_task_states_user_can_moderate (members of the
    round's group, or of the group it escalated to; never the author or submitter of
    the version, nor who already decided), read in one query instead of a few per
    round. Each row has `post_id`, `planned_at` and `overdue`; `roundstate.deadline`
    may be empty.
    """
    now = now or timezone.now()
    groups = user.groups.all()
    return (
        TaskState.objects.filter(
            status=TaskState.STATUS_IN_PROGRESS,
            task__active=True,
            workflow_state__status=WorkflowState.STATUS_IN_PROGRESS,
            workflow_state__base_content_type=_post_type(),
        )
        .filter(
            Q(task__round__roleround__group__in=groups)
            | Q(task__round__externalround__group__in=groups)
            | Q(roundstate__escalated_to__in=groups)
        )
        .exclude(revision__user=user)
        .exclude(workflow_state__requested_by=user)
        .exclude(decisions__user=user)
        .select_related("task", "revision", "workflow_state__requested_by", "roundstate")
        .defer("revision__content")
        .annotate(
            post_id=Cast("workflow_state__object_id", IntegerField()),
            planned_at=Subquery(_post_at("workflow_state__object_id").values("planned_at")[:1]),
            overdue=ExpressionWrapper(Q(roundstate__deadline__lt=now), output_field=BooleanField()),
        )
        .annotate(
            after_planned=ExpressionWrapper(
                Q(roundstate__deadline__gt=F("planned_at")), output_field=BooleanField()
            )
        )
        .order_by(F("roundstate__deadline").asc(nulls_last=True), "started_at", "pk")
    )


def rounds_after_planned(*, user, now: datetime | None = None) -> QuerySet[TaskState]:
    """Rounds in progress on posts this person wrote or submitted, whose deadline falls
    after the post's planned time: an approval that late does not publish late, the
    post would wait for a new date. Soonest planned first; rows as waiting_for_decision's.
    """
    now = now or timezone.now()
    return (
        TaskState.objects.filter(
            status=TaskState.STATUS_IN_PROGRESS,
            workflow_state__status=WorkflowState.STATUS_IN_PROGRESS,
            workflow_state__base_content_type=_post_type(),
            roundstate__deadline__isnull=False,
        )
        .filter(
            Q(workflow_state__requested_by=user)
            | Exists(_post_at("workflow_state__object_id").filter(created_by=user))
        )
        .select_related("task", "revision", "workflow_state__requested_by", "roundstate")
        .defer("revision__content")
        .annotate(
            post_id=Cast("workflow_state__object_id", IntegerField()),
            planned_at=Subquery(_post_at("workflow_state__object_id").values("planned_at")[:1]),
            overdue=ExpressionWrapper(Q(roundstate__deadline__lt=now), output_field=BooleanField()),
            after_planned=Value(True, output_field=BooleanField()),
        )
        .filter(planned_at__isnull=False, roundstate__deadline__gt=F("planned_at"))
        .order_by("planned_at", "pk")
    )


def sent_back_to(*, user) -> QuerySet[WorkflowState]:
    """Posts sent back for changes that this person submitted or wrote, latest first.

    `current_task_state` is the round that refused, its `comment` the reason, and
    `refusals` (prefetched) the decision that sent the post back: who, and how.
    """
    return (
        WorkflowState.objects.filter(
            status=WorkflowState.STATUS_NEEDS_CHANGES, base_content_type=_post_type()
        )
        .filter(Q(requested_by=user) | Exists(_post_at("object_id").filter(created_by=user)))
        .select_related(
            "workflow",
            "current_task_state__task",
            "current_task_state__revision",
            "current_task_state__finished_by",
        )
        .defer("current_task_state__revision__content")
        .prefetch_related(
            Prefetch(
                "current_task_state__decisions",
                queryset=Decision.objects.filter(verdict=Decision.Verdict.REJECT).order_by(
                    "-at", "-pk"
                ),
                to_attr="refusals",
            )
        )
        .annotate(post_id=Cast("object_id", IntegerField()))
        .order_by(F("current_task_state__finished_at").desc(nulls_last=True), "-pk")
    )


def approved_to_schedule(*, user, now: datetime | None = None) -> QuerySet[Post]:
    """Approved posts that will not go out unless someone chooses a date, latest first.

    Their approved revision has no publication going out (scheduled, frozen, sent or
    waiting for a person), and their planned time is empty or has passed (approved too
    late). Only for the people who schedule or send posts. Each has `approved_by`.
    Which publications are going out, publishing tells (workflows.extensions).
    """
    if not may_schedule(user=user):
        return Post.objects.none()
    now = now or timezone.now()
    with_a_date = Q()
    for revisions in extensions.revisions_with_a_date():
        with_a_date |= Q(live_revision__in=revisions)
    approval = Decision.objects.filter(
        revision=OuterRef("live_revision"), verdict=Decision.Verdict.APPROVE
    ).order_by("-at", "-pk")
    return (
        Post.objects.filter(live=True, live_revision__isnull=False)
        .filter(Q(planned_at__isnull=True) | Q(planned_at__lte=now))
        .exclude(with_a_date)
        .only("pk", "title", "planned_at", "live", "live_revision", "last_published_at")
        .annotate(approved_by=Subquery(approval.values("name")[:1]))
        .order_by(F("last_published_at").desc(nulls_last=True), "-pk")
    )


# -- Approval trail ---------------------------------------------------------------------


class RunStatus:
    APPROVED = WorkflowState.STATUS_APPROVED
    NEEDS_CHANGES = WorkflowState.STATUS_NEEDS_CHANGES
    IN_PROGRESS = WorkflowState.STATUS_IN_PROGRESS
    CANCELLED = WorkflowState.STATUS_CANCELLED
    # A revision approved (and maybe sent) with no circuit recorded: before circuits
    # existed, or imported. The record says so rather than leave it out.
    OUTSIDE = "outside"


@dataclass(frozen=True)
class TrailDecision:
    """One person's decision, or the automatic check's, as the trail shows it."""

    round_name: str
    name: str
    via: str
    via_label: str
    verdict: str
    verdict_label: str
    at: datetime | None
    comment: str
    revision_id: int
    # Which version of the post it was, counted from 1 (the id is global to the site).
    revision_number: int | None = None


@dataclass
class ApprovalRun:
    """One pass of a post through its circuit, with what came out of it."""

    post_id: int
    circuit: str
    status: str
    requested_by: str
    started_at: datetime
    # The approved revision of an approved run; else the one the rounds looked at last.
    revision_id: int | None
    revision_at: datetime | None = None
    revision_number: int | None = None
    decisions: list[TrailDecision] = field(default_factory=list)
    # The publications of its revision, as publishing tells them (workflows.extensions).
    publications: list = field(default_factory=list)

    @property
    def approved(self) -> bool:
        return self.status in (RunStatus.APPROVED, RunStatus.OUTSIDE)

    @property
    def status_label(self) -> str:
        return {
            RunStatus.APPROVED: gettext("Approved"),
            RunStatus.NEEDS_CHANGES: gettext("Sent back for changes"),
            RunStatus.IN_PROGRESS: gettext("In approval"),
            RunStatus.CANCELLED: gettext("Withdrawn from approval"),
            RunStatus.OUTSIDE: gettext("Approved without a recorded circuit"),
        }[self.status]


@dataclass(frozen=True)
class TrailRow:
    """One line of the exported trail: a decision, with one publication of its run."""

    post_id: int
    post_title: str
    run: ApprovalRun
    decision: TrailDecision | None
    publication: object | None

    @property
    def at(self) -> datetime:
        if self.decision is not None and self.decision.at is not None:
            return self.decision.at
        if self.publication is not None:
            return self.publication.scheduled_at
        return self.run.revision_at or self.run.started_at


def _decision(entry: Decision, numbers: dict[int, int]) -> TrailDecision:
    return TrailDecision(
        round_name=entry.round_name,
        name=entry.name,
        via=entry.via,
        via_label=str(entry.get_via_display()),
        verdict=entry.verdict,
        verdict_label=str(entry.get_verdict_display()),
        at=entry.at,
        comment=entry.comment,
        revision_id=entry.revision_id,
        revision_number=numbers.get(entry.revision_id),
    )


def _decision_of_task_state(task_state: TaskState, numbers: dict[int, int]) -> TrailDecision | None:
    """A round Wagtail ran before Crieur recorded decisions: its task state says it all."""
    verdicts = {
        TaskState.STATUS_APPROVED: Decision.Verdict.APPROVE,
        TaskState.STATUS_REJECTED: Decision.Verdict.REJECT,
    }
    verdict = verdicts.get(task_state.status)
    if verdict is None:
        return None
    return TrailDecision(
        round_name=task_state.task.name,
        name=person_name(task_state.finished_by),
        via=Decision.Via.ADMIN,
        via_label=str(Decision.Via.ADMIN.label),
        verdict=verdict,
        verdict_label=str(Decision.Verdict(verdict).label),
        at=task_state.finished_at,
        comment=task_state.comment,
        revision_id=task_state.revision_id,
        revision_number=numbers.get(task_state.revision_id),
    )


def _trails(post_ids: list[int], *, posts: dict[int, Post]) -> dict[int, list[ApprovalRun]]:
    """Every post's runs, newest first, in five queries whatever the number of posts."""
    post_type = _post_type()
    keys = [str(pk) for pk in post_ids]
    states = list(
        WorkflowState.objects.filter(base_content_type=post_type, object_id__in=keys)
        .select_related("workflow", "requested_by", "current_task_state")
        .order_by("created_at", "pk")
    )
    state_ids = [state.pk for state in states]
    task_states = list(
        TaskState.objects.filter(workflow_state_id__in=state_ids)
        .select_related("task", "finished_by")
        .order_by("started_at", "pk")
    )
    decisions = defaultdict(list)
    for entry in Decision.objects.filter(task_state__workflow_state_id__in=state_ids).order_by(
        "at", "pk"
    ):
        decisions[entry.task_state_id].append(entry)
    revisions = {
        pk: (int(object_id), created_at)
        for pk, object_id, created_at in Revision.objects.filter(
            base_content_type=post_type, object_id__in=keys
        )
        .order_by("created_at", "pk")
        .values_list("pk", "object_id", "created_at")
    }
    numbers: dict[int, int] = {}
    per_post: dict[int, int] = defaultdict(int)
    for pk, (post_id, _created_at) in revisions.items():
        per_post[post_id] += 1
        numbers[pk] = per_post[post_id]
    publications: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for publication in extensions.trail_publications(post_ids=post_ids):
        publications[publication.post_id][publication.revision_id].append(publication)

    steps = defaultdict(list)
    for task_state in task_states:
        steps[task_state.workflow_state_id].append(task_state)

    def revision_fields(revision_id):
        created = revisions.get(revision_id, (None, None))[1]
        return {
            "revision_id": revision_id,
            "revision_at": created,
            "revision_number": numbers.get(revision_id),
        }

    runs: dict[int, list[ApprovalRun]] = defaultdict(list)
    for state in states:
        trail: list[TrailDecision] = []
        for task_state in steps[state.pk]:
            recorded = decisions.get(task_state.pk)
            if recorded:
                trail.extend(_decision(entry, numbers) for entry in recorded)
            elif (legacy := _decision_of_task_state(task_state, numbers)) is not None:
                trail.append(legacy)
        if state.status == RunStatus.CANCELLED and not trail:
            continue  # withdrawn before anyone decided: nothing to keep on record
        trail.sort(key=lambda d: (d.at is None, d.at or state.created_at))
        current = state.current_task_state or (steps[state.pk] or [None])[-1]
        runs[int(state.object_id)].append(
            ApprovalRun(
                post_id=int(state.object_id),
                circuit=state.workflow.name,
                status=state.status,
                requested_by=person_name(state.requested_by),
                started_at=state.created_at,
                decisions=trail,
                **revision_fields(current.revision_id if current else None),
            )
        )

    for post_id in post_ids:
        post_runs = runs[post_id]
        # Newest approval of a revision owns its publications (one run approves it, but
        # an administrator may have sent an approved revision again).
        owners: dict[int, ApprovalRun] = {}
        for run in post_runs:
            if run.status == RunStatus.APPROVED and run.revision_id is not None:
                owners[run.revision_id] = run
        sent = publications[post_id]
        own_revisions = set(sent)
        live = posts[post_id].live_revision_id if post_id in posts else None
        if live is not None:
            own_revisions.add(live)
        for revision_id in sorted(own_revisions):
            owner = owners.get(revision_id)
            if owner is None:
                created = revisions.get(revision_id, (None, None))[1]
                owner = ApprovalRun(
                    post_id=post_id,
                    circuit="",
                    status=RunStatus.OUTSIDE,
                    requested_by="",
                    started_at=created or timezone.now(),
                    **revision_fields(revision_id),
                )
                post_runs.append(owner)
            owner.publications = sent.get(revision_id, [])
        post_runs.sort(key=lambda run: run.started_at, reverse=True)
    return runs


def post_approval_trail(*, post: Post) -> list[ApprovalRun]:
    """The post's runs through its circuits, newest first: sent back, approved, withdrawn
    after a decision, in progress; each approved one with the publications of its
    revision. A revision approved or sent with no circuit recorded is listed too."""
    return _trails([post.pk], posts={post.pk: post})[post.pk]


def _local_bounds(start: date | None, end: date | None) -> tuple[datetime | None, ...]:
    """The local day `start` begins and the local day after `end` begins."""
    begin = timezone.make_aware(datetime.combine(start, time.min)) if start else None
    stop = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)) if end else None
    return begin, stop


def approval_trail_rows(
    *,
    posts: Iterable[Post | int] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[TrailRow]:
    """The trail as lines, oldest first: one per decision and publication of its run.

    A run without a decision or without a publication still has its lines (with those
    columns empty). With dates (local days, both included), only the lines of that
    period: the decisions taken then, and the publications planned then that no
    decision covers. Eight queries at most, whatever the number of posts.
    """
    begin, stop = _local_bounds(start, end)
    if posts is not None:
        post_ids = sorted({getattr(post, "pk", post) for post in posts})
    else:
        decided = Decision.objects.all()
        if begin is not None:
            decided = decided.filter(at__gte=begin)
        if stop is not None:
            decided = decided.filter(at__lt=stop)
        ids = {
            int(pk)
            for pk in decided.filter(task_state__workflow_state__base_content_type=_post_type())
            .values_list("task_state__workflow_state__object_id", flat=True)
            .distinct()
        }
        ids |= extensions.posts_planned_between(begin=begin, stop=stop)
        post_ids = sorted(ids)
    found = {
        post.pk: post
        for post in Post.objects.filter(pk__in=post_ids).only("pk", "title", "live_revision")
    }
    post_ids = [pk for pk in post_ids if pk in found]
    rows = []
    for post_id, runs in _trails(post_ids, posts=found).items():
        title = found[post_id].title
        for run in runs:
            decisions: list[TrailDecision | None] = [*run.decisions] or [None]
            publications: list = [*run.publications] or [None]
            for decision in decisions:
                for publication in publications:
                    rows.append(TrailRow(post_id, title, run, decision, publication))

    def in_period(row: TrailRow) -> bool:
        moment = row.at
        return (begin is None or moment >= begin) and (stop is None or moment < stop)

    rows = [row for row in rows if in_period(row)]
    rows.sort(key=lambda row: (row.at, row.post_id, row.publication.pk if row.publication else 0))
    return rows
