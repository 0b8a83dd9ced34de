"""The progress report is rendered by `ketaflow worker` (not the web process); a worker killed
with kill -9 mid-render is retried and the report's file written once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import TestCase

from ketaflow.lib.tests.worker_process import WorkerDatabase, worker_settings
from ketaflow.outcomes import report_files
from ketaflow.outcomes.models import ReportFile, ReportStatus
from ketaflow.outcomes.tests.conftest import course_with


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_render_is_retried_and_the_file_written_once(
    settings: Any,
    tmp_path: Path,
    nurse: Any,
    prescriber: Any,
    patient: Any,
    protocols: Any,
    chair: Any,
) -> None:
    # The worker process is told the export directory; reports go to `reports/` inside it.
    settings.KETAFLOW_REPORT_DIR = None
    settings.KETAFLOW_EXPORT_DIR = str(tmp_path / "exports")
    course_with(
        prescriber, nurse, patient, protocols["iv-racemic"], chair, (18, 15, 12, 9), follow_up=(7,)
    )
    with worker_settings(), TestCase.captureOnCommitCallbacks(execute=True):
        report = report_files.request_report(nurse, patient.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.QUEUED  # nothing rendered in this (the web) process

    worker = WorkerDatabase(tmp_path)
    process = worker.start("--no-recover")
    worker.kill_when(
        process,
        lambda: bool(
            worker.query(
                "SELECT 1 FROM outcomes_reportfile WHERE id = ? AND status = 'running'",
                (report.pk,),
            )
        ),
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.RUNNING and report.attempts == 1, "killed mid-way"
    ReportFile.objects.filter(pk=report.pk).update(
        heartbeat_at=report.heartbeat_at - report_files.STALE_AFTER - timedelta(minutes=1)
    )
    worker.run()  # a new worker: its start-up recovery queues the report again
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE, report.error
    assert report.attempts == 2
    path = report_files.report_file(report)
    assert path is not None and path.read_bytes().startswith(b"%PDF")
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial left
