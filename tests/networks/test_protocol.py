"""Every network module implements the one protocol, and works on plain data alone.

The network modules take an `Outgoing` or a `Draft` and the account: they send a post
that exists nowhere in the database, and need nothing of cms.
"""

import hashlib
import inspect
import json
from datetime import timedelta

import pytest
from django.utils import timezone

import networks
from cms.models import Post, Variant
from networks.base import Media, Network, OAuthNetwork, Outgoing, Refreshable
from networks.checks import Draft, ImageInfo
from networks.models import SocialAccount
from publishing import scheduler
from tests.factories import SocialAccountFactory, jpeg_file

NAMES = sorted(networks.MODULES)
SENDING = ("facebook", "instagram", "linkedin", "x")  # WhatsApp needs its subscribers
TEXT = "Fermeture du pont de la Gare lundi de 8 h à 17 h pour travaux."
PHOTO = jpeg_file().file.getvalue()
PHOTO_URL = "https://www.bourg-sur-lac.fr/media/images/pont.jpg"


def signature(function) -> list[tuple]:
    """What a caller relies on: the names, kinds and defaults of the parameters."""
    return [
        (p.name, p.kind, p.default)
        for p in inspect.signature(function).parameters.values()
        if p.name != "self"
    ]


@pytest.mark.parametrize("name", NAMES)
def test_every_network_implements_the_network_protocol(name):
    network = networks.get(name)

    assert isinstance(network, Network)
    assert network.name == name


@pytest.mark.parametrize("method", ["check", "publish", "find_recent"])
@pytest.mark.parametrize("name", NAMES)
def test_every_network_takes_the_arguments_the_protocol_names(name, method):
    network = networks.get(name)

    assert signature(getattr(network, method)) == signature(getattr(Network, method))


def test_token_renewal_and_oauth_are_found_by_their_protocols():
    refreshable = {name for name in NAMES if isinstance(networks.get(name), Refreshable)}
    oauth = {name for name in NAMES if isinstance(networks.get(name), OAuthNetwork)}

    # WhatsApp's system-user token is entered by hand and does not expire.
    assert refreshable == {"facebook", "instagram", "linkedin", "x"}
    assert oauth == {"facebook", "instagram", "linkedin", "x"}


@pytest.mark.django_db
def test_the_scheduler_renews_only_the_tokens_of_refreshable_networks(sandbox):
    soon = timezone.now() + timedelta(hours=1)
    x = SocialAccountFactory(network="x", token_expires_at=soon)
    x.credentials = {**x.credentials, "refresh_token": "sandbox-x-refresh-1"}
    x.save()
    sandbox.bucket("x", "tokens")["sandbox-x-refresh-1"] = {
        "user": x.remote_id,
        "scope": "tweet.read tweet.write users.read offline.access",
        "refresh": True,
    }
    whatsapp = SocialAccountFactory(network="whatsapp", token_expires_at=soon)

    renewed = scheduler.accounts_refresh(now=timezone.now())

    x.refresh_from_db()
    whatsapp.refresh_from_db()
    assert renewed == 1
    assert x.token_expires_at > soon
    assert (whatsapp.status, whatsapp.token_expires_at) == (SocialAccount.Status.CONNECTED, soon)


# -- publishing from plain data -------------------------------------------------------------


def photo() -> Media:
    return Media(
        kind="image",
        filename="pont.jpg",
        content_type="image/jpeg",
        url=PHOTO_URL,
        alt_text="Le pont de la Gare vu depuis le quai.",
        width=1080,
        height=1080,
        opener=lambda: PHOTO,
    )


def received_text(sandbox) -> str:
    """Everything the networks received, as one text to look things up in."""
    return json.dumps([r.to_dict() for r in sandbox.received], ensure_ascii=False, default=str)


def image_arrived(sandbox, name: str) -> bool:
    """The image reached the network: its address (Meta fetches it) or its bytes."""
    if name in ("facebook", "instagram"):
        return PHOTO_URL in received_text(sandbox)
    stored = sandbox.bucket("x", "media") if name == "x" else sandbox.bucket("linkedin", "images")
    return hashlib.sha256(PHOTO).hexdigest() in [item.get("sha256") for item in stored.values()]


@pytest.mark.django_db
@pytest.mark.parametrize("name", SENDING)
def test_a_network_publishes_a_post_given_as_plain_data(sandbox, name):
    account = SocialAccountFactory(network=name)
    out = Outgoing(
        network=name, text=TEXT, media=(photo(),), first_comment="Déviation par le quai."
    )
    seen = []

    ref = networks.get(name).publish(out, account=account, key="crieur-1", on_part=seen.append)

    assert ref.network == name
    assert ref.id and len(ref.parts) == 1  # the post, then its first comment
    assert seen == [ref.id, *ref.parts]
    sent = received_text(sandbox)
    assert TEXT in sent
    assert "Déviation par le quai." in sent
    assert image_arrived(sandbox, name)
    assert not Post.objects.exists() and not Variant.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", SENDING)
def test_a_post_sent_is_found_again_with_no_lower_bound_in_time(sandbox, name):
    account = SocialAccountFactory(network=name)
    network = networks.get(name)
    ref = network.publish(
        Outgoing(network=name, text=TEXT, media=(photo(),)), account=account, key="crieur-1"
    )

    found = network.find_recent(account, text=TEXT, since=None)

    assert found is not None and found.id == ref.id


# -- checking plain data --------------------------------------------------------------------


def codes(problems) -> list[str]:
    return [problem.code for problem in problems]


def test_a_draft_is_checked_against_its_networks_rules():
    x = networks.get("x")
    image = ImageInfo(format="jpeg", width=1080, height=1080, alt_text="")

    assert codes(x.check(Draft(text="a" * 280))) == []
    assert codes(x.check(Draft(text="a" * 281))) == ["too_long"]
    assert codes(networks.get("instagram").check(Draft(text="Bel été"))) == ["media_required"]
    assert codes(networks.get("linkedin").check(Draft(text="ok", images=[image]))) == [
        "alt_text_missing"
    ]


def test_each_part_of_a_thread_is_counted_on_its_own():
    x = networks.get("x")

    fits = x.check(Draft(text="a" * 280, format="thread", thread=("b" * 280,)))
    [long_second] = x.check(Draft(text="a" * 10, format="thread", thread=("b" * 281,)))

    assert fits == []
    assert long_second.code == "too_long"


def test_a_thread_is_refused_where_threads_do_not_exist():
    problems = networks.get("facebook").check(Draft(text="Un", format="thread", thread=("Deux",)))

    assert codes(problems) == ["thread_unsupported"]
