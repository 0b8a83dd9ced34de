"""Whole-clinic export for clinic admins: NDJSON and CSV zips, progress, audit, robustness,
and persona × page permissions."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from ketaflow.audit.models import AccessEvent
from ketaflow.conftest import _make_user
from ketaflow.fhir import services
from ketaflow.fhir.bundle import EXPORTED_TYPES
from ketaflow.fhir.exports import CSV_TABLES
from ketaflow.fhir.models import ExportJob, JobStatus
from ketaflow.fhir.tests.conftest import start_and_run
from ketaflow.lib.tests.persona_rows import PERSONAS, Row, expect, request

pytestmark = pytest.mark.django_db


def _zip(job: ExportJob) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(Path(job.file_path).read_bytes()))


def test_an_ndjson_export_has_one_valid_file_per_resource_type(
    world: Any, clinic_admin: Any, outsider_patient: Any
) -> None:
    job = start_and_run(clinic_admin, "fhir_ndjson")
    assert job.status == JobStatus.DONE and (job.done, job.total) == (1, 1)
    archive = _zip(job)
    assert sorted(archive.namelist()) == sorted(f"{t}.ndjson" for t in EXPORTED_TYPES)
    ids = set()
    for name in archive.namelist():
        kind = name.removesuffix(".ndjson")
        for line in archive.read(name).decode().splitlines():
            data = json.loads(line)
            assert data["resourceType"] == kind
            get_fhir_model_class(kind).model_validate(data)
            ids.add((kind, data["id"]))
    assert ("Patient", f"pat-{world.patient.pk}") in ids
    assert ("Patient", f"pat-{outsider_patient.pk}") not in ids  # another clinic's patient


def test_a_csv_export_has_the_flat_tables(world: Any, clinic_admin: Any) -> None:
    job = start_and_run(clinic_admin, "csv")
    archive = _zip(job)
    assert sorted(archive.namelist()) == sorted(f"{t}.csv" for t in CSV_TABLES)
    tables = {
        name.removesuffix(".csv"): list(csv.DictReader(io.StringIO(archive.read(name).decode())))
        for name in archive.namelist()
    }
    assert tables["patients"][0]["mrn"] == "KF-000001"
    assert {r["icd10"] for r in tables["diagnoses"]} == {"F41.1", "F43.22", "F41.0"}
    (session,) = tables["sessions"]
    # 35 mg infused + a 5 mg bolus (the fixture's clock reads add a few ms: approx)
    assert float(session["delivered_mg"]) == pytest.approx(40.0, abs=0.01)
    doses = {r["administration_id"]: r for r in tables["doses"]}
    infusion = doses[f"mai-{world.session.pk}"]
    assert float(infusion["dose_mg"]) == pytest.approx(35.0, abs=0.01)
    assert infusion["lot"] == "LOT-2026-A"
    assert doses[f"mae-{world.struck.pk}"]["status"] == "entered-in-error"
    assert {r["source"] for r in tables["vitals"]} == {"session", "screening"}
    scores = {r["instrument"]: r for r in tables["scores"]}
    assert scores["gad7"]["total"] == "7" and scores["cssrs"]["risk_level"] == "low"


def test_csv_cells_cannot_run_as_spreadsheet_formulas(clinic_admin: Any, patient: Any) -> None:
    patient.family_name = "=HYPERLINK(1)"
    patient.save()
    archive = _zip(start_and_run(clinic_admin, "csv"))
    rows = list(csv.DictReader(io.StringIO(archive.read("patients.csv").decode())))
    assert rows[0]["family_name"] == "'=HYPERLINK(1)"


def test_every_exported_patient_is_audited(world: Any, clinic_admin: Any) -> None:
    job = start_and_run(clinic_admin, "fhir_ndjson")
    (event,) = AccessEvent.objects.filter(action="export", detail__export_job=job.pk)
    assert event.patient_id == world.patient.pk and event.actor_id == clinic_admin.pk
    assert event.channel == "web"


def test_a_crash_leaves_a_failed_job(
    patient: Any, clinic_admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "patient_resources", boom)
    job = start_and_run(clinic_admin, "csv")
    assert job.status == JobStatus.FAILED and "disk on fire" in job.error
    assert job.finished_at is not None and not job.file_path


def _running(clinic_admin: Any, heartbeat_at: Any, attempts: int) -> ExportJob:
    return ExportJob.objects.create(
        clinic=clinic_admin.clinic,
        requested_by=clinic_admin,
        format="csv",
        status=JobStatus.RUNNING,
        started_at=heartbeat_at,
        heartbeat_at=heartbeat_at,
        attempts=attempts,
    )


def test_a_stale_running_job_is_retried_when_the_page_is_looked_at(
    patient: Any, clinic_admin: Any, client: Client, login: Any
) -> None:
    job = _running(clinic_admin, timezone.now() - timedelta(hours=1), attempts=1)
    login(client, clinic_admin)
    with TestCase.captureOnCommitCallbacks(execute=True):
        page = client.get(reverse("fhir:exports"))
    assert page.status_code == 200
    job.refresh_from_db()
    assert (job.status, job.attempts, job.done, job.total) == (JobStatus.DONE, 2, 1, 1)
    assert Path(job.file_path).name == f"riverside-csv-{job.pk}.zip"
    assert [p.name for p in Path(job.file_path).parent.iterdir()] == [Path(job.file_path).name]


def test_a_job_that_keeps_dying_ends_failed_and_a_beating_one_is_left_alone(
    clinic_admin: Any, client: Client, login: Any
) -> None:
    job = _running(clinic_admin, timezone.now() - timedelta(hours=1), services.MAX_ATTEMPTS)
    fresh = _running(clinic_admin, timezone.now(), attempts=1)
    login(client, clinic_admin)
    with TestCase.captureOnCommitCallbacks(execute=True):
        page = client.get(reverse("fhir:exports"))
    job.refresh_from_db()
    fresh.refresh_from_db()
    assert job.status == JobStatus.FAILED and "stopped without finishing 3 times" in job.error
    assert fresh.status == JobStatus.RUNNING and fresh.attempts == 1  # still beating
    assert b"stopped without finishing" in page.content


def test_a_job_already_done_is_not_run_again(patient: Any, clinic_admin: Any) -> None:
    job = start_and_run(clinic_admin, "csv")
    before = AccessEvent.objects.filter(action="export").count()
    assert services.run_clinic_export.call(job.pk) == JobStatus.DONE
    again = ExportJob.objects.get(pk=job.pk)
    assert (again.attempts, again.finished_at) == (1, job.finished_at)
    assert AccessEvent.objects.filter(action="export").count() == before


def test_an_attempt_taken_over_by_a_retry_writes_nothing(
    patient: Any, clinic_admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker presumed dead that wakes up finds its attempt superseded and stops."""
    job = ExportJob.objects.create(
        clinic=clinic_admin.clinic, requested_by=clinic_admin, format="csv"
    )
    real_load = services.derive.load

    def slow_then_superseded(p: Any) -> Any:
        ExportJob.objects.filter(pk=job.pk).update(attempts=2)  # a retry claimed it meanwhile
        return real_load(p)

    monkeypatch.setattr(services.derive, "load", slow_then_superseded)
    services.run_export_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.done, job.file_path) == (JobStatus.RUNNING, 0, "")
    assert not AccessEvent.objects.filter(action="export").exists()


