"""`ketaflow worker` runs queued jobs in its own process: database backend and RQ on Redis."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django_tasks import TaskResultStatus

from ketaflow.cli.tests.sample_tasks import append_line
from ketaflow.lib.tests.worker_process import WorkerDatabase, worker_settings


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_runs_a_queued_task_once(tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    with worker_settings("database"):
        first = append_line.enqueue(str(marker), "first")
        second = append_line.enqueue(str(marker), "second")
        assert first.status == TaskResultStatus.READY
        WorkerDatabase(tmp_path, backend="database").run()
        first.refresh()
        second.refresh()
    assert marker.read_text().splitlines() == ["first", "second"]
    assert (first.status, first.return_value) == (TaskResultStatus.SUCCESSFUL, "FIRST")
    assert second.status == TaskResultStatus.SUCCESSFUL
    # A second pass finds nothing to do: nothing runs twice.
    with worker_settings("database"):
        WorkerDatabase(tmp_path, backend="database").run()
    assert marker.read_text().splitlines() == ["first", "second"]


@pytest.mark.django_db(transaction=True)
def test_the_rq_worker_runs_a_queued_task_from_redis(tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    with worker_settings("rq"):
        result = append_line.enqueue(str(marker), "from redis")
        WorkerDatabase(tmp_path, backend="rq").run()
        result.refresh()
    assert marker.read_text().splitlines() == ["from redis"]
    assert (result.status, result.return_value) == (TaskResultStatus.SUCCESSFUL, "FROM REDIS")


def test_a_backend_without_a_worker_process_is_refused() -> None:
    immediate = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with override_settings(TASKS=immediate), pytest.raises(CommandError, match="no worker"):
        call_command("worker", "--batch", "--no-recover")
