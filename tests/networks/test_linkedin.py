"""LinkedIn through the official client against the sandbox: what goes out, what comes back."""

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
from cms.previews import render_linkedin_text
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
from networks.linkedin import little_text
from networks.sandbox.linkedin import hashtags_of, keep_little_text, shown_text
from networks.text import linkedin_escape
from tests.factories import SocialAccountFactory, outgoing_for, post_with_variant

pytestmark = pytest.mark.django_db

ORG = "urn:li:organization:2414183"
TOKEN = "sandbox-linkedin-token-page"
RESERVED_TEXT = (
    "Réunion (jeudi) à 18 h #Concertation avec @Mairie [infos] <ici> "
    "*vite* _bien_ ~fin~ a|b {c} chemin\\dossier"
)


@pytest.fixture
def network():
    return get("linkedin")


@pytest.fixture
def account():
    return SocialAccountFactory(
        network="linkedin",
        remote_id=ORG,
        credentials={"access_token": TOKEN, "refresh_token": "sandbox-linkedin-refresh-page"},
    )


def created_posts(sandbox):
    return sandbox.requests_to("linkedin", method="POST", path="/linkedin/rest/posts")


# -- publishing -----------------------------------------------------------------------------


def test_a_text_with_reserved_characters_arrives_escaped_and_whole(sandbox, network, account):
    variant = post_with_variant(account, text=RESERVED_TEXT)

    ref = network.publish(outgoing(variant), account=variant.account, key="k1")

    [sent] = created_posts(sandbox)
    assert sent.json == {
        "author": ORG,
        "commentary": little_text(RESERVED_TEXT),
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["x-restli-protocol-version"] == "2.0.0"
    assert sent.headers["linkedin-version"] == "202510"
    # The new post's URN comes back in x-restli-id; LinkedIn kept all of the text.
    stored = sandbox.bucket("linkedin", "posts")[ref.id]
    assert ref.id.startswith("urn:li:share:")
    assert ref.url == f"https://www.linkedin.com/feed/update/{ref.id}/"
    assert shown_text(stored["commentary"]) == RESERVED_TEXT


def test_hashtags_go_out_as_linkedin_hashtags_and_other_reserved_characters_stay_escaped(
    sandbox, network, account
):
    text = (
        "Réunion (jeudi) #Concertation et #Budget2026 ! C# #2026 #Ville_Propre @Mairie "
        "a|b {c} *vite* ~fin~ <ici> https://ville.fr/page#horaires"
    )

    ref = network.publish(outgoing_for(account, text=text), account=account, key="k")

    [sent] = created_posts(sandbox)
    assert sent.json["commentary"] == (
        "Réunion \\(jeudi\\) {hashtag|\\#|Concertation} et {hashtag|\\#|Budget2026} ! "
        "C\\# \\#2026 \\#Ville\\_Propre \\@Mairie a\\|b \\{c\\} \\*vite\\* \\~fin\\~ "
        "\\<ici\\> https://ville.fr/page\\#horaires"
    )
    # LinkedIn kept all of it, made two hashtags of it, and shows the text as written.
    stored = sandbox.bucket("linkedin", "posts")[ref.id]
    assert stored["commentary"] == sent.json["commentary"]
    assert hashtags_of(stored["commentary"]) == ["Concertation", "Budget2026"]
    assert shown_text(stored["commentary"]) == text
    since = datetime.now(UTC) - timedelta(minutes=5)
    assert network.find_recent(account, text=text, since=since).id == ref.id


def test_linkedins_preview_shows_its_hashtags_as_links():
    html = render_linkedin_text("Venez ! #Concertation <b>C#</b> #Ville_Propre\n@Mairie")

    assert html == (
        'Venez ! <a class="hashtag" href="https://www.linkedin.com/feed/hashtag/'
        '?keywords=concertation" rel="nofollow noopener">#Concertation</a> '
        "&lt;b&gt;C#&lt;/b&gt; #Ville_Propre<br>@Mairie"
    )


def test_the_sandbox_cuts_unescaped_text_as_linkedin_does(sandbox):
    answer = requests.post(
        f"{sandbox.url}/linkedin/rest/posts",
        json={
            "author": ORG,
            "commentary": "Réunion publique (jeudi) à la mairie",
            "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED"},
            "lifecycleState": "PUBLISHED",
        },
        headers={"Authorization": f"Bearer {TOKEN}", "LinkedIn-Version": "202510"},
        timeout=5,
    )

    assert answer.status_code == 201
    stored = sandbox.bucket("linkedin", "posts")[answer.headers["x-restli-id"]]
    assert stored["commentary"] == "Réunion publique "
    assert keep_little_text(linkedin_escape(RESERVED_TEXT)) == linkedin_escape(RESERVED_TEXT)
    assert keep_little_text("Voir {hashtag|\\#|Concertation} ici #fin") == (
        "Voir {hashtag|\\#|Concertation} ici "
    )
    assert keep_little_text("Voir {hashtag|\\#|deux mots} ici") == "Voir "


