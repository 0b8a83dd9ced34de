"""The progress report (PDF) is asked for on the outcome page and rendered by a background
task into a kept file (#14): who asked, when, status, expiry; the page polls it; the download
is audited; a killed attempt is rendered again once; expired files are deleted."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from pypdf import PdfReader

from ketaflow.audit.models import AccessEvent
from ketaflow.lib.tests.persona_rows import PERSONAS, Row, expect
from ketaflow.outcomes import report_files
from ketaflow.outcomes.models import ReportFile, ReportStatus
from ketaflow.outcomes.tests.conftest import course_with
from ketaflow.scheduler.jobs import expire_export_files

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _report_dir(settings: Any, tmp_path: Path) -> Path:
    settings.KETAFLOW_REPORT_DIR = str(tmp_path / "reports")
    return tmp_path / "reports"


@pytest.fixture
def world(prescriber: Any, nurse: Any, patient: Any, protocols: Any, chair: Any) -> Any:
    return course_with(
        prescriber, nurse, patient, protocols["iv-racemic"], chair, (18, 15, 12, 9), follow_up=(7,)
    )


def _ask(client: Client, patient: Any, capture: Any, execute: bool = True) -> Any:
    with capture(execute=execute):
        return client.post(f"/outcomes/patient/{patient.pk}/report/")


def test_asking_queues_a_task_and_the_page_offers_the_file_when_ready(
    client: Client,
    login: Any,
    nurse: Any,
    patient: Any,
    world: Any,
    django_capture_on_commit_callbacks: Any,
    _report_dir: Path,
) -> None:
    login(client, nurse)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        asked = client.post(f"/outcomes/patient/{patient.pk}/report/")
    report = ReportFile.objects.get()
    assert asked.status_code == 302
    assert asked["Location"] == f"/outcomes/patient/{patient.pk}/#report-{report.pk}"
    assert report.status == ReportStatus.QUEUED and report.requested_by == nurse
    assert (len(queued) == 1 and not _report_dir.exists()) or not list(_report_dir.iterdir())
    page = client.get(f"/outcomes/patient/{patient.pk}/").content.decode()
    assert f'id="report-{report.pk}"' in page and "every 2s" in page and "Queued" in page
    assert AccessEvent.objects.filter(action="create", object_type="outcomes.ReportFile").exists()

    queued[0]()  # the commit: the task runs (at once in tests, as the worker would)
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE, report.error
    assert report.attempts == 1 and report.file_size > 0 and report.render_ms > 0
    assert report.expires_at == report.finished_at + timedelta(days=7)
    status = client.get(f"/outcomes/reports/{report.pk}/").content.decode()
    assert "Ready" in status and "every 2s" not in status
    assert f"/outcomes/reports/{report.pk}/download/" in status

    got = client.get(f"/outcomes/reports/{report.pk}/download/")
    assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
    assert "no-store" in got["Cache-Control"]
    pdf = b"".join(got.streaming_content)
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)
    assert "Ketamine treatment progress report" in text and patient.mrn in text
    downloads = AccessEvent.objects.filter(
        action="export", patient_id=patient.pk, detail__download__isnull=False
    )
    assert downloads.get().detail["report"] == report.pk
    rendered = AccessEvent.objects.filter(action="export", detail__part="outcomes_pdf")
    assert rendered.filter(actor=nurse).count() == 2  # rendered as the nurse, then downloaded


def test_asking_again_while_it_renders_returns_the_same_report(
    nurse: Any, patient: Any, world: Any
) -> None:
    first = report_files.request_report(nurse, patient.pk)  # not committed: stays queued
    assert report_files.request_report(nurse, patient.pk) == first
    assert ReportFile.objects.count() == 1


def test_a_failed_render_says_why(
    nurse: Any, patient: Any, world: Any, monkeypatch: Any, _report_dir: Path
) -> None:
    def broken(actor: Any, patient_id: int) -> bytes:
        raise ValueError("no fonts")

    monkeypatch.setattr(report_files, "patient_report", broken)
    report = report_files.request_report(nurse, patient.pk)
    report = report_files.run_report(report.pk)
    assert report.status == ReportStatus.FAILED and report.error == "ValueError: no fonts"
    assert report_files.report_file(report) is None
    assert list(_report_dir.iterdir()) == []


def test_a_killed_attempt_is_rendered_again_and_written_once(
    nurse: Any, patient: Any, world: Any, _report_dir: Path, monkeypatch: Any, clock: Any
) -> None:
    from django.test import TestCase

    report = report_files.request_report(nurse, patient.pk)
    real = report_files.patient_report

    class Killed(BaseException):
        pass

    def dies(actor: Any, patient_id: int) -> bytes:
        raise Killed  # as under kill -9: nothing after the claim happens

    monkeypatch.setattr(report_files, "patient_report", dies)
    with pytest.raises(Killed):
        report_files.run_report(report.pk)
    monkeypatch.setattr(report_files, "patient_report", real)
    report.refresh_from_db()
    assert report.status == ReportStatus.RUNNING and report.attempts == 1
    assert report_files.run_report(report.pk).attempts == 1  # its lease still runs
    clock(report.heartbeat_at + report_files.STALE_AFTER + timedelta(minutes=1))
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert report_files.recover_stale_reports() == 1
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE and report.attempts == 2
    assert [p.name for p in _report_dir.iterdir()] == [Path(report.file_path).name]


def test_expired_reports_lose_their_file_by_the_scheduler_and_keep_their_row(
    client: Client,
    login: Any,
    nurse: Any,
    patient: Any,
    world: Any,
    clock: Any,
    django_capture_on_commit_callbacks: Any,
    _report_dir: Path,
) -> None:
    login(client, nurse)
    _ask(client, patient, django_capture_on_commit_callbacks)
    report = ReportFile.objects.get()
    path = Path(report.file_path)
    assert path.is_file()
    clock(report.finished_at + timedelta(days=6))
    assert expire_export_files.call()["reports_expired"] == 0
    clock(report.finished_at + timedelta(days=7, minutes=1))
    assert expire_export_files.call() == {"expired": 0, "reports_expired": 1}
    report.refresh_from_db()
    assert report.status == ReportStatus.EXPIRED and report.file_path == "" and not path.exists()
    event = AccessEvent.objects.get(action="update", object_type="outcomes.ReportFile")
    assert event.detail == {"report": "expired", "file_deleted": True}
    login(client, nurse)
    assert client.get(f"/outcomes/reports/{report.pk}/download/").status_code == 404
    assert "Expired" in client.get(f"/outcomes/reports/{report.pk}/").content.decode()


# What the route census reads (`test_every_route_has_a_persona_row.py`), run below.
CLINICAL = expect(403, 200, 200, 403, 403, 404)
PERSONA_ROWS = [
    Row("POST", "/outcomes/patient/{p}/report/", expect(403, 302, 302, 403, 403, 404)),
    Row("GET", "/outcomes/reports/{r}/", CLINICAL),
    Row("GET", "/outcomes/reports/{r}/download/", CLINICAL),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", PERSONA_ROWS, ids=str)
def test_persona_by_route(
    persona: str,
    personas: dict[str, Any],
    patient: Any,
    world: Any,
    client: Client,
    login: Any,
    row: Row,
    django_capture_on_commit_callbacks: Any,
) -> None:
    login(client, personas["nurse"])
    _ask(client, patient, django_capture_on_commit_callbacks)
    report = ReportFile.objects.get()
    assert report.status == ReportStatus.DONE
    login(client, personas[persona])
    path = row.path.format(p=patient.pk, r=report.pk)
    got = client.post(path) if row.method == "POST" else client.get(path)
    assert got.status_code == row.expect[persona], (persona, row)
