"""/metrics: only with the bearer token; request metrics and the figures read from the
database (task queue, sign-in failures and lock-outs, heartbeat ages)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from ketaflow.ops.metrics import register_collector
from ketaflow.ops.services import beat
from ketaflow.ops.tests.tasks_for_tests import nothing

pytestmark = pytest.mark.django_db

TOKEN = "a-scraper-token-of-enough-length"


@pytest.fixture
def token(settings: Any) -> str:
    settings.KETAFLOW_METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client: Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.content.decode())
        for s in family.samples
    }


def test_without_a_configured_token_metrics_are_not_there(client: Client, settings: Any) -> None:
    settings.KETAFLOW_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize(
    "header", [None, "Bearer wrong-token-of-the-same-length!!", f"Basic {TOKEN}", TOKEN]
)
def test_a_missing_or_wrong_token_is_refused(client: Client, token: str, header: Any) -> None:
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = client.get("/metrics", **extra)
    assert response.status_code == 403
    assert b"ketaflow_" not in response.content


def test_signed_in_staff_still_need_the_token(
    client: Client, token: str, clinic_admin: Any, login: Any
) -> None:
    login(client, clinic_admin)
    assert client.get("/metrics").status_code == 403


def test_requests_are_counted_by_django_prometheus(client: Client, token: str) -> None:
    ok = ("django_http_responses_total_by_status_total", (("status", "200"),))
    before = scrape(client).get(ok, 0)
    client.get("/healthz")
    after = scrape(client)[ok]
    assert after >= before + 2  # the probe and the first scrape
    assert any(name.startswith("django_http_requests_latency") for name, _ in scrape(client))


def test_the_task_queue_is_read_at_scrape_time(client: Client, token: str, clock: Any) -> None:
    start = timezone.now()
    nothing.enqueue()
    nothing.enqueue()
    clock(start + timedelta(minutes=5))
    samples = scrape(client)
    assert samples[("ketaflow_tasks_queued", (("backend", "database"),))] == 2
    assert 299 < samples[("ketaflow_tasks_oldest_wait_seconds", (("backend", "database"),))] < 301
    assert samples[("ketaflow_tasks_failed", (("backend", "database"),))] == 0


def test_failed_sign_ins_and_lock_outs_are_counted(
    client: Client, token: str, nurse: Any, settings: Any
) -> None:
    url = reverse("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": nurse.username, "password": "wrong"})
    samples = scrape(client)
    assert samples[("ketaflow_signin_failures_total", ())] == settings.AXES_FAILURE_LIMIT
    assert samples[("ketaflow_signin_locked_out", ())] == 1


def test_heartbeat_ages(client: Client, token: str, clock: Any) -> None:
    start = timezone.now()
    beat("scheduler", start)
    clock(start + timedelta(seconds=42))
    age = scrape(client)[("ketaflow_heartbeat_age_seconds", (("name", "scheduler"),))]
    assert 41.9 < age < 42.1


def test_a_failing_collector_is_reported_and_the_others_still_answer(
    client: Client, token: str
) -> None:
    def broken() -> Any:
        raise RuntimeError("database went away")

    register_collector("broken_for_test", broken)
    try:
        samples = scrape(client)
    finally:
        from ketaflow.ops import metrics

        del metrics._collectors["broken_for_test"]
    assert samples[("ketaflow_metrics_collector_up", (("collector", "broken_for_test"),))] == 0
    assert samples[("ketaflow_metrics_collector_up", (("collector", "tasks"),))] == 1
    assert ("ketaflow_tasks_queued", (("backend", "database"),)) in samples