def test_the_linkedin_version_header_follows_the_setting(sandbox, network, account, settings):
    settings.CRIEUR_LINKEDIN_VERSION = "202601"

    network.publish(
        outgoing_for(account, text="Conseil municipal ce soir."), account=account, key="k"
    )

    [sent] = created_posts(sandbox)
    assert sent.headers["linkedin-version"] == "202601"


def test_a_malformed_version_setting_is_refused_with_a_reason(sandbox, network, account, settings):
    settings.CRIEUR_LINKEDIN_VERSION = "2025-10"

    with pytest.raises(Rejected) as raised:
        network.publish(outgoing_for(account, text="Conseil municipal."), account=account, key="k")

    assert raised.value.status == 426
    assert "CRIEUR_LINKEDIN_VERSION" in raised.value.message
    assert sandbox.bucket("linkedin", "posts") == {}


def test_one_image_is_uploaded_then_posted_with_its_alt_text(sandbox, network, account):
    variant = post_with_variant(account, text="Nouvelle aire de jeux.", images=1)
    expected = outgoing(variant).images[0]

    ref = network.publish(outgoing(variant), account=variant.account, key="k")

    [initialize] = sandbox.requests_to("linkedin", method="POST", path="/rest/images")
    assert initialize.query == {"action": "initializeUpload"}
    assert initialize.json == {"initializeUploadRequest": {"owner": ORG}}
    assert initialize.headers["linkedin-version"] == "202510"
    [upload] = sandbox.requests_to("linkedin", method="PUT", path="/linkedin/upload/")
    assert upload.headers["authorization"] == f"Bearer {TOKEN}"
    image_urn = initialize.response["value"]["image"]
    image = sandbox.bucket("linkedin", "images")[image_urn]
    assert image["sha256"] == hashlib.sha256(expected.read()).hexdigest()
    [sent] = created_posts(sandbox)
    assert sent.json["content"] == {
        "media": {"id": image_urn, "altText": "Affiche de la réunion publique, fond bleu. (1)"}
    }
    assert ref.id in sandbox.bucket("linkedin", "posts")


def test_three_images_make_a_multi_image_post_in_order_with_alt_texts(sandbox, network, account):
    variant = post_with_variant(account, text="Retour en images.", images=3)

    ref = network.publish(outgoing(variant), account=variant.account, key="k")

    initializations = sandbox.requests_to("linkedin", method="POST", path="/rest/images")
    uploads = sandbox.requests_to("linkedin", method="PUT", path="/linkedin/upload/")
    assert len(initializations) == len(uploads) == 3
    urns = [r.response["value"]["image"] for r in initializations]
    [sent] = created_posts(sandbox)
    assert sent.json["content"] == {
        "multiImage": {
            "images": [
                {"id": urn, "altText": f"Affiche de la réunion publique, fond bleu. ({n})"}
                for n, urn in enumerate(urns, 1)
            ]
        }
    }
    assert ref.id.startswith("urn:li:ugcPost:")


