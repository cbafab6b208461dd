"""The publishing calendar: what is planned when (selectors), and the personal iCal feed."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.models import WorkflowState

from cms.models import Campaign, Post
from workflows.models import RoleRound

from .models import CalendarFeed, Publication

DEFAULT_COLOUR = "#6b7280"  # grey, for posts outside any campaign
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

# The approval codes of `Post.approval_status`, for the status filter.
POST_STATUSES = [
    ("draft", _("Draft")),
    ("in_round", _("In approval")),
    ("sent_back", _("Sent back")),
    ("approved", _("Approved")),
    ("approved_changed", _("Approved; later changes not yet approved")),
]
POST_STATUS_CODES = {code for code, _label in POST_STATUSES}

FEED_PAST = timedelta(days=30)
FEED_FUTURE = timedelta(days=365)
# A calendar event needs a length; a post is a moment, shown as a short slot.
EVENT_LENGTH = timedelta(minutes=15)


def text_colour_on(background: str) -> str:
    """Black or white, whichever reads better on the `#rrggbb` background (WCAG luminance)."""
    try:
        red, green, blue = (int(background[i : i + 2], 16) / 255 for i in (1, 3, 5))
    except (TypeError, ValueError):
        return "#000000"

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    # Contrast with white is 1.05 / (L + 0.05), with black (L + 0.05) / 0.05.
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


@dataclass(frozen=True)
class Entry:
    """One thing on the calendar: a publication on one account, or a planned post."""

    kind: str  # "publication" or "post"
    id: int
    when: datetime
    title: str
    text: str
    post_id: int
    network: str
    network_label: str
    account_label: str
    campaign_name: str
    colour: str
    status: str
    status_label: str
    edit_url: str
    movable: bool

    @property
    def text_colour(self) -> str:
        return text_colour_on(self.colour)

    @property
    def uid(self) -> str:
        """Stable across feed refreshes, so agendas update the event instead of adding one."""
        host = urlsplit(settings.WAGTAILADMIN_BASE_URL).hostname or "crieur"
        return f"{self.kind}-{self.id}@{host}"


def status_choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in [*Publication.State.choices, *POST_STATUSES]]


def _colour(value: str) -> str:
    # Validated on the form, but the colour ends up in a style attribute: check it again.
    return value if value and COLOUR.fullmatch(value) else DEFAULT_COLOUR


def _campaign(post: Post) -> tuple[str, str]:
    if post.campaign is None:
        return "", DEFAULT_COLOUR
    return post.campaign.name, _colour(post.campaign.colour)


def _edit_url(post_id: int) -> str:
    return reverse("wagtailsnippets_cms_post:edit", args=[post_id])


def _publication_entries(*, start, end, network, account, campaign, status, q):
    publications = Publication.objects.filter(
        scheduled_at__gte=start, scheduled_at__lt=end
    ).select_related("post__campaign", "account")
    if status:
        publications = publications.filter(state=status)
    else:
        publications = publications.exclude(state=Publication.State.CANCELLED)
    if network:
        publications = publications.filter(account__network=network)
    if account:
        publications = publications.filter(account_id=account)
    if campaign:
        publications = publications.filter(post__campaign_id=campaign)
    if q:
        publications = publications.filter(post__title__icontains=q)
    entries = []
    for publication in publications.order_by("scheduled_at", "pk"):
        post = publication.post
        campaign_name, colour = _campaign(post)
        entries.append(
            Entry(
                kind="publication",
                id=publication.pk,
                when=publication.scheduled_at,
                title=post.title,
                text=post.text,
                post_id=post.pk,
                network=publication.account.network,
                network_label=publication.account.get_network_display(),
                account_label=publication.account.display_name,
                campaign_name=campaign_name,
                colour=colour,
                status=publication.state,
                status_label=publication.get_state_display(),
                edit_url=_edit_url(post.pk),
                movable=publication.is_open,
            )
        )
    return entries


def _post_entries(*, start, end, network, account, campaign, status, q):
    active_states = WorkflowState.objects.active().select_related("current_task_state__task")
    posts = (
        Post.objects.filter(planned_at__gte=start, planned_at__lt=end, archived_at__isnull=True)
        .filter(~Exists(Publication.objects.filter(post=OuterRef("pk"))))
        .select_related("campaign")
        .prefetch_related(
            Prefetch(
                "_workflow_states", queryset=active_states, to_attr="_current_workflow_states"
            ),
            "variants__account",
        )
    )
    if network:
        posts = posts.filter(variants__account__network=network).distinct()
    if account:
        posts = posts.filter(variants__account_id=account).distinct()
    if campaign:
        posts = posts.filter(campaign_id=campaign)
    if q:
        posts = posts.filter(title__icontains=q)
    entries = []
    for post in posts.order_by("planned_at", "pk"):
        approval = post.approval_status
        if status and approval.code != status:
            continue
        accounts = [v.account for v in post.variants.all() if v.account_id]
        networks = sorted({a.get_network_display() for a in accounts}, key=str)
        campaign_name, colour = _campaign(post)
        entries.append(
            Entry(
                kind="post",
                id=post.pk,
                when=post.planned_at,
                title=post.title,
                text=post.text,
                post_id=post.pk,
                network=accounts[0].network if len({a.network for a in accounts}) == 1 else "",
                network_label=", ".join(map(str, networks)),
                account_label=", ".join(a.display_name for a in accounts),
                campaign_name=campaign_name,
                colour=colour,
                status=approval.code,
                status_label=str(approval.label),
                edit_url=_edit_url(post.pk),
                movable=True,
            )
        )
    return entries


def calendar_entries(
    *, start, end, network=None, account=None, campaign=None, status=None, q=None
) -> list[Entry]:
    """Publications and not-yet-scheduled planned posts in [start, end), earliest first.

    Cancelled publications appear only when `status` asks for them. A post appears on its
    own only until it has a publication: from then on, its publications stand for it.
    """
    filters = {
        "start": start,
        "end": end,
        "network": network or None,
        "account": account or None,
        "campaign": campaign or None,
        "status": status or None,
        "q": (q or "").strip() or None,
    }
    entries = []
    if not status or status in Publication.State.values:
        entries += _publication_entries(**filters)
    if not status or status in POST_STATUS_CODES:
        entries += _post_entries(**filters)
    return sorted(entries, key=lambda entry: (entry.when, entry.kind, entry.id))


def calendar_entry_object(*, kind: str, pk: int) -> Publication | Post:
    """The publication or the post a calendar entry stands for (raises DoesNotExist)."""
    if kind == "publication":
        return Publication.objects.select_related("post", "account").get(pk=pk)
    if kind == "post":
        # An archived post is out of the plan: nothing moves it back onto the calendar.
        return Post.objects.get(pk=pk, archived_at__isnull=True)
    raise Post.DoesNotExist


@dataclass(frozen=True)
class CampaignBar:
    campaign: Campaign
    starts_on: object
    ends_on: object
    post_count: int

    @property
    def colour(self) -> str:
        return _colour(self.campaign.colour)

    @property
    def text_colour(self) -> str:
        return text_colour_on(self.colour)


def campaign_timeline(*, start, end) -> list[CampaignBar]:
    """Campaigns with dates overlapping the days [start, end), with their number of posts.

    A missing start or end date means the campaign runs open-ended on that side.
    """
    campaigns = (
        Campaign.objects.filter(Q(starts_on__isnull=False) | Q(ends_on__isnull=False))
        .filter(Q(starts_on__isnull=True) | Q(starts_on__lt=end))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=start))
        .annotate(post_count=Count("posts"))
        .order_by("starts_on", "name")
    )
    return [
        CampaignBar(
            campaign=campaign,
            starts_on=campaign.starts_on or start,
            ends_on=campaign.ends_on or end - timedelta(days=1),
            post_count=campaign.post_count,
        )
        for campaign in campaigns
    ]


# -- The personal iCal feed -------------------------------------------------------------
#
# Agendas that subscribe to the feed are often synced to third-party calendars: each
# person's feed holds only what their role may read, and the secret address is kept as
# its sha256, so that it is shown once, when it is made.


class FeedDetail:
    """How much of the plan a person's feed shows."""

    # Those who write posts or approve them in Crieur: every entry, with its text.
    FULL = "full"
    # Everyone else who may see the calendar: approved titles; drafts as busy slots.
    APPROVED_TITLES = "approved_titles"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed_for(user) -> CalendarFeed | None:
    """The person's feed, if they made one (its address is not kept: see the hash)."""
    return CalendarFeed.objects.filter(user=user).first()


