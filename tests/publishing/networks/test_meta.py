"""Facebook Pages and Instagram through facebook-business, against the sandbox's Graph API."""

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from publishing import networks
from publishing.networks.base import (
    AuthExpired,
    Duplicate,
    RateLimited,
    Rejected,
    Transient,
    Unconfirmed,
)
from tests.factories import SocialAccountFactory, post_with_variant

pytestmark = pytest.mark.django_db

facebook = networks.get("facebook")
instagram = networks.get("instagram")


def containers_created(sandbox):
    posts = sandbox.requests_to("instagram", method="POST", path="/178401/media")
    return [r for r in posts if r.path.endswith("/media")]


@pytest.fixture
def page():
    return SocialAccountFactory(network="facebook", remote_id="104001")


@pytest.fixture
def ig_user():
    return SocialAccountFactory(network="instagram", remote_id="178401")


def test_a_text_post_goes_to_the_page_feed_with_the_page_token(sandbox, page):
    variant = post_with_variant(page, text="Conseil municipal ce soir à 19 h. #Démocratie")

    ref = facebook.publish(variant, key="k1")

    (request,) = sandbox.requests_to("facebook", method="POST")
    assert request.path == "/graph/v24.0/104001/feed"
    assert request.form["message"] == "Conseil municipal ce soir à 19 h. #Démocratie"
    assert request.query["access_token"] == page.credentials["access_token"]
    assert ref.id.startswith("104001_")


def test_photos_go_unpublished_with_their_alt_text_then_attach_to_one_post(sandbox, page):
    variant = post_with_variant(page, images=2, alt_text="La place du marché")

    ref = facebook.publish(variant, key="k1")

    photos = sandbox.requests_to("facebook", method="POST", path="/photos")
    assert [p.form["alt_text_custom"] for p in photos] == [
        "La place du marché (1)",
        "La place du marché (2)",
    ]
    assert all(p.form["published"] == "false" for p in photos)
    assert all(p.form["url"].startswith("http://testserver/") for p in photos)
    (feed,) = sandbox.requests_to("facebook", method="POST", path="/feed")
    ids = [p.response["id"] for p in photos]
    assert [json.loads(feed.form[f"attached_media[{i}]"]) for i in range(2)] == [
        {"media_fbid": ids[0]},
        {"media_fbid": ids[1]},
    ]
    assert ref.id == feed.response["id"]


def test_the_graph_version_comes_from_the_settings(sandbox, page, settings):
    settings.CRIEUR_GRAPH_API_VERSION = "v99.0"

    facebook.publish(post_with_variant(page), key="k1")

    assert sandbox.requests_to("facebook", method="POST")[0].path == "/graph/v99.0/104001/feed"


def test_a_first_comment_is_resumed_without_posting_the_post_again(sandbox, page):
    variant = post_with_variant(page, first_comment="Toutes les infos : bourg-sur-lac.fr")
    sent = []

    first = facebook.publish(variant, key="k1", on_part=sent.append)
    sandbox.reset()
    again = facebook.publish(variant, key="k1", done_parts=(first.id,))

    assert sent == [first.id, first.parts[0]]
    assert sandbox.requests_to("facebook", path="/feed") == []
    (comment,) = sandbox.requests_to("facebook", method="POST")
    assert comment.path.endswith(f"/{first.id}/comments")
    assert again.id == first.id


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
        facebook.publish(post_with_variant(page), key="k1")

    if fault == "rate_limited":
        assert raised.value.reset_at > datetime.now(UTC)


def test_the_same_message_twice_is_a_duplicate(sandbox, page):
    facebook.publish(post_with_variant(page, text="Même texte"), key="k1")

    with pytest.raises(Duplicate):
        facebook.publish(post_with_variant(page, text="Même texte"), key="k2")


def test_an_instagram_image_goes_through_a_container_then_media_publish(sandbox, ig_user):
    variant = post_with_variant(ig_user, text="Le lac ce matin #BourgSurLac", images=1)

    ref = instagram.publish(variant, key="k1")

    (container,) = containers_created(sandbox)
    assert container.form["caption"] == "Le lac ce matin #BourgSurLac"
    assert container.form["alt_text"] == "Affiche de la réunion publique, fond bleu. (1)"
    assert container.form["image_url"].endswith(".jpg")
    status = sandbox.requests_to("instagram", method="GET", path=container.response["id"])
    assert status and status[0].query["fields"] == "status_code,status"
    (publish,) = sandbox.requests_to("instagram", path="media_publish")
    assert publish.form["creation_id"] == container.response["id"]
    assert ref.id == publish.response["id"]


