"""The publishing admin pages: the live counter, sending by hand."""

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import translation

from cms.models import Post
from tests.factories import PostFactory, SocialAccountFactory, UserFactory
from workflows import roles

pytestmark = pytest.mark.django_db


def live(client, account, text, **extra):
    data = {"account": account.pk, "text": text, "alt_texts": "[]", "format": "feed", **extra}
    return client.post(reverse("publishing_check_variant"), data).json()


def test_the_live_counter_counts_as_x_counts(client, roles_people):
    client.force_login(roles_people[roles.COMMUNITY_MANAGER.key])
    x = SocialAccountFactory(network="x")
    text = "Fête du lac 🎆 : tout le programme sur https://www.bourg-sur-lac.fr/fete-du-lac"

    with translation.override("fr"):
        report = live(client, x, text)

    # 38 characters before the link, the emoji counting 2, and the link counting 23.
    assert report["length"] == len("Fête du lac  : tout le programme sur ") + 2 + 23
    assert report["maximum"] == 280
    assert report["problems"] == []
    assert report["summary"].startswith("X — ")


def test_the_live_counter_names_the_problem_and_the_fix_in_french(client, roles_people):
    client.force_login(roles_people[roles.COMMUNITY_MANAGER.key])
    x = SocialAccountFactory(network="x")

    with translation.override("fr"):
        report = live(client, x, "é" * 300)

    assert report["length"] == 300
    assert [p["code"] for p in report["problems"]] == ["too_long"]
    assert "300 caractères sur 280" in report["problems"][0]["message"]


def test_the_live_counter_previews_an_x_thread(client, roles_people):
    client.force_login(roles_people[roles.COMMUNITY_MANAGER.key])
    x = SocialAccountFactory(network="x")

    report = live(client, x, "mot " * 120, format="thread")

    assert len(report["parts"]) == 2
    assert report["parts"][0]["text"].endswith(" 1/2")
    assert all(part["length"] <= 280 for part in report["parts"])
    assert report["problems"] == []


def test_the_live_counter_asks_alt_text_where_the_network_takes_it(client, roles_people):
    client.force_login(roles_people[roles.COMMUNITY_MANAGER.key])
    linkedin = SocialAccountFactory(network="linkedin")

    report = live(client, linkedin, "Bonjour", alt_texts=json.dumps([""]))

    assert [p["code"] for p in report["problems"]] == ["alt_text_missing"]


def test_a_director_who_may_see_posts_gets_the_counter_as_json(client, roles_people):
    client.force_login(roles_people[roles.DIRECTOR.key])
    x = SocialAccountFactory(network="x")

    response = client.post(reverse("publishing_check_variant"), {"account": x.pk, "text": "a"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["length"] == 1


def test_an_approver_of_the_post_s_round_gets_the_counter_without_any_post_permission(
    client, roles_people
):
    approver = UserFactory(role=roles.DIRECTOR)
    group = Group.objects.get(name=roles.DIRECTOR.group_name)
    group.permissions.remove(Permission.objects.get(codename="view_post"))
    author = roles_people[roles.COMMUNITY_MANAGER.key]
    post = PostFactory(created_by=author)
    post.save_revision(user=author)
    post.get_workflow().start(post, author)  # the automatic check passes: the director's round
    client.force_login(approver)
    x = SocialAccountFactory(network="x")

    in_round = client.post(
        reverse("publishing_check_variant"), {"account": x.pk, "text": "a", "post": post.pk}
    )
    elsewhere = client.post(
        reverse("publishing_check_variant"),
        {"account": x.pk, "text": "a", "post": PostFactory().pk},
    )

    assert in_round.status_code == 200 and in_round.json()["length"] == 1
    assert elsewhere.status_code == 403
    assert elsewhere["Content-Type"] == "application/json"


def test_someone_who_may_not_see_posts_is_refused_in_json_with_a_reason(client):
    person = UserFactory()
    person.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(person)
    x = SocialAccountFactory(network="x")

    with translation.override("fr"):
        response = client.post(reverse("publishing_check_variant"), {"account": x.pk, "text": "a"})

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]


def test_a_wrong_account_or_method_is_answered_in_json_too(client, roles_people):
    client.force_login(roles_people[roles.COMMUNITY_MANAGER.key])

    unknown = client.post(reverse("publishing_check_variant"), {"account": "0", "text": "a"})
    fetched = client.get(reverse("publishing_check_variant"))

    assert unknown.status_code == 400 and unknown.json()["error"]
    assert fetched.status_code == 405 and fetched.json()["error"]


def test_only_administrators_may_send_a_post_at_once(client, roles_people):
    post = PostFactory()
    client.force_login(roles_people[roles.COMMUNITY_MANAGER.key])

    response = client.post(reverse("publishing_send_now", args=[post.pk]))

    # Wagtail turns the refusal into a redirect to the dashboard with a message.
    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_home")
    assert not post.publications.exists()


def test_a_post_not_yet_approved_is_not_sent(client, roles_people, sandbox):
    account = SocialAccountFactory(network="x")
    post = PostFactory()
    post.variants.create(account=account, text="Pas encore validé")
    client.force_login(roles_people[roles.ADMINISTRATOR.key])

    with translation.override("fr"):
        response = client.post(reverse("publishing_send_now", args=[post.pk]), follow=True)

    assert "pas encore validé" in response.content.decode().lower()
    assert sandbox.received == []
    assert not Post.objects.get(pk=post.pk).publications.exists()


def test_administrators_manage_the_whatsapp_list_in_the_admin(client, roles_people):
    from django.utils import timezone

    from publishing.broadcast import BroadcastSetup, Subscriber

    account = SocialAccountFactory(network="whatsapp")
    BroadcastSetup.objects.create(account=account, template_name="actualites")
    Subscriber.objects.create(
        account=account, phone="+33612345678", opted_in_at=timezone.now(), source="keyword"
    )
    client.force_login(roles_people[roles.ADMINISTRATOR.key])

    subscribers = client.get(reverse("wagtailsnippets_publishing_subscriber:list"))
    setups = client.get(reverse("wagtailsnippets_publishing_broadcastsetup:list"))

    assert "+33612345678" in subscribers.content.decode()
    assert "actualites" in setups.content.decode()