def calendar_feed_url(token: str) -> str:
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    return base + reverse("calendar_feed", args=[token])


def calendar_feed_user(*, token: str):
    """The active person who may read the calendar behind `token`, else None."""
    feed = CalendarFeed.objects.select_related("user").filter(token_hash=_token_hash(token)).first()
    if feed is None or not feed.user.is_active or not feed.user.has_perm("cms.view_post"):
        return None
    return feed.user


def feed_detail_for(user) -> str:
    """What `user`'s feed may show: the full plan only to those who write or approve posts.

    Approvers are the members of a role round's group (who decide in Crieur); the
    members of an external round's group (elected officials) and the other roles see
    approved titles only.
    """
    if user.is_superuser or user.has_perm("cms.change_post"):
        return FeedDetail.FULL
    approves = RoleRound.objects.filter(active=True, group__in=user.groups.all()).exists()
    return FeedDetail.FULL if approves else FeedDetail.APPROVED_TITLES


# What an agenda may show of an approved entry that has not gone out yet: its title only.
APPROVED_STATUSES = {"approved", "approved_changed", *Publication.State.values} - {
    Publication.State.CANCELLED
}


def _event_parts(entry: Entry, *, detail: str) -> tuple[str, str, bool]:
    """(summary, description, whether to link and label it) of `entry`, as `detail` allows."""
    summary = f"[{entry.network_label or entry.status_label}] {entry.title}"
    if detail == FeedDetail.FULL:
        return summary, entry.text, True
    if entry.status not in APPROVED_STATUSES:
        # A draft or a post in approval: the slot is taken, nothing more is said.
        return gettext("Publication being prepared"), "", False
    text = entry.text if entry.status == Publication.State.PUBLISHED else ""
    return summary, text, True


