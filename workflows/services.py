"""Changing approval state: the roles and default circuits every installation starts with."""

from datetime import timedelta

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from wagtail.models import (
    Collection,
    GroupCollectionPermission,
    Task,
    TaskState,
    Workflow,
    WorkflowContentType,
    WorkflowTask,
)
from wagtail.snippets.models import create_extra_permissions

from cms.words import date_words
from policies.checks import post_problems

from .external import approval_links_remind, approval_links_send
from .models import (
    ApprovalLink,
    AtDeadline,
    Decision,
    ExternalRound,
    PolicyRound,
    RoleRound,
    RoundState,
    person_name,
    version_authors,
)
from .notifications import notify
from .roles import CIRCUITS, ROLES, Role


def _permissions(names, *, using: str) -> list[Permission]:
    found = []
    for name in sorted(names):
        app_label, codename = name.split(".", 1)
        permission = (
            Permission.objects.using(using)
            .filter(content_type__app_label=app_label, codename=codename)
            .first()
        )
        if permission is None:
            raise LookupError(f"The permission {name} does not exist: fix workflows/roles.py.")
        found.append(permission)
    return found


def _role_group(role: Role, *, using: str) -> Group:
    group, created = Group.objects.using(using).get_or_create(name=role.group_name)
    wanted = _permissions(role.permissions, using=using)
    if created:
        group.permissions.set(wanted)
    else:
        # Keep what an administrator added; add what a new version of Crieur needs.
        group.permissions.add(*wanted)
    # Wagtail's migrations create the root collection; a flushed database has none.
    root = Collection.get_first_root_node() or Collection.add_root(name="Root")
    for permission in _permissions(role.collection_permissions, using=using):
        GroupCollectionPermission.objects.using(using).get_or_create(
            group=group, collection=root, permission=permission
        )
    return group


def _round_task(round_, *, groups, using: str):
    """The task of a default round, shared by the circuits that use it."""
    model: type[Task] = {"policy": PolicyRound, "external": ExternalRound, "role": RoleRound}[
        round_.kind
    ]
    task = model.objects.using(using).filter(name=round_.name).first()
    if task is None:
        group = groups[round_.role.key] if round_.role else None
        fields = {"group": group} if group is not None else {}
        task = model.objects.using(using).create(name=round_.name, **fields)
    return task


def roles_bootstrap(*, using: str = "default") -> None:
    """Create the roles and the Standard and Sensitive circuits; safe to run again.

    Runs after every migrate, so a fresh database has them and an upgraded one gets
    what a new version adds, without undoing what administrators changed.
    """
    # Permissions are created app by app after migrate; make sure all exist first.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    # Wagtail adds the publish/lock/unlock permissions of snippets in its own handler.
    create_extra_permissions(apps.get_app_config("wagtailsnippets"), using=using)

    with transaction.atomic(using=using):
        groups = {role.key: _role_group(role, using=using) for role in ROLES}
        post_type = ContentType.objects.db_manager(using).get_by_natural_key("cms", "post")
        for circuit in CIRCUITS:
            workflow, created = Workflow.objects.using(using).get_or_create(
                name=circuit.name, defaults={"active": True}
            )
            if created:
                for order, round_ in enumerate(circuit.rounds):
                    WorkflowTask.objects.using(using).create(
                        workflow=workflow,
                        task=_round_task(round_, groups=groups, using=using),
                        sort_order=order,
                    )
            if circuit.default_for_posts:
                WorkflowContentType.objects.using(using).get_or_create(
                    content_type=post_type, defaults={"workflow": workflow}
                )


def approved_revision_publish(*, workflow_state, user=None) -> None:
    """The revision the last round approved becomes the post's approved revision.

    Approvers are not publishers (nobody holds cms.publish_post): finishing the circuit
    is the authority, so the circuit replaces the permission check. It is the revision
    the rounds looked at that is marked approved, not whatever is newest.
    """
    revision = workflow_state.current_task_state.revision
    revision.publish(user=user, skip_permission_checks=True)


# -- Rounds: their start, deadlines and reminders (deciding: workflows.models) --------