def test_an_image_too_tall_for_instagram_is_cropped_to_4_5(sandbox, ig_user):
    variant = post_with_variant(ig_user, images=1, image_size=(600, 1200))

    instagram.publish(variant, key="k1")

    (container,) = containers_created(sandbox)
    assert container.form["image_url"].endswith(".jpg")
    assert "fill-600x750" in container.form["image_url"]


def test_a_carousel_creates_its_children_then_the_parent(sandbox, ig_user):
    variant = post_with_variant(ig_user, images=3, format="carousel")

    instagram.publish(variant, key="k1")

    containers = containers_created(sandbox)
    children, parent = containers[:3], containers[3]
    assert all(c.form["is_carousel_item"] == "true" for c in children)
    assert parent.form["media_type"] == "CAROUSEL"
    assert parent.form["children"] == ",".join(c.response["id"] for c in children)


@pytest.mark.parametrize(
    ("fault", "error"), [("instagram_in_progress", Transient), ("instagram_error", Rejected)]
)
def test_a_container_that_does_not_finish_is_never_published(sandbox, ig_user, fault, error):
    sandbox.inject("instagram", fault, path="/media")

    with pytest.raises(error):
        instagram.publish(post_with_variant(ig_user, images=1), key="k1")

    assert sandbox.requests_to("instagram", path="media_publish") == []


def test_a_used_up_quota_stops_before_any_container(sandbox, ig_user):
    sandbox.bucket("graph", "objects")["178401"] = {
        "id": "178401",
        "owner": "instagram",
        "published_at": [datetime.now(UTC).timestamp()] * 50,
    }

    with pytest.raises(RateLimited) as raised:
        instagram.publish(post_with_variant(ig_user, images=1), key="k1")

    assert raised.value.reset_at > datetime.now(UTC)
    assert sandbox.requests_to("instagram", method="POST") == []


def test_instagram_without_an_image_is_rejected_before_any_call(sandbox, ig_user):
    with pytest.raises(Rejected):
        instagram.publish(post_with_variant(ig_user), key="k1")


@pytest.mark.parametrize("fault", ["server_error", "expired_token", "rate_limited"])
def test_instagram_faults_are_typed_too(sandbox, ig_user, fault):
    sandbox.inject("instagram", fault)
    expected = {
        "server_error": Transient,
        "expired_token": AuthExpired,
        "rate_limited": RateLimited,
    }

    with pytest.raises(expected[fault]):
        instagram.publish(post_with_variant(ig_user, images=1), key="k1")


def test_a_citizen_comment_arrives_as_a_signed_webhook_and_parses(sandbox, page):
    ref = facebook.publish(post_with_variant(page), key="k1")
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
                            "comment_id": f"{ref.id}_9",
                            "post_id": ref.id,
                            "parent_id": ref.id,
                            "message": "Et le stationnement ?",
                            "from": {"id": "42", "name": "Jeanne"},
                            "created_time": 1767225600,
                        },
                    }
                ],
            }
        ],
    }
    body = json.dumps(payload).encode()
    good = "sha256=" + hmac.new(b"sandbox-meta-secret", body, hashlib.sha256).hexdigest()

    assert facebook.verify_webhook(body, {"X-Hub-Signature-256": good})
    assert not facebook.verify_webhook(body, {"X-Hub-Signature-256": "sha256=" + "0" * 64})
    (comment,) = facebook.parse_webhook(payload)
    assert (comment.kind, comment.text, comment.in_reply_to) == (
        "comment",
        "Et le stationnement ?",
        ref.id,
    )


def test_comments_are_fetched_replied_to_and_hidden(sandbox, page):
    ref = facebook.publish(post_with_variant(page), key="k1")
    sandbox.bucket("graph", "objects")[f"{ref.id}_7"] = {
        "id": f"{ref.id}_7",
        "owner": "facebook",
        "kind": "comment",
        "parent": ref.id,
        "message": "Merci !",
        "from": {"id": "5", "name": "Paul"},
    }

    (comment,) = facebook.fetch_replies(page, None)
    answer = facebook.reply(comment, "Avec plaisir.", account=page)
    facebook.hide(comment, account=page)

    assert comment.text == "Merci !"
    assert answer.id
    assert sandbox.bucket("graph", "objects")[comment.remote_id]["is_hidden"] is True
