"""/metrics/ gives Prometheus the installation's figures, read from its rows, behind a token."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from networks.models import WebhookEvent
from publishing.models import Attempt, Publication
from publishing.services import heartbeat_record

pytestmark = pytest.mark.django_db

TOKEN = "a-long-random-scrape-token-0123456789"


@pytest.fixture
def scrape(client, settings):
    settings.CRIEUR_METRICS_TOKEN = TOKEN

    def get():
        response = client.get(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples
        }

    return get


def test_there_is_no_metrics_page_without_a_token_configured(client, settings):
    settings.CRIEUR_METRICS_TOKEN = ""

    response = client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer anything")

    assert response.status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-the-token", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer "],
)
def test_metrics_refuse_a_missing_or_wrong_token(client, settings, authorization):
    settings.CRIEUR_METRICS_TOKEN = TOKEN
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}

    response = client.get(reverse("metrics"), **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"crieur_" not in response.content


def test_metrics_count_publications_by_state_from_the_rows(scrape, publication_in):
    for _ in range(2):
        publication_in(Publication.State.SCHEDULED, due=timedelta(minutes=-30))
    publication_in(Publication.State.FAILED)
    publication_in(Publication.State.PUBLISHED)

    figures = scrape()

    def count(state):
        return figures[("crieur_publications", (("state", state),))]

    assert count("scheduled") == 2
    assert count("failed") == 1
    assert count("published") == 1
    assert count("missed") == 0  # every state is there, even when nothing is in it


def test_metrics_histogram_of_lateness_and_count_of_work_not_picked_up(scrape, publication_in):
    on_time = publication_in(Publication.State.PUBLISHED, due=timedelta(hours=1))
    on_time.published_at = on_time.scheduled_at + timedelta(seconds=0.3)
    on_time.save()
    late = publication_in(Publication.State.PUBLISHED, due=timedelta(hours=1))
    late.published_at = late.scheduled_at + timedelta(seconds=3)
    late.save()
    publication_in(Publication.State.SCHEDULED, due=timedelta(minutes=5))  # nobody took it
    publication_in(Publication.State.SCHEDULED, due=timedelta(minutes=-5))  # not due yet

    figures = scrape()

    def bucket(le):
        return figures[("crieur_publication_lateness_seconds_bucket", (("le", le),))]

    assert bucket("0.5") == 1
    assert bucket("2.0") == 1
    assert bucket("5.0") == 2
    assert bucket("+Inf") == 2
    assert figures[("crieur_publication_lateness_seconds_count", ())] == 2
    assert figures[("crieur_publication_lateness_seconds_sum", ())] == pytest.approx(3.3)
    assert figures[("crieur_publications_due_not_picked_up", ())] == 1


def test_metrics_count_network_errors_by_kind_and_webhook_events(scrape, publication_in):
    x = publication_in(Publication.State.FAILED, network="x")
    linkedin = publication_in(Publication.State.FAILED, network="linkedin")
    now = timezone.now()
    for publication, outcome in [
        (x, Attempt.Outcome.TRANSIENT),
        (x, Attempt.Outcome.TRANSIENT),
        (x, Attempt.Outcome.RATE_LIMITED),
        (x, Attempt.Outcome.PUBLISHED),  # not an error
        (linkedin, Attempt.Outcome.REJECTED),
    ]:
        Attempt.objects.create(publication=publication, started_at=now, outcome=outcome)
    WebhookEvent.objects.create(network="meta", digest="a" * 64, payload={})
    WebhookEvent.objects.create(network="meta", digest="b" * 64, payload={})
    heartbeat_record()

    figures = scrape()

    def errors(network, kind):
        labels = (("kind", kind), ("network", network))
        return figures.get(("crieur_network_errors_total", labels))

    assert errors("x", "transient") == 2
    assert errors("x", "rate_limited") == 1
    assert errors("linkedin", "rejected") == 1
    assert errors("x", "published") is None
    assert figures[("crieur_webhook_events_total", (("network", "meta"),))] == 2
    last_beat = figures[("crieur_scheduler_last_beat_timestamp_seconds", ())]
    assert abs(last_beat - now.timestamp()) < 60


def test_metrics_read_one_query_per_family_however_many_rows(
    client, settings, publication_in, django_assert_max_num_queries
):
    settings.CRIEUR_METRICS_TOKEN = TOKEN
    for state in Publication.State:
        publication = publication_in(state, published_at=timezone.now())
        Attempt.objects.create(
            publication=publication, started_at=timezone.now(), outcome="transient"
        )

    with django_assert_max_num_queries(6):
        response = client.get(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200
