"""The export runs in `ketaflow worker` (not in the web process), and survives a kill -9."""

from __future__ import annotations

import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import TestCase

from ketaflow.fhir import services
from ketaflow.fhir.models import ExportJob, JobStatus
from ketaflow.lib.tests.worker_process import WorkerDatabase, worker_settings
from ketaflow.patients.models import Patient


def _clinic_of(clinic_admin: Any, how_many: int) -> None:
    Patient.objects.bulk_create(
        Patient(
            clinic=clinic_admin.clinic,
            mrn=f"KF-{n:06d}",
            given_name="Test",
            family_name=f"Patient {n}",
            date_of_birth=date(1980, 1, 1) + timedelta(days=n),
            sex_at_birth="female",
            created_by=clinic_admin,
        )
        for n in range(how_many)
    )


def _start(clinic_admin: Any) -> ExportJob:
    with worker_settings(), TestCase.captureOnCommitCallbacks(execute=True):
        return services.start_export(clinic_admin, "csv")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_started_export_is_run_by_the_worker_process(
    settings: Any, tmp_path: Path, clinic_admin: Any
) -> None:
    settings.KETAFLOW_EXPORT_DIR = str(tmp_path / "exports")
    _clinic_of(clinic_admin, 2)
    job = _start(clinic_admin)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED  # nothing ran in this (the web) process
    WorkerDatabase(tmp_path).run()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert (job.done, job.total, job.attempts) == (2, 2, 1) and job.file_size > 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_export_is_retried_and_the_file_written_once(
    settings: Any, tmp_path: Path, clinic_admin: Any
) -> None:
    settings.KETAFLOW_EXPORT_DIR = str(tmp_path / "exports")
    _clinic_of(clinic_admin, 60)
    job = _start(clinic_admin)
    worker = WorkerDatabase(tmp_path)
    process = worker.start("--no-recover")
    worker.kill_when(
        process,
        lambda: bool(
            worker.query("SELECT 1 FROM fhir_exportjob WHERE id = ? AND done > 0", (job.pk,))
        ),
    )
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and 0 < job.done < 60, "killed mid-way"
    assert job.attempts == 1 and not list((tmp_path / "exports").glob("*.zip"))
    # Time passes: the dead worker's heartbeat is older than the lease.
    ExportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=job.heartbeat_at - services.STALE_AFTER - timedelta(minutes=1)
    )
    worker.run()  # a new worker: its start-up recovery queues the job again
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert (job.attempts, job.done, job.total) == (2, 60, 60)
    assert [p.name for p in (tmp_path / "exports").iterdir()] == [Path(job.file_path).name]
    with zipfile.ZipFile(job.file_path) as archive, archive.open("patients.csv") as table:
        assert len(table.read().decode().splitlines()) == 1 + 60  # each patient once
