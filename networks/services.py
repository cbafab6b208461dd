"""Changing the network accounts (connecting them, their keys) and keeping what the
networks send (webhook events)."""

import base64
import hashlib
import json
import secrets
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from . import get
from .models import SocialAccount, WebhookEvent
from .tasks import webhook_event_handle_task


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


def payload_digest(payload: dict) -> str:
    """The event's fingerprint, whatever the formatting of the body that carried it
    (spaces, key order): the same event re-sent is stored once."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def webhook_event_enqueue(*, event_id: int) -> None:
    """Ask a worker to hand on the items of a stored event."""
    webhook_event_handle_task.delay(event_id)


def webhook_event_store(*, network: str, payload: dict) -> tuple[WebhookEvent, bool]:
    """Keep a signed event once, raw, and have its items handled once it is committed;
    return (the event, whether it is new).

    A replayed event (in any formatting) is the stored one, handed to a worker again:
    its items are known by the network's own ids, so only those not handled yet (an
    earlier handling failed) are. When the broker cannot take the task, the error goes
    up and the door answers 500: the network delivers the event again later.
    """
    digest = payload_digest(payload)
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = WebhookEvent.objects.create(network=network, digest=digest, payload=payload)
                created = True
        except IntegrityError:
            event = WebhookEvent.objects.get(network=network, digest=digest)
            created = False
        transaction.on_commit(partial(webhook_event_enqueue, event_id=event.pk))
    return event, created