def test_a_link_becomes_an_article(sandbox, network, account):
    variant = post_with_variant(account, text="Le compte rendu est en ligne.\nBonne lecture.")
    variant.post.link = "https://www.bourg-sur-lac.fr/compte-rendu"
    variant.post.save()

    network.publish(outgoing(variant), account=variant.account, key="k")

    [sent] = created_posts(sandbox)
    assert sent.json["content"] == {
        "article": {
            "source": "https://www.bourg-sur-lac.fr/compte-rendu",
            "title": "Le compte rendu est en ligne.",
        }
    }


def test_a_video_is_uploaded_in_parts_and_finalized(sandbox, network, account, settings):
    settings.CRIEUR_LINKEDIN_POLL_SECONDS = 0
    content = bytes(range(256)) * (5 * 1024 * 1024 // 256)  # 5 MiB: two parts of 4 MiB max
    document = Document.objects.create(title="Vidéo", file=ContentFile(content, name="clip.mp4"))
    variant = post_with_variant(account, text="La fête du lac en vidéo.", document=document)

    network.publish(outgoing(variant), account=variant.account, key="k")

    [initialize, finalize] = sandbox.requests_to("linkedin", method="POST", path="/rest/videos")
    assert initialize.json == {
        "initializeUploadRequest": {
            "owner": ORG,
            "fileSizeBytes": len(content),
            "uploadCaptions": False,
            "uploadThumbnail": False,
        }
    }
    parts = sandbox.requests_to("linkedin", method="PUT", path="/linkedin/upload/")
    assert len(parts) == 2
    value = initialize.response["value"]
    assert finalize.json["finalizeUploadRequest"]["video"] == value["video"]
    assert finalize.json["finalizeUploadRequest"]["uploadToken"] == value["uploadToken"]
    assert len(finalize.json["finalizeUploadRequest"]["uploadedPartIds"]) == 2
    [sent] = created_posts(sandbox)
    assert sent.json["content"] == {"media": {"id": value["video"], "title": "clip.mp4"}}


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
        ("version_inactive", Rejected),
    ],
)
def test_each_fault_is_the_right_typed_error(sandbox, network, account, kind, error):
    sandbox.inject("linkedin", kind, path="/rest/posts", method="POST")

    with pytest.raises(error):
        network.publish(outgoing_for(account, text="Alerte canicule."), account=account, key="k")


@time_machine.travel(datetime(2026, 7, 14, 15, 30, tzinfo=UTC), tick=False)
def test_a_rate_limit_waits_for_the_daily_reset_at_midnight_utc(sandbox, network, account):
    sandbox.inject("linkedin", "rate_limited", path="/rest/posts")

    with pytest.raises(RateLimited) as raised:
        network.publish(outgoing_for(account, text="Alerte canicule."), account=account, key="k")

    assert raised.value.reset_at == datetime(2026, 7, 15, tzinfo=UTC)


def test_an_unavailable_linkedin_says_when_to_come_back(sandbox, network, account):
    sandbox.inject("linkedin", "unavailable", path="/rest/posts")

    with pytest.raises(Transient) as raised:
        network.publish(outgoing_for(account, text="Alerte canicule."), account=account, key="k")

    assert raised.value.retry_after == 30


def test_the_same_text_twice_is_a_duplicate_pointing_at_the_first_post(sandbox, network, account):
    first = network.publish(
        outgoing_for(account, text="Fermeture de la piscine."), account=account, key="a"
    )

    with pytest.raises(Duplicate) as raised:
        network.publish(
            outgoing_for(account, text="Fermeture de la piscine."), account=account, key="b"
        )

    assert raised.value.ref.id == first.id
    assert len(sandbox.bucket("linkedin", "posts")) == 1


