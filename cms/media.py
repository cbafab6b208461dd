"""Images and documents of posts: which posts hold them, and the forms that keep a picture
or a file from changing under a post in approval, approved or scheduled."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from wagtail.documents.forms import BaseDocumentForm
from wagtail.images.forms import BaseImageForm
from wagtail.models import Revision, TaskState

from . import extensions
from .models import Post, PostImage

# What a network receives of an image: the file, and the focal point its crops keep.
IMAGE_OUTPUT_FIELDS = (
    "file",
    "focal_point_x",
    "focal_point_y",
    "focal_point_width",
    "focal_point_height",
)
DOCUMENT_OUTPUT_FIELDS = ("file",)


# -- Selectors ------------------------------------------------------------------------------


def _held_revisions():
    """(post id, content) of the versions that must not change: those in a round, those
    approved with later changes, and those scheduled to go out.

    An approved post's row is its approved version (later drafts live in revisions only),
    so live rows are read from the tables; these are the other versions, few at a time.
    The versions scheduled to go out are publishing's to tell (cms.extensions).
    """
    in_round = TaskState.objects.filter(status=TaskState.STATUS_IN_PROGRESS).values("revision_id")
    approved_changed = Post.objects.filter(live=True, has_unpublished_changes=True).values(
        "live_revision_id"
    )
    held = Q(pk__in=in_round) | Q(pk__in=approved_changed)
    for going_out in extensions.revisions_to_go_out():
        held |= Q(pk__in=going_out)
    revisions = Revision.objects.filter(
        base_content_type=ContentType.objects.get_for_model(Post),
    ).filter(held)
    for object_id, content in revisions.values_list("object_id", "content"):
        yield int(object_id), content or {}


def posts_holding_image(*, image_id: int) -> list[Post]:
    """Posts whose version in a round, approved or scheduled shows this image."""
    held = set(
        PostImage.objects.filter(image_id=image_id, post__live=True).values_list(
            "post_id", flat=True
        )
    )
    for post_id, content in _held_revisions():
        if any(item.get("image") == image_id for item in content.get("images") or []):
            held.add(post_id)
    return list(Post.objects.filter(pk__in=held).order_by("title"))


def posts_holding_document(*, document_id: int) -> list[Post]:
    """Posts whose version in a round, approved or scheduled carries this document."""
    held = set(Post.objects.filter(document_id=document_id, live=True).values_list("pk", flat=True))
    for post_id, content in _held_revisions():
        if content.get("document") == document_id:
            held.add(post_id)
    return list(Post.objects.filter(pk__in=held).order_by("title"))


def document_is_public(*, document_id: int) -> bool:
    """Whether a post carrying this document has gone out: from then on, anyone may read it
    (publishing tells, through cms.extensions)."""
    return extensions.document_gone_out(document_id=document_id)


def _titles(posts: list[Post]) -> str:
    return ", ".join(f"« {post.title} »" for post in posts)


# -- Forms (WAGTAILIMAGES_IMAGE_FORM_BASE, WAGTAILDOCS_DOCUMENT_FORM_BASE) -------------------


class ImageForm(BaseImageForm):
    """Wagtail's image form, refusing a new file or focal point for an image that a post
    in approval, approved or scheduled shows: what was approved is what goes out."""

    def clean(self):
        cleaned_data = super().clean()
        changed = [name for name in IMAGE_OUTPUT_FIELDS if name in self.changed_data]
        if self.instance.pk and changed:
            posts = posts_holding_image(image_id=self.instance.pk)
            if posts:
                self.add_error(
                    "file" if "file" in self.fields else None,
                    ValidationError(
                        _(
                            "This image cannot change: a post in approval, approved or "
                            "scheduled shows it (%(posts)s), and what was approved is what goes "
                            "out. Upload the new picture as a new image and choose it in the "
                            "post; the post then goes through approval again."
                        )
                        % {"posts": _titles(posts)},
                        code="held_by_posts",
                    ),
                )
        return cleaned_data


class DocumentForm(BaseDocumentForm):
    """Wagtail's document form, refusing a new file for a document that a post in
    approval, approved or scheduled carries."""

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk and "file" in self.changed_data:
            posts = posts_holding_document(document_id=self.instance.pk)
            if posts:
                self.add_error(
                    "file",
                    ValidationError(
                        _(
                            "This document cannot change: a post in approval, approved or "
                            "scheduled carries it (%(posts)s), and what was approved is what "
                            "goes out. Upload the new file as a new document and choose it in "
                            "the post; the post then goes through approval again."
                        )
                        % {"posts": _titles(posts)},
                        code="held_by_posts",
                    ),
                )
        return cleaned_data
