"""Doors of signing in: the code step, setting up an authenticator, the account page,
and the administrators' page (locked sign-ins, the policy)."""

import base64
from urllib.parse import urlencode

import django_otp
import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_static.models import StaticDevice

from . import selectors, services
from .forms import CodeForm, SignInPolicyForm
from .models import SignInPolicy


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("wagtailadmin_home")


def _apply(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for item in errors:
                form.add_error(field if field in form.fields else None, item)
    else:
        form.add_error(None, error)


def _verified(request, device) -> None:
    # A new session key once verified: a key seen before this point opens nothing more.
    request.session.cycle_key()
    django_otp.login(request, device)


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """After the password: the code from the authenticator, or a recovery code."""
    if request.user.is_verified():
        return redirect(_next_url(request))
    if selectors.authenticator_of(user=request.user) is None:
        return redirect(
            f"{reverse('people_two_factor_enrol')}?{urlencode({'next': _next_url(request)})}"
        )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.second_step_verify(user=request.user, code=form.cleaned_data["code"])
        except ValidationError as error:
            _apply(form, error)
        else:
            _verified(request, device)
            if isinstance(device, StaticDevice):
                left = selectors.recovery_codes_left(user=request.user)
                messages.warning(
                    request,
                    ngettext(
                        "You signed in with a recovery code: %(count)s code left. "
                        "Make new ones from your account.",
                        "You signed in with a recovery code: %(count)s codes left. "
                        "Make new ones from your account.",
                        left,
                    )
                    % {"count": left},
                )
            return redirect(_next_url(request))
    return TemplateResponse(
        request, "people/verify.html", {"form": form, "next": _next_url(request)}
    )


def _qr_data_uri(url: str) -> str:
    svg = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage).to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_enrol(request):
    """Set up an authenticator: QR code and secret, then a code to confirm; the
    recovery codes are shown once, on confirmation."""
    has_authenticator = selectors.authenticator_of(user=request.user) is not None
    if has_authenticator and not request.user.is_verified():
        # Whoever has only the password cannot swap the authenticator for their own.
        return redirect("people_two_factor_verify")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.totp_enrolment_confirm(
                user=request.user, code=form.cleaned_data["code"]
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            _verified(request, device)
            return TemplateResponse(
                request,
                "people/recovery_codes.html",
                {"codes": codes, "next": _next_url(request), "first": not has_authenticator},
            )
    device = services.totp_enrolment_start(user=request.user)
    return TemplateResponse(
        request,
        "people/enrol.html",
        {
            "form": form,
            "next": _next_url(request),
            "qr": _qr_data_uri(device.config_url),
            "secret": base64.b32encode(device.bin_key).decode(),
            "required": selectors.two_factor_required(user=request.user),
            "replacing": has_authenticator,
        },
    )


@require_http_methods(["GET"])
def two_factor_settings(request):
    """The person's own page: whether it is on, recovery codes left, what they may do."""
    return TemplateResponse(
        request,
        "people/two_factor.html",
        {
            "authenticator": selectors.authenticator_of(user=request.user),
            "codes_left": selectors.recovery_codes_left(user=request.user),
            "required": selectors.two_factor_required(user=request.user),
        },
    )


@never_cache
@require_POST
def recovery_codes_renew(request):
    try:
        codes = services.recovery_codes_renew(user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("people_two_factor_settings")
    return TemplateResponse(
        request,
        "people/recovery_codes.html",
        {"codes": codes, "next": reverse("people_two_factor_settings"), "first": False},
    )


@require_POST
def two_factor_disable(request):
    try:
        services.two_factor_disable(user=request.user)
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Two-factor authentication is off."))
    return redirect("people_two_factor_settings")


@require_http_methods(["GET", "POST"])
def sign_in_security(request):
    """Administrators: the sign-ins locked out now (with « Unlock »), and the policy."""
    if not selectors.may_manage_sign_in(request.user):
        raise PermissionDenied
    policy = SignInPolicy.load()
    form = SignInPolicyForm(
        request.POST or None,
        initial={"two_factor_for_everyone": policy.two_factor_for_everyone},
    )
    if request.method == "POST" and form.is_valid():
        services.sign_in_policy_save(
            two_factor_for_everyone=form.cleaned_data["two_factor_for_everyone"],
            by=request.user,
        )
        messages.success(request, _("The sign-in policy is saved."))
        return redirect("people_sign_in_security")
    return TemplateResponse(
        request,
        "people/security.html",
        {"form": form, "policy": policy, "locked": selectors.locked_sign_ins(now=timezone.now())},
    )


@require_POST
def sign_in_unlock(request, attempt_id: int):
    services.sign_in_lockout_release(attempt_id=attempt_id, by=request.user)
    messages.success(request, _("Signing in is unlocked."))
    return redirect("people_sign_in_security")
