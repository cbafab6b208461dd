"""What a locked-out sign-in sees: Wagtail's sign-in page, saying why and what to do."""

from axes.helpers import get_cool_off
from django.conf import settings
from django.shortcuts import render
from wagtail.admin.views.account import get_user_login_form


def client_address(request) -> str:
    """django-axes' AXES_CLIENT_IP_CALLABLE: whose attempts are counted together.

    The connection's own address, unless the deployment says its reverse proxy sets
    X-Real-IP (overwriting whatever a client sent): behind a proxy every connection
    comes from the proxy, and lockouts would then count per username alone.
    """
    if settings.CRIEUR_TRUST_X_REAL_IP and request.META.get("HTTP_X_REAL_IP"):
        return request.META["HTTP_X_REAL_IP"].strip()
    return request.META.get("REMOTE_ADDR", "")


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' AXES_LOCKOUT_CALLABLE: the sign-in page again, with the lockout."""
    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    # What was typed stays (the username; never the password).
    form = get_user_login_form()(request, initial={"username": request.POST.get("username", "")})
    # Rendered here: the middleware hands it out after the view's own rendering.
    return render(
        request,
        "people/lockout.html",
        {"form": form, "minutes": minutes, "next": request.POST.get("next", "")},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
