"""Prometheus metrics read from the database: one aggregate query per metric family.

Every web process answers the same figures, whichever of them Prometheus scrapes,
because they come from the rows the whole installation shares.
"""

from datetime import timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from networks.models import WebhookEvent
from publishing.models import Attempt, Publication
from publishing.selectors import not_picked_up_count, scheduler_last_beat

# Upper bounds, in seconds, of the lateness histogram (published_at - scheduled_at).
LATENESS_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600)
# What a try can end with that is not a network error.
NOT_ERRORS = (Attempt.Outcome.PUBLISHED, Attempt.Outcome.AWAITING_CONFIRMATION, "")


def _publications_by_state():
    family = GaugeMetricFamily(
        "crieur_publications", "Publications in each state.", labels=["state"]
    )
    counts = dict(Publication.objects.order_by().values_list("state").annotate(n=Count("pk")))
    for state in Publication.State:
        family.add_metric([state.value], counts.get(state.value, 0))
    return family


def _lateness():
    lateness = ExpressionWrapper(
        F("published_at") - F("scheduled_at"), output_field=DurationField()
    )
    figures = (
        Publication.objects.filter(published_at__isnull=False)
        .order_by()
        .annotate(lateness=lateness)
        .aggregate(
            count=Count("pk"),
            total=Sum("lateness"),
            **{
                f"le{i}": Count("pk", filter=Q(lateness__lte=timedelta(seconds=bound)))
                for i, bound in enumerate(LATENESS_BUCKETS)
            },
        )
    )
    buckets = [(str(float(b)), figures[f"le{i}"]) for i, b in enumerate(LATENESS_BUCKETS)]
    buckets.append(("+Inf", figures["count"]))
    total = figures["total"] or timedelta(0)
    return HistogramMetricFamily(
        "crieur_publication_lateness_seconds",
        "How long after its planned time each publication went out.",
        buckets=buckets,
        sum_value=total.total_seconds(),
    )


def _not_picked_up():
    return GaugeMetricFamily(
        "crieur_publications_due_not_picked_up",
        "Publications due for more than a minute that no worker has taken.",
        value=not_picked_up_count(now=timezone.now()),
    )


def _network_errors():
    family = CounterMetricFamily(
        "crieur_network_errors",
        "Tries that ended in an error, by network and kind.",
        labels=["network", "kind"],
    )
    rows = (
        Attempt.objects.exclude(outcome__in=NOT_ERRORS)
        .order_by()
        .values_list("publication__account__network", "outcome")
        .annotate(n=Count("pk"))
    )
    for network, kind, n in sorted(rows):
        family.add_metric([network, kind], n)
    return family


def _webhook_events():
    family = CounterMetricFamily(
        "crieur_webhook_events",
        "Signed webhook events received and stored, by network.",
        labels=["network"],
    )
    rows = WebhookEvent.objects.order_by().values_list("network").annotate(n=Count("pk"))
    for network, n in sorted(rows):
        family.add_metric([network], n)
    return family


def _last_beat():
    last_beat = scheduler_last_beat()
    return GaugeMetricFamily(
        "crieur_scheduler_last_beat_timestamp_seconds",
        "When the scheduler last beat (Unix time; 0 if it never ran).",
        value=last_beat.timestamp() if last_beat else 0,
    )


class DatabaseCollector:
    """The installation's figures, read when Prometheus scrapes."""

    families = (
        _publications_by_state,
        _lateness,
        _not_picked_up,
        _network_errors,
        _webhook_events,
        _last_beat,
    )

    def collect(self):
        for family in self.families:
            yield family()


def metrics_text() -> bytes:
    """The figures in Prometheus' text exposition format."""
    # A registry of its own: without describe() nothing is read until generate_latest.
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    return generate_latest(registry)