def ical_feed(*, user, now=None) -> bytes:
    """The calendar as an iCalendar file: 30 days back to one year ahead, nothing cancelled,
    as much of each entry as the person's role may read (`feed_detail_for`)."""
    from icalendar import Calendar, Event

    now = now or timezone.now()
    detail = feed_detail_for(user)
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    calendar = Calendar()
    calendar.add("prodid", "-//Crieur//Calendrier de publication//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", gettext("Crieur publications"))
    for entry in calendar_entries(start=now - FEED_PAST, end=now + FEED_FUTURE):
        summary, description, with_link = _event_parts(entry, detail=detail)
        event = Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", now)
        event.add("dtstart", entry.when)
        event.add("dtend", entry.when + EVENT_LENGTH)
        event.add("summary", summary)
        if description:
            event.add("description", description)
        if with_link:
            event.add("url", base + entry.edit_url)
            event.add("categories", [entry.status_label])
            if entry.campaign_name:
                event.add("x-crieur-campaign", entry.campaign_name)
        else:
            event.add("class", "PRIVATE")
        calendar.add_component(event)
    return calendar.to_ical()


# -- Services (they change state) -------------------------------------------------------


def calendar_feed_reset(*, user) -> str:
    """Give the person a new secret address and return it: the only time it is shown.

    The old address, if any, stops working at once.
    """
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
        if feed is None:
            CalendarFeed.objects.create(user=user, token_hash=_token_hash(token))
        else:
            feed.token_hash = _token_hash(token)
            feed.created_at = timezone.now()
            feed.save(update_fields=["token_hash", "created_at"])
    return calendar_feed_url(token)
