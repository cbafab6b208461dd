"""Admin pages of publishing: connect an account, send a post at once, the sandbox page,
and the live count of a network version as the editor types."""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cms.models import Post
from cms.permissions import may_see_post
from networks import config
from networks.models import SocialAccount

from . import scheduler, services
from .models import Publication
from .permissions import may_act_on_publications, may_cancel_post_publications, may_send_now
from .selectors import live_check


def send_now(request, post_id):
    """Send a post's approved revision to its accounts at once (before the scheduler)."""
    if not may_send_now(request.user):
        raise PermissionDenied
    post = get_object_or_404(Post, pk=post_id)
    approved = post.live_revision.as_object() if post.live_revision else None
    variants = list(approved.variants.all()) if approved else []
    context = {"post": post, "variants": variants, "publications": None}
    if request.method == "POST":
        try:
            context["publications"] = scheduler.post_send_now(post=post, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    context["sandbox"] = bool(config.sandbox_url())
    return TemplateResponse(request, "publishing/send_now.html", context)


def check_variant(request):
    """The editor's live counter: the length as the network counts it, and the problems.

    Answers JSON, always, refusals included (the editor's script reads JSON): to whoever
    may see posts, and to the approvers of the post named in `post` during its round.
    """
    if request.method != "POST":
        return JsonResponse({"error": _("Send the text to check with POST.")}, status=405)
    post_id = request.POST.get("post", "")
    post = Post.objects.filter(pk=int(post_id)).first() if post_id.isdigit() else None
    if not may_see_post(request.user, post=post):
        return JsonResponse(
            {"error": _("You may not see this post, so its network versions are not checked.")},
            status=403,
        )
    try:
        account = SocialAccount.objects.get(pk=int(request.POST.get("account", "")))
        images = [
            (a or "") for a in json.loads(request.POST.get("alt_texts", "[]")) if a is not None
        ]
    except (ValueError, TypeError, SocialAccount.DoesNotExist):
        return JsonResponse(
            {"error": _("Choose one of the connected accounts to check this version.")},
            status=400,
        )
    report = live_check(
        network=account.network,
        text=request.POST.get("text", ""),
        alt_texts=images,
        video=request.POST.get("video") == "1",
        format=request.POST.get("format", "feed"),
    )
    return JsonResponse(report)


def publication_retry(request, publication_id):
    """Send again a failed, missed or unconfirmed publication (an unconfirmed one is looked
    up on the network first)."""
    if request.method != "POST":
        return redirect("wagtailadmin_home")
    publication = get_object_or_404(Publication, pk=publication_id)
    try:
        publication = scheduler.publication_retry(publication=publication, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if publication.state == Publication.State.PUBLISHED:
            messages.success(request, _("The post was already on the network: marked published."))
        else:
            messages.success(request, _("Sent back to the workers: it goes out in a moment."))
    return redirect("wagtailadmin_home")


def publication_cancel(request, publication_id):
    """Cancel a publication that has not gone out, after a confirmation page."""
    if not may_act_on_publications(request.user):  # not even the confirmation page
        raise PermissionDenied
    publication = get_object_or_404(
        Publication.objects.select_related("post", "account"), pk=publication_id
    )
    if request.method == "POST":
        try:
            services.publication_cancel(publication=publication, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Publication cancelled."))
        return redirect("wagtailadmin_home")
    return TemplateResponse(
        request, "publishing/publication_cancel.html", {"publication": publication}
    )


def post_publications_cancel(request, post_id):
    """Cancel everything scheduled for a post, after a confirmation page listing it."""
    post = get_object_or_404(Post, pk=post_id)
    if not may_cancel_post_publications(request.user, post):  # not even the confirmation page
        raise PermissionDenied
    edit_url = reverse("wagtailsnippets_cms_post:edit", args=[post.pk])
    scheduled = (
        Publication.objects.open()
        .filter(post=post)
        .select_related("account")
        .order_by("scheduled_at", "pk")
    )
    if request.method == "POST":
        cancelled = services.post_publications_cancel(post=post, by=request.user)
        messages.success(
            request,
            ngettext(
                "%(count)d publication cancelled.",
                "%(count)d publications cancelled.",
                len(cancelled),
            )
            % {"count": len(cancelled)},
        )
        return redirect(edit_url)
    return TemplateResponse(
        request,
        "publishing/post_publications_cancel.html",
        {"post": post, "scheduled": scheduled, "edit_url": edit_url},
    )
