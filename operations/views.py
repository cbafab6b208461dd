"""The doors of operations: /health/ for load balancers, /metrics/ for Prometheus."""

import hmac

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotFound, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from .health import CHECKS, health_report
from .metrics import metrics_text


@never_cache
@require_GET
@transaction.non_atomic_requests
def health(request):
    """200 when every component works, 503 naming the failing ones; no authentication,
    nothing but names and ok/failing. `?only=database,cache` probes a subset."""
    only = None
    if request.GET.get("only"):
        only = [name.strip() for name in request.GET["only"].split(",")]
        if not set(only) <= CHECKS.keys():
            return JsonResponse({"components": sorted(CHECKS)}, status=400)
    report = health_report(only=only)
    healthy = all(report.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "failing",
            "components": {name: "ok" if ok else "failing" for name, ok in report.items()},
        },
        status=200 if healthy else 503,
    )


def _bearer_token(request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@never_cache
@require_GET
def metrics(request):
    """Prometheus' scrape, behind CRIEUR_METRICS_TOKEN (absent: there is no such page)."""
    expected = settings.CRIEUR_METRICS_TOKEN
    if not expected:
        return HttpResponseNotFound()
    given = _bearer_token(request)
    # compare_digest takes as long whatever the first differing byte.
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