def round_started(*, task_state, by=None):
    """A round starts: its deadline is set and its approvers are told (Wagtail's
    task_submitted signal, workflows.signals)."""
    if _policy_recheck_refuses(task_state):
        return task_state
    round_ = task_state.task.specific
    if round_.deadline_hours:
        task_state.deadline = task_state.started_at + timedelta(hours=round_.deadline_hours)
        task_state.save(update_fields=["deadline"])
    post = task_state.workflow_state.content_object
    deciders = round_.member_ids() - version_authors(task_state)
    planned_at = getattr(post, "planned_at", None)
    notify(
        kind="submitted",
        recipients=get_user_model().objects.filter(pk__in=deciders),
        post=post,
        actor=person_name(task_state.workflow_state.requested_by),
        round_name=round_.name,
        deadline=task_state.deadline,
        planned_at=planned_at,
    )
    if round_ends_after_planned(task_state=task_state, post=post):
        # The approvers read it in their notification; the author hears of it too.
        notify(
            kind="round_after_planned",
            recipients=_requesters(task_state.workflow_state),
            post=post,
            round_name=round_.name,
            deadline=task_state.deadline,
            planned_at=planned_at,
        )
    if round_.external_approvers().exists():
        transaction.on_commit(lambda: approval_links_send(task_state_id=task_state.pk))
    return task_state


def round_ends_after_planned(*, task_state, post) -> bool:
    """Whether the round may end after the post's planned time: an approval that late
    does not publish late, the post waits for a new date."""
    planned_at = getattr(post, "planned_at", None)
    deadline = getattr(task_state, "deadline", None)
    return bool(planned_at and deadline and deadline > planned_at)


def _deadline_words(deadline) -> str:
    return date_words(deadline, "SHORT_DATETIME_FORMAT")


def _policy_recheck_refuses(task_state) -> bool:
    """A round restarting on a newer version than the automatic check passed re-checks it.

    A post sent back by a person is resubmitted into that person's round (Wagtail
    resumes the current round), so the automatic check must not be skipped on the
    changed version: it runs again here, and a blocking problem sends the post back.
    """
    passed = TaskState.objects.filter(
        workflow_state=task_state.workflow_state,
        task__in=PolicyRound.objects.all(),
        status=TaskState.STATUS_APPROVED,
    )
    if not passed.exists() or passed.filter(revision_id=task_state.revision_id).exists():
        return False
    policy_round_run(task_state=task_state)
    return task_state.status == TaskState.STATUS_REJECTED


def policy_round_run(*, task_state):
    """The automatic round: the post goes on when nothing blocks it, else goes back
    (run as it starts, from Wagtail's task_submitted signal: workflows.signals).

    Also run at the start of a later round on a changed version: there a clean version
    leaves the round open for its people.
    """
    automatic = isinstance(task_state.task.specific, PolicyRound)
    post = task_state.revision.as_object()
    blocking = [problem for problem in post_problems(post=post) if problem.blocking]
    if not blocking and not automatic:
        return task_state
    verdict = Decision.Verdict.REJECT if blocking else Decision.Verdict.APPROVE
    comment = "\n".join(f"• {problem.message}" for problem in blocking)
    if blocking:
        comment = gettext("Fix these problems, then submit the post again:") + "\n" + comment
    Decision.objects.create(
        task_state=task_state,
        revision_id=task_state.revision_id,
        round_name=task_state.task.name,
        name=gettext("Automatic check"),
        verdict=verdict,
        comment=comment,
        via=Decision.Via.AUTOMATIC,
    )
    # The workflow moves on (or back) as soon as start() returns: no update here.
    if blocking:
        task_state.reject(user=None, update=False, comment=comment)
    else:
        task_state.approve(user=None, update=False)
    return task_state


