"""Changing the network accounts: connecting them (OAuth, tokens) and their keys."""

import base64
import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from . import get
from .models import SocialAccount


def credentials_key_rotate() -> int:
    """Re-encrypt every account's credentials with the first key; return how many.

    Loading decrypts with whichever listed key fits; saving encrypts with the first.
    Run it after putting the new key first in CRIEUR_CREDENTIALS_KEYS; then the old key
    can be removed from the list.
    """
    rotated = 0
    with transaction.atomic():
        for account in (
            SocialAccount.objects.select_for_update().exclude(credentials="").order_by("pk")
        ):
            account.save(update_fields=["credentials"])
            rotated += 1
    return rotated


OAUTH_PROVIDERS = {"x": "x", "meta": "facebook", "linkedin": "linkedin"}
_SESSION_KEY = "crieur_oauth"


def account_connect_start(*, provider: str, redirect_uri: str, session) -> str:
    """Where to send the administrator to authorize Crieur (OAuth 2 with PKCE)."""
    state = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    session[_SESSION_KEY] = {"provider": provider, "state": state, "verifier": verifier}
    return get(OAUTH_PROVIDERS[provider]).authorization_url(
        redirect_uri=redirect_uri,
        state=state,
        code_challenge=challenge.decode().rstrip("="),
    )


def account_connect_finish(*, provider: str, params, redirect_uri: str, session) -> list:
    """Finish the OAuth flow: check the state, exchange the code, save the accounts."""
    pending = session.pop(_SESSION_KEY, None)
    if params.get("error"):
        raise ValidationError(
            gettext("The network did not authorize Crieur (%(error)s): nothing was connected.")
            % {"error": params.get("error_description") or params.get("error")}
        )
    if (
        not pending
        or pending.get("provider") != provider
        or not params.get("state")
        or not secrets.compare_digest(pending["state"], params["state"])
    ):
        raise ValidationError(
            gettext(
                "This authorization does not match the one started here (expired or opened "
                "in another window): start the connection again."
            )
        )
    grants = get(OAUTH_PROVIDERS[provider]).connect(
        code=params.get("code", ""), redirect_uri=redirect_uri, code_verifier=pending["verifier"]
    )
    return accounts_save_grants(grants=grants)


def account_connect_whatsapp(*, phone_number_id: str, waba_id: str, access_token: str) -> list:
    grant = get("whatsapp").connect_with_token(
        phone_number_id=phone_number_id.strip(),
        access_token=access_token.strip(),
        waba_id=waba_id.strip(),
    )
    return accounts_save_grants(grants=[grant])


def accounts_save_grants(*, grants) -> list[SocialAccount]:
    """Create or update one connected account per grant; tokens are stored encrypted."""
    accounts = []
    with transaction.atomic():
        for grant in grants:
            account, _created = SocialAccount.objects.select_for_update().get_or_create(
                network=grant.network,
                remote_id=grant.remote_id,
                defaults={"display_name": grant.display_name},
            )
            account.display_name = grant.display_name or account.display_name
            account.handle = grant.handle
            account.credentials = grant.credentials
            account.token_expires_at = grant.token_expires_at
            account.status = SocialAccount.Status.CONNECTED
            account.save()
            accounts.append(account)
    return accounts