def test_a_revoked_token_asks_for_reconnection_in_french(sandbox, network, account):
    sandbox.inject("linkedin", "expired_token")

    with pytest.raises(AuthExpired) as raised:
        network.publish(outgoing_for(account, text="Alerte."), account=account, key="k")

    assert raised.value.status == 401
    assert raised.value.body["serviceErrorCode"] == 65601


# -- the first comment, and resuming ---------------------------------------------------------


def test_the_first_comment_is_posted_under_the_post_as_a_part(sandbox, network, account):
    variant = post_with_variant(account, text="Budget participatif.", first_comment="Votez ici !")
    seen = []

    ref = network.publish(outgoing(variant), account=variant.account, key="k", on_part=seen.append)

    [comment] = sandbox.requests_to("linkedin", method="POST", path="/rest/socialActions/")
    assert comment.path == f"/linkedin/rest/socialActions/{ref.id}/comments"
    assert comment.json == {"actor": ORG, "object": ref.id, "message": {"text": "Votez ici !"}}
    assert ref.parts == (comment.response["commentUrn"],)
    assert seen == [ref.id, *ref.parts]


def test_resuming_after_the_post_only_sends_the_first_comment(sandbox, network, account):
    variant = post_with_variant(account, text="Budget participatif.", first_comment="Votez ici !")
    post_urn = network.publish(outgoing_for(account, text="Autre."), account=account, key="x").id
    sandbox.received.clear()
    seen = []

    ref = network.publish(
        outgoing(variant),
        account=variant.account,
        key="k",
        done_parts=(post_urn,),
        on_part=seen.append,
    )

    assert created_posts(sandbox) == []
    assert len(sandbox.requests_to("linkedin", method="POST", path="/rest/socialActions/")) == 1
    assert ref.id == post_urn
    assert seen == list(ref.parts)


def test_resuming_after_everything_sends_nothing(sandbox, network, account):
    variant = post_with_variant(account, text="Budget participatif.", first_comment="Votez ici !")

    ref = network.publish(
        outgoing(variant),
        account=variant.account,
        key="k",
        done_parts=("urn:li:share:1", "urn:li:comment:(urn:li:share:1,2)"),
    )

    assert sandbox.received == []
    assert ref.parts == ("urn:li:comment:(urn:li:share:1,2)",)


# -- after publishing -----------------------------------------------------------------------


def test_delete_removes_the_post_and_tolerates_it_being_gone(sandbox, network, account):
    ref = network.publish(outgoing_for(account, text="Erreur de date."), account=account, key="k")

    network.delete(ref, account=account)
    network.delete(ref, account=account)

    assert sandbox.bucket("linkedin", "posts") == {}
    [first, _second] = sandbox.requests_to("linkedin", method="DELETE")
    assert first.path == f"/linkedin/rest/posts/{ref.id}"


def citizen_comments(sandbox, post_urn, text, author="urn:li:person:citoyen1"):
    answer = requests.post(
        f"{sandbox.url}/_sandbox/linkedin/comments",
        json={"post_urn": post_urn, "text": text, "author": author},
        timeout=5,
    )
    assert answer.status_code == 201
    return answer.json()["comment"]


