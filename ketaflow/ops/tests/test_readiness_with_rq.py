"""/readyz and /metrics with the RQ backend: real Redis (127.0.0.1:6379), a queue of its own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import django_rq
import pytest
from django.test import Client

from ketaflow.ops.selectors import queue_state
from ketaflow.ops.tests.tasks_for_tests import nothing

pytestmark = pytest.mark.django_db


@pytest.fixture
def rq_queue(settings: Any) -> Iterator[Any]:
    name = f"ketaflow-ops-test-{uuid.uuid4().hex[:8]}"
    settings.KETAFLOW_TASKS_BACKEND = "rq"
    settings.RQ_QUEUES = {name: {"URL": "redis://127.0.0.1:6379/14"}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [name]}}
    settings.KETAFLOW_QUEUE_MAX_WAIT_SECONDS = 600
    queue = django_rq.get_queue(name)
    try:
        queue.connection.ping()
    except Exception:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    yield queue
    queue.empty()
    queue.failed_job_registry.cleanup()
    for key in queue.connection.scan_iter(f"rq:*{name}*"):
        queue.connection.delete(key)


def test_an_rq_job_waiting_too_long_makes_it_not_ready(
    client: Client, rq_queue: Any, clock: Any
) -> None:
    result = nothing.using(queue_name=rq_queue.name).enqueue()
    job = rq_queue.fetch_job(result.id)
    assert job is not None and job.enqueued_at is not None

    clock(job.enqueued_at + timedelta(minutes=5))
    response = client.get("/readyz")
    assert response.status_code == 200
    check = response.json()["checks"]["taskqueue"]
    assert check["backend"] == "rq" and check["queued"] == 1
    assert 299 < check["oldest_wait_seconds"] <= 301

    clock(job.enqueued_at + timedelta(minutes=11))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["taskqueue"]["ok"] is False


def test_an_unreachable_redis_makes_it_not_ready(client: Client, settings: Any) -> None:
    name = "ketaflow-ops-unreachable"
    settings.KETAFLOW_TASKS_BACKEND = "rq"
    settings.RQ_QUEUES = {name: {"URL": "redis://127.0.0.1:1/0", "SOCKET_TIMEOUT": 1}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [name]}}
    response = client.get("/readyz")
    assert response.status_code == 503
    check = response.json()["checks"]["taskqueue"]
    assert check == {"ok": False, "error": "Unavailable: task queue unreachable (ConnectionError)"}


def test_failed_rq_jobs_are_counted(rq_queue: Any, clock: Any) -> None:
    from rq.job import Job

    job = Job.create("ketaflow.ops.tests.tasks_for_tests.nothing", connection=rq_queue.connection)
    rq_queue.failed_job_registry.add(job, ttl=600, exc_string="boom")
    assert queue_state(job.created_at).failed == 1
