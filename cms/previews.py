"""What each network version of a post will look like, for the people who approve it."""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import prefetch_related_objects
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from wagtail.images import get_image_model

from networks.base import Outgoing
from networks.checks import Problem, text_length
from networks.facebook import message_of
from networks.limits import LIMITS
from networks.linkedin import hashtag_url, little_text_tokens
from networks.models import SocialAccount

from .adaptation import outgoing, outgoing_parts, variant_problems
from .selectors import render_citizen_text


def render_linkedin_text(text: str) -> SafeString:
    """The text as LinkedIn shows it: the hashtags LinkedIn makes are links to their
    feeds, links are links, the rest (mentions written "@name" included) plain text."""
    pieces = []
    for kind, value in little_text_tokens(text):
        if kind == "hashtag":
            pieces.append(
                format_html(
                    '<a class="hashtag" href="{}" rel="nofollow noopener">#{}</a>',
                    hashtag_url(value),
                    value,
                )
            )
        elif kind == "url":
            pieces.append(format_html('<a href="{}" rel="nofollow noopener">{}</a>', value, value))
        else:
            pieces.append(escape(value))
    return mark_safe("".join(pieces).replace("\n", "<br>"))  # noqa: S308 - each piece escaped


def _render(network: str, text: str) -> SafeString:
    return render_linkedin_text(text) if network == "linkedin" else render_citizen_text(text)


@dataclass(frozen=True)
class PreviewImage:
    url: str  # empty when the image file cannot be read
    alt_text: str


@dataclass(frozen=True)
class NetworkPreview:
    """One network version as its network will show it: the card an approver reads."""

    account_name: str
    handle: str
    network: str
    network_label: str
    format: str
    format_label: str
    # The texts exactly as sent: one, or each part of a thread in order.
    parts: list[str]
    images: list[PreviewImage] = field(default_factory=list)
    link: str = ""  # shown as a link card by the network (not part of the text)
    document_title: str = ""
    first_comment: str = ""
    problems: list[Problem] = field(default_factory=list)
    # The counter: the longest part as the network counts it, and its limit.
    length: int = 0
    maximum: int = 0

    @property
    def parts_html(self) -> list[SafeString]:
        return [_render(self.network, part) for part in self.parts]

    @property
    def first_comment_html(self) -> SafeString:
        return render_citizen_text(self.first_comment)

    @property
    def is_thread(self) -> bool:
        return len(self.parts) > 1

    @property
    def blocking(self) -> bool:
        return any(problem.blocking for problem in self.problems)


def on_this_site(url: str) -> str:
    """A media address as the admin's own pages load it: networks get absolute addresses
    (cms.adaptation.absolute), a page of this site takes the path, whatever host name
    it was reached by."""
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    return url[len(base) :] if base and url.startswith(base + "/") else url


def _link_card(out: Outgoing) -> str:
    """The link a network shows as a card beside the text, as its module sends it.

    Facebook and LinkedIn send the post's link as a preview card only when there is no
    media (Facebook then adds it to the text instead, see `facebook.message_of`); the
    other networks send the text alone, links included only if the text holds them.
    """
    if out.network in ("facebook", "linkedin") and out.link and not out.media:
        return out.link
    return ""


def _first_text(out: Outgoing) -> str:
    return message_of(out) if out.network == "facebook" else out.text


def _fetch_related(post, variants) -> None:
    """Accounts and images in two queries, whether the children are in memory (a
    revision's copy, the editor's unsaved form) or in the database."""
    if post.pk is not None and not post.images.is_deferring:
        prefetch_related_objects([post], "images")
    items = list(post.images.all())
    images = get_image_model().objects.in_bulk({i.image_id for i in items if i.image_id})
    for item in items:
        if item.image_id in images:
            item.image = images[item.image_id]
    accounts = SocialAccount.objects.in_bulk({v.account_id for v in variants})
    for variant in variants:
        variant.account = accounts[variant.account_id]
        # The version reads the post's images through `post`: the same objects as above.
        variant.post = post


def _counter(network: str, parts: list[str], has_media: bool) -> dict:
    limits = LIMITS[network]
    maximum = limits.text_with_media if has_media and limits.text_with_media else limits.max_text
    return {
        "length": max((text_length(network, part) for part in parts), default=0),
        "maximum": maximum,
    }


def _preview(variant) -> NetworkPreview:
    account = variant.account
    post = variant.post
    card = {
        "account_name": account.display_name,
        "handle": account.handle_display,  # as the network shows it: @ or not
        "network": account.network,
        "network_label": account.get_network_display(),
        "format": variant.format,
        "format_label": variant.get_format_display(),
        "problems": variant_problems(variant),
    }
    try:
        out = outgoing(variant)
    except Exception:  # noqa: BLE001 - a preview shows what it can; problems say the rest
        try:
            parts = outgoing_parts(variant)
        except Exception:  # noqa: BLE001
            parts = [variant.effective_text]
        return NetworkPreview(
            **card,
            parts=parts,
            first_comment=variant.first_comment.strip(),
            **_counter(account.network, parts, bool(post.document_id)),
        )
    parts = [_first_text(out), *out.thread]
    return NetworkPreview(
        **card,
        parts=parts,
        images=[
            PreviewImage(url=on_this_site(media.url), alt_text=media.alt_text)
            for media in out.images
        ],
        link=_link_card(out),
        document_title=post.document.title if post.document_id else "",
        first_comment=out.first_comment,
        **_counter(account.network, parts, bool(out.media)),
    )


def post_network_previews(*, post) -> list[NetworkPreview]:
    """Each network version of the post (those with an account) as its network will get
    it: text or thread parts, converted images with their alt texts, link card, first
    comment, and the problems found. Works on a revision's copy of the post."""
    if post.pk is not None and not post.variants.is_deferring:
        prefetch_related_objects([post], "variants")
    variants = [variant for variant in post.variants.all() if variant.account_id]
    if not variants:
        return []
    _fetch_related(post, variants)
    return [_preview(variant) for variant in variants]
