"""Production settings refuse an insecure configuration, and say what to change."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from crieur.settings.security import DEMO_WHATSAPP_VERIFY_TOKEN, refuse_insecure_configuration

GOOD = {
    "secret_key": "k" * 20 + "Zq8r-" + "x" * 40,
    "debug": False,
    "database_engine": "django.db.backends.postgresql",
    "redis_url": "redis://127.0.0.1:6379/0",
    "credentials_keys": ["3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="],
    "sandbox_url": "",
    "network_apps": {
        "CRIEUR_X_CLIENT_ID": "real-x-client",
        "CRIEUR_X_CLIENT_SECRET": "x" * 40,
        "CRIEUR_META_CLIENT_ID": "1234567890",
        "CRIEUR_META_CLIENT_SECRET": "m" * 32,
        "CRIEUR_LINKEDIN_CLIENT_ID": "",
        "CRIEUR_LINKEDIN_CLIENT_SECRET": "",
    },
    "whatsapp_verify_token": "v" * 32,
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
        ({"sandbox_url": "http://127.0.0.1:8001"}, "CRIEUR_SANDBOX_URL"),
        (
            {
                "network_apps": {
                    **GOOD["network_apps"],
                    "CRIEUR_X_CLIENT_SECRET": "sandbox-x-secret",
                }
            },
            "CRIEUR_X_CLIENT_SECRET",
        ),
        (
            {
                "network_apps": {
                    **GOOD["network_apps"],
                    "CRIEUR_META_CLIENT_SECRET": "sandbox-meta-secret",
                }
            },
            "CRIEUR_META_CLIENT_SECRET",
        ),
        (
            {
                "network_apps": {
                    **GOOD["network_apps"],
                    "CRIEUR_LINKEDIN_CLIENT_ID": "sandbox-linkedin-client",
                }
            },
            "CRIEUR_LINKEDIN_CLIENT_ID",
        ),
        ({"whatsapp_verify_token": ""}, "CRIEUR_WHATSAPP_VERIFY_TOKEN"),
        ({"whatsapp_verify_token": "m" * 32}, "CRIEUR_WHATSAPP_VERIFY_TOKEN"),
        ({"whatsapp_verify_token": DEMO_WHATSAPP_VERIFY_TOKEN}, "CRIEUR_WHATSAPP_VERIFY_TOKEN"),
    ],
)
def test_an_insecure_configuration_is_refused_with_what_to_change(change, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        refuse_insecure_configuration(**{**GOOD, **change})


# Variables of the machine running the tests that would change what production loads.
# The browser tests' process allows sync calls from async code (Playwright's loop): a
# production process never inherits that.
DROPPED = {
    "SECRET_KEY",
    "DEBUG",
    "CRIEUR_SANDBOX_URL",
    "CRIEUR_WHATSAPP_VERIFY_TOKEN",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}
CONFIGURED = {
    "SECRET_KEY": GOOD["secret_key"],
    "CRIEUR_CREDENTIALS_KEYS": GOOD["credentials_keys"][0],
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "CRIEUR_WHATSAPP_VERIFY_TOKEN": GOOD["whatsapp_verify_token"],
}


def _run_production(env, *args):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in DROPPED and not k.startswith(("CRIEUR_X_", "CRIEUR_META_", "CRIEUR_LINKEDIN_"))
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "crieur.settings.production", **env})
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, *args],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def _load_production(env):
    return _run_production(env, "-c", "import django; django.setup()")


def _production_setting(env, name):
    result = _run_production(
        env,
        "-c",
        f"from django.conf import settings; print(repr(getattr(settings, {name!r}, None)))",
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


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
    result = _load_production(CONFIGURED)
    assert result.returncode == 0, result.stderr


def test_production_refuses_the_sandbox_and_its_secrets_and_says_what_to_change():
    result = _load_production(
        {
            **CONFIGURED,
            "CRIEUR_SANDBOX_URL": "http://127.0.0.1:8001",
            "CRIEUR_META_CLIENT_ID": "sandbox-meta-client",
            "CRIEUR_META_CLIENT_SECRET": "sandbox-meta-secret",
        }
    )

    assert result.returncode != 0
    assert "CRIEUR_SANDBOX_URL must be unset" in result.stderr
    assert "CRIEUR_META_CLIENT_SECRET holds the sandbox's demo value" in result.stderr


def test_production_needs_a_whatsapp_verify_token_of_its_own():
    without = _load_production({**CONFIGURED, "CRIEUR_WHATSAPP_VERIFY_TOKEN": ""})
    the_app_secret = _load_production(
        {
            **CONFIGURED,
            "CRIEUR_META_CLIENT_ID": "1234567890",
            "CRIEUR_META_CLIENT_SECRET": "m" * 32,
            "CRIEUR_WHATSAPP_VERIFY_TOKEN": "m" * 32,
        }
    )

    assert without.returncode != 0 and "CRIEUR_WHATSAPP_VERIFY_TOKEN" in without.stderr
    assert (
        the_app_secret.returncode != 0 and "CRIEUR_WHATSAPP_VERIFY_TOKEN" in the_app_secret.stderr
    )


def test_the_demo_verify_token_is_not_the_meta_app_secret():
    result = _run_production(
        {"DJANGO_SETTINGS_MODULE": "crieur.settings.dev"},
        "-c",
        "from django.conf import settings; from networks import config; "
        "print(settings.CRIEUR_WHATSAPP_VERIFY_TOKEN != config.client('meta')[1] != '')",
    )

    assert result.stdout.strip().splitlines()[-1] == "True", result.stderr


def test_check_deploy_is_clean_on_a_configured_production():
    result = _run_production(
        CONFIGURED, "manage.py", "check", "--deploy", "--fail-level", "WARNING"
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_hsts_lasts_a_year_and_covers_subdomains():
    assert _production_setting(CONFIGURED, "SECURE_HSTS_SECONDS") == "31536000"
    assert _production_setting(CONFIGURED, "SECURE_HSTS_INCLUDE_SUBDOMAINS") == "True"
    assert (
        _production_setting({**CONFIGURED, "CRIEUR_HSTS_PRELOAD": "false"}, "SECURE_HSTS_PRELOAD")
        == "False"
    )


def test_x_forwarded_proto_is_believed_only_when_the_deployment_says_so():
    assert _production_setting(CONFIGURED, "SECURE_PROXY_SSL_HEADER") == "None"
    assert (
        _production_setting(
            {**CONFIGURED, "CRIEUR_TRUST_X_FORWARDED_PROTO": "true"}, "SECURE_PROXY_SSL_HEADER"
        )
        == "('HTTP_X_FORWARDED_PROTO', 'https')"
    )


def test_the_client_address_comes_from_the_proxy_only_when_the_deployment_says_so():
    assert _production_setting(CONFIGURED, "CRIEUR_TRUST_X_REAL_IP") == "False"
    assert (
        _production_setting(
            {**CONFIGURED, "CRIEUR_TRUST_X_REAL_IP": "true"}, "CRIEUR_TRUST_X_REAL_IP"
        )
        == "True"
    )


def test_a_hung_redis_cannot_hang_a_cache_call_forever():
    caches = _production_setting(CONFIGURED, "CACHES")

    assert "'socket_timeout': 5.0" in caches
    assert "'socket_connect_timeout': 5.0" in caches


def test_production_requires_two_factor_for_administrators_and_the_crisis_cell():
    assert _production_setting(CONFIGURED, "CRIEUR_2FA_REQUIRED_ROLES") == (
        "['administrator', 'crisis_cell']"
    )


def test_gravatar_is_off():
    assert _production_setting(CONFIGURED, "WAGTAIL_GRAVATAR_PROVIDER_URL") == "None"
