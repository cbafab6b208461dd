"""What a locked-out sign-in sees: Wagtail's sign-in page, saying why and what to do."""

from axes.helpers import get_cool_off
from django.conf import settings
from django.shortcuts import render
from wagtail.admin.views.account import get_user_login_form


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' AXES_LOCKOUT_CALLABLE: the sign-in page again, with the lockout."""
    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    form = get_user_login_form()(request)
    # Rendered here: the middleware hands it out after the view's own rendering.
    return render(
        request,
        "people/lockout.html",
        {"form": form, "minutes": minutes, "next": request.POST.get("next", "")},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
