"""Approval rounds on Wagtail's workflow models: the round types, their decisions and
deadlines, the links sent to people without an account, and the team's notifications.

The rules of deciding live here, with the rounds whose Wagtail interface calls them
(`on_action`, `get_actions`), as Wagtail keeps `TaskState.approve` on its model. What
happens when a round starts (notifications, links, the automatic check) follows
Wagtail's `task_submitted` signal (workflows.signals), in workflows.services.
"""

from django import forms
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from wagtail.log_actions import log
from wagtail.models import Task, TaskState


class Quorum(models.TextChoices):
    ANY = "any", _("Any one member")
    ALL = "all", _("All members")


class AtDeadline(models.TextChoices):
    SEND_BACK = "send_back", _("Send the post back to its author")
    ESCALATE = "escalate", _("Let another group decide too")


class RoundState(TaskState):
    """A round in progress on one revision, with its deadline and what happened to it."""

    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    deadline_passed_at = models.DateTimeField(_("deadline passed at"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        Group,
        verbose_name=_("escalated to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("round in progress")
        verbose_name_plural = _("rounds in progress")


class Round(Task):
    """What every round a person decides shares: how many must agree, and the deadline.

    Not abstract on purpose: one table lets the deadline watcher and the dashboard read
    every kind of round in one query.
    """

    quorum = models.CharField(
        _("who must approve"), max_length=10, choices=Quorum.choices, default=Quorum.ANY
    )
    deadline_hours = models.PositiveIntegerField(
        _("deadline (hours)"),
        null=True,
        blank=True,
        help_text=_("Hours the approvers have once the round starts. Leave empty for none."),
    )
    reminder_hours = models.PositiveIntegerField(
        _("reminder (hours before the deadline)"),
        default=4,
        help_text=_("The approvers who have not decided get a reminder this long before."),
    )
    at_deadline = models.CharField(
        _("at the deadline"),
        max_length=20,
        choices=AtDeadline.choices,
        default=AtDeadline.SEND_BACK,
    )
    escalate_to = models.ForeignKey(
        Group,
        verbose_name=_("escalate to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The group that may decide too once the deadline has passed."),
    )

    task_state_class = RoundState
    admin_form_fields = Task.admin_form_fields + [
        "quorum",
        "deadline_hours",
        "reminder_hours",
        "at_deadline",
        "escalate_to",
    ]

    class Meta:
        verbose_name = _("round")
        verbose_name_plural = _("rounds")

    # -- Who decides (overridden by each kind of round) ----------------------------------

    def member_ids(self) -> set[int]:
        """The accounts that approve in this round (before the four-eyes rule)."""
        return set()

    def external_approvers(self):
        return ExternalApprover.objects.none()

    # -- Wagtail's task interface (a round's start: workflows.signals) ------------------

    def on_action(self, task_state, user, action_name, **kwargs):
        round_decide(
            task_state=task_state.specific,
            verdict=action_name,
            comment=kwargs.get("comment", ""),
            user=user,
        )

    def get_actions(self, obj, user):
        task_state = obj.current_workflow_task_state
        if task_state is None or decision_problem(task_state=task_state.specific, user=user):
            return []
        return [
            ("reject", _("Request changes"), True),
            ("approve", _("Approve"), False),
            ("approve", _("Approve with comment"), True),
        ]

    def user_can_access_editor(self, obj, user):
        task_state = obj.current_workflow_task_state
        return task_state is not None and user.pk in self.decider_ids(task_state.specific)

    def locked_for_user(self, obj, user):
        # Nobody edits the version under review except the people deciding on it.
        return not self.user_can_access_editor(obj, user)

    def decider_ids(self, task_state) -> set[int]:
        """Every account that may decide on this round now (four eyes aside)."""
        ids = self.member_ids()
        if task_state.escalated_to_id:
            ids |= set(
                task_state.escalated_to.user_set.filter(is_active=True).values_list("pk", flat=True)
            )
        return ids

    def get_task_states_user_can_moderate(self, user, **kwargs):
        mine = Q(roundstate__escalated_to__in=user.groups.all())
        if user.pk in self.member_ids():
            mine = Q()
        return (
            self.task_states.filter(status=TaskState.STATUS_IN_PROGRESS)
            .filter(mine)
            .exclude(revision__user=user)
            .exclude(workflow_state__requested_by=user)
            .exclude(decisions__user=user)
        )


class RoleRound(Round):
    """The members of one role (a group) approve; the post's author never approves it."""

    group = models.ForeignKey(
        Group,
        verbose_name=_("role"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The members of this group approve in this round."),
    )

    admin_form_fields = Round.admin_form_fields[:1] + ["group"] + Round.admin_form_fields[1:]

    class Meta:
        verbose_name = _("role round")
        verbose_name_plural = _("role rounds")

    @classmethod
    def get_description(cls):
        return _(
            "The members of a role approve: any one of them, or all. The author of the "
            "post never approves it (four eyes)."
        )

    def member_ids(self) -> set[int]:
        return set(self.group.user_set.filter(is_active=True).values_list("pk", flat=True))


class ExternalApprover(models.Model):
    """Someone without a Crieur account who approves by link: an elected official."""

    name = models.CharField(_("name"), max_length=200)
    function = models.CharField(
        _("function"), max_length=200, blank=True, help_text=_("For example: Maire adjointe")
    )
    email = models.EmailField(_("e-mail address"))
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("external approver")
        verbose_name_plural = _("external approvers")

    def __str__(self) -> str:
        return f"{self.name} ({self.function})" if self.function else self.name


class ExternalRound(Round):
    """People without an account approve from a signed, single-use, expiring link.

    Members of an optional group (elected officials who do have an account) may decide
    in Crieur too.
    """

    group = models.ForeignKey(
        Group,
        verbose_name=_("role"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Optional: the members of this group may also decide in Crieur."),
    )

    approvers = models.ManyToManyField(
        ExternalApprover,
        verbose_name=_("approvers"),
        related_name="rounds",
        help_text=_("Each receives a link by e-mail when the round starts."),
    )
    link_hours = models.PositiveIntegerField(
        _("link valid for (hours)"),
        default=72,
        help_text=_("After this, the link does nothing but say it has expired."),
    )

    admin_form_fields = (
        Round.admin_form_fields[:1]
        + ["approvers", "link_hours", "group"]
        + (Round.admin_form_fields[1:])
    )
    admin_form_widgets = {"approvers": forms.CheckboxSelectMultiple}

    class Meta:
        verbose_name = _("external round")
        verbose_name_plural = _("external rounds")

    @classmethod
    def get_description(cls):
        return _(
            "People without a Crieur account (elected officials) approve from a signed "
            "link sent by e-mail; it works once and expires."
        )

    def external_approvers(self):
        return self.approvers.filter(active=True)

    def member_ids(self) -> set[int]:
        if self.group is None:
            return set()
        return set(self.group.user_set.filter(is_active=True).values_list("pk", flat=True))

    def locked_for_user(self, obj, user):
        return not user.is_superuser


class PolicyRound(Task):
    """Automatic: passes when the post has no blocking problem, else sends it back."""

    class Meta:
        verbose_name = _("automatic policy check")
        verbose_name_plural = _("automatic policy checks")

    @classmethod
    def get_description(cls):
        return _(
            "Passes on its own when the post has no blocking problem; otherwise sends it "
            "back to its author with the list of problems."
        )


class Decision(models.Model):
    """One person's (or the automatic check's) decision in a round: the approval trail."""

    class Verdict(models.TextChoices):
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Changes requested")

    class Via(models.TextChoices):
        ADMIN = "admin", _("In Crieur")
        LINK = "link", _("By e-mail link")
        AUTOMATIC = "automatic", _("Automatic check")
        DEADLINE = "deadline", _("Deadline")

    task_state = models.ForeignKey(
        TaskState, verbose_name=_("round"), on_delete=models.CASCADE, related_name="decisions"
    )
    revision = models.ForeignKey(
        "wagtailcore.Revision",
        verbose_name=_("revision"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    round_name = models.CharField(_("round"), max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    external_approver = models.ForeignKey(
        ExternalApprover,
        verbose_name=_("external approver"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decisions",
    )
    # Kept as written at the time: the trail is a record, it must outlive accounts.
    name = models.CharField(_("name"), max_length=255)
    verdict = models.CharField(_("decision"), max_length=10, choices=Verdict.choices)
    comment = models.TextField(_("comment"), blank=True)
    via = models.CharField(_("how"), max_length=10, choices=Via.choices, default=Via.ADMIN)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        indexes = [models.Index(fields=["revision", "at"])]

    def __str__(self) -> str:
        return f"{self.name}: {self.get_verdict_display()} ({self.round_name})"


class ApprovalLink(models.Model):
    """A link sent to one external approver for one round; it works once, until it expires."""

    task_state = models.ForeignKey(
        TaskState, on_delete=models.CASCADE, related_name="approval_links"
    )
    approver = models.ForeignKey(ExternalApprover, on_delete=models.CASCADE, related_name="links")
    # The address the link went to: once the approver's address changes, the link is void.
    sent_to = models.EmailField(blank=True)
    nonce = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("approval link")
        verbose_name_plural = _("approval links")

    def __str__(self) -> str:
        return f"{self.approver} — {self.task_state_id}"


class Notification(models.Model):
    """Something a person of the team should know, shown in the admin and maybe e-mailed."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("A post is submitted to you")
        APPROVED = "approved", _("Your post is approved")
        CHANGES_REQUESTED = "changes_requested", _("Changes are requested on your post")
        REMINDER = "reminder", _("Reminder before a deadline")
        DEADLINE_PASSED = "deadline_passed", _("A deadline has passed")
        PUBLICATION_FAILED = "publication_failed", _("A publication failed")
        PUBLISHED = "published", _("Your post is published")
        ROUND_AFTER_PLANNED = "round_after_planned", _("A round ends after the planned time")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="crieur_notifications"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    post = models.ForeignKey(
        "cms.Post", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The parts of the message, stored raw and put into words when shown, in the
    # reader's language.
    actor = models.CharField(max_length=255, blank=True)
    round_name = models.CharField(max_length=255, blank=True)
    comment = models.TextField(blank=True)
    detail = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    # A round's deadline and the post's planned time then: shown in the reader's words.
    deadline = models.DateTimeField(null=True, blank=True)
    planned_at = models.DateTimeField(null=True, blank=True)
    # Where to see what it is about, each {"label": …, "url": …}: the post on each network.
    links = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient}"


class NotificationPreference(models.Model):
    """Which notifications a person also receives by e-mail (all, unless turned off)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    # The kinds turned off, so that a kind added later reaches everyone by default.
    email_off = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return str(self.user)

    def wants_email(self, kind: str) -> bool:
        return kind not in self.email_off


# -- Deciding: who may, and what one decision does ----------------------------------------


def person_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def version_authors(task_state) -> set[int]:
    """Who wrote the version under review, or asked for its approval (four eyes)."""
    ids = {task_state.revision.user_id, task_state.workflow_state.requested_by_id}
    return {pk for pk in ids if pk is not None}


def decision_problem(*, task_state, user=None, external_approver=None) -> str | None:
    """Why this person may not decide on this round now, in words they can act on."""
    if task_state.status != task_state.STATUS_IN_PROGRESS:
        return gettext("This round is over: nothing is waiting for a decision any more.")
    round_ = task_state.task.specific
    decisions = Decision.objects.filter(task_state=task_state)
    if user is not None:
        if user.pk not in round_.decider_ids(task_state):
            return gettext("You are not one of the approvers of this round.")
        if user.pk in version_authors(task_state):
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
    needed_users = round_.member_ids() - version_authors(task_state)
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
            log(
                instance=task_state.workflow_state.content_object,
                action="workflows.partial_approval",
                user=user,
                revision=task_state.revision,
                data={"round": task_state.task.name, "name": decision.name},
            )
    return decision
