"""Changing publishing state: heartbeats, credentials, connecting accounts, sending."""

import base64
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from .models import Attempt, Heartbeat, Publication, SocialAccount

SCHEDULER = "scheduler"


def heartbeat_record(*, name: str = SCHEDULER) -> Heartbeat:
    """Record that the named process is alive now; safe to call from many workers."""
    now = timezone.now()
    with transaction.atomic():
        updated = Heartbeat.objects.filter(name=name).update(beat_at=now, count=F("count") + 1)
        if not updated:
            Heartbeat.objects.get_or_create(name=name, defaults={"beat_at": now, "count": 1})
    return Heartbeat.objects.get(name=name)


def credentials_key_rotate() -> int:
    """Re-encrypt every account's credentials with the first key; return how many.

    Loading decrypts with whichever listed key fits; saving encrypts with the first.
    Run it after putting the new key first in CRIEUR_CREDENTIALS_KEYS; then the old key
    can be removed from the list.
    """
    from .models import SocialAccount

    rotated = 0
    with transaction.atomic():
        for account in (
            SocialAccount.objects.select_for_update().exclude(credentials="").order_by("pk")
        ):
            account.save(update_fields=["credentials"])
            rotated += 1
    return rotated


# -- Sending ----------------------------------------------------------------------------


def _approved_variants(publication) -> list:
    """The network versions of the exact revision the publication points at."""
    post = publication.revision.as_object()
    return [v for v in post.variants.all() if v.account_id == publication.account_id]


def publication_send(*, publication: Publication) -> Publication:
    """Send one publication once, now, and record the attempt and its outcome.

    Only the approved revision goes out. Network failures never raise here: they are
    read from the publication's state and its attempts.
    """
    from . import networks
    from .networks.base import (
        AuthExpired,
        Duplicate,
        NetworkError,
        RateLimited,
        Rejected,
        Transient,
        Unconfirmed,
    )

    publication.state = Publication.State.PUBLISHING
    publication.save(update_fields=["state"])
    attempt = Attempt.objects.create(publication=publication, started_at=timezone.now())
    variants = _approved_variants(publication)
    network = networks.get(publication.account.network)

    def part_sent(remote_id: str) -> None:
        # Each part's id is kept as soon as the network accepts it: a retry resumes.
        if not publication.remote_id:
            publication.remote_id = remote_id
        else:
            publication.remote_parts = [*publication.remote_parts, remote_id]
        publication.save(update_fields=["remote_id", "remote_parts"])

    outcome, message, answer = Attempt.Outcome.ERROR, "", None
    try:
        if not variants:
            raise Rejected(gettext("The approved version has no text for this account."))
        done = tuple(p for p in [publication.remote_id, *publication.remote_parts] if p)
        ref = network.publish(
            variants[0], key=f"crieur-{publication.pk}", done_parts=done, on_part=part_sent
        )
    except Duplicate as error:
        outcome, message, answer = Attempt.Outcome.DUPLICATE, error.message, error.body
        publication.state = Publication.State.PUBLISHED
        if error.ref:
            publication.remote_id = publication.remote_id or error.ref.id
            publication.remote_url = error.ref.url
    except AuthExpired as error:
        outcome, message, answer = Attempt.Outcome.AUTH_EXPIRED, error.message, error.body
        publication.state = Publication.State.FAILED
        publication.error = gettext(
            "The %(account)s account must be reconnected: its access has expired."
        ) % {"account": publication.account}
        SocialAccount.objects.filter(pk=publication.account_id).update(
            status=SocialAccount.Status.NEEDS_RECONNECT
        )
    except Unconfirmed as error:
        outcome, message, answer = Attempt.Outcome.UNCONFIRMED, error.message, error.body
        publication.state = Publication.State.UNCONFIRMED
        publication.error = gettext(
            "The network did not answer in time: check on the network whether the post is "
            "there before sending it again."
        )
    except (Transient, RateLimited) as error:
        kind = Attempt.Outcome.RATE_LIMITED if isinstance(error, RateLimited) else None
        outcome = kind or Attempt.Outcome.TRANSIENT
        message, answer = error.message, error.body
        publication.state = Publication.State.FAILED
        publication.error = gettext("The network failed for now: try again later. (%(e)s)") % {
            "e": error.message
        }
    except Rejected as error:
        outcome, message, answer = Attempt.Outcome.REJECTED, error.message, error.body
        publication.state = Publication.State.FAILED
        publication.error = error.message
    except NetworkError as error:
        message, answer = error.message, error.body
        publication.state = Publication.State.FAILED
        publication.error = error.message
    else:
        publication.remote_id = ref.id or publication.remote_id
        publication.remote_url = ref.url
        publication.remote_parts = list(ref.parts) or publication.remote_parts
        publication.remote_data = ref.data
        if ref.data.get("awaiting_confirmation"):
            outcome = Attempt.Outcome.AWAITING_CONFIRMATION
            publication.state = Publication.State.AWAITING_CONFIRMATION
        else:
            outcome = Attempt.Outcome.PUBLISHED
            publication.state = Publication.State.PUBLISHED
            publication.published_at = timezone.now()
        publication.error = ""
    attempt.finished_at = timezone.now()
    attempt.outcome = outcome
    attempt.message = message
    attempt.answer = answer if isinstance(answer, dict | list) else None
    attempt.save()
    publication.save()
    return publication


