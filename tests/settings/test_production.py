"""Production settings refuse an insecure configuration, and say what to change."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from crieur.settings.security import refuse_insecure_configuration

GOOD = {
    "secret_key": "k" * 20 + "Zq8r-" + "x" * 40,
    "debug": False,
    "database_engine": "django.db.backends.postgresql",
    "redis_url": "redis://127.0.0.1:6379/0",
    "credentials_keys": ["3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="],
}


def test_a_secure_configuration_is_accepted():
    refuse_insecure_configuration(**GOOD)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"secret_key": ""}, "SECRET_KEY"),
        ({"secret_key": "short"}, "SECRET_KEY"),
        ({"secret_key": "insecure-embedded-default-key-change-me" + "x" * 20}, "SECRET_KEY"),
        ({"debug": True}, "DEBUG"),
        ({"database_engine": "django.db.backends.sqlite3"}, "PostgreSQL"),
        ({"redis_url": ""}, "REDIS_URL"),
        ({"credentials_keys": []}, "CRIEUR_CREDENTIALS_KEYS"),
    ],
)
def test_an_insecure_configuration_is_refused_with_what_to_change(change, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        refuse_insecure_configuration(**{**GOOD, **change})


def _load_production(env):
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    clean.update(env, DJANGO_SETTINGS_MODULE="crieur.settings.production")
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", "import django; django.setup()"],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_module_refuses_to_start_without_a_real_secret_key():
    result = _load_production(
        {
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        }
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_module_starts_when_configured():
    result = _load_production(
        {
            "SECRET_KEY": GOOD["secret_key"],
            "CRIEUR_CREDENTIALS_KEYS": GOOD["credentials_keys"][0],
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        }
    )
    assert result.returncode == 0, result.stderr
