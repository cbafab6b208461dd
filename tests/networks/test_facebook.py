"""Facebook Pages through facebook-business against the sandbox's Graph API: what the Page
receives, Graph errors as typed errors, resume, comments, Meta's OAuth and webhooks."""

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.files.base import ContentFile
from facebook_business.exceptions import FacebookRequestError
from wagtail.documents.models import Document

import networks
from cms.adaptation import outgoing
from networks import meta
from networks.base import (
    AuthExpired,
    Duplicate,
    RateLimited,
    Rejected,
    Transient,
    Unconfirmed,
)
from tests.factories import SocialAccountFactory, outgoing_for, post_with_variant

pytestmark = pytest.mark.django_db

facebook = networks.get("facebook")
SECRET = "sandbox-meta-secret"  # the sandbox's app secret (tests/conftest.py)


@pytest.fixture
def page():
    return SocialAccountFactory(network="facebook", remote_id="104001")


def proof(token: str) -> str:
    return hmac.new(SECRET.encode(), token.encode(), hashlib.sha256).hexdigest()


def signature(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# -- publishing ------------------------------------------------------------------------------


def test_a_text_post_goes_to_the_page_feed_signed_with_the_page_token(sandbox, page):
    variant = post_with_variant(page, text="Conseil municipal ce soir à 19 h. #Démocratie")

    ref = facebook.publish(outgoing(variant), account=variant.account, key="k1")

    (request,) = sandbox.requests_to("facebook", method="POST")
    assert request.path == "/graph/v24.0/104001/feed"
    assert request.form == {"message": "Conseil municipal ce soir à 19 h. #Démocratie"}
    token = page.credentials["access_token"]
    assert request.query == {"access_token": token, "appsecret_proof": proof(token)}
    assert ref.id == request.response["id"] and ref.id.startswith("104001_")
    assert ref.url == f"https://www.facebook.com/{ref.id}"


def test_a_post_with_a_link_sends_it_as_the_link_preview(sandbox, page):
    variant = post_with_variant(page, text="Le programme de la fête du lac.")
    variant.post.link = "https://bourg-sur-lac.fr/fete"
    variant.post.save()

    facebook.publish(outgoing(variant), account=variant.account, key="k1")

    (feed,) = sandbox.requests_to("facebook", method="POST", path="/feed")
    assert feed.form == {
        "message": "Le programme de la fête du lac.",
        "link": "https://bourg-sur-lac.fr/fete",
    }


def test_photos_go_unpublished_with_their_alt_text_then_attach_to_one_post(sandbox, page):
    variant = post_with_variant(page, images=2, alt_text="La place du marché")

    ref = facebook.publish(outgoing(variant), account=variant.account, key="k1")

    photos = sandbox.requests_to("facebook", method="POST", path="/photos")
    assert [p.path for p in photos] == ["/graph/v24.0/104001/photos"] * 2
    assert [p.form["alt_text_custom"] for p in photos] == [
        "La place du marché (1)",
        "La place du marché (2)",
    ]
    assert [p.form["published"] for p in photos] == ["false", "false"]
    assert all(p.form["url"].startswith("http://testserver/") for p in photos)
    (feed,) = sandbox.requests_to("facebook", method="POST", path="/feed")
    ids = [p.response["id"] for p in photos]
    assert feed.form["message"] == variant.post.text
    assert [json.loads(feed.form[f"attached_media[{i}]"]) for i in range(2)] == [
        {"media_fbid": ids[0]},
        {"media_fbid": ids[1]},
    ]
    assert ref.id == feed.response["id"]


def test_a_single_photo_also_carries_its_alt_text(sandbox, page):
    variant = post_with_variant(page, images=1, alt_text="Le lac au lever du jour")

    facebook.publish(outgoing(variant), account=variant.account, key="k1")

    (photo,) = sandbox.requests_to("facebook", method="POST", path="/photos")
    assert photo.form["alt_text_custom"] == "Le lac au lever du jour (1)"
    (feed,) = sandbox.requests_to("facebook", method="POST", path="/feed")
    assert json.loads(feed.form["attached_media[0]"]) == {"media_fbid": photo.response["id"]}


def test_a_video_is_sent_by_its_address_with_the_text_as_description(sandbox, page):
    document = Document.objects.create(title="Vidéo", file=ContentFile(b"\0" * 64, name="lac.mp4"))
    variant = post_with_variant(page, text="La fête du lac en vidéo.", document=document)

    ref = facebook.publish(outgoing(variant), account=variant.account, key="k1")

    (video,) = sandbox.requests_to("facebook", method="POST")
    assert video.path == "/graph/v24.0/104001/videos"
    assert video.form["description"] == "La fête du lac en vidéo."
    assert video.form["file_url"].endswith(".mp4")
    assert ref.id == video.response["id"]


def test_the_graph_version_comes_from_the_settings(sandbox, page, settings):
    settings.CRIEUR_GRAPH_API_VERSION = "v99.0"

    facebook.publish(outgoing_for(page), account=page, key="k1")

    (request,) = sandbox.requests_to("facebook", method="POST")
    assert request.path == "/graph/v99.0/104001/feed"


def test_the_first_comment_follows_the_post_and_each_part_is_reported(sandbox, page):
    variant = post_with_variant(page, first_comment="Toutes les infos : bourg-sur-lac.fr")
    sent = []

    ref = facebook.publish(
        outgoing(variant), account=variant.account, key="k1", on_part=sent.append
    )

    feed, comment = sandbox.requests_to("facebook", method="POST")
    assert comment.path == f"/graph/v24.0/{ref.id}/comments"
    assert comment.form == {"message": "Toutes les infos : bourg-sur-lac.fr"}
    assert sent == [feed.response["id"], comment.response["id"]]
    assert ref.parts == (comment.response["id"],)


def test_a_resumed_publication_posts_only_what_is_missing(sandbox, page):
    variant = post_with_variant(page, first_comment="Toutes les infos : bourg-sur-lac.fr")
    sandbox.inject("facebook", "server_error", path="/comments")
    sent = []
    with pytest.raises(Transient):
        facebook.publish(outgoing(variant), account=variant.account, key="k1", on_part=sent.append)

    ref = facebook.publish(
        outgoing(variant),
        account=variant.account,
        key="k1",
        done_parts=tuple(sent),
        on_part=sent.append,
    )

    assert len(sandbox.requests_to("facebook", path="/feed")) == 1
    assert len(sandbox.requests_to("facebook", method="POST", path="/comments")) == 1
    assert ref.id == sent[0] and ref.parts == (sent[1],)


def test_a_publication_with_every_part_done_sends_nothing(sandbox, page):
    variant = post_with_variant(page, first_comment="Infos")

    ref = facebook.publish(
        outgoing(variant), account=variant.account, key="k1", done_parts=("104001_1", "1_2")
    )

    assert sandbox.received == []
    assert (ref.id, ref.parts) == ("104001_1", ("1_2",))


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("server_error", Transient),
        ("timeout", Unconfirmed),
        ("rate_limited", RateLimited),
        ("expired_token", AuthExpired),
        ("duplicate", Duplicate),
    ],
)
def test_each_graph_fault_is_a_typed_error(sandbox, page, fault, error):
    sandbox.inject("facebook", fault)

    with pytest.raises(error) as raised:
        facebook.publish(outgoing_for(page), account=page, key="k1")

    assert raised.value.network == "facebook"
    if fault == "rate_limited":  # 7 minutes in X-Business-Use-Case-Usage
        expected = datetime.now(UTC) + timedelta(minutes=7)
        assert abs((raised.value.reset_at - expected).total_seconds()) < 30


