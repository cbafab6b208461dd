"""Passwords: at least 12 characters and none of the common ones, wherever they are set."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory
from workflows import roles

pytestmark = pytest.mark.django_db

WEAK = ["mairie1234", "azertyuiop1", "motdepasse", "password1234"]


def new_person(password):
    return {
        "username": "nouvelle",
        "email": "nouvelle@example.org",
        "first_name": "Nadia",
        "last_name": "Nouvelle",
        "password1": password,
        "password2": password,
    }


@pytest.mark.parametrize("password", WEAK)
def test_an_administrator_cannot_create_a_person_with_a_weak_password(client, password):
    client.force_login(UserFactory(role=roles.ADMINISTRATOR))

    response = client.post(reverse("wagtailusers_users:add"), new_person(password))

    assert response.status_code == 200
    assert "password2" in response.context["form"].errors
    assert not get_user_model().objects.filter(username="nouvelle").exists()


def test_a_long_uncommon_password_is_accepted_at_creation(client):
    client.force_login(UserFactory(role=roles.ADMINISTRATOR))

    client.post(reverse("wagtailusers_users:add"), new_person("la rivière coule vers l'ouest"))

    assert (
        get_user_model()
        .objects.get(username="nouvelle")
        .check_password("la rivière coule vers l'ouest")
    )


def account_form(client, **password):
    """What the account page posts as it stands, with the password fields filled."""
    page = client.get(reverse("wagtailadmin_account"))
    data = {}
    for panels in page.context["panels_by_tab"].values():
        for panel in panels:
            for field in panel.get_form():
                value = field.value()
                if value not in (None, "") and not field.name.endswith("avatar"):
                    data[field.html_name] = value
    data.update({f"password-{name}": value for name, value in password.items()})
    return data


@pytest.mark.parametrize("password", WEAK)
def test_nobody_changes_their_own_password_to_a_weak_one(client, password):
    user = UserFactory(role=roles.COMMUNITY_MANAGER)
    client.force_login(user)

    response = client.post(
        reverse("wagtailadmin_account"),
        account_form(client, old_password=PASSWORD, new_password1=password, new_password2=password),
    )

    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert response.status_code == 200  # the page again, saying why


def test_a_strong_new_password_is_accepted_from_the_account_page(client):
    user = UserFactory(role=roles.COMMUNITY_MANAGER)
    client.force_login(user)

    strong = "la rivière coule vers l'ouest"

    client.post(
        reverse("wagtailadmin_account"),
        account_form(client, old_password=PASSWORD, new_password1=strong, new_password2=strong),
    )

    user.refresh_from_db()
    assert user.check_password(strong)
