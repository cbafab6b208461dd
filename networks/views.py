"""Admin pages of the networks: connect an account, and what the sandbox networks received."""

import json

import requests
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from . import config, services
from .base import NetworkError


def _require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


class WhatsAppConnectForm(forms.Form):
    phone_number_id = forms.CharField(
        label=_("Phone number ID"),
        max_length=64,
        help_text=_("In Meta's WhatsApp Manager, under API setup."),
    )
    waba_id = forms.CharField(label=_("WhatsApp Business account ID"), max_length=64)
    access_token = forms.CharField(
        label=_("Access token (system user)"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted; never shown again."),
    )


def connect(request):
    """Connect a network account: OAuth for X, Meta and LinkedIn; a token for WhatsApp."""
    _require(request, "networks.add_socialaccount")
    form = WhatsAppConnectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts = services.account_connect_whatsapp(**form.cleaned_data)
        except NetworkError as error:
            form.add_error(
                None,
                _("WhatsApp refused this phone number and token: %(reason)s")
                % {"reason": error.message},
            )
        else:
            messages.success(
                request,
                _("Connected: %(accounts)s.") % {"accounts": ", ".join(map(str, accounts))},
            )
            return redirect("wagtailsnippets_networks_socialaccount:list")
    return TemplateResponse(
        request,
        "networks/connect.html",
        {
            "providers": services.OAUTH_PROVIDERS,
            "whatsapp_form": form,
            "sandbox": bool(config.sandbox_url()),
        },
    )


def connect_start(request, provider):
    _require(request, "networks.add_socialaccount")
    if provider not in services.OAUTH_PROVIDERS:
        raise Http404
    callback = request.build_absolute_uri(reverse("networks_connect_callback", args=[provider]))
    return redirect(
        services.account_connect_start(
            provider=provider, redirect_uri=callback, session=request.session
        )
    )


def connect_callback(request, provider):
    _require(request, "networks.add_socialaccount")
    if provider not in services.OAUTH_PROVIDERS:
        raise Http404
    callback = request.build_absolute_uri(reverse("networks_connect_callback", args=[provider]))
    try:
        accounts = services.account_connect_finish(
            provider=provider,
            params=request.GET,
            redirect_uri=callback,
            session=request.session,
        )
    except (ValidationError, NetworkError) as error:
        reason = error.message if isinstance(error, NetworkError) else " ".join(error.messages)
        messages.error(request, reason)
        return redirect("networks_connect")
    if not accounts:
        messages.warning(
            request,
            _(
                "The authorization worked but gave access to no account: check that your "
                "profile administers the page or organisation, then try again."
            ),
        )
    else:
        messages.success(
            request,
            _("Connected: %(accounts)s.") % {"accounts": ", ".join(map(str, accounts))},
        )
    return redirect("wagtailsnippets_networks_socialaccount:list")


def sandbox_page(request):
    """What each sandbox network received: the demo's "what the network got"."""
    _require(request, "networks.view_socialaccount")
    base = config.sandbox_url()
    if not base:
        raise Http404
    network = request.GET.get("network", "")
    show_all = request.GET.get("all") == "1"
    error = ""
    received = []
    try:
        answer = requests.get(
            f"{base}/_sandbox/received", params={"network": network}, timeout=config.timeout()
        )
        answer.raise_for_status()
        received = answer.json()["received"]
    except (requests.RequestException, ValueError, KeyError) as failure:
        error = _(
            "The sandbox networks do not answer at %(url)s (%(error)s): start them with bin/demo."
        ) % {"url": base, "error": failure}
    if not show_all:
        received = [r for r in received if r["method"] in ("POST", "PUT", "DELETE")]
    for item in received:
        item["linkedin_version"] = item["headers"].get("linkedin-version", "")
        body = item.get("json") if item.get("json") is not None else item.get("form")
        item["body_pretty"] = json.dumps(body, indent=2, ensure_ascii=False) if body else ""
        item["response_pretty"] = (
            json.dumps(item.get("response"), indent=2, ensure_ascii=False)
            if item.get("response") is not None
            else ""
        )
    received.reverse()  # newest first
    return TemplateResponse(
        request,
        "networks/sandbox.html",
        {
            "received": received[:200],
            "count": len(received),
            "error": error,
            "network": network,
            "show_all": show_all,
            "networks": ["x", "facebook", "instagram", "linkedin", "whatsapp"],
            "sandbox_url": base,
        },
    )
