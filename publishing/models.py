"""Publications (one send of an approved post to one account) and their attempts, the
scheduler's heartbeat, calendar feeds and bulk imports."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from networks.models import SocialAccount


class PublicationQuerySet(models.QuerySet):
    """The states that go together, named once."""

    def open(self):
        """Not yet on the network and not given up: can still be moved or cancelled."""
        return self.filter(state__in=Publication.OPEN_STATES)

    def needs_a_person(self):
        """Stopped where only a person can tell what to do (failed, unconfirmed, missed)."""
        return self.filter(state__in=Publication.NEEDS_A_PERSON)

    def queued(self):
        """What the workers still have to send: scheduled, or being sent right now."""
        return self.filter(state__in=Publication.QUEUED)

    def past_the_schedule(self):
        """Gone from the schedule to the network's side: being sent, sent, or stopped
        there for a person (failed, unconfirmed, missed); neither open nor cancelled."""
        return self.exclude(state__in=[*Publication.OPEN_STATES, Publication.State.CANCELLED])

    def may_still_go_out(self):
        """Not gone out and not given up: a failed or missed one may still be sent again."""
        return self.exclude(state__in=[Publication.State.PUBLISHED, Publication.State.CANCELLED])

    def going_out(self):
        """Going out, gone out, or waiting for a person who may still send it: every
        state but missed and cancelled (its post needs no new date)."""
        return self.exclude(state__in=[Publication.State.MISSED, Publication.State.CANCELLED])


class TransitionRefused(ValidationError):
    """A publication was asked to go to a state it may not reach from where it is."""


class Publication(models.Model):
    """One send of one approved revision of a post to one account at one time.

    The revision is fixed here: what goes out is exactly what was approved.
    """

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHING = "publishing", _("Publishing")
        PUBLISHED = "published", _("Published")
        FAILED = "failed", _("Failed")
        UNCONFIRMED = "unconfirmed", _("Unconfirmed: to be checked")
        MISSED = "missed", _("Missed")
        FROZEN = "frozen", _("Frozen")
        CANCELLED = "cancelled", _("Cancelled")
        AWAITING_CONFIRMATION = "awaiting_confirmation", _("Awaiting confirmation")

    OPEN_STATES = (State.SCHEDULED, State.FROZEN)
    NEEDS_A_PERSON = (State.FAILED, State.UNCONFIRMED, State.MISSED)
    QUEUED = (State.SCHEDULED, State.PUBLISHING)

    # The state machine, in one table: each state and the states it may go to. Every
    # change of state goes through `transition`, which refuses any other.
    TRANSITIONS = {
        # Claimed by a worker; past its cut-off; given up (by a person, or because its
        # account left the approved version).
        State.SCHEDULED: {State.PUBLISHING, State.MISSED, State.CANCELLED},
        # What a send, or the reconciliation of a dead worker's claim, comes to: given
        # back to the schedule (a retry, a held account, a budget to wait for), held by
        # a blocked period, or stopped.
        State.PUBLISHING: {
            State.PUBLISHED,
            State.AWAITING_CONFIRMATION,
            State.SCHEDULED,
            State.FROZEN,
            State.FAILED,
            State.UNCONFIRMED,
            State.MISSED,
        },
        # The period ended (or the publication was moved out of it); past its cut-off.
        State.FROZEN: {State.SCHEDULED, State.MISSED, State.CANCELLED},
        # A person sends it again (an unconfirmed one found on the network is published),
        # or gives it up.
        State.FAILED: {State.SCHEDULED, State.CANCELLED},
        State.UNCONFIRMED: {State.SCHEDULED, State.PUBLISHED, State.CANCELLED},
        State.MISSED: {State.SCHEDULED, State.CANCELLED},
        # The channel's administrators confirm they posted it.
        State.AWAITING_CONFIRMATION: {State.PUBLISHED},
        State.PUBLISHED: set(),
        State.CANCELLED: set(),
    }

    post = models.ForeignKey(
        "cms.Post", verbose_name=_("post"), on_delete=models.CASCADE, related_name="publications"
    )
    revision = models.ForeignKey(
        "wagtailcore.Revision",
        verbose_name=_("approved revision"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    account = models.ForeignKey(
        SocialAccount,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="publications",
    )
    scheduled_at = models.DateTimeField(_("scheduled at"))
    state = models.CharField(
        _("state"), max_length=30, choices=State.choices, default=State.SCHEDULED
    )
    remote_id = models.CharField(_("remote id"), max_length=200, blank=True)
    remote_url = models.URLField(_("address on the network"), max_length=500, blank=True)
    # Ids of what was posted after the first object (thread parts, first comment), in order.
    remote_parts = models.JSONField(default=list, blank=True)
    remote_data = models.JSONField(default=dict, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # The next try is not before this (retries with backoff, rate limits); empty: at once.
    not_before = models.DateTimeField(_("next try"), null=True, blank=True)
    # When a worker claimed it (state publishing): a stale claim means a crashed worker.
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    tries = models.PositiveSmallIntegerField(_("tries"), default=0)
    error = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    objects = PublicationQuerySet.as_manager()

    class Meta:
        ordering = ["-scheduled_at"]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        permissions = [("send_now", _("Can send a post to the networks at once"))]
        indexes = [
            models.Index(fields=["state", "scheduled_at"]),
            models.Index(fields=["state", "not_before"]),
        ]

    def __str__(self) -> str:
        return f"{self.post} → {self.account} @ {self.scheduled_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        """Not yet on the network and not given up: it can still be moved or cancelled."""
        return self.state in self.OPEN_STATES

    @property
    def needs_a_person(self) -> bool:
        return self.state in self.NEEDS_A_PERSON

    def can_become(self, state: str) -> bool:
        return state in self.TRANSITIONS[self.state]

    @classmethod
    def sources_of(cls, state: str) -> tuple[str, ...]:
        """The states a publication may reach `state` from: what a change of state made
        by an update names as the states it leaves."""
        return tuple(source for source, targets in cls.TRANSITIONS.items() if state in targets)

    def transition(self, state: str, **changes) -> str:
        """Move to `state`, with the other fields that change with it, in memory; refuse
        (TransitionRefused) when the table does not lead there from the present state.

        Returns the state it leaves: the caller saves the change conditionally on it
        (`filter(state=left).update(...)`, or a row it holds locked), so that of two
        processes that decide about the same publication, one change wins.
        """
        if not self.can_become(state):
            raise TransitionRefused(
                gettext("This publication is %(state)s: it cannot become %(to)s.")
                % {
                    "state": self.get_state_display().lower(),
                    "to": str(self.State(state).label).lower(),
                },
                code="state",
            )
        left, self.state = self.state, state
        for name, value in changes.items():
            setattr(self, name, value)
        return left


class Attempt(models.Model):
    """One try at sending a publication: when, how it ended, what the network answered."""

    class Outcome(models.TextChoices):
        PUBLISHED = "published", _("Published")
        TRANSIENT = "transient", _("Passing failure")
        RATE_LIMITED = "rate_limited", _("Rate limited")
        AUTH_EXPIRED = "auth_expired", _("Account to reconnect")
        REJECTED = "rejected", _("Rejected")
        DUPLICATE = "duplicate", _("Already on the network")
        UNCONFIRMED = "unconfirmed", _("No answer in time")
        AWAITING_CONFIRMATION = "awaiting_confirmation", _("Awaiting confirmation")
        ERROR = "error", _("Unexpected error")

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="attempts")
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=30, choices=Outcome.choices, blank=True)
    message = models.TextField(_("message"), blank=True)
    # The HTTP status of the network's answer, when one came.
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    # Its body, cut to ANSWER_MAX_CHARS (an error page can be large).
    answer = models.JSONField(_("network's answer"), null=True, blank=True)

    ANSWER_MAX_CHARS = 4000

    class Meta:
        ordering = ["publication", "started_at"]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")

    def __str__(self) -> str:
        return f"{self.publication_id} @ {self.started_at:%Y-%m-%d %H:%M:%S}: {self.outcome}"


class Heartbeat(models.Model):
    """The last time a background process showed it was alive (the scheduler's beat)."""

    name = models.CharField(max_length=50, unique=True)
    beat_at = models.DateTimeField()
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"


class CalendarFeed(models.Model):
    """A person's secret address for the calendar in their own agenda (iCal)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    # The sha256 of the secret in the address (hex): the address itself is shown once.
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(self.user)


class ImportJob(models.Model):
    """One bulk import of scheduled posts from a spreadsheet, checked row by row."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(_("file"), max_length=255)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.CHECKING
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    # The rows as read and, for each, its problems: the report the user reads.
    rows = models.JSONField(default=list, blank=True)
    created_posts = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.file_name


from .broadcast import BroadcastSetup, Delivery, Subscriber  # noqa: E402, F401 - models of the broadcast list
