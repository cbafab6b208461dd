"""Admin pages of the networks: connect an account, and what the sandbox networks received."""

import json
from datetime import datetime

import requests
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import config, redaction, services
from .base import NetworkError
from .models import Network

# The sandbox runs beside Crieur and answers with up to its whole window of requests: the
# page waits longer for it than a publication waits for a network.
SANDBOX_TIMEOUT = (2.0, 15.0)


def _require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


class WhatsAppConnectForm(forms.Form):
    phone_number_id = forms.CharField(
        label=gettext_lazy("Phone number ID"),
        max_length=64,
        help_text=gettext_lazy("In Meta's WhatsApp Manager, under API setup."),
    )
    waba_id = forms.CharField(label=gettext_lazy("WhatsApp Business account ID"), max_length=64)
    access_token = forms.CharField(
        label=gettext_lazy("Access token (system user)"),
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy("Stored encrypted; never shown again."),
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


SANDBOX_PAGE_SIZE = 50


def sandbox_page(request):
    """What each sandbox network received: the demo's "what the network got"."""
    _require(request, "networks.view_socialaccount")
    base = config.sandbox_url()
    if not base:
        raise Http404
    network = request.GET.get("network", "")
    if network not in Network.values:
        network = ""
    show_all = request.GET.get("all") == "1"
    error = ""
    log: dict = {}
    try:
        answer = requests.get(
            f"{base}/_sandbox/received", params={"network": network}, timeout=SANDBOX_TIMEOUT
        )
        answer.raise_for_status()
        log = answer.json()
        received = log["received"]
    except (requests.RequestException, ValueError, KeyError) as failure:
        received = []
        error = _(
            "The sandbox networks do not answer at %(url)s (%(error)s): start them with bin/demo."
        ) % {"url": base, "error": failure}
    if not show_all:
        received = [r for r in received if r["method"] in ("POST", "PUT", "DELETE")]
    received.reverse()  # newest first
    paginator = Paginator(received, SANDBOX_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "networks/sandbox.html",
        {
            "received": [_readable(item) for item in page],
            "page": page,
            "elided_page_range": paginator.get_elided_page_range(page.number),
            "keep": log.get("keep"),
            "forgotten": log.get("forgotten", 0),
            "error": error,
            "network": network,
            "show_all": show_all,
            "networks": Network.choices,
            "sandbox_url": base,
        },
    )


def _readable(item: dict) -> dict:
    """One request as a person reads it: the network's name, an aware time (the template
    shows it in the user's time zone), the query as pairs, bodies as indented JSON.
    Secrets (tokens, signatures) are cut: the page shows what was sent, not the keys."""
    body = item.get("json") if item.get("json") is not None else item.get("form")
    response = item.get("response")
    return {
        "network": item["network"],
        "network_label": dict(Network.choices).get(item["network"], item["network"]),
        "at": datetime.fromisoformat(item["at"]).replace(microsecond=0) if item.get("at") else None,
        "method": item["method"],
        "path": item["path"],
        "query": list(redaction.redact_value(item.get("query") or {}).items()),
        "linkedin_version": item["headers"].get("linkedin-version", ""),
        "fault": item.get("fault", ""),
        "files": item.get("files", []),
        "body": _pretty(redaction.redact_value(body)) if body else "",
        "status": item.get("status"),
        "response": _pretty(redaction.redact_value(response)) if response is not None else "",
    }


def _pretty(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
