"""/healthz answers without the database; /readyz reports each check and is 503 if one fails."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.utils import timezone

from ketaflow.ops.services import beat
from ketaflow.ops.tests.tasks_for_tests import nothing

pytestmark = pytest.mark.django_db


def ready(client: Client) -> tuple[int, dict[str, Any]]:
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, response.json()


def test_healthz_answers_without_touching_the_database(
    client: Client, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_a_migrated_database_with_an_empty_queue_is_ready(client: Client) -> None:
    status, body = ready(client)
    assert status == 200
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrationsapplied"] == {"ok": True, "unapplied": 0}
    assert body["checks"]["taskqueue"] == {
        "ok": True,
        "backend": "database",
        "queued": 0,
        "oldest_wait_seconds": None,
    }


def test_an_unapplied_migration_makes_it_not_ready(client: Client) -> None:
    latest = MigrationRecorder.Migration.objects.filter(app="ops").latest("name")
    latest.delete()  # the app's leaf: Django's plan to migrate then holds it
    status, body = ready(client)
    assert status == 503
    assert body["status"] == "unavailable"
    check = body["checks"]["migrationsapplied"]
    assert check["ok"] is False and check["unapplied"] == 1
    assert "1 migration(s) not applied" in check["error"]


def test_a_job_waiting_longer_than_the_limit_makes_it_not_ready(
    client: Client, clock: Any, settings: Any
) -> None:
    settings.KETAFLOW_QUEUE_MAX_WAIT_SECONDS = 600
    enqueued = timezone.now()
    nothing.enqueue()
    nothing.enqueue()

    clock(enqueued + timedelta(minutes=9))
    status, body = ready(client)
    assert status == 200
    assert body["checks"]["taskqueue"]["queued"] == 2
    assert 539 < body["checks"]["taskqueue"]["oldest_wait_seconds"] <= 541

    clock(enqueued + timedelta(minutes=11))
    status, body = ready(client)
    assert status == 503
    check = body["checks"]["taskqueue"]
    assert check["ok"] is False and "is a worker running?" in check["error"]


def test_a_job_deferred_to_later_is_not_waiting_until_its_time(client: Client, clock: Any) -> None:
    start = timezone.now()
    nothing.using(run_after=start + timedelta(hours=2)).enqueue()

    clock(start + timedelta(hours=1))
    status, body = ready(client)
    assert status == 200 and body["checks"]["taskqueue"]["queued"] == 0

    clock(start + timedelta(hours=2, minutes=20))
    status, body = ready(client)
    assert status == 503
    assert 1199 < body["checks"]["taskqueue"]["oldest_wait_seconds"] <= 1201


def test_expected_heartbeats_must_be_fresh(client: Client, clock: Any, settings: Any) -> None:
    settings.KETAFLOW_READY_HEARTBEATS = ["scheduler", "hl7:riverside"]
    settings.KETAFLOW_HEARTBEAT_MAX_AGE_SECONDS = 120
    start = timezone.now()
    beat("scheduler", start)

    status, body = ready(client)  # the listener never beat
    assert status == 503
    assert body["checks"]["heartbeat:scheduler"]["ok"] is True
    assert body["checks"]["heartbeat:hl7:riverside"] == {
        "ok": False,
        "age_seconds": None,
        "error": "Unavailable: hl7:riverside has never beaten",
    }

    beat("hl7:riverside", start)
    clock(start + timedelta(seconds=100))
    assert ready(client)[0] == 200

    clock(start + timedelta(seconds=130))  # both stale now
    status, body = ready(client)
    assert status == 503
    assert body["checks"]["heartbeat:scheduler"]["ok"] is False
    assert "last beat 130s ago (limit 120s)" in body["checks"]["heartbeat:scheduler"]["error"]


def test_a_heartbeat_nobody_expects_never_fails_readiness(client: Client, clock: Any) -> None:
    beat("scheduler", timezone.now())
    clock(timezone.now() + timedelta(days=3))
    status, body = ready(client)
    assert status == 200
    assert not any(key.startswith("heartbeat") for key in body["checks"])


def test_readyz_shows_no_patient_data(client: Client, patient: Any) -> None:
    body = client.get("/readyz").content.decode()
    assert patient.family_name not in body and patient.mrn not in body
    assert len(body) < 1000


def test_probes_answer_get_only(client: Client) -> None:
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405
