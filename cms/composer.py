"""The composer's live preview: each network's version of the post being written, as its
network will show it (the cards the approvers see), with its counter and its problems.

cms/static/cms/composer.js sends what the editor holds (nothing is saved) and puts the
answer in each network's tab.
"""

import json

from django.http import JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from networks.checks import NETWORK_NAMES
from networks.models import SocialAccount

from .models import Post, PostImage, Variant, media_problem
from .previews import post_network_previews

MAX_VERSIONS = 100


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def may_compose(user, *, post_id: int | None) -> bool:
    """Whoever may write posts, and the approvers of the post's current round (Wagtail
    opens the editor to them)."""
    if user.has_perm("cms.add_post") or user.has_perm("cms.change_post"):
        return True
    post = Post.objects.filter(pk=post_id).first() if post_id else None
    task = post.current_workflow_task if post is not None else None
    return task is not None and task.specific.user_can_access_editor(post, user)


def composed_post(payload: dict) -> tuple[Post, list[str]]:
    """An unsaved post holding the editor's master message and network versions, and
    the key of each version kept (those whose account exists), in order."""
    post = Post(title="", text=_text(payload.get("text")), link=_text(payload.get("link")))
    document_id = _int(payload.get("document"))
    if document_id:
        post.document = get_document_model().objects.filter(pk=document_id).first()
    images = [item for item in payload.get("images") or [] if isinstance(item, dict)]
    found = get_image_model().objects.in_bulk({_int(item.get("image")) for item in images} - {None})
    post.images = [
        PostImage(image=found[_int(item.get("image"))], alt_text=_text(item.get("alt_text")))
        for item in images
        if _int(item.get("image")) in found
    ]
    versions = [item for item in payload.get("versions") or [] if isinstance(item, dict)]
    versions = versions[:MAX_VERSIONS]
    accounts = SocialAccount.objects.in_bulk({_int(v.get("account")) for v in versions} - {None})
    keys, variants = [], []
    for version in versions:
        account = accounts.get(_int(version.get("account")))
        if account is None:
            continue
        media = version.get("media")
        variants.append(
            Variant(
                account=account,
                text=_text(version.get("text")),
                format=_text(version.get("format")) or Variant.Format.FEED,
                thread_text=_text(version.get("thread_text")),
                # Unreadable choices show the post's images; saving says what is wrong.
                media=media if media_problem(media) is None else None,
                first_comment=_text(version.get("first_comment")),
            )
        )
        keys.append(_text(version.get("key")))
    post.variants = variants
    return post, keys


def counter_summary(preview) -> str:
    network = NETWORK_NAMES.get(preview.network, preview.network_label)
    if preview.is_thread:
        return _("%(network)s — %(count)d parts in the thread, each within %(max)d characters") % {
            "network": network,
            "count": len(preview.parts),
            "max": preview.maximum,
        }
    return _("%(network)s — %(length)d / %(max)d characters") % {
        "network": network,
        "length": preview.length,
        "max": preview.maximum,
    }


@require_POST
def composer_preview(request):
    """Each version of the post in the editor, as its network will show it: the card's
    HTML, the counter, the problems. Answers JSON, errors included."""
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return JsonResponse({"error": _("The editor sent something unreadable.")}, status=400)
    if not may_compose(request.user, post_id=_int(payload.get("post"))):
        return JsonResponse({"error": _("You may not see the versions of this post.")}, status=403)
    post, keys = composed_post(payload)
    previews = post_network_previews(post=post)
    return JsonResponse(
        {
            "versions": [
                {
                    "key": key,
                    "html": render_to_string(
                        "cms/includes/network_card.html", {"preview": preview}, request=request
                    ),
                    "summary": counter_summary(preview),
                    "length": preview.length,
                    "maximum": preview.maximum,
                    "state": "problem" if preview.blocking else "ok",
                    "problems": [
                        {"code": p.code, "message": p.message, "blocking": p.blocking}
                        for p in preview.problems
                    ],
                }
                for key, preview in zip(keys, previews, strict=True)
            ]
        }
    )
