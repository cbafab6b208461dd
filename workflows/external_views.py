"""The page an external approver opens from their e-mail: previews, then a decision."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .external import (
    approval_link_decision,
    approval_link_open,
    approval_page,
    external_decide,
)
from .models import Decision

# How long after the decision its address still shows the confirmation with the comment.
CONFIRMATION_FOR = timedelta(minutes=15)


class DecisionForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=Decision.Verdict.choices,
        error_messages={
            "required": _("Choose Approve or Request changes."),
            "invalid_choice": _("Choose Approve or Request changes."),
        },
    )
    comment = forms.CharField(required=False, max_length=5000, strip=True)


def _render(request, template, context, *, status=200):
    response = TemplateResponse(
        request,
        f"workflows/external/{template}",
        {"institution_name": settings.WAGTAIL_SITE_NAME, **context},
        status=status,
    )
    # The address holds the credential: keep it out of Referer headers and indexes.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _problem(request, problem, *, link):
    # 404 for a link that does not exist (tampered, cut), 410 for one that did work.
    return _render(
        request, "problem.html", {"problem": problem}, status=404 if link is None else 410
    )


# No CSRF check. CSRF abuses credentials a browser sends on its own (cookies); here the
# credential is the signed single-use token in the address, which a forging site does
# not know (and with it, could post directly). A cookie-based check would only break
# the page for approvers whose browser drops or loses the cookie: mail apps' built-in
# browsers, a page left open for days.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def external_approval(request, token: str):
    """GET shows the version under review and changes nothing (mail scanners open
    links too); only the POST of a decision uses the link up."""
    link, problem = approval_link_open(token=token)
    if problem:
        return _problem(request, problem, link=link)
    form = DecisionForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            external_decide(
                token=token,
                verdict=form.cleaned_data["verdict"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied as error:
            link, _problem_now = approval_link_open(token=token)
            return _problem(request, str(error), link=link)
        else:
            return redirect("workflows:external_approval_done", token=token)
    return _render(request, "page.html", {"page": approval_page(link=link), "form": form})


@never_cache
@require_http_methods(["GET", "HEAD"])
def external_approval_done(request, token: str):
    """The approver's confirmation, right after the decision; later (a forwarded link),
    the address only says that the link was used."""
    link, problem = approval_link_open(token=token)
    decision = None
    if link is not None and link.used_at and timezone.now() - link.used_at <= CONFIRMATION_FOR:
        decision = approval_link_decision(link)
    if decision is None:
        if problem:
            return _problem(request, problem, link=link)
        return redirect("workflows:external_approval", token=token)
    return _render(request, "done.html", {"decision": decision})
