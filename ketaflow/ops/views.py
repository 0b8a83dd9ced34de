"""/healthz, /readyz and /metrics: for a load balancer, an orchestrator and Prometheus.

No sign-in: none of them shows a patient, a name or a count of anyone's records. /readyz
names each check and its figures (ages, queue length); /metrics needs the bearer token in
KETAFLOW_METRICS_TOKEN and answers 404 while that is unset.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.views import HealthCheckView
from prometheus_client import CONTENT_TYPE_LATEST

from ketaflow.ops import checks
from ketaflow.ops.metrics import exposition


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers: no database, no queue (a liveness probe must not restart a web
    process because the database is down)."""
    return JsonResponse({"status": "ok"})


class ReadyView(HealthCheckView):
    """django-health-check's view, answering JSON only: 200 when every check passes, else 503.

    Checks: the database answers (the library's `Database`), no migration is unapplied, the
    task queue answers and its oldest job is not stuck, and each heartbeat named in
    KETAFLOW_READY_HEARTBEATS is fresh.
    """

    http_method_names = ["get"]

    def get_checks(self) -> Iterator[HealthCheck]:
        yield Database()
        yield checks.MigrationsApplied()
        yield checks.TaskQueue()
        for name in settings.KETAFLOW_READY_HEARTBEATS:
            yield checks.Heartbeat(name=name)

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with self.get_executor() as executor:
            self.results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        return self.render_to_response_json(
            503 if any(result.error for result in self.results) else 200
        )

    def render_to_response_json(self, status: int) -> JsonResponse:
        report: dict[str, Any] = {}
        for result in self.results:
            check = result.check
            name = check.__class__.__name__
            key = f"{name}:{check.name}" if isinstance(check, checks.Heartbeat) else name
            entry: dict[str, Any] = {"ok": result.error is None, **getattr(check, "info", {})}
            if result.error is not None:
                entry["error"] = str(result.error)
            report[key.lower()] = entry
        return JsonResponse(
            {"status": "ok" if status == 200 else "unavailable", "checks": report}, status=status
        )


readyz = ReadyView.as_view()


def _token_matches(request: HttpRequest, token: str) -> bool:
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        offered.strip().encode(), token.encode()
    )


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for a scraper holding KETAFLOW_METRICS_TOKEN (404 while unset,
    403 for a missing or wrong token; signed-in staff are no exception)."""
    token = settings.KETAFLOW_METRICS_TOKEN
    if not token:
        return HttpResponse("Not found.", status=404, content_type="text/plain")
    if not _token_matches(request, token):
        return HttpResponse("Forbidden.", status=403, content_type="text/plain")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
