"""The suite runs on what it says it runs on: PostgreSQL and Redis in CI, SQLite otherwise."""

import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

pytestmark = pytest.mark.django_db


@pytest.mark.services
def test_with_services_the_suite_runs_on_postgresql_and_redis():
    import redis

    assert connection.vendor == "postgresql"
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert redis.Redis.from_url(os.environ["REDIS_URL"]).ping()
    assert "RedisCache" in settings.CACHES["default"]["BACKEND"]


def test_the_cache_round_trips_on_the_configured_backend():
    cache.set("crieur-test-key", {"é": 1}, 30)
    assert cache.get("crieur-test-key") == {"é": 1}
    cache.delete("crieur-test-key")


def test_the_embedded_default_needs_no_server(tmp_path):
    """With no DATABASE_URL or REDIS_URL, settings fall back to SQLite and the file broker."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="crieur.settings.dev", CRIEUR_VAR_DIR=str(tmp_path))
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.LANGUAGE_CODE)"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["django.db.backends.sqlite3", "filesystem://", "fr"]
