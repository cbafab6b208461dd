"""The demo data: every role has a person, posts in every state, and loading twice adds nothing."""

import pytest
from django.contrib.auth import get_user_model

from cms.models import Campaign, Post
from demo.loader import DEMO_PASSWORD, FIVE_NETWORKS_TITLE, PEOPLE, demo_load
from networks.models import SocialAccount
from workflows.roles import ROLES

pytestmark = pytest.mark.django_db


def counts():
    return (
        get_user_model().objects.count(),
        Post.objects.count(),
        Campaign.objects.count(),
        SocialAccount.objects.count(),
    )


def test_demo_loads_every_role_and_every_state_once():
    demo_load()
    first = counts()
    demo_load()

    assert counts() == first
    assert {person.role.key for person in PEOPLE} == {role.key for role in ROLES}
    for person in PEOPLE:
        user = get_user_model().objects.get(username=person.username)
        assert user.check_password(DEMO_PASSWORD)
        assert user.groups.filter(name=person.role.group_name).exists()
    states = {post.approval_status.code for post in Post.objects.all()}
    assert all(account.credentials for account in SocialAccount.objects.all())
    assert states == {"draft", "in_round", "approved", "sent_back"}
    assert SocialAccount.objects.values("network").distinct().count() == 5


def test_demo_posts_have_network_versions():
    demo_load()

    for post in Post.objects.exclude(title=FIVE_NETWORKS_TITLE):
        assert {v.account.network for v in post.variants.all()} == {"facebook", "x"}
    five = Post.objects.get(title=FIVE_NETWORKS_TITLE)
    assert five.live
    approved = five.live_revision.as_object()
    assert {v.account.network for v in approved.variants.all()} == {
        "facebook",
        "instagram",
        "x",
        "linkedin",
        "whatsapp",
    }


def test_the_demo_calendar_has_planned_posts_and_approved_ones_scheduled():
    from policies.models import Period
    from publishing.models import Publication

    demo_load()

    assert not Post.objects.filter(planned_at__isnull=True).exists()
    approved = Post.objects.get(title=FIVE_NETWORKS_TITLE)
    scheduled = Publication.objects.filter(post=approved, state=Publication.State.SCHEDULED)
    assert scheduled.count() == 5  # approval scheduled it on each network, at its time
    assert {p.scheduled_at for p in scheduled} == {approved.planned_at}
    assert all(p.revision_id == approved.live_revision_id for p in scheduled)
    assert Period.objects.filter(kind=Period.Kind.RESERVE).exists()


def test_the_demos_sensitive_post_waits_for_the_elected_official_who_has_her_link(
    django_capture_on_commit_callbacks,
):
    from django.core import mail

    from workflows import roles
    from workflows.models import ApprovalLink, Decision

    with django_capture_on_commit_callbacks(execute=True):
        demo_load()

    post = Post.objects.get(title="Budget participatif : les résultats")
    assert post.current_workflow_task.name == roles.ELECTED_ROUND.name
    link = ApprovalLink.objects.get(task_state=post.current_workflow_task_state)
    assert link.approver.name == "Élise Petit"
    [email] = [m for m in mail.outbox if m.to == [link.approver.email]]
    assert "/approve/" in email.body
    # The demo's decisions were taken through the rounds: they are in the trail.
    assert Decision.objects.filter(task_state__workflow_state__object_id=str(post.pk)).count() == 2