def post_send_now(*, post, by) -> list[Publication]:
    """Send the post's approved revision to each of its accounts at once (by hand).

    Only the approved (live) revision is sent; the scheduler will do the same on time.
    """
    if not by.has_perm("publishing.send_now"):
        raise PermissionDenied(gettext("Only administrators can send a post at once."))
    revision = post.live_revision
    if revision is None:
        raise ValidationError(
            gettext("This post is not approved yet: it must go through its circuit first.")
        )
    approved = revision.as_object()
    accounts = [v.account for v in approved.variants.all() if v.account_id]
    if not accounts:
        raise ValidationError(
            gettext("The approved version has no network version: add one and have it approved.")
        )
    now = timezone.now()
    publications = []
    for account in accounts:
        if account.status != SocialAccount.Status.CONNECTED:
            continue
        publication = Publication.objects.create(
            post=post, revision=revision, account=account, scheduled_at=now, created_by=by
        )
        publications.append(publication_send(publication=publication))
    return publications


# -- Connecting accounts ----------------------------------------------------------------

# OAuth provider → the network module that runs its flow (Meta's gives Pages and Instagram).
OAUTH_PROVIDERS = {"x": "x", "meta": "facebook", "linkedin": "linkedin"}
_SESSION_KEY = "crieur_oauth"


def account_connect_start(*, provider: str, redirect_uri: str, session) -> str:
    """Where to send the administrator to authorize Crieur (OAuth 2 with PKCE)."""
    from . import networks

    state = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    session[_SESSION_KEY] = {"provider": provider, "state": state, "verifier": verifier}
    return networks.get(OAUTH_PROVIDERS[provider]).authorization_url(
        redirect_uri=redirect_uri,
        state=state,
        code_challenge=challenge.decode().rstrip("="),
    )


def account_connect_finish(*, provider: str, params, redirect_uri: str, session) -> list:
    """Finish the OAuth flow: check the state, exchange the code, save the accounts."""
    from . import networks

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
    grants = networks.get(OAUTH_PROVIDERS[provider]).connect(
        code=params.get("code", ""), redirect_uri=redirect_uri, code_verifier=pending["verifier"]
    )
    return accounts_save_grants(grants=grants)


def account_connect_whatsapp(*, phone_number_id: str, waba_id: str, access_token: str) -> list:
    from . import networks

    grant = networks.get("whatsapp").connect_with_token(
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
