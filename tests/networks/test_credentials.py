"""Network credentials are encrypted at rest, readable by Crieur, and their key rotates."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from networks.models import Network, SocialAccount

pytestmark = pytest.mark.django_db

TOKEN = "EAAG-very-secret-page-token-123"


def raw_column(account):
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM networks_socialaccount WHERE id = %s", [account.pk])
        return cursor.fetchone()[0]


def test_no_credential_is_stored_in_clear():
    account = SocialAccount.objects.create(
        network=Network.FACEBOOK,
        display_name="Ville",
        credentials={"access_token": TOKEN, "app_secret": "s3cr3t"},
    )

    stored = raw_column(account)

    assert TOKEN not in stored and "s3cr3t" not in stored and "access_token" not in stored
    assert SocialAccount.objects.get(pk=account.pk).credentials["access_token"] == TOKEN


def test_history_never_copies_credentials():
    account = SocialAccount.objects.create(
        network=Network.X, display_name="Ville", credentials={"access_token": TOKEN}
    )
    account.display_name = "Ville de Bourg"
    account.save()

    assert not hasattr(account.history.first(), "credentials")


def test_rotating_the_key_re_encrypts_and_the_old_key_can_go(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CRIEUR_CREDENTIALS_KEYS = [old]
    account = SocialAccount.objects.create(
        network=Network.LINKEDIN, display_name="Ville", credentials={"access_token": TOKEN}
    )
    before = raw_column(account)

    settings.CRIEUR_CREDENTIALS_KEYS = [new, old]
    call_command("rotate_credentials_key", stdout=None)
    settings.CRIEUR_CREDENTIALS_KEYS = [new]

    assert raw_column(account) != before
    assert Fernet(new.encode()).decrypt(raw_column(account).encode())
    assert SocialAccount.objects.get(pk=account.pk).credentials == {"access_token": TOKEN}


def test_a_missing_key_says_what_to_do(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.CRIEUR_CREDENTIALS_KEYS = [Fernet.generate_key().decode()]
    account = SocialAccount.objects.create(
        network=Network.X, display_name="Ville", credentials={"access_token": TOKEN}
    )
    settings.CRIEUR_CREDENTIALS_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(ImproperlyConfigured, match="put the key"):
        SocialAccount.objects.get(pk=account.pk)