def test_no_answer_to_an_unpublished_photo_is_only_transient(sandbox, page):
    sandbox.inject("facebook", "timeout", path="/photos")

    with pytest.raises(Transient):
        facebook.publish(outgoing_for(page, images=1), account=page, key="k1")

    assert sandbox.requests_to("facebook", path="/feed") == []


def test_a_duplicate_points_at_the_post_already_there(sandbox, page):
    first = facebook.publish(outgoing_for(page, text="Même texte"), account=page, key="k1")

    with pytest.raises(Duplicate) as raised:
        facebook.publish(outgoing_for(page, text="Même texte"), account=page, key="k2")

    assert raised.value.ref.id == first.id


def graph_failure(status, error, headers=None):
    return FacebookRequestError(
        "Call was not successful",
        {"method": "POST", "path": "/feed"},
        status,
        headers or {},
        json.dumps({"error": error}),
    )


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (400, {"code": 190, "message": "Invalid OAuth access token."}, AuthExpired),
        (400, {"code": 102, "message": "Session key invalid"}, AuthExpired),
        (400, {"code": 100, "error_subcode": 467, "message": "Invalid token"}, AuthExpired),
        (400, {"code": 17, "message": "User request limit reached"}, RateLimited),
        (400, {"code": 613, "message": "Calls within one hour"}, RateLimited),
        (400, {"code": 80001, "message": "Page rate limit"}, RateLimited),
        (429, {"code": 999, "message": "Too many calls"}, RateLimited),
        (400, {"code": 506, "message": "Duplicate status message"}, Duplicate),
        (400, {"code": 1, "message": "An unknown error occurred"}, Transient),
        (503, {"code": 999, "message": "Service unavailable"}, Transient),
        (400, {"code": 100, "message": "Invalid parameter"}, Rejected),
        (403, {"code": 200, "message": "Permissions error"}, Rejected),
        (400, {"code": 368, "message": "Blocked as abusive"}, Rejected),
        (400, {"code": 9004, "message": "Media could not be fetched"}, Rejected),
    ],
)
def test_graph_codes_map_to_typed_errors(status, error, expected):
    typed = meta.typed_error(graph_failure(status, error), "facebook")

    assert type(typed) is expected
    assert typed.status == status