def test_replies_are_fetched_answered_and_cannot_be_hidden(sandbox, network, account):
    ref = network.publish(
        outgoing_for(account, text="Travaux rue Haute."), account=account, key="k"
    )
    comment = citizen_comments(sandbox, ref.id, "Jusqu'à quand ?")

    [inbound] = network.fetch_replies(account, since=datetime.now(UTC) - timedelta(hours=1))
    answer = network.reply(inbound, "Jusqu'au 30 juin.", account=account)

    assert (inbound.remote_id, inbound.kind, inbound.text) == (
        comment["commentUrn"],
        "comment",
        "Jusqu'à quand ?",
    )
    assert inbound.author_id == "urn:li:person:citoyen1"
    assert inbound.in_reply_to == ref.id
    [sent] = sandbox.requests_to(
        "linkedin", method="POST", path=f"/rest/socialActions/{comment['commentUrn']}"
    )
    assert sent.json == {
        "actor": ORG,
        "object": ref.id,
        "message": {"text": "Jusqu'au 30 juin."},
        "parentComment": comment["commentUrn"],
    }
    assert answer.id == sent.response["commentUrn"]
    # The page's own answer is not an inbound message; nothing older than `since` either.
    assert [i.remote_id for i in network.fetch_replies(account, since=None)] == [inbound.remote_id]
    assert network.fetch_replies(account, since=inbound.created_at) == []
    with pytest.raises(Rejected) as raised:
        network.hide(inbound, account=account)
    assert "LinkedIn" in raised.value.message


def test_metrics_read_the_share_statistics(sandbox, network, account):
    ref = network.publish(outgoing_for(account, text="Collecte de sang."), account=account, key="k")
    citizen_comments(sandbox, ref.id, "J'y serai.")

    metrics = network.metrics(ref, account=account)

    assert metrics.comments == 1
    assert metrics.impressions == 0
    [asked] = sandbox.requests_to("linkedin", path="organizationalEntityShareStatistics")
    assert asked.query["q"] == "organizationalEntity"
    assert asked.query["organizationalEntity"] == ORG
    assert asked.query["shares"] == f"List({ref.id})"


def test_a_malformed_comment_is_skipped_and_logged_and_the_others_kept(
    sandbox, network, account, caplog
):
    ref = network.publish(
        outgoing_for(account, text="Travaux rue Haute."), account=account, key="k"
    )
    first = citizen_comments(sandbox, ref.id, "Jusqu'à quand ?")
    second = citizen_comments(sandbox, ref.id, "Merci.", author="urn:li:person:citoyen2")
    comments = sandbox.bucket("linkedin", "comments")
    # LinkedIn answers one more comment among the others, without its author.
    broken = {**comments[first["commentUrn"]], "id": "999"}
    broken["commentUrn"] = broken["$URN"] = f"urn:li:comment:({ref.id},999)"
    del broken["actor"]
    comments[broken["commentUrn"]] = broken

    with caplog.at_level("WARNING", logger="networks.linkedin"):
        found = network.fetch_replies(account, since=None)

    assert [i.remote_id for i in found] == [first["commentUrn"], second["commentUrn"]]
    [line] = [r for r in caplog.records if r.name == "networks.linkedin"]
    assert line.getMessage().startswith("linkedin: skipped a comment without actor")
    assert "Jusqu" not in line.getMessage()


def test_find_recent_recognises_a_post_that_was_sent(sandbox, network, account):
    ref = network.publish(outgoing_for(account, text=RESERVED_TEXT), account=account, key="k")
    since = datetime.now(UTC) - timedelta(minutes=5)

    found = network.find_recent(account, text=RESERVED_TEXT, since=since)

    assert found is not None and found.id == ref.id
    assert network.find_recent(account, text="Autre chose", since=since) is None
    [listed, *_] = sandbox.requests_to("linkedin", method="GET", path="/linkedin/rest/posts")
    assert listed.query["q"] == "author" and listed.query["author"] == ORG


# -- OAuth ----------------------------------------------------------------------------------


