"""/health/ tells a load balancer whether Crieur can work, naming what fails and nothing more."""

import socket

import pytest
import time_machine
from django.urls import reverse

from publishing.models import Publication
from publishing.services import heartbeat_record

pytestmark = pytest.mark.django_db

COMPONENTS = {"database", "cache", "broker", "beat", "worker"}


def test_health_is_200_when_database_cache_broker_beat_and_a_worker_work(
    client, django_assert_max_num_queries
):
    heartbeat_record()

    with django_assert_max_num_queries(4):
        response = client.get(reverse("health"))

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "components": dict.fromkeys(COMPONENTS, "ok"),
    }
    assert "no-cache" in response["Cache-Control"]


def test_health_is_503_naming_the_broker_when_it_cannot_be_reached(client, settings, closed_port):
    heartbeat_record()
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    response = client.get(reverse("health"))

    assert response.status_code == 503
    assert response.json()["status"] == "failing"
    components = response.json()["components"]
    assert components.pop("broker") == "failing"
    assert set(components.values()) == {"ok"}
    # Names and ok/failing only: nothing about where the broker is or why it failed.
    assert str(closed_port) not in response.content.decode()
    assert "127.0.0.1" not in response.content.decode()


def test_a_hung_broker_is_failing_not_a_hung_probe(client, settings):
    heartbeat_record()
    # Accepts connections and never answers, as a Redis stuck on its disk does.
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen()
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{hung.getsockname()[1]}/0"
        settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
        response = client.get(reverse("health"))

    assert response.status_code == 503
    assert response.json()["components"]["broker"] == "failing"


def test_health_is_503_naming_the_cache_when_redis_cannot_be_reached(client, settings, closed_port):
    heartbeat_record()
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
        },
    }

    response = client.get(reverse("health"))

    assert response.status_code == 503
    components = response.json()["components"]
    assert components.pop("cache") == "failing"
    assert set(components.values()) == {"ok"}


def test_health_is_503_when_the_scheduler_has_not_beaten_for_minutes(client):
    with time_machine.travel("2026-11-22 10:00 +0000", tick=False):
        heartbeat_record()
        assert client.get(reverse("health")).status_code == 200

    with time_machine.travel("2026-11-22 10:10 +0000", tick=False):
        response = client.get(reverse("health"))

    assert response.status_code == 503
    components = response.json()["components"]
    assert components["beat"] == "failing"
    assert components["worker"] == "failing"  # the beat is what a worker records
    assert components["database"] == "ok"


def test_health_is_503_when_the_scheduler_never_ran(client):
    response = client.get(reverse("health"))

    assert response.status_code == 503
    assert response.json()["components"]["beat"] == "failing"


def test_health_says_no_worker_takes_the_work_when_due_publications_wait(client, publication_in):
    heartbeat_record()
    publication_in(Publication.State.SCHEDULED)  # due five minutes ago, nobody took it

    response = client.get(reverse("health"))

    assert response.status_code == 503
    assert response.json()["components"]["worker"] == "failing"
    assert response.json()["components"]["beat"] == "ok"


def test_a_load_balancer_can_probe_only_what_a_web_process_needs(client):
    # The scheduler never ran, but the web processes can serve the admin.
    response = client.get(reverse("health"), {"only": "database,cache"})

    assert response.status_code == 200
    assert response.json()["components"] == {"database": "ok", "cache": "ok"}
    assert client.get(reverse("health"), {"only": "database,secrets"}).status_code == 400


def test_health_needs_no_sign_in_and_refuses_writes(client):
    heartbeat_record()

    assert client.get("/health/").status_code == 200
    assert client.post("/health/").status_code == 405
