"""Bulk Data `_since` (only patients whose record changed after it) and DELETE on the status
URL (a queued or running export is cancelled at its next checkpoint, its files deleted)."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ketaflow.audit.models import AccessEvent
from ketaflow.fhir import bulk, derive
from ketaflow.fhir.models import ExportJob, JobStatus
from ketaflow.fhir.outcome import FhirProblem
from ketaflow.fhir.services import run_export_job

pytestmark = pytest.mark.django_db

API = "/api/v1/fhir"
ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}


def _register(actor: Any, mrn: str, given: str) -> Any:
    from ketaflow.patients.services import register_patient

    return register_patient(
        actor,
        mrn=mrn,
        given_name=given,
        family_name="Since",
        date_of_birth=date(1980, 1, 1),
        sex_at_birth="female",
    )


def _patient_ids(job: ExportJob) -> set[str]:
    with zipfile.ZipFile(job.file_path) as archive:
        lines = archive.read("Patient.ndjson").decode().splitlines()
    return {json.loads(line)["id"] for line in lines}


def test_since_is_a_fhir_instant() -> None:
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert bulk.parse_since(None, now) is None and bulk.parse_since("", now) is None
    assert bulk.parse_since("2026-01-31T09:30:00Z", now) == datetime(2026, 1, 31, 9, 30, tzinfo=UTC)
    assert bulk.parse_since("2026-01-31T10:30:00.250+01:00", now) == datetime(
        2026, 1, 31, 9, 30, 0, 250000, tzinfo=UTC
    )
    for bad in (
        "2026-01-31",
        "2026-01-31T09:30Z",  # no seconds
        "2026-01-31T09:30:00",  # no zone
        "2026-01-31 09:30:00Z",
        "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-12-08T00:00:00Z",  # after now
    ):
        with pytest.raises(FhirProblem) as refused:
            bulk.parse_since(bad, now)
        assert refused.value.status == 400, bad
        assert refused.value.issues[0].expression == "_since", bad


def test_since_exports_only_the_patients_changed_after_it(
    clinic_admin: Any, prescriber: Any, clock: Any, settings: Any, tmp_path: Any
) -> None:
    settings.KETAFLOW_EXPORT_DIR = str(tmp_path)
    old = _register(prescriber, "MRN-OLD", "Olga")
    clock(timezone.now() + timedelta(days=2))
    since = timezone.now() - timedelta(days=1)
    new = _register(prescriber, "MRN-NEW", "Nora")
    url = "https://clinic.example/api/v1/fhir/$export?_since=..."
    job = bulk.kick_off(
        clinic_admin, {"_since": since.isoformat().replace("+00:00", "Z")}, url, timezone.now()
    )
    assert job.since == since
    event = AccessEvent.objects.get(action="create", object_type="fhir.ExportJob")
    assert event.detail["since"] == since.isoformat()
    run_export_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.total == 1
    assert _patient_ids(job) == {f"pat-{new.pk}"}

    # A later change to the old patient's chart brings it into the next _since export.
    from ketaflow.patients.services import add_entry

    add_entry(prescriber, old, "diagnoses", {"code": "F41.1", "is_primary": True})
    again = bulk.kick_off(
        clinic_admin, {"_since": since.isoformat().replace("+00:00", "Z")}, url, timezone.now()
    )
    run_export_job(again.pk)
    again.refresh_from_db()
    assert _patient_ids(again) == {f"pat-{new.pk}", f"pat-{old.pk}"}
    everything = bulk.kick_off(clinic_admin, {}, url, timezone.now())
    run_export_job(everything.pk)
    everything.refresh_from_db()
    assert everything.total == 2 and everything.since is None


def test_delete_cancels_a_queued_export_and_its_worker_then_does_nothing(
    patient: Any, clinic_admin: Any, client: Client, login: Any, settings: Any, tmp_path: Any
) -> None:
    settings.KETAFLOW_EXPORT_DIR = str(tmp_path)
    login(client, clinic_admin)
    kicked = client.get(f"{API}/$export", headers=ASYNC)  # not committed: stays queued
    status_path = kicked["Content-Location"].removeprefix("http://testserver")
    cancelled = client.delete(status_path)
    assert cancelled.status_code == 202, cancelled.content
    job = ExportJob.objects.get()
    assert job.status == JobStatus.CANCELLED and job.finished_at is not None
    run_export_job(job.pk)  # the queued task runs later: it finds nothing to claim
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and job.attempts == 0
    assert list(tmp_path.iterdir()) == []
    assert client.get(status_path).status_code == 404
    event = AccessEvent.objects.get(action="update", object_type="fhir.ExportJob")
    assert event.detail == {
        "export": "cancelled",
        "was": "queued",
        "file_deleted": False,
        "bulk": True,
    }
    # The clinic may start a new export at once.
    assert client.get(f"{API}/$export", headers=ASYNC).status_code == 202


def test_a_running_export_stops_at_its_next_patient_and_leaves_no_file(
    patient: Any,
    clinic_admin: Any,
    prescriber: Any,
    settings: Any,
    tmp_path: Any,
    monkeypatch: Any,
) -> None:
    settings.KETAFLOW_EXPORT_DIR = str(tmp_path)
    for n in range(3):
        _register(prescriber, f"MRN-C{n}", f"Cara{n}")
    job = bulk.kick_off(clinic_admin, {}, "https://clinic.example/api/v1/fhir/$export")
    loaded: list[int] = []
    real_load = derive.load

    def load_then_cancel(p: Any) -> Any:
        loaded.append(p.pk)
        if len(loaded) == 2:  # the client sends DELETE while the second patient is written
            bulk.cancel(clinic_admin, ExportJob.objects.get(pk=job.pk))
        return real_load(p)

    monkeypatch.setattr(derive, "load", load_then_cancel)
    run_export_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert len(loaded) == 2  # stopped at the checkpoint after the second patient, of four
    assert job.done == 1 and job.total == 4
    assert [p.name for p in tmp_path.iterdir()] == []  # no zip, no partial
    events = AccessEvent.objects.filter(action="export", detail__export_job=job.pk)
    assert events.count() == 1


def test_a_cancel_after_the_last_patient_removes_the_file_the_worker_wrote(
    patient: Any, clinic_admin: Any, settings: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    from ketaflow.fhir import exports

    settings.KETAFLOW_EXPORT_DIR = str(tmp_path)
    job = bulk.kick_off(clinic_admin, {}, "https://clinic.example/api/v1/fhir/$export")
    real_finish = exports.ClinicWriter.finish

    def finish_then_cancel(self: Any, target: Any) -> int:
        size = real_finish(self, target)
        bulk.cancel(clinic_admin, ExportJob.objects.get(pk=job.pk))
        return size

    monkeypatch.setattr(exports.ClinicWriter, "finish", finish_then_cancel)
    run_export_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and job.file_path == ""
    assert list(tmp_path.iterdir()) == []


def test_failed_and_expired_exports_cannot_be_cancelled(
    patient: Any, clinic_admin: Any, client: Client, login: Any
) -> None:
    login(client, clinic_admin)
    kicked = client.get(f"{API}/$export", headers=ASYNC)
    ExportJob.objects.update(status=JobStatus.FAILED, error="OSError: disk full")
    status_path = kicked["Content-Location"].removeprefix("http://testserver")
    refused = client.delete(status_path)
    assert refused.status_code == 404
    assert refused.json()["issue"][0]["code"] == "not-found"
    assert ExportJob.objects.get().status == JobStatus.FAILED


def test_the_openapi_describes_since_and_the_cancel(client: Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    kick_off = paths["/api/v1/fhir/$export"]["get"]
    (since,) = [p for p in kick_off["parameters"] if p["name"] == "_since"]
    assert "FHIR instant" in since["description"]
    cancel = paths["/api/v1/fhir/$export-status/{job_id}"]["delete"]
    assert set(cancel["responses"]) >= {"202", "403", "404"}
    assert "get" in paths["/api/v1/fhir/$export-status/{job_id}"]
