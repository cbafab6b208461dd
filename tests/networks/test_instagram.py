"""Instagram through facebook-business against the sandbox's Graph API: containers, their
status, the publishing quota, media_publish, the first comment, typed errors, comments."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.core.files.base import ContentFile
from wagtail.documents.models import Document

import networks
from cms.adaptation import outgoing
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

instagram = networks.get("instagram")
USER = "178401"


@pytest.fixture
def ig_user():
    return SocialAccountFactory(
        network="instagram",
        remote_id=USER,
        credentials={"access_token": "sandbox-page-104001", "page_id": "104001"},
    )


def containers(sandbox):
    """The container creations, in order (with those a container fault applied to)."""
    return [
        r
        for r in sandbox.received
        if (r.network, r.method, r.path) == ("instagram", "POST", f"/graph/v24.0/{USER}/media")
    ]


def status_reads(sandbox, container_id):
    return [
        r
        for r in sandbox.requests_to("instagram", method="GET")
        if r.path == f"/graph/v24.0/{container_id}"
    ]


def video():
    return Document.objects.create(title="Vidéo", file=ContentFile(b"\0" * 64, name="lac.mp4"))


# -- publishing ------------------------------------------------------------------------------


def test_an_image_goes_through_a_container_then_media_publish(sandbox, ig_user):
    variant = post_with_variant(ig_user, text="Le lac ce matin #BourgSurLac", images=1)

    ref = instagram.publish(outgoing(variant), account=variant.account, key="k1")

    quota, container, status, publish, permalink = sandbox.received
    assert (quota.method, quota.path) == ("GET", f"/graph/v24.0/{USER}/content_publishing_limit")
    assert quota.query["fields"] == "quota_usage,config"
    assert (container.method, container.path) == ("POST", f"/graph/v24.0/{USER}/media")
    assert container.form["caption"] == "Le lac ce matin #BourgSurLac"
    assert container.form["alt_text"] == "Affiche de la réunion publique, fond bleu. (1)"
    assert container.form["image_url"].startswith("http://testserver/")
    assert container.form["image_url"].endswith(".jpg")
    assert "media_type" not in container.form
    assert container.query["access_token"] == "sandbox-page-104001"
    assert status.path == f"/graph/v24.0/{container.response['id']}"
    assert status.query["fields"] == "status_code,status"
    assert publish.path == f"/graph/v24.0/{USER}/media_publish"
    assert publish.form == {"creation_id": container.response["id"]}
    assert all(r.network == "instagram" for r in sandbox.received)
    assert ref.id == publish.response["id"]
    assert permalink.path == f"/graph/v24.0/{ref.id}"
    assert ref.url == permalink.response["permalink"]


def test_an_image_too_tall_for_instagram_is_cropped_to_4_5(sandbox, ig_user):
    variant = post_with_variant(ig_user, images=1, image_size=(600, 1200))

    instagram.publish(outgoing(variant), account=variant.account, key="k1")

    (container,) = containers(sandbox)
    assert "fill-600x750" in container.form["image_url"]
    assert container.form["image_url"].endswith(".jpg")


def test_a_carousel_creates_its_children_then_the_parent(sandbox, ig_user):
    variant = post_with_variant(ig_user, text="Trois vues du lac", images=3, format="carousel")

    ref = instagram.publish(outgoing(variant), account=variant.account, key="k1")

    *children, parent = containers(sandbox)
    assert len(children) == 3
    assert [c.form["is_carousel_item"] for c in children] == ["true"] * 3
    assert [c.form["alt_text"] for c in children] == [
        f"Affiche de la réunion publique, fond bleu. ({n})" for n in (1, 2, 3)
    ]
    assert all("caption" not in c.form for c in children)
    assert parent.form == {
        "media_type": "CAROUSEL",
        "caption": "Trois vues du lac",
        "children": ",".join(c.response["id"] for c in children),
    }
    (publish,) = sandbox.requests_to("instagram", path="/media_publish")
    assert publish.form["creation_id"] == parent.response["id"]
    assert ref.id == publish.response["id"]


def test_more_than_ten_images_are_refused_before_any_call(sandbox, ig_user):
    with pytest.raises(Rejected) as raised:
        instagram.publish(
            outgoing_for(ig_user, images=11, format="carousel"), account=ig_user, key="k1"
        )

    assert "10" in raised.value.message
    assert sandbox.received == []


def test_a_reel_sends_its_video_by_address(sandbox, ig_user):
    variant = post_with_variant(ig_user, text="La fête en vidéo", document=video(), format="reel")

    instagram.publish(outgoing(variant), account=variant.account, key="k1")

    (container,) = containers(sandbox)
    assert container.form["media_type"] == "REELS"
    assert container.form["video_url"].endswith(".mp4")
    assert container.form["caption"] == "La fête en vidéo"


def test_a_story_takes_the_image_without_caption(sandbox, ig_user):
    variant = post_with_variant(ig_user, images=1, format="story")

    instagram.publish(outgoing(variant), account=variant.account, key="k1")

    (container,) = containers(sandbox)
    assert container.form["media_type"] == "STORIES"
    assert container.form["image_url"].endswith(".jpg")
    assert "caption" not in container.form


def test_without_an_image_or_a_video_nothing_is_sent(sandbox, ig_user):
    with pytest.raises(Rejected):
        instagram.publish(outgoing_for(ig_user), account=ig_user, key="k1")

    assert sandbox.received == []


def test_the_graph_version_comes_from_the_settings(sandbox, ig_user, settings):
    settings.CRIEUR_GRAPH_API_VERSION = "v99.0"

    instagram.publish(outgoing_for(ig_user, images=1), account=ig_user, key="k1")

    assert {r.path.split("/")[2] for r in sandbox.received} == {"v99.0"}


# -- container status ----------------------------------------------------------------------------


def test_the_status_is_polled_until_finished(sandbox, ig_user):
    sandbox.inject("instagram", "instagram_slow", path="/media", method="POST")

    ref = instagram.publish(outgoing_for(ig_user, images=1), account=ig_user, key="k1")

    (container,) = containers(sandbox)
    reads = status_reads(sandbox, container.response["id"])
    assert [r.response["status_code"] for r in reads] == ["IN_PROGRESS", "IN_PROGRESS", "FINISHED"]
    assert ref.id == sandbox.requests_to("instagram", path="/media_publish")[0].response["id"]


@pytest.mark.parametrize(
    ("fault", "error", "reads"),
    [
        ("instagram_in_progress", Transient, 3),  # every attempt the setting allows
        ("instagram_error", Rejected, 1),
        ("instagram_expired", Rejected, 1),
    ],
)
def test_a_container_that_does_not_finish_is_never_published(sandbox, ig_user, fault, error, reads):
    sandbox.inject("instagram", fault, path="/media", method="POST")

    with pytest.raises(error) as raised:
        instagram.publish(outgoing_for(ig_user, images=1), account=ig_user, key="k1")

    (container,) = containers(sandbox)
    assert len(status_reads(sandbox, container.response["id"])) == reads
    assert sandbox.requests_to("instagram", path="media_publish") == []
    assert raised.value.message


def test_a_carousel_with_a_failed_child_is_never_published(sandbox, ig_user):
    sandbox.inject("instagram", "instagram_error", path="/media", method="POST")

    with pytest.raises(Rejected):
        instagram.publish(
            outgoing_for(ig_user, images=2, format="carousel"), account=ig_user, key="k1"
        )

    assert sandbox.requests_to("instagram", path="media_publish") == []


# -- quota ---------------------------------------------------------------------------------------


def test_a_used_up_quota_stops_before_any_container(sandbox, ig_user):
    sandbox.bucket("graph", "objects")[USER] = {
        "id": USER,
        "owner": "instagram",
        "kind": "ig_user",
        "published_at": [datetime.now(UTC).timestamp()] * 50,
    }

    with pytest.raises(RateLimited) as raised:
        instagram.publish(outgoing_for(ig_user, images=1), account=ig_user, key="k1")

    assert raised.value.reset_at > datetime.now(UTC) + timedelta(hours=23)
    assert "50" in raised.value.message
    assert sandbox.requests_to("instagram", method="POST") == []
    (quota,) = sandbox.requests_to("instagram", path="/content_publishing_limit")
    assert quota.response["data"][0]["quota_usage"] == 50


def test_each_publication_counts_in_the_quota(sandbox, ig_user):
    instagram.publish(outgoing_for(ig_user, images=1), account=ig_user, key="k1")
    instagram.publish(outgoing_for(ig_user, images=1), account=ig_user, key="k2")

    first, second = sandbox.requests_to("instagram", path="/content_publishing_limit")
    assert [
        first.response["data"][0]["quota_usage"],
        second.response["data"][0]["quota_usage"],
    ] == [
        0,
        1,
    ]
    assert second.response["data"][0]["config"] == {"quota_total": 50, "quota_duration": 86400}


# -- faults --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "path", "error"),
    [
        ("server_error", "", Transient),
        ("timeout", "/media_publish", Unconfirmed),
        ("timeout", "/content_publishing_limit", Transient),  # a read: nothing was posted
        ("rate_limited", "", RateLimited),
        ("expired_token", "", AuthExpired),
        ("duplicate", "/media_publish", Duplicate),
    ],
)
def test_each_graph_fault_is_a_typed_error(sandbox, ig_user, fault, path, error):
    sandbox.inject("instagram", fault, path=path)

    with pytest.raises(error) as raised:
        instagram.publish(outgoing_for(ig_user, images=1), account=ig_user, key="k1")

    assert raised.value.network == "instagram"
    if fault == "rate_limited":  # 12 minutes in X-Business-Use-Case-Usage, HTTP 429
        assert raised.value.status == 429
        expected = datetime.now(UTC) + timedelta(minutes=12)
        assert abs((raised.value.reset_at - expected).total_seconds()) < 30


# -- first comment and resume -----------------------------------------------------------------


def test_the_first_comment_goes_on_the_published_media(sandbox, ig_user):
    variant = post_with_variant(ig_user, images=1, first_comment="Plus d'infos en bio")
    sent = []

    ref = instagram.publish(
        outgoing(variant), account=variant.account, key="k1", on_part=sent.append
    )

    (comment,) = sandbox.requests_to("instagram", method="POST", path="/comments")
    assert comment.path == f"/graph/v24.0/{ref.id}/comments"
    assert comment.form == {"message": "Plus d'infos en bio"}
    assert sent == [ref.id, comment.response["id"]] and ref.parts == (sent[1],)


def test_a_resumed_publication_only_adds_the_missing_comment(sandbox, ig_user):
    variant = post_with_variant(ig_user, images=1, first_comment="Plus d'infos en bio")
    sandbox.inject("instagram", "server_error", path="/comments")
    sent = []
    with pytest.raises(Transient):
        instagram.publish(outgoing(variant), account=variant.account, key="k1", on_part=sent.append)

    ref = instagram.publish(
        outgoing(variant),
        account=variant.account,
        key="k1",
        done_parts=tuple(sent),
        on_part=sent.append,
    )

    assert len(sandbox.requests_to("instagram", path="/media_publish")) == 1
    assert len(containers(sandbox)) == 1
    assert len(sandbox.requests_to("instagram", method="POST", path="/comments")) == 1
    assert ref.id == sent[0] and ref.parts == (sent[1],)


# -- comments, metrics, reconciliation, deletion ---------------------------------------------


def citizen_comment(sandbox, object_id, text, author="Jeanne Dupont"):
    answer = requests.post(
        f"{sandbox.url}/_sandbox/meta/comments",
        json={"object_id": object_id, "text": text, "author": author},
        timeout=5,
    )
    assert answer.status_code == 201
    return answer.json()["id"]


def test_comments_are_fetched_replied_to_and_hidden(sandbox, ig_user):
    ref = instagram.publish(outgoing_for(ig_user, images=1), account=ig_user, key="k1")
    comment_id = citizen_comment(sandbox, ref.id, "Magnifique !")

    (comment,) = instagram.fetch_replies(ig_user, None)
    answer = instagram.reply(comment, "Merci à vous.", account=ig_user)
    instagram.hide(comment, account=ig_user)

    assert (comment.network, comment.remote_id, comment.kind) == (
        "instagram",
        comment_id,
        "comment",
    )
    assert (comment.text, comment.author_name, comment.in_reply_to) == (
        "Magnifique !",
        "jeanne.dupont",
        ref.id,
    )
    (sent,) = sandbox.requests_to("instagram", method="POST", path="/replies")
    assert sent.path == f"/graph/v24.0/{comment_id}/replies"
    assert sent.form == {"message": "Merci à vous."} and answer.id == sent.response["id"]
    (hidden,) = [
        r
        for r in sandbox.requests_to("instagram", method="POST")
        if r.path == f"/graph/v24.0/{comment_id}"
    ]
    assert hidden.form == {"hide": "true"}
    assert sandbox.bucket("graph", "objects")[comment_id]["hidden"] is True
    again = instagram.fetch_replies(ig_user, None)
    assert [i.remote_id for i in again] == [comment_id]  # our own reply is not inbound


def test_metrics_read_likes_and_comments(sandbox, ig_user):
    ref = instagram.publish(outgoing_for(ig_user, images=1), account=ig_user, key="k1")
    sandbox.bucket("graph", "objects")[ref.id]["like_count"] = 8
    citizen_comment(sandbox, ref.id, "Bravo")

    metrics = instagram.metrics(ref, account=ig_user)

    assert (metrics.reactions, metrics.comments) == (8, 1)


def test_find_recent_recognises_a_media_by_its_caption(sandbox, ig_user):
    variant = post_with_variant(ig_user, text="Marché de Noël #BourgSurLac", images=1)
    ref = instagram.publish(outgoing(variant), account=variant.account, key="k1")
    hour_ago = datetime.now(UTC) - timedelta(hours=1)

    found = instagram.find_recent(ig_user, text="Marché de Noël #BourgSurLac", since=hour_ago)
    later = instagram.find_recent(
        ig_user, text="Marché de Noël #BourgSurLac", since=datetime.now(UTC) + timedelta(hours=1)
    )

    assert found.id == ref.id and later is None
    request = sandbox.requests_to("instagram", method="GET", path=f"/{USER}/media")[0]
    assert request.query["fields"] == "id,caption,timestamp"


def test_deleting_is_refused_with_what_to_do_instead(sandbox, ig_user):
    ref = instagram.publish(outgoing_for(ig_user, images=1), account=ig_user, key="k1")
    sandbox.reset()

    with pytest.raises(Rejected) as raised:
        instagram.delete(ref, account=ig_user)

    assert "l'application Instagram" in raised.value.message
    assert sandbox.received == []


# -- OAuth and webhooks: Meta's --------------------------------------------------------------


def test_oauth_is_metas_flow_shared_with_facebook(sandbox):
    url = instagram.authorization_url(
        redirect_uri="https://crieur.example/callback", state="s", code_challenge="c"
    )

    assert url == networks.get("facebook").authorization_url(
        redirect_uri="https://crieur.example/callback", state="s", code_challenge="c"
    )


def test_an_instagram_account_refreshes_through_its_page(sandbox):
    account = SocialAccountFactory(
        network="instagram",
        remote_id=USER,
        credentials={"access_token": "old", "user_access_token": "old-user", "page_id": "104001"},
    )

    grant = instagram.refresh(account)

    assert (grant.network, grant.remote_id, grant.handle) == ("instagram", USER, "bourgsurlac")
    assert grant.credentials["access_token"].startswith("sandbox-page-104001")
    assert grant.credentials["page_id"] == "104001"


def test_an_instagram_comment_webhook_verifies_and_parses(sandbox, ig_user):
    import hashlib
    import hmac

    payload = {
        "object": "instagram",
        "entry": [
            {
                "id": USER,
                "time": 1767225600,
                "changes": [
                    {
                        "field": "comments",
                        "value": {
                            "id": "17865799348089039",
                            "text": "Quand ouvre la piscine ?",
                            "from": {"id": "232323", "username": "jeanne"},
                            "media": {"id": "18023345989012587", "media_product_type": "FEED"},
                        },
                    },
                    {
                        "field": "comments",
                        "value": {
                            "id": "17865799348089040",
                            "text": "Lundi !",
                            "parent_id": "17865799348089039",
                            "from": {"id": USER, "username": "bourgsurlac"},
                            "media": {"id": "18023345989012587"},
                        },
                    },
                ],
            }
        ],
    }
    body = json.dumps(payload).encode()
    good = "sha256=" + hmac.new(b"sandbox-meta-secret", body, hashlib.sha256).hexdigest()

    assert instagram.verify_webhook(body, {"x-hub-signature-256": good})
    assert not instagram.verify_webhook(body, {"x-hub-signature-256": good[:-1] + "0"})
    (comment,) = instagram.parse_webhook(payload)  # the account's own reply is left out
    assert (comment.network, comment.kind, comment.author_name, comment.in_reply_to) == (
        "instagram",
        "comment",
        "jeanne",
        "18023345989012587",
    )
    assert comment.created_at == datetime(2026, 1, 1, tzinfo=UTC)


def test_a_publication_keeps_the_posts_permalink(sandbox, ig_user):
    ref = instagram.publish(outgoing_for(ig_user, images=1), account=ig_user, key="k1")

    media = sandbox.bucket("graph", "objects")[ref.id]
    assert ref.url == media["permalink"]
    assert ref.url.startswith("https://www.instagram.com/p/") and ref.id not in ref.url
    (asked,) = [
        r
        for r in sandbox.requests_to("instagram", method="GET")
        if r.path == f"/graph/v24.0/{ref.id}"
    ]
    assert asked.query["fields"] == "permalink"


@pytest.mark.parametrize("missing", ["id", "from"])
def test_a_malformed_comment_is_skipped_and_logged_and_the_others_kept(
    sandbox, ig_user, caplog, missing
):
    ref = instagram.publish(outgoing_for(ig_user, images=1), account=ig_user, key="k1")
    first = citizen_comment(sandbox, ref.id, "Magnifique !")
    second = citizen_comment(sandbox, ref.id, "Bravo.")
    objects = sandbox.bucket("graph", "objects")
    # Graph answers one more comment among the others, without its `missing` field.
    broken = {**objects[first], "id": "999999", "username": ""}
    del broken[missing]
    objects["broken"] = broken

    with caplog.at_level("WARNING", logger="networks.meta"):
        found = instagram.fetch_replies(ig_user, None)

    assert [item.remote_id for item in found] == [first, second]
    [line] = [r for r in caplog.records if r.name == "networks.meta"]
    assert line.getMessage().startswith("instagram: skipped a comment without")
    assert "Magnifique" not in line.getMessage()
