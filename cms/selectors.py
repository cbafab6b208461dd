"""Reading posts and campaigns: what the admin lists and previews need, fetched once."""

import re
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from wagtail.models import WorkflowState

from .models import Campaign, Post

# One pass over the raw text: links, hashtags and mentions, each escaped on output.
TOKEN_RE = re.compile(
    r"(?P<url>https?://[^\s<>\"']+)|(?<![\w#])#(?P<tag>\w+)|(?<![\w@])@(?P<mention>\w+)"
)


@dataclass(frozen=True)
class CitizenImage:
    url: str
    alt_text: str


@dataclass(frozen=True)
class CitizenView:
    """A post as a citizen reads it in a feed: safe HTML text, images, link."""

    html: SafeString
    images: list[CitizenImage]
    link: str
    document_title: str


def render_citizen_text(text: str) -> SafeString:
    """The text as a feed shows it: escaped, with links, hashtags and mentions marked."""
    parts: list[str] = []
    position = 0
    for match in TOKEN_RE.finditer(text):
        parts.append(escape(text[position : match.start()]))
        if match.group("url"):
            url = match.group("url")
            parts.append(format_html('<a href="{}" rel="nofollow noopener">{}</a>', url, url))
        elif match.group("tag"):
            parts.append(format_html('<span class="hashtag">#{}</span>', match.group("tag")))
        else:
            parts.append(format_html('<span class="mention">@{}</span>', match.group("mention")))
        position = match.end()
    parts.append(escape(text[position:]))
    html = "".join(parts).replace("\n", "<br>")
    return mark_safe(html)  # noqa: S308 - every piece above is escaped or format_html


def post_citizen_view(*, post: Post) -> CitizenView:
    images = []
    for item in post.images.all():
        if item.image_id is None:
            continue
        rendition = item.image.get_rendition("max-1200x1200|format-jpeg")
        images.append(CitizenImage(url=rendition.url, alt_text=item.alt_text))
    return CitizenView(
        html=render_citizen_text(post.text or ""),
        images=images,
        link=post.link,
        document_title=post.document.title if post.document_id else "",
    )


def campaigns_for_listing() -> QuerySet[Campaign]:
    return Campaign.objects.all()


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    when: object
    who: str
    kind: str
    changes: list[FieldChange]


HISTORY_KINDS = {"+": "created", "~": "changed", "-": "deleted"}


def field_changes(*, instance) -> list[HistoryEntry]:
    """The object's simple-history records, newest first, with what changed in each."""
    records = list(instance.history.select_related("history_user").order_by("-history_date"))
    entries = []
    for index_, record in enumerate(records):
        previous = records[index_ + 1] if index_ + 1 < len(records) else None
        changes = []
        if previous is not None:
            delta = record.diff_against(previous)
            for change in delta.changes:
                field = instance._meta.get_field(change.field)
                changes.append(
                    FieldChange(
                        field=str(field.verbose_name),
                        old="" if change.old is None else str(change.old),
                        new="" if change.new is None else str(change.new),
                    )
                )
        user = record.history_user
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=(user.get_full_name() or user.get_username()) if user else "",
                kind=HISTORY_KINDS.get(record.history_type, "changed"),
                changes=changes,
            )
        )
    return entries


def posts_for_listing() -> QuerySet[Post]:
    """Posts with what the listing shows (campaign, territory, approval state) in a few queries."""
    active_states = WorkflowState.objects.active().select_related("current_task_state__task")
    return Post.objects.select_related("campaign", "territory", "latest_revision").prefetch_related(
        Prefetch("_workflow_states", queryset=active_states, to_attr="_current_workflow_states")
    )
