"""What the institution says: posts (authored once), campaigns, themes and territories."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.text import get_text_list
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from simple_history.models import HistoricalRecords
from taggit.models import TagBase, TaggedItemBase
from wagtail.models import (
    DraftStateMixin,
    LockableMixin,
    Orderable,
    PreviewableMixin,
    RevisionMixin,
    WorkflowMixin,
)
from wagtail.search import index

from networks.limits import LIMITS

MAX_POST_IMAGES = 10
MAX_ALT_TEXT = 1000
THREAD_SEPARATOR = re.compile(r"^\s*---\s*$", re.MULTILINE)

hex_colour = RegexValidator(
    r"^#[0-9a-fA-F]{6}$",
    _("Enter a colour as # followed by six hexadecimal digits, for example #1f6feb."),
)


class Territory(models.Model):
    """A part of the institution's territory a post can be about (a district, a town)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    code = models.CharField(
        _("code"),
        max_length=20,
        blank=True,
        help_text=_("Optional official code, for example an INSEE code."),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("territory")
        verbose_name_plural = _("territories")

    def __str__(self) -> str:
        return self.name


class Theme(TagBase):
    """A theme posts are tagged with (mobility, culture, works…)."""

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")


class Campaign(index.Indexed, models.Model):
    """A communication campaign that groups posts over a period."""

    name = models.CharField(_("name"), max_length=200)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    colour = models.CharField(
        _("colour"),
        max_length=7,
        default="#1f6feb",
        validators=[hex_colour],
        help_text=_("Shown on the calendar for the campaign's posts."),
    )
    editorial_line = models.TextField(
        _("editorial line"),
        blank=True,
        help_text=_("Tone, key messages and words to use or avoid."),
    )
    description = models.TextField(_("description"), blank=True)
    history = HistoricalRecords()

    search_fields = [
        index.SearchField("name"),
        index.SearchField("description"),
        index.AutocompleteField("name"),
        index.FilterField("starts_on"),
        index.FilterField("ends_on"),
    ]

    class Meta:
        ordering = ["-starts_on", "name"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError(
                {
                    "ends_on": _(
                        "The campaign ends before it starts: choose an end date on or "
                        "after %(start)s."
                    )
                    % {"start": self.starts_on.strftime("%d/%m/%Y")}
                }
            )


class PostTheme(TaggedItemBase):
    tag = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="tagged_posts")
    content_object = ParentalKey("cms.Post", on_delete=models.CASCADE, related_name="tagged_themes")


@dataclass(frozen=True)
class ApprovalStatus:
    code: str
    label: str
    tone: str