def test_a_refusal_keeps_metas_reason_and_says_what_to_change():
    typed = meta.typed_error(graph_failure(400, {"code": 368, "message": "Blocked"}), "facebook")

    assert isinstance(typed, Rejected)
    assert "(Blocked)" in typed.message and "modifiez le texte" in typed.message


def test_the_reset_time_comes_from_the_app_usage_header_too():
    usage = json.dumps({"call_count": 100, "estimated_time_to_regain_access": 30})

    typed = meta.typed_error(
        graph_failure(400, {"code": 4, "message": "limit"}, {"X-App-Usage": usage}), "facebook"
    )

    expected = datetime.now(UTC) + timedelta(minutes=30)
    assert abs((typed.reset_at - expected).total_seconds()) < 30


def test_an_account_without_a_token_must_be_reconnected_before_any_call(sandbox):
    page = SocialAccountFactory(network="facebook", remote_id="104001", credentials={})

    with pytest.raises(AuthExpired):
        facebook.publish(outgoing_for(page), account=page, key="k1")

    assert sandbox.received == []


# -- comments, metrics, reconciliation, deletion ---------------------------------------------


def citizen_comment(sandbox, object_id, text, author="Jeanne Dupont"):
    answer = requests.post(
        f"{sandbox.url}/_sandbox/meta/comments",
        json={"object_id": object_id, "text": text, "author": author},
        timeout=5,
    )
    assert answer.status_code == 201
    return answer.json()["id"]


def test_comments_are_fetched_replied_to_and_hidden(sandbox, page):
    ref = facebook.publish(outgoing_for(page), account=page, key="k1")
    comment_id = citizen_comment(sandbox, ref.id, "Et le stationnement ?")

    (comment,) = facebook.fetch_replies(page, datetime.now(UTC) - timedelta(minutes=5))
    answer = facebook.reply(comment, "Le parking de la gare sera gratuit.", account=page)
    facebook.hide(comment, account=page)

    assert (comment.remote_id, comment.kind, comment.text) == (
        comment_id,
        "comment",
        "Et le stationnement ?",
    )
    assert comment.author_name == "Jeanne Dupont" and comment.in_reply_to == ref.id
    (sent,) = sandbox.requests_to("facebook", method="POST", path=f"/{comment_id}/comments")
    assert sent.form == {"message": "Le parking de la gare sera gratuit."}
    assert answer.id == sent.response["id"]
    (hidden,) = [
        r
        for r in sandbox.requests_to("facebook", method="POST")
        if r.path == f"/graph/v24.0/{comment_id}"
    ]
    assert hidden.form == {"is_hidden": "true"}
    assert sandbox.bucket("graph", "objects")[comment_id]["is_hidden"] is True
    assert facebook.fetch_replies(page, None) == [comment]  # the Page's reply is not inbound


def test_comments_older_than_since_are_left_out(sandbox, page):
    ref = facebook.publish(outgoing_for(page), account=page, key="k1")
    citizen_comment(sandbox, ref.id, "Merci !")

    assert facebook.fetch_replies(page, datetime.now(UTC) + timedelta(minutes=1)) == []