def test_one_export_at_a_time_per_clinic(clinic_admin: Any) -> None:
    from django.core.exceptions import ValidationError

    ExportJob.objects.create(
        clinic=clinic_admin.clinic,
        requested_by=clinic_admin,
        format="csv",
        status=JobStatus.RUNNING,
        heartbeat_at=timezone.now(),
    )
    with pytest.raises(ValidationError):
        start_and_run(clinic_admin, "csv")


def test_the_page_starts_an_export_and_polls_its_progress(
    patient: Any, clinic_admin: Any, client: Client, login: Any
) -> None:
    login(client, clinic_admin)
    with TestCase.captureOnCommitCallbacks(execute=True):  # the job is queued on commit
        response = client.post(reverse("fhir:export_start"), {"format": "csv"})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    status = client.get(
        reverse("fhir:export_status", args=[job.pk]), headers={"HX-Request": "true"}
    )
    assert status.status_code == 200
    assert b"<progress" in status.content and b'value="100"' in status.content
    assert b"hx-trigger" not in status.content  # finished: polling stops
    running = ExportJob.objects.create(
        clinic=clinic_admin.clinic,
        requested_by=clinic_admin,
        format="csv",
        status=JobStatus.RUNNING,
        done=1,
        total=4,
        heartbeat_at=timezone.now(),
    )
    polled = client.get(reverse("fhir:export_status", args=[running.pk]))
    assert b'hx-trigger="every 2s"' in polled.content and b'value="25"' in polled.content
    assert b"1 of 4 patients" in polled.content


def test_the_download_is_served_to_the_admin_and_audited(
    patient: Any, clinic_admin: Any, client: Client, login: Any
) -> None:
    job = start_and_run(clinic_admin, "csv")
    login(client, clinic_admin)
    response = client.get(reverse("fhir:export_download", args=[job.pk]))
    assert response.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert AccessEvent.objects.filter(
        action="export", actor=clinic_admin, detail__download__endswith=".zip"
    ).exists()


def test_a_bad_format_is_refused(clinic_admin: Any, client: Client, login: Any) -> None:
    login(client, clinic_admin)
    response = client.post(reverse("fhir:export_start"), {"format": "xml"})
    assert response.status_code == 422
    assert not ExportJob.objects.exists()


ADMIN_ONLY = expect(403, 403, 403, 200, 403, 403)

# What the route census reads (`test_every_route_has_a_persona_row.py`): the rows run below.
PERSONA_ROWS = [
    Row("GET", "/fhir/exports/", ADMIN_ONLY),
    Row("GET", "/fhir/exports/{job}/", ADMIN_ONLY),
    Row("GET", "/fhir/exports/{job}/download/", ADMIN_ONLY),
    Row("POST", "/fhir/exports/start/", expect(403, 403, 403, 302, 403, 403), {"format": "csv"}),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", PERSONA_ROWS, ids=str)
def test_persona_by_page(
    persona: str, personas: dict[str, Any], patient: Any, client: Client, login: Any, row: Row
) -> None:
    job = start_and_run(personas["clinic_admin"], "csv")
    login(client, personas[persona])
    assert request(client, row, {"job": job.pk}).status_code == row.expect[persona]


def test_another_clinics_admin_cannot_see_the_job(
    patient: Any, clinic_admin: Any, other_clinic: Any, client: Client, login: Any
) -> None:
    job = start_and_run(clinic_admin, "csv")
    other_admin = _make_user(other_clinic, "olive.admin", "clinic_admin")
    login(client, other_admin)
    assert client.get(reverse("fhir:export_status", args=[job.pk])).status_code == 404
    assert client.get(reverse("fhir:export_download", args=[job.pk])).status_code == 404
    assert job.file_path.encode() not in client.get(reverse("fhir:exports")).content


def test_signed_out_visitors_are_sent_to_sign_in(client: Client) -> None:
    assert client.get(reverse("fhir:exports")).status_code == 302
