"""Changing approval state: the roles and default circuits every installation starts with."""

from datetime import timedelta

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
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
    from .models import ExternalRound, PolicyRound, RoleRound

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


# -- Removing a post: a public record is archived, never erased ------------------------


def post_keeps_trail(*, post) -> bool:
    """Whether the post is a record to keep: it entered a circuit, was approved, or has
    publications (public archives, Code du patrimoine L211-1)."""
    from .models import Decision

    return (
        post.live
        or post.live_revision_id is not None
        or post.workflow_states.exists()
        or Decision.objects.filter(revision__in=post.revisions).exists()
        or post.publications.exists()
    )


def post_remove(*, post, by) -> str:
    """Delete a post, or archive it when it keeps a trail; returns "deleted" or "archived".

    Archiving ends its open round, cancels its scheduled publications, withdraws its
    approval and takes it off the calendar, so it can be neither submitted nor scheduled
    again; its revisions, decisions, circuit states and publications stay, with a line
    in its history (which keeps the time it was planned for).
    """
    from wagtail.actions.delete import DeleteAction

    from publishing.services import post_publications_cancel

    with transaction.atomic():
        post = type(post).objects.select_for_update().get(pk=post.pk)
        if not post_keeps_trail(post=post):
            DeleteAction(post, user=by).execute(skip_permission_checks=True)
            return "deleted"
        if post.archived_at is not None:
            return "archived"
        state = post.current_workflow_state
        if state is not None:
            state.cancel(user=by)
        post_publications_cancel(post=post, by=by)
        if post.live:
            # Not through the permission check: nobody holds publish, and this only
            # withdraws an approval, logged below as the archiving.
            post.unpublish(user=None, log_action=False)
        planned, post.planned_at = post.planned_at, None  # off the calendar: planned for nothing
        post.archived_at = timezone.now()
        post.archived_by = by
        type(post).objects.filter(pk=post.pk).update(
            archived_at=post.archived_at, archived_by=by, planned_at=None
        )
        _log(
            instance=post,
            action="cms.archive",
            user=by,
            data={"planned": planned.isoformat() if planned else ""},
        )
    return "archived"


# -- Rounds: who may decide, decisions, deadlines ---------------------------------------


def person_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def _authors(task_state) -> set[int]:
    """Who wrote the version under review, or asked for its approval (four eyes)."""
    ids = {task_state.revision.user_id, task_state.workflow_state.requested_by_id}
    return {pk for pk in ids if pk is not None}


def decision_problem(*, task_state, user=None, external_approver=None) -> str | None:
    """Why this person may not decide on this round now, in words they can act on."""
    from .models import Decision

    if task_state.status != task_state.STATUS_IN_PROGRESS:
        return gettext("This round is over: nothing is waiting for a decision any more.")
    round_ = task_state.task.specific
    decisions = Decision.objects.filter(task_state=task_state)
    if user is not None:
        if user.pk not in round_.decider_ids(task_state):
            return gettext("You are not one of the approvers of this round.")
        if user.pk in _authors(task_state):
            return gettext(
                "You wrote this version or submitted it: someone else must approve it (four eyes)."
            )
        if decisions.filter(user=user).exists():
            return gettext("You have already decided on this version.")
        return None
    if external_approver is not None:
        if not round_.external_approvers().filter(pk=external_approver.pk).exists():
            return gettext("You are not one of the approvers of this round.")
        if decisions.filter(external_approver=external_approver).exists():
            return gettext("You have already decided on this version.")
        return None
    return gettext("You are not one of the approvers of this round.")


def _quorum_met(task_state, *, user) -> bool:
    from .models import Decision, Quorum

    round_ = task_state.task.specific
    if user is not None and user.pk not in round_.member_ids():
        return True  # the escalation group decides for the round once the deadline passed
    if round_.quorum == Quorum.ANY:
        return True
    approvals = Decision.objects.filter(task_state=task_state, verdict=Decision.Verdict.APPROVE)
    approved_users = set(approvals.exclude(user=None).values_list("user_id", flat=True))
    approved_external = set(
        approvals.exclude(external_approver=None).values_list("external_approver_id", flat=True)
    )
    needed_users = round_.member_ids() - _authors(task_state)
    needed_external = set(round_.external_approvers().values_list("pk", flat=True))
    return needed_users <= approved_users and needed_external <= approved_external