def test_metrics_read_reactions_comments_and_shares(sandbox, page):
    ref = facebook.publish(outgoing_for(page), account=page, key="k1")
    sandbox.bucket("graph", "objects")[ref.id].update(reaction_count=12, share_count=3)
    citizen_comment(sandbox, ref.id, "Bravo")

    metrics = facebook.metrics(ref, account=page)

    assert (metrics.reactions, metrics.comments, metrics.shares) == (12, 1, 3)
    (request,) = sandbox.requests_to("facebook", method="GET", path=f"/{ref.id}")
    assert "reactions.summary(total_count)" in request.query["fields"]


def test_find_recent_recognises_a_post_by_its_text(sandbox, page):
    ref = facebook.publish(outgoing_for(page, text="Travaux rue Haute."), account=page, key="k1")
    hour_ago = datetime.now(UTC) - timedelta(hours=1)

    found = facebook.find_recent(page, text="Travaux rue Haute.", since=hour_ago)
    other = facebook.find_recent(page, text="Autre chose", since=hour_ago)

    assert found.id == ref.id and other is None
    (request, _other) = sandbox.requests_to("facebook", path="/published_posts")
    assert int(request.query["since"]) == int(hour_ago.timestamp())


def test_a_deleted_post_is_gone(sandbox, page):
    ref = facebook.publish(outgoing_for(page), account=page, key="k1")

    facebook.delete(ref, account=page)

    (request,) = sandbox.requests_to("facebook", method="DELETE")
    assert request.path == f"/graph/v24.0/{ref.id}"
    with pytest.raises(Rejected):
        facebook.metrics(ref, account=page)


# -- Meta OAuth ----------------------------------------------------------------------------------