def test_oauth_consent_then_connect_gives_one_grant_per_organization(sandbox, network):
    url = network.authorization_url(
        redirect_uri="https://crieur.example/comptes/linkedin/retour",
        state="etat-123",
        code_challenge="ignored",
    )
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{sandbox.url}/linkedin/oauth/v2/authorization?")
    assert query["response_type"] == ["code"]
    assert query["scope"] == ["r_organization_admin w_organization_social r_organization_social"]

    consent = requests.get(url, timeout=5)
    assert consent.status_code == 200 and "Autoriser" in consent.text
    back = requests.post(
        url.split("?")[0],
        data={k: v[0] for k, v in query.items() if k != "response_type"},
        allow_redirects=False,
        timeout=5,
    )
    assert back.status_code == 302
    returned = parse_qs(urlsplit(back.headers["Location"]).query)
    assert returned["state"] == ["etat-123"]

    grants = network.connect(
        code=returned["code"][0],
        redirect_uri="https://crieur.example/comptes/linkedin/retour",
        code_verifier="",
    )

    assert [(g.network, g.remote_id, g.display_name, g.handle) for g in grants] == [
        ("linkedin", "urn:li:organization:2414183", "Ville de Bourg-sur-Lac", "bourg-sur-lac"),
        ("linkedin", "urn:li:organization:5120448", "Métropole du Lac", "metropole-du-lac"),
    ]
    # The granted scopes are kept too, as for X: they say what the token may do.
    assert set(grants[0].credentials) == {"access_token", "refresh_token", "scope"}
    expected_expiry = datetime.now(UTC) + timedelta(days=60)
    assert abs(grants[0].token_expires_at - expected_expiry) < timedelta(minutes=1)
    [exchange] = sandbox.requests_to("linkedin", path="/oauth/v2/accessToken")
    assert exchange.form["grant_type"] == "authorization_code"
    assert exchange.form["client_id"] == "sandbox-linkedin-client"
    [acls] = sandbox.requests_to("linkedin", path="/rest/organizationAcls")
    assert acls.query == {"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"}
    assert acls.headers["linkedin-version"] == "202510"
    assert acls.headers["authorization"] == f"Bearer {grants[0].credentials['access_token']}"

    account = SocialAccountFactory(
        network="linkedin", remote_id=grants[0].remote_id, credentials=grants[0].credentials
    )
    renewed = network.refresh(account)

    assert renewed.remote_id == grants[0].remote_id
    assert renewed.credentials["access_token"] != grants[0].credentials["access_token"]
    assert renewed.token_expires_at is not None
    with pytest.raises(AuthExpired):
        network.refresh(account)  # the old refresh token was spent


def test_a_wrong_code_is_refused_in_words(sandbox, network):
    with pytest.raises(Rejected) as raised:
        network.connect(code="nope", redirect_uri="https://crieur.example/r", code_verifier="")

    assert raised.value.status == 400


# -- webhooks -------------------------------------------------------------------------------


def test_a_signed_comment_notification_verifies_and_parses(sandbox, network, account):
    ref = network.publish(outgoing_for(account, text="Marché de Noël."), account=account, key="k")
    comment = citizen_comments(sandbox, ref.id, "Quels horaires ?")
    [sent] = sandbox.webhooks_sent
    body = sandbox.webhook_body(sent["payload"])
    good = hmac.new(b"sandbox-linkedin-secret", b"hmacsha256=" + body, "sha256").hexdigest()
    bad = hmac.new(b"another-secret", b"hmacsha256=" + body, "sha256").hexdigest()

    assert network.verify_webhook(body, {"X-LI-Signature": good})
    assert not network.verify_webhook(body, {"X-LI-Signature": bad})
    assert not network.verify_webhook(body + b" ", {"X-LI-Signature": good})
    assert not network.verify_webhook(body, {})
    [inbound] = network.parse_webhook(json.loads(body))
    assert isinstance(inbound, Inbound)
    assert (inbound.kind, inbound.remote_id, inbound.text, inbound.in_reply_to) == (
        "comment",
        comment["commentUrn"],
        "Quels horaires ?",
        ref.id,
    )
    assert inbound.author_id == "urn:li:person:citoyen1"


def test_a_reference_without_a_token_asks_for_reconnection(network):
    account = SocialAccountFactory(network="linkedin", remote_id=ORG, credentials={})

    with pytest.raises(AuthExpired):
        network.delete(RemoteRef(network="linkedin", id="urn:li:share:1"), account=account)
