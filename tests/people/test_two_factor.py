"""Two-factor authentication: administrators and the crisis cell cannot use the admin
before typing a code from their authenticator (or a recovery code, once); everyone may
turn it on; an administrator can require it for everyone."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from people import services
from people.models import SignInPolicy
from tests.factories import PASSWORD, UserFactory
from workflows import roles

pytestmark = pytest.mark.django_db

LOGIN = reverse("wagtailadmin_login")
HOME = reverse("wagtailadmin_home")
VERIFY = reverse("people_two_factor_verify")
ENROL = reverse("people_two_factor_enrol")
SETTINGS = reverse("people_two_factor_settings")
POSTS = reverse("wagtailsnippets_cms_post:list")


@pytest.fixture(autouse=True)
def production_rule(settings):
    """The production default: administrators and the crisis cell must."""
    settings.CRIEUR_2FA_REQUIRED_ROLES = ["administrator", "crisis_cell"]


def code_now(device: TOTPDevice) -> str:
    """The code an authenticator app shows now for this device (RFC 6238)."""
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:0{device.digits}d}"


def another_code(device: TOTPDevice) -> str:
    return f"{(int(code_now(device)) + 1) % 10**device.digits:0{device.digits}d}"


def sign_in_with_password(client, user):
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "the password is right"
    return response


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    """A person who has set up an authenticator: the device and their recovery codes."""
    device = services.totp_enrolment_start(user=user)
    return services.totp_enrolment_confirm(user=user, code=code_now(device))


def redirected_to(response) -> str:
    return urlsplit(response["Location"]).path if response.status_code == 302 else ""


@pytest.mark.parametrize("role", [roles.ADMINISTRATOR, roles.CRISIS_CELL])
def test_a_required_role_without_an_authenticator_is_sent_to_set_one_up(client, role):
    user = UserFactory(role=role)
    sign_in_with_password(client, user)

    assert redirected_to(client.get(HOME)) == ENROL
    assert redirected_to(client.get(POSTS)) == ENROL
    assert client.get(ENROL).status_code == 200


def test_a_superuser_counts_as_an_administrator(client):
    user = UserFactory(is_superuser=True)
    sign_in_with_password(client, user)

    assert redirected_to(client.get(HOME)) == ENROL


def test_a_forced_login_administrator_is_held_too(client):
    """However the session was opened, the second step is asked for."""
    client.force_login(UserFactory(role=roles.ADMINISTRATOR))

    assert redirected_to(client.get(POSTS)) == ENROL


@pytest.mark.parametrize(
    "role", [roles.COMMUNITY_MANAGER, roles.DIRECTOR, roles.MODERATOR, roles.ELECTED_OFFICIAL]
)
def test_other_roles_sign_in_with_their_password_alone(client, role):
    sign_in_with_password(client, UserFactory(role=role))

    assert client.get(HOME).status_code == 200


def test_setting_up_with_a_real_code_opens_the_admin_and_shows_recovery_codes_once(client):
    user = UserFactory(role=roles.ADMINISTRATOR)
    sign_in_with_password(client, user)
    page = client.get(ENROL)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert device.config_url.startswith("otpauth://totp/")
    assert 'data-testid="totp-qr"' in page.content.decode()

    shown = client.post(ENROL, {"code": code_now(device), "next": POSTS})

    codes = shown.context["codes"]
    assert len(codes) == 10
    assert all(code in shown.content.decode() for code in codes)
    assert "no-store" in shown["Cache-Control"]
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(POSTS).status_code == 200


def test_a_wrong_code_does_not_set_up_the_authenticator(client):
    user = UserFactory(role=roles.ADMINISTRATOR)
    sign_in_with_password(client, user)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=user)
    wrong = another_code(device)

    response = client.post(ENROL, {"code": wrong})

    assert response.status_code == 200 and response.context["form"].errors
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert redirected_to(client.get(HOME)) == ENROL


def test_after_the_password_an_enrolled_administrator_types_the_code(client):
    user = UserFactory(role=roles.ADMINISTRATOR)
    device, _codes = enrolled(user)
    later = timezone.now() + timedelta(minutes=2)  # the enrolment code is spent

    with time_machine.travel(later, tick=False) as clock:
        sign_in_with_password(client, user)
        held = client.get(POSTS)
        wrong = client.post(VERIFY, {"code": another_code(device)})
        still_held = client.get(HOME)
        clock.shift(2)  # a failure makes the next try wait a second (throttling)
        right = client.post(VERIFY, {"code": code_now(device), "next": POSTS})

        assert redirected_to(held) == VERIFY
        assert wrong.status_code == 200 and wrong.context["form"].errors
        assert redirected_to(still_held) == VERIFY
        assert redirected_to(right) == POSTS
        assert client.get(POSTS).status_code == 200


def test_the_session_gets_a_new_key_once_verified(client):
    user = UserFactory(role=roles.ADMINISTRATOR)
    _device, codes = enrolled(user)
    sign_in_with_password(client, user)
    before = client.session.session_key

    client.post(VERIFY, {"code": codes[0]})

    assert client.session.session_key != before
    assert client.get(HOME).status_code == 200


def test_a_code_works_once(client):
    user = UserFactory(role=roles.CRISIS_CELL)
    device, _codes = enrolled(user)
    later = timezone.now() + timedelta(minutes=2)

    with time_machine.travel(later, tick=False):
        code = code_now(device)
        first, second = type(client)(), type(client)()
        for session in (first, second):
            sign_in_with_password(session, user)
        first.post(VERIFY, {"code": code})
        second.post(VERIFY, {"code": code})

        assert first.get(HOME).status_code == 200
        assert redirected_to(second.get(HOME)) == VERIFY


def test_a_recovery_code_signs_in_once(client):
    user = UserFactory(role=roles.ADMINISTRATOR)
    _device, codes = enrolled(user)
    first, second = type(client)(), type(client)()
    for session in (first, second):
        sign_in_with_password(session, user)

    with time_machine.travel(timezone.now(), tick=False) as clock:
        first.post(VERIFY, {"code": codes[0].upper()})
        second.post(VERIFY, {"code": codes[0]})

        assert first.get(HOME).status_code == 200
        assert redirected_to(second.get(HOME)) == VERIFY
        clock.shift(2)  # a failure makes the next try wait a second (throttling)
        second.post(VERIFY, {"code": codes[1]})  # the others still work
        assert second.get(HOME).status_code == 200


def test_with_the_password_alone_nobody_replaces_the_authenticator(client):
    user = UserFactory(role=roles.ADMINISTRATOR)
    enrolled(user)
    sign_in_with_password(client, user)

    response = client.get(ENROL)

    assert redirected_to(response) == VERIFY
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_the_set_up_page_loads_its_icons_and_nothing_else_before_the_code(client):
    """The admin's icon sprite is fetched by every admin page, the set-up page included:
    sent to the set-up page instead, it put a second copy (another secret, another
    `next`) inside the first."""
    user = UserFactory(role=roles.ADMINISTRATOR)
    sign_in_with_password(client, user)

    sprite = client.get(reverse("wagtailadmin_sprite"))
    posts = client.get(POSTS)

    assert sprite.status_code == 200 and b"<svg" in sprite.content
    assert redirected_to(posts) == ENROL


def test_an_unverified_session_is_anonymous_outside_the_admin(client, rf):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse
    from django.urls import ResolverMatch

    from people.middleware import TwoFactorMiddleware

    user = UserFactory(role=roles.ADMINISTRATOR)
    enrolled(user)
    sign_in_with_password(client, user)
    request = rf.get("/documents/1/plan.pdf")
    request.user = user
    user.is_verified = lambda: False
    request.resolver_match = ResolverMatch(lambda r: None, (), {}, url_name="wagtaildocs_serve")

    TwoFactorMiddleware(lambda r: HttpResponse()).process_view(request, None, (), {})

    assert isinstance(request.user, AnonymousUser)


def test_anyone_may_turn_it_on_from_their_account_and_off_again(client):
    user = UserFactory(role=roles.COMMUNITY_MANAGER)
    client.force_login(user)
    assert SETTINGS in client.get(reverse("wagtailadmin_account")).content.decode()

    client.get(ENROL)
    device = TOTPDevice.objects.get(user=user)
    client.post(ENROL, {"code": code_now(device)})
    on = client.get(SETTINGS).context["authenticator"]
    client.post(reverse("people_two_factor_disable"))

    assert on is not None
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_a_person_who_turned_it_on_types_a_code_at_the_next_sign_in(client):
    user = UserFactory(role=roles.COMMUNITY_MANAGER)
    enrolled(user)

    sign_in_with_password(client, user)

    assert redirected_to(client.get(HOME)) == VERIFY


def test_a_required_role_cannot_turn_it_off(client):
    user = UserFactory(role=roles.ADMINISTRATOR)
    enrolled(user)
    client.force_login(user)
    # The session is verified the way the code step does it.
    device = TOTPDevice.objects.get(user=user)
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        client.post(VERIFY, {"code": code_now(device)})

        client.post(reverse("people_two_factor_disable"))

    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_new_recovery_codes_replace_the_old_ones(client):
    user = UserFactory(role=roles.COMMUNITY_MANAGER)
    _device, old = enrolled(user)

    new = services.recovery_codes_renew(user=user)
    session = type(client)()
    sign_in_with_password(session, user)
    session.post(VERIFY, {"code": old[0]})

    assert set(new).isdisjoint(old)
    assert redirected_to(session.get(HOME)) == VERIFY


def test_an_administrator_requires_it_for_everyone(client, settings):
    settings.CRIEUR_2FA_REQUIRED_ROLES = []
    admin = UserFactory(role=roles.ADMINISTRATOR)
    manager = UserFactory(role=roles.COMMUNITY_MANAGER)
    client.force_login(admin)

    client.post(reverse("people_sign_in_security"), {"two_factor_for_everyone": "on"})
    session = type(client)()
    sign_in_with_password(session, manager)

    assert redirected_to(session.get(HOME)) == ENROL


def test_only_an_administrator_changes_the_sign_in_policy(client):
    manager = UserFactory(role=roles.COMMUNITY_MANAGER)
    client.force_login(manager)

    client.post(reverse("people_sign_in_security"), {"two_factor_for_everyone": "on"})
    other = type(client)()
    sign_in_with_password(other, UserFactory(role=roles.DIRECTOR))

    assert not SignInPolicy.load().two_factor_for_everyone
    assert other.get(HOME).status_code == 200


def test_a_wrong_authenticator_code_does_not_slow_down_the_recovery_codes(client):
    user = UserFactory(role=roles.ADMINISTRATOR)
    device, codes = enrolled(user)
    sign_in_with_password(client, user)

    client.post(VERIFY, {"code": another_code(device)})
    client.post(VERIFY, {"code": codes[0]})

    assert client.get(HOME).status_code == 200
