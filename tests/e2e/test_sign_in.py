"""Signing in as the IT department requires, in a real browser: an administrator sets up
two-factor authentication at first sign-in, comes back with a recovery code, and a
guessed password locks the sign-in with a message in French."""

import base64
import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from tests.factories import PASSWORD, UserFactory
from workflows import roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def production_rule(settings):
    settings.CRIEUR_2FA_REQUIRED_ROLES = ["administrator", "crisis_cell"]


def code_for(secret: str) -> str:
    """What an authenticator app shows now for the secret key on the set-up page."""
    key = base64.b32decode(secret.replace(" ", "").upper() + "=" * (-len(secret) % 8))
    return f"{totp(key):06d}"


def type_password(page, live_server, username, password):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def test_an_administrator_sets_up_two_factor_then_signs_in_with_a_recovery_code(
    page, live_server, shot
):
    UserFactory(username="alex", role=roles.ADMINISTRATOR)

    type_password(page, live_server, "alex", PASSWORD)
    page.wait_for_url(re.compile(r".*/admin/sign-in/.*"))
    expect(page.get_by_test_id("totp-qr")).to_be_visible()
    shot("1-set-up")
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.locator("input[name=code]").fill(code_for(secret))
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_test_id("recovery-codes")).to_be_visible()
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    shot("2-recovery-codes")
    assert len(codes) == 10
    page.get_by_text("Je les ai conservés, continuer").click()
    page.wait_for_url(re.compile(r".*/admin/$"))

    page.context.clear_cookies()
    type_password(page, live_server, "alex", PASSWORD)
    page.wait_for_url(re.compile(r".*/admin/sign-in/.*"))
    shot("3-code-asked")
    page.locator("input[name=code]").fill(codes[0])
    page.get_by_role("button", name="Vérifier").click()

    page.wait_for_url(re.compile(r".*/admin/$"))
    expect(page.locator("body")).to_contain_text("code de secours")
    shot("4-signed-in")


def test_guessing_a_password_locks_the_sign_in_and_says_so_in_french(page, live_server, shot):
    UserFactory(username="camille", role=roles.COMMUNITY_MANAGER)

    for _ in range(5):
        type_password(page, live_server, "camille", "pas le bon mot de passe")
    type_password(page, live_server, "camille", PASSWORD)

    expect(page.locator("body")).to_contain_text("Trop de tentatives de connexion échouées")
    assert "/admin/login/" in page.url
    expect(page.locator("#id_username")).to_have_value("camille")
    expect(page.get_by_label("Mot de passe")).to_be_visible()
    shot("locked")
