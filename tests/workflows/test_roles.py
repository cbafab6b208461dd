"""Each role can do what it should and is refused what it should not, through the admin."""

import pytest
from django.urls import reverse
from wagtail.models import Workflow

from tests.factories import PostFactory
from tests.forms import post_form_data
from workflows import roles

pytestmark = pytest.mark.django_db

ACTIONS = ("create_post", "edit_post", "submit_post", "approve_post", "manage_users", "accounts")

#                                  create edit  submit approve users accounts
EXPECTED = {
    roles.COMMUNITY_MANAGER.key: (True, True, True, False, False, False),
    roles.DIRECTOR.key: (False, False, False, True, False, False),
    roles.ELECTED_OFFICIAL.key: (False, False, False, False, False, False),
    roles.MODERATOR.key: (False, False, False, False, False, False),
    roles.CRISIS_CELL.key: (True, True, True, False, False, False),
    roles.ADMINISTRATOR.key: (False, False, False, False, True, True),
}


def can_create_post(client, author):
    response = client.get(reverse("wagtailsnippets_cms_post:add"))
    return response.status_code == 200


def can_edit_post(client, author):
    post = PostFactory()
    post.save_revision(user=author)
    response = client.get(reverse("wagtailsnippets_cms_post:edit", args=[post.pk]))
    return response.status_code == 200


def can_submit_post(client, author):
    post = PostFactory(title="À soumettre")
    post.save_revision(user=author)
    client.post(
        reverse("wagtailsnippets_cms_post:edit", args=[post.pk]),
        post_form_data(title=post.title, text=post.text, **{"action-submit": "1"}),
    )
    post.refresh_from_db()
    return post.workflow_in_progress


def can_approve_post(client, author):
    post = PostFactory(title="À valider")
    post.save_revision(user=author)
    state = Workflow.objects.get(name=roles.STANDARD.name).start(post, author)
    task_state = state.current_task_state
    client.post(
        reverse(
            "wagtailsnippets_cms_post:workflow_action",
            args=[post.pk, "approve", task_state.pk],
        ),
        {"comment": ""},
    )
    task_state.refresh_from_db()
    return task_state.status == task_state.STATUS_APPROVED


def can_manage_users(client, author):
    return client.get(reverse("wagtailusers_users:index")).status_code == 200


def can_manage_accounts(client, author):
    url = reverse("wagtailsnippets_networks_socialaccount:list")
    return client.get(url).status_code == 200


CHECKS = {
    "create_post": can_create_post,
    "edit_post": can_edit_post,
    "submit_post": can_submit_post,
    "approve_post": can_approve_post,
    "manage_users": can_manage_users,
    "accounts": can_manage_accounts,
}


@pytest.mark.parametrize("role", roles.ROLES, ids=lambda role: role.key)
@pytest.mark.parametrize("action", ACTIONS)
def test_role_permissions(client, roles_people, role, action):
    user = roles_people[role.key]
    author = roles_people[roles.COMMUNITY_MANAGER.key]
    client.force_login(user)

    allowed = CHECKS[action](client, author)

    expected = EXPECTED[role.key][ACTIONS.index(action)]
    assert allowed is expected, f"{role.group_name} / {action}"


def test_nobody_can_publish_a_post_without_approval(roles_people):
    for user in roles_people.values():
        assert not user.has_perm("cms.publish_post"), user.groups.first()


def test_roles_bootstrap_is_idempotent_and_keeps_what_administrators_added():
    from django.contrib.auth.models import Group, Permission

    from workflows.services import roles_bootstrap

    group = Group.objects.get(name=roles.MODERATOR.group_name)
    extra = Permission.objects.get(codename="view_socialaccount")
    group.permissions.add(extra)
    before = {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}

    roles_bootstrap()
    roles_bootstrap()

    after = {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}
    assert after == before
    assert Workflow.objects.filter(name=roles.STANDARD.name).count() == 1
    assert Workflow.objects.filter(name=roles.SENSITIVE.name).count() == 1