def round_decide(
    *,
    task_state,
    verdict: str,
    comment: str = "",
    user=None,
    external_approver=None,
    via: str = "",
):
    """Record one person's decision; the round ends when its quorum is met or on a refusal.

    Raises PermissionDenied with the reason when the person may not decide (not an
    approver, the author of the version, already decided, round over).
    """
    from .models import Decision, RoundState

    if verdict not in (Decision.Verdict.APPROVE, Decision.Verdict.REJECT):
        raise ValueError(f"Unknown verdict {verdict!r}")
    with transaction.atomic():
        # Two approvers of an "all members" round deciding at once count each other.
        task_state = RoundState.objects.select_for_update().get(pk=task_state.pk)
        problem = decision_problem(
            task_state=task_state, user=user, external_approver=external_approver
        )
        if problem:
            raise PermissionDenied(problem)
        decision = Decision.objects.create(
            task_state=task_state,
            revision_id=task_state.revision_id,
            round_name=task_state.task.name,
            user=user,
            external_approver=external_approver,
            name=person_name(user) if user else external_approver.name,
            verdict=verdict,
            comment=comment,
            via=via or (Decision.Via.LINK if external_approver else Decision.Via.ADMIN),
        )
        if verdict == Decision.Verdict.REJECT:
            task_state.reject(user=user, comment=comment)
        elif _quorum_met(task_state, user=user):
            task_state.approve(user=user, comment=comment)
        else:
            _log(
                instance=task_state.workflow_state.content_object,
                action="workflows.partial_approval",
                user=user,
                revision=task_state.revision,
                data={"round": task_state.task.name, "name": decision.name},
            )
    return decision


def _log(*, instance, action, user, revision=None, data=None) -> None:
    from wagtail.log_actions import log

    log(instance=instance, action=action, user=user, revision=revision, data=data or {})


def round_started(*, task_state, by=None):
    """A round starts: its deadline is set and its approvers are told."""
    from .notifications import notify

    if _policy_recheck_refuses(task_state):
        return task_state
    round_ = task_state.task.specific
    if round_.deadline_hours:
        task_state.deadline = task_state.started_at + timedelta(hours=round_.deadline_hours)
        task_state.save(update_fields=["deadline"])
    post = task_state.workflow_state.content_object
    deciders = round_.member_ids() - _authors(task_state)
    notify(
        kind="submitted",
        recipients=get_user_model().objects.filter(pk__in=deciders),
        post=post,
        actor=person_name(task_state.workflow_state.requested_by),
        round_name=round_.name,
        detail=_deadline_words(task_state.deadline),
    )
    if round_.external_approvers().exists():
        from .external import approval_links_send

        transaction.on_commit(lambda: approval_links_send(task_state_id=task_state.pk))
    return task_state


def _deadline_words(deadline) -> str:
    if deadline is None:
        return ""
    return timezone.localtime(deadline).strftime("%d/%m/%Y %H:%M")


def _policy_recheck_refuses(task_state) -> bool:
    """A round restarting on a newer version than the automatic check passed re-checks it.

    A post sent back by a person is resubmitted into that person's round (Wagtail
    resumes the current round), so the automatic check must not be skipped on the
    changed version: it runs again here, and a blocking problem sends the post back.
    """
    from .models import PolicyRound

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
    """The automatic round: the post goes on when nothing blocks it, else goes back.

    Also run at the start of a later round on a changed version: there a clean version
    leaves the round open for its people.
    """
    from policies.checks import post_problems

    from .models import Decision, PolicyRound

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
    from .models import AtDeadline, Decision, RoundState

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
    from .external import approval_links_send
    from .models import ApprovalLink, ExternalRound, RoundState

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
    from .models import Decision

    decided = set(
        Decision.objects.filter(task_state=task_state)
        .exclude(user=None)
        .values_list("user_id", flat=True)
    )
    return task_state.task.specific.decider_ids(task_state) - _authors(task_state) - decided


def _reminder_send(task_state) -> None:
    from .notifications import notify

    notify(
        kind="reminder",
        recipients=get_user_model().objects.filter(pk__in=_undecided_ids(task_state)),
        post=task_state.workflow_state.content_object,
        round_name=task_state.task.name,
        detail=_deadline_words(task_state.deadline),
    )
    if task_state.task.specific.external_approvers().exists():
        from .external import approval_links_remind

        transaction.on_commit(lambda: approval_links_remind(task_state_id=task_state.pk))


def _deadline_notify(task_state, *, escalated: bool) -> None:
    from .notifications import notify

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
    from .notifications import notify

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
    from .models import Decision
    from .notifications import notify

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
    from .models import Decision

    last = (
        Decision.objects.filter(task_state__workflow_state=workflow_state)
        .order_by("-at", "-pk")
        .first()
    )
    return last.name if last is not None else ""


def publication_failed_notify(*, publication) -> None:
    """A publication failed for good: whoever planned it and wrote the post hears of it."""
    from .notifications import notify

    ids = {publication.created_by_id, publication.post.created_by_id}
    notify(
        kind="publication_failed",
        recipients=get_user_model().objects.filter(pk__in=ids - {None}),
        post=publication.post,
        detail=f"{publication.account} — {publication.error}",
    )
