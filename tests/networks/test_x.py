"""X through tweepy against the sandbox: what goes out, what comes back."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import time_machine
from django.core.files.base import ContentFile
from wagtail.documents.models import Document

from cms.adaptation import outgoing
from networks import get
from networks.base import (
    AuthExpired,
    Duplicate,
    Inbound,
    RateLimited,
    Rejected,
    RemoteRef,
    Transient,
    Unconfirmed,
)
from networks.outgoing import x_thread_preview
from tests.factories import SocialAccountFactory, outgoing_for, post_with_variant

pytestmark = pytest.mark.django_db

USER_ID = "1460000000000000042"
TOKEN = f"sandbox-x-token-{USER_ID}"
# Accents, typographic apostrophe, an emoji ZWJ sequence, a flag, a link and a hashtag:
# X counts them with its weights; Crieur must send them exactly as written.
WEIGHTED_TEXT = (
    "Fête de l’été à Bourg-sur-Lac 🎉👩‍👩‍👧🇫🇷 : concerts, café offert & jeux d’eau. "
    "Programme : https://www.bourg-sur-lac.fr/fete-ete?x=1 #ÉtéÀBourg"
)
LONG_TEXT = " ".join(
    f"Phrase {n} du compte rendu du conseil municipal de Bourg-sur-Lac, séance publique."
    for n in range(1, 10)
)


@pytest.fixture(autouse=True)
def _no_waiting(settings):
    settings.CRIEUR_X_POLL_SECONDS = 0


@pytest.fixture
def network():
    return get("x")


@pytest.fixture
def account():
    return SocialAccountFactory(
        network="x",
        remote_id=USER_ID,
        handle="bourgsurlac",
        credentials={"access_token": TOKEN, "refresh_token": "sandbox-x-refresh-none"},
    )


def created_tweets(sandbox):
    return sandbox.requests_to("x", method="POST", path="/x/2/tweets")


def stored(sandbox, tweet_id):
    return sandbox.bucket("x", "tweets")[tweet_id]


# -- publishing -----------------------------------------------------------------------------


def test_the_weighted_text_goes_out_unchanged(sandbox, network, account):
    variant = post_with_variant(account, text=WEIGHTED_TEXT)

    ref = network.publish(outgoing(variant), account=variant.account, key="crieur-1")

    [sent] = created_tweets(sandbox)
    assert (sent.method, sent.path) == ("POST", "/x/2/tweets")
    assert sent.json == {"text": WEIGHTED_TEXT}
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["content-type"] == "application/json"
    assert stored(sandbox, ref.id)["text"] == WEIGHTED_TEXT
    assert stored(sandbox, ref.id)["author_id"] == USER_ID
    assert ref == RemoteRef(
        network="x",
        id=ref.id,
        url=f"https://x.com/bourgsurlac/status/{ref.id}",
        data={"author_id": USER_ID},
    )


def test_four_images_are_uploaded_each_with_its_alt_text(sandbox, network, account):
    variant = post_with_variant(account, text="Retour en images sur la fête.", images=4)
    expected = outgoing(variant).images

    ref = network.publish(outgoing(variant), account=variant.account, key="k")

    uploads = sandbox.requests_to("x", method="POST", path="/x/2/media/upload")
    assert [u.path for u in uploads] == ["/x/2/media/upload"] * 4
    for upload, image in zip(uploads, expected, strict=True):
        assert upload.form == {"media_category": "tweet_image", "media_type": "image/jpeg"}
        [file] = upload.files
        assert file["field"] == "media"
        assert file["sha256"] == hashlib.sha256(image.read()).hexdigest()
        assert upload.headers["authorization"] == f"Bearer {TOKEN}"
    media_ids = [u.response["data"]["id"] for u in uploads]
    metadata = sandbox.requests_to("x", method="POST", path="/x/2/media/metadata")
    assert [m.json for m in metadata] == [
        {
            "id": media_id,
            "metadata": {"alt_text": {"text": f"Affiche de la réunion publique, fond bleu. ({n})"}},
        }
        for n, media_id in enumerate(media_ids, 1)
    ]
    assert all(m.headers["authorization"] == f"Bearer {TOKEN}" for m in metadata)
    [sent] = created_tweets(sandbox)
    assert sent.json == {
        "text": "Retour en images sur la fête.",
        "media": {"media_ids": media_ids},
    }
    assert stored(sandbox, ref.id)["attachments"]["media_ids"] == media_ids
    alt_texts = [sandbox.bucket("x", "media")[m]["alt_text"] for m in media_ids]
    assert alt_texts == [image.alt_text for image in expected]


def test_more_than_four_images_are_refused_before_anything_is_sent(sandbox, network, account):
    variant = post_with_variant(account, text="Trop d'images.", images=5)

    with pytest.raises(Rejected) as raised:
        network.publish(outgoing(variant), account=variant.account, key="k")

    assert "4" in raised.value.message
    assert sandbox.received == []


def test_a_video_is_uploaded_in_chunks_and_waited_for(sandbox, network, account):
    content = bytes(range(256)) * (5 * 1024 * 1024 // 256)  # 5 MiB: two segments
    document = Document.objects.create(title="Vidéo", file=ContentFile(content, name="clip.mp4"))
    variant = post_with_variant(account, text="La fête du lac en vidéo.", document=document)

    network.publish(outgoing(variant), account=variant.account, key="k")

    [initialize] = sandbox.requests_to("x", path="/x/2/media/upload/initialize")
    assert initialize.json == {
        "media_type": "video/mp4",
        "total_bytes": len(content),
        "media_category": "tweet_video",
    }
    media_id = initialize.response["data"]["id"]
    appends = sandbox.requests_to("x", path=f"/x/2/media/upload/{media_id}/append")
    assert [a.form for a in appends] == [{"segment_index": "0"}, {"segment_index": "1"}]
    assert sum(a.files[0]["size"] for a in appends) == len(content)
    [finalize] = sandbox.requests_to("x", path=f"/x/2/media/upload/{media_id}/finalize")
    assert finalize.response["data"]["processing_info"]["state"] == "pending"
    statuses = sandbox.requests_to("x", method="GET", path="/x/2/media/upload")
    assert [s.query for s in statuses] == [{"command": "STATUS", "media_id": media_id}] * 2
    assert statuses[-1].response["data"]["processing_info"]["state"] == "succeeded"
    [sent] = created_tweets(sandbox)
    assert sent.json["media"] == {"media_ids": [media_id]}
    item = sandbox.bucket("x", "media")[media_id]
    assert item["sha256"] == hashlib.sha256(content).hexdigest()


def test_a_thread_goes_out_part_by_part_each_replying_to_the_last(sandbox, network, account):
    variant = post_with_variant(account, text=LONG_TEXT, format="thread", images=1)
    expected = x_thread_preview(LONG_TEXT)
    seen = []

    ref = network.publish(outgoing(variant), account=variant.account, key="k", on_part=seen.append)

    assert len(expected) == 3
    assert [part.rsplit(" ", 1)[-1] for part in expected] == ["1/3", "2/3", "3/3"]
    first, second, third = created_tweets(sandbox)
    ids = [r.response["data"]["id"] for r in (first, second, third)]
    assert first.json["text"] == expected[0] and "reply" not in first.json
    assert len(first.json["media"]["media_ids"]) == 1
    assert second.json == {"text": expected[1], "reply": {"in_reply_to_tweet_id": ids[0]}}
    assert third.json == {"text": expected[2], "reply": {"in_reply_to_tweet_id": ids[1]}}
    assert (ref.id, ref.parts) == (ids[0], (ids[1], ids[2]))
    assert seen == ids
    assert {stored(sandbox, i)["conversation_id"] for i in ids} == {ids[0]}


def test_a_thread_resumes_after_its_first_part(sandbox, network, account):
    variant = post_with_variant(
        account, text="Alerte crue : 1/3", format="thread", thread_text="Suite 2/3\n---\nFin 3/3"
    )
    seen = []

    def part_sent(tweet_id):
        seen.append(tweet_id)
        sandbox.inject("x", "server_error", path="/x/2/tweets", method="POST")

    with pytest.raises(Transient):
        network.publish(outgoing(variant), account=variant.account, key="k", on_part=part_sent)
    assert len(seen) == 1
    sandbox.received.clear()

    ref = network.publish(
        outgoing(variant),
        account=variant.account,
        key="k",
        done_parts=tuple(seen),
        on_part=seen.append,
    )

    second, third = created_tweets(sandbox)
    assert second.json == {"text": "Suite 2/3", "reply": {"in_reply_to_tweet_id": seen[0]}}
    assert third.json["reply"] == {"in_reply_to_tweet_id": second.response["data"]["id"]}
    assert ref.id == seen[0]
    assert list(ref.parts) == seen[1:]
    assert len(sandbox.bucket("x", "tweets")) == 3


def test_resuming_after_every_part_sends_nothing(sandbox, network, account):
    variant = post_with_variant(account, text="Un", format="thread", thread_text="Deux")

    ref = network.publish(
        outgoing(variant), account=variant.account, key="k", done_parts=("101", "102")
    )

    assert sandbox.received == []
    assert (ref.id, ref.parts) == ("101", ("102",))


def test_the_first_comment_is_a_reply_to_the_post(sandbox, network, account):
    variant = post_with_variant(account, text="Budget participatif.", first_comment="Votez ici !")
    seen = []

    ref = network.publish(outgoing(variant), account=variant.account, key="k", on_part=seen.append)

    post, comment = created_tweets(sandbox)
    assert comment.json == {"text": "Votez ici !", "reply": {"in_reply_to_tweet_id": ref.id}}
    assert ref.parts == (comment.response["data"]["id"],)
    assert seen == [ref.id, *ref.parts]


# -- faults ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("server_error", Transient),
        ("unavailable", Transient),
        ("timeout", Unconfirmed),
        ("rate_limited", RateLimited),
        ("expired_token", AuthExpired),
        ("duplicate", Duplicate),
        ("forbidden", Rejected),
    ],
)
def test_each_fault_is_the_right_typed_error(sandbox, network, account, kind, error):
    sandbox.inject("x", kind, path="/x/2/tweets", method="POST")

    with pytest.raises(error) as raised:
        network.publish(outgoing_for(account, text="Alerte canicule."), account=account, key="k")

    assert type(raised.value) is error
    assert raised.value.network == "x"


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("expired_token", AuthExpired),
        ("server_error", Transient),
        ("rate_limited", RateLimited),
        ("timeout", Transient),  # no post was made: a retry is safe
    ],
)
def test_a_failed_upload_is_typed_and_posts_nothing(sandbox, network, account, kind, error):
    sandbox.inject("x", kind, path="/x/2/media/")

    with pytest.raises(error):
        network.publish(outgoing_for(account, text="Photo.", images=1), account=account, key="k")

    assert created_tweets(sandbox) == []


@time_machine.travel(datetime(2026, 7, 14, 15, 30, tzinfo=UTC), tick=False)
def test_a_rate_limit_waits_until_the_reset_x_announces(sandbox, network, account):
    sandbox.inject("x", "rate_limited", path="/x/2/tweets")

    with pytest.raises(RateLimited) as raised:
        network.publish(outgoing_for(account, text="Alerte canicule."), account=account, key="k")

    assert raised.value.reset_at == datetime(2026, 7, 14, 15, 45, tzinfo=UTC)
    assert raised.value.status == 429


def test_an_overloaded_x_says_when_to_come_back(sandbox, network, account):
    sandbox.inject("x", "unavailable", path="/x/2/tweets")

    with pytest.raises(Transient) as raised:
        network.publish(outgoing_for(account, text="Alerte canicule."), account=account, key="k")

    assert raised.value.retry_after == 30
    assert raised.value.status == 503


def test_the_same_text_twice_is_a_duplicate(sandbox, network, account):
    network.publish(
        outgoing_for(account, text="Fermeture de la piscine."), account=account, key="a"
    )

    with pytest.raises(Duplicate) as raised:
        network.publish(
            outgoing_for(account, text="Fermeture de la piscine."), account=account, key="b"
        )

    assert raised.value.status == 403
    assert "duplicate content" in raised.value.body["detail"]
    assert len(sandbox.bucket("x", "tweets")) == 1


def test_a_repeated_thread_part_is_for_the_author_to_change(sandbox, network, account):
    network.publish(
        outgoing_for(account, text="Merci de votre attention."), account=account, key="a"
    )
    variant = post_with_variant(
        account,
        text="Conseil municipal ce soir.",
        format="thread",
        thread_text="Merci de votre attention.",
    )

    with pytest.raises(Rejected) as raised:
        network.publish(outgoing(variant), account=variant.account, key="b")

    assert not isinstance(raised.value, Duplicate)
    assert "2" in raised.value.message


def test_a_text_over_280_is_refused_with_what_to_do(sandbox, network, account):
    with pytest.raises(Rejected) as raised:
        network.publish(outgoing_for(account, text=LONG_TEXT), account=account, key="k")

    assert raised.value.status == 400
    assert "280" in raised.value.message
    assert sandbox.bucket("x", "tweets") == {}


def test_an_account_without_a_token_asks_for_reconnection(sandbox, network):
    account = SocialAccountFactory(network="x", remote_id=USER_ID, credentials={})

    with pytest.raises(AuthExpired):
        network.delete(RemoteRef(network="x", id="1"), account=account)
    assert sandbox.received == []


# -- after publishing -----------------------------------------------------------------------


def test_delete_removes_every_part_and_tolerates_them_being_gone(sandbox, network, account):
    variant = post_with_variant(account, text="Erreur", format="thread", thread_text="de date")
    ref = network.publish(outgoing(variant), account=variant.account, key="k")

    network.delete(ref, account=account)
    network.delete(ref, account=account)

    assert sandbox.bucket("x", "tweets") == {}
    deletions = sandbox.requests_to("x", method="DELETE")
    assert [d.path for d in deletions[:2]] == [
        f"/x/2/tweets/{ref.parts[0]}",
        f"/x/2/tweets/{ref.id}",
    ]
    assert [d.status for d in deletions] == [200, 200, 404, 404]


def citizen_replies(sandbox, tweet_id, text, author="citoyenne1"):
    answer = requests.post(
        f"{sandbox.url}/_sandbox/x/comments",
        json={"tweet_id": tweet_id, "text": text, "author": author},
        timeout=5,
    )
    assert answer.status_code == 201
    return answer.json()["data"]


def test_replies_are_fetched_answered_and_hidden(sandbox, network, account):
    ref = network.publish(
        outgoing_for(account, text="Travaux rue Haute."), account=account, key="k"
    )
    citizen = citizen_replies(sandbox, ref.id, "Jusqu'à quand ? Bruit & poussière…")
    since = datetime.now(UTC) - timedelta(hours=1)

    [inbound] = network.fetch_replies(account, since=since)
    answer = network.reply(inbound, "Jusqu'au 30 juin.", account=account)
    network.hide(inbound, account=account)

    assert (inbound.remote_id, inbound.kind, inbound.in_reply_to) == (
        citizen["id"],
        "reply",
        ref.id,
    )
    assert inbound.text == "Jusqu'à quand ? Bruit & poussière…"
    assert (inbound.author_id, inbound.author_name) == (citizen["author_id"], "Citoyenne1")
    [listed, *_] = sandbox.requests_to("x", method="GET", path=f"/x/2/users/{USER_ID}/mentions")
    assert listed.query["start_time"] == since.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert listed.query["expansions"] == "author_id"
    assert listed.headers["authorization"] == f"Bearer {TOKEN}"
    sent = created_tweets(sandbox)[-1]
    assert sent.json == {
        "text": "Jusqu'au 30 juin.",
        "reply": {"in_reply_to_tweet_id": citizen["id"]},
    }
    assert answer.id == sent.response["data"]["id"]
    [hidden] = sandbox.requests_to("x", method="PUT")
    assert (hidden.path, hidden.json) == (f"/x/2/tweets/{citizen['id']}/hidden", {"hidden": True})
    assert stored(sandbox, citizen["id"])["hidden"] is True
    # The account's own answer is not inbound; nothing older than `since` either.
    assert [i.remote_id for i in network.fetch_replies(account, since=None)] == [citizen["id"]]
    assert network.fetch_replies(account, since=inbound.created_at) == []


def test_hiding_a_reply_outside_the_accounts_conversations_is_refused(sandbox, network, account):
    ref = network.publish(outgoing_for(account, text="Collecte de sang."), account=account, key="k")
    other = SocialAccountFactory(network="x", remote_id="777")

    with pytest.raises(Rejected) as raised:
        network.hide(
            Inbound("x", ref.id, "reply", "x", USER_ID, "", datetime.now(UTC)), account=other
        )

    assert raised.value.status == 403


def test_metrics_read_the_public_metrics(sandbox, network, account):
    ref = network.publish(outgoing_for(account, text="Collecte de sang."), account=account, key="k")
    citizen_replies(sandbox, ref.id, "J'y serai.")

    metrics = network.metrics(ref, account=account)

    assert (metrics.comments, metrics.impressions, metrics.reactions, metrics.shares) == (
        1,
        0,
        0,
        0,
    )
    [asked] = sandbox.requests_to("x", method="GET", path=f"/x/2/tweets/{ref.id}")
    assert asked.query == {"tweet.fields": "public_metrics"}


def test_find_recent_recognises_a_post_despite_tco_links_and_escaping(sandbox, network, account):
    ref = network.publish(outgoing_for(account, text=WEIGHTED_TEXT), account=account, key="k")
    since = datetime.now(UTC) - timedelta(minutes=5)

    found = network.find_recent(account, text=WEIGHTED_TEXT, since=since)

    assert found is not None and found.id == ref.id
    assert network.find_recent(account, text="Autre chose", since=since) is None
    [listed, *_] = sandbox.requests_to("x", method="GET", path=f"/x/2/users/{USER_ID}/tweets")
    assert "&amp;" in listed.response["data"][0]["text"]
    assert "https://t.co/" in listed.response["data"][0]["text"]


# -- OAuth 2 with PKCE ----------------------------------------------------------------------


def pkce():
    verifier = "v" * 43 + "-verifier-crieur"
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def consent(url):
    page = requests.get(url, timeout=5)
    assert page.status_code == 200 and "Autoriser" in page.text
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items() if k != "response_type"}
    back = requests.post(url.split("?")[0], data=query, allow_redirects=False, timeout=5)
    assert back.status_code == 302
    return parse_qs(urlsplit(back.headers["Location"]).query)


REDIRECT = "https://crieur.example/comptes/x/retour"


def test_oauth_consent_then_connect_gives_the_account_and_refresh_renews(sandbox, network):
    verifier, challenge = pkce()
    url = network.authorization_url(
        redirect_uri=REDIRECT, state="etat-123", code_challenge=challenge
    )
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{sandbox.url}/x/oauth?")
    assert query == {
        "response_type": ["code"],
        "client_id": ["sandbox-x-client"],
        "redirect_uri": [REDIRECT],
        "scope": ["tweet.read tweet.write users.read offline.access media.write"],
        "state": ["etat-123"],
        "code_challenge": [challenge],
        "code_challenge_method": ["S256"],
    }
    returned = consent(url)
    assert returned["state"] == ["etat-123"]

    [grant] = network.connect(
        code=returned["code"][0], redirect_uri=REDIRECT, code_verifier=verifier
    )

    assert (grant.network, grant.display_name, grant.handle) == (
        "x",
        "Ville de Bourg-sur-Lac",
        "bourgsurlac",
    )
    assert grant.remote_id == "1460012345678901234"
    assert set(grant.credentials) == {"access_token", "refresh_token", "scope"}
    assert (
        grant.credentials["scope"] == "tweet.read tweet.write users.read offline.access media.write"
    )
    assert abs(grant.token_expires_at - (datetime.now(UTC) + timedelta(hours=2))) < timedelta(
        minutes=1
    )
    [exchange] = sandbox.requests_to("x", path="/x/2/oauth2/token")
    basic = base64.b64encode(b"sandbox-x-client:sandbox-x-secret").decode()
    assert exchange.headers["authorization"] == f"Basic {basic}"
    assert exchange.form == {
        "grant_type": "authorization_code",
        "code": returned["code"][0],
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    [me] = sandbox.requests_to("x", path="/x/2/users/me")
    assert me.headers["authorization"] == f"Bearer {grant.credentials['access_token']}"

    account = SocialAccountFactory(
        network="x", remote_id=grant.remote_id, credentials=grant.credentials
    )
    renewed = network.refresh(account)

    assert renewed.remote_id == grant.remote_id
    assert renewed.credentials["access_token"] != grant.credentials["access_token"]
    assert renewed.credentials["refresh_token"] != grant.credentials["refresh_token"]
    refreshing = sandbox.requests_to("x", path="/x/2/oauth2/token")[-1]
    assert refreshing.form == {
        "grant_type": "refresh_token",
        "refresh_token": grant.credentials["refresh_token"],
    }
    with pytest.raises(AuthExpired):
        network.refresh(account)  # X's refresh tokens are single use


def test_a_wrong_code_verifier_is_refused_in_words(sandbox, network):
    _verifier, challenge = pkce()
    url = network.authorization_url(redirect_uri=REDIRECT, state="s", code_challenge=challenge)
    code = consent(url)["code"][0]

    with pytest.raises(Rejected) as raised:
        network.connect(code=code, redirect_uri=REDIRECT, code_verifier="not-the-verifier")

    assert raised.value.status == 400


# -- webhooks -------------------------------------------------------------------------------


def test_a_signed_reply_event_verifies_and_parses(sandbox, network, account):
    ref = network.publish(outgoing_for(account, text="Marché de Noël."), account=account, key="k")
    citizen = citizen_replies(sandbox, ref.id, "Quels horaires ?")
    [sent] = sandbox.webhooks_sent
    body = sandbox.webhook_body(sent["payload"])
    good = (
        "sha256="
        + base64.b64encode(hmac.new(b"sandbox-x-secret", body, "sha256").digest()).decode()
    )
    bad = "sha256=" + base64.b64encode(hmac.new(b"autre", body, "sha256").digest()).decode()

    assert network.verify_webhook(body, {"X-Twitter-Webhooks-Signature": good})
    assert not network.verify_webhook(body, {"x-twitter-webhooks-signature": bad})
    assert not network.verify_webhook(body + b" ", {"x-twitter-webhooks-signature": good})
    assert not network.verify_webhook(body, {})
    [inbound] = network.parse_webhook(json.loads(body))
    assert isinstance(inbound, Inbound)
    assert (inbound.kind, inbound.remote_id, inbound.text, inbound.in_reply_to) == (
        "reply",
        citizen["id"],
        "Quels horaires ?",
        ref.id,
    )
    assert inbound.author_id == citizen["author_id"]
    assert inbound.created_at.tzinfo is not None


def test_the_accounts_own_posts_in_a_webhook_are_not_inbound(network):
    payload = {
        "for_user_id": USER_ID,
        "tweet_create_events": [
            {"id_str": "5", "text": "Notre post", "user": {"id_str": USER_ID, "name": "Ville"}},
            {
                "id_str": "6",
                "text": "@bourgsurlac bravo",
                "user": {"id_str": "9", "name": "Léa", "screen_name": "lea"},
                "created_at": "Tue Jul 14 15:30:00 +0000 2026",
            },
        ],
    }

    [inbound] = network.parse_webhook(payload)

    assert (inbound.remote_id, inbound.kind, inbound.author_name) == ("6", "mention", "Léa")
    assert inbound.created_at == datetime(2026, 7, 14, 15, 30, tzinfo=UTC)


def test_a_malformed_reply_is_skipped_and_logged_and_the_others_kept(
    sandbox, network, account, caplog
):
    ref = network.publish(
        outgoing_for(account, text="Travaux rue Haute."), account=account, key="k"
    )
    first = citizen_replies(sandbox, ref.id, "Jusqu'à quand ?", author="citoyenne1")
    second = citizen_replies(sandbox, ref.id, "Merci.", author="citoyen2")
    tweets = sandbox.bucket("x", "tweets")
    # X answers one more reply among the others, naming a post without its id.
    broken = {**tweets[first["id"]], "id": str(int(first["id"]) + 100)}
    broken["referenced_tweets"] = [{"type": "replied_to"}]
    tweets[broken["id"]] = broken

    with caplog.at_level("WARNING", logger="networks.x"):
        found = network.fetch_replies(account, since=None)

    assert sorted(item.remote_id for item in found) == sorted([first["id"], second["id"]])
    [line] = [r for r in caplog.records if r.name == "networks.x"]
    assert line.getMessage().startswith("x: skipped a post without")
    assert "Jusqu" not in line.getMessage()
