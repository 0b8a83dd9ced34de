"""Finished export files are deleted after KETAFLOW_EXPORT_KEEP_DAYS; the export's row stays."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaflow.audit.models import AccessEvent
from ketaflow.fhir.expiry import expire_exports
from ketaflow.fhir.models import ExportJob, JobStatus
from ketaflow.fhir.tests.conftest import start_and_run

pytestmark = pytest.mark.django_db
JOB = "scheduler: expired-exports"


@pytest.fixture
def finished(clinic_admin: Any, patient: Any) -> ExportJob:
    job = start_and_run(clinic_admin, "csv")  # queued on commit, run where queued
    assert job.status == JobStatus.DONE and Path(job.file_path).is_file()
    return job


def test_an_export_older_than_the_keeping_time_loses_its_file_and_is_marked_expired(
    finished: ExportJob, clinic_admin: Any, login: Callable[..., Any], client: Any
) -> None:
    path = Path(finished.file_path)
    assert expire_exports(now=timezone.now() + timedelta(days=6), actor_label=JOB) == 0
    assert path.is_file()
    assert expire_exports(now=timezone.now() + timedelta(days=7, minutes=1), actor_label=JOB) == 1
    assert not path.exists()
    finished.refresh_from_db()
    assert finished.status == JobStatus.EXPIRED and finished.file_path == ""
    event = AccessEvent.objects.get(actor_label=JOB, object_type="fhir.ExportJob")
    assert event.detail == {"export": "expired", "file_deleted": True}
    login(client, clinic_admin)
    assert client.get(reverse("fhir:export_download", args=[finished.pk])).status_code == 404


def test_a_second_run_finds_nothing_more_to_expire(finished: ExportJob) -> None:
    later = timezone.now() + timedelta(days=30)
    assert expire_exports(now=later, actor_label=JOB) == 1
    assert expire_exports(now=later, actor_label=JOB) == 0


def test_the_keeping_time_is_a_setting(finished: ExportJob, settings: Any) -> None:
    settings.KETAFLOW_EXPORT_KEEP_DAYS = 1
    assert expire_exports(now=timezone.now() + timedelta(days=2), actor_label=JOB) == 1


def test_a_path_outside_the_export_directory_is_never_deleted(
    finished: ExportJob, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "not-an-export.zip"
    elsewhere.write_bytes(b"keep me")
    ExportJob.objects.filter(pk=finished.pk).update(file_path=str(elsewhere))
    assert expire_exports(now=timezone.now() + timedelta(days=8), actor_label=JOB) == 1
    assert elsewhere.read_bytes() == b"keep me"
    event = AccessEvent.objects.get(actor_label=JOB)
    assert event.detail == {"export": "expired", "file_deleted": False}
