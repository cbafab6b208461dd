"""No role above its station: administrators manage people, never superusers, and nobody,
superusers included, makes a post live outside an approval circuit."""

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from cms.models import Post, Variant
from publishing.models import Publication
from tests.factories import PASSWORD, PostFactory, UserFactory
from tests.forms import post_form_data
from workflows import roles

pytestmark = pytest.mark.django_db


def refused(response) -> bool:
    """Wagtail turns a refusal into a redirect to the dashboard with a message."""
    return response.status_code == 403 or (
        response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    )


@pytest.fixture
def administrator(roles_people):
    return roles_people[roles.ADMINISTRATOR.key]


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, email="root@example.org")


def new_user_data(**fields):
    data = {
        "username": "nouvelle",
        "email": "nouvelle@example.org",
        "first_name": "Nina",
        "last_name": "Nouvelle",
        "password1": "un mot de passe assez long 42",
        "password2": "un mot de passe assez long 42",
    }
    data.update(fields)
    return data


def test_an_administrator_is_not_offered_the_superuser_box(client, administrator):
    client.force_login(administrator)

    page = client.get(reverse("wagtailusers_users:add"))

    assert page.status_code == 200
    assert b'name="is_superuser"' not in page.content


def test_an_administrator_cannot_create_a_superuser(client, administrator):
    from django.contrib.auth import get_user_model

    client.force_login(administrator)

    response = client.post(reverse("wagtailusers_users:add"), new_user_data(is_superuser="on"))

    assert response.status_code == 302, response.content[:2000]
    created = get_user_model().objects.get(username="nouvelle")
    assert not created.is_superuser


def test_an_administrator_cannot_make_a_colleague_superuser(client, administrator, roles_people):
    colleague = roles_people[roles.COMMUNITY_MANAGER.key]
    client.force_login(administrator)
    url = reverse("wagtailusers_users:edit", args=[colleague.pk])

    assert b'name="is_superuser"' not in client.get(url).content
    client.post(
        url,
        {
            "username": colleague.username,
            "email": colleague.email,
            "first_name": colleague.first_name,
            "last_name": colleague.last_name,
            "is_active": "on",
            "is_superuser": "on",
        },
    )

    colleague.refresh_from_db()
    assert not colleague.is_superuser


def test_an_administrator_cannot_edit_a_superusers_email_or_password(
    client, administrator, superuser
):
    client.force_login(administrator)
    url = reverse("wagtailusers_users:edit", args=[superuser.pk])

    page = client.get(url)
    response = client.post(
        url,
        {
            "username": superuser.username,
            "email": "attaquant@example.org",
            "first_name": "R",
            "last_name": "T",
            "password1": "un autre mot de passe 2024",
            "password2": "un autre mot de passe 2024",
            "is_active": "on",
        },
    )

    assert refused(page)
    assert refused(response)
    superuser.refresh_from_db()
    assert superuser.email == "root@example.org"
    assert superuser.check_password(PASSWORD)


def test_an_administrator_cannot_delete_or_deactivate_a_superuser(client, administrator, superuser):
    client.force_login(administrator)

    delete = client.post(reverse("wagtailusers_users:delete", args=[superuser.pk]))
    bulk = client.post(
        reverse("wagtail_bulk_action", args=["auth", "user", "set_active_state"])
        + f"?id={superuser.pk}",
        {"mark_as_active": "False"},
    )

    assert refused(delete)
    assert refused(bulk)
    superuser.refresh_from_db()
    assert superuser.is_active


def test_a_superuser_still_edits_a_superuser(client, superuser):
    other = UserFactory(is_superuser=True)
    client.force_login(superuser)
    url = reverse("wagtailusers_users:edit", args=[other.pk])

    assert b'name="is_superuser"' in client.get(url).content
    response = client.post(
        url,
        {
            "username": other.username,
            "email": "nouveau@example.org",
            "first_name": other.first_name,
            "last_name": other.last_name,
            "is_active": "on",
            "is_superuser": "on",
        },
    )

    assert response.status_code == 302
    other.refresh_from_db()
    assert other.email == "nouveau@example.org" and other.is_superuser


def test_a_superuser_cannot_publish_a_post_that_was_never_approved(
    client, superuser, five_accounts
):
    from django.utils import timezone

    post = PostFactory(
        title="Jamais validé", planned_at=timezone.now() + timezone.timedelta(days=1)
    )
    post.variants = [Variant(account=five_accounts["x"], text="")]
    post.save()
    post.save_revision(user=superuser)
    client.force_login(superuser)
    url = reverse("wagtailsnippets_cms_post:edit", args=[post.pk])

    page = client.get(url)
    client.post(url, post_form_data(title=post.title, text=post.text, **{"action-publish": "1"}))
    unpublish = client.post(reverse("wagtailsnippets_cms_post:unpublish", args=[post.pk]))

    assert b'name="action-publish"' not in page.content
    post = Post.objects.get(pk=post.pk)
    assert not post.live and post.live_revision is None
    assert not Publication.objects.filter(post=post).exists()
    assert not ModelLogEntry.objects.filter(action="wagtail.publish").exists()
    assert refused(unpublish)


def test_nobody_holds_the_publish_permission_on_posts_even_when_a_group_is_given_it(
    roles_people, superuser
):
    from django.contrib.auth.models import Group, Permission
    from wagtail.permissions import policy_registry

    administration = Group.objects.get(name=roles.ADMINISTRATOR.group_name)
    administration.permissions.add(Permission.objects.get(codename="publish_post"))
    policy = policy_registry.get_by_type(Post)

    for user in [superuser, *roles_people.values()]:
        user = type(user).objects.get(pk=user.pk)  # no cached permissions
        assert not policy.user_has_permission(user, "publish"), user