def consent(url: str) -> dict:
    """Open the consent page, press « Autoriser »; the query Crieur is sent back with."""
    page = requests.get(url, timeout=5)
    assert page.status_code == 200 and "Autoriser" in page.text
    fields = dict(parse_qs(urlsplit(url).query, keep_blank_values=True))
    answer = requests.post(
        url.split("?")[0],
        data={k: v[0] for k, v in fields.items()},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert location.path == "/callback"
    return {k: v[0] for k, v in parse_qs(location.query).items()}


VERIFIER = "v" * 64
CHALLENGE = "w1TpKUdYE9hUAcNSeeSRFioHDxfUxuHho_JHAfZ_vDM"  # S256 of VERIFIER, unpadded


def test_meta_oauth_gives_a_grant_per_page_and_per_instagram_account(sandbox):
    url = facebook.authorization_url(
        redirect_uri="https://crieur.example/callback", state="s1", code_challenge=CHALLENGE
    )
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{sandbox.url}/graph/oauth?")
    assert query["scope"] == [meta.SCOPES] and query["code_challenge_method"] == ["S256"]
    back = consent(url)
    assert back["state"] == "s1"

    grants = facebook.connect(
        code=back["code"], redirect_uri="https://crieur.example/callback", code_verifier=VERIFIER
    )

    short, long = sandbox.requests_to("facebook", path="/oauth/access_token")
    assert short.path == "/graph/v24.0/oauth/access_token"
    assert short.query["code_verifier"] == VERIFIER and short.query["code"] == back["code"]
    assert short.query["client_secret"] == SECRET
    assert long.query["grant_type"] == "fb_exchange_token"
    assert long.query["fb_exchange_token"] == short.response["access_token"]
    (accounts,) = sandbox.requests_to("facebook", path="/me/accounts")
    assert accounts.query["access_token"] == long.response["access_token"]
    assert [(g.network, g.remote_id) for g in grants] == [
        ("facebook", "104001"),
        ("instagram", "178401"),
        ("facebook", "104002"),
    ]
    pages = {p["id"]: p for p in accounts.response["data"]}
    town, instagram, library = grants
    assert town.display_name == "Ville de Bourg-sur-Lac"
    assert town.credentials["access_token"] == pages["104001"]["access_token"]
    assert instagram.handle == "bourgsurlac"
    assert instagram.credentials["access_token"] == pages["104001"]["access_token"]
    assert library.credentials["access_token"] == pages["104002"]["access_token"]
    assert town.token_expires_at > datetime.now(UTC) + timedelta(days=59)


def test_a_code_is_refused_with_the_wrong_verifier(sandbox):
    url = facebook.authorization_url(
        redirect_uri="https://crieur.example/callback", state="s1", code_challenge=CHALLENGE
    )
    back = consent(url)

    with pytest.raises(AuthExpired):
        facebook.connect(
            code=back["code"], redirect_uri="https://crieur.example/callback", code_verifier="x"
        )


def test_a_refresh_exchanges_the_user_token_and_reads_the_page_token_again(sandbox):
    page = SocialAccountFactory(
        network="facebook",
        remote_id="104001",
        credentials={"access_token": "old-page", "user_access_token": "old-user"},
    )

    grant = facebook.refresh(page)

    (exchange,) = sandbox.requests_to("facebook", path="/oauth/access_token")
    assert exchange.query["fb_exchange_token"] == "old-user"
    assert grant.credentials["user_access_token"] == exchange.response["access_token"]
    assert grant.credentials["access_token"].startswith("sandbox-page-104001")
    assert grant.token_expires_at > datetime.now(UTC) + timedelta(days=59)


# -- webhooks ---------------------------------------------------------------------------------


@pytest.fixture
def webhook_receiver(sandbox):
    """A loopback receiver standing in for Crieur's webhook door: what the sandbox POSTs."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body, dict(self.headers)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sandbox.webhook_urls["meta"] = f"http://127.0.0.1:{server.server_port}/webhooks/meta/"
    yield received
    server.shutdown()
    server.server_close()


def test_a_citizen_comment_arrives_as_a_signed_webhook_that_parses(sandbox, page, webhook_receiver):
    ref = facebook.publish(outgoing_for(page), account=page, key="k1")

    comment_id = citizen_comment(sandbox, ref.id, "Et le stationnement ?", author="Jeanne")

    ((body, headers),) = webhook_receiver
    assert facebook.verify_webhook(body, headers)
    assert not facebook.verify_webhook(body + b" ", headers)
    (inbound,) = facebook.parse_webhook(json.loads(body))
    assert (inbound.network, inbound.remote_id, inbound.kind) == ("facebook", comment_id, "comment")
    assert (inbound.text, inbound.author_name, inbound.in_reply_to) == (
        "Et le stationnement ?",
        "Jeanne",
        ref.id,
    )


def test_a_webhook_signed_with_another_secret_or_unsigned_is_refused(sandbox):
    body = b'{"object": "page", "entry": []}'

    assert facebook.verify_webhook(body, {"X-Hub-Signature-256": signature(body)})
    assert not facebook.verify_webhook(body, {"X-Hub-Signature-256": signature(body, "guess")})
    assert not facebook.verify_webhook(body, {"X-Hub-Signature-256": "sha256=" + "0" * 64})
    assert not facebook.verify_webhook(body, {})


def test_a_reply_to_a_comment_and_the_pages_own_comments_parse_as_they_should():
    payload = {
        "object": "page",
        "entry": [
            {
                "id": "104001",
                "time": 1767225600,
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": "add",
                            "comment_id": "1_3",
                            "post_id": "104001_1",
                            "parent_id": "1_2",
                            "message": "Moi aussi",
                            "from": {"id": "42", "name": "Paul"},
                            "created_time": 1767225600,
                        },
                    },
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": "add",
                            "comment_id": "1_4",
                            "post_id": "104001_1",
                            "message": "Merci",
                            "from": {"id": "104001", "name": "Ville"},
                        },
                    },
                    {"field": "feed", "value": {"item": "reaction", "verb": "add"}},
                ],
            }
        ],
    }

    (reply,) = facebook.parse_webhook(payload)

    assert (reply.kind, reply.in_reply_to, reply.created_at) == (
        "reply",
        "1_2",
        datetime(2026, 1, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize("missing", ["id", "from"])
def test_a_malformed_comment_is_skipped_and_logged_and_the_others_kept(
    sandbox, page, caplog, missing
):
    ref = facebook.publish(outgoing_for(page), account=page, key="k1")
    first = citizen_comment(sandbox, ref.id, "Et le stationnement ?")
    second = citizen_comment(sandbox, ref.id, "Merci pour l'info.")
    objects = sandbox.bucket("graph", "objects")
    # Graph answers one more comment among the others, without its `missing` field.
    broken = {**objects[first], "id": f"{ref.id.split('_')[-1]}_999"}
    del broken[missing]
    objects["broken"] = broken

    with caplog.at_level("WARNING", logger="networks.meta"):
        found = facebook.fetch_replies(page, None)

    assert [item.remote_id for item in found] == [first, second]
    [line] = [r for r in caplog.records if r.name == "networks.meta"]
    assert line.getMessage().startswith("facebook: skipped a comment without")
    assert "stationnement" not in line.getMessage()  # its keys, not what was written
