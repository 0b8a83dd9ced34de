"""FHIR Bulk Data export over the API (#14): kick-off → status (202, then the manifest) →
one NDJSON file per type; Prefer, _type, _since, permissions, other clinics, expiry, audit."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from ketaflow.audit.models import AccessEvent
from ketaflow.conftest import _make_user
from ketaflow.fhir import bulk
from ketaflow.fhir.bundle import EXPORTED_TYPES
from ketaflow.fhir.expiry import expire_exports
from ketaflow.fhir.exports import job_file
from ketaflow.fhir.models import ExportJob, JobStatus
from ketaflow.fhir.outcome import FhirProblem
from ketaflow.fhir.resources_common import build
from ketaflow.lib.tests.api_client import call
from ketaflow.lib.tests.persona_rows import PERSONAS, Row, expect

pytestmark = pytest.mark.django_db

API = "/api/v1/fhir"
ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}


def _kick_off(client: Client, capture: Any, query: str = "") -> Any:
    """The kick-off, its job run when the request's work commits (as the worker would)."""
    with capture(execute=True):
        return client.get(f"{API}/$export{query}", headers=ASYNC)


def _path(url: str) -> str:
    return url.removeprefix("http://testserver")


def test_the_whole_flow_kick_off_status_manifest_files(
    world: Any,
    clinic_admin: Any,
    outsider_patient: Any,
    client: Client,
    login: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    login(client, clinic_admin)
    kicked = _kick_off(client, django_capture_on_commit_callbacks)
    assert kicked.status_code == 202, kicked.content
    job = ExportJob.objects.get()
    assert kicked["Content-Location"] == f"http://testserver{API}/$export-status/{job.pk}"
    assert job.request_url == f"http://testserver{API}/$export"

    status = client.get(_path(kicked["Content-Location"]))
    assert status.status_code == 200, status.content
    assert status["Content-Type"] == "application/fhir+json"
    manifest = status.json()
    assert manifest["request"] == job.request_url
    assert manifest["requiresAccessToken"] is True
    assert manifest["error"] == []
    job.refresh_from_db()
    assert manifest["transactionTime"].startswith(job.started_at.strftime("%Y-%m-%dT%H:%M"))
    types = [o["type"] for o in manifest["output"]]
    assert types[0] == "Patient" and set(types) <= set(EXPORTED_TYPES)
    assert {"Observation", "MedicationAdministration", "Encounter"} <= set(types)

    for entry in manifest["output"]:
        assert entry["url"] == (
            f"http://testserver{API}/$export-file/{job.pk}/{entry['type']}.ndjson"
        )
        got = client.get(_path(entry["url"]))
        assert got.status_code == 200
        assert got["Content-Type"] == "application/fhir+ndjson"
        lines = got.content.decode().splitlines()
        assert len(lines) == entry["count"] > 0
        for line in lines:
            data = json.loads(line)
            assert data["resourceType"] == entry["type"]
            build(data)  # a valid R4B resource of that type
        if entry["type"] == "Patient":
            ids = {json.loads(line)["id"] for line in lines}
            assert ids == {f"pat-{world.patient.pk}"}  # not the other clinic's patient

    reads = AccessEvent.objects.filter(action="export", detail__bulk=True)
    assert sorted(e.detail["download"] for e in reads) == sorted(f"{t}.ndjson" for t in types)


def test_type_restricts_the_manifest_and_the_files(
    world: Any,
    clinic_admin: Any,
    client: Client,
    login: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    login(client, clinic_admin)
    kicked = _kick_off(client, django_capture_on_commit_callbacks, "?_type=Observation,Patient")
    assert kicked.status_code == 202
    manifest = client.get(_path(kicked["Content-Location"])).json()
    assert [o["type"] for o in manifest["output"]] == ["Patient", "Observation"]
    assert manifest["request"].endswith("$export?_type=Observation,Patient")
    job = ExportJob.objects.get()
    assert client.get(f"{API}/$export-file/{job.pk}/Encounter.ndjson").status_code == 404


def test_while_queued_or_running_the_status_is_202_with_progress(
    patient: Any, clinic_admin: Any, client: Client, login: Any
) -> None:
    login(client, clinic_admin)
    kicked = client.get(f"{API}/$export", headers=ASYNC)  # not committed: stays queued
    assert kicked.status_code == 202
    queued = client.get(_path(kicked["Content-Location"]))
    assert queued.status_code == 202
    assert queued["X-Progress"] == "queued" and queued["Retry-After"] == "5"
    job = ExportJob.objects.get()
    ExportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, done=12, total=40, heartbeat_at=job.created_at
    )
    running = client.get(_path(kicked["Content-Location"]))
    assert running.status_code == 202
    assert running["X-Progress"] == "12 of 40 patients"
    assert running.json()["resourceType"] == "OperationOutcome"
    again = client.get(f"{API}/$export", headers=ASYNC)
    assert again.status_code == 429  # one export of a clinic at a time
    assert again.json()["issue"][0]["code"] == "business-rule"


def test_a_failed_export_answers_500_with_why(
    patient: Any, clinic_admin: Any, client: Client, login: Any
) -> None:
    login(client, clinic_admin)
    kicked = client.get(f"{API}/$export", headers=ASYNC)
    ExportJob.objects.update(status=JobStatus.FAILED, error="OSError: disk full")
    failed = client.get(_path(kicked["Content-Location"]))
    assert failed.status_code == 500
    assert failed.json()["issue"][0]["diagnostics"] == "OSError: disk full"


@pytest.mark.parametrize(
    ("query", "headers", "code"),
    [
        ("", {}, "required"),  # no Prefer: respond-async
        ("", {"Prefer": "respond-async", "Accept": "text/html"}, "not-supported"),
        ("?_since=2026-01-01", ASYNC, "invalid"),  # a date, not an instant
        ("?_since=2026-01-01T00:00:00", ASYNC, "invalid"),  # no zone
        ("?_since=2026-02-30T00:00:00Z", ASYNC, "invalid"),  # no such day
        ("?_since=yesterday", ASYNC, "invalid"),
        ("?_since=2999-01-01T00:00:00Z", ASYNC, "invalid"),  # in the future
        ("?_type=Patient,Medication", ASYNC, "not-supported"),
        ("?_outputFormat=text/csv", ASYNC, "not-supported"),
    ],
)
def test_refused_kick_offs_are_400_and_start_nothing(
    clinic_admin: Any, client: Client, login: Any, query: str, headers: dict[str, str], code: str
) -> None:
    login(client, clinic_admin)
    refused = client.get(f"{API}/$export{query}", headers=headers)
    assert refused.status_code == 400
    assert refused["Content-Type"] == "application/fhir+json"
    assert refused.json()["issue"][0]["code"] == code
    assert not ExportJob.objects.exists()


def test_a_role_without_the_permission_gets_403(
    patient: Any, nurse: Any, client: Client, login: Any
) -> None:
    login(client, nurse)
    refused = client.get(f"{API}/$export", headers=ASYNC)
    assert refused.status_code == 403
    assert refused.json()["issue"][0]["code"] == "forbidden"
    assert not ExportJob.objects.exists()


def test_another_clinics_job_and_the_web_pages_jobs_are_404(
    patient: Any,
    clinic_admin: Any,
    other_clinic: Any,
    client: Client,
    login: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    login(client, clinic_admin)
    kicked = _kick_off(client, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    login(client, _make_user(other_clinic, "olive.admin", "clinic_admin"))
    assert client.get(_path(kicked["Content-Location"])).status_code == 404
    assert client.get(f"{API}/$export-file/{job.pk}/Patient.ndjson").status_code == 404
    assert client.get(f"{API}/$export-status/{job.pk + 1000}").status_code == 404
    ExportJob.objects.filter(pk=job.pk).update(request_url="")  # as the web page starts one
    login(client, clinic_admin)
    assert client.get(_path(kicked["Content-Location"])).status_code == 404


def test_an_expired_export_has_no_files(
    patient: Any,
    clinic_admin: Any,
    client: Client,
    login: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    login(client, clinic_admin)
    kicked = _kick_off(client, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    file_url = f"{API}/$export-file/{job.pk}/Patient.ndjson"
    assert client.get(file_url).status_code == 200
    assert job.finished_at is not None
    assert expire_exports(now=job.finished_at + timedelta(days=8), actor_label="test") == 1
    gone = client.get(file_url)
    assert gone.status_code == 404
    assert gone.json()["resourceType"] == "OperationOutcome"
    assert client.get(_path(kicked["Content-Location"])).status_code == 404


# What the route census reads (`test_every_route_has_a_persona_row.py`), run below.
ADMIN_ONLY = expect(403, 403, 403, 200, 403, 403)
PERSONA_ROWS = [
    Row("GET", f"{API}/$export", expect(403, 403, 403, 202, 403, 403)),
    Row("GET", f"{API}/$export-status/{{job}}", ADMIN_ONLY),
    Row("DELETE", f"{API}/$export-status/{{job}}", expect(403, 403, 403, 202, 403, 403)),
    Row("GET", f"{API}/$export-file/{{job}}/Patient.ndjson", ADMIN_ONLY),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", PERSONA_ROWS, ids=str)
def test_persona_by_operation(
    persona: str,
    personas: dict[str, Any],
    patient: Any,
    client: Client,
    login: Any,
    row: Row,
    django_capture_on_commit_callbacks: Any,
) -> None:
    login(client, personas["clinic_admin"])
    _kick_off(client, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    assert job.status == JobStatus.DONE
    login(client, personas[persona])
    path = row.path.format(job=job.pk).removeprefix("/api/v1")
    got = call(client, row.method, path, **ASYNC)
    assert got.status_code == row.expect[persona], (persona, row, got.content)
    assert got["Content-Type"].startswith("application/fhir+")


def test_with_a_bearer_token_then_delete(
    patient: Any, clinic_admin: Any, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """The flow as a Bulk Data client runs it (a bearer token, no session), then DELETE."""
    from ketaflow.accounts.services import issue_api_token

    token = issue_api_token(clinic_admin, "bulk client")[1]
    with django_capture_on_commit_callbacks(execute=True):
        kicked = call(client, "GET", "/fhir/$export", token=token, **ASYNC)
    assert kicked.status_code == 202
    status_path = _path(kicked["Content-Location"]).removeprefix("/api/v1")
    manifest = call(client, "GET", status_path, token=token).json()
    (patients,) = [o for o in manifest["output"] if o["type"] == "Patient"]
    file_path = _path(patients["url"]).removeprefix("/api/v1")
    assert call(client, "GET", file_path, token=token).status_code == 200
    assert call(client, "GET", file_path).status_code == 401  # requiresAccessToken
    job = ExportJob.objects.get()
    path = job_file(job)
    assert path is not None and path.is_file()
    deleted = call(client, "DELETE", status_path, token=token)
    assert deleted.status_code == 202, deleted.content
    assert deleted.json()["resourceType"] == "OperationOutcome"
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and job.file_path == ""
    assert not path.exists()
    assert call(client, "GET", status_path, token=token).status_code == 404
    assert call(client, "GET", file_path, token=token).status_code == 404
    assert call(client, "DELETE", status_path, token=token).status_code == 404


def test_types_are_checked_and_kept_in_the_servers_order() -> None:
    assert bulk.parse_types(None) == () and bulk.parse_types("") == ()
    assert bulk.parse_types(" Observation ,Patient,Observation") == ("Patient", "Observation")
    with pytest.raises(FhirProblem) as refused:
        bulk.parse_types("Patient,Practitioner")
    assert refused.value.status == 400 and "Practitioner" in str(refused.value)


def test_the_kick_off_is_audited_with_its_request(patient: Any, clinic_admin: Any) -> None:
    url = "https://clinic.example/api/v1/fhir/$export?_type=Patient"
    job = bulk.kick_off(clinic_admin, {"_type": "Patient"}, url)
    assert (job.request_url, job.resource_types, bulk.types_of(job)) == (
        url,
        "Patient",
        ("Patient",),
    )
    event = AccessEvent.objects.get(action="create", object_type="fhir.ExportJob")
    assert event.detail == {"format": "fhir_ndjson", "bulk_request": url, "types": ["Patient"]}