class Post(
    WorkflowMixin,
    DraftStateMixin,
    LockableMixin,
    RevisionMixin,
    PreviewableMixin,
    index.Indexed,
    ClusterableModel,
):
    """One message, authored once, then approved, adapted per network and published."""

    title = models.CharField(
        _("internal title"),
        max_length=200,
        help_text=_("Only the team sees it: a short name to find the post again."),
    )
    text = models.TextField(
        _("text"),
        help_text=_("The master text; each network's version starts from it."),
    )
    document = models.ForeignKey(
        "wagtaildocs.Document",
        verbose_name=_("video or document"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("One video or document, instead of images."),
    )
    link = models.URLField(_("link"), blank=True)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="posts",
    )
    themes = ClusterTaggableManager(
        verbose_name=_("themes"), through=PostTheme, blank=True, related_name="posts"
    )
    territory = models.ForeignKey(
        Territory,
        verbose_name=_("territory"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="posts",
    )
    approval_workflow = models.ForeignKey(
        "wagtailcore.Workflow",
        verbose_name=_("approval circuit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"active": True},
        help_text=_(
            "Leave empty for the standard circuit. Choose the sensitive circuit when "
            "an elected official must approve too."
        ),
    )
    planned_at = models.DateTimeField(
        _("publish on"),
        null=True,
        blank=True,
        help_text=_(
            "When the post should go out. Once approved, it is scheduled at this time on "
            "each of its networks; moving it on the calendar keeps its approval."
        ),
    )
    notes_for_approvers = models.TextField(
        _("notes for approvers"),
        blank=True,
        help_text=_("Context for the people who approve: sources, deadlines, who asked."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # A post that went through a circuit or has publications is a public record: deleting
    # it archives it, so its approval trail and publications stay.
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True, editable=False)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("archived by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    search_fields = [
        index.SearchField("title"),
        index.SearchField("text"),
        index.AutocompleteField("title"),
        index.FilterField("campaign"),
        index.FilterField("territory"),
        index.FilterField("live"),
        index.FilterField("archived_at"),
    ]

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")

    def __str__(self) -> str:
        return self.title

    def get_workflow(self):
        """The circuit chosen on the post, else the one assigned to posts (Standard).

        An archived post has none: nothing can submit it again.
        """
        if self.archived_at is not None:
            return None
        if self.approval_workflow_id and self.approval_workflow.active:
            return self.approval_workflow
        return self.get_default_workflow()

    def copy_as_draft(self) -> "Post":
        """An unsaved new draft with this post's content, images and network versions.

        Nothing of the original's life comes along: no approval, no lock, no circuit
        state, no publications, no author (whoever saves the copy is its author).
        """
        # Workflow states and other generic relations are the original's history.
        generic = [f.name for f in self._meta.get_fields() if isinstance(f, GenericRelation)]
        copy, _children = self.copy_cluster(
            exclude_fields=[
                *generic,
                "id",
                "live",
                "has_unpublished_changes",
                "live_revision",
                "latest_revision",
                "first_published_at",
                "last_published_at",
                "go_live_at",
                "expire_at",
                "expired",
                "locked",
                "locked_at",
                "locked_by",
                "created_by",
                "created_at",
                "updated_at",
                "archived_at",
                "archived_by",
            ]
        )
        copy.live = False
        copy.has_unpublished_changes = True
        return copy

    def with_content_json(self, content):
        """A revision's copy of the post keeps the planned time of the post itself.

        The planned time is a scheduling fact, not approved content: moving it on the
        calendar changes the post row, and no revision may bring an older time back.
        """
        obj = super().with_content_json(content)
        obj.planned_at = self.planned_at
        # Archiving is a fact about the post, not content: no revision brings it back.
        obj.archived_at = self.archived_at
        obj.archived_by_id = self.archived_by_id
        return obj

    def clean(self) -> None:
        super().clean()
        if self.text is not None and not self.text.strip():
            raise ValidationError({"text": _("Write the text of the post: it cannot be empty.")})

    @property
    def approval_status(self) -> "ApprovalStatus":
        """Where the post stands in approval, from the (prefetched) workflow state."""
        if self.archived_at is not None:
            return ApprovalStatus("archived", _("Archived"), "draft")
        state = self.current_workflow_state
        if state is not None and state.status == state.STATUS_NEEDS_CHANGES:
            return ApprovalStatus("sent_back", _("Sent back"), "warning")
        if state is not None:
            task = state.current_task_state.task if state.current_task_state_id else None
            label = _("In approval: %(round)s") % {"round": task.name} if task else _("In approval")
            return ApprovalStatus("in_round", label, "progress")
        if self.live and self.has_unpublished_changes:
            return ApprovalStatus(
                "approved_changed", _("Approved; later changes not yet approved"), "warning"
            )
        if self.live:
            return ApprovalStatus("approved", _("Approved"), "approved")
        return ApprovalStatus("draft", _("Draft"), "draft")

    preview_modes = [("", _("Citizen view")), ("networks", _("Every network"))]

    @staticmethod
    def _shows_networks(request, mode_name) -> bool:
        # Wagtail's preview for a round (the approvers' "Preview" button) always asks
        # for the default mode; it marks its request with the revision under review.
        return mode_name == "networks" or getattr(request, "revision_id", None) is not None

    def get_preview_template(self, request, mode_name):
        if self._shows_networks(request, mode_name):
            return "cms/post_preview_networks.html"
        return "cms/post_preview.html"

    def get_preview_context(self, request, mode_name):
        # The citizen's view and each network's come from the templates' tags
        # (cms/templatetags/post_previews.py): they read the post, it does not know them.
        context = super().get_preview_context(request, mode_name)
        context["institution_name"] = settings.WAGTAIL_SITE_NAME
        return context


class PostImage(Orderable):
    """An image of a post. Alt text is required (RGAA): it describes the image."""

    post = ParentalKey(Post, on_delete=models.CASCADE, related_name="images")
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("image"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    alt_text = models.CharField(
        _("alt text"),
        max_length=MAX_ALT_TEXT,
        blank=True,
        help_text=_("Describe what the image shows for people who cannot see it."),
    )

    class Meta(Orderable.Meta):
        verbose_name = _("image")
        verbose_name_plural = _("images")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(alt_text=""),
                name="cms_postimage_alt_text_required",
                violation_error_message=_(
                    "Add an alt text to every image: describe what it shows for people "
                    "who cannot see it (RGAA)."
                ),
            )
        ]

    def clean(self) -> None:
        if not (self.alt_text or "").strip():
            raise ValidationError(
                {
                    "alt_text": _(
                        "Add an alt text to this image: describe what it shows for people "
                        "who cannot see it (RGAA). The post is not saved without it."
                    )
                }
            )


@dataclass(frozen=True)
class MediaChoice:
    """One image a network version sends: a Wagtail image of the post, and its alt text
    on this network (empty: the alt text the image has in the post)."""

    image: int
    alt_text: str = ""


def parse_media(value) -> list[MediaChoice]:
    """The choices of a `Variant.media` value (None: none of its own); never raises."""
    if not isinstance(value, list):
        return []
    return [
        MediaChoice(image=entry["image"], alt_text=entry.get("alt_text") or "")
        for entry in value
        if isinstance(entry, dict) and isinstance(entry.get("image"), int)
    ]


def media_problem(value) -> str | None:
    """What is wrong with a `Variant.media` value, said so that it can be fixed."""
    if value is None:
        return None
    entries_ok = isinstance(value, list) and all(
        isinstance(entry, dict)
        and isinstance(entry.get("image"), int)
        and not isinstance(entry.get("image"), bool)
        and isinstance(entry.get("alt_text", ""), str)
        and set(entry) <= {"image", "alt_text"}
        for entry in value
    )
    if not entries_ok:
        return _(
            "The choice of images for this network cannot be read: tick the images again "
            "under their thumbnails."
        )
    if any(len(entry.get("alt_text", "")) > MAX_ALT_TEXT for entry in value):
        return _("An alt text for this network is longer than %(max)d characters: shorten it.") % {
            "max": MAX_ALT_TEXT
        }
    return None


class Variant(Orderable):
    """A post adapted to one account: what is not customised comes from the post itself.

    A version starts as the post's master message (its text, its images with their alt
    texts); it becomes an override only when the author customises it for this network
    (`text` and `media` set), and resetting it empties them again. The format, the
    next parts of a thread and the first comment are this network's own.

    Variants belong to the post's revisions (a ParentalKey), so what a round approves
    includes each network's text and images.
    """

    class Format(models.TextChoices):
        FEED = "feed", _("Feed post")
        STORY = "story", _("Story")
        REEL = "reel", _("Reel")
        CAROUSEL = "carousel", _("Carousel")
        THREAD = "thread", _("Thread")

    post = ParentalKey(Post, on_delete=models.CASCADE, related_name="variants")
    account = models.ForeignKey(
        "networks.SocialAccount",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="variants",
    )
    text = models.TextField(
        _("text for this network"),
        blank=True,
        help_text=_("Leave empty to use the post's text."),
    )
    format = models.CharField(
        _("format"), max_length=20, choices=Format.choices, default=Format.FEED
    )
    thread_text = models.TextField(
        _("next parts of the thread"),
        blank=True,
        help_text=_(
            "For a thread: the parts after the first, separated by a line holding only ---. "
            "Leave empty with the Thread format to split a long text automatically."
        ),
    )
    # None: the post's images, in its order, with their alt texts. A list: the images
    # this network gets, in this order, as {"image": <Wagtail image id>, "alt_text": ""}
    # (an empty alt text keeps the one the image has in the post).
    media = models.JSONField(
        _("images for this network"),
        null=True,
        blank=True,
        default=None,
        help_text=_(
            "Which of the post's images this network gets, and their alt text on this "
            "network; empty for all of them with their own alt texts."
        ),
    )
    first_comment = models.TextField(
        _("first comment"),
        blank=True,
        help_text=_("Posted as the first comment, where the network allows it."),
    )

    class Meta(Orderable.Meta):
        verbose_name = _("network version")
        verbose_name_plural = _("network versions")
        constraints = [
            models.UniqueConstraint(
                fields=["post", "account"],
                name="publishing_variant_one_per_account",
                violation_error_message=_(
                    "This post already has a version for this account: edit that one."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.post} → {self.account}"

    @property
    def effective_text(self) -> str:
        return self.text.strip() or self.post.text

    @property
    def is_customised(self) -> bool:
        """Whether this network gets its own text or images rather than the post's."""
        return bool(self.text.strip()) or self.media is not None

    def thread_part_list(self) -> list[str]:
        parts = THREAD_SEPARATOR.split(self.thread_text.strip()) if self.thread_text else []
        return [part.strip() for part in parts if part.strip()]

    def media_choices(self) -> list[MediaChoice]:
        """This network's own choice of images, in order (empty when it takes the post's)."""
        return parse_media(self.media)

    def images_with_alt_texts(self) -> list[tuple["PostImage", str]]:
        """(post image, alt text) for each image this version sends, in order."""
        post_images = list(self.post.images.all())
        if self.media is None:
            return [(item, item.alt_text) for item in post_images]
        by_image: dict[int, PostImage] = {}
        for item in post_images:
            by_image.setdefault(item.image_id, item)
        # An image taken out of the post since is no longer this network's either.
        return [
            (by_image[choice.image], choice.alt_text.strip() or by_image[choice.image].alt_text)
            for choice in self.media_choices()
            if choice.image in by_image
        ]

    def offered_formats(self) -> tuple[str, ...]:
        """The formats the account's network offers (networks.limits)."""
        return LIMITS[self.account.network].formats

    def clean(self) -> None:
        super().clean()
        problem = media_problem(self.media)
        if problem:
            raise ValidationError({"media": problem})
        if self.account_id and self.format not in self.offered_formats():
            raise ValidationError({"format": format_refused_message(self.account, self.format)})


def format_refused_message(account, format: str) -> str:
    """Why `account`'s network does not take `format`, and what it takes instead."""
    labels = dict(Variant.Format.choices)
    offered = [str(labels[code]) for code in LIMITS[account.network].formats]
    return _("%(network)s does not offer the “%(format)s” format: choose %(formats)s.") % {
        "network": account.get_network_display(),
        "format": labels.get(format, format),
        "formats": get_text_list(offered),
    }
