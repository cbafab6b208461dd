"""Guessing passwords locks the sign-in of that username from that address; an
administrator unlocks it."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, UserFactory
from workflows import roles

pytestmark = pytest.mark.django_db

LOGIN = reverse("wagtailadmin_login")
SECURITY = reverse("people_sign_in_security")


def sign_in(client, username, password, address="192.0.2.10"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def claire():
    return UserFactory(username="claire", role=roles.COMMUNITY_MANAGER)


@pytest.fixture
def alex():
    return UserFactory(username="alex", role=roles.ADMINISTRATOR)


def test_fifty_wrong_passwords_then_the_right_one_is_refused(client, claire):
    for _ in range(50):
        sign_in(client, "claire", "not the password")

    response = sign_in(client, "claire", PASSWORD)

    assert not signed_in(client)
    assert response.status_code == 429
    assert 'data-testid="sign-in-locked"' in response.content.decode()


def test_the_lockout_is_said_on_the_sign_in_page_itself(client, claire):
    for _ in range(5):
        sign_in(client, "claire", "not the password")

    page = sign_in(client, "claire", PASSWORD).content.decode()

    assert 'data-testid="sign-in-locked"' in page
    assert 'id="id_username"' in page  # still the sign-in page, ready for later


def test_four_wrong_passwords_do_not_lock_the_right_one_out(client, claire):
    for _ in range(4):
        sign_in(client, "claire", "not the password")

    sign_in(client, "claire", PASSWORD)

    assert signed_in(client)


def test_the_same_person_from_another_address_is_not_locked_out(client, claire):
    for _ in range(10):
        sign_in(client, "claire", "not the password", address="192.0.2.10")

    sign_in(client, "claire", PASSWORD, address="198.51.100.7")

    assert signed_in(client)


def test_a_forged_forwarded_address_does_not_buy_more_attempts(client, claire):
    for number in range(10):
        client.post(
            LOGIN,
            {"username": "claire", "password": "not the password"},
            REMOTE_ADDR="192.0.2.10",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{number}",
        )

    sign_in(client, "claire", PASSWORD, address="192.0.2.10")

    assert not signed_in(client)


def test_behind_a_trusted_proxy_one_citizen_cannot_lock_a_colleague_out(client, claire, settings):
    settings.CRIEUR_TRUST_X_REAL_IP = True
    for _ in range(10):
        client.post(
            LOGIN,
            {"username": "claire", "password": "not the password"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_REAL_IP="203.0.113.66",
        )

    client.post(
        LOGIN,
        {"username": "claire", "password": PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_REAL_IP="192.0.2.10",
    )

    assert signed_in(client)


def test_without_a_trusted_proxy_a_forged_real_ip_does_not_buy_more_attempts(client, claire):
    for number in range(10):
        client.post(
            LOGIN,
            {"username": "claire", "password": "not the password"},
            REMOTE_ADDR="192.0.2.10",
            HTTP_X_REAL_IP=f"203.0.113.{number}",
        )

    sign_in(client, "claire", PASSWORD, address="192.0.2.10")

    assert not signed_in(client)


def test_the_lockout_ends_after_the_cool_off(client, claire):
    for _ in range(5):
        sign_in(client, "claire", "not the password")

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        sign_in(client, "claire", PASSWORD)

        assert signed_in(client)


def test_an_administrator_unlocks_a_locked_sign_in_which_then_works(client, claire, alex):
    for _ in range(50):
        sign_in(client, "claire", "not the password")
    admin = type(client)()
    admin.force_login(alex)

    listing = admin.get(SECURITY)
    attempt = AccessAttempt.objects.get(username="claire")
    assert 'data-testid="locked-sign-ins"' in listing.content.decode()
    assert reverse("people_sign_in_unlock", args=[attempt.pk]) in listing.content.decode()
    admin.post(reverse("people_sign_in_unlock", args=[attempt.pk]))
    sign_in(client, "claire", PASSWORD)

    assert signed_in(client)
    assert "locked-sign-ins" not in admin.get(SECURITY).content.decode()


@pytest.mark.parametrize(
    "role", [roles.COMMUNITY_MANAGER, roles.DIRECTOR, roles.CRISIS_CELL, roles.MODERATOR]
)
def test_only_administrators_see_and_unlock_locked_sign_ins(client, claire, role):
    for _ in range(5):
        sign_in(client, "claire", "not the password")
    attempt = AccessAttempt.objects.get(username="claire")
    other = type(client)()
    other.force_login(UserFactory(role=role))

    listing = other.get(SECURITY)
    unlock = other.post(reverse("people_sign_in_unlock", args=[attempt.pk]))

    assert "locked-sign-ins" not in listing.content.decode()
    assert unlock.status_code in (302, 403)
    assert AccessAttempt.objects.filter(username="claire").exists()
    sign_in(client, "claire", PASSWORD)
    assert not signed_in(client)


def test_the_settings_menu_offers_the_unlock_page_to_administrators_only(client, alex):
    manager = UserFactory(role=roles.COMMUNITY_MANAGER)

    client.force_login(alex)
    seen_by_admin = SECURITY in client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(manager)
    seen_by_manager = SECURITY in client.get(reverse("wagtailadmin_home")).content.decode()

    assert (seen_by_admin, seen_by_manager) == (True, False)