def rounds_watch(*, now=None) -> dict:
    """Reminders before deadlines, and what each round does once its deadline passed."""
    now = now or timezone.now()
    counts = {"reminded": 0, "escalated": 0, "sent_back": 0, "links_retried": 0}
    open_ = RoundState.objects.filter(
        status=RoundState.STATUS_IN_PROGRESS, deadline__isnull=False
    ).select_related("task", "revision", "workflow_state")
    for task_state in open_.filter(deadline__lte=now, deadline_passed_at=None):
        with transaction.atomic():
            task_state = RoundState.objects.select_for_update().get(pk=task_state.pk)
            if task_state.deadline_passed_at or task_state.status != task_state.STATUS_IN_PROGRESS:
                continue
            round_ = task_state.task.specific
            task_state.deadline_passed_at = now
            if round_.at_deadline == AtDeadline.ESCALATE and round_.escalate_to_id:
                task_state.escalated_to_id = round_.escalate_to_id
                task_state.save(update_fields=["deadline_passed_at", "escalated_to"])
                _deadline_notify(task_state, escalated=True)
                counts["escalated"] += 1
                continue
            task_state.save(update_fields=["deadline_passed_at"])
            comment = gettext(
                "Nobody decided before the deadline (%(deadline)s): change the post if "
                "needed and submit it again."
            ) % {"deadline": _deadline_words(task_state.deadline)}
            Decision.objects.create(
                task_state=task_state,
                revision_id=task_state.revision_id,
                round_name=round_.name,
                name=gettext("Deadline"),
                verdict=Decision.Verdict.REJECT,
                comment=comment,
                via=Decision.Via.DEADLINE,
            )
            task_state.reject(user=None, comment=comment)
            counts["sent_back"] += 1
    counts["links_retried"] = _missing_links_send()
    for task_state in open_.filter(deadline__gt=now, reminded_at=None):
        round_ = task_state.task.specific
        if task_state.deadline - timedelta(hours=round_.reminder_hours) > now:
            continue
        updated = RoundState.objects.filter(pk=task_state.pk, reminded_at=None).update(
            reminded_at=now
        )
        if updated:
            _reminder_send(task_state)
            counts["reminded"] += 1
    return counts


def _missing_links_send() -> int:
    """Links that never left (the mail server failed, or an approver was added to a
    running round) are sent on the next watch: no external round waits for nothing."""
    sent = 0
    for task_state in RoundState.objects.filter(
        status=RoundState.STATUS_IN_PROGRESS, task__in=ExternalRound.objects.all()
    ).select_related("task"):
        wanted = set(task_state.task.specific.external_approvers().values_list("pk", flat=True))
        have = set(
            ApprovalLink.objects.filter(task_state=task_state).values_list("approver_id", flat=True)
        )
        if wanted - have:
            approval_links_send(task_state_id=task_state.pk)
            sent += len(wanted - have)
    return sent


def _undecided_ids(task_state) -> set[int]:
    decided = set(
        Decision.objects.filter(task_state=task_state)
        .exclude(user=None)
        .values_list("user_id", flat=True)
    )
    return task_state.task.specific.decider_ids(task_state) - version_authors(task_state) - decided


def _reminder_send(task_state) -> None:
    notify(
        kind="reminder",
        recipients=get_user_model().objects.filter(pk__in=_undecided_ids(task_state)),
        post=task_state.workflow_state.content_object,
        round_name=task_state.task.name,
        deadline=task_state.deadline,
    )
    if task_state.task.specific.external_approvers().exists():
        transaction.on_commit(lambda: approval_links_remind(task_state_id=task_state.pk))


def _deadline_notify(task_state, *, escalated: bool) -> None:
    post = task_state.workflow_state.content_object
    people = {task_state.workflow_state.requested_by_id}
    if escalated:
        people |= _undecided_ids(task_state)
    notify(
        kind="deadline_passed",
        recipients=get_user_model().objects.filter(pk__in=people - {None}),
        post=post,
        round_name=task_state.task.name,
        detail=task_state.escalated_to.name if escalated else "",
    )


def workflow_approved_notify(*, workflow_state, by=None) -> None:
    post = workflow_state.content_object
    notify(
        kind="approved",
        recipients=_requesters(workflow_state),
        post=post,
        actor=person_name(by) if by else _last_decider(workflow_state),
        round_name=workflow_state.workflow.name,
    )


def workflow_rejected_notify(*, workflow_state, by=None) -> None:
    """Sent back: the author learns why, with the comment (or that time ran out)."""
    task_state = workflow_state.current_task_state
    last = Decision.objects.filter(task_state=task_state).order_by("-at", "-pk").first()
    notify(
        kind="deadline_passed"
        if last is not None and last.via == Decision.Via.DEADLINE
        else "changes_requested",
        recipients=_requesters(workflow_state),
        post=workflow_state.content_object,
        actor=last.name if last is not None else person_name(by),
        round_name=task_state.task.name,
        comment=task_state.comment,
    )


def _requesters(workflow_state):
    post = workflow_state.content_object
    ids = {workflow_state.requested_by_id, getattr(post, "created_by_id", None)}
    return get_user_model().objects.filter(pk__in=ids - {None})


def _last_decider(workflow_state) -> str:
    last = (
        Decision.objects.filter(task_state__workflow_state=workflow_state)
        .order_by("-at", "-pk")
        .first()
    )
    return last.name if last is not None else ""
